"""The `envport` command: list, verify, report, bench, mutate, translate and train.

The one Typer app lives here; each command group is a module of this package, and
`console` holds the consoles, exit codes and error style they share.
"""

from __future__ import annotations

import typer

from recipe.cli.bench_command import bench
from recipe.cli.mutate_command import mutate
from recipe.cli.train_command import train
from recipe.cli.translate_command import translate
from recipe.cli.verify_commands import list_ports, report, verify

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Translate slow RL environments into verified JAX and Rust ports, then benchmark and train on them.",
)
app.command("list")(list_ports)
app.command("verify")(verify)
app.command("report")(report)
app.command("bench")(bench)
app.command("mutate")(mutate)
app.command("translate")(translate)
app.command("train")(train)


def main() -> None:
    """Console-script entry point."""
    app()
