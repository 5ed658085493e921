"""`envport translate --batch FILE`: the runs a TOML file lists, on this machine or a Ray cluster (docs/campaigns.md).

The file's keys are `envport translate`'s own options, spelt as on the command line without the dashes (`port` is the
positional NAME); keys at the top are every run's defaults, and each `[[run]]` table is one run. Each entry is parsed by
the translate command's own parameters (so its types, ranges and errors are the command's), checked as a translate
run would check it, all before anything runs; `recipe.batch` runs them and promotes on this machine.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

from recipe.cli.console import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, err, info, out, usage_error, use_ports
from recipe.cli.executor_options import opened_executor
from recipe.cli.paths import check_file, check_folder, check_input_file, is_stdout, write_text
from recipe.cli.progress import Progress

# The translate options a batch entry may not set: the command's own (one per batch) and those of one invocation.
NOT_IN_FILE = ("batch", "executor", "address", "workers", "journal", "json", "runs-dir", "resume", "print-prompt")
PATH_KEYS = ("replay", "output", "prices")  # relative to the batch file's folder
SECRET_VARIABLES = ("OPENAI_API_KEY",)  # what an agent may need on the node, sent in its environment only


def translate_batch(command: Any, batch_file: Path, runs_dir: Path, executor: str, address: Optional[str],
                    workers: int, journal: Optional[Path], json_path: Optional[Path]) -> int:
    """Run the batch `batch_file` (entries parsed by the translate `command`'s parameters); the exit status: 0 when every
    run passed and was promoted, 1 when one did not, 130 interrupted (the journal keeps the finished runs)."""
    from recipe import batch
    from verify.executors import run_tasks  # verify/ import

    check_input_file(batch_file, "--batch")
    check_folder(runs_dir, "--runs-dir")
    json_path = check_file(json_path, "--json", stdout_ok=True)
    journal = check_file(journal, "--journal")
    entries = _entries(command, batch_file)
    use_ports()
    try:
        runs = batch.plan(entries)
    except batch.BatchError as exc:
        raise usage_error(f"--batch {batch_file}: {exc}")
    runs_root = runs_dir / batch_file.stem
    done = batch.read_journal(journal, runs)
    for run in runs:
        if run.index not in done and (runs_root / run.folder).exists():
            raise usage_error(f"--batch {batch_file}: run {run.index}'s folder {runs_root / run.folder} exists (an earlier batch): "
                              "give another --runs-dir, remove it, or pass that batch's --journal to skip its finished runs")
    todo = [run for run in runs if run.index not in done]
    summary = {index: entry for index, entry in done.items()}
    needs_key = any(run.options.agent in ("openai", "cli") for run in todo)
    env = {k: os.environ[k] for k in SECRET_VARIABLES if needs_key and os.environ.get(k)}
    info(f"batch {batch_file}: {len(runs)} run(s), {len(done)} finished already (journal), run folders in {runs_root}")
    status = EXIT_OK
    with Progress(f"translate --batch {batch_file.name}", total=len(runs), unit="runs") as progress:
        progress.advance(completed=len(done))

        def on_done(position: int, future) -> None:
            run = todo[position]
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - lost beyond the executor's retries, refused by the node, or a fault
                first = (str(exc).strip().splitlines() or [""])[0]
                result = batch.RunResult(run.index, b"", f"the task did not return: {type(exc).__name__}: {first}", 0.0)
            entry = batch.collect(run, result, runs_root)
            summary[run.index] = entry
            if journal is not None:
                batch.append_journal(journal, run, entry)
            progress.advance(text=f"run {run.index} {run.label}: {_outcome_text(entry)}")

        try:
            with opened_executor(executor, address, workers, env=env) as runner:
                run_tasks(runner, [batch.TranslateTask(run) for run in todo], on_done)
        except KeyboardInterrupt:
            status = EXIT_INTERRUPTED
    entries_out = [summary[run.index] for run in runs if run.index in summary]
    report = {"batch": str(batch_file), "runs": entries_out}
    if status == EXIT_INTERRUPTED:
        report["partial"] = f"interrupted: {len(entries_out)} of {len(runs)} run(s) finished"
        info(f"interrupted: {len(entries_out)} of {len(runs)} run(s) finished"
             + (f"; resume with --journal {journal}" if journal else "; pass --journal FILE to be able to resume"))
    _print_summary(entries_out, err if is_stdout(json_path) else out)
    if json_path is not None:
        write_text(json_path, json.dumps(report, indent=2))
    if status == EXIT_OK and any(entry["outcome"] != "passed" for entry in entries_out):
        status = EXIT_FAILED
    return status


def _entries(command: Any, batch_file: Path) -> list[tuple[Any, str]]:
    """(TranslateOptions, journal key) of each `[[run]]` of the file, in its order; one usage error for a file that is
    not TOML, an unknown key, a value of the wrong type or out of range."""
    from recipe import batch
    from recipe.options import TranslateOptions

    try:
        data = tomllib.loads(batch_file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise usage_error(f"--batch {batch_file}: not a TOML file ({exc}); see docs/campaigns.md for the format")
    allowed = {"port"} | {opt[2:] for param in command.params for opt in param.opts if opt.startswith("--")} - set(NOT_IN_FILE)
    defaults = {k: v for k, v in data.items() if k != "run"}
    runs = data.get("run")
    if not isinstance(runs, list) or not runs or not all(isinstance(r, dict) for r in runs):
        raise usage_error(f"--batch {batch_file}: no runs: list each one as a [[run]] table (docs/campaigns.md)")
    stored = {f.name for f in fields(TranslateOptions) if f.metadata.get("stored", True)}
    entries = []
    for index, run in enumerate(runs, start=1):
        values = {**defaults, **run}
        where = f"--batch {batch_file}: run {index}"
        argv = []
        for key, value in values.items():
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                raise usage_error(f"{where}: unknown key {key!r}; the keys are translate's options without the dashes: {known}")
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise usage_error(f"{where}: {key} = {value!r}: give a string or a number, as on the command line")
            value = _relative_to(batch_file.parent, key, str(value))
            argv += [value] if key == "port" else [f"--{key}", value]
        try:
            params = command.make_context("translate", argv).params
        except typer.TyperException as exc:  # the command line's own parsing errors (click's, as Typer ships it)
            message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            raise usage_error(f"{where}: {' '.join(message.split())}")
        options = TranslateOptions(**{k: v for k, v in params.items() if k in stored})
        entries.append((options, batch.entry_key(values)))
    return entries


def _relative_to(folder: Path, key: str, value: str) -> str:
    """A path of the file (PATH_KEYS, a --reference FILE.py:Class), relative to the file's folder (not the shell's), made
    absolute: a run may run on another machine, in another folder."""
    if key in PATH_KEYS:
        return str((folder / Path(value).expanduser()).resolve())
    location, sep, attr = value.rpartition(":")
    if key == "reference" and sep and location.endswith(".py"):
        return f"{(folder / Path(location).expanduser()).resolve()}:{attr}"
    return value


def _outcome_text(entry: dict[str, Any]) -> str:
    levels = " ".join(f"{k}:{v}" for k, v in entry["levels"].items())
    promoted = f", promoted {len(entry['promoted'])} file(s)" if entry["promoted"] else ""
    return f"{entry['outcome']} after {entry['iterations']} iteration(s)" + (f" ({levels})" if levels else "") + promoted


def _print_summary(entries: list[dict[str, Any]], console) -> None:
    """One row per finished run, in the file's order."""
    table = Table(title="envport translate --batch")
    for column in ("run", "port", "target", "outcome", "iterations", "levels", "run folder"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(str(e["index"]), e["port"], e["target"], e["outcome"], str(e["iterations"]),
                      " ".join(f"{k}:{v}" for k, v in e["levels"].items()), e["run_folder"])
    console.print(table)
