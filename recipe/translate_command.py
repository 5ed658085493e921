"""`envport translate`: owned by the recipe work (issue 5); being built."""

from __future__ import annotations

import typer


def translate(name: str = typer.Argument(..., help="Registered port to translate.")) -> None:
    """Translate a reference environment with a coding agent (not built yet)."""
    typer.echo("error: `envport translate` is not built yet", err=True)
    raise typer.Exit(2)
