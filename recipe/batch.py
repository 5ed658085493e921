"""`envport translate --batch FILE`: many translate runs, each one task of an executor (this machine or a Ray cluster).

A run is the same code path as `envport translate` (`recipe.session.open_run` and `execute`), given the
`TranslateOptions` of one entry of the batch file. Its task (`TranslateTask`) runs the loop in a scratch runs folder
of the machine that runs it, with promotion into a scratch folder there, and returns the run folder as a gzipped tar
archive (`RunResult`). The driver (the machine where the command was typed) unpacks it under `--runs-dir`/STEM/
and promotes the verified files itself (`collect`), one run at a time as results come in, so a node never writes
the driver's disk and two runs never promote at once. A batch whose entries would promote the same file is refused
before anything runs (`plan`), so the order in which runs finish cannot change what is promoted.

No secret travels in a task: an API key reaches the node through its environment (see docs/campaigns.md).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from recipe.options import TranslateOptions

LEFT_BEHIND = ("rust_build", "build")  # a run folder's build products: rebuilt from its workspace when needed, not sent


class BatchError(ValueError):
    """A batch that cannot run as given; the one-line message names the entry and the fix."""


@dataclass(frozen=True)
class BatchRun:
    """One entry of a batch: its place in the file (from 1), its resolved options (`output`: where the driver
    promotes it), the port it translates (its name and target), and a digest of the entry (the journal's key)."""

    index: int
    options: TranslateOptions
    port: str
    target: str
    key: str

    @property
    def label(self) -> str:
        """`PORT -> TARGET`, for messages."""
        return f"{self.port} -> {self.target}"

    @property
    def folder(self) -> str:
        """The run folder's name under the batch's folder: NN-PORT-TARGET."""
        return f"{self.index:02d}-{self.port}-{self.target}"


@dataclass(frozen=True)
class RunResult:
    """What a task returns to the driver: the run folder as a gzipped tar archive (empty when none was made), why the
    run could not start on that node (None when it ran), its wall seconds."""

    index: int
    archive: bytes
    error: str | None
    seconds: float


def plan(entries: list[tuple[TranslateOptions, str]]) -> list[BatchRun]:
    """The runs of a batch, checked on the driver before any runs: each entry's options (`(options, key)` in the
    file's order) as `envport translate` would check them (BatchError naming the entry), and no two runs promoting
    the same file."""
    from recipe import session
    from recipe.models import ModelError, ReplayModel
    from recipe.promote import destination
    from recipe.task import TaskError

    runs, owners = [], {}
    for index, (options, key) in enumerate(entries, start=1):
        where = f"run {index}"
        try:
            o = session.new_options(options)
            task = session.checked_task(o)
            o, kind, _, _ = session.checked_options(o, session.default_output(task))
            if kind == "manual":
                raise session.UsageProblem("--agent manual waits for you between rounds: run it alone with `envport translate`")
            if kind == "replay":
                ReplayModel(Path(o.replay))  # the recording is read here, so a wrong path fails before anything runs
        except (TaskError, session.UsageProblem, ModelError) as exc:
            raise BatchError(f"{where}: {exc}") from None
        except session.RustNotBuilt:
            raise BatchError(f"{where}: --to rust translates a registered port's Rust module; translate it to jax first") from None
        label = f"{task.name} -> {task.target}"  # BatchRun.label, before there is one
        for rel in task.owned_files:
            target = destination(task, o.output, rel)
            if target in owners:
                raise BatchError(f"runs {owners[target]} and {index} ({label}) would both promote {target}: give one of them "
                                 "another output")
            owners[target] = index
        runs.append(BatchRun(index, o, task.name, task.target, key))
    return runs


def entry_key(values: dict[str, Any]) -> str:
    """A digest of one entry's keys and values (after the file's defaults), naming it in the journal."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TranslateTask:
    """One run of a batch as an executor's task (picklable: its options, no secret, no callback)."""

    entry: BatchRun
    fingerprinted = ("recipe", "prompts")  # a Ray node must also have the driver's loop and prompts (verify.ray_executor)

    def run(self, workers: Any = None) -> RunResult:
        """The run (the executors' Task interface; it keeps no long-lived worker), in a scratch folder of this machine: its folder archived, or why it could not start here."""
        from recipe import session
        from recipe.task import TaskError

        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="envport-batch-") as scratch:
            run_dir, error = Path(scratch) / self.entry.folder, None
            try:
                run = session.open_run(replace(self.entry.options, runs_dir=Path(scratch)), run_dir=run_dir)
                run.output = Path(scratch) / "promoted"  # the driver promotes (`collect`); run.options keeps its output
                outcome = session.execute(run)
            except (TaskError, session.UsageProblem, session.RustNotBuilt, OSError) as exc:  # this node cannot run it
                error = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"
            else:
                if outcome.interrupted:
                    raise KeyboardInterrupt
            archive = pack(run_dir) if run_dir.is_dir() else b""
        return RunResult(self.entry.index, archive, error, round(time.perf_counter() - started, 1))


def pack(folder: Path) -> bytes:
    """`folder`'s files (without its build products, LEFT_BEHIND) as a gzipped tar archive."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for child in sorted(folder.iterdir()):
            if child.name not in LEFT_BEHIND:
                tar.add(child, arcname=child.name)
    return buffer.getvalue()


def unpack(archive: bytes, folder: Path) -> None:
    """An archive of `pack` into `folder` (made; nothing outside it is written, links and devices refused)."""
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        tar.extractall(folder, filter="data")


def collect(run: BatchRun, result: RunResult, runs_root: Path) -> dict[str, Any]:
    """On the driver: the run's folder unpacked into `runs_root`/FOLDER, its verified files promoted into its output,
    and its summary entry (port, target, outcome, iterations, verdict per level, promoted files, run folder)."""
    from recipe import session
    from recipe.promote import PromotionRefused, promote
    from recipe.workspace import Workspace

    folder = (runs_root / run.folder).resolve()
    if result.archive:
        unpack(result.archive, folder)
    state = _state(folder)
    outcome = f"error: {result.error}" if result.error else state.get("status", "error: the run left no state.json")
    promoted: list[str] = []
    if outcome == "passed":
        task = session.build_task(run.options)
        try:
            written = promote(task, Workspace(folder / "workspace"), state.get("verified") or {}, run.options.output,
                              folder / "replaced")
            promoted = [str(p) for p in written]
            _record_promotion(folder, promoted)
        except PromotionRefused as exc:
            outcome = f"not promoted: {exc}"
    rows = state.get("rows") or []
    levels = (state.get("verified") or {}).get("levels") or (rows[-1]["levels"] if rows else {})
    return {"index": run.index, "port": run.port, "target": run.target, "outcome": outcome,
            "iterations": state.get("iteration", 0), "levels": levels, "promoted": promoted, "run_folder": str(folder),
            "seconds": result.seconds}


def _state(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / "state.json").read_text())["state"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _record_promotion(folder: Path, promoted: list[str]) -> None:
    """The run folder's state.json and summary.json name the files the driver promoted (the node promoted into a
    scratch folder) and the folder they are in now."""
    for name, fields in (("state.json", ("state",)), ("summary.json", ())):
        path = folder / name
        if not path.is_file():
            continue
        data = json.loads(path.read_text())
        inner = data[fields[0]] if fields else data
        inner["promoted"] = promoted
        if "run_dir" in inner:
            inner["run_dir"] = str(folder)
        path.write_text(json.dumps(data, indent=1, default=str))


def read_journal(journal: Path | None, runs: list[BatchRun]) -> dict[int, dict[str, Any]]:
    """The summary entries an earlier batch wrote to `journal` for runs of this batch (same place, same entry)."""
    if journal is None or not journal.is_file():
        return {}
    keys, done = {r.index: r.key for r in runs}, {}
    for line in journal.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            if keys.get(record["index"]) == record["key"]:
                done[record["index"]] = record["entry"]
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by an interruption
    return done


def append_journal(journal: Path, run: BatchRun, entry: dict[str, Any]) -> None:
    """Record a finished run (after its promotion), so a re-run of the batch skips it."""
    journal.parent.mkdir(parents=True, exist_ok=True)
    with journal.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"index": run.index, "key": run.key, "entry": entry}) + "\n")
