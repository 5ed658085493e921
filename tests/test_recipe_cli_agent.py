"""`envport translate --agent cli`: an external command in the workspace, verification after each run, repair prompt next."""

import json
import shlex
import sys
from pathlib import Path

from recipe.accounting import read_events
from recipe_fixtures import CHEAP, CORRECT, only_run, translate

AGENT = Path(__file__).resolve().parent / "recipe_scripted_agent.py"


def test_cli_agent_repairs_and_is_promoted(tmp_path):
    state = tmp_path / "agent"
    cmd = f"{shlex.quote(sys.executable)} {shlex.quote(str(AGENT))} {{prompt_file}} {shlex.quote(str(state))}"
    out = tmp_path / "out"
    result = translate(["cartpole", "--agent", "cli", "--agent-cmd", cmd, "--runs-dir", str(tmp_path / "runs"),
                        "--output", str(out), "--max-iterations", "3", *CHEAP])
    assert result.exit_code == 0, result.output
    run = only_run(tmp_path / "runs")
    first, second = (state / "prompt-1.md").read_text(), (state / "prompt-2.md").read_text()
    assert "# Task: translate" in first and "## 4. Source, verbatim" in first and "run_verification" not in first
    assert "failed verification at level L0" in second and "JaxEnvTypo" in second  # the load error, fed back
    assert (state / "cwd-1.txt").read_text() == str(run / "workspace")
    assert not (state / "prompt-3.md").exists()  # it stopped once verification passed
    assert (out / "jax_env.py").read_text() == CORRECT
    events = read_events(run / "trajectory.jsonl")
    assert [e["outcome"]["passed"] for e in events if e["event"] == "verification"] == [False, True]
    assert [e["returncode"] for e in events if e["event"] == "command_result"] == [0, 0]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "passed" and summary["prompt_tokens"] == 0  # a CLI reports no tokens


def test_cli_agent_command_timeout_kills_it(tmp_path):
    cmd = f"{shlex.quote(sys.executable)} -c \"import time; time.sleep(60)\" {{prompt_file}}"
    result = translate(["cartpole", "--agent", "cli", "--agent-cmd", cmd, "--agent-timeout", "2", "--runs-dir",
                        str(tmp_path / "runs"), "--output", str(tmp_path / "out"), "--max-iterations", "1", *CHEAP])
    assert result.exit_code == 1
    events = read_events(only_run(tmp_path / "runs") / "trajectory.jsonl")
    assert [e["timed_out"] for e in events if e["event"] == "command_result"] == [True]


def test_cli_agent_usage_errors(tmp_path):
    result = translate(["cartpole", "--agent", "cli", "--agent-cmd", "mytool --go", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2 and "{prompt_file}" in result.stderr
    result = translate(["cartpole", "--agent", "cli", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2 and "--agent-cmd" in result.stderr
