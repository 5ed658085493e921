"""Building the Rust crate (`rust_envs/`) with cargo and maturin, from a copy of it.

A copy holds one module that is not the project's (an agent's translation, or a mutant): every
other file of the crate is restored from `rust_envs/` before each build, so what is built is
exactly that module in the project's crate. A new module of the `games` family (a port the crate
does not bind yet) is also registered in the copy: its `pub mod` line in src/games/mod.rs and its
line in the bindings' list (`GameEntry`, `register_game`, which promotion applies to the crate too). A build's target folder is seeded from
`rust_envs/target/` (when it exists), so only the crate itself compiles (about 30 s), not its
dependencies. Commands run through `verify.process` (time limit, process group killed).
"""

from __future__ import annotations

import re
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from verify.process import CommandResult, child_env, run_command

REPO_ROOT = Path(__file__).resolve().parent.parent
CRATE = REPO_ROOT / "rust_envs"


def tool(name: str) -> str | None:
    """Path of `maturin` or `cargo` (the virtualenv's first), or None."""
    local = Path(sys.executable).parent / name
    return str(local) if local.is_file() else shutil.which(name)


def missing_tools() -> list[str]:
    """The build tools that are not installed."""
    return [name for name in ("cargo", "maturin") if tool(name) is None]


def crate_files() -> list[Path]:
    """The files of `rust_envs/`, its build output left out."""
    return [p for p in CRATE.rglob("*") if p.is_file() and "target" not in p.relative_to(CRATE).parts]


GAMES_DIR = "src/games/"  # inside rust_envs/: the family whose modules implement the core's trait Env directly
GAMES_LIST = "// THE LIST of game modules"  # the line of src/games/mod.rs after which modules are declared
BINDINGS_LIST = "    // games (src/games/): one line per game"  # the line of src/bindings/mod.rs after which games are bound


@dataclass(frozen=True)
class GameEntry:
    """A module of the `games` family and its Python classes: the two registration lines it needs."""

    module: str  # the module's name (its file is src/games/<module>.rs)
    struct: str  # the struct implementing vector::Env and games::Game
    single: str  # the Python class of one environment
    vec: str  # the Python class of the vector environment

    def __post_init__(self):
        for value in (self.module, self.struct, self.single, self.vec):
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
                raise ValueError(f"{value!r} is not a Rust identifier")

    @property
    def source(self) -> str:
        """The module's path inside rust_envs/."""
        return f"{GAMES_DIR}{self.module}.rs"

    def lines(self) -> dict[str, str]:
        """The lines to add, by file inside rust_envs/."""
        return {f"{GAMES_DIR}mod.rs": f"pub mod {self.module};\npub use {self.module}::{self.struct};",
                "src/bindings/mod.rs": f"    games {self.struct} => {self.single}, {self.vec};"}


def register_game(crate: Path, entry: GameEntry) -> list[Path]:
    """Declare `entry`'s module in `crate`/src/games/mod.rs and bind its classes in src/bindings/mod.rs (the one
    line of the `python_envs!` list); lines already there are left as they are. Returns the files changed."""
    changed = []
    for rel, text in entry.lines().items():
        path = Path(crate) / rel
        source = path.read_text()
        if text in source:
            continue
        marker = GAMES_LIST if rel.startswith(GAMES_DIR) else BINDINGS_LIST
        at = source.find(marker)
        if at < 0:
            raise ValueError(f"{path} has no line starting {marker.strip()!r}, after which the game is registered")
        end = source.index("\n", at) + 1
        path.write_text(source[:end] + text + "\n" + source[end:])
        changed.append(path)
    return changed


def sync_crate(root: Path, module: str, game: GameEntry | None = None) -> None:
    """Make `root`/rust_envs the project's crate with `module` (a path relative to `root`) left as it is:
    restore every other crate file from rust_envs/, and remove files the crate does not have; with `game`,
    then register that new games module (`register_game`) in the copy.

    (A stray `build.rs` or module would otherwise change what is built.)
    """
    root = Path(root)
    wanted = {str(Path("rust_envs") / p.relative_to(CRATE)) for p in crate_files()} | {module}
    crate = root / "rust_envs"
    if crate.is_dir():
        for path in crate.rglob("*"):
            rel = path.relative_to(root)
            if (path.is_file() or path.is_symlink()) and "target" not in rel.parts and str(rel) not in wanted:
                path.unlink()
    for path in crate_files():
        rel = Path("rust_envs") / path.relative_to(CRATE)
        if str(rel) == module:
            continue
        dest = root / rel
        if not dest.is_file() or dest.read_bytes() != path.read_bytes():
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.is_symlink():
                dest.unlink()
            shutil.copy2(path, dest)
    if game is not None:
        register_game(root / "rust_envs", game)


def seed_target(target: Path) -> None:
    """A new target folder holding copies of rust_envs/target's release and debug builds (if any)."""
    if target.exists():
        return
    target.mkdir(parents=True)
    for profile in ("release", "debug"):
        source = CRATE / "target" / profile
        if source.is_dir():
            shutil.copytree(source, target / profile, symlinks=True)


def build_wheel(root: Path, module: str, build_dir: Path, timeout: float, game: GameEntry | None = None) -> tuple[Path | None, CommandResult]:
    """Build the crate copy under `root` (see `sync_crate`) into a wheel with maturin, and unpack it;
    (site folder, result), the site None on failure."""
    root = Path(root)
    sync_crate(root, module, game)
    build_dir = Path(build_dir)
    seed_target(build_dir / "target")
    wheels = build_dir / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    env = child_env(REPO_ROOT) | {"VIRTUAL_ENV": str(Path(sys.executable).parent.parent)}
    cmd = [tool("maturin") or "maturin", "build", "--release", "--quiet", "-o", str(wheels), "--target-dir",
           str(build_dir / "target"), "-i", sys.executable]
    result = run_command(cmd, cwd=root / "rust_envs", timeout=timeout, env=env)
    built = sorted(wheels.glob("*.whl")) if wheels.is_dir() else []
    if result.timed_out or result.returncode != 0 or not built:
        return None, result
    site = build_dir / "site"
    shutil.rmtree(site, ignore_errors=True)
    with zipfile.ZipFile(built[-1]) as wheel:
        wheel.extractall(site)
    return site, result


def cargo_test(root: Path, module: str, build_dir: Path, timeout: float, game: GameEntry | None = None) -> CommandResult:
    """`cargo test --lib` of the crate copy under `root`, filtered to `module`'s tests."""
    root = Path(root)
    sync_crate(root, module, game)
    seed_target(Path(build_dir) / "target")
    return run_command([tool("cargo") or "cargo", "test", "--lib", "--target-dir", str(Path(build_dir) / "target"),
                        Path(module).stem], cwd=root / "rust_envs", timeout=timeout, env=child_env(REPO_ROOT))


def cargo_build(crate: Path, profile: str, timeout: float) -> CommandResult:
    """`cargo build --profile PROFILE --features python --lib` of the crate at `crate` (the Python extension),
    for the interpreter running this (PYO3_PYTHON), with no PYTHONPATH."""
    env = child_env() | {"PYO3_PYTHON": sys.executable}
    env.pop("PYTHONPATH")
    return run_command([tool("cargo") or "cargo", "build", "--profile", profile, "--features", "python", "--lib"],
                       cwd=crate, timeout=timeout, env=env)


def compiler_errors(output: str, limit: int = 6000) -> str:
    """The compiler's error messages (from the first 'error' line), cut to `limit` characters."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("error")), 0)
    return "\n".join(lines[start:])[:limit]
