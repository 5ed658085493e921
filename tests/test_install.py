"""A real install: wheels of envport and of the Rust extension, installed (not editable) into a fresh virtual
environment, give a working `envport` run from a folder outside the repository.

The fresh environment sees the project environment's dependencies through a .pth file, so nothing is downloaded;
the Rust wheel reuses the cargo target folder `bash setup.sh` built.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd, cwd, env=None, timeout=600) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def _setuptools_builds_wheels() -> bool:
    try:
        major, minor = (int(part) for part in version("setuptools").split(".")[:2])
    except Exception:
        return False
    return (major, minor) >= (70, 1)


RUST = shutil.which("cargo") is not None and shutil.which("maturin", path=str(Path(sys.executable).parent)) is not None


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtual environment with envport's wheel (and the Rust extension's, when cargo is here) installed."""
    if not _setuptools_builds_wheels():
        pytest.skip("this environment's setuptools is older than 70.1 and cannot build the wheel without build "
                    "isolation: run `bash setup.sh` (it installs the dev extra)")
    tmp_path = tmp_path_factory.mktemp("install")
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", ROOT, "--no-build-isolation", "--no-deps", "--no-index", "-q", "-w", wheels], tmp_path)
    if RUST:  # same profile and features as setup.sh's `maturin develop --release`: the built crate is reused
        cargo_env = {**os.environ, "CARGO_TARGET_DIR": str(ROOT / "rust_envs" / "target"),
                     "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        _run([sys.executable, "-m", "pip", "wheel", ROOT / "rust_envs", "--no-build-isolation", "--no-deps", "--no-index",
              "-q", "-w", wheels], tmp_path, env=cargo_env, timeout=900)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ENVPORT_PORTS") and not k.startswith("JAX_COMPILATION")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp_path, env)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q",
          *sorted(wheels.glob("*.whl"))], tmp_path, env)
    # Then the dependencies, from the project's environment (after the install, so pip never takes the
    # project's own editable envport for the one it is asked to install).
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path, env).stdout.strip())
    deps = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "envport-dependencies.pth").write_text("\n".join(deps) + "\n")
    user = tmp_path / "user"  # a folder of the user's, outside the repository
    user.mkdir()
    return {"python": python, "envport": venv / "bin" / "envport", "site": site, "user": user, "env": env}


def test_installed_envport_works_outside_the_repository(installed):
    python, envport, site, user, env = (installed[k] for k in ("python", "envport", "site", "user", "env"))
    where = _run([python, "-c", "import recipe, prompts; print(recipe.__file__); print(list(prompts.__path__)[0])"], user, env)
    assert all(line.startswith(str(site)) for line in where.stdout.split()), where.stdout  # the installed copy, not the checkout
    assert _run([envport, "--version"], user, env).stdout.strip() == f"envport {version('envport')}"
    prompt = _run([envport, "translate", "cartpole", "--print-prompt"], user, env)
    assert "CartPoleEnv" in prompt.stdout and "translate_jax:" in prompt.stderr  # the templates came with the wheel
    verified = _run([envport, "verify", "cartpole", "--levels", "L0", "--json", "l0.json"], user, env)
    assert "PASS" in verified.stdout and (user / "l0.json").is_file()


@pytest.mark.skipif(not RUST, reason="no Rust toolchain (cargo) or no maturin in this environment: the Rust wheel cannot be built")
def test_installed_rust_extension_works_outside_the_repository(installed):
    python, envport, site, user, env = (installed[k] for k in ("python", "envport", "site", "user", "env"))
    module = _run([python, "-c", "import envport_rust; print(envport_rust.__file__)"], user, env).stdout
    assert module.startswith(str(site))
    assert "PASS" in _run([envport, "verify", "cartpole", "--backend", "rust", "--levels", "L0"], user, env).stdout
