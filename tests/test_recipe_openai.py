"""`envport translate --agent openai` against a scripted OpenAI-compatible server on 127.0.0.1, through the real openai client."""

import json
import os
from pathlib import Path
import time

import pytest

from recipe.accounting import read_events
from recipe_fixtures import BUGGY, CHEAP, CORRECT, HANGS_FAR_OUT, SECRET, hanging_translation, only_run, run_folder_text, translate
from recipe_server import ScriptedServer, error, text_reply, tool_reply


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("ENVPORT_MODEL", raising=False)


def args(server, tmp_path, *extra):
    return ["cartpole", "--agent", "openai", "--base-url", server.base_url, "--model", "gpt-4o-mini",
            "--runs-dir", str(tmp_path / "runs"), "--output", str(tmp_path / "out"), "--retry-delay", "0.01", *extra]


def write(path, text):
    return ("write_file", {"path": path, "content": text})


def assert_no_secret(tmp_path):
    text = run_folder_text(tmp_path / "runs")
    assert SECRET not in text
    assert "authorization" not in text.lower() and "Bearer" not in text


def test_planted_bug_caught_by_L1_repaired_and_promoted(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    previous = CORRECT + "\n# the previously verified translation\n"
    (out / "jax_env.py").write_text(previous)
    script = [tool_reply(write("jax_env.py", BUGGY)), tool_reply(("submit", {"summary": "first try"})),
              tool_reply(write("jax_env.py", CORRECT)), tool_reply(("run_verification", {"levels": "L1"})),
              tool_reply(("submit", {}))]
    with ScriptedServer(script) as server:
        result = translate(args(server, tmp_path, *CHEAP, "--max-iterations", "3"))
    assert result.exit_code == 0, result.output
    # the repair prompt fed back the lowest failing level, L1, with the failing field
    repair = server.last_user_message(2)
    assert "failed verification at level L1" in repair and "theta" in repair
    assert '"passed": true' in server.tool_messages(4)[-1]  # the agent's own run_verification
    assert (out / "jax_env.py").read_text() == CORRECT
    run = only_run(tmp_path / "runs")
    assert len(list((run / "verify").glob("verify-*.json"))) == 2  # the final check reused the agent's (same content)
    assert (run / "replaced").rglob("jax_env.py").__next__().read_text() == previous  # the old one kept, not lost
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "passed" and [r["passed"] for r in summary["rows"]] == [False, True]
    assert summary["rows"][0]["levels"] == {"L1": "FAIL"}
    # accounting: server's token counts, cost from the price table (gpt-4o-mini: $0.15 / $0.60 per million)
    assert summary["prompt_tokens"] == 5 * 120 and summary["completion_tokens"] == 5 * 40
    assert summary["cost"] == pytest.approx((600 * 0.15 + 200 * 0.60) / 1e6)
    kinds = [e["event"] for e in read_events(run / "trajectory.jsonl")]
    for kind in ("request", "response", "tool", "verification", "promoted", "summary"):
        assert kind in kinds
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {SECRET}"  # the key was used ...
    assert_no_secret(tmp_path)  # ... and written nowhere
    assert "iteration" in result.stdout and "PASS" in result.stdout  # the summary table


def test_budget_exhausted_leaves_port_untouched_then_resume_finishes(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "jax_env.py").write_text(CORRECT)
    before = (out / "jax_env.py").read_bytes()
    with ScriptedServer([tool_reply(write("jax_env.py", BUGGY), prompt_tokens=5000)]) as server:
        result = translate(args(server, tmp_path, *CHEAP, "--max-tokens", "1000"))
    assert result.exit_code == 1
    assert "--max-tokens 1000 reached" in result.stderr and "--resume" in result.stderr
    assert (out / "jax_env.py").read_bytes() == before
    run = only_run(tmp_path / "runs")
    assert (run / "workspace" / "jax_env.py").read_text() == BUGGY
    # resume with a bigger budget: the conversation continues where it stopped
    with ScriptedServer([tool_reply(write("jax_env.py", CORRECT), ("submit", {}))]) as server:
        result = translate(["--resume", str(run), "--max-tokens", "100000", "--base-url", server.base_url])
    assert result.exit_code == 0, result.output
    messages = server.requests[0]["body"]["messages"]
    assert [m["role"] for m in messages[:4]] == ["system", "user", "assistant", "tool"]  # the conversation so far ...
    assert sum("# Task: translate" in (m.get("content") or "") for m in messages) == 1  # ... the task sent once
    assert "resumed" in server.last_user_message(0)
    assert (out / "jax_env.py").read_text() == CORRECT
    assert_no_secret(tmp_path)
    again = translate(["--resume", str(run)])
    assert again.exit_code == 2 and "already passed" in again.stderr


def test_429_then_success(tmp_path):
    script = [error(429, "slow down", headers={"Retry-After": "0"}), tool_reply(("submit", {}))]
    with ScriptedServer(script) as server:
        result = translate(args(server, tmp_path, *CHEAP, "--max-iterations", "1"))
    assert len(server.requests) == 2
    events = read_events(only_run(tmp_path / "runs") / "trajectory.jsonl")
    retries = [e for e in events if e["event"] == "retry"]
    assert len(retries) == 1 and retries[0]["error"] == "HTTP 429"
    assert any(e["event"] == "response" for e in events)
    # the model submitted nothing, so verification failed at once, and the one iteration was spent
    verification = [e for e in events if e["event"] == "verification"][0]["outcome"]
    assert verification["first_failure"]["check"] == "files"
    assert result.exit_code == 1 and "--max-iterations 1 reached" in result.stderr


def test_request_timeout_is_retried(tmp_path):
    def slow(body):
        time.sleep(2)
        return tool_reply(("submit", {}))

    with ScriptedServer([slow, tool_reply(("submit", {}))]) as server:
        result = translate(args(server, tmp_path, *CHEAP, "--request-timeout", "1", "--max-iterations", "1"))
    retries = [e for e in read_events(only_run(tmp_path / "runs") / "trajectory.jsonl") if e["event"] == "retry"]
    assert [r["error"] for r in retries] == ["APITimeoutError"]
    assert len(server.requests) == 2 and "--max-iterations 1 reached" in result.stderr


def test_max_cost_stops_the_run(tmp_path):
    # 10,000 prompt tokens of gpt-4o-mini cost $0.0015: over a $0.001 budget after the first reply
    with ScriptedServer([tool_reply(("list_files", {}), prompt_tokens=10_000), tool_reply(("submit", {}))]) as server:
        result = translate(args(server, tmp_path, *CHEAP, "--max-cost", "0.001"))
    assert result.exit_code == 1 and "--max-cost 0.001 reached ($0.0015 spent)" in result.stderr
    assert len(server.requests) == 1


def test_repeated_500s_end_in_a_clear_error(tmp_path):
    with ScriptedServer([error(500, "boom")] * 10) as server:
        result = translate(args(server, tmp_path, *CHEAP, "--max-retries", "2"))
    assert result.exit_code == 1
    assert len(server.requests) == 3
    assert "kept failing (HTTP 500) after 3 attempts" in result.stderr


@pytest.mark.parametrize("status, says", [(401, "OPENAI_API_KEY"), (403, "may not use model")])
def test_401_403_stop_at_once(tmp_path, status, says):
    with ScriptedServer([error(status, "no", code="invalid_api_key")] * 3) as server:
        result = translate(args(server, tmp_path, *CHEAP))
    assert result.exit_code == 1
    assert len(server.requests) == 1
    assert f"HTTP {status}" in result.stderr and says in result.stderr
    assert SECRET not in result.output
    assert_no_secret(tmp_path)


def test_unknown_model_is_named(tmp_path):
    with ScriptedServer([error(404, "The model `gpt-nope` does not exist", code="model_not_found")]) as server:
        result = translate(args(server, tmp_path, *CHEAP))
    assert result.exit_code == 1 and "unknown model 'gpt-4o-mini'" in result.stderr


def test_malformed_tool_calls_answered_then_run_stopped(tmp_path):
    bad = tool_reply(("write_file", '{"path": "jax_env.py", "content": '))  # truncated JSON
    with ScriptedServer([bad, tool_reply(("write_file", {"path": "x.py"})), bad]) as server:
        result = translate(args(server, tmp_path, *CHEAP))
    assert "not valid JSON" in server.tool_messages(1)[0]
    assert "missing ['content']" in server.tool_messages(2)[-1]
    assert result.exit_code == 1 and "3 bad tool calls in a row" in result.stderr


def test_unknown_tool_answered(tmp_path):
    script = [tool_reply(("delete_everything", {})), tool_reply(("list_files", {})), tool_reply(("submit", {}))]
    with ScriptedServer(script) as server:
        result = translate(args(server, tmp_path, *CHEAP, "--max-iterations", "1", "--model", "local-model"))
    assert "unknown tool 'delete_everything'" in server.tool_messages(1)[0]
    assert result.exit_code == 1 and len(server.requests) == 3
    # a model without a price: tokens counted, cost unknown, and said so
    assert "no price for model 'local-model'" in result.stderr
    summary = json.loads((only_run(tmp_path / "runs") / "summary.json").read_text())
    assert summary["cost"] is None and summary["prompt_tokens"] == 3 * 120 and "unknown" in result.stdout


def test_path_escape_refused(tmp_path):
    outside = tmp_path / "escaped.txt"
    script = [tool_reply(write("../../escaped.txt", "x"), write(str(outside), "x"), ("read_file", {"path": "/etc/passwd"})),
              tool_reply(("submit", {}))]
    with ScriptedServer(script) as server:
        result = translate(args(server, tmp_path, *CHEAP, "--max-iterations", "1", "--max-errors", "5"))
    answers = server.tool_messages(1)
    assert "contains '..'" in answers[0] and "is absolute" in answers[1] and "is absolute" in answers[2]
    assert not outside.exists() and not list(tmp_path.rglob("escaped.txt"))
    assert result.exit_code == 1


def test_hanging_translation_is_killed(tmp_path):
    pid_file = tmp_path / "hang.pid"
    script = [tool_reply(write("jax_env.py", hanging_translation(pid_file)), ("submit", {}))]
    with ScriptedServer(script) as server:
        result = translate(args(server, tmp_path, "--levels", "L1", "--examples", "5", "--verify-timeout", "15",
                                "--max-iterations", "1"))
    assert result.exit_code == 1
    events = read_events(only_run(tmp_path / "runs") / "trajectory.jsonl")
    outcome = [e for e in events if e["event"] == "verification"][0]["outcome"]
    assert outcome["first_failure"]["check"] == "time limit" and "did not finish within 15 s" in outcome["first_failure"]["message"]
    assert int(pid_file.read_text()) > 0  # it really ran (its pid inside its own PID namespace, where isolated) ...
    assert not _processes_mentioning(str(tmp_path))  # ... and its process group was killed


def test_a_translation_hanging_inside_L1_fails_L1_by_its_time_limit_and_the_repair_prompt_says_so(tmp_path):
    script = [tool_reply(write("jax_env.py", HANGS_FAR_OUT), ("submit", {}))]
    with ScriptedServer(script) as server:
        result = translate(args(server, tmp_path, "--levels", "L0,L1", "--examples", "20", "--verify-timeout", "120",
                                "--max-iterations", "1", "--optimise-rounds", "0"))
    assert result.exit_code == 1
    events = read_events(only_run(tmp_path / "runs") / "trajectory.jsonl")
    outcome = [e for e in events if e["event"] == "verification"][0]["outcome"]
    failure = outcome["first_failure"]
    assert (failure["level"], failure["check"]) == ("L1", "time limit"), failure  # the level it hangs in, not L0
    assert "L1 did not finish within 60 s" in failure["message"]


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of live processes that contain `text`."""
    found = []
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            cmdline = path.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(cmdline)
    return found


def test_no_tool_call_ends_the_attempt(tmp_path):
    with ScriptedServer([text_reply("I cannot do this.")]) as server:
        result = translate(args(server, tmp_path, *CHEAP, "--max-iterations", "1"))
    assert result.exit_code == 1 and len(server.requests) == 1


LIVE = os.environ.get("ENVPORT_LIVE_BASE_URL")


@pytest.mark.skipif(not LIVE, reason="no live endpoint configured: set ENVPORT_LIVE_BASE_URL, ENVPORT_LIVE_MODEL "
                    "(and ENVPORT_LIVE_API_KEY) to run envport translate against a real model")
def test_live_endpoint(tmp_path, monkeypatch):
    key = os.environ.get("ENVPORT_LIVE_API_KEY", "")
    monkeypatch.setenv("OPENAI_API_KEY", key or "no-key")
    result = translate(["mountaincar", "--agent", "openai", "--base-url", LIVE, "--model", os.environ.get("ENVPORT_LIVE_MODEL", "gpt-4o-mini"),
                        "--runs-dir", str(tmp_path / "runs"), "--output", str(tmp_path / "out"), "--levels", "L0,L1",
                        "--examples", "20", "--max-iterations", "3", "--optimise-rounds", "0"])
    assert result.exit_code in (0, 1), result.output
    events = read_events(only_run(tmp_path / "runs") / "trajectory.jsonl")
    assert any(e["event"] == "response" and e["prompt_tokens"] > 0 for e in events)
    if key:
        assert key not in run_folder_text(tmp_path / "runs")
