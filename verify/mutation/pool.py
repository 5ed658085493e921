"""Long-lived worker processes that verify mutants one after another, each with a time limit.

Starting Python, JAX and the reference costs seconds, and a fresh interpreter
compiles again every small program that JAX runs eagerly; a worker that serves
many mutants pays that once (verify.mutation.worker, `serve`). Mutants stay
isolated where it matters: each is imported as its own module, and a mutant that
hangs or crashes takes down only its worker, whose process group is killed; the
next mutant gets a fresh worker.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from verify.levels import MUTATION_LEVELS
from verify.mutation.mutants import HARNESS_ERROR, TIMEOUT
from verify.process import child_env, crash_cause, kill_group, start_group
from verify.replay_split import PROCESSES_ENV
from verify.watchdog import TIME_LIMIT_CHECK

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
STARTUP_TIMEOUT_S = 180.0
JOBS_PER_WORKER = 40  # a worker is replaced after this many mutants, so compiled programs do not pile up


@dataclass
class WorkerOutcome:
    """The verdict on one mutant, and why.

    `killed`: a verification level failed, and `level` names it. Otherwise `level` is None when every level
    passed, or names what stopped the verification without a verdict: TIMEOUT, HARNESS_ERROR, or UNVIABLE
    (a Rust mutant that does not build). Those are not kills.
    """

    killed: bool
    level: str | None
    message: str
    seconds: float
    level_seconds: dict[str, float] = field(default_factory=dict)
    check: str | None = None  # the failing check of the level (`guided_branch`: a state L1's guided search found)
    guided: dict | None = None  # what L1's guided search did (probes, compared, seconds), when it ran

    @property
    def passed(self) -> bool:
        """Every level ran and passed."""
        return self.level is None


@dataclass(frozen=True)
class WorkerOptions:
    """How each mutant is verified (passed to `python -m verify.mutation.worker`)."""

    class_name: str | None = None
    examples: int = 100
    episodes: int = 20
    policies: tuple[str, ...] = ("uniform", "sticky", "goal")
    seed: int = 0
    levels: tuple[str, ...] = MUTATION_LEVELS
    compile_cache: Path | None = None  # JAX's persistent compilation cache, shared by the workers of one analysis
    guided: bool = False  # L1 measures the reference's branch coverage and runs its guided search (verify.guided)
    # Several workers already fill the cores: each replays L3's reference episodes in its own process rather than
    # splitting them over two more (verify.replay_split), which would run two processes per worker.
    one_replay_process: bool = False

    def argv(self) -> list[str]:
        """The worker's command-line options."""
        args = [
            "--examples", str(self.examples), "--episodes", str(self.episodes), "--policies", ",".join(self.policies),
            "--seed", str(self.seed), "--levels", ",".join(self.levels),
        ]
        return args + (["--class-name", self.class_name] if self.class_name else []) + (["--guided"] if self.guided else [])

    def environ(self) -> dict[str, str]:
        """The worker's environment: ours (`child_env`: the user's folders importable, no API keys), plus the shared
        compilation cache.

        The cache is keyed by the compiled program, its options and the XLA flags, so a
        hit returns the executable a fresh compilation would.
        """
        env = child_env()
        if self.one_replay_process:
            env[PROCESSES_ENV] = "1"
        if self.compile_cache is not None:
            env.update(
                JAX_COMPILATION_CACHE_DIR=str(self.compile_cache),
                JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
                JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0",
            )
        return env


class MutantWorker:
    """Verifies mutant sources of one port through a `verify.mutation.worker --serve` process.

    `verify(source, timeout_s)` never raises for a bad mutant: a hang past the limit is a
    TIMEOUT and a crash a HARNESS_ERROR (neither a kill), and the process is replaced. Use as a
    context manager, or call `close()`.
    """

    def __init__(self, port_name: str, options: WorkerOptions, work_dir: Path | None = None):
        self.port_name = port_name
        self._tmp = tempfile.TemporaryDirectory(prefix="envport_mutants_", dir=work_dir)
        if options.compile_cache is not None and not options.compile_cache.is_dir():
            # the analysis's shared cache is on another machine (a Ray node): this worker keeps its own
            options = replace(options, compile_cache=Path(self._tmp.name) / "jax_cache")
        self.options = options
        self._proc: subprocess.Popen | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._jobs_done = 0
        self._job_counter = 0

    def __enter__(self) -> "MutantWorker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----- process management -----
    def _start(self) -> str | None:
        """Start a worker and wait until it is ready; None, or why it did not start."""
        cmd = [sys.executable, "-m", "verify.mutation.worker", self.port_name, "--serve", *self.options.argv()]
        self._proc = start_group(
            cmd, cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.options.environ(),
        )
        self._lines = queue.Queue()
        self._stream_ended = False
        self._stderr: list[str] = []
        threading.Thread(target=self._pump, args=(self._proc.stdout, self._lines), daemon=True).start()
        threading.Thread(target=self._drain, args=(self._proc.stderr, self._stderr), daemon=True).start()
        self._jobs_done = 0
        reply = self._reply(lambda out: out.get("ready") is True, time.monotonic() + STARTUP_TIMEOUT_S)
        if reply is None:
            problem = f"the worker did not start: {self._stderr_tail()}"
            self._kill()
            return problem
        return None

    @staticmethod
    def _pump(stream, lines: queue.Queue) -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)  # end of stream: the process exited

    @staticmethod
    def _drain(stream, keep: list[str]) -> None:
        for line in stream:
            keep.append(line)
            del keep[:-40]

    def _stderr_tail(self) -> str:
        return "".join(self._stderr[-8:]).strip() or "(no output on stderr)"

    def _reply(self, wanted, deadline: float) -> dict | None:
        """The next stdout JSON line satisfying `wanted`, or None at the deadline or the end of the stream."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                return None
            if line is None:
                self._stream_ended = True  # the process closed its stdout: it exited (or is exiting)
                return None
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                out = json.loads(line)
            except json.JSONDecodeError:
                continue
            if wanted(out):
                return out

    def _kill(self) -> None:
        if self._proc is None:
            return
        kill_group(self._proc)
        self._proc = None

    def close(self) -> None:
        """Stop the worker process and remove its files."""
        self._kill()
        self._tmp.cleanup()

    # ----- verification -----
    def verify(self, source: str, timeout_s: float, guided: bool | None = None,
               level_timeout_s: float | None = None) -> WorkerOutcome:
        """Verify one translation source; the limit covers this mutant only, not the worker's start.
        `guided`: L1's guided search on or off for this source (None: as the worker's options say).
        `level_timeout_s`: a level running longer kills the mutant there (`time limit`; the worker then exits)."""
        if self._proc is not None and (self._proc.poll() is not None or self._jobs_done >= JOBS_PER_WORKER):
            self._kill()
        if self._proc is None:
            problem = self._start()
            if problem is not None:
                return WorkerOutcome(False, HARNESS_ERROR, problem, 0.0)
        self._job_counter += 1
        job = f"m{self._job_counter}"
        job_dir = Path(self._tmp.name) / job
        job_dir.mkdir()
        (job_dir / "mutant_source.py").write_text(source)
        start = time.monotonic()
        try:
            request = {"job": job, "source": str(job_dir / "mutant_source.py"), "module_dir": str(job_dir / "modules")}
            if guided is not None:
                request["guided"] = guided
            if level_timeout_s is not None:
                request["level_timeout_s"] = level_timeout_s
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the reply below sees the end of the stream
        out = self._reply(lambda o: o.get("job") == job, start + timeout_s)
        seconds = time.monotonic() - start
        if out is not None:
            self._jobs_done += 1
            shutil.rmtree(job_dir, ignore_errors=True)  # so a worker never closed (a lost Ray worker) leaves no sources
            if out.get("check") == TIME_LIMIT_CHECK:
                self._kill()  # the worker ends after a level's time limit (verify.watchdog): the next mutant starts another
            return outcome_of(out, seconds)
        # The end of its output is an exit even before the process is reaped: not a timeout.
        exited = self._stream_ended or self._proc.poll() is not None
        tail = self._stderr_tail()
        self._kill()
        shutil.rmtree(job_dir, ignore_errors=True)
        if exited:
            return WorkerOutcome(False, HARNESS_ERROR, f"the worker exited with no verdict:\n{crash_cause(tail)}{tail}", seconds)
        return WorkerOutcome(False, TIMEOUT, f"verification did not finish within {timeout_s:.0f} s", seconds)


@dataclass(frozen=True)
class JaxWorkers:
    """Makes the `MutantWorker`s of one analysis: hashable by value and picklable, so that equal factories share a
    worker in a `verify.executors.WorkerCache`, here or in a Ray worker process on another machine."""

    port_name: str
    options: WorkerOptions

    def __call__(self) -> MutantWorker:
        return MutantWorker(self.port_name, self.options)


@dataclass(frozen=True)
class MutantTask:
    """Verify one mutant's source with a worker from `make_worker` (a hashable factory such as `JaxWorkers`):
    a task for a verify.executors executor; its result is the `WorkerOutcome`."""

    make_worker: Any
    source: str
    timeout_s: float
    guided: bool | None = None  # None: as the worker's options say; False: this verification without the search
    level_timeout_s: float | None = None  # a level running longer kills the mutant there (verify.watchdog)

    def run(self, workers: Any) -> WorkerOutcome:
        """The verdict, from this thread's worker in `workers` (a `WorkerCache`)."""
        return workers.get(self.make_worker).verify(self.source, self.timeout_s, guided=self.guided,
                                                    level_timeout_s=self.level_timeout_s)


def outcome_of(out: dict, seconds: float) -> WorkerOutcome:
    """The WorkerOutcome of a worker's JSON verdict (verify.mutation.worker)."""
    return WorkerOutcome(
        bool(out["killed"]), out.get("level"), out.get("message", ""), seconds, out.get("level_seconds", {}),
        out.get("check"), out.get("guided"),
    )


def run_worker(port_name: str, source: str, *, timeout_s: float = 300.0, work_dir: Path | None = None, **options) -> WorkerOutcome:
    """Verify one translation source in a fresh worker process with a time limit (its process group is killed on timeout).

    `options` are `WorkerOptions` fields. The limit covers this mutant, not the worker's start.
    """
    with MutantWorker(port_name, WorkerOptions(**options), work_dir) as worker:
        return worker.verify(source, timeout_s)
