"""A level's time limit: a translation whose step never returns stops the verifier with a verdict instead of hanging it.

A compiled JAX program (or a Rust call) cannot be interrupted from Python: an endless `lax.while_loop` keeps the
level's thread inside XLA for ever. So the limit is kept by a watchdog thread: when a level runs past it, the thread
calls the process's handler (which records the level as failed with the check `time limit` and writes what the
process owes its caller: a report, a mutant's verdict) and then ends the process with `os._exit`. Only a process
that runs verification and nothing else sets a limit: `envport verify`, the translate loop's verifier process and
the mutation workers (see `verify.levels.run_level`).
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

TIME_LIMIT_CHECK = "time limit"
HANG_EXIT = 1  # the process's status after a hang: a failed verification

# (level name, limit in seconds, message) -> None; called on the watchdog thread, which exits the process after it.
HangHandler = Callable[[str, float, str], None]


def hang_message(level: str, limit_s: float) -> str:
    """What a level that ran past its limit is reported with."""
    return (f"{level} did not finish within {limit_s:.0f} s and the verifier stopped it: a reset or step that never "
            "returns (an endless lax.while_loop or loop, whose condition a wrong value keeps true), or a machine far "
            "slower than the limit assumes")


@contextmanager
def level_time_limit(level: str, limit_s: float, on_hang: HangHandler) -> Iterator[None]:
    """Run the body under a watchdog: past `limit_s` seconds, `on_hang(level, limit_s, message)` and exit the process."""
    finished = threading.Event()

    def watch() -> None:
        if finished.wait(limit_s):
            return
        try:
            on_hang(level, limit_s, hang_message(level, limit_s))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(HANG_EXIT)

    thread = threading.Thread(target=watch, name=f"envport-{level}-time-limit", daemon=True)
    thread.start()
    try:
        yield
    finally:
        finished.set()
