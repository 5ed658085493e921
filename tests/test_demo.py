"""`envport demo`, README's first command: the whole flow runs, and every output its table names exists."""

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]


def test_demo_runs_every_step_and_writes_every_output_it_names(tmp_path):
    from recipe.cli.demo_command import demo_steps

    folder = tmp_path / "demo"
    shipped = ROOT / "envs" / "classic_control" / "cartpole" / "jax_env.py"
    before = shipped.read_bytes()
    env = {k: v for k, v in os.environ.items() if k not in ("ENVPORT_PORTS", "OPENAI_API_KEY", "JAX_COMPILATION_CACHE_DIR")}
    env.update(PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-m", "recipe.cli", "demo", "--out", str(folder)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    where = json.loads((folder / "outputs.json").read_text())  # what the final table shows
    steps = demo_steps(folder)
    assert list(where) == [step for step, _, _ in steps]
    for step, _, outputs in steps:
        assert where[step]["outputs"] == [str(folder / o) for o in outputs]
        for path in [*where[step]["outputs"], where[step]["log"]]:
            assert Path(path).exists(), path
        assert step in done.stdout
    # what each step found: the repair, every level, the speed-up, the learned policy
    (run,) = (folder / "runs").iterdir()
    rows = json.loads((run / "summary.json").read_text())["rows"]
    assert [r["levels"]["L1"] for r in rows] == ["FAIL", "pass"]
    report = json.loads((folder / "verify.json").read_text())
    assert report["passed"] and set(report["levels"]) == {"L0", "D", "L1", "L2", "L3", "F32"}
    bench = json.loads((folder / "bench.json").read_text())["rows"]
    assert {r["backend"] for r in bench} == {"reference", "jax", "gymnax"}
    assert json.loads((folder / "train" / "summary.json").read_text())["evaluation"]["mean_return"][0] >= 475
    assert "<html" in (folder / "report.html").read_text().lower()
    assert shipped.read_bytes() == before  # the shipped port is never touched


def test_demo_never_writes_into_a_folder_in_use(tmp_path):
    from recipe.cli import app

    (tmp_path / "keep.txt").write_text("mine")
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "not an empty folder" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
