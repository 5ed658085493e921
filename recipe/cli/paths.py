"""Output paths, checked before any work starts, and written so that nothing finished is lost.

Every command validates its output options first (`check_file`, `check_folder`), so a typo
costs a second, not the run: a folder where a file is expected, a parent that is a file or
cannot be written, or a file that cannot be written, is one usage error naming the option.
A missing parent folder is created when the results are written (its nearest existing
ancestor must be a writable folder). `-` means stdout where an option allows it.
Files are written through `write_text`: to a temporary file beside the target, then renamed
over it, so a reader (or an interrupted run) never sees half a file.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from recipe.cli.console import usage_error

STDOUT = "-"


def is_stdout(path: Path | str | None) -> bool:
    """True for the path `-` (write to stdout)."""
    return path is not None and str(path) == STDOUT


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def _folder_writable(folder: Path) -> bool:
    """Whether a file can be created in `folder` (tried for real: permission bits lie to root and on /proc)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".envport-probe-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.unlink(name)
    return True


def _parent_problem(path: Path) -> str | None:
    """Why a file or folder cannot be made at `path`'s parent, or None."""
    parent = path.absolute().parent
    existing = _nearest_existing(parent)
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if not _folder_writable(existing):
        return f"cannot write in {existing}"
    return None


def check_file(path: Path | None, option: str, stdout_ok: bool = False) -> Path | None:
    """`path` if a file can be written there (or it is `-` and `stdout_ok`), else a usage error naming `option`."""
    if path is None or (stdout_ok and is_stdout(path)):
        return path
    if is_stdout(path):
        raise usage_error(f"{option} -: this option writes a file, not stdout; give a file path")
    if path.is_dir():
        raise usage_error(f"{option} {path} is a folder; give a file path, e.g. {path / ('out' + (path.suffix or '.json'))}")
    if path.exists():
        try:
            with path.open("a"):  # opened for appending, nothing written: the content stays as it is
                pass
        except OSError as exc:
            raise usage_error(f"{option} {path}: cannot write it ({exc.strerror}); choose another path")
        return path
    problem = _parent_problem(path)
    if problem:
        raise usage_error(f"{option} {path}: {problem}; choose another path")
    return path


def check_folder(path: Path | None, option: str) -> Path | None:
    """`path` if a folder can be made or written there, else a usage error naming `option`."""
    if path is None:
        return path
    if is_stdout(path):
        raise usage_error(f"{option} -: this option names a folder; give a folder path")
    if path.exists():
        if not path.is_dir():
            raise usage_error(f"{option} {path} is a file; give a folder")
        if not _folder_writable(path):
            raise usage_error(f"{option} {path}: cannot write in it; choose another folder")
        return path
    problem = _parent_problem(path)
    if problem:
        raise usage_error(f"{option} {path}: {problem}; choose another folder")
    return path


def check_input_file(path: Path, option: str) -> Path:
    """`path` if it is a file (not a folder), else a usage error naming `option`."""
    if not path.exists():
        raise usage_error(f"{option} {path} does not exist")
    if path.is_dir():
        raise usage_error(f"{option} {path} is a folder; give a file")
    return path


def write_text(path: Path, text: str) -> None:
    """Write `text` to `path` (`-`: stdout) atomically: a temporary file beside it, renamed over it."""
    if is_stdout(path):
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(name, path)
    except BaseException:
        if os.path.exists(name):
            os.unlink(name)
        raise
