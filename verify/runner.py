"""Run the verification levels on one port and collect a report.

The levels, their order, what applies to which backend and how each runs are in verify.levels;
this runs the selected ones on the JAX translation (the registered one, another translation
object, or a third-party candidate) or the Rust one.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
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
    timed_out_result,
)
from verify.float32 import K_ULPS, float32_view
from verify.precision import enable_verification_numerics, verification_numerics_enabled
from verify.reports.model import VerificationReport

PRECISIONS = ("float64", "float32")


def verify_port(
    port: Port,
    levels: tuple[str, ...] = DEFAULT_LEVELS,
    options: VerifyOptions | None = None,
    env: Any | None = None,
    progress: Callable[[str], None] = lambda msg: None,
    candidate: Candidate | None = None,
    backend: str = "jax",
    loader: Callable[..., Any] | None = None,
    reproduce: str | None = None,
    on_level: Callable[[VerificationReport], None] | None = None,
    on_hang: Callable[[VerificationReport], None] | None = None,
) -> VerificationReport:
    """Verify the JAX translation of `port` (or `env`, another translation of it, or a third-party `candidate`),
    or with `backend="rust"` its Rust translation.

    `options.precision` "float32" compares a float32-native translation within the F32 tolerance
    (verify.float32.float32_view). `loader`: L0's load check, for a translation that loads another way than its
    registered module (default: verify.contract.check_loads). `reproduce`: the lines that build `lock` in the reproduction
    scripts of failures (default: `reproduce_setup`). `on_level`: called with the report so far after each
    level (run or skipped), so a caller can show progress and keep what finished if the run is interrupted.
    """
    options = options or VerifyOptions()
    if not verification_numerics_enabled():
        enable_verification_numerics()
    if backend == "rust":  # the Rust translation is the registered one
        env = candidate = None
    spec = ignored = None
    reproduce = reproduce or reproduce_setup(port, backend, candidate.spec if candidate is not None else None, options.precision)
    if candidate is not None:
        port, env, spec, ignored = candidate.port_view(port), candidate.env, candidate.spec, sorted(candidate.ignored)
    if options.precision not in PRECISIONS:
        raise ValueError(f"unknown precision {options.precision!r}; use one of {', '.join(PRECISIONS)}")
    if options.precision == "float32":
        port = float32_view(port)
    report = VerificationReport(port.name, spec or backend, options=dict(vars(options), levels=list(levels)))
    if ignored:
        report.options["not_compared"] = ignored
    ctx = LevelContext(port, backend, options, env=env, candidate=spec, loader=loader, progress=progress, reproduce=reproduce)
    start = time.perf_counter()

    def hung(level: str, limit_s: float, message: str) -> None:
        report.levels[level] = timed_out_result(level, limit_s, message)
        report.seconds = time.perf_counter() - start
        print(f"{port.name}: {message}", file=sys.stderr, flush=True)
        if on_hang is not None:
            on_hang(report)

    if options.level_timeout_s:
        ctx.on_hang = hung
    for name, result in run_levels(ctx, levels):
        report.levels[name] = result
        if name == "L0" and ignored:
            result.notes.append(f"{spec} does not model {', '.join(ignored)}: not compared")
        if name == "L0" and options.precision == "float32":
            result.notes.append(f"precision float32: float values compared within {K_ULPS} float32 epsilons of "
                                "(|value| + the field's scale), flags may flip at a threshold met by rounding")
        if on_level is not None:
            report.seconds = time.perf_counter() - start
            on_level(report)
    report.seconds = time.perf_counter() - start
    return report


@dataclass(frozen=True)
class PortVerification:
    """One port of `envport verify --all` as a task for a verify.executors executor: `verify_port` on the registered
    port named `port_name` (looked up where the task runs); its result is the report.

    `candidate`, `progress`, `on_level` and `on_hang` are for a task run in this process (a local executor): a candidate object
    and callbacks do not travel to another machine.
    """

    port_name: str
    levels: tuple[str, ...]
    options: VerifyOptions
    backend: str = "jax"
    candidate: Candidate | None = field(default=None, compare=False)
    progress: Callable[[str], None] | None = field(default=None, compare=False)
    on_level: Callable[[VerificationReport], None] | None = field(default=None, compare=False)
    on_hang: Callable[[VerificationReport], None] | None = field(default=None, compare=False)

    def run(self, workers: Any = None) -> VerificationReport:
        """The port's report (`workers` is unused: the levels start what they need)."""
        if not verification_numerics_enabled():
            enable_verification_numerics()  # before the registry's imports, in a process of a remote executor
        from envs import get_port

        return verify_port(get_port(self.port_name), self.levels, self.options, progress=self.progress or (lambda msg: None),
                           on_level=self.on_level, on_hang=self.on_hang, candidate=self.candidate, backend=self.backend)


def reproduce_setup(port: Port, backend: str = "jax", candidate: str | None = None, precision: str = "float64") -> str:
    """Python lines that build `lock` (the lockstep a failure was found in) in a fresh interpreter: the port by its
    name, with this process's ports folders (a user's port), the candidate loaded from its spec, and the float32
    tolerances when `precision` is "float32"."""
    from envs.registry import PORTS_ENV

    lines = []
    if os.environ.get(PORTS_ENV):
        lines += ["import os", f"os.environ[{PORTS_ENV!r}] = {os.environ[PORTS_ENV]!r}  # where the port was found"]
    lines.append("from envs import get_port")
    if backend == "rust":
        lines += ["from verify.lockstep import RustLockstep", f"lock = RustLockstep(get_port({port.name!r}))"]
    elif candidate is not None:
        lines += ["from verify.candidates import load_candidate", "from verify.lockstep import Lockstep",
                  f"port = get_port({port.name!r})", f"candidate = load_candidate(port, {candidate!r})",
                  "lock = Lockstep(candidate.port_view(port), candidate.env)"]
    else:
        lines += ["from verify.lockstep import Lockstep", f"lock = Lockstep(get_port({port.name!r}))"]
    if precision == "float32" and backend != "rust":
        lines += ["from verify.float32 import float32_view", "lock = Lockstep(float32_view(lock.port), lock.env)"]
    return "\n".join(lines) + "\n"
