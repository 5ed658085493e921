"""Load edited copies of a translation, to verify alternatives (mutants, repairs) beside the original."""

from __future__ import annotations

import importlib.util
import inspect
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

from envs.spec import Port


def load_module_from_source(source: str, directory: Path, stem: str = "variant") -> ModuleType:
    """Write `source` under `directory` and import it as a fresh, uniquely named module."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"_envport_{stem}_{uuid.uuid4().hex[:8]}"
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def translation_source(port: Port) -> str:
    """The source text of the port's JAX translation module."""
    return inspect.getsource(importlib.import_module(port.jax_module))


def edited_translation(port: Port, old: str, new: str, directory: Path) -> Any:
    """An instance of the port's translation with `old` replaced by `new` in its source (exactly once)."""
    source = translation_source(port)
    if source.count(old) != 1:
        raise ValueError(f"{old!r} occurs {source.count(old)} times in {port.jax_module}; need exactly one")
    module = load_module_from_source(source.replace(old, new), directory, port.name.replace("-", "_"))
    return getattr(module, type(port.make_jax()).__name__)()
