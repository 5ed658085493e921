"""The one progress display of every command: a live bar on a terminal, timestamped lines otherwise.

`Progress` takes two kinds of news from the work it watches: `message(text)`, what is being
done now (a level starting, a backend being prepared), and `advance(...)`, a count towards a
known total (a level done, a mutant verified, training steps). On a terminal (stderr is a tty)
a rich bar shows the description, the count, the elapsed time and an ETA; otherwise (CI,
`| tee`, nohup) each message is one line `HH:MM:SS what: text` on stderr, and counts print a
line only when they cross a tenth of the total (every count when the total is 20 or less), so
a log is readable and never floods.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress

from recipe.cli.console import err

COUNTER = re.compile(r"\[(\d+)/(\d+)\]")  # "[12/190]" inside a message: 12 of 190 done
EVERY_COUNT_UP_TO = 20  # totals this small print a line for every count


class Progress:
    """Progress of one command on stderr; a context manager. Thread-safe (mutation reports from worker threads)."""

    def __init__(self, what: str, total: float | None = None, unit: str = "", console: Console | None = None, live: bool | None = None):
        self.what, self.total, self.unit = what, total, unit
        self.console = console or err
        self.live = self.console.is_terminal if live is None else live
        self.completed = 0.0
        self._lock = threading.Lock()
        self._printed_tenth = -1
        self._started, self._counted_at_start = time.perf_counter(), 0.0
        self._bar: RichProgress | None = None
        self._task: Any = None
        self._last_line = ""

    def __enter__(self) -> "Progress":
        if self.live:
            columns = [SpinnerColumn(), TextColumn("{task.description}", style="bold", markup=False), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn(), TextColumn("{task.fields[eta]}"), TextColumn("{task.fields[status]}", markup=False)]
            self._bar = RichProgress(*columns, console=self.console, transient=False)
            self._bar.__enter__()
            self._task = self._bar.add_task(self.what, total=self.total, status="", eta="eta -:--")
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc_info)
            self._bar = None

    def restart_clock(self, completed: float | None = None) -> None:
        """Time the ETA from now and the count so far, or `completed` (after a compilation that says nothing about
        the rest)."""
        with self._lock:
            if completed is not None:
                self.completed = completed
            self._started, self._counted_at_start = time.perf_counter(), self.completed

    # ----- news from the work

    def message(self, text: str) -> None:
        """What is being done now. A `[k/n]` counter in the text also sets the count (mutation analysis says so)."""
        counter = COUNTER.search(text)
        if counter:
            done, total = int(counter.group(1)), int(counter.group(2))
            self.advance(completed=done, total=total, text=text)
            return
        with self._lock:
            if self._bar is not None:
                self._bar.update(self._task, status=_short(text))
            elif text != self._last_line:
                self._last_line = text
                self._line(text)

    def advance(self, step: float = 1, *, completed: float | None = None, total: float | None = None, text: str = "") -> None:
        """Count `step` more done (or set `completed`), optionally with a new `total` and a status text."""
        with self._lock:
            self.completed = completed if completed is not None else self.completed + step
            if total is not None and total != self.total:
                # a total first known now (mutation analysis, after its baseline): time the ETA from here
                self.total, self._started, self._counted_at_start = total, time.perf_counter(), self.completed
            if self._bar is not None:
                self._bar.update(self._task, completed=self.completed, total=self.total, status=_short(text), eta=f"eta {self._eta() or '-:--'}")
                return
            if self._should_print():
                self._line(f"{text} [{self._count()}]" if text else self._count())

    # ----- plain lines

    def _should_print(self) -> bool:
        if not self.total:
            return True
        if self.total <= EVERY_COUNT_UP_TO or self.completed >= self.total:
            return True
        tenth = int(10 * self.completed / self.total)
        if tenth > self._printed_tenth:
            self._printed_tenth = tenth
            return True
        return False

    def _count(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if not self.total:
            return f"{self.completed:,.0f}{unit}"
        text = f"{self.completed:,.0f}/{self.total:,.0f}{unit}, {100 * self.completed / self.total:.0f}%"
        eta = self._eta() if 0 < self.completed < self.total else None
        return text + (f", eta {eta}" if eta else "")

    def _eta(self) -> str | None:
        """The time left if the rest goes as fast as what is done so far (None: unknown)."""
        if not self.total or not 0 < self.completed < self.total:
            return "0:00" if self.total and self.completed >= self.total else None
        done = self.completed - self._counted_at_start
        if done <= 0:
            return None
        return _clock((time.perf_counter() - self._started) * (self.total - self.completed) / done)

    def _line(self, text: str) -> None:
        self.console.print(f"{time.strftime('%H:%M:%S')} {self.what}: {text}", markup=False, highlight=False, soft_wrap=True)


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"
