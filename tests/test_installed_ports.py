"""A port package installed with pip (entry-point group `envport.ports`) appears in `envport list` and verifies."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DIST = "envport-test-installed-pole"

PYPROJECT = textwrap.dedent(f'''
    [build-system]
    requires = ["setuptools>=61"]
    build-backend = "setuptools.build_meta"

    [project]
    name = "{DIST}"
    version = "0.0.1"

    [project.entry-points."envport.ports"]
    installed-pole = "installed_pole:PORT"

    [tool.setuptools]
    packages = ["installed_pole"]
''')
PACKAGE = textwrap.dedent('''
    """A pip-installable port: CartPole under another name (its translation and adapter are the catalogue's)."""

    from envs import get_port

    PORT = get_port("cartpole").replace(name="installed-pole", gym_id="InstalledPole-v0", aliases=())
''')


def _pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture()
def installed(tmp_path):
    (tmp_path / "installed_pole").mkdir()
    (tmp_path / "installed_pole" / "__init__.py").write_text(PACKAGE)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    done = _pip("install", "--no-deps", str(tmp_path))
    if done.returncode != 0:
        pytest.fail(f"pip could not install the test package: {done.stderr[-1000:]}")
    yield
    _pip("uninstall", "-y", DIST)


def test_an_installed_port_package_is_listed_and_verifies(installed, tmp_path):
    envport = str(Path(sys.executable).with_name("envport"))
    env = {k: v for k, v in os.environ.items() if k != "ENVPORT_PORTS"}
    listed = subprocess.run([envport, "list", "--json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr
    origins = {row["name"]: row["origin"] for row in json.loads(listed.stdout)}
    assert origins["installed-pole"] == f"installed {DIST}:installed-pole"
    verified = subprocess.run([envport, "verify", "installed-pole", "--levels", "L0,L1", "--examples", "20"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert verified.returncode == 0, verified.stdout[-2000:] + verified.stderr[-2000:]
    assert "PASS installed-pole" in verified.stdout + verified.stderr
