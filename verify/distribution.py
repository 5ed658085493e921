"""Do the translation's draws have the reference generator's distribution?

The tape makes both sides consume the same numbers; this level checks the other
half of the bargain: that `sample_reset_draws` / `sample_step_draws` produce
numbers distributed as the reference's own generator would produce them.

The reference runs with a `RecordingGenerator`: a real numpy generator whose
calls are answered like the tape answers them (uniform via standard uniforms,
integers, normals) while the standard variates are recorded per draw, in the
port's draw order. Each draw element is then compared between the two samples:
a two-sample Kolmogorov-Smirnov test for continuous draws, a chi-square test of
homogeneity for integer draws. With the default 50,000 samples a side, a range off
by 5% or a category probability off by 0.02 is rejected with near certainty (z > 6),
while the per-test false alarm rate is 1e-4 (fixed seeds make a run repeatable).
"""

from __future__ import annotations

import time

import jax
import numpy as np

from verify.draw_samples import ALPHA, RecordingGenerator, by_element, compare_draw, compare_permutation_pairs, element_specs
from verify.lockstep import Lockstep
from verify.reports.model import LevelResult
from verify.tape import TapeError, match_draws


def _reference_reset_samples(lock: Lockstep, n: int, seed: int) -> tuple[dict[str, list], set[str]]:
    """Per draw element (`element_specs`), the standard variates of `n` reference resets under a recording
    generator, matched to the metadata's draws by the tape's rules; and the names a permutation call took."""
    specs = lock.port.draws_for("reset")
    samples: dict[str, list] = {s.name: [] for s in element_specs(specs)}
    permutations: set[str] = set()
    required = [s.name for s in specs if not (s.optional or s.up_to)]
    recorder = RecordingGenerator(np.random.default_rng(seed))
    for _ in range(n):
        recorder.record = []
        with lock.port.swap_randomness(lock.ref, recorder):
            lock.ref.reset()
        try:
            asked = match_draws(specs, recorder.record, permutations)
        except TapeError as exc:
            raise AssertionError(f"the reference's random calls in reset do not follow the metadata's draws: {exc}") from exc
        missing = [name for name in required if name not in asked]
        if missing:
            raise AssertionError(f"the reference made {len(recorder.record)} random calls in reset and left draws {missing} of the metadata unasked")
        for name, value in by_element(specs, asked).items():
            samples[name].append(value)
    return samples, permutations


def jax_reset_draws(lock: Lockstep, samples: int, seed: int) -> dict[str, np.ndarray]:
    """`samples` reset draws from the JAX translation's `sample_reset_draws`."""
    keys = jax.random.split(jax.random.PRNGKey(seed + 1), samples)
    return jax.tree.map(np.asarray, jax.jit(jax.vmap(lock.env.sample_reset_draws, in_axes=(0, None)))(keys, lock.params))


def rust_reset_draws(lock: Lockstep, samples: int, seed: int) -> dict[str, np.ndarray]:
    """The Rust env's own reset randomness: its initial states mapped back to standard uniforms."""
    from types import SimpleNamespace

    from envs.rust_backend import make_rust_single
    from verify.candidates import RESET_INVERSES

    env = make_rust_single(lock.port, seed=seed + 1)
    if hasattr(env, "last_reset_draws"):  # MinAtar: the env reports what its reset drew
        specs = lock.port.draws_for("reset")
        drawn: dict[str, list] = {d.name: [] for d in specs}
        for _ in range(samples):
            env.reset()
            record = env.last_reset_draws()
            for d in specs:
                drawn[d.name].append(np.asarray(record[d.name]).reshape(d.shape))
        return {k: np.stack(v) for k, v in drawn.items()}
    if lock.port.name not in RESET_INVERSES:
        raise LookupError(f"no inverse reset map for {lock.port.name}")
    states = []
    for _ in range(samples):
        env.reset()
        states.append(env.get_state())
    columns = SimpleNamespace(**{k: np.array([s[k] for s in states], np.float64) for k in states[0] if k != "time"})
    draws = RESET_INVERSES[lock.port.name](columns)
    return {k: np.moveaxis(np.asarray(v), 0, -1) if np.ndim(v) > 1 else np.asarray(v) for k, v in draws.items()}


def check_distribution(lock: Lockstep, samples: int = 50_000, seed: int = 0, sampler=jax_reset_draws) -> LevelResult:
    """Run the draw-distribution level: the port's reset draws, then its step draws from visited
    states (`verify.step_draws`, for the lock's backend).

    `sampler(lock, samples, seed)` gives the translation's reset draws (JAX by default).
    """
    result = LevelResult("D")
    start = time.perf_counter()
    port = lock.port
    theirs, permutations = _reference_reset_samples(lock, samples, seed)
    specs = port.draws_for("reset")
    ours = by_element(specs, sampler(lock, samples, seed), axis=1)
    for spec in element_specs(specs):
        if not theirs[spec.name]:
            result.notes.append(f"reset draw {spec.name}: the reference never asked for it in {samples} resets; not tested")
            continue
        compare_draw(result, "draw_distribution", spec, np.asarray(ours[spec.name]), np.stack(theirs[spec.name]))
        if spec.name in permutations:
            compare_permutation_pairs(result, "draw_distribution", spec, np.asarray(ours[spec.name]), np.stack(theirs[spec.name]))
    result.notes.append(f"reset draws: {samples} samples a side, alpha {ALPHA} per element"
                        + (f"; permutations {sorted(permutations)} also by pairs of neighbouring positions" if permutations else ""))
    if port.draws_for("step"):
        from verify.step_draws import check_step_distribution

        step = check_step_distribution(lock, seed=seed)
        result.checks += step.checks
        result.failures += step.failures
        result.notes += [f"step draws: {note}" for note in step.notes]
        result.data["step"] = step.data
    result.passed = not result.failures
    result.seconds = time.perf_counter() - start
    return result
