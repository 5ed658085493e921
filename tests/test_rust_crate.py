"""The Rust crate's own unit tests (`cargo test`: the environment cores, without Python)."""

import shutil
import subprocess
from pathlib import Path

import pytest

CRATE = Path(__file__).resolve().parents[1] / "rust_envs"


@pytest.mark.skipif(shutil.which("cargo") is None, reason="no Rust toolchain (cargo) on this machine")
def test_cargo_test_passes():
    proc = subprocess.run(["cargo", "test", "--quiet"], cwd=CRATE, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "test result: ok" in proc.stdout
