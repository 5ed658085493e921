"""The command line's one pair of consoles, its exit codes and its one error style.

Results go to stdout (`out`), progress and errors to stderr (`err`). An error is one
line, `error: ...`, that names what to fix; a usage error exits 2, a failure 1.
"""

from __future__ import annotations

import re
import sys

import typer
from rich.console import Console
from rich.text import Text

out = Console() if sys.stdout.isatty() else Console(width=150)  # results (wide when piped, so tables stay readable)
err = Console(stderr=True, soft_wrap=True)  # progress and errors

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # stopped with Ctrl-C (128 + SIGINT)


def error(message: str) -> None:
    """Print `error: MESSAGE` to stderr; the message is shown as written (no markup, no highlighting)."""
    err.print(Text.assemble(("error:", "bold red"), " ", str(message)), highlight=False)


def usage_error(message: str) -> typer.Exit:
    """Print the error; the exit (status 2) for the caller to raise."""
    error(message)
    return typer.Exit(EXIT_USAGE)


def failure(message: str) -> typer.Exit:
    """Print the error; the exit (status 1) for the caller to raise."""
    error(message)
    return typer.Exit(EXIT_FAILED)


def info(message: str) -> None:
    """Print a progress or status line to stderr, as written."""
    err.print(message, markup=False, highlight=False)


_requested_port_folders: list = []  # --ports, as the global option gave them (empty: the default folders)


def request_port_folders(folders: list) -> None:
    """Remember the folders of `--ports` (checked to exist) for `use_ports`."""
    _requested_port_folders[:] = list(folders)


def use_ports() -> None:
    """Put the ports folders in use (`--ports`, else $ENVPORT_PORTS or ./ports), absolute, for this process and its
    subprocesses. A command calls it after its cheap checks (output paths): the registry imports JAX, seconds."""
    from envs.registry import port_folders, use_port_folders

    use_port_folders(_requested_port_folders or port_folders())


def unknown_port(exc: Exception) -> typer.Exit:
    """The usage error for a name the registry does not know."""
    return usage_error(f"{exc}. Run `envport list` to see them.")


_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


def traceback_line(text: str, prefer: str | None = None) -> str:
    """A Python traceback's text as one line: the exception (its last line) and where it was raised, the
    last frame in the file `prefer` (a user's file) when one is there, else the last frame. Text that is
    no traceback gives its last non-empty line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return "no error text"
    frames = _FRAME.findall(text)
    if prefer is not None:
        mine = [f for f in frames if f[0] == prefer] or [f for f in frames if f[0].rsplit("/", 1)[-1] == prefer.rsplit("/", 1)[-1]]
        frames = mine or frames
    where = f" (at {frames[-1][0]}:{frames[-1][1]})" if frames else ""
    return lines[-1] + where
