"""The workspace's confinement, the command time limit, the run log's redaction and the price table."""

import os
import sys
import time

import pytest

from recipe.accounting import Budget, BudgetExhausted, RunLog, Usage, cost_of, load_prices, price_for, read_events
from recipe.workspace import PathRefused, Workspace
from verify.process import head_tail, run_command


def test_paths_stay_inside(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.write("pkg/a.py", "x = 1\n")
    assert ws.read("pkg/a.py") == "x = 1\n" and ws.list() == ["pkg/a.py"]
    for bad, why in (("../x", "'..'"), ("pkg/../../x", "'..'"), ("/etc/passwd", "absolute"), ("", "empty")):
        with pytest.raises(PathRefused, match=why):
            ws.write(bad, "x")
    (tmp_path / "secret.txt").write_text("s")
    os.symlink(tmp_path / "secret.txt", ws.root / "link.txt")
    os.symlink(tmp_path, ws.root / "linkdir")
    for bad in ("link.txt", "linkdir/secret.txt", "linkdir"):
        with pytest.raises(PathRefused, match="symbolic link"):
            ws.read(bad)
    with pytest.raises(PathRefused, match="symbolic link"):
        ws.write("linkdir/new.txt", "x")
    assert not (tmp_path / "new.txt").exists() and (tmp_path / "secret.txt").read_text() == "s"
    with pytest.raises(PathRefused, match="not a file"):
        ws.read("missing.py")


def test_command_time_limit_kills_the_process_group(tmp_path):
    child_pid = tmp_path / "child.pid"
    script = (f"import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
              f"open({str(child_pid)!r}, 'w').write(str(p.pid)); time.sleep(60)")
    start = time.time()
    result = run_command([sys.executable, "-c", script], cwd=tmp_path, timeout=3)
    assert result.timed_out and result.returncode is None and time.time() - start < 20
    pid = int(child_pid.read_text())
    time.sleep(0.2)
    assert not running(pid)  # the grandchild died with the group
    ok = run_command([sys.executable, "-c", "print('hi')"], cwd=tmp_path, timeout=30)
    assert ok.returncode == 0 and ok.output.strip() == "hi" and not ok.timed_out


def running(pid: int) -> bool:
    """Whether a process exists and is not a zombie (an orphan's zombie waits for PID 1 to reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_head_tail():
    text = "a" * 100 + "b" * 100
    cut = head_tail(text, 50)
    assert cut.startswith("a" * 25) and cut.endswith("b" * 25) and "150 characters left out" in cut
    assert head_tail("short", 50) == "short"


def test_run_log_redacts_secrets(tmp_path):
    log = RunLog(tmp_path / "t.jsonl", secrets=["sk-secret-123"])
    log.event("response", message={"content": "the key is sk-secret-123"})
    assert "sk-secret-123" not in (tmp_path / "t.jsonl").read_text()
    assert read_events(tmp_path / "t.jsonl")[0]["message"]["content"] == "the key is [REDACTED]"


def test_prices_extendable_and_unknown(tmp_path):
    extra = tmp_path / "prices.toml"
    extra.write_text('[models."my-local"]\ninput = 1.0\noutput = 2.0\n')
    table = load_prices(extra)
    assert cost_of(1_000_000, 500_000, price_for("my-local", table)) == pytest.approx(2.0)
    assert price_for("gpt-4o-mini-2024-07-18", table) == table["gpt-4o-mini"]  # longest prefix
    assert price_for("mystery-model", table) is None and cost_of(10, 10, None) is None
    usage = Usage()
    usage.add(10, 10, 0.5)
    usage.add(10, 10, None)
    assert usage.cost is None and usage.tokens == 40  # unknown once any price is unknown; tokens still counted
    bad = tmp_path / "bad.toml"
    bad.write_text("not toml [")
    with pytest.raises(ValueError, match="Expected TOML"):
        load_prices(bad)


def test_budgets():
    usage = Usage()
    usage.add(600, 500, 0.2)
    with pytest.raises(BudgetExhausted, match="--max-tokens 1000"):
        usage.check(Budget(max_tokens=1000))
    with pytest.raises(BudgetExhausted, match="--max-cost 0.1"):
        usage.check(Budget(max_cost=0.1))
    with pytest.raises(BudgetExhausted, match="--max-iterations 2"):
        usage.check(Budget(max_iterations=2), iterations=2)
    usage.wall_seconds = 100
    with pytest.raises(BudgetExhausted, match="--timeout 50"):
        usage.check(Budget(timeout=50))
    Usage().check(Budget(max_tokens=1, max_cost=1.0, timeout=100), iterations=0)
