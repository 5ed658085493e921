"""Run the verification levels on one port and collect a report."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from envs.spec import Port
from verify.candidates import Candidate
from verify.contract import check_contract, contract_blocks
from verify.distribution import check_distribution
from verify.float32 import run_float32_check
from verify.interaction import check_interaction
from verify.lockstep import Lockstep
from verify.policy_transfer import PolicyTransferOptions, check_policy_transfer
from verify.precision import enable_verification_numerics, verification_numerics_enabled
from verify.properties import check_properties
from verify.reports.model import LevelResult, VerificationReport
from verify.rollouts import check_rollouts

DEFAULT_LEVELS = ("L0", "D", "L1", "L2", "L3", "F32")
AVAILABLE_LEVELS = DEFAULT_LEVELS + ("L4",)  # L4 trains PPO (minutes): selected with --levels L4, never by default


@dataclass
class VerifyOptions:
    """How hard each level looks."""

    examples: int = 200  # L1 Hypothesis examples
    programs: int = 30  # L2 Hypothesis rule programs
    episodes: int = 100  # L3 episodes per policy
    float32_samples: int = 300  # F32 one-step comparisons
    policies: tuple[str, ...] = ("uniform", "sticky", "goal")
    seed: int = 0


def parse_levels(text: str) -> tuple[str, ...]:
    """'L0,L1,L3' -> ('L0', 'L1', 'L3'), rejecting unknown levels."""
    levels = tuple(dict.fromkeys(p.strip().upper() for p in text.split(",") if p.strip()))
    unknown = [l for l in levels if l not in AVAILABLE_LEVELS]
    if unknown or not levels:
        raise ValueError(f"unknown level(s) {unknown or text!r}; available: {', '.join(AVAILABLE_LEVELS)}")
    return levels


def verify_port(
    port: Port,
    levels: tuple[str, ...] = DEFAULT_LEVELS,
    options: VerifyOptions | None = None,
    env: Any | None = None,
    progress: Callable[[str], None] = lambda msg: None,
    candidate: Candidate | None = None,
    backend: str = "jax",
) -> VerificationReport:
    """Verify the JAX translation of `port` (or `env`, another translation of it, or a third-party `candidate`)."""
    options = options or VerifyOptions()
    if not verification_numerics_enabled():
        enable_verification_numerics()
    if backend == "rust":
        return _verify_rust(port, levels, options, progress)
    if candidate is not None:
        port, env, backend = candidate.port_view(port), candidate.env, candidate.spec
    report = VerificationReport(port.name, backend, options=dict(vars(options), levels=list(levels)))
    if candidate is not None and candidate.ignored:
        report.options["not_compared"] = sorted(candidate.ignored)
    start = time.perf_counter()
    contract_ok = True
    if "L0" in levels:
        progress(f"{port.name}: L0 contract")
        report.levels["L0"] = check_contract(port, env, candidate=None if candidate is None else candidate.spec)
        if candidate is not None and candidate.ignored:
            report.levels["L0"].notes.append(
                f"{candidate.spec} does not model {', '.join(sorted(candidate.ignored))}: not compared"
            )
        contract_ok = not contract_blocks(report.levels["L0"])
    lock = None
    for level in ("D", "L1", "L2", "L3", "F32", "L4"):
        if level not in levels:
            continue
        if not contract_ok:
            report.levels[level] = LevelResult(level, skipped_reason="L0 failed in a way that stops the comparison (it does not load, reset or step, or its state or draws differ from the metadata): fix the contract first")
            continue
        if level == "F32" and env is not None:
            report.levels[level] = LevelResult(level, skipped_reason="the float32 check runs registered translations only (it needs a fresh float32 process)")
            continue
        try:
            if level == "F32":
                progress(f"{port.name}: float32 production check ({options.float32_samples} samples)")
                report.levels[level] = run_float32_check(port.name, options.float32_samples, options.seed)
                continue
            if level == "L4":
                report.levels[level] = check_policy_transfer(port, "jax", env, PolicyTransferOptions(seed=options.seed), progress)
                continue
            lock = lock or Lockstep(port, env)
            if level == "D":
                progress(f"{port.name}: draw distribution")
                report.levels[level] = check_distribution(lock, seed=options.seed)
            elif level == "L1":
                progress(f"{port.name}: L1 properties ({options.examples} examples)")
                report.levels[level] = check_properties(lock, options.examples, options.seed)
            elif level == "L2":
                progress(f"{port.name}: L2 interaction ({options.programs} programs)")
                report.levels[level] = check_interaction(lock, options.programs, seed=options.seed)
            else:
                progress(f"{port.name}: L3 rollouts ({options.episodes} episodes x {len(options.policies)} policies)")
                report.levels[level] = check_rollouts(lock, options.episodes, options.policies, options.seed)
        except Exception as exc:  # untrusted translation: report, don't crash
            failed = LevelResult(level, passed=False, checks=1)
            failed.fail("run", f"{type(exc).__name__}: {exc}")
            report.levels[level] = failed
    report.seconds = time.perf_counter() - start
    return report


def _verify_rust(port: Port, levels: tuple[str, ...], options: VerifyOptions, progress) -> VerificationReport:
    """The Rust translation: its own L0 and L2, the shared L1 and L3, D on its own RNG; F32 does not apply."""
    from verify.distribution import rust_reset_draws
    from verify.lockstep import RustLockstep
    from verify.rust_levels import check_rust_contract, check_rust_interaction

    report = VerificationReport(port.name, "rust", options=dict(vars(options), levels=list(levels)))
    start = time.perf_counter()
    contract_ok = True
    if "L0" in levels:
        progress(f"{port.name}: L0 contract (rust)")
        report.levels["L0"] = check_rust_contract(port)
        contract_ok = not contract_blocks(report.levels["L0"])
    lock = None
    for level in ("D", "L1", "L2", "L3", "F32", "L4"):
        if level not in levels:
            continue
        if level == "F32":
            report.levels[level] = LevelResult(level, skipped_reason="the Rust translation computes in float64 only: there is no float32 build to check")
            continue
        if not contract_ok:
            report.levels[level] = LevelResult(level, skipped_reason="L0 failed: fix the contract first")
            continue
        try:
            if level == "L4":
                report.levels[level] = check_policy_transfer(port, "rust", None, PolicyTransferOptions(seed=options.seed), progress)
                continue
            lock = lock or RustLockstep(port)
            progress(f"{port.name}: {level} (rust)")
            if level == "D":
                report.levels[level] = check_distribution(lock, seed=options.seed, sampler=rust_reset_draws)
            elif level == "L1":
                report.levels[level] = check_properties(lock, options.examples, options.seed)
            elif level == "L2":
                report.levels[level] = check_rust_interaction(lock, seed=options.seed)
            else:
                report.levels[level] = check_rollouts(lock, options.episodes, options.policies, options.seed)
        except Exception as exc:
            failed = LevelResult(level, passed=False, checks=1)
            failed.fail("run", f"{type(exc).__name__}: {exc}")
            report.levels[level] = failed
    report.seconds = time.perf_counter() - start
    return report
