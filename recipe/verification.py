"""Verify a workspace translation in a subprocess with a time limit, and condense the report for the agent.

The outcome dict is what the loop, the `run_verification` tool and the repair
prompt use: `passed`, per level 'pass'/'FAIL'/'skipped', and the lowest failing
level's first failure (`first_failure`: level, title, check, message, reproduce).
The verifier's full JSON report is kept beside it in the run folder.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from recipe.task import ROOT, Task
from recipe.workspace import Workspace
from verify.process import child_env, crash_cause, head_tail, run_command, workspace_env
from verify.levels import LEVEL_ORDER, LEVEL_TITLES, UNREGISTERED_LEVELS

DEFAULT_LEVELS = ",".join(UNREGISTERED_LEVELS)  # "L0,D,L1,L2,L3": a workspace translation is not registered


@dataclass
class VerifySettings:
    """How verification runs: levels, effort, time limit (seconds, whole verification)."""

    levels: str = DEFAULT_LEVELS
    examples: int = 200
    programs: int = 30
    episodes: int = 100
    seed: int = 0
    timeout: float = 900.0


def fingerprint(task: Task, workspace: Workspace) -> str:
    """A hash of the files the agent owns (what verification depends on)."""
    h = hashlib.sha256()
    for rel in task.owned_files:
        h.update(rel.encode() + b"\0")
        h.update(workspace.read(rel).encode() if workspace.exists(rel) else b"<missing>")
        h.update(b"\0")
    return h.hexdigest()


def condense(report: dict[str, Any]) -> dict[str, Any]:
    """The verifier's report reduced to what the agent and the loop need."""
    levels = {}
    for name in LEVEL_ORDER:
        result = report.get("levels", {}).get(name)
        if result is not None:
            levels[name] = "skipped" if result.get("passed") is None else "pass" if result["passed"] else "FAIL"
    first = report.get("first_failure")
    if first is not None:
        first = {k: v for k, v in first.items() if k in ("level", "check", "message", "reproduce", "program")}
        first["title"] = LEVEL_TITLES.get(first["level"], first["level"])
        first["message"] = head_tail(str(first.get("message", "")), 6000)
    return {"passed": bool(report.get("passed")), "levels": levels, "first_failure": first,
            "seconds": report.get("seconds", 0.0)}


def failed_outcome(level: str, check: str, message: str) -> dict[str, Any]:
    """An outcome holding one failure found before (or instead of) running the verifier."""
    return {"passed": False, "levels": {level: "FAIL"},
            "first_failure": {"level": level, "title": LEVEL_TITLES.get(level, level), "check": check, "message": message},
            "seconds": 0.0}


def reports_in(folder: Path, prefix: str) -> int:
    """The highest number NNN of the `<prefix>-NNN.json` reports in `folder` (0 when none)."""
    numbers = [int(p.stem.rpartition("-")[2]) for p in Path(folder).glob(f"{prefix}-*.json") if p.stem.rpartition("-")[2].isdigit()]
    return max(numbers, default=0)


class Verifier:
    """Runs verification of one task's workspace; remembers outcomes by content so nothing is verified twice."""

    def __init__(self, task: Task, workspace: Workspace, settings: VerifySettings, out_dir: Path,
                 time_left: Callable[[], float | None] = lambda: None):
        self.task, self.workspace, self.settings, self.out_dir = task, workspace, settings, Path(out_dir)
        self.time_left = time_left  # seconds left of the run's --timeout (None: no limit)
        self.cache: dict[str, dict[str, Any]] = {}
        self.count = reports_in(self.out_dir, "verify")  # a resumed run numbers on: no report is overwritten
        self.build_dir = self.out_dir.parent / "rust_build"  # Rust target: the build of the workspace crate

    def verify(self, levels: str | None = None) -> dict[str, Any]:
        """Verify the workspace at `levels` (default: the settings'); the outcome has 'fingerprint' and 'report_path'."""
        levels = levels or self.settings.levels
        from verify.runner import parse_levels

        try:
            parse_levels(levels)
        except ValueError as exc:
            return {**failed_outcome("L0", "levels", str(exc)), "usage": True}
        print_ = self.fingerprint()
        key = f"{print_}:{levels}"
        if key in self.cache:
            return self.cache[key]
        missing = [rel for rel in self.task.owned_files if not self.workspace.exists(rel)]
        if missing:
            outcome = failed_outcome("L0", "files", f"missing in the workspace: {', '.join(missing)}. Write them first.")
        else:
            outcome = self._run(levels)
        outcome.update(fingerprint=print_, levels_requested=levels)
        if not outcome.get("budget"):  # cut short by --timeout says nothing of the translation: verify again next time
            self.cache[key] = outcome
        return outcome

    def time_limit(self) -> tuple[float, bool]:
        """Seconds a verification (or build, or measurement) may take now, and whether the run's --timeout set it."""
        return time_limit(self.settings.timeout, self.time_left())

    def fingerprint(self) -> str:
        """Hash of the workspace files verification depends on."""
        return fingerprint(self.task, self.workspace)

    def _run(self, levels: str) -> dict[str, Any]:
        self.count += 1
        self.out_dir.mkdir(parents=True, exist_ok=True)
        report_path = self.out_dir / f"verify-{self.count:03d}.json"
        s = self.settings
        limit, by_budget = self.time_limit()
        import_paths = [ROOT]
        if self.task.target == "rust":
            from recipe import rust_build
            from verify.rust_build import compiler_errors

            site, built = rust_build.build(self.task, self.workspace, self.build_dir, limit)
            if site is None:
                if built.timed_out and by_budget:
                    return _budget_outcome(limit, "the Rust build")
                what = "timed out" if built.timed_out else f"failed (exit {built.returncode})"
                return {**failed_outcome("L0", "build", f"maturin build of the crate {what}:\n"
                                         + compiler_errors(built.output)), "report_path": None}
            import_paths = [site, ROOT]
        cmd = [sys.executable, "-m", "recipe.verify_worker", "--workspace", str(self.workspace.root),
               "--levels", levels, "--examples", str(s.examples), "--programs", str(s.programs),
               "--episodes", str(s.episodes), "--seed", str(s.seed), "--json", str(report_path),
               "--load-timeout", str(max(10.0, min(120.0, limit / 2))), "--level-timeout", str(max(10.0, limit / 2))]
        if self.task.target == "rust":
            cmd += ["--port", self.task.name, "--backend", "rust", "--rust-site", str(import_paths[0])]
            cmd += rust_classes_args(self.task)
        elif self.task.registered:
            cmd += ["--port", self.task.name, "--translation", self.task.translation_file,
                    "--class-name", self.task.class_name, "--adapter", str(self.out_dir / "candidate_adapter.py")]
        else:
            cmd += ["--package", self.task.package]
        result = run_command(cmd, cwd=ROOT, timeout=limit, env=worker_env(self.task, *import_paths), isolated=True)
        if result.timed_out and by_budget:
            return _budget_outcome(limit, "verification")
        if result.timed_out:
            return {**failed_outcome("L0", "time limit", f"verification did not finish within {limit:.0f} s and was killed "
                                     "(a hang at import or in reset/step, or an endless loop?)"), "report_path": None}
        if not report_path.is_file():
            return {**failed_outcome("L0", "crash", f"the verifier process exited with {result.returncode} without a report:\n"
                                     + crash_cause(result.output) + head_tail(result.output, 4000)), "report_path": None}
        outcome = condense(json.loads(report_path.read_text()))
        outcome["report_path"] = str(report_path)
        return outcome



def time_limit(timeout: float, left: float | None) -> tuple[float, bool]:
    """Seconds a step may take: its own `timeout`, or what is `left` of the run's --timeout when that is less (at least
    1 s); and whether the run's budget set it."""
    if left is None or left >= timeout:
        return timeout, False
    return max(1.0, left), True


def rust_classes_args(task) -> list[str]:
    """For a new games module: the worker's `--rust-classes` and `--rust-source`, which give the port (not yet
    declaring them) the classes the workspace build binds; nothing otherwise."""
    entry = task.rust_registration
    return [] if entry is None else ["--rust-classes", f"{entry.single},{entry.vec}", "--rust-source", entry.source]


def worker_env(task, *import_paths) -> dict[str, str]:
    """The environment of a verification or benchmark worker. A new port's JAX translation: `workspace_env` (no ports
    folders, so an earlier promotion of the port cannot stand in for the workspace's package). A registered port's
    translation is loaded by its path, and a Rust workspace holds only the crate, so there the ports folders stay:
    the port may live in one (`child_env`)."""
    return child_env(*import_paths) if task.target == "rust" or task.registered else workspace_env(*import_paths)


def _budget_outcome(seconds: float, what: str) -> dict[str, Any]:
    """The outcome of a step the run's --timeout cut short (marked `budget`: not cached, not the translation's fault)."""
    message = f"{what} was stopped after {seconds:.0f} s: the run's --timeout ran out (not a verdict on the translation)"
    return {**failed_outcome("L0", "run timeout", message), "report_path": None, "budget": True}
