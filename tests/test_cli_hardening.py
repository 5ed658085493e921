"""Issue 18's hardening: output paths checked before any work, nothing finished lost on Ctrl-C, progress when
piped, bad inputs refused in one line, and `envport bench` failing when a backend fails."""

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from recipe.cli import app
from recipe.cli.console import traceback_line
from recipe.cli.paths import write_text
from recipe.cli.progress import Progress

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
UNWRITABLE = Path("/proc/envport-nowhere/out.json")  # not even root can create files in /proc


def errors_of(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]


def forbid(monkeypatch, module: str, name: str) -> None:
    """Make the work itself fail loudly, so a test proves the paths were refused before it started."""
    import importlib

    def started(*args, **kwargs):
        raise AssertionError(f"{name} ran: the bad path was not refused first")

    monkeypatch.setattr(importlib.import_module(module), name, started)


COMMANDS = {
    "verify": (["verify", "cartpole", "--levels", "L0"], "verify.runner", "verify_port"),
    "bench": (["bench", "cartpole", "--backend", "jax", "--batch-sizes", "32", "--repeats", "1"], "ppo.bench", "run_bench"),
    "mutate": (["mutate", "cartpole", "--max-mutants", "1"], "verify.mutation.analysis", "run_mutation_analysis"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("where", ["folder", "unwritable", "under a file"])
def test_a_bad_json_path_is_refused_before_any_work(command, where, tmp_path, monkeypatch):
    if where == "unwritable" and not Path("/proc/self").exists():
        pytest.skip("needs Linux's /proc as a place no one can write")
    args, module, work = COMMANDS[command]
    forbid(monkeypatch, module, work)
    (tmp_path / "a-file").write_text("keep me")
    target = {"folder": tmp_path, "unwritable": UNWRITABLE, "under a file": tmp_path / "a-file" / "out.json"}[where]
    start = time.perf_counter()
    result = runner.invoke(app, [*args, "--json", str(target)])
    assert time.perf_counter() - start < 5
    assert result.exit_code == 2, result.output
    assert len(errors_of(result)) == 1 and "--json" in errors_of(result)[0], result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "a-file").read_text() == "keep me"


def test_a_fresh_envport_refuses_a_bad_path_before_loading_the_registry(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "recipe.cli", "verify", "cartpole", "--json", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert time.perf_counter() - start < 5
    assert done.returncode == 2 and "error: --json" in done.stderr
    assert " jax\n" not in done.stderr and "envs.registry" not in done.stderr  # -X importtime lists every import


@pytest.mark.parametrize(
    "args",
    [
        ["verify", "cartpole", "--report-dir", "{file}"],
        ["bench", "cartpole", "--chart", "{dir}"],
        ["mutate", "cartpole", "--journal", "{dir}"],
        ["train", "cartpole", "--out", "{file}"],
        ["translate", "cartpole", "--runs-dir", "{file}"],
        ["report", "{report}", "--html", "{dir}"],
        ["train", "cartpole", "--config", "{dir}"],
        ["translate", "cartpole", "--prices", "{dir}"],
    ],
    ids=["verify-report-dir", "bench-chart", "mutate-journal", "train-out", "translate-runs-dir", "report-html", "train-config", "translate-prices"],
)
def test_every_commands_other_paths_are_checked(args, tmp_path):
    (tmp_path / "file").write_text("x")
    (tmp_path / "report.json").write_text(json.dumps({"env": "cartpole", "backend": "jax", "passed": True, "levels": {}}))
    filled = [a.format(file=tmp_path / "file", dir=tmp_path, report=tmp_path / "report.json") for a in args]
    start = time.perf_counter()
    result = runner.invoke(app, filled)
    assert time.perf_counter() - start < 5
    assert result.exit_code == 2, result.output
    assert len(errors_of(result)) == 1 and args[2] in errors_of(result)[0]


@pytest.mark.parametrize("content", ["{}", "[]", '{"foo": 1}', "[1, 2]", "not json at all", '{"env": "x", "backend": "jax", "passed": "yes", "levels": {}}', "FOLDER"])
def test_report_refuses_anything_but_a_verification_report(content, tmp_path):
    path = tmp_path / "r.json"
    if content == "FOLDER":
        path.mkdir()
    else:
        path.write_text(content)
    result = runner.invoke(app, ["report", str(path), "--md", str(tmp_path / "out.md")])
    assert result.exit_code == 2, result.output
    assert len(errors_of(result)) == 1 and str(path) in errors_of(result)[0]
    assert not (tmp_path / "out.md").exists()


def test_report_renders_to_stdout_with_dash(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_fake_report("cartpole").to_dict()))
    result = runner.invoke(app, ["report", str(path), "--junit", "-"])
    assert result.exit_code == 0, result.output
    assert result.stdout.lstrip().startswith("<?xml") and "cartpole" in result.stdout
    both = runner.invoke(app, ["report", str(path), "--junit", "-", "--md", "-"])
    assert both.exit_code == 2 and "only one of" in both.output


def test_a_journal_that_is_no_text_is_refused(tmp_path):
    journal = tmp_path / "journal.jsonl"
    journal.write_bytes(b"\xff\xfe\x00binary")
    result = runner.invoke(app, ["mutate", "cartpole", "--journal", str(journal)])
    assert result.exit_code == 2 and len(errors_of(result)) == 1 and "--journal" in errors_of(result)[0]


def test_a_raising_make_candidate_is_one_line_with_its_file_and_line(tmp_path):
    adapter = tmp_path / "hostile.py"
    adapter.write_text("def make_candidate(port):\n    raise RuntimeError('boom from the candidate')\n")
    result = runner.invoke(app, ["verify", "cartpole", "--candidate", str(adapter), "--levels", "L0", "--timeout", "60"])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "RuntimeError: boom from the candidate" in lines[0] and f"{adapter}:2" in lines[0]


@pytest.mark.parametrize("state", ["{not json", '{"options": {}, "state": {"no_such_key": 1}}', '{"state": {}}', "[]"])
def test_a_damaged_state_json_on_resume_is_one_line_naming_it(state, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "state.json").write_text(state)
    result = runner.invoke(app, ["translate", "--resume", str(run_dir)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "state.json is damaged" in lines[0], result.output


def test_piped_verify_prints_a_timestamped_progress_line_per_level(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "recipe.cli", "verify", "cartpole", "--levels", "L0,L1", "--examples", "20"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stderr.splitlines()
    for level in ("L0", "L1"):
        finished = [l for l in lines if f"cartpole {level} pass" in l]
        assert len(finished) == 1, done.stderr
        assert finished[0][:8].count(":") == 2 and "levels" in finished[0]  # HH:MM:SS ... [k/2 levels, ...]
    assert "\x1b[" not in done.stderr.replace("\x1b[33mWARN", "")  # no live bar's control codes in a log


def _fake_report(name: str, levels=("L0", "L1")):
    from verify.reports.model import LevelResult, VerificationReport

    report = VerificationReport(name, "jax")
    for level in levels:
        report.levels[level] = LevelResult(level, passed=True, checks=3)
    return report


def test_verify_all_interrupted_keeps_the_finished_ports(tmp_path, monkeypatch):
    import envs
    import verify.runner

    ports = [envs.get_port(n) for n in ("cartpole", "acrobot", "pendulum")]
    monkeypatch.setattr(envs, "all_ports", lambda: ports)

    def verify_port(port, levels, options, progress, on_level, **kwargs):
        report = _fake_report(port.name, levels[:1])
        on_level(report)
        if port.name == "acrobot":
            raise KeyboardInterrupt
        report.levels.update(_fake_report(port.name, levels[1:]).levels)
        on_level(report)
        return report

    monkeypatch.setattr(verify.runner, "verify_port", verify_port)
    path, folder = tmp_path / "all.json", tmp_path / "reports"
    result = runner.invoke(app, ["verify", "--all", "--levels", "L0,L1", "--json", str(path), "--report-dir", str(folder)])
    assert result.exit_code == 130, result.output
    data = json.loads(path.read_text())
    assert [(r["env"], r["passed"], r.get("partial")) for r in data] == [
        ("cartpole", True, None), ("acrobot", None, "interrupted"), ("pendulum", None, "not run yet")]
    assert list(data[0]["levels"]) == ["L0", "L1"] and list(data[1]["levels"]) == ["L0"]
    assert sorted(p.name for p in folder.iterdir()) == ["verify-all.html", "verify-all.json", "verify-all.md", "verify-all.xml"]
    rendered = runner.invoke(app, ["report", str(path)])  # a partial file is still a report
    assert rendered.exit_code == 0 and "acrobot" in rendered.stdout


def test_verify_all_writes_each_port_as_it_finishes(tmp_path, monkeypatch):
    import envs
    import verify.runner

    ports = [envs.get_port(n) for n in ("cartpole", "acrobot")]
    monkeypatch.setattr(envs, "all_ports", lambda: ports)
    path = tmp_path / "all.json"
    seen = []

    def verify_port(port, levels, options, progress, on_level, **kwargs):
        seen.append(json.loads(path.read_text()) if path.exists() else None)
        report = _fake_report(port.name)
        on_level(report)
        return report

    monkeypatch.setattr(verify.runner, "verify_port", verify_port)
    result = runner.invoke(app, ["verify", "--all", "--levels", "L0,L1", "--json", str(path)])
    assert result.exit_code == 0, result.output
    assert seen[0] is None  # nothing written before the first port finished
    assert [(r["env"], r.get("partial")) for r in seen[1]] == [("cartpole", None), ("acrobot", "not run yet")]
    assert [r["passed"] for r in json.loads(path.read_text())] == [True, True]


def test_verify_json_to_stdout_is_pure_json(monkeypatch):
    import verify.runner

    monkeypatch.setattr(verify.runner, "verify_port", lambda port, levels, options, progress, on_level, **kw: _fake_report(port.name))
    result = runner.invoke(app, ["verify", "cartpole", "--levels", "L0,L1", "--json", "-"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["env"] == "cartpole"


@pytest.mark.parametrize("own_journal", [True, False], ids=["journal", "no-journal"])
def test_mutate_interrupted_keeps_its_verdicts_marked_partial(own_journal, tmp_path, monkeypatch):
    import verify.mutation.analysis

    seen = []
    path, journal = tmp_path / "mutate.json", tmp_path / "journal.jsonl"

    def analysis(port, *, journal, progress, **kwargs):
        for i in range(1, 4):
            with open(journal, "a") as f:
                f.write(json.dumps({"id": f"m{i}", "operator": "swap", "status": "killed", "level": "L1"}) + "\n")
            progress(f"{port.name}: [{i}/10] m{i} swap line 3: killed (L1)")
            seen.append(json.loads(path.read_text()))  # written as it goes, after each tenth
        raise KeyboardInterrupt

    monkeypatch.setattr(verify.mutation.analysis, "run_mutation_analysis", analysis)
    result = runner.invoke(app, ["mutate", "cartpole", "--json", str(path), *(["--journal", str(journal)] if own_journal else [])])
    assert result.exit_code == 130, result.output
    data = json.loads(path.read_text())
    assert data["partial"] == "interrupted" and data["verified"] == 3 and data["selected"] == 10
    assert data["killed"] == 3 and [r["id"] for r in data["results"]] == ["m1", "m2", "m3"]
    assert "--journal" in result.output  # how to resume
    assert journal.exists() == own_journal  # without one, a temporary journal served and is gone
    assert [(d["partial"], d["verified"], len(d["results"])) for d in seen] == [("running", 1, 1), ("running", 2, 2), ("running", 3, 3)]


def test_bench_exits_1_when_a_backend_fails_and_names_it_in_its_row(tmp_path, monkeypatch):
    import ppo.bench

    def broken(*args, **kwargs):
        raise RuntimeError("the jax backend broke")

    def absent(*args, **kwargs):
        raise ppo.bench.BackendUnavailable("gymnax has no such thing")

    monkeypatch.setitem(ppo.bench.PREPARERS, "jax", broken)
    monkeypatch.setitem(ppo.bench.PREPARERS, "gymnax", absent)
    path = tmp_path / "bench.json"
    args = ["bench", "cartpole", "--batch-sizes", "32", "--repeats", "1", "--budget", "2000", "--json", str(path)]
    result = runner.invoke(app, [*args, "--backend", "reference,jax,gymnax"])
    assert result.exit_code == 1, result.output
    rows = {r["backend"]: r for r in json.loads(path.read_text())["rows"]}
    assert rows["jax"]["error"] == "RuntimeError: the jax backend broke" and "skipped" not in rows["jax"]
    assert rows["gymnax"]["skipped"] == "gymnax has no such thing" and "error" not in rows["gymnax"]
    assert rows["reference"]["steps_per_second"] > 0
    assert any("jax" in line and "the jax backend broke" in line for line in errors_of(result))
    fine = runner.invoke(app, [*args, "--backend", "reference,gymnax"])  # a skipped backend is no failure
    assert fine.exit_code == 0, fine.output


# ----- the shared pieces


def test_plain_progress_prints_a_line_per_tenth_and_every_message():
    buffer = io.StringIO()
    console = Console(file=buffer, width=200)
    with Progress("mutate", total=100, unit="mutants", console=console, live=False) as progress:
        progress.message("tracing")
        for i in range(1, 101):
            progress.message(f"port: [{i}/100] m{i}: killed")
    lines = buffer.getvalue().splitlines()
    assert lines[0].endswith("mutate: tracing")
    counted = lines[1:]
    assert 10 <= len(counted) <= 11 and counted[-1].endswith("[100/100 mutants, 100%]")


def test_live_progress_draws_a_bar_on_a_terminal():
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120)
    with Progress("verify", total=4, unit="levels", console=console) as progress:
        assert progress.live
        progress.message("cartpole: L0 [contract]")  # brackets are text, not markup
        progress.advance(text="cartpole L0 pass")
    assert "1/4" in buffer.getvalue() and "eta" in buffer.getvalue()


def test_write_text_replaces_the_file_whole(tmp_path):
    path = tmp_path / "deep" / "out.json"
    write_text(path, "first")
    write_text(path, "second")
    assert path.read_text() == "second" and sorted(p.name for p in path.parent.iterdir()) == ["out.json"]


def test_traceback_line_names_the_users_frame():
    text = ('Traceback (most recent call last):\n  File "/x/verify/candidates.py", line 219, in _adapter_file\n'
            '  File "/home/me/cand.py", line 2, in make_candidate\n  File "/lib/numpy/core.py", line 9, in f\n'
            "ValueError: bad shape\n")
    assert traceback_line(text, "/home/me/cand.py") == "ValueError: bad shape (at /home/me/cand.py:2)"
    assert traceback_line(text) == "ValueError: bad shape (at /lib/numpy/core.py:9)"
    assert traceback_line("just words\n") == "just words"
