"""Child processes with a time limit: each runs in its own process group, and the whole group is
killed when the limit passes (or when the parent is interrupted), so a hang in generated code, or
in anything it started, cannot outlive the check.

The one place envport starts subprocesses: the verifier's load and float32 checks, mutation
workers and fingerprinting, Rust builds, and the agent's commands in its workspace.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SECRET_VARIABLES = ("OPENAI_API_KEY", "ENVPORT_LIVE_API_KEY")
DRAIN_TIMEOUT_S = 5.0  # after a kill, how long to wait for what the group had written


@dataclass
class CommandResult:
    """What a command did: exit status (None when killed for time), output, and whether it timed out.

    `output` is stdout, with stderr merged into it unless the command ran with `stderr="separate"`
    (then stderr is in `stderr`) or `stderr="discard"`.
    """

    returncode: int | None
    output: str
    timed_out: bool
    seconds: float
    stderr: str = ""


def start_group(cmd: list[str] | str, **popen_kwargs) -> subprocess.Popen:
    """`subprocess.Popen(cmd, ...)` as the leader of a new process group (see `kill_group`), text mode."""
    return subprocess.Popen(cmd, start_new_session=True, text=True, errors="replace", **popen_kwargs)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group that `proc` leads (it was started by `start_group`), and reap `proc`."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


@functools.cache
def isolation_prefix() -> tuple[str, ...]:
    """The command prefix that runs a child in its own PID namespace with its own /proc, so that code it runs cannot
    see other processes (nor read their environment or memory, where an API key may be); () where the system has no
    way to (then `child_env` still keeps the keys out of the child's own environment)."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return ()
    base = ("unshare", "--pid", "--fork", "--mount-proc", "--kill-child")
    for prefix in (base, (base[0], "--user", "--map-root-user", *base[1:])):  # as root; else in a user namespace
        try:
            probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return prefix
    return ()


def run_command(
    cmd: list[str] | str,
    cwd: Path | str | None = None,
    timeout: float = 600.0,
    env: dict[str, str] | None = None,
    shell: bool = False,
    stderr: Literal["merge", "separate", "discard"] = "merge",
    isolated: bool = False,
) -> CommandResult:
    """Run a command in its own process group, stdin closed; at `timeout` seconds kill the whole group
    (what it wrote until then is kept). `env`: the child's whole environment (None: ours). `isolated`: for
    untrusted code, run it in its own PID namespace (`isolation_prefix`) where the system allows."""
    start = time.perf_counter()
    prefix = isolation_prefix() if isolated else ()
    if prefix:
        cmd, shell = [*prefix, *(["/bin/sh", "-c", cmd] if shell else cmd)], False
    err = {"merge": subprocess.STDOUT, "separate": subprocess.PIPE, "discard": subprocess.DEVNULL}[stderr]
    proc = start_group(
        cmd, cwd=None if cwd is None else str(cwd), env=env, shell=shell,
        stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
    )
    try:
        output, errors = proc.communicate(timeout=timeout)
        return CommandResult(proc.returncode, output or "", False, time.perf_counter() - start, errors or "")
    except subprocess.TimeoutExpired:
        kill_group(proc)
        try:
            output, errors = proc.communicate(timeout=DRAIN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            output, errors = "", ""
        return CommandResult(None, output or "", True, time.perf_counter() - start, errors or "")
    except BaseException:
        kill_group(proc)
        raise


def head_tail(text: str, limit: int = 8000) -> str:
    """`text` cut to its head and tail when longer than `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half} characters left out ...]\n{text[-half:]}"


MAP_COUNT_FILE = Path("/proc/sys/vm/max_map_count")


def crash_cause(output: str) -> str:
    """A line (with its newline) naming the likely cause and the fix of a crashed process whose output shows a known
    sign, to put before that output; '' if none."""
    if "LLVM compilation error: Cannot allocate memory" in output:
        limit = MAP_COUNT_FILE.read_text().strip() if MAP_COUNT_FILE.is_file() else "unknown"
        return ("XLA could not map a compiled program's code. Most often the process reached the kernel's limit on "
                f"memory maps (vm.max_map_count = {limit}): every program XLA compiles keeps its code mapped, and a "
                "translation with many gathered or unrolled copies of a loop compiles many. Compile fewer programs or "
                "smaller ones, or raise the limit (sudo sysctl -w vm.max_map_count=262144); else the machine ran out "
                "of memory.\n")
    return ""


def last_lines(text: str, count: int) -> str:
    """The last `count` lines of `text`, stripped."""
    return "\n".join(text.strip().splitlines()[-count:])


def workspace_env(*import_paths: Path) -> dict[str, str]:
    """`child_env` for code that imports a translate workspace: no ports folders, so that a user port of the same
    package name (an earlier promotion of the port being translated again) cannot stand in for the workspace's."""
    from envs.registry import PORTS_ENV

    return {**child_env(*import_paths), PORTS_ENV: ""}


def child_env(*import_paths: Path) -> dict[str, str]:
    """The environment for untrusted code: ours without API keys, with `import_paths` importable first, then what
    this process can import from (its PYTHONPATH, and its sys.path outside the Python installation: the user's own
    folders, a reference file's folder), so a user's modules import in every subprocess wherever it runs."""
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    installed = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    ours = [os.path.abspath(p or os.curdir) for p in sys.path]
    ours = [p for p in ours if os.path.isdir(p) and not any(os.path.realpath(p).startswith(i + os.sep) or os.path.realpath(p) == i
                                                                for i in installed)]
    paths = [str(p) for p in import_paths] + os.environ.get("PYTHONPATH", "").split(os.pathsep) + ours
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(os.path.abspath(p) for p in paths if p))
    return env
