"""`--executor ray`: a campaign's tasks on a Ray cluster (the optional extra `envport[ray]`).

Each task is a Ray task of one CPU, run by `_run_task` in a Ray worker process, which keeps its
long-lived workers (`verify.executors.process_workers`: a mutation worker that has loaded JAX and
the reference) for the tasks that follow. Every node runs its own envport: the same code as the
driver's, checked per task (`code_fingerprint`: a node with other code or other numerics packages
fails its tasks with a line saying so, instead of giving verdicts of another verifier).

Faults: a task whose worker process or node is lost is run again elsewhere, up to `TASK_RETRIES`
times (Ray's `max_retries`); its future resolves once, so a retried task is counted once. A task
lost more often than that raises from its future, and the campaign records it as a fault of the
harness, never as a verdict.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import platform
import socket
import threading
from collections import Counter
from concurrent.futures import Future, InvalidStateError
from concurrent.futures import as_completed as futures_as_completed
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Iterator

from verify.executors import RAY_EXTRA, ExecutorUnavailable, Task, process_workers

TASK_RETRIES = 3  # runs of a task whose worker process or node was lost, after the first
CONNECT_TIMEOUT_S = 10.0  # to reach the head node's port before Ray is asked to connect
REPO_ROOT = Path(__file__).resolve().parent.parent
FINGERPRINTED = ("envs", "verify")  # the code whose verdicts a node must share with the driver
FINGERPRINTED_SUFFIXES = (".py", ".toml", ".json", ".j2")  # code, configuration, prompt templates
NUMERICS_PACKAGES = ("jax", "jaxlib", "numpy", "gymnasium", "hypothesis", "minatar", "rlcard")


class CodeMismatch(RuntimeError):
    """A node runs other envport code, or other numerics packages, than the driver."""


@functools.cache
def code_fingerprint(extra: tuple[str, ...] = ()) -> str:
    """A digest of this process's envport code (the .py, .toml, .json and .j2 files of envs/ and verify/, and of the
    folders in `extra`), Python's version and the versions of the packages verdicts depend on: equal digests, equal
    verifiers."""
    digest = hashlib.sha256(platform.python_version().encode())
    for package in NUMERICS_PACKAGES:
        try:
            digest.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package}=-".encode())
    for top in (*FINGERPRINTED, *extra):
        for path in sorted((REPO_ROOT / top).rglob("*")):
            if path.suffix in FINGERPRINTED_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _run_task(task: Task, fingerprint: str) -> tuple[str, Any]:
    """A task in a Ray worker process, with the process's long-lived workers: (the node's id, the task's result).
    Refused on a node whose code differs."""
    import ray

    mine = code_fingerprint(_fingerprinted(task))
    if mine != fingerprint:
        raise CodeMismatch(f"node {platform.node()} runs other envport code or packages (fingerprint {mine}, "
                           f"the driver's {fingerprint}): install the driver's commit and packages on every node")
    from verify.replay_split import PROCESSES_ENV

    os.environ[PROCESSES_ENV] = "1"  # a task holds one CPU: L3 replays in this process (and in its mutation workers)
    return ray.get_runtime_context().get_node_id(), task.run(process_workers())


class RayExecutor:
    """Tasks on the Ray cluster at `address` (see the module docstring).

    `address`: what `ray.init` takes (HOST:PORT of a head node, "auto", ray://HOST:PORT); None uses `RAY_ADDRESS`,
    else starts Ray on this machine for the campaign. The cluster's CPUs set how many tasks run at once (one CPU per
    task). Connecting here, the driver disconnects at `shutdown`, and Ray then stops the tasks it still runs.
    """

    name = "ray"
    in_process = False

    def __init__(self, address: str | None = None, retries: int = TASK_RETRIES, env: dict[str, str] | None = None):
        try:
            import ray
        except ImportError:
            raise ExecutorUnavailable(f"--executor ray needs Ray, which is not installed: {RAY_EXTRA}") from None
        self._ray = ray
        self._owns = not ray.is_initialized()
        if self._owns:
            _check_reachable(address)
            try:
                ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR, runtime_env=_runtime_env(env))
            except Exception as exc:  # noqa: BLE001 - Ray raises several kinds; each means no cluster to run on
                where = f"--address {address}" if address else "Ray"
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise ExecutorUnavailable(f"{where}: could not connect to a Ray cluster ({first}); start one with "
                                          "`ray start --head` on the head node (docs/campaigns.md)") from None
            _errors_to_stderr()
        self._remote = ray.remote(_run_task).options(max_retries=retries, num_cpus=1)
        self._refs: dict[Future, Any] = {}
        self._lock = threading.Lock()
        self.tasks_per_node: Counter[str] = Counter()  # the tasks that finished, by the id of the node that ran them

    def submit(self, task: Task) -> Future:
        """Send `task` to the cluster; a future of its result (or of why it was lost)."""
        ref = self._remote.remote(task, code_fingerprint(_fingerprinted(task)))
        future: Future = Future()

        def relay(done: Future) -> None:
            try:
                node, result = done.result()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
                _settle(future, exception=exc)
                return
            with self._lock:
                self.tasks_per_node[node] += 1
            _settle(future, result=result)

        ref.future().add_done_callback(relay)
        self._refs[future] = ref
        return future

    def summary(self) -> str:
        """Where the finished tasks ran, for a line at the end of a campaign."""
        if not self.tasks_per_node:
            return "ray: no task finished"
        counts = ", ".join(str(n) for n in sorted(self.tasks_per_node.values(), reverse=True))
        return f"ray: {sum(self.tasks_per_node.values())} task(s) ran on {len(self.tasks_per_node)} node(s) ({counts})"

    def as_completed(self, futures: Iterable[Future]) -> Iterator[Future]:
        """Each future as its task finishes, wherever it ran."""
        return futures_as_completed(list(futures))

    def shutdown(self, cancel: bool = False) -> None:
        """Cancel (with `cancel`) the tasks not finished, and disconnect from the cluster if this executor connected."""
        if cancel:
            for future, ref in self._refs.items():
                if future.cancelled() or not future.done():  # run_tasks cancels the futures it stops waiting for
                    try:
                        self._ray.cancel(ref)
                    except Exception:  # noqa: BLE001 - already finished or lost: nothing to cancel
                        pass
        self._refs.clear()
        if self._owns and self._ray.is_initialized():
            self._ray.shutdown()


def _check_reachable(address: str | None, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Raise ExecutorUnavailable at once when nothing listens at a HOST:PORT address (`ray.init` would wait minutes)."""
    if not address or "://" in address or ":" not in address:
        return  # auto, a ray:// client address, or none: Ray looks it up itself
    host, _, port = address.rpartition(":")
    if not port.isdigit():
        raise ExecutorUnavailable(f"--address {address}: give the head node as HOST:PORT (the port `ray start --head` printed)")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise ExecutorUnavailable(f"--address {address}: nothing answers there ({exc.strerror or exc}); start the cluster's "
                                  f"head with `ray start --head --port {port}` (docs/campaigns.md)") from None


def _errors_to_stderr() -> None:
    """Send the cluster's error messages (a worker lost, its task retried) to stderr: Ray's driver prints them on
    stdout, where `--json -` writes the report. Ray's own printing function, wrapped; left alone if Ray has none."""
    import ray._private.worker as ray_worker

    printer = getattr(ray_worker, "print_to_stdstream", None)
    if printer is None or getattr(printer, "envport_to_stderr", False):
        return

    def to_stderr(data: dict, *args: Any, **kwargs: Any) -> Any:
        return printer({**data, "is_err": True}, *args, **kwargs)

    to_stderr.envport_to_stderr = True  # type: ignore[attr-defined]
    ray_worker.print_to_stdstream = to_stderr


def _settle(future: Future, result: Any = None, exception: BaseException | None = None) -> None:
    """Resolve `future` unless the caller cancelled it meanwhile."""
    try:
        if exception is not None:
            future.set_exception(exception)
        else:
            future.set_result(result)
    except InvalidStateError:  # cancelled: nobody waits for it
        pass


def _fingerprinted(task: Task) -> tuple[str, ...]:
    """The folders, beyond envs/ and verify/, whose code a task's results depend on (its `fingerprinted`)."""
    return tuple(getattr(task, "fingerprinted", ()))


def _runtime_env(env: dict[str, str] | None = None) -> dict[str, Any] | None:
    """The environment of the cluster's workers for this driver: its ports folders, so they find the same user ports
    (at the same paths), and `env` (a batch of translate runs: the agent's API key, which so travels in no task)."""
    from envs.registry import PORTS_ENV

    variables = {PORTS_ENV: os.environ[PORTS_ENV]} if os.environ.get(PORTS_ENV) else {}
    variables.update(env or {})
    return {"env_vars": variables} if variables else None
