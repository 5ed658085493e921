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


@pytest.fixture()
def user_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("my_project")
    assert ROOT not in folder.parents
    shutil.copy(EXAMPLE / "drift_env.py", folder / "drift_env.py")
    return folder


def _translate_with_the_scripted_server(user_folder: Path):
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


def _check_translated(user_folder: Path, translated) -> None:
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


def readme_commands() -> list[list[str]]:
    """The envport commands of README.md's "Your own environment" block, split as a shell would."""
    import shlex

    text = (ROOT / "README.md").read_text()
    block = text.split("## Your own environment", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line, comments=True) for line in block.splitlines()]
    return [c for c in commands if c and c[0] == "envport"]


def test_translate_then_the_readme_commands_in_the_same_folder(user_folder):
    """The scripted translate (a bug rejected, the fix promoted), then README's commands (replaying examples/drift's
    recorded run, then list, verify, bench, train and mutate), from the user's folder with relative paths. One test,
    so that the steps share one folder whatever worker runs it."""
    _check_translated(user_folder, _translate_with_the_scripted_server(user_folder))
    shutil.copytree(EXAMPLE / "recorded_run", user_folder / "recorded_run")
    commands = readme_commands()
    assert [c[1] for c in commands] == ["translate", "list", "verify", "bench", "train", "mutate"]
    for command in commands:
        done = _envport(user_folder, *command[1:], "--json", "out.json") if command[1] in ("verify", "bench", "mutate") else \
            _envport(user_folder, *command[1:])
        assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        if command[1] == "translate":
            for rel, text in _agent_files().items():
                assert (user_folder / "ports" / rel).read_text() == text
        elif command[1] == "list":
            origins = {row["name"]: row["origin"] for row in json.loads(_envport(user_folder, "list", "--json").stdout)}
            assert origins["drift"] == f"folder {user_folder / 'ports' / 'drift'}"
        elif command[1] == "verify":
            report = json.loads((user_folder / "out.json").read_text())
            assert report["passed"] and set(report["levels"]) == {"L0", "D", "L1", "L2", "L3", "F32"}
        elif command[1] == "bench":
            rows = json.loads((user_folder / "out.json").read_text())["rows"]
            assert {r["backend"] for r in rows if r.get("steps_per_second")} == {"reference", "jax"}
        elif command[1] == "train":
            assert "drift" in done.stdout + done.stderr and (user_folder / "runs" / "drift-jax").is_dir()
        else:
            result = json.loads((user_folder / "out.json").read_text())
            assert result["env"] == "drift" and 1 <= result["mutants"] <= 8 and result["killed"] >= 1, result["killed_by_level"]
