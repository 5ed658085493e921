"""Is the reference adapter complete? `set_state(get_state())` must carry everything the future depends on.

Every level compares from states written by the adapter: an adapter that forgets a field (a timer,
a flag, the time limit's counter) writes states the reference never had, and the comparisons above
it become vacuous for that field. The check, without trusting the adapter:

1. plays an original reference some random steps into an episode, and a second instance a different
   number of steps from another seed, so that anything left unwritten differs between the two;
2. writes the original's state into the second (`set_state(get_state(original))`);
3. compares a snapshot of each instance's whole inner state (`envs.generic_adapter.snapshot`: attributes
   of the environment, of the objects of its own package it holds, and of its wrappers' counters;
   generators, spaces and callables left out) and then steps both for `steps` steps with the same actions and the same
   random numbers (recorded from the original, replayed to the copy), comparing observation,
   reward, flags and snapshots after every step.

A difference names the attribute path (`unwrapped.game.move_timer`), or the step and output.
A port can list attributes that carry no state (`Port.extra["roundtrip_ignore"]`: path -> reason).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from envs.generic_adapter import snapshot
from envs.spec import DrawSpec
from verify.draw_samples import RecordingGenerator
from verify.tape import TapeGenerator

def _same(a: Any, b: Any) -> bool:
    """Equal values of the same dtype (NaN equal to NaN), recursively through lists, tuples and dicts; a sequence
    of numbers equals the array of them (a reference may keep either)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):  # a tuple of numbers against an array of them
        try:
            return _same(np.asarray(a), np.asarray(b))
        except ValueError:
            return False
    if isinstance(a, dict) or isinstance(b, dict):
        return type(a) is type(b) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (np.ndarray, np.generic, float, int)) and isinstance(b, (np.ndarray, np.generic, float, int)):
        x, y = np.asarray(a), np.asarray(b)
        if x.shape != y.shape or x.dtype != y.dtype:
            return False
        return bool(np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"))
    return type(a) is type(b) and a == b


def snapshot_differences(a: dict[str, Any], b: dict[str, Any], ignore: dict[str, str]) -> list[str]:
    """'path: A != B' for every attribute that differs between two snapshots (or exists in one only)."""
    problems = []
    for path in sorted(set(a) | set(b)):
        if path in ignore:
            continue
        if path not in a or path not in b:
            problems.append(f"{path}: present in only one instance")
        elif not _same(a[path], b[path]):
            problems.append(f"{path}: {_short(a[path])} in the original, {_short(b[path])} after set_state")
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _random_actions(env: Any, n: int, rng: np.random.Generator) -> list[Any]:
    space = env.action_space
    if hasattr(space, "n"):
        return [int(a) for a in rng.integers(0, int(space.n), n)]
    return [rng.uniform(space.low, space.high).astype(space.dtype) for _ in range(n)]


def _play(port: Any, env: Any, steps: int, rng: np.random.Generator) -> None:
    """Reset and take up to `steps` random steps (resetting when an episode ends), on real random numbers."""
    with port.swap_randomness(env, RecordingGenerator(rng)):
        env.reset()
        for action in _random_actions(env, steps, rng):
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset()


def adapter_incomplete(port: Any) -> str | None:
    """L0's check: None for a complete adapter, else the problems in one message."""
    problems = check_adapter_round_trip(port)
    return "; ".join(problems) if problems else None


def check_adapter_round_trip(port: Any, steps: int = 20, warmups: tuple[tuple[int, int], ...] = ((7, 10), (16, 3), (30, 12)),
                             seed: int = 0) -> list[str]:
    """The problems found (none when the adapter is complete), over pairs of warm-up lengths (original, copy);
    see the module docstring. The first pair that shows a problem is reported."""
    for trial, (warm_original, warm_copy) in enumerate(warmups):
        problems = _round_trip(port, steps, warm_original, warm_copy, seed + 2 * trial)
        if problems:
            return problems
    return []


def _round_trip(port: Any, steps: int, warm_original: int, warm_copy: int, seed: int) -> list[str]:
    ignore = dict(port.extra.get("roundtrip_ignore", {}))
    rng = np.random.default_rng(seed)
    original, copy_ = port.make_reference(), port.make_reference()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _play(port, original, warm_original, rng)
        _play(port, copy_, warm_copy, np.random.default_rng(seed + 1))
        port.set_state(copy_, port.get_state(original))
        problems = [f"after set_state: {p}" for p in snapshot_differences(snapshot(original), snapshot(copy_), ignore)]
        if problems:
            return problems + ["the adapter's get_state/set_state leave these out: add them as state fields (or list "
                               "attributes that carry no state in Port.extra['roundtrip_ignore'] with the reason)"]
        for t, action in enumerate(_random_actions(original, steps, rng)):
            recorder = RecordingGenerator(rng)
            with port.swap_randomness(original, recorder):
                expected = original.step(action)
            tape = TapeGenerator([(DrawSpec(f"call{i}", kind, np.shape(v), "step"), v) for i, (kind, v) in enumerate(recorder.record)],
                                 label=f"round-trip step {t}")
            with port.swap_randomness(copy_, tape):
                got = copy_.step(action)
            tape.finish()
            for name, a, b in zip(("observation", "reward", "terminated", "truncated"), expected[:4], got[:4]):
                if not _same(a, b):
                    problems.append(f"step {t}: {name} {_short(a)} from the original, {_short(b)} from the written copy")
            if port.action_mask:  # a flag that only decides legality is state too
                a, b = (info.get("action_mask") if isinstance(info, dict) else None for info in (expected[4], got[4]))
                if not _same(a, b):
                    problems.append(f"step {t}: info['action_mask'] {_short(a)} from the original, {_short(b)} from the written copy")
            problems += [f"step {t}: {p}" for p in snapshot_differences(snapshot(original), snapshot(copy_), ignore)]
            if problems or expected[2] or expected[3]:
                break
    return problems
