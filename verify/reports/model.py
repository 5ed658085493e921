"""Verification results: plain dataclasses that serialise to the JSON report (the source of truth)."""

from __future__ import annotations

import dataclasses
import json
import platform
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any


@dataclass
class LevelResult:
    """The outcome of one level: how many checks ran, which failed and why."""

    level: str
    passed: bool | None = None  # None: skipped
    checks: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    skipped_reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)  # series for plots (e.g. float32 drift)
    coverage: dict[str, Any] | None = None  # the reference's branch coverage (verify.branch_coverage.summary)

    @property
    def title(self) -> str:
        """The level's title ('properties' for L1) as verify.levels labels the results it runs; else its name.

        Not a field: the JSON report holds the level's name, and its readers look the title up."""
        return self.__dict__.get("_title") or self.level

    @title.setter
    def title(self, value: str) -> None:
        self.__dict__["_title"] = value

    def fail(self, check: str, message: str, **details: Any) -> None:
        """Record a failed check."""
        self.failures.append({"check": check, "message": message, **details})


@dataclass
class VerificationReport:
    """Everything one `envport verify` run found, for one port and backend."""

    env: str
    backend: str
    levels: dict[str, LevelResult] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    seconds: float = 0.0
    options: dict[str, Any] = field(default_factory=dict)
    partial: str | None = None  # why the report is incomplete ("interrupted", "not run yet"); None: complete

    @property
    def passed(self) -> bool:
        # A level is skipped either because it does not apply (fine) or because L0 failed (then L0 fails the run).
        ran = [r for r in self.levels.values() if r.passed is not None]
        return bool(ran) and all(r.passed for r in ran)

    @property
    def verdict(self) -> str:
        """'pass', 'fail', or 'not-run' when every level was skipped (nothing verified: `passed` is False, and each
        skipped level's `skipped_reason` says why), as verify.reports.common.report_status reads the JSON."""
        if self.passed:
            return "pass"
        return "not-run" if self.levels and all(r.passed is None for r in self.levels.values()) else "fail"

    def first_failure(self) -> tuple[LevelResult, dict[str, Any]] | None:
        """The lowest failing level and its first failure: what a repair should fix first.

        `levels` holds the levels in the order they ran, which is verify.levels' order (a repair's)."""
        for result in self.levels.values():
            if result.passed is False and result.failures:
                return result, result.failures[0]
        return None

    def to_dict(self) -> dict[str, Any]:
        """The JSON report. A partial one has `partial` (why) and `passed` null: it is no verdict."""
        first = self.first_failure()
        return {
            "env": self.env,
            "backend": self.backend,
            "passed": None if self.partial else self.passed,
            **({"partial": self.partial} if self.partial else {}),
            "verdict": self.verdict,
            "first_failure": None if first is None else {"level": first[0].level, **first[1]},
            "levels": {name: dataclasses.asdict(r) for name, r in self.levels.items()},
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "options": self.options,
            "environment": environment_description(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=_json_default)


class ReportFormatError(ValueError):
    """JSON that is not an envport verification report; the message says what is wrong."""


_LEVEL_TYPES = {"passed": (bool, type(None)), "failures": (list,), "notes": (list,)}


def check_report_json(data: Any) -> None:
    """Raise ReportFormatError unless `data` is one verification report (as `to_dict` writes it) or a non-empty
    list of them: the keys and types the renderers rely on (`env`, `backend`, `passed`, `levels`, and each level's
    `passed`, `failures` and `notes` where present). Unknown keys are allowed (a newer envport's reports)."""
    if isinstance(data, list):
        if not data:
            raise ReportFormatError("an empty list, not a verification report")
        for i, item in enumerate(data):
            try:
                check_report_json(item) if isinstance(item, dict) else _wrong(f"item {i} is a {type(item).__name__}")
            except ReportFormatError as exc:
                raise ReportFormatError(f"item {i}: {exc}") from None
        return
    if not isinstance(data, dict):
        _wrong(f"a JSON {type(data).__name__}")
    missing = [k for k in ("env", "backend", "passed", "levels") if k not in data]
    if missing:
        _wrong(f"no {', '.join(missing)} key{'s' if len(missing) > 1 else ''}")
    for key in ("env", "backend"):
        if not isinstance(data[key], str):
            _wrong(f"{key!r} is a {type(data[key]).__name__}, not a string")
    if not isinstance(data["passed"], (bool, type(None))):
        _wrong(f"'passed' is a {type(data['passed']).__name__}, not true, false or null")
    if not isinstance(data["levels"], dict):
        _wrong(f"'levels' is a {type(data['levels']).__name__}, not an object of levels")
    for name, level in data["levels"].items():
        if not isinstance(level, dict):
            _wrong(f"level {name!r} is a {type(level).__name__}, not an object")
        for key, types in _LEVEL_TYPES.items():
            if key in level and not isinstance(level[key], types):
                _wrong(f"level {name!r}: {key!r} is a {type(level[key]).__name__}")


def _wrong(what: str) -> None:
    raise ReportFormatError(f"{what}, not an envport verification report (one object with env, backend, passed and levels, or a list of them)")


def _json_default(value: Any) -> Any:
    try:
        import numpy as np

        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, np.generic):
            return value.item()
    except ImportError:  # pragma: no cover
        pass
    return repr(value)


def environment_description() -> dict[str, Any]:
    """Machine and package versions, so a report says where it was made."""
    versions = {}
    for package in ("envport", "jax", "jaxlib", "numpy", "gymnasium", "hypothesis"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "versions": versions,
    }
