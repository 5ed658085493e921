"""The staging workspace: file access confined to one folder, and commands with a time limit.

Generated code is untrusted. Paths are relative to the workspace; absolute paths,
`..` and symbolic links that lead out of it are refused. Commands run in their own
process group and the whole group is killed when the time limit passes.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_FILE_BYTES = 1_000_000


class PathRefused(ValueError):
    """A path that would leave the workspace (or is otherwise unusable); the message says why."""


@dataclass
class CommandResult:
    """What a command did: exit status (None when killed for time), output, and whether it timed out."""

    returncode: int | None
    output: str
    timed_out: bool
    seconds: float


class Workspace:
    """A folder the agent may read and write, and nothing outside it."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def resolve(self, relative: str) -> Path:
        """The absolute path of `relative` inside the workspace; PathRefused when it would leave it."""
        if not isinstance(relative, str) or not relative.strip():
            raise PathRefused("path is empty: give a path relative to the workspace, e.g. 'jax_env.py'")
        if "\x00" in relative:
            raise PathRefused("path contains a NUL byte")
        pure = PurePosixPath(relative.replace("\\", "/"))
        if pure.is_absolute() or (len(relative) > 1 and relative[1] == ":"):
            raise PathRefused(f"{relative!r} is absolute: paths are relative to the workspace")
        if ".." in pure.parts:
            raise PathRefused(f"{relative!r} contains '..': paths must stay inside the workspace")
        path = self.root.joinpath(*pure.parts)
        # Follow every link on the way: the real location must still be inside the workspace.
        real = path.resolve()
        if real != self.root and self.root not in real.parents:
            raise PathRefused(f"{relative!r} leads out of the workspace (through a symbolic link)")
        return path

    def read(self, relative: str) -> str:
        """The text of a workspace file."""
        path = self.resolve(relative)
        if not path.is_file():
            raise PathRefused(f"{relative!r} is not a file in the workspace; list_files shows what exists")
        return path.read_text(errors="replace")

    def write(self, relative: str, text: str) -> int:
        """Replace (or create) a workspace file; returns the bytes written."""
        data = text.encode()
        if len(data) > MAX_FILE_BYTES:
            raise PathRefused(f"{relative!r}: {len(data)} bytes is over the {MAX_FILE_BYTES}-byte limit per file")
        path = self.resolve(relative)
        if path.is_dir():
            raise PathRefused(f"{relative!r} is a folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():  # inside the workspace, but replace the link itself, never its target
            path.unlink()
        path.write_bytes(data)
        return len(data)

    def list(self, relative: str = ".") -> list[str]:
        """Files under a workspace folder, relative to the workspace, sorted (caches left out)."""
        base = self.resolve(relative) if relative not in ("", ".") else self.root
        if not base.exists():
            raise PathRefused(f"{relative!r} does not exist in the workspace")
        if base.is_file():
            return [str(base.relative_to(self.root))]
        found = []
        for path in sorted(base.rglob("*")):
            if any(part in ("__pycache__", ".pytest_cache", ".hypothesis", "target") for part in path.relative_to(self.root).parts):
                continue
            if path.is_file() or path.is_symlink():
                found.append(str(path.relative_to(self.root)))
        return found

    def exists(self, relative: str) -> bool:
        """Whether `relative` is a file inside the workspace (False for refused paths)."""
        try:
            return self.resolve(relative).is_file()
        except PathRefused:
            return False


def run_command(cmd: list[str] | str, cwd: Path, timeout: float, env: dict[str, str] | None = None,
                shell: bool = False) -> CommandResult:
    """Run a command in its own process group; on timeout kill the whole group. Output is stdout+stderr."""
    import time

    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=str(cwd), env=env, shell=shell, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, text=True, errors="replace", start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
        return CommandResult(proc.returncode, output, False, time.perf_counter() - start)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        try:
            output, _ = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            output = ""
        return CommandResult(None, output or "", True, time.perf_counter() - start)
    except BaseException:
        kill_group(proc)
        raise


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group that `proc` leads (it was started with start_new_session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def head_tail(text: str, limit: int = 8000) -> str:
    """`text` cut to its head and tail when longer than `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half} characters left out ...]\n{text[-half:]}"


SECRET_VARIABLES = ("OPENAI_API_KEY", "ENVPORT_LIVE_API_KEY")


def child_env(*import_paths: Path) -> dict[str, str]:
    """The environment for untrusted code: ours without API keys, with `import_paths` importable."""
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in import_paths)
    return env
