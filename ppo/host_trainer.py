"""PPO over host vector environments (Rust, or Gymnasium's vector env of the reference).

The environments step on the host; the policy is jitted JAX; the update is the one in
`ppo.update`, vmapped over seeds exactly as the JAX trainer's. Several seeds train at
once: seed s owns environments [s * num_envs, (s + 1) * num_envs) of one vector env, and
its own parameters, optimiser state and random stream. The returned metrics have the
JAX trainer's layout (leading seed axis), so both feed the same curves and reports.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ppo import network
from ppo.config import PPOConfig
from ppo.update import Transition, episode_returns, init_learner, make_network, make_update
from ppo.vector_envs import host_mask

Progress = Callable[[int, int, np.ndarray], None]  # (updates done, env steps done per seed, mean return per seed)


def train_host(config: PPOConfig, vec_env, seeds, progress: Progress | None = None):
    """Train one policy per seed on `vec_env` (which holds len(seeds) * config.num_envs environments).

    Returns (learners, metrics) as `jax_trainer.train_seeds` does.
    """
    num_seeds, n = len(seeds), config.num_envs
    if vec_env.num_envs != num_seeds * n:
        raise ValueError(f"the vector env has {vec_env.num_envs} environments; {num_seeds} seeds x {n} need {num_seeds * n}")
    action = network.action_spec_of(vec_env.single_action_space)
    obs_shape = (int(np.prod(vec_env.single_observation_space.shape)),)  # the network takes them flat
    net = make_network(config, action)
    update = jax.vmap(make_update(config, action))

    # Per step only the action crosses to the host; log-probabilities and values of the whole rollout
    # are computed afterwards in one batched call (same parameters, so the same numbers). The
    # rollout's sampling noise is drawn in one call before it, so each step's program is only the
    # actor and the inverse CDF (random number generation there tripled the cost of a step).
    @jax.jit
    def act(params, obs, u, mask):
        def one(p, o, u, m):
            return network.sample_from_noise(action, network.masked(action, net.apply(p, o)[0], m), u, m)

        return jax.vmap(one)(params, obs, u, mask)

    @jax.jit
    def rollout_noise(keys):
        keys, k_noise = jax.vmap(jax.random.split, out_axes=1)(keys)
        return keys, jax.vmap(lambda k: network.noise(action, k, (config.num_steps, n)))(k_noise)

    @jax.jit
    def learn(learner, obs, actions, reward, done, last_obs, keys, ep_return, mask):
        def evaluate(p, o, a, m):
            dist, value = net.apply(p, o)
            return network.log_prob(action, network.masked(action, dist, m), a), value

        logp, value = jax.vmap(evaluate)(learner.params, obs, actions, mask)
        traj = Transition(obs, actions, logp, value, reward, done, mask)
        last_value = jax.vmap(lambda p, o: net.apply(p, o)[1])(learner.params, last_obs)
        keys, k_update = jax.vmap(jax.random.split, out_axes=1)(keys)
        learner, losses = update(learner, traj, last_value, k_update)
        ep_return, return_sum, episodes = jax.vmap(episode_returns)(ep_return, reward, done)
        return learner, losses, keys, ep_return, return_sum, episodes

    keys = jnp.stack([jax.random.PRNGKey(int(s)) for s in seeds])
    k_init, keys = jax.vmap(jax.random.split, out_axes=1)(keys)
    learner = jax.vmap(lambda k: init_learner(k, config, action, obs_shape))(k_init)
    obs, info = vec_env.reset(seed=int(seeds[0]))
    obs = np.asarray(obs, np.float32).reshape(num_seeds, n, *obs_shape)
    mask = host_mask(info, num_seeds, n)  # None: the port has no mask
    act_dtype = np.int64 if action.discrete else np.float32
    ep_return = jnp.zeros((num_seeds, n), jnp.float32)
    history = {"return_sum": [], "episodes": [], "losses": []}
    steps = config.num_steps
    for u in range(config.num_updates):
        # Fresh buffers per update: the previous ones may still be read by the asynchronous `learn`.
        obs_buf = np.empty((steps + 1, num_seeds, n, *obs_shape), np.float32)  # the last row: the observation after the rollout
        act_buf = np.empty((steps, num_seeds * n, *action.shape), act_dtype)
        reward_buf = np.empty((steps, num_seeds * n), np.float32)
        done_buf = np.empty((steps, num_seeds * n), bool)
        mask_buf = None if mask is None else np.empty((steps, num_seeds, n, action.n), bool)
        obs_buf[0] = obs
        keys, noise = rollout_noise(keys)
        noise = np.asarray(noise)  # (seeds, steps, envs[, action dims])
        for t in range(steps):
            if mask_buf is not None:
                mask_buf[t] = mask  # a copy: the env reuses its buffers
            step_mask = None if mask_buf is None else mask_buf[t]
            act_buf[t] = np.asarray(act(learner.params, obs_buf[t], noise[:, t], step_mask)).reshape(num_seeds * n, *action.shape)
            next_obs, reward_buf[t], terminated, truncated, info = vec_env.step(act_buf[t])
            np.logical_or(terminated, truncated, out=done_buf[t])
            obs_buf[t + 1] = np.reshape(next_obs, obs_buf.shape[1:])  # a copy: the env reuses its buffers
            mask = host_mask(info, num_seeds, n) if mask_buf is not None else None
        obs = obs_buf[steps]
        by_seed = lambda x: np.swapaxes(x.reshape(steps, num_seeds, n, *x.shape[2:]), 0, 1)  # (seeds, steps, envs, ...)
        learner, losses, keys, ep_return, return_sum, episodes = learn(
            learner, np.swapaxes(obs_buf[:steps], 0, 1), by_seed(act_buf), by_seed(reward_buf), by_seed(done_buf), obs, keys, ep_return,
            None if mask_buf is None else np.swapaxes(mask_buf, 0, 1),
        )
        return_sum, episodes = np.asarray(return_sum), np.asarray(episodes)
        history["return_sum"].append(return_sum)
        history["episodes"].append(episodes)
        history["losses"].append(losses)
        if progress is not None:
            progress(u + 1, (u + 1) * config.batch_size, np.where(episodes > 0, return_sum / np.maximum(episodes, 1), np.nan))
    metrics = {
        "return_sum": jnp.asarray(np.stack(history["return_sum"], axis=1)),
        "episodes": jnp.asarray(np.stack(history["episodes"], axis=1)),
        "losses": jnp.stack(history["losses"], axis=1),
    }
    return learner, metrics
