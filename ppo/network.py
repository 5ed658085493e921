"""The actor-critic network and its action distribution (flax linen).

Two separate MLPs, as PureJaxRL's: the actor gives logits (discrete actions) or the
mean of a diagonal Gaussian with a learned log standard deviation (continuous ones);
the critic gives a value. Orthogonal initialisation, sqrt(2) hidden gain, 0.01 for the
policy head and 1.0 for the value head.
"""

from __future__ import annotations

from dataclasses import dataclass

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax.linen.initializers import constant, orthogonal


@dataclass(frozen=True)
class ActionSpec:
    """What the policy outputs: `n` discrete actions, or a continuous vector of `shape` within [low, high]."""

    discrete: bool
    n: int = 0
    shape: tuple[int, ...] = ()

    @property
    def dim(self) -> int:
        return self.n if self.discrete else int(np.prod(self.shape))


def action_spec_of(space) -> ActionSpec:
    """The ActionSpec of an envport or Gymnasium action space (anything with `n`, or with `shape`)."""
    if hasattr(space, "n"):
        return ActionSpec(True, n=int(space.n))
    if getattr(space, "shape", None):
        return ActionSpec(False, shape=tuple(space.shape))
    raise TypeError(f"PPO supports discrete and box action spaces, not {space!r}")


class ActorCritic(nn.Module):
    """Actor and critic MLPs; returns (distribution parameters, value)."""

    action: ActionSpec
    hidden: tuple[int, ...] = (64, 64)
    activation: str = "tanh"

    @nn.compact
    def __call__(self, obs):
        act = nn.tanh if self.activation == "tanh" else nn.relu
        x = obs.reshape(*obs.shape[:-1], -1) if obs.ndim else obs
        actor, critic = x, x
        for width in self.hidden:
            actor = act(nn.Dense(width, kernel_init=orthogonal(np.sqrt(2)), bias_init=constant(0.0))(actor))
            critic = act(nn.Dense(width, kernel_init=orthogonal(np.sqrt(2)), bias_init=constant(0.0))(critic))
        head = nn.Dense(self.action.dim, kernel_init=orthogonal(0.01), bias_init=constant(0.0))(actor)
        value = nn.Dense(1, kernel_init=orthogonal(1.0), bias_init=constant(0.0))(critic)[..., 0]
        if self.action.discrete:
            return head, value
        log_std = self.param("log_std", constant(0.0), (self.action.dim,))
        return (head, jnp.broadcast_to(log_std, head.shape)), value


# ----- the distribution, as pure functions of the network's output ----------------------------

def flat_obs(obs, batch_ndim: int):
    """Observations as the network takes them: float32, flattened after the `batch_ndim` leading axes
    (a MinAtar grid of 10x10xC booleans becomes 100*C inputs; a vector stays as it is)."""
    return obs.reshape(*obs.shape[:batch_ndim], -1).astype(jnp.float32)


def noise(action: ActionSpec, key, batch_shape: tuple[int, ...] = ()):
    """The random input of one draw from the policy per batch element: a uniform in [0, 1)
    (discrete actions) or a vector of standard normals (continuous ones).

    Drawing a rollout's noise in one call, outside the per-step computation, is what keeps
    each step's program small (`sample_from_noise` then has no random number generation).
    """
    if action.discrete:
        return jax.random.uniform(key, batch_shape)
    return jax.random.normal(key, (*batch_shape, action.dim))


MASKED_LOGIT = -1e9  # the logit of an illegal action: its probability is exactly 0 in float32


def masked(action: ActionSpec, dist, mask):
    """The distribution restricted to the legal actions: logits of illegal actions (`mask` False)
    replaced by MASKED_LOGIT. `mask` None (a port without a mask) leaves `dist` as it is.

    Sampling, log-probabilities, entropy and the greedy action all take the masked logits, so
    an illegal action is never chosen and contributes nothing to the entropy.
    """
    if mask is None or not action.discrete:
        return dist
    return jnp.where(mask, dist, jnp.asarray(MASKED_LOGIT, dist.dtype))


def sample_from_noise(action: ActionSpec, dist, u, mask=None):
    """The action that the policy's distribution gives for the random input `u` (from `noise`).

    Discrete: the inverse of the cumulative distribution (the first action whose cumulative
    probability exceeds u). Continuous: mean + std * u. With a `mask`, `dist` must already be
    masked (`masked`); the rounding of the last cumulative probability below 1 could still pick
    a trailing illegal action for u close to 1, which then becomes the last legal one.
    """
    if action.discrete:
        cdf = jnp.cumsum(jax.nn.softmax(dist, axis=-1), axis=-1)
        a = jnp.minimum(jnp.sum(u[..., None] >= cdf, axis=-1), action.n - 1)
        if mask is not None:
            mask = jnp.broadcast_to(mask, (*a.shape, action.n))
            last_legal = action.n - 1 - jnp.argmax(mask[..., ::-1], axis=-1)
            a = jnp.where(jnp.take_along_axis(mask, a[..., None], axis=-1)[..., 0], a, last_legal)
        return a
    mean, log_std = dist
    return (mean + jnp.exp(log_std) * u.astype(mean.dtype)).reshape(*mean.shape[:-1], *action.shape)


def sample(action: ActionSpec, dist, key, mask=None):
    """An action drawn from the policy (a legal one, with a `mask`)."""
    batch_shape = (dist if action.discrete else dist[0]).shape[:-1]
    return sample_from_noise(action, masked(action, dist, mask), noise(action, key, batch_shape), mask)


def mode(action: ActionSpec, dist, mask=None):
    """The most likely action (greedy evaluation): with a `mask`, the most likely legal one."""
    if action.discrete:
        return jnp.argmax(masked(action, dist, mask), axis=-1)
    mean, _ = dist
    return mean.reshape(*mean.shape[:-1], *action.shape)


def log_prob(action: ActionSpec, dist, a):
    """log pi(a | obs)."""
    if action.discrete:
        logp = jax.nn.log_softmax(dist)
        return jnp.take_along_axis(logp, a[..., None].astype(jnp.int32), axis=-1)[..., 0]
    mean, log_std = dist
    a = a.reshape(mean.shape)
    z = (a - mean) / jnp.exp(log_std)
    return jnp.sum(-0.5 * z**2 - log_std - 0.5 * jnp.log(2 * jnp.pi), axis=-1)


def entropy(action: ActionSpec, dist):
    """Entropy of the policy at each observation."""
    if action.discrete:
        logp = jax.nn.log_softmax(dist)
        return -jnp.sum(jnp.exp(logp) * logp, axis=-1)
    _, log_std = dist
    return jnp.sum(log_std + 0.5 * (1.0 + jnp.log(2 * jnp.pi)), axis=-1)
