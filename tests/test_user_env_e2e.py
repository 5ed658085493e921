"""Your own environment, end to end, as a user runs it: from a folder outside the repository, with a module of
their own (reset and step draws through np_random) and a scripted OpenAI-compatible server on 127.0.0.1.

`envport translate --reference drift_env.py:DriftEnv --name drift` must reject a buggy first version with a
counterexample and promote the fixed one into ./ports; then `envport verify drift`, `envport bench drift`,
`envport train drift` and `envport mutate drift` all work from that folder with relative paths.
The environment and the agent's files are the worked example in examples/drift/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from recipe_server import ScriptedServer, tool_reply

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "drift"
ENVPORT = str(Path(sys.executable).with_name("envport"))
SECRET = "sk-e2e-user-env-secret-9876543210"


def _agent_files() -> dict[str, str]:
    return {f"drift/{name}": (EXAMPLE / "agent_output" / "drift" / name).read_text() for name in ("__init__.py", "reference.py", "jax_env.py")}


def _envport(folder: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("ENVPORT_PORTS", "PYTHONPATH")}
    env["OPENAI_API_KEY"] = SECRET
    return subprocess.run([ENVPORT, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def user_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("my_project")
    assert ROOT not in folder.parents
    shutil.copy(EXAMPLE / "drift_env.py", folder / "drift_env.py")
    return folder


@pytest.fixture(scope="module")
def translated(user_folder):
    files = _agent_files()
    fixed = files["drift/jax_env.py"]
    buggy = fixed.replace("params.push * (action - 1)", "params.push * (1 - action)")
    assert buggy != fixed
    script = [
        tool_reply(*[("write_file", {"path": p, "content": c}) for p, c in {**files, "drift/jax_env.py": buggy}.items()], ("submit", {})),
        tool_reply(("write_file", {"path": "drift/jax_env.py", "content": fixed}), ("submit", {})),
    ]
    with ScriptedServer(script) as server:
        done = _envport(user_folder, "translate", "--reference", "drift_env.py:DriftEnv", "--name", "drift",
                        "--agent", "openai", "--base-url", server.base_url, "--model", "gpt-4o-mini", "--retry-delay", "0.01",
                        "--levels", "L0,L1,L3", "--examples", "30", "--episodes", "5", "--optimise-rounds", "0",
                        "--max-iterations", "3")
        requests = server.requests
    return done, requests


def test_translate_rejects_the_bug_and_promotes_the_fix(user_folder, translated):
    done, requests = translated
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert len(requests) == 2
    repair = requests[1]["body"]["messages"][-1]["content"]
    assert "Iteration 1:" in repair and "failed verification at level L1" in repair and "Reproduce" in repair
    for rel, text in _agent_files().items():
        assert (user_folder / "ports" / rel).read_text() == text
    runs = user_folder / "runs"
    assert runs.is_dir()
    logged = "".join(p.read_text(errors="ignore") for p in runs.rglob("*") if p.is_file())
    assert SECRET not in logged


def test_verify_bench_train_and_mutate_the_new_port_from_the_users_folder(user_folder, translated):
    assert translated[0].returncode == 0
    listed = _envport(user_folder, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    origins = {row["name"]: row["origin"] for row in json.loads(listed.stdout)}
    assert origins["drift"] == f"folder {user_folder / 'ports' / 'drift'}"

    verified = _envport(user_folder, "verify", "drift", "--levels", "L0,L1,L2,L3", "--examples", "30", "--programs", "5",
                        "--episodes", "5", "--json", "report.json")
    assert verified.returncode == 0, verified.stdout[-3000:] + verified.stderr[-3000:]
    assert json.loads((user_folder / "report.json").read_text())["passed"]

    bench = _envport(user_folder, "bench", "drift", "--backend", "reference,jax", "--batch-sizes", "32", "--repeats", "1",
                     "--budget", "2000", "--json", "bench.json")
    assert bench.returncode == 0, bench.stderr[-3000:]
    rows = json.loads((user_folder / "bench.json").read_text())["rows"]
    assert {r["backend"] for r in rows if r.get("steps_per_second")} >= {"reference", "jax"}

    trained = _envport(user_folder, "train", "drift", "--set", "total_timesteps=4096", "--set", "num_envs=8",
                       "--eval-episodes", "2", "--out", "trained")
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert any((user_folder / "trained").iterdir())

    mutated = _envport(user_folder, "mutate", "drift", "--max-mutants", "20", "--json", "mutants.json")
    assert mutated.returncode == 0, mutated.stdout[-3000:] + mutated.stderr[-3000:]
    result = json.loads((user_folder / "mutants.json").read_text())
    assert result["env"] == "drift" and 1 <= result["mutants"] <= 20 and result["killed"] >= 1, result["killed_by_level"]
