"""A mutant (one planted bug: where, what, the edited source) and what generating them gives."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

UNVIABLE = "build"  # the level of a mutant that does not build (Rust): the compiler rejected it, no bug was planted
# The "levels" of the two faults, which are verdicts on nothing: neither counts as a kill.
TIMEOUT = "timeout"  # the verification did not finish within the mutant's time limit (a hang, or a machine too slow)
HARNESS_ERROR = "error"  # the worker crashed or raised outside a level, so no level gave a verdict


@dataclass
class Mutant:
    """One planted bug: where, what, and the edited source."""

    id: str
    operator: str
    line: int
    description: str
    diff: str
    source: str
    equivalent: str | None = None  # the reason, when a rule proves the mutant equivalent

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, without the (long) source."""
        out = {"id": self.id, "operator": self.operator, "line": self.line, "description": self.description, "diff": self.diff}
        if self.equivalent:
            out["equivalent"] = self.equivalent
        return out


@dataclass
class GeneratedMutants:
    """The mutants of one source, and what generation left out and why."""

    mutants: list[Mutant]
    skipped: list[str] = field(default_factory=list)


def unified_diff(original: str, mutated: str, filename: str) -> str:
    lines = difflib.unified_diff(
        original.splitlines(keepends=True), mutated.splitlines(keepends=True), f"a/{filename}", f"b/{filename}", n=1
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
