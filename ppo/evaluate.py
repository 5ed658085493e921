"""Evaluate trained policies: the return of whole episodes, greedy (most likely) actions.

`params` always carry a leading seed axis (one policy per seed, as the trainers return
them); results are arrays of shape (seeds, episodes).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ppo import network
from ppo.config import PPOConfig
from ppo.jax_trainer import legal_masks
from ppo.update import make_network
from ppo.vector_envs import host_mask


def _greedy(config: PPOConfig, action: network.ActionSpec):
    """`policy(params, obs, mask)`: the most likely (legal, with a mask) action of a batch."""
    net = make_network(config, action)
    return lambda p, obs, mask=None: network.mode(action, net.apply(p, network.flat_obs(obs, 1))[0], mask)


def rollout_returns(act, env, episodes: int, key, env_params=None) -> jax.Array:
    """Returns of `episodes` whole episodes of the JAX env `env` played by `act(key, obs, mask) -> actions` (batched;
    `mask` is None for an env without a legal-action mask), each episode's first only."""
    env_params = env.default_params if env_params is None else env_params
    masks_of = legal_masks(env, env_params)
    k_reset, k_run = jax.random.split(key)
    obs, states = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(k_reset, episodes), env_params)

    step_keys = jax.random.split(k_run, int(env_params.max_steps_in_episode))

    def body(carry):
        t, obs, states, total, running = carry
        k = step_keys[t]
        a = act(jax.random.fold_in(k, 1), obs, masks_of(states))  # the env's keys stay those of k
        obs, states, reward, terminated, truncated, _ = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
            jax.random.split(k, episodes), states, a, env_params
        )
        total = total + jnp.where(running, reward, 0.0).astype(total.dtype)
        running = running & ~(terminated | truncated)
        return t + 1, obs, states, total, running

    # Stops once every episode has ended (the same keys, so the same returns, as stepping all max_steps_in_episode).
    init = (0, obs, states, jnp.zeros(episodes, jnp.float32), jnp.ones(episodes, bool))
    *_, total, _ = jax.lax.while_loop(lambda c: (c[0] < step_keys.shape[0]) & c[4].any(), body, init)
    return total


def evaluate_jax(config: PPOConfig, params, env, episodes: int, seed: int = 0, env_params=None) -> np.ndarray:
    """Returns of `episodes` episodes per policy on the JAX environment `env`, shape (seeds, episodes)."""
    env_params = env.default_params if env_params is None else env_params
    policy = _greedy(config, network.action_spec_of(env.action_space(env_params)))

    def one_policy(p, key):
        return rollout_returns(lambda _, obs, mask: policy(p, obs, mask), env, episodes, key, env_params)

    num = jax.tree.leaves(params)[0].shape[0]
    keys = jax.random.split(jax.random.PRNGKey(seed), num)
    return np.asarray(jax.jit(jax.vmap(one_policy))(params, keys))


def evaluate_host(config: PPOConfig, params, vec_env, episodes: int, seed: int = 0, max_steps: int = 100_000) -> np.ndarray:
    """Returns of the first episode of each environment of `vec_env` (seeds * episodes of them), shape (seeds, episodes).

    Policy s drives environments [s * episodes, (s + 1) * episodes); the vector env must auto-reset in SAME_STEP mode.
    """
    num = jax.tree.leaves(params)[0].shape[0]
    if vec_env.num_envs != num * episodes:
        raise ValueError(f"the vector env has {vec_env.num_envs} environments; {num} policies x {episodes} episodes need {num * episodes}")
    action = network.action_spec_of(vec_env.single_action_space)
    policy = jax.jit(jax.vmap(_greedy(config, action)))
    act_dtype = np.int64 if action.discrete else np.float32
    obs, info = vec_env.reset(seed=seed)
    total = np.zeros(num * episodes, np.float64)
    running = np.ones(num * episodes, bool)
    for _ in range(max_steps):
        mask = host_mask(info, num, episodes)
        a = np.asarray(policy(params, np.asarray(obs, np.float32).reshape(num, episodes, -1), mask))
        obs, reward, terminated, truncated, info = vec_env.step(a.reshape(num * episodes, *action.shape).astype(act_dtype))
        total += np.where(running, reward, 0.0)
        running &= ~(np.asarray(terminated) | np.asarray(truncated))
        if not running.any():
            break
    else:
        raise RuntimeError(f"some episodes did not end within {max_steps} steps")
    return total.reshape(num, episodes)


def game_outcomes(returns: np.ndarray) -> dict | None:
    """Wins, draws and losses of a game whose episodes return exactly +1, 0 or -1, or None for any other returns.

    A win is an episode whose return is +1 (for a game that rewards only its end, the final reward +1). The win
    rate's 95% interval is Wilson's score interval over all episodes of all seeds (it stays inside [0, 1] and holds
    near 0 and 1, where the normal approximation does not).
    """
    r = np.asarray(returns, np.float64).ravel()
    if r.size == 0 or not np.isin(r, (-1.0, 0.0, 1.0)).all():
        return None
    n, wins = r.size, int((r == 1.0).sum())
    z, p = 1.959963984540054, wins / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return {"episodes": n, "wins": wins, "draws": int((r == 0.0).sum()), "losses": int((r == -1.0).sum()),
            "win_rate": p, "win_rate_ci95": [max(0.0, centre - half), min(1.0, centre + half)]}
