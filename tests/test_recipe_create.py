"""`envport create`: a spec in (tests/data/create/tally_spec.md), a reference with conformance tests out, then its
JAX translation; driven by a scripted OpenAI-compatible server, a replayed recording, and --agent manual; bad input."""

import json
from pathlib import Path

import pytest

from envs.registry import PORTS_ENV
from recipe.accounting import read_events
from recipe_fixtures import SECRET, run_folder_text
from recipe_server import ScriptedServer, tool_reply

DATA = Path(__file__).resolve().parent / "data" / "create"
SPEC = DATA / "tally_spec.md"
CHEAP = ["--levels", "L1", "--examples", "5", "--verify-timeout", "300", "--optimise-rounds", "0"]
# The planted bug: the reward on reaching the target is 0.5, not 1.0; the conformance test test_R2_2_end fails.
BUG_FROM, BUG_TO = "1.0 if terminated else 0.0", "0.5 if terminated else 0.0"


@pytest.fixture(autouse=True)
def own_ports_folders(monkeypatch):
    """Each test sees only the ports folders it makes (create adds its output folder to ENVPORT_PORTS)."""
    monkeypatch.setenv(PORTS_ENV, "")


def toy_files(package: str) -> dict[str, str]:
    """The toy port as an agent writes it, renamed to `package` (each test its own, as they share a process)."""
    camel = "".join(part.capitalize() for part in package.split("_"))
    names = {"__init__.py": "__init__.py", "reference.py": "reference.py", "conformance.py": "test_conformance.py",
             "OPEN_QUESTIONS.md": "OPEN_QUESTIONS.md", "jax_env.py": "jax_env.py"}
    return {f"{package}/{dest}": (DATA / "tally" / src).read_text().replace("tally", package).replace("Tally", camel)
            for src, dest in names.items()}


def create(args: list[str]):
    from typer.testing import CliRunner

    from recipe.cli import app

    return CliRunner().invoke(app, ["create", *args], catch_exceptions=False)


def only_create_run(runs: Path) -> Path:
    (run,) = [p for p in Path(runs).iterdir() if p.is_dir()]
    return run


def write(path, text):
    return ("write_file", {"path": path, "content": text})


def test_create_end_to_end_with_a_failed_round_fed_back(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    package = "tally_e2e"
    files = toy_files(package)
    stage1 = [f for f in files if not f.endswith("jax_env.py")]
    buggy = files[f"{package}/reference.py"].replace(BUG_FROM, BUG_TO)
    assert buggy != files[f"{package}/reference.py"]
    script = [
        tool_reply(*[write(f, buggy if f.endswith("reference.py") else files[f]) for f in stage1], ("submit", {})),
        tool_reply(write(f"{package}/reference.py", files[f"{package}/reference.py"]), ("run_tests", {}), ("submit", {})),
        tool_reply(write("jax_env.py", files[f"{package}/jax_env.py"]), ("submit", {})),  # stage 2: the translation
    ]
    ports = tmp_path / "ports"
    with ScriptedServer(script) as server:
        result = create(["--spec", str(SPEC), "--name", package, "--to", "jax", "--agent", "openai", "--base-url",
                         server.base_url, "--model", "gpt-4o-mini", "--runs-dir", str(tmp_path / "runs"), "--output",
                         str(ports), "--retry-delay", "0.01", "--max-iterations", "3", *CHEAP])
    assert result.exit_code == 0, result.output
    # the first prompt carried the spec verbatim and the rules to cover
    first = server.requests[0]["body"]["messages"][-1]["content"]
    assert SPEC.read_text() in first and "R-1.1, R-1.2, R-2.1, R-2.2" in first
    # the failed round went back naming the failing conformance test, its rule and its output
    repair = server.last_user_message(1)
    assert "failed verification at level tests" in repair and "test_R2_2_end" in repair and "R-2.2" in repair
    assert "0.5" in repair
    run = only_create_run(tmp_path / "runs")
    tests_run = [e for e in read_events(run / "reference" / "trajectory.jsonl") if e["event"] == "tool" and e["name"] == "run_tests"]
    assert tests_run[0]["result"].startswith("pytest exit 0")  # the agent's own run_tests, with envport's plugin
    rows = json.loads((run / "reference" / "summary.json").read_text())["rows"]
    assert [(r["passed"], r["levels"]["tests"]) for r in rows] == [(False, "FAIL"), (True, "pass")]
    # promoted: the reference package, then its translation into the same package
    for rel, text in files.items():
        assert (ports / rel).read_text() == text
    summary = json.loads((run / "summary.json").read_text())
    assert summary["stages"]["reference"]["status"] == "passed" and summary["stages"]["jax"]["status"] == "passed"
    # the conformance tests ran against the JAX translation's face: the numpy-stream test skipped, the rest passed
    assert summary["conformance"]["jax"] == {"passed": True, "tests_passed": 4, "failed": 0, "skipped": 1}
    assert "open questions" in result.stdout and "outside the spec" in result.stdout
    assert "verification" in [e["event"] for e in read_events(run / "jax" / "trajectory.jsonl")]
    assert SECRET not in run_folder_text(tmp_path / "runs")


def test_create_replays_a_recorded_run_stage_by_stage(tmp_path):
    package = "tally_replay"
    files = toy_files(package)

    def response(*calls):
        tool_calls = [{"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
                      for i, (n, a) in enumerate(calls)]
        return {"event": "response", "message": {"role": "assistant", "content": "", "tool_calls": tool_calls},
                "prompt_tokens": 1000, "completion_tokens": 200, "model": "recorded"}

    recording = tmp_path / "recorded"
    (recording / "reference").mkdir(parents=True)
    (recording / "jax").mkdir()
    (recording / "create.json").write_text("{}")  # a create run folder: each stage replays its own sub-folder
    (recording / "reference" / "trajectory.jsonl").write_text(json.dumps(response(
        *[write(f, t) for f, t in files.items() if not f.endswith("jax_env.py")], ("submit", {}))) + "\n")
    (recording / "jax" / "trajectory.jsonl").write_text(json.dumps(response(
        write("jax_env.py", files[f"{package}/jax_env.py"]), ("submit", {}))) + "\n")
    ports = tmp_path / "ports"
    result = create(["--spec", str(SPEC), "--name", package, "--agent", "replay", "--replay", str(recording),
                     "--runs-dir", str(tmp_path / "runs"), "--output", str(ports), *CHEAP])
    assert result.exit_code == 0, result.output
    assert (ports / package / "jax_env.py").read_text() == files[f"{package}/jax_env.py"]
    summary = json.loads((only_create_run(tmp_path / "runs") / "summary.json").read_text())
    assert summary["conformance"]["jax"]["passed"]


def test_create_manual_writes_the_prompt_waits_and_resume_checks(tmp_path):
    package = "tally_manual"
    ports = tmp_path / "ports"
    first = create(["--spec", str(SPEC), "--name", package, "--agent", "manual", "--runs-dir", str(tmp_path / "runs"),
                    "--output", str(ports), *CHEAP])
    assert first.exit_code == 0 and "waiting for the agent (stage reference)" in first.stderr, first.output
    run = only_create_run(tmp_path / "runs")
    assert f"envport create --resume {run}" in first.stderr
    workspace = run / "reference" / "workspace"
    prompt = (workspace / "PROMPT.md").read_text()
    assert SPEC.read_text() in prompt and f"{package}/test_conformance.py" in prompt
    assert not ports.exists()
    # the person writes the package, leaving one rule without a test: the check names it and nothing is promoted
    files = toy_files(package)
    for rel, text in files.items():
        if not rel.endswith("jax_env.py"):
            (workspace / rel).parent.mkdir(parents=True, exist_ok=True)
            (workspace / rel).write_text(text.replace("def test_R2_1_step", "def test_counting") if "test_" in rel else text)
    (workspace / f"{package}/test_conformance.py").write_text(
        (workspace / f"{package}/test_conformance.py").read_text().replace('"""R-2.1: action 0', '"""Action 0'))
    second = create(["--resume", str(run)])
    assert second.exit_code == 0 and "waiting for the agent (stage reference)" in second.stderr, second.output
    repair = (run / "reference" / "prompts" / "prompt-002.md").read_text()
    assert "every rule has a test" in repair and "no test names R-2.1" in repair
    assert not (ports / package).exists()
    (workspace / f"{package}/test_conformance.py").write_text(files[f"{package}/test_conformance.py"])
    third = create(["--resume", str(run)])
    assert third.exit_code == 0 and "waiting for the agent (stage jax)" in third.stderr, third.output
    assert (ports / package / "reference.py").is_file() and (ports / package / "test_conformance.py").is_file()
    assert "`jax_env.py`" in (run / "jax" / "workspace" / "PROMPT.md").read_text()
    # each resume's check kept its own report (numbering goes on across resumes)
    assert sorted(p.name for p in (run / "reference" / "verify").glob("check-*.json")) == ["check-001.json", "check-002.json"]
    assert json.loads((run / "create.json").read_text())["stage"] == "jax"


def _bad(tmp_path, *args):
    return create([*args, "--agent", "manual", "--runs-dir", str(tmp_path / "runs"), "--output", str(tmp_path / "ports")])


def test_create_bad_input_is_one_line_and_exit_2(tmp_path):
    empty, binary = tmp_path / "empty.md", tmp_path / "image.md"
    empty.write_text("  \n")
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    cases = [
        ((("--spec", str(tmp_path / "missing.md"), "--name", "x1")), "no such file"),
        ((("--spec", str(empty), "--name", "x2")), "the file is empty"),
        ((("--spec", str(binary), "--name", "x3")), "not UTF-8 text"),
        ((("--spec", str(SPEC), "--name", "cartpole")), "a registered port is already called that"),
        ((("--spec", str(SPEC), "--name", "1bad")), "does not make a Python package name"),
        ((("--spec", str(SPEC), "--name", "x4", "--to", "cuda")), "choose one or more of jax, rust"),
        ((("--name", "x5",)), "--spec SPEC.md is required"),
        (("--resume", str(tmp_path)), "no create.json there"),
    ]
    for args, message in cases:
        result = _bad(tmp_path, *args)
        assert result.exit_code == 2, (args, result.output)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], (args, result.stderr)
        assert "Traceback" not in result.output
    assert not (tmp_path / "runs").exists()
    # an existing package folder is never overwritten
    existing = tmp_path / "ports" / "tally_kept"
    existing.mkdir(parents=True)
    (existing / "keep.txt").write_text("mine")
    result = _bad(tmp_path, "--spec", str(SPEC), "--name", "tally-kept")
    assert result.exit_code == 2 and "exists already and is never overwritten" in result.stderr
    assert (existing / "keep.txt").read_text() == "mine" and sorted(p.name for p in existing.iterdir()) == ["keep.txt"]


def test_spec_rules_and_rule_names():
    from recipe.conformance import named_rules, spec_rules

    assert spec_rules(SPEC.read_text()) == ["R-1.1", "R-1.2", "R-2.1", "R-2.2"]
    assert spec_rules("# A\n## 1. One\ntext\n## 2. Two\n") == ["S-1", "S-2"]  # no rule ids: the numbered sections
    assert named_rules("test_R7_4_gulls\nR-5.2: and S-3") == {"R-7.4", "R-5.2", "S-3"}
    assert named_rules("test_R7_41 R-10.2") == {"R-7.41", "R-10.2"} and not named_rules("test_GRR2 R7")
