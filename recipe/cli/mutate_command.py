"""`envport mutate`: mutation analysis, how many planted bugs the verifier catches, and where.

The mutation machinery (verify/) is imported lazily, in the places marked "verify/ import".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from recipe.cli.console import EXIT_FAILED, err, failure, out, unknown_port, usage_error


def mutate(
    name: str = typer.Argument(..., help="Port name or Gymnasium id."),
    backend: str = typer.Option("jax", help="Which translation to mutate: jax (its Python source) or rust (its module in rust_envs/)."),
    rust_file: Optional[Path] = typer.Option(None, "--rust-file", help="rust: mutate this module of rust_envs/src/ instead of the port's own (e.g. the shared MinAtar wrapper)."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write the full result (every mutant, survivors with diffs) here."),
    max_mutants: Optional[int] = typer.Option(None, min=1, help="Verify at most this many mutants (spread over the operators)."),
    timeout_s: Optional[float] = typer.Option(None, "--timeout", min=1.0, help="Seconds per mutant (default: from the original's verification time)."),
    workers: int = typer.Option(2, min=1, help="Mutants verified in parallel, each in its own process."),
    min_kill_rate: float = typer.Option(0.0, min=0.0, max=1.0, help="Exit 1 when the kill rate is below this."),
    journal: Optional[Path] = typer.Option(None, help="Append each verdict here as it is known; a run given the journal of an interrupted one verifies only the rest."),
) -> None:
    """Mutation analysis: how many systematic bugs planted in the translation does the verifier catch, and where?"""
    from envs import UnknownPortError, get_port
    from verify.mutation.analysis import run_mutation_analysis  # verify/ import
    from verify.mutation.rust import CRATE, run_rust_mutation_analysis  # verify/ import

    try:
        port = get_port(name)
    except UnknownPortError as exc:
        raise unknown_port(exc)
    if backend not in ("jax", "rust"):
        raise usage_error(f"unknown backend {backend!r}: mutation analysis mutates the jax or the rust translation")
    if backend == "rust":
        if "rust" not in port.backends:
            raise usage_error(f"{port.name} has no Rust translation; its backends: {', '.join(port.backends)}")
        from verify.rust_build import missing_tools

        if missing_tools():
            raise usage_error(f"mutating the Rust translation builds the crate: install {', '.join(missing_tools())} (`bash setup.sh`)")
        if rust_file is not None and (not rust_file.is_file() or rust_file.suffix != ".rs"
                                      or CRATE / "src" not in rust_file.resolve().parents):
            raise usage_error(f"--rust-file {rust_file}: not a .rs module under {CRATE / 'src'}")
    elif rust_file is not None:
        raise usage_error("--rust-file is for --backend rust")
    try:
        with err.status("mutating") as status:
            common = dict(max_mutants=max_mutants, timeout_s=timeout_s, workers=workers, journal=journal, progress=lambda m: status.update(m))
            if backend == "rust":
                result = run_rust_mutation_analysis(port, source_file=rust_file, **common)
            else:
                result = run_mutation_analysis(port, **common)
    except RuntimeError as exc:  # the unmutated translation fails: every kill would be meaningless
        raise failure(str(exc))
    _print_result(port.name, backend, result)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result, indent=2, default=str))
    rate = result["kill_rate"]
    if rate is not None and rate < min_kill_rate:
        raise typer.Exit(EXIT_FAILED)


def _print_result(port_name: str, backend: str, result: dict) -> None:
    """The counts table (kills per level, then timeouts and harness errors, which are not kills; the kill rate),
    then every survivor with its diff."""
    table = Table(title=f"envport mutate {port_name} ({backend})")
    counts = {"mutants": result["mutants"], "killed": result["killed"], **{f"by {k}": v for k, v in result["killed_by_level"].items()}}
    for status in ("timed_out", "harness_error", "equivalent", "unviable", "survived"):
        counts[status.replace("_", " ")] = result.get(status, 0)
    rate = result["kill_rate"]
    counts["kill rate"] = "-" if rate is None else f"{rate:.1%}"
    for column in counts:
        table.add_column(column, justify="right")
    table.add_row(*[str(v) for v in counts.values()])
    out.print(table)
    if result.get("timed_out") or result.get("harness_error"):
        out.print("kill rate = killed / (mutants - equivalent - unviable); timeouts and harness errors are not kills", markup=False)
    for survivor in result["survivors"]:
        out.print(f"survived: {survivor['operator']} at line {survivor['line']}", markup=False)
        out.print(survivor["diff"], markup=False, highlight=False)
