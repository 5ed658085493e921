"""The `envport` command's global options: JAX's persistent compilation cache (on by default, `--no-cache`) and `--version`."""

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]


def _envport(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """`envport ARGS` in a fresh process, with its user cache folder in tmp_path and JAX logging its cache use."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAX_COMPILATION_CACHE")}
    env.update(PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(tmp_path / "cache"), JAX_LOG_COMPILES="1")
    return subprocess.run([sys.executable, "-m", "recipe.cli", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)


def test_second_train_loads_its_programs_from_the_cache_and_no_cache_writes_none(tmp_path):
    train = ("train", "cartpole", "--set", "total_timesteps=8192", "--eval-episodes", "1")
    cache = tmp_path / "cache" / "envport" / "jax"
    done = _envport(tmp_path, "--no-cache", *train, "--out", "a")
    assert done.returncode == 0, done.stderr
    assert not cache.exists()
    first = _envport(tmp_path, *train, "--out", "b")
    assert first.returncode == 0, first.stderr
    assert any(p.name.startswith("jit_run_slice") for p in cache.iterdir())  # the training program, kept
    second = _envport(tmp_path, *train, "--out", "c")
    assert second.returncode == 0, second.stderr
    assert "Persistent compilation cache hit for 'jit_run_slice'" in second.stderr
    assert "Persistent compilation cache hit" not in first.stderr
    # the same training either way: the cache changes the start-up, not the result
    runs = [json.loads((tmp_path / d / "summary.json").read_text()) for d in "abc"]
    assert runs[0]["final_training_return"] == runs[1]["final_training_return"] == runs[2]["final_training_return"]


def test_version_comes_from_the_package_metadata():
    from recipe.cli import app

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"envport {version('envport')}"


def test_training_in_slices_with_progress_equals_one_compiled_call():
    """The progress path (slices, no host callback, so cacheable) trains exactly as the single compiled run does."""
    import jax
    import numpy as np

    from envs import get_port
    from ppo.config import default_config_path, load_config
    from ppo.training import run_training

    port = get_port("cartpole")
    config = load_config(default_config_path("cartpole"), {"total_timesteps": 20_000})  # 39 updates: 13 slices of 3
    seen = []
    sliced = run_training(port, "jax", config, [0, 1], progress=lambda update, steps, returns: seen.append((update, steps)))
    whole = run_training(port, "jax", config, [0, 1])
    assert seen[-1] == (39, 39 * 512) and len(seen) == 13
    for a, b in zip(jax.tree.leaves(sliced.params), jax.tree.leaves(whole.params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    np.testing.assert_array_equal(np.asarray(sliced.metrics["return_sum"]), np.asarray(whole.metrics["return_sum"]))


def test_no_cache_reaches_subprocesses_and_mutate_never_caches(monkeypatch):
    """--no-cache is exported (ENVPORT_NO_CACHE), so the commands envport starts (the demo's steps) keep to it."""
    from recipe.cli import app

    monkeypatch.delenv("ENVPORT_NO_CACHE", raising=False)
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", "/nonexistent/cache")
    assert CliRunner().invoke(app, ["--no-cache", "list"]).exit_code == 0
    assert os.environ.get("ENVPORT_NO_CACHE") == "1" and "JAX_COMPILATION_CACHE_DIR" not in os.environ
    monkeypatch.delenv("ENVPORT_NO_CACHE")
    assert CliRunner().invoke(app, ["mutate", "no-such-port"]).exit_code == 2
    assert os.environ.get("ENVPORT_NO_CACHE") == "1"  # mutants compile programs of their own: never cached
