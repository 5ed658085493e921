"""The translation task: which reference, which target, and everything the prompts show the agent.

A task is built either from a registered port (`envport translate cartpole --to jax`)
or from a user's own `gymnasium.Env` class (`--reference module:Class --name NEW`).
The reference's source is gathered automatically with `inspect`: the class's own
module plus the modules of the same package it uses (helpers, base classes).
"""

from __future__ import annotations

import importlib
import inspect
import keyword
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

TARGETS = ("jax", "rust")
ROOT = Path(__file__).resolve().parent.parent


class TaskError(ValueError):
    """A task that cannot be built; the message names the problem and the fix."""


@dataclass(frozen=True)
class SourceFile:
    """One source file shown to the agent verbatim."""

    label: str  # module name or project path
    path: str
    text: str
    role: str  # 'reference', 'adapter', 'metadata', 'contract', 'example'

    @property
    def lines(self) -> int:
        """Number of lines."""
        return len(self.text.splitlines())


@dataclass
class Task:
    """Everything one `envport translate` run needs to know about what it translates."""

    name: str  # port name (registered) or the new port's name
    target: str  # 'jax' or 'rust'
    reference: str  # module:Class of the reference
    registered: bool
    class_name: str  # the translation's class name
    package: str  # a new port: its package name (a Python identifier); a registered one: its dotted package (envs.<family>.<port>)
    sources: list[SourceFile] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)  # port summary (registered ports)

    rust_file: str = ""  # the module's path inside rust_envs/, e.g. src/classic_control/cartpole.rs (Rust target)
    rust_bindings: bool = False  # the crate's PyO3 bindings already expose this module

    @property
    def rust_family(self) -> str:
        """The crate family the Rust module belongs to: 'games' (it implements the core's trait Env directly) or
        'classic_control' (trait ClassicEnv)."""
        return "games" if self.rust_file.startswith(RUST_GAMES_DIR) else "classic_control"

    @property
    def rust_registration(self):
        """A registered port's new `games` module that the crate does not bind yet: the `verify.rust_build.GameEntry`
        whose two lines the pipeline adds to each build's crate copy and, on promotion, to the crate; else None."""
        if self.target != "rust" or self.rust_bindings or not self.registered or self.rust_family != "games":
            return None
        from verify.rust_build import GameEntry

        return GameEntry(Path(self.rust_file).stem, self.class_name, self.class_name, self.class_name + "Vec")

    @property
    def translation_file(self) -> str:
        """Workspace-relative path of the file the agent must write (the translation)."""
        if self.target == "rust":
            rust_file = self.rust_file or f"{self.package}.rs"
            # a bare file name (a task saved before the crate had families) is a classic-control module
            return f"rust_envs/{rust_file if '/' in rust_file else RUST_FAMILY_DIR + rust_file}"
        return "jax_env.py" if self.registered else f"{self.package}/jax_env.py"

    @property
    def owned_files(self) -> list[str]:
        """Workspace-relative files the agent writes: translation, plus adapter and metadata for a new port."""
        if self.registered:
            return [self.translation_file]
        return [f"{self.package}/__init__.py", f"{self.package}/reference.py", self.translation_file]

    def reference_sources(self) -> list[SourceFile]:
        """The reference's own files (not the adapter, metadata or contract)."""
        return [s for s in self.sources if s.role == "reference"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record of the task (saved in the run folder for --resume)."""
        return {
            "name": self.name, "target": self.target, "reference": self.reference, "registered": self.registered,
            "class_name": self.class_name, "package": self.package, "rust_file": self.rust_file,
        }


def _source_of(obj: Any, label: str, role: str) -> SourceFile:
    path = inspect.getsourcefile(obj) or "<unknown>"
    return SourceFile(label, _display_path(path, label), inspect.getsource(obj), role)


def _display_path(path: str, label: str) -> str:
    """Project files by their path in the project; installed packages by their import path."""
    p = Path(path).resolve()
    try:
        relative = p.relative_to(ROOT)
    except ValueError:
        relative = None
    if relative is not None and relative.parts[0] not in (".venv", "venv"):
        return str(relative)
    return label.replace(".", "/") + ("/__init__.py" if p.name == "__init__.py" else ".py")


REFERENCE_FORMS = "module:Class, path/to/file.py:Class or gym:ENV_ID (a registered Gymnasium id)"


def normalise_reference(spec: str) -> str:
    """`spec` with a file path made absolute, so that it means the same from any folder or subprocess."""
    spec = spec.strip()
    location, sep, attr = spec.rpartition(":")
    if sep and location.endswith(".py"):
        return f"{Path(location).expanduser().resolve()}:{attr}"
    return spec


def _import_file(path_text: str, spec: str) -> ModuleType:
    path = Path(path_text).expanduser().resolve()
    if not path.is_file():
        raise TaskError(f"--reference {spec!r}: file {path} does not exist")
    folder = str(path.parent)
    if folder not in sys.path:  # its sibling modules import as they do when the user runs it
        sys.path.insert(0, folder)
    try:
        return importlib.import_module(path.stem)
    except Exception as exc:
        raise TaskError(f"--reference {spec!r}: importing {path} failed: {type(exc).__name__}: {exc}") from exc


def _gym_entry_point(env_id: str, spec: str) -> str | type:
    import gymnasium

    try:
        entry = gymnasium.spec(env_id).entry_point
    except Exception as exc:
        raise TaskError(f"--reference {spec!r}: {env_id!r} is not a registered Gymnasium id ({type(exc).__name__}: {exc}); "
                        "import the module that registers it first, or name the class as module:Class") from exc
    return entry


def resolve_reference(spec: str) -> type:
    """The gymnasium.Env subclass named by `spec` (see REFERENCE_FORMS); TaskError says what is wrong."""
    spec = spec.strip()
    if spec.startswith("gym:"):
        entry = _gym_entry_point(spec[4:], spec)
        if not isinstance(entry, str):
            return _checked_env_class(entry, spec)
        spec_for_class = entry
    else:
        spec_for_class = spec
    if ":" not in spec_for_class:
        raise TaskError(f"--reference {spec!r}: expected {REFERENCE_FORMS}, e.g. gymnasium.envs.classic_control.cartpole:CartPoleEnv")
    module_name, _, attr = spec_for_class.rpartition(":")
    if module_name.endswith(".py"):
        module = _import_file(module_name, spec)
    else:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise TaskError(f"--reference {spec!r}: cannot import {module_name!r}: {type(exc).__name__}: {exc}") from exc
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise TaskError(f"--reference {spec!r}: module {module.__name__!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return _checked_env_class(obj, spec)


def _checked_env_class(obj: Any, spec: str) -> type:
    if not inspect.isclass(obj):
        raise TaskError(f"--reference {spec!r} is not a class; name the gymnasium.Env subclass")
    import gymnasium

    if not issubclass(obj, gymnasium.Env):
        raise TaskError(f"--reference {spec!r}: {obj.__module__}.{obj.__qualname__} is not a gymnasium.Env subclass")
    return obj


def reference_modules(cls: type) -> list[ModuleType]:
    """The class's module and the modules of its package it uses (helpers and base classes), in that order."""
    home = inspect.getmodule(cls)
    package = home.__name__.rpartition(".")[0] or home.__name__
    found: list[ModuleType] = [home]

    def consider(module: ModuleType | None) -> None:
        if module is None or module in found or not module.__name__.startswith(package + "."):
            return
        try:
            inspect.getsource(module)
        except (OSError, TypeError):
            return
        found.append(module)

    for base in cls.__mro__[1:]:
        consider(inspect.getmodule(base))
    for value in vars(home).values():
        consider(value if inspect.ismodule(value) else inspect.getmodule(value) if callable(value) else None)
    return found


def _package_name(name: str) -> str:
    ident = re.sub(r"\W", "_", name.strip().lower())
    if not ident or ident[0].isdigit() or keyword.iskeyword(ident):
        raise TaskError(f"--name {name!r} does not make a Python package name; use letters, digits, '-' and '_', starting with a letter")
    return ident


def _contract_sources(turn_based: bool = False) -> list[SourceFile]:
    import envs.jax_env
    import envs.spaces
    import envs.spec
    import envs.turn_based

    found = [
        _source_of(envs.jax_env, "envs.jax_env", "contract"),
        _source_of(envs.spaces, "envs.spaces", "contract"),
        _source_of(envs.spec, "envs.spec", "contract"),
    ]
    # a turn-based game's translation subclasses TurnBasedJaxEnv (docs/design.md, section 9)
    return found + [_source_of(envs.turn_based, "envs.turn_based", "contract")] if turn_based else found


def _turn_based(port) -> bool:
    """Whether the port's reference is a turn-based game of several players (its face reports `num_players`)."""
    return hasattr(port.make_reference(), "num_players")


RUST_FAMILY_DIR = "src/classic_control/"  # inside rust_envs/: the family (trait ClassicEnv in mod.rs) of the classic-control ports
RUST_EXAMPLE = RUST_FAMILY_DIR + "pendulum.rs"  # a complete module shown as the example (another one for the pendulum itself)
RUST_GAMES_DIR = "src/games/"  # the family of every other port: modules implementing the vector core's trait Env directly
RUST_GAMES_SOURCES = (("src/vector/mod.rs", "contract"), ("src/games/mod.rs", "contract"), ("src/draws.rs", "contract"),
                      ("src/games/dial.rs", "example"))  # what the games prompt shows: the traits, the draws, a complete game


def _rust_contract_sources(exclude: str = "", family: str = "classic_control") -> list[SourceFile]:
    """The trait(s) the module implements, and one complete module of another environment as the example."""
    if family == "games":
        files = RUST_GAMES_SOURCES
    else:
        example = RUST_EXAMPLE if exclude != RUST_EXAMPLE else RUST_FAMILY_DIR + "cartpole.rs"
        files = ((RUST_FAMILY_DIR + "mod.rs", "contract"), (example, "example"))
    found = []
    for rel, role in files:
        path = ROOT / "rust_envs" / rel
        if path.is_file() and rel != exclude:
            found.append(SourceFile(f"rust_envs/{rel}", f"rust_envs/{rel}", path.read_text(), role))
    return found


def rust_module_of(port_name: str) -> tuple[str, str]:
    """(struct name, module path inside rust_envs/) of a classic-control or `games` port with Rust bindings, from
    the port's metadata (`Port.rust_classes`, `Port.rust_source`); TaskError otherwise."""
    from envs import get_port
    from envs.rust_backend import has_rust, rust_ports

    port = get_port(port_name)
    if not has_rust(port) or not port.rust_source:
        raise TaskError(f"--to rust: {port_name} has no Rust bindings in rust_envs/ (Rust ports: {', '.join(p.name for p in rust_ports())}); "
                        "the loop translates modules the crate's bindings already expose")
    if not port.rust_source.startswith((RUST_FAMILY_DIR, RUST_GAMES_DIR)):
        raise TaskError(f"--to rust: the loop translates classic-control modules (trait ClassicEnv, rust_envs/{RUST_FAMILY_DIR}mod.rs) "
                        f"and games (trait Env, rust_envs/{RUST_GAMES_DIR}); {port_name}'s is rust_envs/{port.rust_source}")
    return port.rust_classes[0], port.rust_source  # the single class is named as the struct


def task_for_port(name: str, target: str) -> Task:
    """A task translating the registered port `name` (its reference, adapter and metadata shown to the agent)."""
    from envs import UnknownPortError, get_port

    _check_target(target)
    try:
        port = get_port(name)
    except UnknownPortError as exc:
        raise TaskError(f"{exc}. Run `envport list`, or translate your own class with --reference module:Class --name NEW") from exc
    package_module = importlib.import_module(port.jax_module.rpartition(".")[0])
    adapter = importlib.import_module(package_module.__name__ + ".reference")
    modules = _port_reference_modules(port)
    sources = [_source_of(m, m.__name__, "reference") for m in modules]
    if adapter not in modules:  # a port created from a spec keeps its adapter in its reference module
        sources.append(_source_of(adapter, adapter.__name__, "adapter"))
    sources.append(_source_of(package_module, package_module.__name__, "metadata"))
    package = package_module.__name__  # dotted: envs.<family>.<port>
    if target == "rust":
        from envs.rust_backend import has_rust

        try:
            class_name, rust_file, bound = *rust_module_of(port.name), True
        except TaskError:
            if has_rust(port):  # bound in a family the loop does not write (MinAtar): the prompt renders, the run refuses
                class_name, rust_file, bound = port.rust_classes[0], port.rust_source or "", False
            else:  # no Rust translation yet: a new module of the games family, registered by the pipeline
                class_name, rust_file, bound = rust_struct_name(port.name), f"{RUST_GAMES_DIR}{package.rpartition('.')[2]}.rs", False
        sources += _rust_contract_sources(exclude=rust_file, family="games" if rust_file.startswith(RUST_GAMES_DIR) else "classic_control")
        metadata = {**port.summary(), "action_mask": bool(getattr(port, "action_mask", False))}
        return Task(port.name, target, port.reference_entry_point, True, class_name, package, sources, metadata, rust_file, bound)
    sources += _contract_sources(turn_based=_turn_based(port))
    return Task(port.name, target, port.reference_entry_point, True, _class_name(port, package), package, sources,
                {**port.summary(), "action_mask": port.action_mask})


def _class_name(port, package: str) -> str:
    """The JAX translation's class name: its class, or (a port created from a spec, not translated yet, whose
    jax_env module is still to be written) the package name in CamelCase, as `envport create` asks for it."""
    try:
        return type(port.make_jax()).__name__
    except ModuleNotFoundError as exc:
        if exc.name != port.jax_module:
            raise
        return "".join(part.capitalize() for part in package.rpartition(".")[2].split("_"))


def rust_struct_name(port_name: str) -> str:
    """The Rust struct (and Python class) name of a port's new games module: the name in CamelCase (`brinewatch`
    gives `Brinewatch`, `my-game` `MyGame`)."""
    name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", port_name) if part)
    return name if name[:1].isalpha() else "Game" + name


def reachable_classes(obj: Any, depth: int = 2) -> list[type]:
    """The class of `obj` and the classes of its attributes (to `depth`) from the same top-level package.

    For references whose entry point is not a plain module:Class (MinAtar's gym wrapper
    holds the game, which holds the environment), this finds the classes with the logic.
    """
    from envs.reference_rng import held_objects

    return list(dict.fromkeys(type(held) for held in held_objects(obj, depth)))


def _port_reference_modules(port) -> list[ModuleType]:
    try:
        classes = [resolve_reference(port.reference_entry_point)]
    except TaskError:  # a descriptive entry point: look at a live reference instead
        reference = port.make_reference()
        classes = reachable_classes(getattr(reference, "unwrapped", reference))
        # a face over another package's env (RLCard's behind envs.rlcard's facade): that env's classes too
        from envs.reference_rng import held_objects

        for held in held_objects(getattr(reference, "unwrapped", reference), 2):
            inner = getattr(held, "unwrapped", held)
            if inner is not held and type(inner).__module__.partition(".")[0] != type(held).__module__.partition(".")[0]:
                top = type(inner).__module__.partition(".")[0]
                found = [base for c in reachable_classes(inner) for base in c.__mro__ if base.__module__.startswith(top + ".")]
                classes += [c for c in dict.fromkeys(found) if c not in classes]
    modules: list[ModuleType] = []
    for cls in classes:
        modules += [m for m in reference_modules(cls) if m not in modules]
    return modules


def task_for_reference(reference: str, name: str, target: str) -> Task:
    """A task translating a user's own gymnasium.Env: the agent also writes the adapter and metadata."""
    _check_target(target)
    reference = normalise_reference(reference)
    cls = resolve_reference(reference)
    package = _package_name(name)
    sources = [_source_of(m, m.__name__, "reference") for m in reference_modules(cls)]
    # A complete registered port, as the worked example of adapter and metadata.
    import envs.classic_control.cartpole
    import envs.classic_control.cartpole.reference

    sources.append(_source_of(envs.classic_control.cartpole.reference, "envs.classic_control.cartpole.reference", "example"))
    sources.append(_source_of(envs.classic_control.cartpole, "envs.classic_control.cartpole", "example"))
    sources += _contract_sources() if target == "jax" else _rust_contract_sources()
    class_name = "".join(part.capitalize() for part in package.split("_")) or "Env"
    if target == "rust":
        return Task(name, target, reference, False, class_name, package, sources, {}, f"{RUST_FAMILY_DIR}{package}.rs")
    return Task(name, target, reference, False, class_name, package, sources, {})


def _check_target(target: str) -> None:
    if target not in TARGETS:
        raise TaskError(f"--to {target!r}: choose one of {', '.join(TARGETS)}")
