"""The registry of ports: look a port up by its name, Gymnasium id or alias."""

from __future__ import annotations

import importlib

from envs.spec import Port

# Each entry is a package under envs/ that defines PORT. A new port registers here.
PORT_PACKAGES = (
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
)


class UnknownPortError(LookupError):
    """Raised for a name that matches no registered port; the message lists the known ones."""


def all_ports() -> list[Port]:
    """Every registered port, in registry order."""
    return [importlib.import_module(pkg).PORT for pkg in PORT_PACKAGES]


def port_names() -> list[str]:
    """The canonical names of the registered ports."""
    return [p.name for p in all_ports()]


def get_port(name: str) -> Port:
    """The port called `name` (port name, Gymnasium id or alias; case-insensitive)."""
    wanted = name.strip().lower()
    for port in all_ports():
        keys = {port.name, port.gym_id, *port.aliases}
        if wanted in {k.lower() for k in keys}:
            return port
    known = ", ".join(f"{p.name} ({p.gym_id})" for p in all_ports())
    raise UnknownPortError(f"unknown environment {name!r}; known: {known}")
