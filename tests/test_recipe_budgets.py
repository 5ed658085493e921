"""`envport translate --timeout` bounds the whole run: requests, retries and verification; an unreachable endpoint fails fast."""

import json
import socket
import time

import pytest

from recipe.accounting import read_events
from recipe_fixtures import SECRET, hanging_translation, only_run, translate
from recipe_server import ScriptedServer, error, tool_reply


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("ENVPORT_MODEL", raising=False)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_args(base_url, tmp_path, *extra):
    return ["cartpole", "--agent", "openai", "--base-url", base_url, "--model", "gpt-4o-mini",
            "--runs-dir", str(tmp_path / "runs"), "--output", str(tmp_path / "out"), *extra]


def summary(tmp_path) -> dict:
    return json.loads((only_run(tmp_path / "runs") / "summary.json").read_text())


def test_closed_port_fails_fast_with_one_clear_line(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    start = time.monotonic()
    result = translate(run_args(url, tmp_path, "--max-iterations", "1", "--timeout", "5"))
    assert time.monotonic() - start < 10
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and url in errors[0] and "connection refused" in errors[0] and "--base-url" in errors[0]
    events = read_events(only_run(tmp_path / "runs") / "trajectory.jsonl")
    assert not [e for e in events if e["event"] == "retry"]  # refused is not retried as if temporary
    assert "connection refused" in summary(tmp_path)["status"]


def test_unknown_host_fails_fast(tmp_path):
    result = translate(run_args("http://no-such-host.invalid/v1", tmp_path, "--timeout", "5"))
    assert result.exit_code == 1 and "does not resolve" in result.stderr and "no-such-host.invalid" in result.stderr


def test_slow_server_is_cut_off_by_the_budget(tmp_path):
    def slow(body):
        time.sleep(30)
        return tool_reply(("submit", {}))

    start = time.monotonic()
    with ScriptedServer([slow]) as server:  # --request-timeout stays at 600 s: only --timeout can stop the wait
        result = translate(run_args(server.base_url, tmp_path, "--timeout", "3"))
    assert time.monotonic() - start < 10
    assert result.exit_code == 1 and "--timeout" in result.stderr
    assert summary(tmp_path)["status"].startswith("stopped: budget: --timeout reached")


def test_retry_backoff_never_outlasts_the_budget(tmp_path):
    start = time.monotonic()
    with ScriptedServer([error(500, "boom")] * 5) as server:  # the first retry would sleep 30 s
        result = translate(run_args(server.base_url, tmp_path, "--timeout", "4", "--retry-delay", "30"))
    assert time.monotonic() - start < 10
    assert result.exit_code == 1 and len(server.requests) == 1
    assert "would wait 30 s" in summary(tmp_path)["status"]


def test_verification_gets_only_the_time_left(tmp_path):
    pid_file = tmp_path / "hang.pid"
    script = [tool_reply(("write_file", {"path": "jax_env.py", "content": hanging_translation(pid_file)}), ("submit", {}))]
    start = time.monotonic()
    with ScriptedServer(script) as server:  # verification alone may take 900 s; the run may take 8
        result = translate(run_args(server.base_url, tmp_path, "--timeout", "8", "--levels", "L1", "--examples", "5",
                                    "--optimise-rounds", "0"))
    assert time.monotonic() - start < 20
    assert result.exit_code == 1
    assert int(pid_file.read_text()) > 0  # the verification really ran, and was stopped
    done = summary(tmp_path)
    assert done["status"] == "stopped: budget: --timeout 8 s reached during verification"
    assert done["rows"][0]["note"] == "verification cut short by --timeout"
    events = read_events(only_run(tmp_path / "runs") / "trajectory.jsonl")
    outcome = [e for e in events if e["event"] == "verification"][0]["outcome"]
    assert outcome["first_failure"]["check"] == "run timeout" and outcome["budget"]
