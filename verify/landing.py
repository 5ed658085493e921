"""Edge landings: states from which one step lands a field exactly on one of its edges.

A termination test `x > 2.4` and a wrong `x >= 2.4` differ only when the new x is
exactly 2.4, and random states almost never step there. For each field with edges,
this searches (by k-section over the float's ordered bit patterns, using the
translation's own vectorised step) for a value of that field which, from a given
state with a given action, makes the *next* value of the field equal the edge, in
float64 and at the edge's float32 rounding (a port may compute that part in float32).
L1 then compares reference and translation from each landing state found.

The search assumes the next value moves monotonically with the current one near
the edge (true of positions and velocities integrated over one step); where it
does not, or no float lands exactly, that case is simply not found.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from verify.lockstep import Lockstep

POINTS = 64  # states evaluated per round of the search
ROUNDS = 14  # 64 ** 11 > 2 ** 64: enough to close any float64 interval down to adjacent floats
_SIGN = np.int64(0x7FFFFFFFFFFFFFFF)


def _ordinal(x: float) -> int:
    """An integer that orders float64 values as the values order (negative floats reversed)."""
    i = int(np.float64(x).view(np.int64))
    return i if i >= 0 else -(i & int(_SIGN))


def _from_ordinal(o: int) -> float:
    bits = o if o >= 0 else (-o) | (1 << 63)
    return float(np.array([bits], dtype=np.uint64).view(np.float64)[0])


def probe_actions(space: Any) -> list[np.ndarray]:
    """Every discrete action; for a box, its low and high corners and its centre."""
    if hasattr(space, "n"):
        return [np.asarray(a, np.int32) for a in range(int(space.n))]
    low = np.broadcast_to(np.asarray(space.low, np.float32), space.shape)
    high = np.broadcast_to(np.asarray(space.high, np.float32), space.shape)
    return [low.copy(), ((low + high) / 2).astype(np.float32), high.copy()]


def _without(state: dict, name: str) -> tuple:
    return tuple((k, np.asarray(v).tobytes()) for k, v in sorted(state.items()) if k != name)


def _stack(trees: list[Any]) -> Any:
    return jax.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *trees)


def _search(
    lock: Lockstep, base: dict, name: str, low: float, high: float, target: float, action, draws, last: bool
) -> dict | None:
    """A state like `base` whose `name` steps exactly to `target` with `action` and `draws`, or None.

    With `last`, the largest such value of the field, else the smallest: where the next
    value is clipped at the edge (a wall), only the one where the unclipped value meets
    the edge exercises the comparison with it.
    """
    dtype = np.asarray(base[name]).dtype
    canonical = lock.port.canonical_state or (lambda s: s)

    def state_at(o: int) -> dict:
        return canonical({**base, name: np.asarray(_from_ordinal(o), dtype)})

    def next_values(ordinals: list[int]) -> np.ndarray:
        states = [state_at(o) for o in ordinals]
        n = len(states)
        out = lock.translation_steps(states, np.stack([action] * n), _stack([draws] * n), POINTS)
        return np.asarray([np.asarray(o.state[name], np.float64) for o in out])

    lo, hi = _ordinal(low), _ordinal(high)
    for _ in range(ROUNDS):
        if hi - lo < POINTS:
            ordinals = list(range(lo, hi + 1))
            hits = [o for o, v in zip(ordinals, next_values(ordinals)) if v == target]
            return state_at(hits[-1] if last else hits[0]) if hits else None
        ordinals = sorted({lo + (hi - lo) * k // (POINTS - 1) for k in range(POINTS)})
        values = next_values(ordinals)
        if not np.all(np.isfinite(values)):
            return None
        increasing = values[-1] >= values[0]
        if last:  # the boundary of {next > target}, seen from below
            beyond = values > target if increasing else values < target
        else:  # the boundary of {next >= target}
            beyond = values >= target if increasing else values <= target
        if not beyond.any():
            return None  # the edge is not reached from this state with this action
        first = int(np.argmax(beyond))
        if first == 0:
            if last or values[0] != target:
                return None
            return state_at(ordinals[0])
        lo, hi = ordinals[first - 1], ordinals[first]
    return None


def landing_cases(lock: Lockstep, bases: list[dict], seed: int = 0, limit: int = 160) -> list[tuple[dict, np.ndarray, dict]]:
    """(state, action, draws) triples whose step lands an edged field exactly on an edge.

    `bases` are the states to start from (their edged field is replaced by the search);
    at most `limit` cases are returned.
    """
    port = lock.port
    canonical = port.canonical_state or (lambda s: s)
    bases = [canonical(b) for b in bases]
    fields = [f for f in port.state_fields if f.edges and f.kind == "float" and not f.shape]
    cases: list[tuple[dict, np.ndarray, dict]] = []
    key = jax.random.PRNGKey(seed)
    for f in fields:
        low = -1e6 if f.low is None else float(f.low)
        high = 1e6 if f.high is None else float(f.high)
        targets = sorted({float(e) for e in f.edges} | {float(np.float32(e)) for e in f.edges})
        distinct = {_without(b, f.name): b for b in bases}  # the searched field is replaced anyway
        for target in targets:
            for base in distinct.values():
                for action in probe_actions(lock.env.action_space(lock.params)):
                    key, sub = jax.random.split(key)
                    draws = lock.draws_for_state(sub, base)
                    for last in (False, True):
                        state = _search(lock, base, f.name, low, high, target, action, draws, last)
                        if state is not None:
                            cases.append((state, action, draws))
                        if len(cases) >= limit:
                            return cases
    return cases
