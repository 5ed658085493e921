"""`envport mutate`: mutation analysis, how many planted bugs the verifier catches, and where.

The mutation machinery (verify/) is imported lazily, in the places marked "verify/ import".
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from recipe.cli.console import EXIT_FAILED, EXIT_INTERRUPTED, err, failure, info, out, unknown_port, usage_error, use_ports
from recipe.cli.executor_options import address_option, executor_option, opened_executor
from recipe.cli.paths import check_file, is_stdout, write_text
from recipe.cli.progress import COUNTER, Progress


def mutate(
    name: str = typer.Argument(..., help="Port name or Gymnasium id."),
    backend: str = typer.Option("jax", help="Which translation to mutate: jax (its Python source) or rust (its module in rust_envs/)."),
    rust_file: Optional[Path] = typer.Option(None, "--rust-file", help="rust: mutate this module of rust_envs/src/ instead of the port's own (e.g. the shared MinAtar wrapper)."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write the full result (every mutant, survivors with diffs) here, and the verdicts so far as the run goes (- for stdout, at the end)."),
    max_mutants: Optional[int] = typer.Option(None, min=1, help="Verify at most this many mutants (spread over the operators)."),
    timeout_s: Optional[float] = typer.Option(None, "--timeout", min=1.0, help="Seconds per mutant (default: from the original's verification time)."),
    workers: int = typer.Option(2, min=1, help="Mutants verified in parallel, each in its own process."),
    min_kill_rate: float = typer.Option(0.0, min=0.0, max=1.0, help="Exit 1 when the kill rate is below this."),
    journal: Optional[Path] = typer.Option(None, help="Append each verdict here as it is known; a run given the journal of an interrupted one verifies only the rest."),
    executor: str = executor_option(),
    address: Optional[str] = address_option(),
    guided: bool = typer.Option(True, "--guided/--no-guided", help="L1 runs its guided search for the reference's untaken branches on every mutant, as verify does; the mutants only its states kill are verified again without it, to show what it adds."),
) -> None:
    """Mutation analysis: how many systematic bugs planted in the translation does the verifier catch, and where?

    Exit 1 below --min-kill-rate or when the unmutated translation fails; 2 bad usage; 130 interrupted (--json then
    holds the verdicts so far, marked partial; --journal resumes)."""
    json_path = check_file(json_path, "--json", stdout_ok=True)
    journal = check_file(journal, "--journal")
    if journal is not None and journal.exists():
        try:
            journal.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError) as exc:
            raise usage_error(f"--journal {journal}: not a journal of verdicts (JSON lines) that mutate wrote ({type(exc).__name__}); "
                              "give a new file or the one an interrupted run used")
    use_ports()
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
    with opened_executor(executor, address, workers) as runner, tempfile.TemporaryDirectory(prefix="envport-mutate-") as scratch:
        keeper = _PartialResult(port.name, backend, json_path, journal or Path(scratch) / "journal.jsonl")
        try:
            with Progress("mutate", unit="mutants") as progress:
                def report(message: str) -> None:
                    progress.message(message)
                    keeper.progress(message)

                common = dict(max_mutants=max_mutants, timeout_s=timeout_s, workers=workers, journal=keeper.journal, progress=report,
                              executor=runner, guided=guided)
                if backend == "rust":
                    result = run_rust_mutation_analysis(port, source_file=rust_file, **common)
                else:
                    result = run_mutation_analysis(port, **common)
        except RuntimeError as exc:  # the unmutated translation fails: every kill would be meaningless
            raise failure(str(exc))
        except KeyboardInterrupt:
            kept = keeper.write("interrupted")
            info(f"interrupted: {keeper.done} mutant verdict(s) known"
                 + (f", kept in {kept}" if kept else "") + (f"; resume with --journal {journal}" if journal else "; pass --journal FILE to be able to resume"))
            raise typer.Exit(EXIT_INTERRUPTED)
    _print_result(port.name, backend, result, err if is_stdout(json_path) else out)
    if json_path is not None:
        write_text(json_path, json.dumps(result, indent=2, default=str))
    rate = result["kill_rate"]
    if rate is not None and rate < min_kill_rate:
        raise typer.Exit(EXIT_FAILED)


class _PartialResult:
    """The verdicts of a running analysis (read back from its journal), written to --json marked partial after each
    tenth of the mutants and on Ctrl-C, so an interrupted run keeps what finished."""

    def __init__(self, env: str, backend: str, json_path: Optional[Path], journal: Path):
        self.env, self.backend, self.json_path, self.journal = env, backend, json_path, journal
        self.done, self.total, self._tenth = 0, 0, 0

    def progress(self, message: str) -> None:
        counter = COUNTER.search(message)
        if counter is None:
            return
        self.done, self.total = int(counter.group(1)), int(counter.group(2))
        tenth = 10 * self.done // max(self.total, 1)
        if tenth > self._tenth and self.done < self.total:
            self._tenth = tenth
            self.write("running")

    def write(self, why: str) -> str | None:
        """Write the partial result to --json (a file); where it went, or None."""
        if self.json_path is None or is_stdout(self.json_path):
            return None
        results = []
        if self.journal.exists():
            for line in self.journal.read_text().splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by the interruption
                if isinstance(entry, dict) and "status" in entry:
                    results.append(entry)
        counts = {status: sum(r["status"] == status for r in results) for status in ("killed", "timed_out", "harness_error", "survived", "equivalent", "unviable")}
        partial = {"env": self.env, "backend": self.backend, "partial": why, "verified": self.done, "selected": self.total,
                   **counts, "results": results}
        write_text(self.json_path, json.dumps(partial, indent=2, default=str))
        return str(self.json_path)


def _print_result(port_name: str, backend: str, result: dict, console=out) -> None:
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
    console.print(table)
    if result.get("timed_out") or result.get("harness_error"):
        console.print("kill rate = killed / (mutants - equivalent - unviable); timeouts and harness errors are not kills", markup=False)
    search = result.get("guided_search", {})
    if search.get("on"):
        without = search["without_search"]["kill_rate"]
        only = search["killed_only_with_search"]
        console.print(f"guided search: {len(search['killed_by_search'])} killed by its states, {len(only)} of them survive without it"
                      + (f" ({', '.join(only)})" if only else "") + "; kill rate without it " + ("-" if without is None else f"{without:.1%}")
                      + f"; {search['search_seconds_per_mutant']} s of {search['seconds_per_mutant']} s per mutant", markup=False)
    for survivor in result["survivors"]:
        console.print(f"survived: {survivor['operator']} at line {survivor['line']}", markup=False)
        console.print(survivor["diff"], markup=False, highlight=False)
