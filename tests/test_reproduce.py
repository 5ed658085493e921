"""The reproduce snippet of an L1 failure runs as written, for a catalogue port, a user's port (from a ports
folder), a third-party candidate and a new port in a translate workspace."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from envs import get_port
from envs.registry import PORTS_ENV
from verify.properties import counterexample_code
from verify.runner import reproduce_setup, verify_port

ROOT = Path(__file__).resolve().parents[1]
USER_PORT = textwrap.dedent('''
    from envs import get_port

    PORT = get_port("cartpole").replace(name="repro-pole", gym_id="ReproPole-v0", aliases=())
''')


def _run_snippet(code: str, env: dict | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _snippet(setup: str, port) -> str:
    lock = type("L", (), {"reproduce_setup": setup})()
    state = {f.name: 0.0 if "float" in f.dtype else 0 for f in port.state_fields}
    draws = {"reset": {}, "step": {}}
    return counterexample_code(lock, state, 1, draws)


def test_catalogue_port_snippet_runs():
    port = get_port("cartpole")
    out = _run_snippet(_snippet(reproduce_setup(port), port))
    assert out.count("StepOutcome") == 2 or len(out.strip().splitlines()) == 2


def test_user_port_snippet_runs_from_another_folder(tmp_path, monkeypatch):
    (tmp_path / "ports" / "repro_pole").mkdir(parents=True)
    (tmp_path / "ports" / "repro_pole" / "__init__.py").write_text(USER_PORT)
    monkeypatch.setenv(PORTS_ENV, str(tmp_path / "ports"))
    monkeypatch.delitem(sys.modules, "repro_pole", raising=False)
    port = get_port("repro-pole")
    setup = reproduce_setup(port)
    assert str(tmp_path / "ports") in setup
    out = _run_snippet(_snippet(setup, port), env={PORTS_ENV: ""})  # the snippet itself says where the port is
    assert len(out.strip().splitlines()) == 2


def test_candidate_snippet_loads_the_candidate_not_the_translation():
    port = get_port("cartpole")
    setup = reproduce_setup(port, candidate="envs.classic_control.cartpole.jax_env:CartPole")
    assert "load_candidate(port, 'envs.classic_control.cartpole.jax_env:CartPole')" in setup
    out = _run_snippet(_snippet(setup, port))
    assert len(out.strip().splitlines()) == 2


def test_a_failing_workspace_port_reports_a_snippet_that_runs(tmp_path):
    """End to end through the translate worker: a new port in a workspace, with a bug L1 finds."""
    workspace = tmp_path / "workspace"
    (workspace / "bad_pole").mkdir(parents=True)
    init = (ROOT / "envs" / "classic_control" / "cartpole" / "__init__.py").read_text()
    for old, new in (("from envs.classic_control.cartpole import reference", "from bad_pole import reference"),
                     ("from envs.classic_control.cartpole.jax_env import CartPole", "from bad_pole.jax_env import CartPole"),
                     ('name="cartpole"', 'name="bad-pole"'), ('jax_module="envs.classic_control.cartpole.jax_env"', 'jax_module="bad_pole.jax_env"'),
                     ('aliases=("CartPole",)', "aliases=()")):
        init = init.replace(old, new)
    (workspace / "bad_pole" / "__init__.py").write_text(init)
    (workspace / "bad_pole" / "reference.py").write_text((ROOT / "envs/classic_control/cartpole/reference.py").read_text())
    source = (ROOT / "envs/classic_control/cartpole/jax_env.py").read_text()
    bad = source.replace("force = jnp.where(action == 1, params.force_mag, -params.force_mag)",
                         "force = jnp.where(action == 1, -params.force_mag, params.force_mag)")
    assert bad != source
    (workspace / "bad_pole" / "jax_env.py").write_text(bad)
    report_path = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "recipe.verify_worker", "--workspace", str(workspace), "--package", "bad_pole",
                           "--levels", "L1", "--examples", "10", "--json", str(report_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    import json

    report = json.loads(report_path.read_text())
    failure = report["first_failure"]
    assert failure["level"] == "L1", done.stderr[-2000:]
    out = _run_snippet(failure["reproduce"])
    assert len(out.strip().splitlines()) == 2
