"""The staging workspace: file access confined to one folder.

Generated code is untrusted. Paths are relative to the workspace; absolute paths,
`..` and symbolic links that lead out of it are refused. Commands run there through
`verify.process`: in their own process group, the whole group killed when the time
limit passes.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath


MAX_FILE_BYTES = 1_000_000


class PathRefused(ValueError):
    """A path that would leave the workspace (or is otherwise unusable); the message says why."""


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
