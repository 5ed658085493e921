"""Draw-distribution test for step draws (level D for randomness inside steps: sticky actions, spawns).

`verify.distribution` tests reset draws; MinAtar games draw mostly while stepping,
some draws only when an event happens (optional draws), some with a range that
depends on the state (a free slot among those left). So both sides are sampled
from the same states: states visited by the translation's rollouts; from each, the
reference steps `repeats` times with a recording generator (real numpy randomness,
random actions) and the translation samples `repeats` step draws. For every draw,
the values the reference asked for are compared with the translation's draws for
the same state and repetition (conditioning on the same events, so the mixtures over
states are alike), by the tests of `verify.distribution` (chi-square for integers,
Kolmogorov-Smirnov for uniforms) at its alpha. Where events are rare in visited states,
a port names states that make them likely (`Port.extra["event_state"]`).
"""

from __future__ import annotations

import time

import jax
import numpy as np

from verify.distribution import ALPHA, RecordingGenerator, compare_samples
from verify.lockstep import Lockstep, _quiet
from verify.report import LevelResult
from verify.rollouts import harvest_states
from verify.tape import match_draws


def check_step_distribution(lock: Lockstep, states: int = 200, repeats: int = 100, seed: int = 0, min_samples: int = 200) -> LevelResult:
    """Level D for the port's step draws; a draw the reference asked for fewer than `min_samples` times is noted, not tested."""
    result = LevelResult("D")
    start = time.perf_counter()
    port, env, params = lock.port, lock.env, lock.params
    specs = port.draws_for("step")
    pool = harvest_states(lock, states, seed)
    # A port may name states where its optional draws' events are likely (a chicken one row from the top):
    # `extra["event_state"]` maps a visited state to such a state; both kinds are used.
    event_state = port.extra.get("event_state")
    if event_state is not None:
        pool = pool[: len(pool) // 2] + [event_state(s) for s in pool[len(pool) // 2 :]]
    rng = np.random.default_rng(seed)
    recorder = RecordingGenerator(rng)
    n_actions = lock.ref.action_space.n
    sample = jax.jit(jax.vmap(env.sample_step_draws, in_axes=(0, None, None)))
    ours: dict[str, list] = {s.name: [] for s in specs}
    theirs: dict[str, list] = {s.name: [] for s in specs}
    for i, state in enumerate(pool):
        keys = jax.random.split(jax.random.PRNGKey(seed * 100_003 + i), repeats)
        draws = jax.tree.map(np.asarray, sample(keys, lock.dict_to_state(state), params))
        for r in range(repeats):
            port.set_state(lock.ref, state)
            recorder.record = []
            with port.swap_rng(lock.ref, recorder), _quiet():
                lock.ref.step(int(rng.integers(n_actions)))
            for name, value in match_draws(specs, recorder.record).items():
                theirs[name].append(value)
                ours[name].append(draws[name][r])
    for spec in specs:
        count = len(theirs[spec.name])
        result.data.setdefault("samples", {})[spec.name] = count
        if count < min_samples:
            result.notes.append(f"{spec.name}: the reference asked for it {count} times from these states; too few to test")
            continue
        a = np.stack(ours[spec.name]).reshape(count, -1).astype(np.float64)
        b = np.stack(theirs[spec.name]).reshape(count, -1).astype(np.float64)
        for j in range(a.shape[1]):
            p, test = compare_samples(spec.kind, a[:, j], b[:, j])
            label = spec.name if a.shape[1] == 1 else f"{spec.name}[{j}]"
            result.checks += 1
            result.data.setdefault("p_values", {})[label] = p
            if p < ALPHA:
                result.fail(
                    "step_draw_distribution",
                    f"{label}: the translation's step draws differ from the reference generator's ({test} p = {p:.2e} < {ALPHA}, "
                    f"{count} samples a side); translation mean {a[:, j].mean():.4f}, reference mean {b[:, j].mean():.4f}",
                    field=label,
                )
    result.notes.append(f"{len(pool)} visited states x {repeats} steps each; alpha {ALPHA} per element")
    result.passed = not result.failures
    result.seconds = time.perf_counter() - start
    return result
