"""Draw-distribution test for step draws (level D for randomness inside steps: sticky actions, spawns).

`verify.distribution` tests reset draws; MinAtar games draw mostly while stepping,
some draws only when an event happens (optional draws), some with a range that
depends on the state (a free slot among those left). So both sides are sampled
from the same states: states the reference visits under random actions; from each, the
reference steps `repeats` times with a recording generator (real numpy randomness,
random actions) and the translation samples `repeats` step draws. For every draw,
the values the reference asked for are compared with the translation's draws for
the same state and repetition (conditioning on the same events, so the mixtures over
states are alike), by the tests of `verify.distribution` (chi-square for integers,
Kolmogorov-Smirnov for uniforms) at its alpha. Where events are rare in visited states,
a port names states that make them likely (`Port.extra["event_state"]`).

The Rust translation draws lazily, from its own generator, only what its step uses: it
steps from each state with the reference's actions and reports what it drew
(`last_step_draws`). Its draws are compared with the reference's as two samples of what
was drawn (not paired by repetition), and how often each draw was asked for from the same
states is compared too (a chi-square test of the two counts), which sees an event
(a spawn, a shot) made more or less likely.
"""

from __future__ import annotations

import time

import jax
import numpy as np
from scipy import stats

from verify.distribution import ALPHA, RecordingGenerator, compare_draw
from verify.lockstep import Lockstep, _quiet
from verify.report import LevelResult
from verify.tape import match_draws


STRIDE = 10  # steps between two states taken into the pool


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

    def draws_from(i: int, state: dict, actions: np.ndarray) -> dict[str, np.ndarray]:
        drawn: dict[str, list] = {}
        for a in actions:
            env.set_state(lock._rust_state(state))
            env.step(int(a))
            for name, value in env.last_step_draws().items():
                drawn.setdefault(name, []).append(np.asarray(value))
        return {name: np.stack(values) for name, values in drawn.items()}

    return draws_from


def check_step_distribution(lock: Lockstep, states: int = 200, repeats: int = 50, seed: int = 0, min_samples: int = 200) -> LevelResult:
    """Level D for the port's step draws, for the JAX translation or, given a RustLockstep, the Rust one;
    a draw the reference asked for fewer than `min_samples` times is noted, not tested."""
    result = LevelResult("D")
    start = time.perf_counter()
    port = lock.port
    rust = getattr(lock, "backend", "jax") == "rust"
    specs = port.draws_for("step")
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
    n_actions = lock.ref.action_space.n
    draws_from = (_rust_sampler if rust else _jax_sampler)(lock, seed)
    ours: dict[str, list] = {s.name: [] for s in specs}
    theirs: dict[str, list] = {s.name: [] for s in specs}
    for i, state in enumerate(pool):
        actions = rng.integers(n_actions, size=repeats)
        draws = draws_from(i, state, actions)
        for r in range(repeats):
            port.set_state(lock.ref, state)
            recorder.record = []
            with port.swap_rng(lock.ref, recorder), _quiet():
                lock.ref.step(int(actions[r]))
            for name, value in match_draws(specs, recorder.record).items():
                theirs[name].append(value)
                if not rust:  # the JAX draws, paired with the reference's by repetition
                    ours[name].append(draws[name][r])
            if rust:
                for spec in specs:
                    value = np.asarray(draws[spec.name][r]).reshape(spec.shape)
                    if not np.isnan(value).all():
                        ours[spec.name].append(value)
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
    result.notes.append(f"{len(pool)} visited states x {repeats} steps each; alpha {ALPHA} per element")
    result.passed = not result.failures
    result.seconds = time.perf_counter() - start
    return result
