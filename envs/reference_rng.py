"""Route every source of randomness a reference uses to one generator, for a while.

Verification replaces a reference's randomness with a tape (or a recording generator), so it must
reach every place a plain Python environment may draw from, without hand-written hooks:

- Gymnasium's `self.np_random` (a `numpy.random.Generator`), and any other `Generator` or legacy
  `numpy.random.RandomState` held by the environment or by objects it holds (a game inside a
  wrapper), answered by the generator itself;
- `random.Random` instances it holds, and Python's module-level `random` functions
  (`random.random()`, or `from random import randint`), answered through `PythonRandomView`,
  which gives the generator Python's semantics (`randint` includes its upper end);
- numpy's legacy global functions (`np.random.rand()`, `np.random.randint(...)`).

A call the generator cannot answer still reaches it, so a tape names the call instead of a real
generator answering it silently.
"""

from __future__ import annotations

import contextlib
import functools
import random
import sys
from types import ModuleType
from typing import Any, Iterator

import numpy as np

_NUMPY_GLOBAL = np.random.mtrand._rand  # the RandomState behind np.random.rand, np.random.randint, ...
_PYTHON_GLOBAL = random._inst  # the Random behind random.random, random.randint, ...


class PythonRandomView:
    """Python's `random.Random` interface over a numpy-style generator (a tape or a recorder)."""

    def __init__(self, generator: Any):
        self._generator = generator

    def random(self):
        return self._generator.random()

    def uniform(self, a, b):
        return self._generator.uniform(a, b)

    def randint(self, a, b):
        """Both ends included, as Python's randint."""
        return int(self._generator.integers(a, b, endpoint=True))

    def randrange(self, start, stop=None, step=1):
        if stop is None:
            start, stop = 0, start
        if step != 1:
            return self._generator.unsupported(f"random.randrange({start}, {stop}, {step}) (a step other than 1)")
        return int(self._generator.integers(start, stop))

    def choice(self, seq):
        return seq[int(self._generator.integers(0, len(seq)))]

    def gauss(self, mu=0.0, sigma=1.0):
        return self._generator.normal(mu, sigma)

    normalvariate = gauss

    def shuffle(self, x):
        self._generator.shuffle(x)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._generator.unsupported(f"random.{name}")


def _deferred(target: Any, name: str):
    """`target.name(...)`, looked up at call time (so an unanswerable call fails when made, naming itself)."""
    return lambda *args, **kwargs: getattr(target, name)(*args, **kwargs)


def held_objects(root: Any, depth: int = 3) -> list[Any]:
    """`root` and the objects reachable through its attributes (to `depth`), directly or inside short lists and
    tuples, whose class comes from the same top-level package (where a game keeps its generator), plus the
    generators themselves."""
    top = type(root).__module__.partition(".")[0]
    seen: list[Any] = []
    seen_ids: set[int] = set()

    def visit(value: Any, level: int) -> None:
        # The cheap rejections come first and recursion only for candidates: a swap walks this twice per
        # reference step, and most attribute values (arrays, floats, spaces' bounds) are rejected at once.
        kind = type(value)
        if kind is list or kind is tuple:
            if len(value) <= 64 and level < depth:
                for item in value:  # players kept in a list, a game's piles of objects
                    visit(item, level)
            return
        if kind.__module__.partition(".")[0] != top or id(value) in seen_ids:
            return
        seen.append(value)
        seen_ids.add(id(value))
        if level < depth:
            for attr in list(getattr(value, "__dict__", {}).values()):
                kind = type(attr)
                if kind is list or kind is tuple or kind.__module__.partition(".")[0] == top:
                    visit(attr, level + 1)

    visit(root, 0)
    return seen


@functools.cache
def _modules_of(classes: tuple[type, ...]) -> tuple[ModuleType, ...]:
    """The modules defining `classes` and their base classes (those a reference's held objects come from)."""
    modules: list[ModuleType] = []
    for cls in dict.fromkeys(c for held in classes for c in held.__mro__):
        module = sys.modules.get(cls.__module__)
        if module is not None and module not in modules and cls.__module__ != "builtins":
            modules.append(module)
    return tuple(modules)


@functools.cache
def _global_functions(module: ModuleType) -> tuple[tuple[str, str, bool], ...]:
    """(attribute, method name, from Python's random?) of `module`'s names bound to Python's or numpy's global
    generator, found once per module (before any swap replaced them)."""
    found = []
    for name, value in list(vars(module).items()):
        owner = getattr(value, "__self__", None)
        if callable(value) and (owner is _PYTHON_GLOBAL or owner is _NUMPY_GLOBAL):
            found.append((name, value.__name__, owner is _PYTHON_GLOBAL))
    return tuple(found)


@functools.cache
def _global_patch_plan(modules: tuple[ModuleType, ...]) -> tuple[tuple[ModuleType, tuple[tuple[str, str, bool], ...]], ...]:
    """(module, its `_global_functions`) for each of `modules` that has any, computed once per set of modules."""
    return tuple((module, found) for module in modules if (found := _global_functions(module)))


@contextlib.contextmanager
def swapped_randomness(env: Any, generator: Any) -> Iterator[None]:
    """Let `generator` answer every random call the reference `env` makes, while the block runs."""
    view = PythonRandomView(generator)
    saved: list[tuple[Any, str, Any]] = []  # the held objects' attributes replaced
    globals_saved: list[tuple[dict, dict]] = []  # (module namespace, its replaced names with their values)

    def patch(owner: Any, name: str, value: Any) -> None:
        saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    try:
        base = getattr(env, "unwrapped", env)
        if hasattr(base, "_np_random"):
            patch(base, "_np_random", generator)
        held = held_objects(base)
        for obj in held:
            for name, value in list(vars(obj).items()):
                if name == "_np_random" and obj is base:
                    continue
                if isinstance(value, (np.random.Generator, np.random.RandomState)):
                    patch(obj, name, generator)
                elif isinstance(value, random.Random):
                    patch(obj, name, view)
        # Module-level functions bound to a global generator: one namespace update per module (a swap runs once
        # per reference step, and numpy and `random` alone bind 70 names).
        modules = tuple(dict.fromkeys((random, np.random, *_modules_of(tuple(type(obj) for obj in held)))))
        for module, found in _global_patch_plan(modules):
            namespace = vars(module)
            globals_saved.append((namespace, {name: namespace[name] for name, _, _ in found}))
            namespace.update({name: _deferred(view if python else generator, method) for name, method, python in found})
        yield
    finally:
        for namespace, values in reversed(globals_saved):
            namespace.update(values)
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)
        _release_new_holders(getattr(env, "unwrapped", env), generator, view, saved)


def _release_new_holders(base: Any, generator: Any, view: Any, saved: list[tuple[Any, str, Any]]) -> None:
    """Give objects created during the swap (a dealer a reset built from the game's generator) the generator
    the stand-in replaced, so the stand-in never outlives the block."""
    originals = [value for _, _, value in saved if isinstance(value, (np.random.Generator, np.random.RandomState))]
    pythons = [value for _, _, value in saved if isinstance(value, random.Random)]
    base_generator = getattr(base, "_np_random", None)
    numpy_original = base_generator if isinstance(base_generator, (np.random.Generator, np.random.RandomState)) else (
        originals[0] if originals else None)
    for obj in held_objects(base):
        for name, value in list(getattr(obj, "__dict__", {}).items()):
            if value is generator and numpy_original is not None:
                setattr(obj, name, numpy_original)
            elif value is view and pythons:
                setattr(obj, name, pythons[0])
