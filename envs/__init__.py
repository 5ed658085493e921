"""Ported environments: one package per port, each with a reference adapter, translations and metadata."""

from envs.registry import UnknownPortError, all_ports, get_port, load_errors, port_names, port_origin, use_port_folders
from envs.spec import DrawSpec, Port, StateField, Tolerance

from envs import rust_backend as _rust_backend  # noqa: E402,F401  registers envport/<gym id> with Gymnasium

__all__ = [
    "DrawSpec", "Port", "StateField", "Tolerance", "UnknownPortError", "all_ports", "get_port", "load_errors", "port_names",
    "port_origin", "use_port_folders",
]
