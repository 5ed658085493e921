"""L3's reference replays on two cores: a forked process replays half of a policy's episodes while this one replays
the other half, and the results are put back in episode order as if one process had replayed them all.

An episode's replay is the reference alone (reset from the recorded draws, then the recorded actions and step draws)
and a numpy comparison with the translation's trajectory, computed before: no JAX call runs in the forked process,
so forking a process that has started JAX is safe here (JAX warns about fork because a child that calls into XLA may
find a lock held by a thread that did not survive the fork). The inherited objects are frozen out of the child's
garbage collector (`gc.freeze`), so the child never frees a JAX buffer either.

The result is the serial one exactly: each process stops at its first failing episode; the merge walks the episodes
in order and stops at the first failure, counting the checks and the reference's branch coverage (each episode's
arcs recorded apart) of the episodes before it and of it, and nothing after, as the serial loop would. Anything
that goes wrong in the child (an exception, a crash, a kill) sends its episodes back to this process, which replays
them itself: then an exception is raised here as the serial loop would raise it.

`ENVPORT_VERIFY_PROCESSES=1` turns the split off (one process, the serial loop); it is also off without `os.fork`,
on one core, and outside the main thread (`verify --all --workers N` already runs ports side by side in threads).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

PROCESSES_ENV = "ENVPORT_VERIFY_PROCESSES"
# The child replays about as much as this process does; one still working long after (a lock it inherited from a
# thread that did not survive the fork, a starved core) is stopped and its episodes replayed here, so a hang
# costs time, never the answer.
CHILD_GRACE = 4.0
CHILD_MIN_WAIT = 60.0


@dataclass
class Replayed:
    """One episode's replay: its failure (None: it agreed), its length, the checks it made, what it adds to the
    level's data, and the reference's line arcs and entered functions while it ran (None: coverage not measured)."""

    episode: int
    failure: dict | None
    length: int
    checks: int
    data: dict[str, list] = field(default_factory=dict)
    arcs: set | None = None
    entered: set | None = None
    measured: bool = True


def processes() -> int:
    """How many processes replay a policy's episodes: 2 where the split is possible and not turned off, else 1."""
    wanted = os.environ.get(PROCESSES_ENV, "").strip()
    if wanted and wanted != "2":
        if wanted != "1":
            warnings.warn(f"{PROCESSES_ENV}={wanted!r} is not 1 or 2; replaying in one process")
        return 1
    if not hasattr(os, "fork") or threading.current_thread() is not threading.main_thread():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 2 if cores >= 2 else 1


def replay_episodes(episodes: int, replay: Callable[[int], Replayed], tracer: Any = None, split: bool = True) -> list[Replayed]:
    """Every episode's replay in order, up to and including the first failing one (the serial loop's answer).

    `replay(ep)` replays one episode and records nothing outside what it returns; `tracer` (a
    `verify.branch_coverage.BranchTracer` or None) receives the arcs of the episodes returned. With `split`
    (and `processes()` 2, and 2 episodes or more) a forked process replays the odd episodes."""

    def share(eps: range) -> list[Replayed]:
        out = []
        for ep in eps:
            out.append(_measured(replay, ep, tracer))
            if out[-1].failure is not None:
                break
        return out

    if not split or episodes < 2 or processes() < 2:
        done = share(range(episodes))
    else:
        child = _Child(lambda: share(range(1, episodes, 2)))
        try:
            started = time.monotonic()
            mine = share(range(0, episodes, 2))
            theirs = child.result(timeout=CHILD_GRACE * (time.monotonic() - started) + CHILD_MIN_WAIT)
        finally:  # an exception here (Ctrl-C) never leaves the child running
            child.stop()
        if theirs is None:  # the child failed or hung: its episodes are replayed here, as the serial loop would
            theirs = share(range(1, episodes, 2))
        done = _in_order(mine, theirs)
    if tracer is not None:
        for r in done:
            tracer.arcs |= r.arcs
            tracer.entered |= r.entered
            tracer.measured = tracer.measured and r.measured
    return done


def _measured(replay: Callable[[int], Replayed], ep: int, tracer: Any) -> Replayed:
    """`replay(ep)` with the tracer's arcs recorded apart, so that the merge takes only the episodes it keeps."""
    if tracer is None:
        return replay(ep)
    measured = tracer.measured
    with tracer.probing() as (arcs, entered):
        result = replay(ep)
    result.arcs, result.entered, result.measured = arcs, entered, tracer.measured
    tracer.measured = measured
    return result


def _in_order(*shares: list[Replayed]) -> list[Replayed]:
    """The shares merged by episode, cut after the first failure (each share stops at its own first failure, so
    every episode before the first failure overall is present)."""
    merged = sorted((r for s in shares for r in s), key=lambda r: r.episode)
    # An episode missing from the run means a share stopped before it: only after that share's failure, so the
    # failure comes first in `merged` and the loop stops there.
    out = []
    for expected, r in enumerate(merged):
        if r.episode != expected:
            break
        out.append(r)
        if r.failure is not None:
            break
    return out


class _Child:
    """A forked process computing `work()`; `result()` is its answer, or None where it did not give one."""

    def __init__(self, work: Callable[[], Any]):
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
            self._process = context.Process(target=_child_main, args=(send, work), daemon=True)
            self._process.start()
        send.close()

    def result(self, timeout: float | None = None) -> Any:
        """The child's answer (waiting up to `timeout` seconds for it), or None where it raised, crashed, was
        killed or had not answered in time."""
        try:
            if not self._receive.poll(timeout):
                return None
            status, value = self._receive.recv()
        except (EOFError, OSError):
            return None
        return value if status == "ok" else None

    def stop(self) -> None:
        """End the child (at once, if it is still working) and close the pipe."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._receive.close()


def _child_main(send: Any, work: Callable[[], Any]) -> None:
    _die_with_parent()
    gc.freeze()  # the inherited objects (JAX arrays among them) are never collected here
    try:
        message = ("ok", work())
    except BaseException:  # noqa: BLE001 - the parent replays these episodes itself and raises what they raise
        message = ("error", traceback.format_exc())
    try:
        send.send(message)
    finally:
        send.close()


def _die_with_parent() -> None:
    """Linux: have the kernel kill this child when its parent dies (a mutation worker killed at its time limit
    must not leave its replays running)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
