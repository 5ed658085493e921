"""Branch coverage of the reference's own source while a level compares.

Python 3.11 has no `sys.monitoring`, so this is a small line tracer: `sys.settrace` is set only
for the length of each reference reset or step that the lockstep runs (`Lockstep.measure`), and
it traces only frames whose code lies in the reference's own files: the package directory of the
module that defines the unwrapped reference class (`gymnasium/envs/classic_control/` for
cartpole, `minatar/` for the MinAtar games, the module file alone for a top-level module). It
records, per frame, which line follows which (`arcs`). numpy, Gymnasium's wrappers and envport
are never traced, and nothing is traced while the translation runs.

A *branch* is one outcome of an `if`, `elif`, `while` or `for` statement (a loop's outcomes: it
enters its body, or it ends), found by reading the file with `ast`. The outcome "true" is covered
when a line of the test is followed by the first statement of the body; "false" when it is
followed by any other line, or by the function's return. Only branches inside functions the
reference entered during the measurement count (its `step` and `reset` and whatever they call in
its package), so a file's unrelated code (a vector env, a renderer never called) does not count;
a branch inside an entered function that can never run (a `render_mode` test, an error path for
invalid input) does, and a port names it with its reason in `Port.extra["unreachable_branches"]`:
entries `(file suffix, text of the condition's line, reason)` or `(file suffix, text, outcome,
reason)` with outcome `"true"` or `"false"`; the text may run on into the start of the body's first
line, after one space, where the condition's line alone is ambiguous. Constant tests (`while True`) have no branches.
One-line `if x: y` statements cannot be told apart by lines and are left out.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import linecache
import os
import sys
import threading
from dataclasses import dataclass
from typing import Any, Iterator

EXIT = -1  # the arc's end when the function returns


@dataclass(frozen=True)
class Branch:
    """One outcome of a condition: `line` is where the test starts, `dest` the line this outcome goes to."""

    path: str
    line: int
    test: tuple[int, int]  # first and last line of the test (or of a for loop's header)
    outcome: str  # "true" (body entered) or "false"
    dest: int  # first line this outcome runs (EXIT: the function returns)
    body: tuple[int, int]  # lines of the body's first statement (the true outcome's destination)
    func: int  # the enclosing function's first line, as its code object's co_firstlineno


def _first_line(node: ast.AST) -> int:
    return min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno])


class _Successors:
    """The line that runs after a statement falls off its end, from the statements' parents."""

    def __init__(self, tree: ast.AST):
        self.place: dict[int, tuple[ast.AST, str, list]] = {}
        for parent in ast.walk(tree):
            for name in ("body", "orelse", "finalbody"):
                block = getattr(parent, name, None)
                if isinstance(block, list):
                    for stmt in block:
                        if isinstance(stmt, ast.stmt):
                            self.place[id(stmt)] = (parent, name, block)
            if isinstance(parent, ast.Try) or type(parent).__name__ == "TryStar":
                for handler in parent.handlers:
                    for stmt in handler.body:
                        self.place[id(stmt)] = (parent, "handler", handler.body)

    def after(self, stmt: ast.stmt) -> int:
        parent, name, block = self.place.get(id(stmt), (None, "", []))
        index = next((i for i, s in enumerate(block) if s is stmt), -1)
        if 0 <= index < len(block) - 1:
            return block[index + 1].lineno
        if parent is None or isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            return EXIT
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.While)) and name == "body":
            return parent.lineno  # back to the loop's test
        return self.after(parent)


@functools.lru_cache(maxsize=None)
def file_branches(path: str) -> tuple[Branch, ...]:
    """Every branch in functions of the Python file at `path` (none when it cannot be read or parsed)."""
    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
    except (OSError, SyntaxError, ValueError):
        return ()
    successors = _Successors(tree)
    branches: list[Branch] = []

    def visit(node: ast.AST, func: int | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = _first_line(child) if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else func
            if func is not None and isinstance(child, (ast.If, ast.While, ast.For, ast.AsyncFor)):
                branches.extend(_branches_of(path, child, func, successors))
            visit(child, inner)

    visit(tree, None)
    return tuple(branches)


def _branches_of(path: str, node: ast.stmt, func: int, successors: _Successors) -> list[Branch]:
    head = node.test if isinstance(node, (ast.If, ast.While)) else node.iter
    if isinstance(head, ast.Constant):
        return []  # `while True`: no choice is made
    test = (node.lineno, head.end_lineno or node.lineno)
    first = node.body[0]
    body = (first.lineno, first.end_lineno or first.lineno)
    if body[0] <= test[1]:
        return []  # `if x: y` on one line: the outcomes share a line
    false_dest = node.orelse[0].lineno if node.orelse else successors.after(node)
    return [
        Branch(path, node.lineno, test, "true", body[0], body, func),
        Branch(path, node.lineno, test, "false", false_dest, body, func),
    ]


def reference_files(reference: Any) -> tuple[str, str | None]:
    """(directory or file measured, root the report's paths are relative to) for a reference environment.

    The package of the reference's unwrapped class, unless that class names the code that plays the game in a
    `coverage_target` attribute (a file or a directory): a face over an upstream game (RLCard's, behind
    `envs.rlcard.gym_face`) is measured where the game's rules are, not where the face is."""
    unwrapped = getattr(reference, "unwrapped", reference)
    target = getattr(unwrapped, "coverage_target", None)
    if target:
        path = os.path.realpath(str(target))
        return (path + os.sep if os.path.isdir(path) else path), os.path.dirname(path)
    module = sys.modules.get(type(unwrapped).__module__)
    path = os.path.realpath(getattr(module, "__file__", "") or "")
    package = getattr(module, "__package__", "") or ""
    if not package:
        return path, os.path.dirname(path)
    top = sys.modules.get(package.split(".")[0])
    top_dir = os.path.dirname(os.path.realpath(getattr(top, "__file__", path) or path))
    return os.path.dirname(path) + os.sep, os.path.dirname(top_dir)


class BranchTracer:
    """Records the reference's line arcs while `tracing()` is active; summarises its branch coverage."""

    def __init__(self, reference: Any, unreachable: tuple = ()):
        self.target, self.root = reference_files(reference)
        self.unreachable = tuple(unreachable)
        self.arcs: set[tuple[str, int, int]] = set()
        self.entered: set[tuple[str, int]] = set()
        self._wanted: dict[str, bool] = {}
        self.measured = True  # False once another tracer (a debugger, coverage.py) was found in the way
        self.guided: dict[str, Any] | None = None  # what verify.guided did, for the summary

    def _is_target(self, filename: str) -> bool:
        hit = self._wanted.get(filename)
        if hit is None:
            real = os.path.realpath(filename)
            hit = self._wanted[filename] = real == self.target or (self.target.endswith(os.sep) and real.startswith(self.target))
        return hit

    def _global(self, frame, event, arg):
        code = frame.f_code
        if event != "call" or not self._is_target(code.co_filename):
            return None
        path = code.co_filename
        self.entered.add((path, code.co_firstlineno))
        arcs = self.arcs
        last = [EXIT]

        def local(frame, event, arg):
            if event == "line":
                arcs.add((path, last[0], frame.f_lineno))
                last[0] = frame.f_lineno
            elif event == "return":
                arcs.add((path, last[0], EXIT))
            return local

        return local

    @contextlib.contextmanager
    def tracing(self) -> Iterator[None]:
        """Trace the reference's files for the length of the block (the main thread only)."""
        previous = sys.gettrace()
        if previous is not None or threading.current_thread() is not threading.main_thread():
            self.measured = False  # never replace someone else's tracer
            yield
            return
        sys.settrace(self._global)
        try:
            yield
        finally:
            sys.settrace(previous)

    @contextlib.contextmanager
    def probing(self) -> Iterator[tuple[set, set]]:
        """Record into fresh sets (yielded) instead of the coverage; nothing a probe runs counts as covered."""
        kept = self.arcs, self.entered
        self.arcs, self.entered = set(), set()
        try:
            yield self.arcs, self.entered
        finally:
            self.arcs, self.entered = kept

    # ----- analysis -------------------------------------------------------------
    def branches(self, entered: set | None = None) -> list[Branch]:
        """The branches of every function the reference entered."""
        entered = self.entered if entered is None else entered
        paths = sorted({path for path, _ in entered})
        return [b for path in paths for b in file_branches(path) if (path, b.func) in entered]

    @staticmethod
    def covers(branch: Branch, arcs: set) -> bool:
        """Whether `arcs` take this outcome of the branch."""
        lo, hi = branch.test
        for path, p, q in arcs:
            if path != branch.path or not lo <= p <= hi or lo <= q <= hi:
                continue
            in_body = branch.body[0] <= q <= branch.body[1]
            if in_body == (branch.outcome == "true"):
                return True
        return False

    def uncovered(self) -> list[Branch]:
        index = _by_path(self.arcs)
        return [b for b in self.branches() if not self.covers(b, index.get(b.path, set()))]

    def reason(self, branch: Branch) -> str | None:
        """The port's declared reason why this branch cannot be reached, or None."""
        source = source_line(branch.path, branch.line)
        source += " " + source_line(branch.path, branch.body[0])  # a declaration may quote the next line too
        for entry in self.unreachable:
            suffix, text, *rest = entry
            outcome, reason = (rest[0], rest[1]) if len(rest) == 2 else (None, rest[0])
            if branch.path.endswith(suffix) and text in source and outcome in (None, branch.outcome):
                return reason
        return None

    def label(self, branch: Branch) -> str:
        """`file:line -> line` (`-> exit` when the outcome returns), the file relative to the package's root."""
        rel = os.path.relpath(branch.path, self.root) if self.root else branch.path
        return f"{rel}:{branch.line} -> {'exit' if branch.dest == EXIT else branch.dest}"

    def summary(self) -> dict[str, Any]:
        """The JSON form: covered, total, every uncovered branch with its source line (and declared reason)."""
        branches = self.branches()
        missing = self.uncovered()
        entries = [
            {"branch": self.label(b), "outcome": b.outcome, "source": source_line(b.path, b.line), "reason": self.reason(b)}
            for b in missing
        ]
        out: dict[str, Any] = {
            "covered": len(branches) - len(missing),
            "total": len(branches),
            "unreachable": sum(e["reason"] is not None for e in entries),
            "uncovered": entries,
            "files": sorted({os.path.relpath(b.path, self.root) if self.root else b.path for b in branches}),
            "measured": self.measured,
        }
        if self.guided is not None:
            out["guided"] = self.guided
        return out


def _by_path(arcs: set) -> dict[str, set]:
    index: dict[str, set] = {}
    for arc in arcs:
        index.setdefault(arc[0], set()).add(arc)
    return index


def source_line(path: str, line: int) -> str:
    """The stripped source text of `path`'s line `line`."""
    return linecache.getline(path, line).strip()


def summary_note(summary: dict[str, Any]) -> str:
    """One line for the CLI and the Markdown report: covered/total, and what is left and why."""
    if not summary.get("measured", True):
        return "reference branch coverage not measured: another tracer (a debugger or coverage.py) is active"
    text = f"reference branch coverage {summary['covered']}/{summary['total']}"
    guided = summary.get("guided")
    if guided:
        text += f" ({guided['before']['covered']}/{guided['before']['total']} before the guided search)"
    open_ = [e for e in summary["uncovered"] if e["reason"] is None]
    if summary["unreachable"]:
        text += f"; {summary['unreachable']} unreachable (declared by the port)"
    if open_:
        shown = ", ".join(e["branch"] for e in open_[:3])
        text += f"; {len(open_)} not reached: {shown}{', ...' if len(open_) > 3 else ''}"
    return text


@contextlib.contextmanager
def measured(lock: Any, port: Any) -> Iterator[BranchTracer]:
    """A tracer over `lock`'s reference, hooked into the lockstep's reference calls for the block."""
    tracer = BranchTracer(lock.ref, port.extra.get("unreachable_branches", ()))
    before = lock.measure
    lock.measure = tracer.tracing
    try:
        yield tracer
    finally:
        lock.measure = before


def attach(result: Any, tracer: BranchTracer) -> None:
    """Put the tracer's summary on a level's result (`coverage`) and its one line in the notes."""
    summary = tracer.summary()
    result.coverage = summary
    result.notes.append(summary_note(summary))
