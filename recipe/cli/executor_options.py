"""`--executor` and `--address`, the options of the commands that run campaigns (`envport mutate`, `envport verify
--all`, `envport translate --batch`): where their independent tasks run (verify.executors; docs/campaigns.md)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional

import typer

from recipe.cli.console import info, usage_error


def executor_option():
    """The `--executor` option: local (the default) or ray."""
    return typer.Option("local", "--executor", help="Where the tasks run: local (this machine) or ray (a Ray cluster, "
                        "see --address; needs `pip install 'envport[ray]'`). The results are the same.")


def address_option():
    """The `--address` option of `--executor ray`."""
    return typer.Option(None, "--address", help="--executor ray: the cluster's head, HOST:PORT as `ray start --head` printed "
                        "it, or auto (default: $RAY_ADDRESS, else a Ray instance started on this machine).")


EXECUTORS = ("local", "ray")


def make_executor(kind: str, *, workers: int = 1, address: Optional[str] = None, env: Optional[dict[str, str]] = None):
    """The executor named `kind` (EXECUTORS): verify.executors.LocalExecutor with `workers` parallel tasks, or
    verify.ray_executor.RayExecutor connected to the cluster at `address` (whose CPUs set the parallelism; `env`: more
    variables for its workers' environment, which this process has already). Raises
    ValueError for an unknown kind or an address without Ray, ExecutorUnavailable when Ray is missing or no cluster
    answers."""
    if kind == "local":
        if address is not None:
            raise ValueError("--address is for --executor ray")
        from verify.executors import LocalExecutor  # verify/ import

        return LocalExecutor(workers)
    if kind == "ray":
        from verify.ray_executor import RayExecutor  # verify/ import

        return RayExecutor(address=address, env=env)
    raise ValueError(f"unknown executor {kind!r}: use one of {', '.join(EXECUTORS)}")


@contextmanager
def opened_executor(kind: str, address: Optional[str], workers: int = 1, env: Optional[dict[str, str]] = None) -> Iterator:
    """The executor (`make_executor`), shut down at the end (what is left cancelled when the command
    stops early). An unknown kind, an --address without Ray, Ray missing or no cluster at the address is one usage
    error (exit 2)."""
    from verify.executors import ExecutorUnavailable  # verify/ import

    try:
        runner = make_executor(kind, workers=workers, address=address, env=env)
    except (ValueError, ExecutorUnavailable) as exc:
        raise usage_error(str(exc))
    try:
        yield runner
    except BaseException:
        runner.shutdown(cancel=True)
        raise
    finally:
        if hasattr(runner, "summary"):
            info(runner.summary())
    runner.shutdown()
