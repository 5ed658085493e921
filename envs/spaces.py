"""Action and observation spaces of the JAX translations (gymnax-style, jittable)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np


@dataclass(frozen=True)
class Discrete:
    """Integers 0 .. n-1."""

    n: int
    dtype: Any = jnp.int32

    @property
    def shape(self) -> tuple[int, ...]:
        return ()

    def sample(self, key: jax.Array) -> jax.Array:
        """A uniformly random action."""
        return jax.random.randint(key, (), 0, self.n).astype(self.dtype)

    def contains(self, x) -> jax.Array:
        """Whether x is a valid action (works on traced values)."""
        x = jnp.asarray(x)
        return jnp.logical_and(x >= 0, x < self.n)

    def to_gymnasium(self) -> gymnasium.spaces.Discrete:
        """The equivalent Gymnasium space."""
        return gymnasium.spaces.Discrete(self.n)


@dataclass(frozen=True)
class Box:
    """A box of floats with per-element bounds."""

    low: Any
    high: Any
    shape: tuple[int, ...]
    dtype: Any = jnp.float32

    def sample(self, key: jax.Array) -> jax.Array:
        """A uniformly random element (bounds must be finite)."""
        low = jnp.broadcast_to(jnp.asarray(self.low, self.dtype), self.shape)
        high = jnp.broadcast_to(jnp.asarray(self.high, self.dtype), self.shape)
        return jax.random.uniform(key, self.shape, self.dtype, low, high)

    def contains(self, x) -> jax.Array:
        """Whether x lies inside the bounds (works on traced values)."""
        x = jnp.asarray(x)
        return jnp.all(jnp.logical_and(x >= self.low, x <= self.high))

    def to_gymnasium(self) -> gymnasium.spaces.Box:
        """The equivalent Gymnasium space."""
        low = np.broadcast_to(np.asarray(self.low, np.dtype(self.dtype)), self.shape)
        high = np.broadcast_to(np.asarray(self.high, np.dtype(self.dtype)), self.shape)
        return gymnasium.spaces.Box(low, high, self.shape, np.dtype(self.dtype))
