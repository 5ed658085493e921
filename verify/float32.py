"""The float32 production check: the translation as users run it, against the float64 reference.

Run in its own process (`python -m verify.float32 PORT`), since float64 and float32
JAX cannot share a process: no `jax_enable_x64`, default XLA flags (FMA allowed).

- One step from synced states: states visited by the reference are rounded to
  float32, the reference steps from the rounded state in float64, the translation
  in float32; every float output must agree within a tolerance derived from float32
  precision: |error| <= K * eps32 * (|reference| + scale of the field), K = 32.
  A terminated/truncated flag may differ only where all values agree within that
  tolerance (a threshold met by rounding); such flips are counted, not failed.
- Full-episode drift: one episode per policy from the same initial state with the
  same actions; the absolute error of each float field per step is reported as
  data for the report's plot, not judged: float32 is expected to drift.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from verify.process import run_command

K_ULPS = 32
EPS32 = float(np.finfo(np.float32).eps)
DRIFT_STEPS = 200


def _scale(field) -> float:
    bounds = [abs(b) for b in (field.low, field.high) if b is not None]
    return max(bounds) if bounds else 1.0


def _close(ref: float, ours: float, scale: float) -> bool:
    if ref != ref and ours != ours:
        return True
    return abs(ours - ref) <= K_ULPS * EPS32 * (abs(ref) + scale)


FLOAT32_PRECISION = "float32"  # Port.extra["precision"] of a port compared with float32 tolerances (float32_view)


def float32_view(port):
    """`port` as a float32-native translation is compared at the lockstep levels (`--precision float32`): every float
    state field, the reward and the observation within this check's tolerance, K * eps32 * (|reference| + scale), as
    a `close` rule (rtol = K eps32, atol = K eps32 scale); L3 compares each step from the reference's state (float32
    drifts along an episode, as the drift measurement here shows); and a terminated or truncated flag may differ where
    every value agrees within the tolerance (a threshold met by rounding; verify.compare drops such flips)."""
    import dataclasses

    from envs.spec import Tolerance

    tol = K_ULPS * EPS32
    fields = tuple(
        dataclasses.replace(f, rule="close", rtol=tol, atol=tol * _scale(f)) if f.kind == "float" else f
        for f in port.state_fields
    )
    obs_scale = max([_scale(f) for f in port.state_fields if f.kind == "float"], default=1.0)
    exact_obs = port.obs_tolerance.rule == "exact"
    return port.replace(
        state_fields=fields,
        obs_tolerance=port.obs_tolerance if exact_obs else Tolerance("close", rtol=tol, atol=tol * obs_scale),
        reward_tolerance=Tolerance("close", rtol=tol, atol=tol),
        chaotic=port.chaotic or "float32 precision: a float32 translation's rounding grows along an episode",
        extra={**port.extra, "precision": FLOAT32_PRECISION},
    )


def check_float32(port_name: str, samples: int = 300, seed: int = 0):
    """Run the float32 check in this (float32) process; returns a LevelResult."""
    import jax

    from envs import get_port
    from verify.lockstep import Lockstep
    from verify.reports.model import LevelResult

    if jax.config.jax_enable_x64:
        raise RuntimeError("the float32 check must run without jax_enable_x64 (use run_float32_check)")
    port = get_port(port_name)
    result = LevelResult("F32")
    start = time.perf_counter()
    lock = Lockstep(port)
    rng = np.random.default_rng(seed)
    floats = [f for f in port.state_fields if f.kind == "float"]
    space = lock.ref.action_space
    space.seed(seed)
    worst = {f.name: 0.0 for f in floats}
    worst["reward"] = 0.0
    flips = 0
    state = lock.reference_reset(jax.tree.map(np.asarray, lock.env.sample_reset_draws(jax.random.PRNGKey(seed), lock.params))).state
    for i in range(samples):
        action = space.sample()
        synced = {k: (np.asarray(np.float32(v), np.float64) if np.asarray(v).dtype.kind == "f" else v) for k, v in state.items()}
        draws = lock.draws_for_state(jax.random.PRNGKey(i), synced)
        expected = lock.reference_step(synced, action, draws["step"])
        actual = lock.translation_step(synced, action, draws)
        result.checks += 1
        bad = []
        for f in floats:  # element by element: a float field may be an array (a turn-based game's rewards)
            for e, a in zip(np.ravel(expected.state[f.name]).tolist(), np.ravel(actual.state[f.name]).tolist()):
                e, a = float(e), float(a)
                if e == e:
                    worst[f.name] = max(worst[f.name], abs(a - e) / (abs(e) + _scale(f)))
                if not _close(e, a, _scale(f)):
                    bad.append(f"state.{f.name}: reference {e!r} vs float32 {a!r}")
        worst["reward"] = max(worst["reward"], abs(actual.reward - expected.reward) / (abs(expected.reward) + 1.0))
        if not _close(expected.reward, actual.reward, 1.0):
            bad.append(f"reward: reference {expected.reward!r} vs float32 {actual.reward!r}")
        if bad:
            result.fail("one_step", f"sample {i}, action {np.asarray(action).tolist()}: " + "; ".join(bad), state={k: np.asarray(v).tolist() for k, v in synced.items()})
            break
        if (expected.terminated, expected.truncated) != (actual.terminated, actual.truncated):
            flips += 1
        state = expected.state
        if expected.terminated or expected.truncated or rng.random() < 0.02:
            draws = jax.tree.map(np.asarray, lock.env.sample_reset_draws(jax.random.PRNGKey(10_000 + i), lock.params))
            state = lock.reference_reset(draws).state
    result.data["one_step_max_error"] = {k: v for k, v in worst.items()}
    result.notes.append(
        f"one step from {result.checks} synced states: largest error relative to (|value| + field scale) "
        + ", ".join(f"{k} {v:.2e}" for k, v in worst.items())
        + f" (tolerance {K_ULPS * EPS32:.2e}); {flips} terminated/truncated flips at thresholds"
    )
    result.data["drift"] = _drift(lock, floats, seed)
    final = {k: v[-1] for k, v in result.data["drift"]["fields"].items()}
    result.notes.append(
        f"full-episode drift over {len(result.data['drift']['steps'])} steps (uniform policy), final absolute error: "
        + ", ".join(f"{k} {v:.2e}" for k, v in final.items())
    )
    result.passed = not result.failures
    result.seconds = time.perf_counter() - start
    return result


def _drift(lock, floats, seed: int) -> dict:
    """Absolute error per float field per step of one free-running episode (uniform actions)."""
    import jax

    draws = jax.tree.map(np.asarray, lock.env.sample_reset_draws(jax.random.PRNGKey(seed + 1), lock.params))
    ref = lock.reference_reset(draws)
    ours = lock.translation_reset(draws)
    space = lock.ref.action_space
    space.seed(seed + 1)
    steps, errors = [], {f.name: [] for f in floats}
    ref_state, our_state = ref.state, ours.state
    steps_left = min(DRIFT_STEPS, lock.port.max_episode_steps)
    for t in range(steps_left):
        action = space.sample()
        draws = lock.draws_for_state(jax.random.PRNGKey(t), our_state)
        e = lock.reference_step(ref_state, action, draws["step"])
        a = lock.translation_step(our_state, action, draws)
        steps.append(t + 1)
        for f in floats:
            gap = np.abs(np.asarray(a.state[f.name], np.float64) - np.asarray(e.state[f.name], np.float64))
            errors[f.name].append(float(np.max(gap)))  # the largest over an array field's elements
        ref_state, our_state = e.state, a.state
        if e.terminated or e.truncated or a.terminated or a.truncated:
            break
    return {"steps": steps, "fields": errors}


def run_float32_check(port_name: str, samples: int = 300, seed: int = 0, timeout_s: float = 600.0):
    """Run `check_float32` in a fresh float32 process with a time limit; returns a LevelResult."""
    from verify.reports.model import LevelResult

    cmd = [sys.executable, "-m", "verify.float32", port_name, "--samples", str(samples), "--seed", str(seed)]
    result = LevelResult("F32")
    proc = run_command(cmd, timeout=timeout_s, env=_float32_environ(), stderr="separate")
    if proc.timed_out:
        result.passed, result.checks = False, 1
        result.fail("run", f"the float32 check did not finish within {timeout_s:.0f} s")
        return result
    try:
        data = json.loads(proc.output.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        result.passed, result.checks = False, 1
        result.fail("run", f"the float32 check crashed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
        return result
    return LevelResult(**data)


def _float32_environ() -> dict:
    import os

    from verify.precision import STRICT_XLA_FLAG
    from verify.process import child_env

    env = child_env()  # the user's folders importable, no API keys
    env["XLA_FLAGS"] = env.get("XLA_FLAGS", "").replace(STRICT_XLA_FLAG, "").strip()
    env.pop("JAX_ENABLE_X64", None)
    return env


def main(argv: list[str] | None = None) -> None:
    import argparse
    import dataclasses

    parser = argparse.ArgumentParser(description="float32 production check of one port (prints a JSON LevelResult)")
    parser.add_argument("port")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = check_float32(args.port, args.samples, args.seed)
    print(json.dumps(dataclasses.asdict(result), default=float))


if __name__ == "__main__":
    main()
