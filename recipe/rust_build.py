"""The Rust target: a workspace copy of `rust_envs/` holding the agent's module, built with maturin into the run folder.

Only the agent's module file is its own; every other file of the crate is restored
from `rust_envs/` before each build, so what passes is exactly that module in the
project's crate. The build's target folder is seeded from `rust_envs/target/` (when
it exists), so only the crate itself compiles (about 30 s), not its dependencies.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

from recipe.task import ROOT, Task
from recipe.workspace import CommandResult, Workspace, child_env, run_command

CRATE = ROOT / "rust_envs"


def tool(name: str) -> str | None:
    """Path of `maturin` or `cargo` (the virtualenv's first), or None."""
    local = Path(sys.executable).parent / name
    return str(local) if local.is_file() else shutil.which(name)


def missing_tools() -> list[str]:
    """The build tools that are not installed."""
    return [name for name in ("cargo", "maturin") if tool(name) is None]


def _crate_files() -> list[Path]:
    return [p for p in CRATE.rglob("*") if p.is_file() and "target" not in p.relative_to(CRATE).parts]


def prepare_workspace(task: Task, workspace: Workspace) -> None:
    """Copy the crate into the workspace without the module the agent writes."""
    sync_crate(task, workspace)
    module = workspace.root / task.translation_file
    if module.exists():
        module.unlink()


def sync_crate(task: Task, workspace: Workspace) -> None:
    """Restore every crate file except the agent's module from rust_envs/, and remove files the crate does not have.

    (A stray `build.rs` or module would otherwise change what is built.)
    """
    wanted = {str(Path("rust_envs") / p.relative_to(CRATE)) for p in _crate_files()} | {task.translation_file}
    crate = workspace.root / "rust_envs"
    if crate.is_dir():
        for path in crate.rglob("*"):
            rel = path.relative_to(workspace.root)
            if (path.is_file() or path.is_symlink()) and "target" not in rel.parts and str(rel) not in wanted:
                path.unlink()
    for path in _crate_files():
        rel = Path("rust_envs") / path.relative_to(CRATE)
        if str(rel) == task.translation_file:
            continue
        dest = workspace.root / rel
        if not dest.is_file() or dest.read_bytes() != path.read_bytes():
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.is_symlink():
                dest.unlink()
            shutil.copy2(path, dest)


def _seed_target(target: Path) -> None:
    if target.exists():
        return
    target.mkdir(parents=True)
    for profile in ("release", "debug"):
        source = CRATE / "target" / profile
        if source.is_dir():
            shutil.copytree(source, target / profile, symlinks=True)


def build(task: Task, workspace: Workspace, build_dir: Path, timeout: float) -> tuple[Path | None, CommandResult]:
    """Build the workspace crate into a wheel and unpack it; (site folder, result), site None on failure."""
    sync_crate(task, workspace)
    build_dir = Path(build_dir)
    _seed_target(build_dir / "target")
    wheels = build_dir / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    env = child_env(ROOT) | {"VIRTUAL_ENV": str(Path(sys.executable).parent.parent)}
    cmd = [tool("maturin") or "maturin", "build", "--release", "--quiet", "-o", str(wheels), "--target-dir",
           str(build_dir / "target"), "-i", sys.executable]
    result = run_command(cmd, cwd=workspace.root / "rust_envs", timeout=timeout, env=env)
    built = sorted(wheels.glob("*.whl")) if wheels.is_dir() else []
    if result.timed_out or result.returncode != 0 or not built:
        return None, result
    site = build_dir / "site"
    shutil.rmtree(site, ignore_errors=True)
    with zipfile.ZipFile(built[-1]) as wheel:
        wheel.extractall(site)
    return site, result


def cargo_test(task: Task, workspace: Workspace, build_dir: Path, timeout: float) -> CommandResult:
    """`cargo test --lib` of the workspace crate (the agent's unit tests included)."""
    sync_crate(task, workspace)
    _seed_target(Path(build_dir) / "target")
    module = Path(task.translation_file).stem
    return run_command([tool("cargo") or "cargo", "test", "--lib", "--target-dir", str(Path(build_dir) / "target"), module],
                       cwd=workspace.root / "rust_envs", timeout=timeout, env=child_env(ROOT))


def compiler_errors(output: str, limit: int = 6000) -> str:
    """The compiler's error messages (from the first 'error' line), cut to `limit` characters."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("error")), 0)
    return "\n".join(lines[start:])[:limit]
