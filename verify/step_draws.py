"""Draw-distribution test for step draws (level D for randomness inside steps: sticky actions, spawns).

`verify.distribution` tests reset draws; MinAtar games draw mostly while stepping,
some draws only when an event happens (optional draws), some with a range that
depends on the state (a free slot among those left). So both sides are sampled
from the same states: states the reference visits under random actions; from each, the
reference steps `repeats` times with a recording generator (real numpy randomness,
random actions) and the translation samples `repeats` step draws. For every draw,
the values the reference asked for are compared with the translation's draws that the
reference asks for when it plays the same step on them through the tape (so both are
selected by the events their own values cause, and the mixtures over states are alike),
by the tests of `verify.distribution` (chi-square for integers, Kolmogorov-Smirnov for
uniforms and 'index' draws) at its alpha. An up_to draw is tested element by element
(`picks[0]`, `picks[1]`, ...), each as an optional scalar draw. Where events are rare in visited states,
a port names states that make them likely (`Port.extra["event_state"]`).

The Rust translation draws lazily, from its own generator, only what its step uses: it
steps from each state with the reference's actions and reports what it drew
(`last_step_draws`). Its draws are compared with the reference's as two samples of what
was drawn (not paired by repetition), and how often each draw was asked for from the same
states is compared too (a chi-square test of the two counts), which sees an event
(a spawn, a shot) made more or less likely.

Marginals do not see two draws made from one key (or one word of random bits): each is
still uniform, but one decides the other. So for every pair of scalar draws taken in the
same step, the pairs' joint distribution (a grid of quartiles of uniforms and normals and
of integer values) is compared with the reference's pairs, which are independent, by a
chi-square test of homogeneity.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import jax
import numpy as np
from scipy import stats

from verify.draw_samples import ALPHA, RecordingGenerator, by_element, compare_draw, compare_permutation_pairs, compare_samples, element_specs
from verify.lockstep import Lockstep, _quiet
from verify.reports.model import LevelResult
from verify.tape import TapeError, match_draws, tape_for


STRIDE = 10  # steps between two states taken into the pool
QUARTILES = {"uniform": (0.25, 0.5, 0.75), "index": (0.25, 0.5, 0.75), "normal": (-0.6745, 0.0, 0.6745)}  # cell edges for the joint test


def _cells(kind: str, values: np.ndarray) -> np.ndarray:
    """Cell index of each value for the joint test: its quartile (uniform, normal) or its integer value."""
    if kind in QUARTILES:
        return np.searchsorted(QUARTILES[kind], values, side="right")
    return values.astype(np.int64)


def _gating_draw(a: Any, b: Any, theirs: dict[str, list], pairs: list[tuple], min_samples: int) -> tuple[str, str, float] | None:
    """(gate, gated, p) when the reference draws the optional one of `a`, `b` only for some values of the other
    (`if random() < p: uniform(...)`): its values in the pairs then differ from all its values, and the reference's
    own pair is dependent by construction, so the joint test does not apply. None otherwise."""
    for index, (gate, gated) in enumerate(((a, b), (b, a))):
        # the gate may itself be optional (one element of an up_to draw decides whether the next is asked for)
        if not gated.optional or min(len(pairs), len(theirs[gate.name])) < min_samples:
            continue
        in_pairs = np.asarray([pair[index] for pair in pairs], np.float64)
        p, _ = compare_samples(gate.kind, in_pairs, np.asarray(theirs[gate.name], np.float64).reshape(-1))
        if p < ALPHA:
            return gate.name, gated.name, p
    return None


def compare_joint(result: LevelResult, a: Any, b: Any, ours: list[tuple], theirs: list[tuple], min_samples: int) -> None:
    """Chi-square homogeneity test of the joint distribution of scalar draws `a` and `b` (DrawSpecs),
    translation pairs against reference pairs; too few pairs on either side: noted, not tested."""
    label = f"{a.name} x {b.name}"
    if min(len(ours), len(theirs)) < min_samples:
        result.notes.append(f"{label}: drawn together {len(theirs)} times by the reference, {len(ours)} by the translation; too few to test")
        return
    pairs = np.asarray(ours + theirs, np.float64)
    cells = np.stack([_cells(a.kind, pairs[:, 0]), _cells(b.kind, pairs[:, 1])], axis=1)
    keys, index = np.unique(cells, axis=0, return_inverse=True)
    index = index.reshape(-1)
    table = np.stack([np.bincount(part, minlength=len(keys)) for part in (index[: len(ours)], index[len(ours) :])])
    p = float(stats.chi2_contingency(table)[1]) if len(keys) > 1 else 1.0
    result.checks += 1
    result.data.setdefault("joint_p_values", {})[label] = p
    if p < ALPHA:
        result.fail(
            "step_draw_joint",
            f"{label}: drawn in one step, the pair is distributed unlike the reference generator's independent pair "
            f"(chi-square p = {p:.2e} < {ALPHA} over {len(keys)} cells, {len(ours)} translation and {len(theirs)} "
            "reference pairs): two draws may come from the same key or the same random bits",
            field=label,
        )


def reference_states(lock: Lockstep, count: int, seed: int = 0) -> list[dict[str, np.ndarray]]:
    """`count` states the reference visits playing uniformly random actions with its own generator,
    one every STRIDE steps (no translation involved: the pool is the same for every backend, and
    costs no lockstep rollouts)."""
    port, ref = lock.port, lock.ref
    rng = np.random.default_rng(seed)
    pool: list[dict[str, np.ndarray]] = []
    with _quiet():
        ref.reset(seed=seed)
        steps = 0
        while len(pool) < count:
            _, _, terminated, truncated, _ = ref.step(int(rng.integers(ref.action_space.n)))
            steps += 1
            if terminated or truncated:
                ref.reset()
            elif steps % STRIDE == 0:
                pool.append({k: np.array(v) for k, v in port.get_state(ref).items()})
    return pool


def _jax_sampler(lock: Lockstep, seed: int):
    """For (state index, state, actions): every step draw for each repetition (the JAX translation samples all of them)."""
    sample = jax.jit(jax.vmap(lock.env.sample_step_draws, in_axes=(0, None, None)))

    def draws_from(i: int, state: dict, actions: np.ndarray) -> dict[str, np.ndarray]:
        keys = jax.random.split(jax.random.PRNGKey(seed * 100_003 + i), len(actions))
        return jax.tree.map(np.asarray, sample(keys, lock.dict_to_state(state), lock.params))

    return draws_from


def _rust_sampler(lock: Lockstep, seed: int):
    """For (state index, state, actions): what the Rust env drew stepping from `state` with each action (NaN: not drawn)."""
    from envs.rust_backend import make_rust_single

    env = make_rust_single(lock.port, seed=seed + 7)
    shapes = {d.name: tuple(d.shape) for d in lock.port.draws_for("step")}

    def draws_from(i: int, state: dict, actions: np.ndarray) -> dict[str, np.ndarray]:
        drawn: dict[str, list] = {}
        for a in actions:
            env.set_state(lock._rust_state(state))
            env.step(int(a))
            for name, value in env.last_step_draws().items():  # flat in Rust: the port's shape (up_to rows first)
                drawn.setdefault(name, []).append(np.asarray(value).reshape(shapes.get(name, np.shape(value))))
        return {name: np.stack(values) for name, values in drawn.items()}

    return draws_from


def _asked_on(lock: Lockstep, state: dict, action: int, draws: dict, fallback: dict) -> list[str]:
    """The draws (up_to elements as `name[j]`) the reference takes when it steps from `state` on the translation's
    `draws`: the translation's numbers are then selected by the events they cause, as the reference generator's are
    by theirs, so pairs of draws where one decides whether the other is asked for compare like for like. Where the
    tape cannot answer the step (L1's concern), the names the reference asked for on its own numbers."""
    port = lock.port
    port.set_state(lock.ref, state)
    tape = tape_for(port, "step", draws)
    try:
        with port.swap_randomness(lock.ref, tape), _quiet():
            lock.ref.step(action)
    except TapeError:
        return list(fallback)
    return list(tape.used)


def check_step_distribution(lock: Lockstep, states: int = 200, repeats: int = 50, seed: int = 0, min_samples: int = 200) -> LevelResult:
    """Level D for the port's step draws, for the JAX translation or, given a RustLockstep, the Rust one;
    a draw the reference asked for fewer than `min_samples` times is noted, not tested."""
    result = LevelResult("D")
    start = time.perf_counter()
    port = lock.port
    rust = getattr(lock, "backend", "jax") == "rust"
    declared = port.draws_for("step")
    specs = element_specs(declared)  # an up_to draw is tested element by element
    if rust and not hasattr(lock.rust, "last_step_draws"):
        result.notes.append("not checked: this envport_rust build does not report its step draws (last_step_draws); "
                            "rebuild it with `bash setup.sh`")
        result.seconds = time.perf_counter() - start
        return result
    pool = reference_states(lock, states, seed)
    # A port may name states where its optional draws' events are likely (a chicken one row from the top):
    # `extra["event_state"]` maps a visited state to such a state; both kinds are used.
    event_state = port.extra.get("event_state")
    if event_state is not None:
        pool = pool[: len(pool) // 2] + [event_state(s) for s in pool[len(pool) // 2 :]]
    rng = np.random.default_rng(seed)
    recorder = RecordingGenerator(rng)
    permutations: set[str] = set()
    n_actions = lock.ref.action_space.n
    draws_from = (_rust_sampler if rust else _jax_sampler)(lock, seed)
    ours: dict[str, list] = {s.name: [] for s in specs}
    theirs: dict[str, list] = {s.name: [] for s in specs}
    pairs = [(a, b) for a, b in itertools.combinations(specs, 2) if not a.shape and not b.shape]
    ours_pairs: dict[tuple, list] = {(a.name, b.name): [] for a, b in pairs}
    theirs_pairs: dict[tuple, list] = {(a.name, b.name): [] for a, b in pairs}
    for i, state in enumerate(pool):
        actions = rng.integers(n_actions, size=repeats)
        draws = draws_from(i, state, actions)
        for r in range(repeats):
            port.set_state(lock.ref, state)
            recorder.record = []
            with port.swap_randomness(lock.ref, recorder), _quiet():
                lock.ref.step(int(actions[r]))
            asked = by_element(declared, match_draws(declared, recorder.record, permutations))
            mine = by_element(declared, {name: np.asarray(v)[r] for name, v in draws.items()})
            if rust:  # what the Rust env drew in this step (NaN: not drawn)
                step = {s.name: np.asarray(mine[s.name]).reshape(s.shape) for s in specs if s.name in mine}
                step = {name: v for name, v in step.items() if not np.isnan(v).all()}
            else:  # the JAX draws the reference asks for when it plays the same step on them
                step = {name: mine[name] for name in _asked_on(lock, state, int(actions[r]), {k: np.asarray(v)[r] for k, v in draws.items()}, asked)}
            for name, value in asked.items():
                theirs[name].append(value)
            for name, value in step.items():
                ours[name].append(value)
            for (a, b), found in theirs_pairs.items():
                if a in asked and b in asked:
                    found.append((float(asked[a]), float(asked[b])))
                if a in step and b in step:
                    ours_pairs[(a, b)].append((float(step[a]), float(step[b])))
    trials = len(pool) * repeats
    for spec in specs:
        count, ours_count = len(theirs[spec.name]), len(ours[spec.name])
        result.data.setdefault("samples", {})[spec.name] = count
        if rust:
            result.data.setdefault("translation_samples", {})[spec.name] = ours_count
            if count != ours_count:
                table = [[count, trials - count], [ours_count, trials - ours_count]]
                p = float(stats.chi2_contingency(table)[1]) if 0 < count + ours_count < 2 * trials else 0.0
                result.checks += 1
                if p < ALPHA:
                    result.fail(
                        "step_draw_frequency",
                        f"{spec.name}: from the same {trials} (state, action) pairs the reference drew it {count} times and the "
                        f"translation {ours_count} times (chi-square p = {p:.2e} < {ALPHA}): an event is more or less likely",
                        field=spec.name,
                    )
        if min(count, ours_count) < min_samples:
            result.notes.append(f"{spec.name}: drawn {count} times by the reference, {ours_count} by the translation from these states; too few to test")
            continue
        compare_draw(result, "step_draw_distribution", spec, np.stack(ours[spec.name]), np.stack(theirs[spec.name]))
        if spec.name in permutations:
            compare_permutation_pairs(result, "step_draw_distribution", spec, np.stack(ours[spec.name]), np.stack(theirs[spec.name]))
    for a, b in pairs:  # 16 cells and more: more pairs than single draws
        theirs_ab = theirs_pairs[(a.name, b.name)]
        gate = _gating_draw(a, b, theirs, theirs_ab, min_samples)
        if gate is not None:
            result.notes.append(f"{a.name} x {b.name}: the reference draws {gate[1]} only for some values of {gate[0]} "
                                f"(its {gate[0]} values then differ from all its {gate[0]} values, p = {gate[2]:.1e}): "
                                "the pair is dependent by design, not compared")
            continue
        compare_joint(result, a, b, ours_pairs[(a.name, b.name)], theirs_ab, 5 * min_samples)
    result.notes.append(
        f"{len(pool)} visited states x {repeats} steps each; alpha {ALPHA} per element and per pair of draws taken in one step"
    )
    result.passed = not result.failures
    result.seconds = time.perf_counter() - start
    return result
