"""The PPO update, shared by every trainer: GAE, then epochs of clipped-surrogate minibatch steps.

The JAX trainer calls it inside its one compiled function; the host trainer (Rust and
Gymnasium vector envs) calls it jitted after each rollout. Either way the same code
computes the same update from the same rollout.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from ppo import network
from ppo.config import PPOConfig


class Transition(NamedTuple):
    """One step of a rollout batch; arrays have leading axes (num_steps, num_envs)."""

    obs: jax.Array
    action: jax.Array
    log_prob: jax.Array
    value: jax.Array
    reward: jax.Array
    done: jax.Array  # terminated or truncated: the episode ended with this step
    mask: Any = None  # legal actions at `obs` (bool, n per step), for a port with a mask; None otherwise


class Learner(NamedTuple):
    """Network parameters and optimiser state."""

    params: Any
    opt_state: Any


def make_optimizer(config: PPOConfig) -> optax.GradientTransformation:
    """Adam (eps 1e-5) after global-norm clipping, with PureJaxRL's linear annealing when `anneal_lr`."""
    steps_per_update = config.num_minibatches * config.update_epochs

    def schedule(count):
        return config.lr * (1.0 - (count // steps_per_update) / config.num_updates)

    lr = schedule if config.anneal_lr else config.lr
    return optax.chain(optax.clip_by_global_norm(config.max_grad_norm), optax.adam(lr, eps=1e-5))


def make_network(config: PPOConfig, action: network.ActionSpec) -> network.ActorCritic:
    return network.ActorCritic(action, config.hidden, config.activation)


def init_learner(key, config: PPOConfig, action: network.ActionSpec, obs_shape: tuple[int, ...]) -> Learner:
    """Fresh parameters (from `key`) and optimiser state."""
    params = make_network(config, action).init(key, jnp.zeros(obs_shape, jnp.float32))
    return Learner(params, make_optimizer(config).init(params))


def gae(traj: Transition, last_value: jax.Array, gamma: float, lam: float) -> tuple[jax.Array, jax.Array]:
    """Generalised advantage estimates and value targets; `done` cuts the bootstrap."""

    def body(carry, t):
        next_adv, next_value = carry
        not_done = 1.0 - t.done.astype(t.value.dtype)
        delta = t.reward + gamma * next_value * not_done - t.value
        adv = delta + gamma * lam * not_done * next_adv
        return (adv, t.value), adv

    last_value = last_value.astype(traj.value.dtype)
    _, advantages = jax.lax.scan(body, (jnp.zeros_like(last_value), last_value), traj, reverse=True)
    return advantages, advantages + traj.value


def episode_returns(ep_return, reward, done):
    """Returns of the episodes that ended in a rollout (`reward`, `done`: (steps, envs)).

    `ep_return` holds each environment's return so far; returns (its value after the rollout,
    the sum of the returns of the episodes that ended, how many ended).
    """

    def body(running, step):
        r, d = step
        running = running + r
        return jnp.where(d, 0.0, running), jnp.where(d, running, 0.0)

    ep_return, finished = jax.lax.scan(body, ep_return, (reward, done))
    return ep_return, finished.sum(), done.sum()


def make_update(config: PPOConfig, action: network.ActionSpec, axis_name: str | None = None):
    """update(learner, traj, last_value, key) -> (learner, metrics): one PPO update from one rollout.

    With `axis_name`, gradients are averaged over that mapped axis (data parallelism:
    each device holds a slice of the environments and all keep the same parameters).
    """
    net = make_network(config, action)
    tx = make_optimizer(config)

    def loss_fn(params, batch, advantages, targets):
        dist, value = net.apply(params, batch.obs)
        dist = network.masked(action, dist, batch.mask)
        logp = network.log_prob(action, dist, batch.action)
        ratio = jnp.exp(logp - batch.log_prob)
        adv = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        policy_loss = -jnp.minimum(ratio * adv, jnp.clip(ratio, 1 - config.clip_eps, 1 + config.clip_eps) * adv).mean()
        value_clipped = batch.value + jnp.clip(value - batch.value, -config.clip_eps, config.clip_eps)
        value_loss = 0.5 * jnp.maximum(jnp.square(value - targets), jnp.square(value_clipped - targets)).mean()
        ent = network.entropy(action, dist).mean()
        total = policy_loss + config.vf_coef * value_loss - config.ent_coef * ent
        return total, (policy_loss, value_loss, ent)

    grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

    def minibatch_step(learner: Learner, mb):
        batch, advantages, targets = mb
        (total, aux), grads = grad_fn(learner.params, batch, advantages, targets)
        if axis_name is not None:
            grads = jax.lax.pmean(grads, axis_name)
        updates, opt_state = tx.update(grads, learner.opt_state, learner.params)
        return Learner(optax.apply_updates(learner.params, updates), opt_state), jnp.stack([total, *aux])

    def update(learner: Learner, traj: Transition, last_value, key):
        advantages, targets = gae(traj, last_value, config.gamma, config.gae_lambda)
        n = traj.reward.shape[0] * traj.reward.shape[1]
        flat = jax.tree.map(lambda x: x.reshape(n, *x.shape[2:]), (traj, advantages, targets))
        num_mb = config.num_minibatches

        def epoch(learner, k):
            perm = jax.random.permutation(k, n)
            shuffled = jax.tree.map(lambda x: jnp.take(x, perm, axis=0).reshape(num_mb, -1, *x.shape[1:]), flat)
            return jax.lax.scan(minibatch_step, learner, shuffled)

        learner, losses = jax.lax.scan(epoch, learner, jax.random.split(key, config.update_epochs))
        return learner, losses.reshape(-1, 4).mean(axis=0)  # total, policy, value, entropy

    return update
