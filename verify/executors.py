"""Where a campaign's independent tasks run: here (`LocalExecutor`, the default) or on a Ray cluster
(`verify.ray_executor.RayExecutor`, `--executor ray`).

A campaign (the mutants of `envport mutate`, the ports of `envport verify --all`) is a list of tasks
that do not depend on each other. Both executors take the same tasks and give back the same results,
so the code that turns results into a report is shared and the report does not depend on where the
work ran. A task is a picklable object with `run(workers) -> result`: `workers` is the `WorkerCache`
of the process that runs it, where a task finds a long-lived worker (a mutation worker process that
has loaded JAX and the reference) instead of starting one per task.

The interface is three calls: `submit(task) -> Future`, `as_completed(futures)` (each future as it
finishes, in this thread) and `shutdown(cancel=False)`. `run_tasks` is the loop both commands use.
"""

from __future__ import annotations

import atexit
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import as_completed as futures_as_completed
from typing import Any, Callable, Iterable, Iterator, Protocol

RAY_EXTRA = "pip install 'envport[ray]'"


class ExecutorUnavailable(RuntimeError):
    """The executor asked for cannot run here (Ray is not installed, or no cluster answers at the address);
    the message says what to do."""


class Task(Protocol):
    """One independent piece of a campaign; picklable, so a remote executor can send it to another machine."""

    def run(self, workers: "WorkerCache") -> Any: ...


class Executor(Protocol):
    """Runs tasks, here or elsewhere; futures resolve to `task.run(...)`'s result or raise what stopped it."""

    name: str
    in_process: bool  # tasks run in this process: they may call back into it (live progress)

    def submit(self, task: Task) -> Future: ...

    def as_completed(self, futures: Iterable[Future]) -> Iterator[Future]: ...

    def shutdown(self, cancel: bool = False) -> None: ...


class WorkerCache:
    """Long-lived workers of one process, one per thread and factory.

    `get(factory)` returns this thread's worker made by `factory()` (a hashable zero-argument callable,
    equal factories sharing a worker: a frozen dataclass such as verify.mutation.pool.JaxWorkers), making it
    on first use. A worker has `close()`; `close()` closes them all.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[Any] = []

    def get(self, factory: Callable[[], Any]) -> Any:
        """This thread's worker from `factory`, made now if it has none."""
        mine = self._local.__dict__.setdefault("workers", {})
        if factory not in mine:
            mine[factory] = factory()
            with self._lock:
                self._all.append(mine[factory])
        return mine[factory]

    def close(self) -> None:
        """Close every worker (from any thread); the cache can be used again after."""
        with self._lock:
            workers, self._all = self._all, []
        self._local = threading.local()
        for worker in workers:
            worker.close()


class LocalExecutor:
    """Tasks on this machine: `workers` threads, each with its own long-lived workers (`WorkerCache`).

    With one worker the tasks run in the calling thread, one after another as `as_completed` asks for
    them (Ctrl-C stops the task at once, and a task may report progress as it goes).
    """

    name = "local"
    in_process = True

    def __init__(self, workers: int = 1):
        self.workers = max(1, workers)
        self.cache = WorkerCache()
        self._pool = ThreadPoolExecutor(max_workers=self.workers) if self.workers > 1 else None
        self._inline: dict[Future, Task] = {}

    def submit(self, task: Task) -> Future:
        """Queue `task`; its future."""
        if self._pool is not None:
            return self._pool.submit(task.run, self.cache)
        future: Future = Future()
        self._inline[future] = task
        return future

    def as_completed(self, futures: Iterable[Future]) -> Iterator[Future]:
        """Each future as it finishes (inline: runs each in turn, in submission order)."""
        futures = list(futures)
        if self._pool is not None:
            yield from futures_as_completed(futures)
            return
        for future in futures:
            task = self._inline.pop(future, None)
            if task is not None and future.set_running_or_notify_cancel():
                try:
                    future.set_result(task.run(self.cache))
                except Exception as exc:  # noqa: BLE001 - the caller reads it from the future, as from a thread
                    future.set_exception(exc)
            yield future

    def shutdown(self, cancel: bool = False) -> None:
        """Stop: drop (with `cancel`) the tasks not started, close the workers (a running mutant's worker is
        killed, so its task ends at once), and wait for the threads."""
        if cancel:
            for future in self._inline:
                future.cancel()
        self._inline.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=cancel)
        self.cache.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def run_tasks(executor: Executor, tasks: list[Task], on_done: Callable[[int, Future], None]) -> None:
    """Submit every task and call `on_done(index, future)` in this thread as each finishes (each exactly once,
    whatever the executor retried). An exception or Ctrl-C cancels the tasks still waiting and is raised."""
    futures = {executor.submit(task): i for i, task in enumerate(tasks)}
    try:
        for future in executor.as_completed(futures):
            on_done(futures[future], future)
    except BaseException:
        for future in futures:
            future.cancel()
        raise


_PROCESS_WORKERS: WorkerCache | None = None


def process_workers() -> WorkerCache:
    """The workers of this process, kept for the tasks that follow and closed when it exits (a Ray worker
    process runs many tasks one after another)."""
    global _PROCESS_WORKERS
    if _PROCESS_WORKERS is None:
        _PROCESS_WORKERS = WorkerCache()
        atexit.register(_PROCESS_WORKERS.close)
    return _PROCESS_WORKERS
