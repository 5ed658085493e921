"""Promotion: copy a verified translation out of the workspace, never over it with something unverified."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from recipe.task import ROOT, Task
from recipe.verification import fingerprint
from recipe.workspace import Workspace


class PromotionRefused(RuntimeError):
    """The workspace does not hold the translation that passed verification."""


def destination(task: Task, output: Path, relative: str) -> Path:
    """Where a workspace file goes: a JAX port's files keep their package layout; a Rust module goes into `output` itself."""
    return Path(output) / (Path(relative).name if task.target == "rust" else relative)


def promote(task: Task, workspace: Workspace, outcome: dict, output: Path, backup_dir: Path) -> list[Path]:
    """Copy the agent's files to `output` when `outcome` passed for exactly the workspace's current content.

    Files that already exist there and differ are first copied to `backup_dir`; each file is
    replaced atomically. A new games module promoted into the crate (rust_envs/src/games/) is also
    registered there (`verify.rust_build.register_game`). A new port's package lands in `output`, a ports folder (envs.registry) where every
    command finds it.
    """
    if not outcome.get("passed"):
        raise PromotionRefused("verification did not pass: nothing is promoted")
    if outcome.get("fingerprint") != fingerprint(task, workspace):
        raise PromotionRefused("the workspace changed after it was verified: nothing is promoted")
    written = []
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for rel in task.owned_files:
        target = destination(task, output, rel)
        data = workspace.read(rel)
        if target.is_file() and target.read_text() != data:
            backup = Path(backup_dir) / stamp / rel
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, backup)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.envport-tmp")
        tmp.write_text(data)
        os.replace(tmp, target)
        written.append(target)
    entry = task.rust_registration
    if entry is not None and Path(output).resolve() == (ROOT / "rust_envs" / entry.source).parent.resolve():
        from verify.rust_build import register_game

        written += register_game(ROOT / "rust_envs", entry)  # its two lines, as every verified build had them
    return written


def rust_follow_up(task: Task) -> str | None:
    """What a user does after promoting a new games module: the port's metadata and the rebuild; None otherwise."""
    entry = task.rust_registration
    if entry is None:
        return None
    return (f"declare the Rust translation in {task.name}'s metadata: backends=(..., \"rust\"), "
            f"rust_classes=(\"{entry.single}\", \"{entry.vec}\"), rust_source=\"{entry.source}\"; "
            f"the crate registers the module (rust_envs/src/games/mod.rs, rust_envs/src/bindings/mod.rs: "
            f"{entry.lines()['src/bindings/mod.rs'].strip()}) when promoted into rust_envs/src/games/; then rebuild: bash setup.sh")
