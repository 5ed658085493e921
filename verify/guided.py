"""L1's guided search: states that reach the reference's branches no example reached, then compared.

After L1's examples, `verify.branch_coverage` knows which outcomes of the reference's conditions
no comparison has taken. This searches for states that take them and runs L1's one-step
comparison from every state that does, so a bug inside a rare branch is compared at least once.

The search mutates states towards a chosen branch's condition. It starts from a pool: states
harvested from rollouts, the edge states, and the port's `extra["rare_states"]`. Each probe
takes a state from the pool. The fields that the condition names are set to the constants it
holds, with small steps around them, the field's edges and its bounds. A field is named
when it appears by its name or by the attribute its `StateField.ref` names, as `self.charge`
names a field whose ref is `unwrapped.charge`. A probe may instead set one or two random
fields, and may set the uniform step draws onto boundary fractions. The reference alone takes
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
    """(names, numeric constants) in the condition on lines `first`..`last` of `path`."""
    text = " ".join(source_line(path, n) for n in range(first, last + 1)).strip()
    keyword = next((k for k in ("elif ", "if ", "while ", "for ") if text.startswith(k)), "")
    text = text[len(keyword):].rstrip(":").strip()
    if keyword == "for " and " in " in text:
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
    return frozenset(names), tuple(sorted(constants))


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


def _align(state: dict, named: list[StateField], fields: tuple[StateField, ...], rng: np.random.Generator) -> None:
    """Set named integer scalars (`sub_x`, `sub_y`) to one element of the integer arrays that end alike (`enemy_x`,
    `enemy_y`), at one index, give or take one: conditions that compare two positions need both to meet."""
    arrays = [g for g in fields if g.shape and g.kind == "int"]
    index = None
    for f in named:
        if f.shape or f.kind != "int":
            continue
        suffix = f.name.rsplit("_", 1)[-1]
        matches = [g for g in arrays if g.name.rsplit("_", 1)[-1] == suffix and g.name != f.name]
        if not matches:
            continue
        g = matches[int(rng.integers(len(matches)))]
        values = np.asarray(state[g.name]).reshape(-1)
        index = int(rng.integers(values.size)) if index is None else min(index, values.size - 1)
        value = int(values[index]) + int(rng.integers(-1, 2)) * int(rng.random() < 0.5)
        low = value if f.low is None else max(value, int(f.low))
        state[f.name] = np.asarray(low if f.high is None else min(low, int(f.high)), f.dtype)


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
    if named and rng.random() < 0.25:
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
