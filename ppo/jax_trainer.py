"""PPO on a JAX port, end to end in one compiled function (PureJaxRL's layout).

`make_train(config, env, env_params)` returns a pure `train(key) -> (learner, metrics)`:
a `lax.scan` over updates, each a `lax.scan` rollout of the vmapped environments
(the port's gymnax-style `reset`/`step`, same-step auto-reset), then the shared PPO
update (`ppo.update`). Callers decide the layout: `train_seeds` runs it for several seeds,
`ppo.parallel` shards the environments over devices.

`metrics` per update: `return_sum` and `episodes` (returns of the episodes that ended
during that rollout, summed, and how many), and `losses` (total, policy, value, entropy).
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from ppo import network
from ppo.config import PPOConfig
from ppo.update import Transition, episode_returns, init_learner, make_network, make_update


def make_train(
    config: PPOConfig, env, env_params=None, axis_name: str | None = None, on_update: Callable | None = None
) -> Callable[[jax.Array], tuple[Any, dict]]:
    """A pure `train(key)` for `config` on the JAX environment `env`.

    With `axis_name`, `train` runs inside a mapped axis of that name (one member per device):
    each member steps its own `config.num_envs` environments with its own random stream,
    gradients are averaged over the axis and episode statistics summed, so all members keep
    the same parameters. `on_update(update_index, return_sum, episodes)`, when given, is
    called from the compiled run after every update (under vmap: once per seed), for progress
    (a program with such a host callback is never written to JAX's persistent compilation cache).
    """
    init, run_updates = make_train_parts(config, env, env_params, axis_name, on_update)

    def train(key):
        carry = init(key)
        (learner, *_), metrics = run_updates(carry, jnp.arange(config.num_updates))
        return learner, metrics

    return train


def make_train_parts(
    config: PPOConfig, env, env_params=None, axis_name: str | None = None, on_update: Callable | None = None
) -> tuple[Callable, Callable]:
    """`make_train` in two pure pieces: `init(key) -> carry` and `run_updates(carry, indices) -> (carry, metrics)`.

    `run_updates` runs the updates numbered `indices` (a `lax.scan`); called on consecutive
    slices of `arange(num_updates)` it trains exactly as `make_train`'s single call does, so a
    caller can report progress between slices without a host callback inside the program.
    The carry's first element is the learner.
    """
    env_params = env.default_params if env_params is None else env_params
    action = network.action_spec_of(env.action_space(env_params))
    net = make_network(config, action)
    update = make_update(config, action, axis_name)
    obs_size = int(np.prod(env.observation_space(env_params).shape))
    n = config.num_envs
    masks_of = legal_masks(env, env_params)

    def env_step(carry, step_randomness):
        learner, states, obs = carry
        u, k_envs = step_randomness
        mask = masks_of(states)
        dist, value = net.apply(learner.params, obs)
        dist = network.masked(action, dist, mask)
        act = network.sample_from_noise(action, dist, u, mask)
        logp = network.log_prob(action, dist, act)
        next_obs, states, reward, terminated, truncated, _ = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
            k_envs, states, act, env_params
        )
        step = Transition(obs, act, logp, value, reward.astype(jnp.float32), jnp.logical_or(terminated, truncated), mask)
        return (learner, states, network.flat_obs(next_obs, 1)), step

    def update_step(carry, index):
        learner, states, obs, ep_return, key = carry
        # The rollout's randomness drawn in two batched calls, not per step: the loop body stays small.
        key, k_act, k_envs = jax.random.split(key, 3)
        randomness = (network.noise(action, k_act, (config.num_steps, n)), jax.random.split(k_envs, (config.num_steps, n)))
        (learner, states, obs), traj = jax.lax.scan(env_step, (learner, states, obs), randomness)
        ep_return, return_sum, episodes = episode_returns(ep_return, traj.reward, traj.done)
        _, last_value = net.apply(learner.params, obs)
        key, k_update = jax.random.split(key)
        learner, losses = update(learner, traj, last_value, k_update)
        if axis_name is not None:
            return_sum = jax.lax.psum(return_sum, axis_name)
            episodes = jax.lax.psum(episodes, axis_name)
            losses = jax.lax.pmean(losses, axis_name)
        metrics = {"return_sum": return_sum, "episodes": episodes, "losses": losses}
        if on_update is not None:
            jax.debug.callback(on_update, index + 1, return_sum, episodes)
        return (learner, states, obs, ep_return, key), metrics

    def init(key):
        k_init, key = jax.random.split(key)
        if axis_name is not None:  # own environments and samples per member, same initial parameters
            key = jax.random.fold_in(key, jax.lax.axis_index(axis_name))
        key, k_reset = jax.random.split(key)
        learner = init_learner(k_init, config, action, (obs_size,))
        obs, states = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(k_reset, n), env_params)
        obs = network.flat_obs(obs, 1)
        return (learner, states, obs, jnp.zeros(n, jnp.float32), key)

    def run_updates(carry, indices):
        return jax.lax.scan(update_step, carry, indices)

    return init, run_updates


def legal_masks(env, env_params) -> Callable:
    """`masks(states)`: the legal-action masks of a batch of states (`env.action_mask`), for a JAX env
    whose port declares a mask (`has_action_mask`); for any other env, `None` (PPO then masks nothing)."""
    if not getattr(env, "has_action_mask", False):
        return lambda states: None
    return jax.vmap(lambda s: env.action_mask(s, env_params))


def over_seeds(train: Callable) -> Callable:
    """`train(key)` for a stack of keys, one seed after another in one compiled call (`lax.map`).

    Not `vmap`: a PPO run vmapped over seeds hangs in XLA's CPU runtime for some environments
    (the MinAtar games with jax 0.10.2: compiled, then the CPU idle for good; one seed, or
    `lax.map`, runs). On CartPole `lax.map` trains 10 seeds about 10% slower than `vmap` would,
    and compiles in half the time.
    """
    return lambda keys: jax.lax.map(train, keys)


def train_seeds(config: PPOConfig, env, seeds, env_params=None):
    """Train one policy per seed in one compiled call; (learners, metrics) with a leading seed axis."""
    keys = jnp.stack([jax.random.PRNGKey(int(s)) for s in seeds])
    return jax.jit(over_seeds(make_train(config, env, env_params)))(keys)


def mean_returns(metrics: dict) -> jax.Array:
    """Mean return of the episodes that ended in each update (NaN where none did), shape (..., num_updates)."""
    return jnp.where(metrics["episodes"] > 0, metrics["return_sum"] / jnp.maximum(metrics["episodes"], 1), jnp.nan)
