"""L1's guided search: states that reach the reference's branches no example reached, then compared.

After L1's examples, `verify.branch_coverage` knows which outcomes of the reference's conditions
no comparison has taken. This searches for states that take them and runs L1's one-step
comparison from every state that does, so a bug inside a rare branch is compared at least once.

The search mutates states towards a chosen branch's condition. It starts from a pool: states
harvested from rollouts, the edge states, and the port's `extra["rare_states"]`. Each probe
takes a state from the pool. The fields that the condition names are set to the constants it
holds, with small steps around them, the field's edges and its bounds. A field is named
when it appears by its name or by the attribute its `StateField.ref` names, as `self.charge`
names a field whose ref is `unwrapped.charge`. A loop variable names the list it runs over
(`fish` in `for fish in reversed(self.e_fish)` names the fields whose ref is `Env.e_fish[i][k]`).
Half the time two entities are also made to meet (`_align`): an item of a named group of
fields (`e_fish_x`, `e_fish_y`, ...; or the scalars `sub_x`, `sub_y`) is put on, or up to two
cells from, an item of another group with the same coordinates, so that a condition comparing
two positions, even of two lists (`fish[0:2] == x[0:2]`), can be met. A probe may instead set
one or two random fields, and may set the uniform step draws onto boundary fractions. The reference alone takes
the probe's step, traced into a scratch record (a probe counts as no coverage). A probe that
takes an untaken outcome, or enters a function not entered before, is compared: the reference
and the translation step from that state with the same draws, and the reference's steps of
that comparison are the ones that count as covered. The state and the state it steps to join
the pool, so conditions that need two steps can be reached. The search stops when every
outcome is taken or declared unreachable (`Port.extra["unreachable_branches"]`), or after
`probes` probes or `seconds` seconds.
"""

from __future__ import annotations

import ast
import functools
import math
import re
import time
from typing import Any

import jax
import numpy as np

from envs.spec import StateField
from verify.branch_coverage import Branch, BranchTracer, source_line
from verify.compare import compare_outcomes
from verify.landing import probe_actions
from verify.properties import BOUNDARY_DRAWS, counterexample_code, edge_states
from verify.reports.model import LevelResult

# The search is bounded by its number of probes, so a verdict never depends on the machine's load; the time
# limit only guards against a reference whose steps hang.
PROBES = 1000  # reference steps the search may try
SECONDS = 300.0
POOL = 32  # harvested states the pool starts with
NUDGES = (-0.1, -1e-2, -1e-3, -1e-6, 0.0, 1e-6, 1e-3, 1e-2, 0.1)


@functools.lru_cache(maxsize=None)
def condition_hints(path: str, first: int, last: int) -> tuple[frozenset[str], tuple[float, ...]]:
    """(names, numeric constants) in the condition on lines `first`..`last` of `path`.

    A name bound by an enclosing `for` loop also brings the names of the loop's iterable:
    in `for fish in reversed(self.e_fish): ... if fish[0:2] == x[0:2]` (with `x` from
    `for x in self.f_bullets`), the condition names `e_fish` and `f_bullets` too, so the fields
    of those lists count as named."""
    text = " ".join(source_line(path, n) for n in range(first, last + 1)).strip()
    keyword = re.match(r"(elif|if|while|for)\b", text)  # `if(x):` as well as `if x:`
    text = text[keyword.end() if keyword else 0:].rstrip(":").strip()
    if keyword and keyword.group(1) == "for" and " in " in text:
        text = text.split(" in ", 1)[1]  # a for loop's header: its iterable
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return frozenset(), ()
    names, constants = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            constants.add(float(node.value))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            if isinstance(node.operand.value, (int, float)):
                constants.add(-float(node.operand.value))
    loops = loop_sources(path, first)
    for name in list(names):
        names |= loops.get(name, frozenset())
    return frozenset(names), tuple(sorted(constants))


@functools.lru_cache(maxsize=None)
def _loops(path: str) -> tuple[tuple[int, int, str, frozenset[str]], ...]:
    """Every `for` loop of the file with a plain name (or names) as target: (first body line, last line, name,
    names in its iterable)."""
    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
    except (OSError, SyntaxError, ValueError):
        return ()
    loops = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.For, ast.AsyncFor)):
            continue
        targets = [t for t in ast.walk(node.target) if isinstance(t, ast.Name)]
        source = frozenset(
            n.attr if isinstance(n, ast.Attribute) else n.id for n in ast.walk(node.iter) if isinstance(n, (ast.Attribute, ast.Name))
        )
        for target in targets:
            loops.append((node.body[0].lineno, node.end_lineno or node.lineno, target.id, source))
    return tuple(loops)


def loop_sources(path: str, line: int) -> dict[str, frozenset[str]]:
    """For each loop variable in scope at `line` of `path`: the names of the loop's iterable (the innermost loop
    that binds the name wins)."""
    found: dict[str, tuple[int, frozenset[str]]] = {}
    for first, last, name, source in _loops(path):
        if first <= line <= last and (name not in found or first > found[name][0]):
            found[name] = (first, source)
    return {name: source for name, (_, source) in found.items()}


def _attribute(f: StateField) -> str:
    """The attribute a field's `ref` names: 'unwrapped.state[0]' -> 'state', 'Env.pos (paddle)' -> 'pos'."""
    head = (f.ref or "").split(" ")[0]
    return head.split(".")[-1].split("[")[0]


def _menu(f: StateField, constants: tuple[float, ...]) -> list[float]:
    low = -math.inf if f.low is None else f.low
    high = math.inf if f.high is None else f.high
    if f.kind == "bool":
        return [0.0, 1.0]
    if f.kind == "int":
        values = {c + d for c in constants for d in (-1, 0, 1)} | {float(e) for e in f.edges}
    else:
        values = {c * (1 + d) + d for c in constants for d in NUDGES} | {float(e) for e in f.edges}
    values |= {v for v in (low, high) if math.isfinite(v)}
    return sorted(v for v in values if low <= v <= high) or [min(max(0.0, low), high)]


def _pick(f: StateField, constants: tuple[float, ...], rng: np.random.Generator) -> Any:
    """One value for a scalar field: from its menu, or uniform within its bounds."""
    low = -1e6 if f.low is None else f.low
    high = 1e6 if f.high is None else f.high
    if f.kind == "bool":
        return bool(rng.integers(2))
    if rng.random() < 0.7:
        menu = _menu(f, constants)
        return menu[int(rng.integers(len(menu)))]
    if f.kind == "int":
        return int(rng.integers(int(low), int(high) + 1))
    return float(rng.uniform(low, high))


def _set(f: StateField, current: Any, constants: tuple[float, ...], rng: np.random.Generator) -> np.ndarray:
    """A new value for field `f`; an array gets one to three elements set, or (one time in three) all of them."""
    if not f.shape:
        return np.asarray(_pick(f, constants, rng), f.dtype)
    array = np.array(current, f.dtype, copy=True).reshape(f.shape)
    flat = array.reshape(-1)
    if rng.random() < 1 / 3:  # a map emptied or filled: `count_nonzero(map) == 0`
        flat[:] = _pick(f, constants, rng)
        return array
    for index in rng.integers(flat.size, size=int(rng.integers(1, 4))):
        flat[index] = _pick(f, constants, rng)
    return array


def _groups(fields: tuple[StateField, ...]) -> dict[str, dict[str, StateField]]:
    """Fields grouped by their name without its last `_part`: `sub_x`, `sub_y` -> group `sub`; the arrays
    `e_fish_x`, `e_fish_y`, `e_fish_move` and the count `e_fish_n` -> group `e_fish` (one entity list)."""
    groups: dict[str, dict[str, StateField]] = {}
    for f in fields:
        prefix, _, suffix = f.name.rpartition("_")
        if prefix:
            groups.setdefault(prefix, {})[suffix] = f
    return groups


def _positions(group: dict[str, StateField]) -> set[str]:
    return {s for s, f in group.items() if f.kind == "int" and s != "n"}


def _item(state: dict, group: dict[str, StateField], rng: np.random.Generator) -> int | None:
    """An index into an entity list's arrays that its count (`_n`) keeps, the count raised where needed; None for a
    group of scalars."""
    arrays = [f for s, f in group.items() if f.shape and s != "n"]
    if not arrays:
        return None
    size = int(np.prod(arrays[0].shape))
    count = group.get("n")
    if count is None:
        return int(rng.integers(size))
    n = int(state[count.name])
    if n <= 0 or rng.random() < 0.25:  # sometimes one past the list's end, so that a list can grow into the meeting
        index = min(max(n, 0), size - 2 if size > 1 else 0)
        state[count.name] = np.asarray(index + 1, count.dtype)
        return index
    return int(rng.integers(min(n, size)))


def _read(state: dict, f: StateField, index: int | None) -> Any:
    """Field `f`'s item `index` (its value, for a scalar field)."""
    return np.asarray(state[f.name]).reshape(-1)[index] if index is not None and f.shape else np.asarray(state[f.name])


def _write(state: dict, f: StateField, index: int | None, value: Any) -> None:
    """Set field `f`'s item `index` (a scalar field: its value), within the field's bounds."""
    index = index if f.shape else None
    if f.low is not None:
        value = max(value, f.low)
    if f.high is not None:
        value = min(value, f.high)
    if index is None:
        state[f.name] = np.asarray(value, f.dtype)
        return
    array = np.array(state[f.name], f.dtype, copy=True)
    array.reshape(-1)[index] = value
    state[f.name] = array


def _align(state: dict, named: list[StateField], fields: tuple[StateField, ...], rng: np.random.Generator) -> None:
    """Make two entities meet: one of a group the condition names (`fish`, a loop over `e_fish`, or `sub_x`,
    `sub_y`) and one of another group with the same integer coordinates (`f_bullets_x`, `f_bullets_y`), the first
    put on the second's cell, give or take up to two cells along one coordinate (both may move before they meet).

    Conditions that compare two positions (`fish[0:2] == x[0:2]`, `sub[0:2] == [self.sub_x, self.sub_y]`)
    need both to meet, and random states almost never put them there. The entities' other attributes are set to
    one of their edges half the time (a move timer at 0: the entity moves this step), and their directions drawn.
    """
    groups = _groups(fields)
    prefixes = sorted({p for p in (f.name.rpartition("_")[0] for f in named) if p in groups and _positions(groups[p])})
    if not prefixes:
        return
    a = prefixes[int(rng.integers(len(prefixes)))]
    partners = sorted(p for p in groups if p != a and _positions(groups[p]) & _positions(groups[a]))
    if not partners:
        return
    preferred = [p for p in partners if p in prefixes]
    pick_from = preferred if preferred and rng.random() < 0.8 else partners
    b = pick_from[int(rng.integers(len(pick_from)))]
    shared = sorted(_positions(groups[a]) & _positions(groups[b]))
    i, j = _item(state, groups[a], rng), _item(state, groups[b], rng)
    shifted = shared[int(rng.integers(len(shared)))] if rng.random() < 0.5 else None
    for s in shared:
        value = int(_read(state, groups[b][s], j)) + (int(rng.integers(-2, 3)) if s == shifted else 0)
        _write(state, groups[a][s], i, value)
    for group, index in ((groups[a], i), (groups[b], j)):
        for s, f in group.items():
            if s in shared or s == "n":
                continue
            if f.kind == "bool":
                _write(state, f, index, bool(rng.integers(2)))
            elif f.edges and rng.random() < 0.5:
                _write(state, f, index, f.edges[int(rng.integers(len(f.edges)))])


def mutate(base: dict, branch: Branch, fields: tuple[StateField, ...], rng: np.random.Generator) -> dict:
    """`base` with the fields the branch's condition names set towards it (else one or two random fields)."""
    names, constants = condition_hints(branch.path, *branch.test)
    named = [f for f in fields if f.name in names or _attribute(f) in names]
    state = dict(base)
    if named and rng.random() < 0.75:
        chosen = [f for f in named if rng.random() < 0.8] or named[:1]
    else:
        chosen = [fields[i] for i in rng.choice(len(fields), size=min(2, len(fields)), replace=False)]
    for f in chosen:
        state[f.name] = _set(f, base[f.name], constants, rng)
    if named and rng.random() < 0.5:
        _align(state, named, fields, rng)
    return state


def _mutate_draws(draws: dict, port: Any, rng: np.random.Generator) -> dict:
    step = dict(draws["step"])
    for d in port.draws_for("step"):
        if d.kind == "uniform" and d.name in step and rng.random() < 0.5:
            values = np.asarray(step[d.name]).copy()
            choices = (*BOUNDARY_DRAWS, 1.0 - 2.0**-53)
            values[...] = choices[int(rng.integers(len(choices)))]
            step[d.name] = values.astype(np.asarray(draws["step"][d.name]).dtype)
    return {**draws, "step": step}


def _open(tracer: BranchTracer) -> list[Branch]:
    return [b for b in tracer.uncovered() if tracer.reason(b) is None]


def steer(
    lock: Any, result: LevelResult, tracer: BranchTracer, harvested: list[dict], seed: int = 0,
    probes: int = PROBES, seconds: float = SECONDS,
) -> None:
    """Search for states reaching the reference's untaken branches and compare from each (see the module doc).

    Adds to `result`: a failure `guided_branch` on a disagreement, its checks, a note, and (through
    `tracer.guided`) the coverage before the search for the level's coverage summary."""
    start = time.perf_counter()
    port = lock.port
    canonical = port.canonical_state or (lambda s: s)
    before = tracer.summary()
    pool = [canonical(s) for s in harvested[:POOL] + edge_states(port)]
    rare = port.extra.get("rare_states")
    if rare is not None:
        pool += [canonical(s) for s in rare(harvested)]
    actions = probe_actions(lock.env.action_space(lock.params))
    rng = np.random.default_rng(seed)
    key = jax.random.PRNGKey(seed + 7919)
    targets = _open(tracer)
    tried = compared = raised = 0
    reached: list[str] = []
    while targets and pool and tried < probes and time.perf_counter() - start < seconds:
        branch = targets[tried % len(targets)]
        state = canonical(mutate(pool[int(rng.integers(len(pool)))], branch, port.state_fields, rng))
        action = actions[int(rng.integers(len(actions)))]
        key, sub = jax.random.split(key)
        draws = lock.draws_for_state(sub, state)
        if rng.random() < 0.3:
            draws = _mutate_draws(draws, port, rng)
        tried += 1
        with tracer.probing() as (arcs, entered):
            try:
                outcome = lock.reference_step(state, action, draws["step"])
            except Exception:  # noqa: BLE001 - a state outside the reference's domain
                raised += 1
                continue
        newly = [b for b in targets if tracer.covers(b, arcs)]
        if not newly and entered <= tracer.entered:
            continue
        if not _compare(lock, result, state, action, draws, newly, tracer):
            break
        compared += 1
        reached += [tracer.label(b) for b in newly]
        pool += [state, canonical(outcome.state)]
        targets = _open(tracer)
    result.checks += compared
    result.passed = not result.failures
    tracer.guided = {
        "before": {"covered": before["covered"], "total": before["total"]},
        "probes": tried, "compared": compared, "reference_raised": raised,
        "reached": reached, "seconds": round(time.perf_counter() - start, 3),
    }
    result.notes.append(
        f"guided search: {tried} probes, {compared} states compared, {len(reached)} branch outcomes newly taken"
        + (f", {raised} probes outside the reference's domain" if raised else "")
        + (f"; stopped at a disagreement" if result.failures else "")
    )
    result.seconds += time.perf_counter() - start


def _compare(lock: Any, result: LevelResult, state: dict, action: Any, draws: dict, newly: list[Branch], tracer) -> bool:
    """L1's one-step comparison from a state the search found; False (and a failure recorded) on a disagreement."""
    where = ", ".join(tracer.label(b) for b in newly) or "a function not entered before"
    try:
        actual = lock.translation_step(state, action, draws)
        expected = lock.reference_step(state, action, draws["step"])
    except Exception as exc:  # noqa: BLE001 - the translation is untrusted
        result.fail("guided_branch", f"reaching {where}: {type(exc).__name__}: {exc}")
        return False
    mismatches = compare_outcomes(lock.port, expected, actual)
    if not mismatches:
        return True
    first = mismatches[0].to_dict()
    state_text = ", ".join(f"{k}={np.asarray(v).tolist()!r}" for k, v in state.items())
    result.fail(
        "guided_branch",
        f"from state {{{state_text}}} with action {np.asarray(action).tolist()} (reaching {where}): "
        + "; ".join(m.describe() for m in mismatches),
        field=first["field"], expected=first.get("expected"), actual=first.get("actual"),
        mismatches=[m.to_dict() for m in mismatches], branches=[tracer.label(b) for b in newly],
        state={k: np.asarray(v).tolist() for k, v in state.items()}, action=np.asarray(action).tolist(),
        reproduce=counterexample_code(lock, state, action, draws),
    )
    return False
