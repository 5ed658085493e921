"""A stand-in for a reference's random generator that answers from a translation's draws.

While verifying, the reference's `np_random` is swapped for a `TapeGenerator`
holding the draws the translation used for the same reset or step, so both sides
consume the same random numbers (docs/design.md, randomness contract). Draws hold standard
variates: 'uniform' numbers in [0, 1), 'integers' as the drawn integers,
'normal' standard normals; the tape maps them the way numpy does
(`uniform(low, high)` is `low + (high - low) * u`).

A call the tape cannot answer, a draw of the wrong kind or shape, or draws left
over all raise `TapeError`, naming the call: it means the two implementations
consume randomness differently.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
from typing import Any, Sequence

import numpy as np

from envs.spec import DrawSpec


class TapeError(AssertionError):
    """The reference asked for randomness the translation's draws do not provide (or left some unused)."""


# Frames of these files are the tape's plumbing, not the reference's code.
_PLUMBING_FILES = {os.path.abspath(__file__), os.path.abspath(random.__file__), os.path.abspath(contextlib.__file__)}
_PLUMBING_PARTS = (os.path.join("envs", "reference_rng.py"), os.path.join("numpy", "random", ""))


def reference_line() -> str:
    """' at FILE:LINE (`source`)' of the innermost caller outside the tape's plumbing: the reference's call."""
    import linecache

    frame = sys._getframe(1)
    while frame is not None:
        path = frame.f_code.co_filename
        if os.path.abspath(path) not in _PLUMBING_FILES and not any(part in path for part in _PLUMBING_PARTS):
            line = linecache.getline(path, frame.f_lineno).strip()
            return f" at {path}:{frame.f_lineno}" + (f" (`{line}`)" if line else "")
        frame = frame.f_back
    return ""


class TapeGenerator:
    """Answers numpy Generator / RandomState calls from a list of recorded draws, in order."""

    def __init__(self, entries: Sequence[tuple[DrawSpec, Any]], label: str = "step"):
        self._entries = [(spec, np.asarray(value)) for spec, value in entries]
        self._label = label
        self.calls: list[str] = []
        self.used: list[str] = []  # names of the draws that answered a call, in order

    # ----- bookkeeping ----------------------------------------------------
    def _take(self, call: str, kind: str, shape: tuple[int, ...]) -> np.ndarray:
        self.calls.append(call)
        # An optional draw (DrawSpec.optional) the reference did not ask for this time is passed over.
        while self._entries and self._entries[0][0].optional and not self._fits(self._entries[0], kind, shape):
            self._entries.pop(0)
        if not self._entries:
            raise TapeError(
                f"the reference called np_random.{call}{reference_line()} during {self._label}, "
                "but the translation's draws are used up: the translation draws fewer random numbers"
            )
        spec, value = self._entries.pop(0)
        if spec.kind != kind:
            raise TapeError(
                f"the reference called np_random.{call}{reference_line()} during {self._label}, but the next draw "
                f"{spec.name!r} holds {spec.kind} numbers, not {kind}"
            )
        if tuple(value.shape) != tuple(shape):
            raise TapeError(
                f"the reference called np_random.{call}{reference_line()} during {self._label} for shape {tuple(shape)}, "
                f"but draw {spec.name!r} has shape {tuple(value.shape)}"
            )
        self.used.append(spec.name)
        return value

    @staticmethod
    def _fits(entry: tuple[DrawSpec, np.ndarray], kind: str, shape: tuple[int, ...]) -> bool:
        spec, value = entry
        return spec.kind == kind and tuple(value.shape) == tuple(shape)

    def finish(self) -> None:
        """Fail if draws are left: the translation drew random numbers the reference never used.

        Optional draws (consumed only when an event happens) may be left.
        """
        left = [spec for spec, _ in self._entries if not spec.optional]
        if left:
            names = ", ".join(spec.name for spec in left)
            raise TapeError(f"draws left unused after {self._label}: {names} (the reference made calls {self.calls})")

    @staticmethod
    def _shape(size, *params) -> tuple[int, ...]:
        if size is None:
            return np.broadcast(*[np.asarray(p) for p in params]).shape if params else ()
        return (size,) if np.isscalar(size) else tuple(size)

    @staticmethod
    def _out(value: np.ndarray, size) -> Any:
        # A fresh, writable array, as numpy returns (references update draws in place: `speeds *= dirs`).
        return value.item() if size is None and value.shape == () else np.array(value)

    # ----- numpy.random.Generator ------------------------------------------
    def random(self, size=None, dtype=np.float64, out=None):
        u = self._take(f"random(size={size})", "uniform", self._shape(size))
        return self._out(np.asarray(u, np.float64), size)

    def uniform(self, low=0.0, high=1.0, size=None):
        low_a, high_a = np.asarray(low, np.float64), np.asarray(high, np.float64)
        u = self._take(f"uniform(low={low}, high={high}, size={size})", "uniform", self._shape(size, low_a, high_a))
        return self._out(low_a + (high_a - low_a) * np.asarray(u, np.float64), size)

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        if high is None:
            low, high = 0, low
        top = np.asarray(high) + (1 if endpoint else 0)
        call = f"integers(low={low}, high={high}, size={size}, endpoint={endpoint})"
        value = self._take(call, "integers", self._shape(size, low, high))
        if np.any(value < low) or np.any(value >= top):
            raise TapeError(f"draw for np_random.{call} holds {value}, outside [{low}, {top})")
        return self._out(np.asarray(value, dtype), size)

    def normal(self, loc=0.0, scale=1.0, size=None):
        loc_a, scale_a = np.asarray(loc, np.float64), np.asarray(scale, np.float64)
        z = self._take(f"normal(loc={loc}, scale={scale}, size={size})", "normal", self._shape(size, loc_a, scale_a))
        return self._out(loc_a + scale_a * np.asarray(z, np.float64), size)

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        return self.normal(0.0, 1.0, size)

    def choice(self, a, size=None, replace=True, p=None, axis=0, shuffle=True):
        n = int(a) if np.isscalar(a) else len(a)
        index = self._take(f"choice(a={a!r}, size={size}, p={p})", "integers", self._shape(size))
        if np.any(index < 0) or np.any(index >= n):
            raise TapeError(f"draw for np_random.choice over {n} items holds index {index}")
        return self._out(np.asarray(index), size) if np.isscalar(a) else np.asarray(a)[index]

    def permutation(self, x):
        n = int(x) if np.isscalar(x) else len(x)
        order = self._permutation_draw(f"permutation({x if np.isscalar(x) else f'<{n} items>'})", n)
        return order if np.isscalar(x) else np.asarray(x)[order]

    def shuffle(self, x, axis=0):
        order = self._permutation_draw(f"shuffle(<{len(x)} items>)", len(x))
        x[:] = np.asarray(x)[order] if isinstance(x, np.ndarray) else [x[i] for i in order]

    def _permutation_draw(self, call: str, n: int) -> np.ndarray:
        order = np.asarray(self._take(call, "integers", (n,)))
        if sorted(order.tolist()) != list(range(n)):
            raise TapeError(f"draw for np_random.{call} holds {order.tolist()}, not a permutation of 0..{n - 1}")
        return order

    # ----- numpy.random.RandomState aliases ----------------------------------
    def rand(self, *shape):
        return self.random(shape if shape else None)

    def random_sample(self, size=None):
        return self.random(size)

    def randint(self, low, high=None, size=None, dtype=int):
        return self.integers(low, high, size, dtype)

    def randn(self, *shape):
        return self.normal(0.0, 1.0, shape if shape else None)

    def unsupported(self, call: str):
        """Fail on a call the tape cannot answer, naming it and the reference's line."""
        raise TapeError(f"the reference called {call}{reference_line()} during {self._label}, which the randomness tape "
                        "cannot answer: draw through np_random's random, uniform, integers, normal, choice, permutation or "
                        "shuffle (or Python's random, uniform, randint, randrange, choice, gauss, shuffle)")

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        self.unsupported(f"np_random.{name}")


def match_draws(specs: Sequence[DrawSpec], calls: Sequence[tuple[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Which draw answers each of a reference's recorded calls `(kind, value)`, by the tape's rules.

    Optional draws whose kind or shape do not fit the next call are passed over, as the
    tape passes them over; a call no draw fits raises TapeError.
    """
    pending = list(specs)
    answered: dict[str, np.ndarray] = {}
    for kind, value in calls:
        value = np.asarray(value)
        while pending and pending[0].optional and not TapeGenerator._fits((pending[0], np.zeros(pending[0].shape)), kind, value.shape):
            pending.pop(0)
        if not pending or not TapeGenerator._fits((pending[0], np.zeros(pending[0].shape)), kind, value.shape):
            raise TapeError(f"no draw answers the recorded call {kind}{tuple(value.shape)} (left: {[s.name for s in pending]})")
        answered[pending.pop(0).name] = value
    return answered


def tape_for(port, phase: str, draws: dict) -> TapeGenerator:
    """A tape holding `draws` (a dict name -> array) in the order the port's metadata gives for `phase`."""
    specs = port.draws_for(phase)
    missing = [s.name for s in specs if s.name not in draws]
    if missing:
        raise TapeError(f"the translation's {phase} draws lack {missing} named in the port metadata")
    return TapeGenerator([(s, draws[s.name]) for s in specs], label=phase)
