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
from ppo.update import Transition, init_learner, make_network, make_update

Progress = Callable[[int, int, np.ndarray], None]  # (updates done, env steps done per seed, mean return per seed)


def train_host(config: PPOConfig, vec_env, seeds, progress: Progress | None = None):
    """Train one policy per seed on `vec_env` (which holds len(seeds) * config.num_envs environments).

    Returns (learners, metrics) as `jax_trainer.train_seeds` does.
    """
    num_seeds, n = len(seeds), config.num_envs
    if vec_env.num_envs != num_seeds * n:
        raise ValueError(f"the vector env has {vec_env.num_envs} environments; {num_seeds} seeds x {n} need {num_seeds * n}")
    action = network.action_spec_of(vec_env.single_action_space)
    obs_shape = tuple(vec_env.single_observation_space.shape)
    net = make_network(config, action)
    update = jax.vmap(make_update(config, action))

    # Per step only the action crosses to the host; log-probabilities and values of the whole rollout
    # are computed afterwards in one batched call (same parameters, so the same numbers).
    @jax.jit
    def act(params, obs, keys, t):
        def one(p, o, k):
            return network.sample(action, net.apply(p, o)[0], jax.random.fold_in(k, t))

        return jax.vmap(one)(params, obs, keys)

    @jax.jit
    def learn(learner, obs, actions, reward, done, last_obs, keys):
        def evaluate(p, o, a):
            dist, value = net.apply(p, o)
            return network.log_prob(action, dist, a), value

        logp, value = jax.vmap(evaluate)(learner.params, obs, actions)
        traj = Transition(obs, actions, logp, value, reward, done)
        last_value = jax.vmap(lambda p, o: net.apply(p, o)[1])(learner.params, last_obs)
        keys, k_update = jax.vmap(jax.random.split, out_axes=1)(keys)
        learner, losses = update(learner, traj, last_value, k_update)
        return learner, losses, keys

    keys = jnp.stack([jax.random.PRNGKey(int(s)) for s in seeds])
    k_init, keys = jax.vmap(jax.random.split, out_axes=1)(keys)
    learner = jax.vmap(lambda k: init_learner(k, config, action, obs_shape))(k_init)
    obs, _ = vec_env.reset(seed=int(seeds[0]))
    obs = np.array(obs, np.float32).reshape(num_seeds, n, *obs_shape)
    act_dtype = np.int64 if action.discrete else np.float32
    ep_return = np.zeros((num_seeds, n), np.float32)
    history = {"return_sum": [], "episodes": [], "losses": []}
    for u in range(config.num_updates):
        steps = []
        return_sum = np.zeros(num_seeds, np.float32)
        episodes = np.zeros(num_seeds, np.int64)
        for t in range(config.num_steps):
            a_host = np.asarray(act(learner.params, obs, keys, t))
            next_obs, reward, terminated, truncated, _ = vec_env.step(a_host.reshape(num_seeds * n, *action.shape).astype(act_dtype))
            reward = np.asarray(reward, np.float32).reshape(num_seeds, n)
            done = np.logical_or(terminated, truncated).reshape(num_seeds, n)
            ep_return += reward
            return_sum += np.where(done, ep_return, 0.0).sum(axis=1)
            episodes += done.sum(axis=1)
            ep_return[done] = 0.0
            steps.append((obs, a_host, reward, done))
            obs = np.array(next_obs, np.float32).reshape(num_seeds, n, *obs_shape)  # a copy: the env reuses its buffers
        rollout = (np.stack(x, axis=1) for x in zip(*steps))  # (seeds, steps, envs, ...)
        learner, losses, keys = learn(learner, *rollout, obs, keys)
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
