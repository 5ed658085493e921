"""Run the verification levels on one port and collect a report.

The levels, their order, what applies to which backend and how each runs are in verify.levels;
this runs the selected ones on the JAX translation (the registered one, another translation
object, or a third-party candidate) or the Rust one.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from envs.spec import Port
from verify.candidates import Candidate
from verify.levels import (  # noqa: F401 - AVAILABLE_LEVELS and parse_levels are named here for the CLI
    AVAILABLE_LEVELS,
    DEFAULT_LEVELS,
    LevelContext,
    VerifyOptions,
    parse_levels,
    run_levels,
)
from verify.precision import enable_verification_numerics, verification_numerics_enabled
from verify.reports.model import VerificationReport


def verify_port(
    port: Port,
    levels: tuple[str, ...] = DEFAULT_LEVELS,
    options: VerifyOptions | None = None,
    env: Any | None = None,
    progress: Callable[[str], None] = lambda msg: None,
    candidate: Candidate | None = None,
    backend: str = "jax",
    loader: Callable[..., Any] | None = None,
) -> VerificationReport:
    """Verify the JAX translation of `port` (or `env`, another translation of it, or a third-party `candidate`),
    or with `backend="rust"` its Rust translation.

    `loader`: L0's load check, for a translation that loads another way than its registered module
    (default: verify.contract.check_loads).
    """
    options = options or VerifyOptions()
    if not verification_numerics_enabled():
        enable_verification_numerics()
    if backend == "rust":  # the Rust translation is the registered one
        env = candidate = None
    spec = ignored = None
    if candidate is not None:
        port, env, spec, ignored = candidate.port_view(port), candidate.env, candidate.spec, sorted(candidate.ignored)
    report = VerificationReport(port.name, spec or backend, options=dict(vars(options), levels=list(levels)))
    if ignored:
        report.options["not_compared"] = ignored
    ctx = LevelContext(port, backend, options, env=env, candidate=spec, loader=loader, progress=progress)
    start = time.perf_counter()
    for name, result in run_levels(ctx, levels):
        report.levels[name] = result
        if name == "L0" and ignored:
            result.notes.append(f"{spec} does not model {', '.join(ignored)}: not compared")
    report.seconds = time.perf_counter() - start
    return report
