"""A reference adapter without hand-written code: a reference's state read and written by attribute path.

`snapshot(env)` collects every plain attribute (numbers, arrays, booleans, strings, None, and lists, tuples
and dicts of them) of the environment, of the objects of its own package it holds (a game inside a wrapper),
and of its wrappers' counters, each under a path: `unwrapped.position`, `unwrapped.game.move_timer`,
`TimeLimit._elapsed_steps`. Generators, spaces and callables are left out.

`generic_adapter(fields)` turns paths into a port's `get_state` / `set_state`: `fields` maps each state field
to its path (`{"position": "unwrapped.position", "time": "TimeLimit._elapsed_steps"}`), so a user or an agent
narrows the state to what matters and names it as the translation does. `verify.roundtrip` (L0's
`adapter.complete`) then checks that nothing the future depends on was left out.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import numpy as np

_PLAIN = (bool, int, float, complex, str, bytes, type(None), np.generic, np.ndarray)
SKIPPED_ATTRIBUTES = {"np_random", "_np_random", "spec", "_spec", "metadata", "render_mode", "unwrapped"}
_WRAPPER_LINKS = {"env", "_env"}  # a wrapper's link to the next one: followed, not read


def is_plain(value: Any, depth: int = 0) -> bool:
    """Whether `value` is state-like data: numbers, arrays, strings, None, and containers of them."""
    if isinstance(value, _PLAIN):
        return True
    if depth < 4 and isinstance(value, (list, tuple)):
        return all(is_plain(v, depth + 1) for v in value)
    if depth < 4 and isinstance(value, dict):
        return all(isinstance(k, (str, int)) and is_plain(v, depth + 1) for k, v in value.items())
    return False


def _wrappers(env: Any) -> list[Any]:
    found, inner = [], env
    while hasattr(inner, "env") and inner is not getattr(env, "unwrapped", env):
        found.append(inner)
        inner = inner.env
    return found


def snapshot(env: Any) -> dict[str, Any]:
    """Path -> deep copy of every plain attribute of the reference (see the module docstring)."""
    out: dict[str, Any] = {}
    for wrapper in _wrappers(env):
        for name, value in vars(wrapper).items():
            if name not in SKIPPED_ATTRIBUTES | _WRAPPER_LINKS and is_plain(value):
                out.setdefault(f"{type(wrapper).__name__}.{name}", copy.deepcopy(value))
    base = getattr(env, "unwrapped", env)
    top = type(base).__module__.partition(".")[0]
    seen: list[Any] = []

    def visit(obj: Any, path: str, depth: int) -> None:
        if any(obj is s for s in seen):
            return
        seen.append(obj)
        for name, value in vars(obj).items():
            if name in SKIPPED_ATTRIBUTES:
                continue
            if is_plain(value):
                out[f"{path}.{name}"] = copy.deepcopy(value)
            elif depth < 3 and hasattr(value, "__dict__") and type(value).__module__.partition(".")[0] == top:
                visit(value, f"{path}.{name}", depth + 1)

    visit(base, "unwrapped", 0)
    return out


def _owner(env: Any, path: str) -> tuple[Any, str]:
    """The object holding the attribute at `path`, and the attribute's name."""
    head, *middle, last = path.split(".")
    if head == "unwrapped":
        obj = getattr(env, "unwrapped", env)
    else:
        matches = [w for w in _wrappers(env) if type(w).__name__ == head]
        if not matches:
            raise KeyError(f"{path}: the reference has no {head} wrapper")
        obj = matches[0]
    for part in middle:
        obj = getattr(obj, part)
    return obj, last


def generic_adapter(fields: dict[str, str]) -> tuple[Callable[[Any], dict[str, np.ndarray]], Callable[[Any, dict], None]]:
    """(get_state, set_state) reading and writing the reference's attributes at `fields`' paths (field -> path).

    Values are read as numpy arrays; written back as the attribute's own kind (a Python float stays a float,
    an array keeps its dtype), so the reference computes as it would from its own state.
    """

    def get_state(env: Any) -> dict[str, np.ndarray]:
        state = {}
        for name, path in fields.items():
            owner, attr = _owner(env, path)
            value = getattr(owner, attr)
            # a copy: the reference updates its arrays in place (`hp[i] -= 1`), which must not reach a state read before
            state[name] = np.array(np.nan if value is None else value)
        return state

    def set_state(env: Any, state: dict[str, np.ndarray]) -> None:
        for name, path in fields.items():
            owner, attr = _owner(env, path)
            current, value = getattr(owner, attr), np.asarray(state[name])
            if isinstance(current, np.ndarray):
                new = np.array(value, dtype=current.dtype)
            elif isinstance(current, (bool, np.bool_)):
                new = type(current)(bool(value))
            elif isinstance(current, (int, np.integer)) and not isinstance(current, bool):
                new = type(current)(int(value))
            elif isinstance(current, (float, np.floating)):
                new = type(current)(float(value))
            else:
                new = value.item() if value.shape == () else value
            setattr(owner, attr, new)

    return get_state, set_state
