"""A stand-in for a reference's random generator that answers from a translation's draws.

While verifying, the reference's `np_random` is swapped for a `TapeGenerator`
holding the draws the translation used for the same reset or step, so both sides
consume the same random numbers (docs/design.md, randomness contract). Draws hold standard
variates: 'uniform' numbers in [0, 1), 'integers' as the drawn integers,
'normal' standard normals, 'index' uniforms answering `integers(low, high)` with
`low + floor(u * (high - low))`; the tape maps them the way numpy does
(`uniform(low, high)` is `low + (high - low) * u`). An up_to draw answers up to
its first axis's length in calls, one element each. A shuffle or permutation of n
items takes an `integers` draw of shape (n,) holding the permutation, or a
'uniform' draw of shape (N,), n <= N, as *ranked uniforms*: the order is the
stable argsort of its first n numbers (`ranked_order`).

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


# Which draw kinds answer which kind of call: a ranged integer call ("integers": integers, randint, choice)
# from the drawn integers or from an 'index' draw's uniform; a permutation from drawn integers or from ranked
# uniforms (a 'uniform' draw of shape (N,) answering a permutation of n <= N items).
ANSWERS = {"uniform": ("uniform",), "normal": ("normal",), "integers": ("integers", "index"),
           "permutation": ("integers", "uniform")}


def index_in_range(u: Any, low: Any, high: Any) -> np.ndarray:
    """`low + floor(u * (high - low))` in float64: an 'index' draw's answer to `integers(low, high)`
    (as `envs.jax_env.uniform_index` computes it)."""
    span = np.asarray(high) - np.asarray(low)
    index = np.floor(np.asarray(u, np.float64) * span).astype(np.int64)
    return np.asarray(low) + np.minimum(index, span - 1)


def ranked_order(u: Any, n: int) -> np.ndarray:
    """The permutation ranked uniforms `u` (shape (N,), N >= n) stand for: the stable argsort of the first n
    (as `envs.jax_random.ranked_permutation` computes it)."""
    return np.argsort(np.asarray(u, np.float64)[:n], kind="stable")


def ranked(spec: DrawSpec, call_kind: str) -> bool:
    """Whether draw `spec` answers a call of `call_kind` as ranked uniforms (a permutation from a uniform draw)."""
    return call_kind == "permutation" and spec.kind == "uniform"


def fits(spec: DrawSpec, call_kind: str, shape: tuple[int, ...]) -> bool:
    """Whether a call of `call_kind` for `shape` can take (the next element of) draw `spec`."""
    if spec.kind not in ANSWERS[call_kind]:
        return False
    if ranked(spec, call_kind):
        element = tuple(spec.element_shape)
        return len(element) == 1 and len(shape) == 1 and shape[0] <= element[0]
    return tuple(spec.element_shape) == tuple(shape)


class _Entry:
    """A draw on the tape, with how many of an up_to draw's elements are used."""

    def __init__(self, spec: DrawSpec, value: Any):
        self.spec, self.value, self.taken = spec, np.asarray(value), 0

    def passable(self) -> bool:
        """Whether the tape may move past it unused (optional) or with some elements used (up_to)."""
        return self.spec.optional or self.spec.up_to

    def take(self) -> tuple[str, np.ndarray]:
        if not self.spec.up_to:
            return self.spec.name, self.value
        self.taken += 1
        return f"{self.spec.name}[{self.taken - 1}]", self.value[self.taken - 1]

    def exhausted(self) -> bool:
        return not self.spec.up_to or self.taken >= self.spec.shape[0]


class TapeGenerator:
    """Answers numpy Generator / RandomState calls from a list of recorded draws, in order."""

    def __init__(self, entries: Sequence[tuple[DrawSpec, Any]], label: str = "step"):
        self._entries = [_Entry(spec, value) for spec, value in entries]
        self._label = label
        self.calls: list[str] = []
        self.used: list[str] = []  # names of the draws that answered a call, in order (`name[j]`: an up_to element)

    # ----- bookkeeping ----------------------------------------------------
    def _take(self, call: str, kind: str, shape: tuple[int, ...]) -> tuple[DrawSpec, np.ndarray]:
        """The draw (its spec and value) that answers the reference's `call`, a call of `kind` for `shape`."""
        self.calls.append(call)
        # An optional draw the reference did not ask for this time, or an up_to draw it asked for all it
        # wanted of, is passed over.
        while self._entries and self._entries[0].passable() and not fits(self._entries[0].spec, kind, shape):
            self._entries.pop(0)
        if not self._entries:
            raise TapeError(
                f"the reference called np_random.{call}{reference_line()} during {self._label}, "
                "but the translation's draws are used up: the translation draws fewer random numbers"
            )
        entry = self._entries[0]
        spec = entry.spec
        if spec.kind not in ANSWERS[kind]:
            raise TapeError(
                f"the reference called np_random.{call}{reference_line()} during {self._label}, but the next draw "
                f"{spec.name!r} holds {spec.kind} numbers, which do not answer it"
            )
        if not fits(spec, kind, shape) or tuple(entry.value.shape) != tuple(spec.shape):
            raise TapeError(
                f"the reference called np_random.{call}{reference_line()} during {self._label} for shape {tuple(shape)}, "
                f"but draw {spec.name!r} has shape {tuple(entry.value.shape)}"
                + (f" (elements of shape {spec.element_shape})" if spec.up_to else "")
                + (f": ranked uniforms answer a permutation of at most {spec.element_shape[0]} items"
                   if ranked(spec, kind) else "")
            )
        name, value = entry.take()
        if entry.exhausted():
            self._entries.pop(0)
        self.used.append(name)
        return spec, value

    def finish(self) -> None:
        """Fail if draws are left: the translation drew random numbers the reference never used.

        Optional draws (consumed only when an event happens) and up_to draws' elements may be left.
        """
        left = [entry.spec for entry in self._entries if not entry.passable()]
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
        _, u = self._take(f"random(size={size})", "uniform", self._shape(size))
        return self._out(np.asarray(u, np.float64), size)

    def uniform(self, low=0.0, high=1.0, size=None):
        low_a, high_a = np.asarray(low, np.float64), np.asarray(high, np.float64)
        _, u = self._take(f"uniform(low={low}, high={high}, size={size})", "uniform", self._shape(size, low_a, high_a))
        return self._out(low_a + (high_a - low_a) * np.asarray(u, np.float64), size)

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        if high is None:
            low, high = 0, low
        top = np.asarray(high) + (1 if endpoint else 0)
        call = f"integers(low={low}, high={high}, size={size}, endpoint={endpoint})"
        spec, value = self._take(call, "integers", self._shape(size, low, high))
        if spec.kind == "index":
            value = self._index(call, value, low, top)
        if np.any(value < low) or np.any(value >= top):
            raise TapeError(f"draw for np_random.{call} holds {value}, outside [{low}, {top})")
        return self._out(np.asarray(value, dtype), size)

    def normal(self, loc=0.0, scale=1.0, size=None):
        loc_a, scale_a = np.asarray(loc, np.float64), np.asarray(scale, np.float64)
        _, z = self._take(f"normal(loc={loc}, scale={scale}, size={size})", "normal", self._shape(size, loc_a, scale_a))
        return self._out(loc_a + scale_a * np.asarray(z, np.float64), size)

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        return self.normal(0.0, 1.0, size)

    def choice(self, a, size=None, replace=True, p=None, axis=0, shuffle=True):
        n = int(a) if np.isscalar(a) else len(a)
        call = f"choice(a={a!r}, size={size}, p={p})"
        spec, index = self._take(call, "integers", self._shape(size))
        if spec.kind == "index":
            index = self._index(call, index, 0, n)
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
        spec, value = self._take(call, "permutation", (n,))
        if spec.kind == "uniform":
            u = np.asarray(value, np.float64)[:n]
            if np.any(u < 0) or np.any(u >= 1):
                raise TapeError(f"the ranked uniforms for np_random.{call}{reference_line()} hold {u}, outside [0, 1)")
            return ranked_order(u, n)
        order = np.asarray(value)
        if sorted(order.tolist()) != list(range(n)):
            raise TapeError(f"draw for np_random.{call} holds {order.tolist()}, not a permutation of 0..{n - 1}")
        return order

    def _index(self, call: str, u: np.ndarray, low: Any, top: Any) -> np.ndarray:
        """An 'index' draw's uniform u as the integer in [low, top) it stands for."""
        if np.any(u < 0) or np.any(u >= 1):
            raise TapeError(f"the 'index' draw for np_random.{call} holds {u}, outside [0, 1)")
        return index_in_range(u, low, top)

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


def match_draws(specs: Sequence[DrawSpec], calls: Sequence[tuple], permutations: set | None = None) -> dict[str, np.ndarray]:
    """Which draw answers each of a reference's recorded calls `(kind, value)`, by the tape's rules.

    Calls recorded by `verify.draw_samples.RecordingGenerator` also say whether they were a
    permutation (`.permutation`) and, for ranged integer calls, the uniform an 'index' draw
    would have held (`.u`); the answer for an index draw is that uniform. A permutation of n
    items answered by ranked uniforms (a 'uniform' draw of shape (N,)) answers with the
    recorder's ranked uniforms (`.u`, n of them), padded to N with NaN (not drawn). An up_to draw
    answers with the elements it gave, stacked (first axis: the calls). Optional draws whose
    kind or shape do not fit the next call are passed over, as the tape passes them over; a
    call no draw fits raises TapeError. `permutations`, when given, receives the names of the
    draws a permutation call took.
    """
    pending = [_Entry(spec, np.zeros(spec.shape)) for spec in specs]
    answered: dict[str, list] = {}
    for call in calls:
        kind, value = call
        value = np.asarray(value)
        call_kind = "permutation" if getattr(call, "permutation", False) else kind
        while pending and pending[0].passable() and not fits(pending[0].spec, call_kind, value.shape):
            pending.pop(0)
        if not pending or not fits(pending[0].spec, call_kind, value.shape):
            raise TapeError(f"no draw answers the recorded call {kind}{tuple(value.shape)} (left: {[e.spec.name for e in pending]})")
        entry = pending[0]
        entry.take()
        if entry.exhausted():
            pending.pop(0)
        if entry.spec.kind == "index":
            if getattr(call, "u", None) is None:
                raise TapeError(f"the recorded call {kind}{tuple(value.shape)} carries no uniform for index draw {entry.spec.name!r}")
            value = np.asarray(call.u)
        elif ranked(entry.spec, call_kind):
            if getattr(call, "u", None) is None:
                raise TapeError(f"the recorded permutation of {value.shape[0]} items carries no ranked uniforms for draw {entry.spec.name!r}")
            value = np.full(entry.spec.element_shape, np.nan)
            value[: len(call.u)] = call.u
        answered.setdefault(entry.spec.name, []).append(value)
        if call_kind == "permutation" and permutations is not None:
            permutations.add(entry.spec.name)
    return {
        name: np.stack(values) if next(s for s in specs if s.name == name).up_to else values[0]
        for name, values in answered.items()
    }


def tape_for(port, phase: str, draws: dict) -> TapeGenerator:
    """A tape holding `draws` (a dict name -> array) in the order the port's metadata gives for `phase`."""
    specs = port.draws_for(phase)
    missing = [s.name for s in specs if s.name not in draws]
    if missing:
        raise TapeError(f"the translation's {phase} draws lack {missing} named in the port metadata")
    return TapeGenerator([(s, draws[s.name]) for s in specs], label=phase)
