"""`--executor ray`: a real Ray cluster of two nodes on this machine gives the mutation analysis the local pool gives,
a batch of translate runs gives the summary the local executor gives, and a task whose Ray worker dies is run again
and counted once.

Ray replaces a node address of 127.0.0.1 by the machine's routable one, and its servers listen on every interface, so
the cluster runs in a private network namespace whose only interface is the loopback (`unshare --net`), in its own PID namespace:
nothing it opens is reachable from outside, and when the script that started it ends, or the test kills it, the
kernel ends every process of the cluster.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import Future
from pathlib import Path

import pytest

from test_translate_batch import write_batch
from verify.process import kill_group, start_group

ROOT = Path(__file__).resolve().parent.parent
PORT = 6379  # the namespace is new: every port in it is free
MUTATE = ["-m", "recipe.cli", "mutate", "cartpole", "--max-mutants", "4", "--timeout", "240", "--workers", "2"]
NAMESPACES = ("unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc")
TIMINGS = ("seconds", "level_seconds", "seconds_per_mutant", "search_seconds_per_mutant")

CLUSTER = r"""
set -eu
ip link set lo up
"$RAY" start --head --node-ip-address 127.0.0.1 --port "$PORT" --num-cpus 1 --include-dashboard false \
    --temp-dir "$RAYDIR/head" --disable-usage-stats > "$OUT/head.log" 2>&1
"$RAY" start --address "127.0.0.1:$PORT" --node-ip-address 127.0.0.1 --num-cpus 1 \
    --temp-dir "$RAYDIR/node" --disable-usage-stats > "$OUT/node.log" 2>&1
ss -ltnH > "$OUT/listening.txt"
"$PY" "$@" --executor ray --address "127.0.0.1:$PORT" --journal "$OUT/ray-journal.jsonl" --json "$OUT/ray.json" \
    > /dev/null 2> "$OUT/ray.err"
cd "$OUT/ray-batch"
rc=0
"$PY" -m recipe.cli translate --batch batch.toml --executor ray --address "127.0.0.1:$PORT" --json summary.json \
    > /dev/null 2> "$OUT/batch-ray.err" || rc=$?
echo "$rc" > "$OUT/batch-ray.rc"
"$PY" -c "$FAULTS" > "$OUT/faults.json" 2> "$OUT/faults.err"
"""

# Two tasks whose Ray worker process dies the first time each runs (a lost worker): each is run again and reported once.
FAULTS = r"""
import json, os, sys
from pathlib import Path
from verify.executors import run_tasks
from verify.ray_executor import RayExecutor

class DiesOnce:
    def __init__(self, marker):
        self.marker = marker
    def run(self, workers):
        if not Path(self.marker).exists():
            Path(self.marker).write_text(str(os.getpid()))
            os._exit(1)
        return {"pid": os.getpid(), "died": int(Path(self.marker).read_text())}

executor = RayExecutor(address=f"127.0.0.1:{os.environ['PORT']}")
seen = []
run_tasks(executor, [DiesOnce(f"{os.environ['OUT']}/died{i}") for i in range(2)], lambda i, f: seen.append([i, f.result()]))
executor.shutdown()
print(json.dumps(seen))
"""


def _namespaces() -> tuple[str, ...] | None:
    """The command prefix that gives a private network and PID namespace (as root, else in a user namespace), or None."""
    if shutil.which("unshare") is None or shutil.which("ip") is None or shutil.which("ss") is None:
        return None
    for prefix in (NAMESPACES, (NAMESPACES[0], "--user", "--map-root-user", *NAMESPACES[1:])):
        try:
            probe = subprocess.run([*prefix, "ip", "link", "set", "lo", "up"], capture_output=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return prefix
    return None


def _without_timings(value):
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in TIMINGS}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def test_a_two_node_ray_cluster_gives_the_local_results_and_retries_a_lost_worker(tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'envport[ray]' (setup.sh installs it)")
    prefix = _namespaces()
    if prefix is None:
        pytest.skip("needs unshare, ip and ss, and the right to make a network namespace, to keep the cluster on loopback")
    from envs import get_port
    from verify.mutation.analysis import ORIGINAL_ID, _sha
    from verify.variants import translation_source

    # Both runs take the unmutated translation's verdict from their journal, as a resumed run would (its own tests cover
    # it; verifying it is the longest task of this sample): what is compared is the mutants' verdicts.
    original = {"id": ORIGINAL_ID, "source_sha": _sha(translation_source(get_port("cartpole"))), "killed": False,
                "level": None, "message": "passed L0, L1, L3, D", "seconds": 0.0, "guided_search": True}
    for run in ("ray", "local"):
        (tmp_path / f"{run}-journal.jsonl").write_text(json.dumps(original) + "\n")
        (tmp_path / f"{run}-batch").mkdir()
        write_batch(tmp_path / f"{run}-batch")  # two translate runs (tests/test_translate_batch.py), one folder each
    # Ray's socket paths must fit AF_UNIX's 107 bytes, which a pytest folder may not: its folders go in a short one.
    ray_tmp = Path(tempfile.mkdtemp(prefix="envport-ray-", dir="/tmp"))
    ray_cli = Path(sys.executable).parent / "ray"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
           "RAY": str(ray_cli), "PY": sys.executable, "OUT": str(tmp_path), "RAYDIR": str(ray_tmp), "PORT": str(PORT),
           "FAULTS": FAULTS, "RAY_USAGE_STATS_ENABLED": "0"}
    # The cluster starts (mostly waiting) while the local run computes; its script then runs the same analysis on Ray.
    cluster = start_group([*prefix, "bash", "-c", CLUSTER, "cluster", *MUTATE], cwd=tmp_path, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        local = subprocess.run([sys.executable, *MUTATE, "--journal", str(tmp_path / "local-journal.jsonl"),
                                "--json", str(tmp_path / "local.json")], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=600)
        assert local.returncode == 0, local.stderr[-3000:]
        local_batch = subprocess.run([sys.executable, "-m", "recipe.cli", "translate", "--batch", "batch.toml", "--json",
                                      "summary.json"], cwd=tmp_path / "local-batch", env=env, capture_output=True, text=True,
                                     timeout=600)
        assert local_batch.returncode == 1, local_batch.stderr[-3000:]  # as in test_translate_batch: one run stops
        output, _ = cluster.communicate(timeout=600)
    finally:
        kill_group(cluster)  # ends the namespaces, and with them every process of the cluster
        shutil.rmtree(ray_tmp, ignore_errors=True)
    logs = {name: (tmp_path / name).read_text()[-3000:] for name in ("head.log", "node.log", "ray.err", "faults.err", "batch-ray.err")
            if (tmp_path / name).exists()}
    assert cluster.returncode == 0, (output[-2000:], logs)

    listening = (tmp_path / "listening.txt").read_text().split("\n")
    addresses = [line.split()[3].rsplit(":", 1)[0] for line in listening if line.strip()]
    assert addresses and set(addresses) <= {"127.0.0.1", "[::ffff:127.0.0.1]", "[::1]"}, addresses

    on_ray = json.loads((tmp_path / "ray.json").read_text())
    on_this_machine = json.loads((tmp_path / "local.json").read_text())
    assert on_ray["mutants"] == 4 and on_ray["killed"] >= 1
    assert {r["status"] for r in on_ray["results"]} <= {"killed", "survived", "equivalent"}  # verdicts, no fault
    assert _without_timings(on_ray) == _without_timings(on_this_machine)
    assert "ray: 4 task(s) ran on 2 node(s)" in logs["ray.err"], logs["ray.err"]

    # the batch: the same summary, run folders and promotions as on this machine (each in its own folder), apart from timings
    assert (tmp_path / "batch-ray.rc").read_text().strip() == "1", logs["batch-ray.err"]
    summaries = {run: json.loads((tmp_path / f"{run}-batch" / "summary.json").read_text().replace(str(tmp_path / f"{run}-batch"), "FOLDER"))
                 for run in ("ray", "local")}
    assert [r["outcome"] for r in summaries["ray"]["runs"]] == ["passed", "stopped: budget: --max-iterations 1 reached"]
    assert summaries["ray"]["runs"][0]["promoted"] == ["FOLDER/good/jax_env.py"]
    assert _without_timings(summaries["ray"]) == _without_timings(summaries["local"])
    for run in ("ray", "local"):
        folder = tmp_path / f"{run}-batch"
        assert (folder / "good" / "jax_env.py").read_text() == (folder / "runs" / "batch" / "01-cartpole-jax" / "workspace" / "jax_env.py").read_text()
    assert "ray: 2 task(s) ran on 2 node(s)" in logs["batch-ray.err"], logs["batch-ray.err"]

    seen = json.loads((tmp_path / "faults.json").read_text())
    assert sorted(i for i, _ in seen) == [0, 1]  # each task reported once
    for _, result in seen:
        assert result["pid"] != result["died"]  # run again in another worker process after its first one died


def test_a_task_the_executor_lost_is_a_harness_error_not_a_verdict():
    from verify.mutation.analysis import _outcome
    from verify.mutation.mutants import HARNESS_ERROR

    lost: Future = Future()
    lost.set_exception(RuntimeError("the node died\nand more"))
    outcome = _outcome(lost)
    assert not outcome.killed and outcome.level == HARNESS_ERROR
    assert outcome.message == "the executor lost the task: RuntimeError: the node died"


def test_executor_ray_without_ray_is_one_line_naming_the_extra(monkeypatch):
    from typer.testing import CliRunner

    from recipe.cli import app

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    result = CliRunner().invoke(app, ["mutate", "cartpole", "--executor", "ray"])
    assert result.exit_code == 2, result.output
    assert "pip install 'envport[ray]'" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(app, ["verify", "--all", "--executor", "ray", "--levels", "L0"])
    assert result.exit_code == 2 and "pip install 'envport[ray]'" in result.output
    result = CliRunner().invoke(app, ["mutate", "cartpole", "--address", "127.0.0.1:6379"])
    assert result.exit_code == 2 and "--address is for --executor ray" in result.output
    result = CliRunner().invoke(app, ["mutate", "cartpole", "--executor", "dask"])
    assert result.exit_code == 2 and "unknown executor 'dask'" in result.output


class _Elsewhere:
    """An executor that runs each task on a copy sent through pickle (as Ray does), in the reverse order of submission,
    and loses the tasks whose port is named in `lose`."""

    name, in_process = "elsewhere", False

    def __init__(self, lose=()):
        self.lose, self.tasks = set(lose), []

    def submit(self, task):
        import pickle

        future = Future()
        self.tasks.append((future, pickle.loads(pickle.dumps(task))))
        return future

    def as_completed(self, futures):
        for future, task in reversed(self.tasks):
            if task.port_name in self.lose:
                future.set_exception(RuntimeError("the node running it died"))
            else:
                future.set_result(task.run(None))
            yield future

    def shutdown(self, cancel=False):
        pass


def test_verify_all_elsewhere_keeps_the_order_of_the_ports_and_marks_a_lost_port_partial(tmp_path, monkeypatch):
    import envs
    import verify.runner
    from typer.testing import CliRunner

    import recipe.cli.executor_options
    from recipe.cli import app
    from verify.reports.model import LevelResult, VerificationReport

    ports = [envs.get_port(n) for n in ("cartpole", "acrobot", "pendulum")]
    monkeypatch.setattr(envs, "all_ports", lambda: ports)

    def verify_port(port, levels, options, progress, on_level, **kwargs):
        assert on_level is None  # no callback travels to another machine
        report = VerificationReport(port.name, "jax")
        for level in levels:
            report.levels[level] = LevelResult(level, passed=True, checks=3)
        return report

    monkeypatch.setattr(verify.runner, "verify_port", verify_port)
    monkeypatch.setattr(recipe.cli.executor_options, "make_executor", lambda kind, **kw: _Elsewhere(lose={"acrobot"}))
    path = tmp_path / "all.json"
    result = CliRunner().invoke(app, ["verify", "--all", "--levels", "L0,L1", "--executor", "ray", "--json", str(path)])
    assert result.exit_code == 1, result.output  # a port was not verified
    data = json.loads(path.read_text())
    assert [(r["env"], r["passed"]) for r in data] == [("cartpole", True), ("acrobot", None), ("pendulum", True)]
    assert data[1]["partial"].startswith("not verified: RuntimeError: the node running it died")
    assert "acrobot: not verified: the executor lost its task" in result.output
    assert result.output.count("cartpole L1 pass") == 1 and "pendulum L0 pass" in result.output  # the local lines


def test_an_address_where_nothing_listens_is_refused_at_once():
    import socket

    from verify.executors import ExecutorUnavailable
    from verify.ray_executor import _check_reachable

    with socket.socket() as probe:  # a port that was free a moment ago, and is closed now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ExecutorUnavailable, match=f"--address 127.0.0.1:{port}: nothing answers there"):
        _check_reachable(f"127.0.0.1:{port}")
    with pytest.raises(ExecutorUnavailable, match="give the head node as HOST:PORT"):
        _check_reachable("127.0.0.1:head")
    _check_reachable("auto")  # Ray looks these up itself
    _check_reachable(None)
