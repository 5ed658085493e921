"""The Rust target of a task: a workspace copy of `rust_envs/` holding the agent's module, built with maturin
into the run folder (`verify.rust_build` does the building; this names the task's module and workspace).

Only the agent's module file is its own; every other file of the crate is restored
from `rust_envs/` before each build, so what passes is exactly that module in the
project's crate. A port without Rust bindings gets a new module of the `games` family,
whose two registration lines the build adds (`Task.rust_registration`).
"""

from __future__ import annotations

from pathlib import Path

from recipe.task import Task
from recipe.workspace import Workspace
from verify import rust_build
from verify.process import CommandResult


def prepare_workspace(task: Task, workspace: Workspace) -> None:
    """Copy the crate into the workspace without the module the agent writes."""
    sync_crate(task, workspace)
    module = workspace.root / task.translation_file
    if module.exists():
        module.unlink()


def sync_crate(task: Task, workspace: Workspace) -> None:
    """Restore every crate file except the agent's module from rust_envs/, and remove files the crate does not have
    (a new games module registered in the copy)."""
    rust_build.sync_crate(workspace.root, task.translation_file, task.rust_registration)


def build(task: Task, workspace: Workspace, build_dir: Path, timeout: float) -> tuple[Path | None, CommandResult]:
    """Build the workspace crate into a wheel and unpack it; (site folder, result), site None on failure."""
    return rust_build.build_wheel(workspace.root, task.translation_file, build_dir, timeout, task.rust_registration)


def cargo_test(task: Task, workspace: Workspace, build_dir: Path, timeout: float) -> CommandResult:
    """`cargo test --lib` of the workspace crate (the agent's unit tests included)."""
    return rust_build.cargo_test(workspace.root, task.translation_file, build_dir, timeout, task.rust_registration)
