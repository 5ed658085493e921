"""`envport create`'s first stage: a written specification in, a Python reference with conformance tests out.

`SpecTask` is what the prompts show (the spec verbatim) and which files the agent owns; `SpecVerifier` checks the
workspace as `recipe.verification.Verifier` checks a translation (same interface, so the loop, the tools and the
agents are the ones `envport translate` uses), each part in a subprocess with a time limit:

- `rules`: every rule of the spec (`recipe.conformance.spec_rules`) is named by at least one test;
- `tests`: the conformance tests pass against the reference (`pytest -p recipe.conformance`);
- `load`: the package imports, defines `PORT`, builds the reference, whose state has exactly the declared fields;
- `checker`: `gymnasium.utils.env_checker.check_env` passes, and a port with a mask returns it as the contract says;
- `adapter`: `verify.roundtrip`'s completeness check of `get_state`/`set_state`.

`python -m recipe.spec_task --workspace W --package P --json OUT` runs the last three (the worker).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from recipe.conformance import IMPLEMENTATION_ENV, PACKAGE_ENV, RESULTS_ENV, spec_rules
from recipe.task import ROOT, SourceFile, Task, TaskError, _package_name
from recipe.verification import VerifySettings, reports_in
from recipe.workspace import Workspace

CHECKS = ("load", "rules", "tests", "checker", "adapter")  # the order the first failure is chosen in
CHECK_TITLES = {"load": "reference loads", "rules": "every rule has a test", "tests": "conformance tests",
                "checker": "gymnasium env_checker", "adapter": "adapter round trip"}
MAX_SPEC_BYTES = 400_000


def read_spec(path: Path) -> str:
    """The text of a specification file; TaskError (one line) when it is missing, empty, too large or not text."""
    path = Path(path)
    if not path.is_file():
        raise TaskError(f"--spec {path}: no such file; give the path of the specification (Markdown or plain text)")
    data = path.read_bytes()
    if len(data) > MAX_SPEC_BYTES:
        raise TaskError(f"--spec {path}: {len(data)} bytes is over the {MAX_SPEC_BYTES}-byte limit for a specification")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TaskError(f"--spec {path}: not UTF-8 text; give the specification as a text (Markdown) file") from None
    if "\x00" in text:
        raise TaskError(f"--spec {path}: contains NUL bytes, so it is not text; give the specification as a Markdown file")
    if not text.strip():
        raise TaskError(f"--spec {path}: the file is empty; write the specification first")
    return text


def class_name_for(package: str, suffix: str = "") -> str:
    """`brine_watch` -> `BrineWatch` (+ suffix): the class names the prompts ask for."""
    return "".join(part.capitalize() for part in package.split("_")) + suffix


@dataclass
class SpecTask(Task):
    """Stage 1 of `envport create`: the agent writes a port package whose reference is written from the spec."""

    spec_path: str = ""
    spec_text: str = ""
    rules: tuple[str, ...] = ()

    @property
    def translation_file(self) -> str:
        """The reference (what a repair prompt names)."""
        return f"{self.package}/reference.py"

    @property
    def test_file(self) -> str:
        """The conformance tests."""
        return f"{self.package}/test_conformance.py"

    @property
    def owned_files(self) -> list[str]:
        """The package the agent writes: metadata, reference with its adapter, conformance tests, open questions."""
        return [f"{self.package}/__init__.py", self.translation_file, self.test_file, f"{self.package}/OPEN_QUESTIONS.md"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (state.json)."""
        return {**super().to_dict(), "spec": self.spec_path, "rules": list(self.rules)}


def task_for_spec(spec: Path, name: str) -> SpecTask:
    """The create task of a spec file and a new port name (TaskError for bad input)."""
    text = read_spec(spec)
    package = _package_name(name)
    path = str(Path(spec).resolve())
    source = SourceFile(Path(spec).name, path, text, "spec")
    return SpecTask(name, "reference", f"spec:{path}", False, class_name_for(package, "Env"), package, [source], {},
                    spec_path=path, spec_text=text, rules=tuple(spec_rules(text)))


def _outcome(checks: dict[str, tuple[bool | None, str, str]], seconds: float) -> dict[str, Any]:
    """The loop's outcome from {check: (passed or None when not run, failing test or check name, message)}."""
    levels = {name: "skipped" if ok is None else "pass" if ok else "FAIL" for name, (ok, _, _) in checks.items()}
    first = None
    for name in CHECKS:
        ok, check, message = checks.get(name, (None, "", ""))
        if ok is False:
            first = {"level": name, "title": CHECK_TITLES[name], "check": check, "message": message}
            break
    return {"passed": all(ok for ok, _, _ in checks.values()) and set(checks) == set(CHECKS), "levels": levels,
            "first_failure": first, "seconds": round(seconds, 2)}


class SpecVerifier:
    """Checks a create workspace (see the module docstring); the interface of `recipe.verification.Verifier`."""

    def __init__(self, task: SpecTask, workspace: Workspace, settings: VerifySettings, out_dir: Path,
                 time_left: Callable[[], float | None] = lambda: None):
        self.task, self.workspace, self.settings, self.out_dir = task, workspace, settings, Path(out_dir)
        self.time_left = time_left  # seconds left of the run's --timeout (None: no limit)
        self.cache: dict[str, dict[str, Any]] = {}
        self.count = reports_in(self.out_dir, "check")  # a resumed run numbers on: no report is overwritten
        self.build_dir = self.out_dir.parent / "build"

    def time_limit(self) -> tuple[float, bool]:
        """Seconds a check may take now, and whether the run's --timeout set it."""
        from recipe.verification import time_limit

        return time_limit(self.settings.timeout, self.time_left())

    def fingerprint(self) -> str:
        """Hash of the files the agent owns."""
        from recipe.verification import fingerprint

        return fingerprint(self.task, self.workspace)

    def verify(self, levels: str | None = None) -> dict[str, Any]:
        """Run every check (`levels` is ignored: a reference is checked whole); cached by content."""
        print_ = self.fingerprint()
        if print_ in self.cache:
            return self.cache[print_]
        missing = [rel for rel in self.task.owned_files if not self.workspace.exists(rel)]
        start = time.time()
        if missing:
            checks = {name: (None, "", "") for name in CHECKS}
            checks["load"] = (False, "files", f"missing in the workspace: {', '.join(missing)}. Write them first.")
            outcome = _outcome(checks, 0.0)
            outcome["passed"] = False
        else:
            outcome = self._run(start)
        outcome.update(fingerprint=print_, levels_requested="all")
        self.cache[print_] = outcome
        return outcome

    def _run(self, start: float) -> dict[str, Any]:
        from verify.process import head_tail, run_command, workspace_env

        self.count += 1
        self.out_dir.mkdir(parents=True, exist_ok=True)
        report_path = self.out_dir / f"check-{self.count:03d}.json"
        tests_path = self.out_dir / f"tests-{self.count:03d}.json"
        root, timeout = self.workspace.root, self.time_limit()[0]
        env = {**workspace_env(ROOT, root), PACKAGE_ENV: self.task.package, IMPLEMENTATION_ENV: "reference",
               RESULTS_ENV: str(tests_path)}
        checks: dict[str, tuple[bool | None, str, str]] = {}
        worker = run_command([sys.executable, "-m", "recipe.spec_task", "--workspace", str(root), "--package", self.task.package,
                              "--json", str(report_path)], cwd=ROOT, timeout=timeout, env=env, isolated=True)
        if worker.timed_out or not report_path.is_file():
            why = f"did not finish within {timeout:.0f} s (killed)" if worker.timed_out else f"exited {worker.returncode} without a report"
            checks["load"] = (False, "crash", f"loading and checking the reference {why}:\n" + head_tail(worker.output, 4000))
        else:
            checks.update({k: tuple(v) for k, v in json.loads(report_path.read_text()).items()})
        tests = run_tests(self.workspace, self.task.test_file, self.out_dir.parent, timeout, env)
        checks.update(self._judge_tests(tests, tests_path))
        outcome = _outcome(checks, time.time() - start)
        report_path.write_text(json.dumps({"checks": checks, "tests": tests.output[-20000:]}, indent=1, default=str))
        outcome["report_path"] = str(report_path)
        return outcome

    def _judge_tests(self, proc, tests_path: Path) -> dict[str, tuple[bool | None, str, str]]:
        from verify.process import head_tail

        if proc.timed_out:
            return {"tests": (False, "time limit", f"the conformance tests did not finish within {self.settings.timeout:.0f} s "
                              "(killed): a test that never ends, or an endless loop in the reference?"), "rules": (None, "", "")}
        if not tests_path.is_file():
            return {"tests": (False, "collection", f"pytest exited {proc.returncode} before running the tests:\n"
                              + head_tail(proc.output, 4000)), "rules": (None, "", "")}
        data = json.loads(tests_path.read_text())
        named = set().union(*[set(r) for r in data["collected"].values()]) if data["collected"] else set()
        uncovered = [rule for rule in self.task.rules if rule not in named]
        rules = (True, "", "") if not uncovered else (False, "coverage", (
            f"no test names {', '.join(uncovered)}: write at least one test per rule, naming the rule id in the test's "
            f"name (test_R7_4_...) or docstring (\"R-7.4: ...\"). Rules: {', '.join(self.task.rules)}"))
        failed = [r for r in data["tests"] if r["outcome"] == "failed"]
        if not data["collected"]:
            return {"tests": (False, "collection", "no conformance tests were collected:\n" + head_tail(proc.output, 3000)), "rules": rules}
        if failed:
            r = failed[0]
            what = f" (it names {', '.join(r['rules'])})" if r["rules"] else ""
            more = f"; {len(failed) - 1} more failed: {', '.join(f['nodeid'] for f in failed[1:6])}" if len(failed) > 1 else ""
            return {"tests": (False, r["nodeid"], f"{r['nodeid']}{what} failed{more}:\n{head_tail(r['message'], 5000)}"), "rules": rules}
        if data["exitstatus"] not in (0, 5):
            return {"tests": (False, "pytest", f"pytest exited {data['exitstatus']}:\n" + head_tail(proc.output, 4000)), "rules": rules}
        return {"tests": (True, "", ""), "rules": rules}


def run_tests(workspace: Workspace, path: str, run_dir: Path, timeout: float, env: dict[str, str]):
    """pytest with the conformance plugin on `path` in the workspace (subprocess, time limit, own PID namespace)."""
    from verify.process import run_command

    ini = Path(run_dir) / "pytest.ini"  # keeps pytest from picking up another project's configuration
    ini.parent.mkdir(parents=True, exist_ok=True)
    ini.write_text("[pytest]\n")
    return run_command([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "recipe.conformance", "-c",
                        str(ini), "--rootdir", str(workspace.root), str(workspace.resolve(path))],
                       cwd=workspace.root, timeout=timeout, env=env, isolated=True)


# ----- the worker: load, env_checker, adapter -------------------------------------------------------

def _check(fn) -> tuple[bool, str, str]:
    try:
        problem = fn()
    except Exception as exc:  # noqa: BLE001 - the reference is untrusted; its error is the message
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-5:])
        return False, type(exc).__name__, f"{type(exc).__name__}: {exc}\n{tb}"
    return (True, "", "") if not problem else (False, problem[0], problem[1])


def check_reference(workspace: Path, package: str) -> dict[str, tuple[bool | None, str, str]]:
    """{check: (passed, check name, message)} for load, checker and adapter."""
    import gymnasium
    import numpy as np

    from recipe.conformance import load_port

    if str(workspace) not in sys.path:
        sys.path.append(str(workspace))  # appended: workspace files cannot shadow envport's own modules
    found: dict[str, Any] = {}

    def load():
        from envs.spec import Port

        port = load_port(package)
        if not isinstance(port, Port):
            return "PORT", f"{package}.PORT is a {type(port).__name__}, not envs.spec.Port"
        env = port.make_reference()
        if not isinstance(env, gymnasium.Env):
            return "make_reference", f"PORT.make_reference() returned a {type(env).__name__}, not a gymnasium.Env"
        env.reset(seed=0)
        state = port.get_state(env)
        names = [f.name for f in port.state_fields]
        if sorted(state) != sorted(names):
            return "state_fields", (f"get_state returns {sorted(state)}, the metadata declares {sorted(names)}: "
                                    "they must be the same fields (the spec's state table)")
        for f in port.state_fields:
            value = np.asarray(state[f.name])
            if value.dtype != np.dtype(f.dtype) or tuple(value.shape) != tuple(f.shape):
                return "state_fields", (f"state field {f.name!r}: get_state gives {value.dtype}{tuple(value.shape)}, "
                                        f"the metadata declares {f.dtype}{tuple(f.shape)}")
        found["port"] = port

    checks = {"load": _check(load)}
    port = found.get("port")
    if port is None:
        return {**checks, "checker": (None, "", ""), "adapter": (None, "", "")}

    def checker():
        from gymnasium.utils.env_checker import check_env

        env = port.make_reference()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_env(getattr(env, "unwrapped", env), skip_render_check=True)
        if port.action_mask:
            n = int(env.action_space.n)
            _, info = env.reset(seed=1)
            results = [("reset", info)]
            for t in range(3):
                *_, info = env.step(int(np.flatnonzero(info["action_mask"])[0]) if "action_mask" in info else 0)
                results.append((f"step {t + 1}", info))
            for where, info in results:
                mask = info.get("action_mask") if isinstance(info, dict) else None
                if mask is None or not isinstance(mask, np.ndarray) or mask.dtype != bool or mask.shape != (n,):
                    return "action_mask", (f"PORT.action_mask is True, but after {where} info['action_mask'] is {mask!r}: "
                                           f"it must be a bool numpy array of shape ({n},)")

    def adapter():
        from verify.roundtrip import check_adapter_round_trip

        problems = check_adapter_round_trip(port)
        if problems:
            return "adapter.complete", "; ".join(problems)

    checks["checker"] = _check(checker)
    checks["adapter"] = _check(adapter)
    return checks


def main(argv: list[str] | None = None) -> int:
    """Check the workspace reference (load, env_checker, adapter) and write the results as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--package", required=True)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    args.json.write_text(json.dumps(check_reference(args.workspace.resolve(), args.package)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
