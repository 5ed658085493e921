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

from verify.draw_samples import ALPHA, RecordingGenerator, compare_draw
from verify.lockstep import Lockstep
from verify.reports.model import LevelResult


def _reference_reset_samples(lock: Lockstep, n: int, seed: int) -> dict[str, list]:
    specs = lock.port.draws_for("reset")
    samples: dict[str, list] = {s.name: [] for s in specs}
    recorder = RecordingGenerator(np.random.default_rng(seed))
    for _ in range(n):
        recorder.record = []
        with lock.port.swap_randomness(lock.ref, recorder):
            lock.ref.reset()
        if len(recorder.record) != len(specs):
            raise AssertionError(f"the reference made {len(recorder.record)} random calls in reset; the metadata names {len(specs)} draws")
        for spec, (kind, value) in zip(specs, recorder.record):
            samples[spec.name].append(value)
    return samples


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
    theirs = _reference_reset_samples(lock, samples, seed)
    ours = sampler(lock, samples, seed)
    for spec in port.draws_for("reset"):
        compare_draw(result, "draw_distribution", spec, np.asarray(ours[spec.name]), np.stack(theirs[spec.name]))
    result.notes.append(f"reset draws: {samples} samples a side, alpha {ALPHA} per element")
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
