"""What 10 batched CartPole seeds cost against one, inside the compiled run (see docs/ppo.md, "Ten seeds against one").

Run: PYTHONPATH=. python docs/stall/seed_scaling.py [UPDATES] [SEEDS,...] [REPEATS]   (defaults: 100 1,10 5)

Prints the FLOPs of one seed's update (XLA's cost analysis of the rollout's forward pass and a minibatch
gradient, PureJaxRL's CartPole configuration), then, for each seed count, the best wall time and the best
process CPU time (all threads) of UPDATES updates of `over_seeds` (the seeds vmapped), the counts alternating.
On a shared machine the wall time follows the load; the CPU time is the steadier measure of the work.
"""

import dataclasses
import sys
import time

import jax
import jax.numpy as jnp

from envs import get_port
from ppo import network
from ppo.config import default_config_path, load_config
from ppo.jax_trainer import make_train_parts, over_seeds
from ppo.training import training_env
from ppo.update import init_learner, make_network


def update_flops(config) -> float:
    """FLOPs of one seed's PPO update: num_steps + 1 forward passes of num_envs observations, and
    update_epochs * num_minibatches gradients of a minibatch (XLA's count, loops excluded)."""
    action = network.ActionSpec(True, n=2)
    net = make_network(config, action)
    params = init_learner(jax.random.PRNGKey(0), config, action, (4,)).params

    def flops(f, *args):
        return jax.jit(f).lower(*args).compile().cost_analysis()["flops"]

    def loss(p, obs):
        logits, value = net.apply(p, obs)
        return (jax.nn.log_softmax(logits)[:, 0] + value).sum()

    forward = flops(net.apply, params, jnp.zeros((config.num_envs, 4)))
    grad = flops(jax.grad(loss), params, jnp.zeros((config.minibatch_size, 4)))
    return (config.num_steps + 1) * forward + config.update_epochs * config.num_minibatches * grad


def main(updates: int, seed_counts: list[int], repeats: int) -> None:
    env = training_env(get_port("cartpole"))
    base = load_config(default_config_path("cartpole"), {})
    config = dataclasses.replace(base, total_timesteps=updates * base.batch_size)
    per_update = update_flops(base)
    print(f"one seed: {per_update / 1e6:.1f} MFLOP per update, {per_update * base.num_updates / 1e9:.0f} GFLOP per run "
          f"of {base.num_updates} updates")
    programs = {}
    for n in seed_counts:
        keys = jnp.stack([jax.random.PRNGKey(s) for s in range(n)])
        programs[n] = (jax.jit(over_seeds(*make_train_parts(config, env), config.num_updates)).lower(keys).compile(), keys)
        jax.block_until_ready(programs[n][0](keys))
    best = {n: [float("inf"), float("inf")] for n in seed_counts}
    for _ in range(repeats):
        for n, (compiled, keys) in programs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            jax.block_until_ready(compiled(keys))
            best[n][0] = min(best[n][0], time.perf_counter() - wall)
            best[n][1] = min(best[n][1], time.process_time() - cpu)
    for n, (wall, cpu) in best.items():
        print(f"{n:3d} seed(s): {wall / updates * 1e3:6.1f} ms wall, {cpu / updates * 1e3:6.1f} ms CPU per update "
              f"({n * per_update * updates / cpu / 1e9:.0f} GFLOP per CPU second)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100,
         [int(s) for s in (sys.argv[2] if len(sys.argv) > 2 else "1,10").split(",")],
         int(sys.argv[3]) if len(sys.argv) > 3 else 5)
