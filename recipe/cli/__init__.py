"""The `envport` command: list, verify, report, bench, mutate, translate, create and train.

The one Typer app lives here; each command group is a module of this package, and
`console` holds the consoles, exit codes and error style they share.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from recipe.cli.bench_command import bench
from recipe.cli.create_command import create
from recipe.cli.console import request_port_folders, usage_error
from recipe.cli.mutate_command import mutate
from recipe.cli.train_command import train
from recipe.cli.translate_command import translate
from recipe.cli.verify_commands import list_ports, report, verify

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Translate slow RL environments into verified JAX and Rust ports, then benchmark and train on them.",
)


@app.callback()
def _global_options(
    ports: Optional[List[Path]] = typer.Option(
        None, "--ports", help="A folder of your own ports (repeatable). Default: $ENVPORT_PORTS, else ./ports when it exists."
    ),
) -> None:
    """Options every command shares."""
    import os
    import sys

    if os.getcwd() not in sys.path:  # the user's own modules import from the folder envport runs in, as with `python -m`
        sys.path.append(os.getcwd())
    if ports:
        missing = [str(p) for p in ports if not p.is_dir()]
        if missing:
            raise usage_error(f"--ports {', '.join(missing)}: no such folder (a ports folder holds one package per port)")
    # Applied by each command (console.use_ports) after its own cheap checks: the registry imports JAX.
    request_port_folders(ports or [])


app.command("list")(list_ports)
app.command("verify")(verify)
app.command("report")(report)
app.command("bench")(bench)
app.command("mutate")(mutate)
app.command("translate")(translate)
app.command("create")(create)
app.command("train")(train)


def main() -> None:
    """Console-script entry point."""
    app()
