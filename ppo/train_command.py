"""`envport train`: owned by the PPO work (issue 6); being built."""

from __future__ import annotations

import typer


def train(name: str = typer.Argument(..., help="Registered port to train on.")) -> None:
    """Train PPO on a port (not built yet)."""
    typer.echo("error: `envport train` is not built yet", err=True)
    raise typer.Exit(2)
