"""The `envport` command: list, verify, report, bench, mutate, translate, train and demo.

The one Typer app lives here; each command group is a module of this package, and
`console` holds the consoles, exit codes and error style they share.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from recipe.cli.bench_command import bench
from recipe.cli.console import request_port_folders, usage_error
from recipe.cli.demo_command import demo
from recipe.cli.mutate_command import mutate
from recipe.cli.train_command import train
from recipe.cli.translate_command import translate
from recipe.cli.verify_commands import list_ports, report, verify

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Translate slow RL environments into verified JAX and Rust ports, then benchmark and train on them.",
)


def _print_version(value: bool) -> None:
    """`envport --version`: the installed distribution's version, from its metadata."""
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"envport {version('envport')}")
        except PackageNotFoundError:
            raise usage_error("envport is not installed as a distribution (run `bash setup.sh` or `pip install .`)")
        raise typer.Exit()


def compilation_cache_dir() -> Path:
    """Where JAX's persistent compilation cache lives: $XDG_CACHE_HOME/envport/jax, else ~/.cache/envport/jax."""
    import os

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "envport" / "jax"


NO_CACHE_ENV = "ENVPORT_NO_CACHE"  # set by --no-cache, so envport's subprocesses (the demo's steps) keep to it
UNCACHED_COMMANDS = ("mutate",)  # every mutant compiles programs of its own: caching them would only fill the folder


def use_compilation_cache(enabled: bool = True) -> None:
    """Turn JAX's persistent compilation cache on (or, `enabled=False`, off), here and in every subprocess.

    A second run of a command then loads its compiled programs instead of compiling them again. A cache folder
    the user set (JAX_COMPILATION_CACHE_DIR) is kept; --no-cache (or ENVPORT_NO_CACHE=1) turns every cache off.
    """
    import os
    import sys

    if not enabled:
        os.environ[NO_CACHE_ENV] = "1"
    if os.environ.get(NO_CACHE_ENV):
        os.environ.pop("JAX_COMPILATION_CACHE_DIR", None)
        return
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(compilation_cache_dir()))
    # Cache programs that took 0.5 s or more to compile (JAX's default is 1 s; evaluation's take less).
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.5")
    if "jax" in sys.modules:  # imported already (in-process use): JAX reads the environment only at import
        import jax

        jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
        jax.config.update("jax_persistent_cache_min_compile_time_secs",
                          float(os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"]))


@app.callback()
def _global_options(
    ctx: typer.Context,
    ports: Optional[List[Path]] = typer.Option(
        None, "--ports", help="A folder of your own ports (repeatable). Default: $ENVPORT_PORTS, else ./ports when it exists."
    ),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Do not use JAX's persistent compilation cache ($XDG_CACHE_HOME/envport/jax or ~/.cache/envport/jax; `mutate` never does)."
    ),
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_print_version, help="Print envport's version and exit."
    ),
) -> None:
    """Options every command shares."""
    import os
    import sys

    use_compilation_cache(enabled=not no_cache and ctx.invoked_subcommand not in UNCACHED_COMMANDS)
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
app.command("train")(train)
app.command("demo")(demo)


def main() -> None:
    """Console-script entry point."""
    app()
