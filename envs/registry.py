"""The registry of ports: the built-in catalogue, the user's ports folders and installed port packages.

Every command and `envs.get_port` see the same list, from three sources:

- **built-in**: the packages in `BUILTIN_PACKAGES` (this repository's catalogue);
- **folders**: each folder named by `ENVPORT_PORTS` (paths separated by `os.pathsep`), else `./ports`
  when it exists. A port there is a package (`<folder>/<package>/__init__.py` defining `PORT`), as
  `envport translate --reference` promotes it. `use_port_folders` sets the folders (the CLI's `--ports`)
  and exports them to `ENVPORT_PORTS`, so verification subprocesses see the same ports;
- **installed**: entry points in the group `envport.ports` of any installed distribution, each naming a
  `Port` or a module that defines `PORT` (`[project.entry-points."envport.ports"] my-env = "my_pkg:PORT"`).

A user port whose name or alias is already taken (as a name, alias or Gymnasium id of a built-in port or
an earlier user port) is refused, not allowed to shadow it, and so is one that fails to import: `load_errors()` lists
them with the reason, and the other ports still load.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from envs.spec import Port

# Each entry is a package under envs/ that defines PORT. A new catalogue port registers here.
BUILTIN_PACKAGES = (
    "envs.classic_control.cartpole",
    "envs.classic_control.acrobot",
    "envs.classic_control.mountaincar",
    "envs.classic_control.mountaincar_continuous",
    "envs.classic_control.pendulum",
    "envs.minatar.breakout",
    "envs.minatar.freeway",
    "envs.minatar.asterix",
    "envs.minatar.space_invaders",
    "envs.minatar.seaquest",
    "envs.spec_games.brinewatch",
    "envs.rlcard.leduc_holdem",
    "envs.rlcard.limit_holdem",
    "envs.rlcard.uno",
)
PORTS_ENV = "ENVPORT_PORTS"
DEFAULT_PORTS_FOLDER = "ports"
ENTRY_POINT_GROUP = "envport.ports"


class UnknownPortError(LookupError):
    """Raised for a name that matches no registered port; the message lists the known ones."""


@dataclass(frozen=True)
class LoadError:
    """A user port that could not be registered: where it comes from and why."""

    origin: str
    error: str


@dataclass(frozen=True)
class _Registry:
    ports: tuple[Port, ...]
    origins: dict[str, str]  # port name -> "built-in" | "folder <path>" | "installed <dist>:<entry point>"
    errors: tuple[LoadError, ...]


_CACHE: dict[tuple, _Registry] = {}


def forget_found_ports() -> None:
    """Forget the ports found so far, so the next lookup imports the ports folders again (after their modules were
    unloaded, or their files changed)."""
    _CACHE.clear()


def use_port_folders(folders: list[str | Path]) -> None:
    """Make `folders` the ports folders of this process and of the subprocesses it starts."""
    os.environ[PORTS_ENV] = os.pathsep.join(str(Path(f).resolve()) for f in folders)


def port_folders() -> list[Path]:
    """The ports folders in use: `ENVPORT_PORTS`, else `./ports` when it exists."""
    configured = os.environ.get(PORTS_ENV)
    if configured is not None:
        return [Path(p).resolve() for p in configured.split(os.pathsep) if p]
    default = Path(DEFAULT_PORTS_FOLDER)
    return [default.resolve()] if default.is_dir() else []


def _folder_ports(folder: Path) -> list[tuple[str, Port | None, str]]:
    """(origin, port or None, error) for each package in `folder`."""
    if not folder.is_dir():
        return [(f"folder {folder}", None, f"ports folder {folder} does not exist")]
    found = []
    for init in sorted(folder.glob("*/__init__.py")):
        package = init.parent.name
        if package.startswith((".", "_")):
            continue
        origin = f"folder {init.parent}"
        try:
            module = _import_package(package, init)
            port = getattr(module, "PORT", None)
            if not isinstance(port, Port):
                raise TypeError(f"{init} defines no PORT = envs.Port(...)")
            found.append((origin, port, ""))
        except Exception as exc:  # noqa: BLE001 - a user's broken port must not hide the others
            found.append((origin, None, f"{type(exc).__name__}: {exc}"))
    return found


def _import_package(package: str, init: Path):
    """Import the package whose `__init__.py` is `init` under the name `package` (from that folder, whatever
    sys.path says); a package of that name imported from elsewhere is an error."""
    loaded = sys.modules.get(package)
    if loaded is not None:
        if Path(getattr(loaded, "__file__", "") or "").resolve() != init.resolve():
            raise ImportError(f"package name {package!r} is taken by {getattr(loaded, '__file__', loaded)}; rename the folder")
        return loaded
    spec = importlib.util.spec_from_file_location(package, init, submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[package] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(package, None)
        raise
    return module


def _installed_ports() -> list[tuple[str, Port | None, str]]:
    found = []
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = entry.dist.name if entry.dist is not None else "?"
        origin = f"installed {dist}:{entry.name}"
        try:
            obj = entry.load()
            port = getattr(obj, "PORT", obj)
            if not isinstance(port, Port):
                raise TypeError(f"entry point {entry.value!r} is not a Port nor a module defining PORT")
            found.append((origin, port, ""))
        except Exception as exc:  # noqa: BLE001
            found.append((origin, None, f"{type(exc).__name__}: {exc}"))
    return found


def _names(port: Port) -> set[str]:
    return {k.lower() for k in (port.name, *port.aliases)}


def _keys(port: Port) -> set[str]:
    return _names(port) | {port.gym_id.lower()}


def _registry() -> _Registry:
    folders = tuple(port_folders())
    key = (folders, os.environ.get(PORTS_ENV))
    if key in _CACHE:
        return _CACHE[key]
    ports = [importlib.import_module(pkg).PORT for pkg in BUILTIN_PACKAGES]
    origins = {p.name: "built-in" for p in ports}
    names = {k: p.name for p in ports for k in _names(p)}  # names and aliases: each names one port
    ids = {p.gym_id.lower(): p.name for p in ports}  # Gymnasium ids may be shared (two ports of one reference)
    errors = []
    candidates = [c for folder in folders for c in _folder_ports(folder)] + _installed_ports()
    for origin, port, error in candidates:
        if port is not None:
            taken = {**ids, **names}
            clash = sorted({k for k in _names(port) if k in taken} | ({port.gym_id.lower()} & set(names)))
            if clash:
                owner = taken[clash[0]]
                error = (f"port {port.name!r} clashes with the {origins[owner]} port {owner!r} on {', '.join(clash)}: "
                         "rename it (a user port may not shadow another)")
                port = None
        if port is None:
            errors.append(LoadError(origin, error))
            continue
        ports.append(port)
        origins[port.name] = origin
        names.update({k: port.name for k in _names(port)})
        ids.setdefault(port.gym_id.lower(), port.name)
    _CACHE[key] = _Registry(tuple(ports), origins, tuple(errors))
    return _CACHE[key]


def all_ports() -> list[Port]:
    """Every registered port: the catalogue first, then user ports (folders, then installed packages)."""
    return list(_registry().ports)


def port_origin(name: str) -> str:
    """Where the port called `name` comes from: 'built-in', 'folder PATH' or 'installed DIST:ENTRY'."""
    return _registry().origins[get_port(name).name]


def load_errors() -> list[LoadError]:
    """The user ports that could not be registered, with the reason."""
    return list(_registry().errors)


def port_names() -> list[str]:
    """The canonical names of the registered ports."""
    return [p.name for p in all_ports()]


def get_port(name: str) -> Port:
    """The port called `name` (port name, alias or Gymnasium id; case-insensitive). A Gymnasium id that two
    ports share names the first registered (the catalogue's)."""
    wanted = name.strip().lower()
    for port in all_ports():
        if wanted in _keys(port):
            return port
    known = ", ".join(f"{p.name} ({p.gym_id})" for p in all_ports())
    broken = "".join(f"; not loaded: {e.origin}: {e.error}" for e in load_errors())
    folders = ", ".join(map(str, port_folders())) or f"none (./{DEFAULT_PORTS_FOLDER} does not exist)"
    raise UnknownPortError(f"unknown environment {name!r}; known: {known}{broken}. Ports folders: {folders}; "
                           f"set {PORTS_ENV} or pass --ports DIR for ports written elsewhere")
