"""Greedy PPO policies (trained into /tmp/leduc_ppo by `envport train`, see envs/rlcard/README.md) and uniformly random
legal play, each from seat 0 of the seated Leduc env: mean payoff with a 95% CI, win / loss / tie rates.
Run from the repository root: `PYTHONPATH=$PWD python docs/runs/rlcard-leduc-holdem/ppo_eval.py`."""
import jax, jax.numpy as jnp, numpy as np
from pathlib import Path
from envs import get_port
from ppo.policy_io import load_policy
from ppo.evaluate import evaluate_jax
from ppo.training import training_env
from envs.rlcard.leduc_holdem.jax_env import Params

port = get_port("rlcard-leduc-holdem")
env = training_env(port)
params, config, meta = load_policy(Path("/tmp/leduc_ppo"))
short = Params(max_steps_in_episode=8)  # the learner acts at most 4 times a game
ret = evaluate_jax(config, params, env, 5000, seed=20_000, env_params=short)
for s, r in enumerate(ret):
    half = 1.96 * r.std(ddof=1) / np.sqrt(len(r))
    print(f"seed {s}: mean payoff {r.mean():.3f} +- {half:.3f} (95% CI), win {np.mean(r > 0):.3f}, loss {np.mean(r < 0):.3f}, tie {np.mean(r == 0):.3f}")

# uniformly random legal play from seat 0, the same env and episode count
def rand_policy(key, n=5000):
    k0, k1 = jax.random.split(key)
    obs, st = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(k0, n), short)
    def body(c, k):
        st, tot, run = c
        ka, ks = jax.random.split(k)
        m = jax.vmap(env.action_mask)(st)
        a = jax.vmap(lambda kk, mm: jax.random.categorical(kk, jnp.where(mm, 0.0, -jnp.inf)))(jax.random.split(ka, n), m)
        _, st, r, te, tr, _ = jax.vmap(env.step, in_axes=(0, 0, 0, None))(jax.random.split(ks, n), st, a, short)
        tot = tot + jnp.where(run, r, 0.0)
        return (st, tot, run & ~(te | tr)), None
    (_, tot, _), _ = jax.lax.scan(body, (st, jnp.zeros(n), jnp.ones(n, bool)), jax.random.split(k1, 8))
    return tot


r = np.asarray(jax.jit(rand_policy)(jax.random.PRNGKey(30_000)))
half = 1.96 * r.std(ddof=1) / np.sqrt(len(r))
print(f"random: mean payoff {r.mean():.3f} +- {half:.3f} (95% CI), win {np.mean(r > 0):.3f}, loss {np.mean(r < 0):.3f}")
