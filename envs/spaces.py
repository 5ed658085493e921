"""Action and observation spaces of the JAX translations (gymnax-style, jittable).

Once gymnax is imported, the spaces made are also instances of gymnax's own `Discrete` and `Box`,
so gymnax's wrappers, which check the space's class (`FlattenObservationWrapper`,
`StickyActionWrapper`), accept the translations unchanged. gymnax is never imported here: it takes
seconds, and a process that has not imported it has no wrapper to satisfy.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields
from typing import Any

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np


_GYMNAX_KIN: dict[type, type] = {}


class _GymnaxKin:
    """Makes each instance of a subclass also an instance of gymnax's space of the same name, once gymnax is loaded.

    A space made before gymnax was imported and one made after are equal, and pickle as the plain class.
    """

    def __new__(cls, *args, **kwargs):
        gymnax_spaces = sys.modules.get("gymnax.environments.spaces")
        base = getattr(gymnax_spaces, cls.__name__, None)
        if base is not None and not issubclass(cls, base):
            if cls not in _GYMNAX_KIN:
                # Ours first in the MRO: our dataclass __init__, fields and methods.
                attrs = {"__module__": cls.__module__, "__qualname__": cls.__qualname__, "_plain": cls}
                _GYMNAX_KIN[cls] = type(cls.__name__, (cls, base), attrs)
            cls = _GYMNAX_KIN[cls]
        return object.__new__(cls)

    def _key(self):
        plain = getattr(type(self), "_plain", type(self))
        return plain, tuple(getattr(self, f.name) for f in fields(self))

    def __eq__(self, other):
        return isinstance(other, _GymnaxKin) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __reduce__(self):
        plain, values = self._key()
        return plain, values


@dataclass(frozen=True, eq=False)
class Discrete(_GymnaxKin):
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


@dataclass(frozen=True, eq=False)
class Box(_GymnaxKin):
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
