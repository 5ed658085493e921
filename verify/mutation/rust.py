"""Mutation analysis of the Rust translations: plant one bug at a time in a port's Rust
module, build the crate, and see which verification level notices.

The mutants are text edits of the module's code outside comments, strings,
attributes and `#[cfg(test)]` modules, on tokens as rustfmt writes them (a binary
operator has a space on each side, so `Vec<u8>`, `&x`, `*x` and `->` are left alone):

- arith: `+` <-> `-`, `*` <-> `/`, and the same for `+=`, `-=`, `*=`, `/=`, `<<` <-> `>>`
- compare: `<` -> `<=` / `>`, `<=` -> `<`, `>` -> `>=` / `<`, `>=` -> `>`, `==` <-> `!=`
- logical: `&&` <-> `||`, `&` <-> `|` (bit masks)
- sign: a unary minus removed
- constant: an integer k -> k+1 / k-1, a float x -> 1.01x / 0.5x, `true` <-> `false`
- minmax: `.min(` <-> `.max(`

Each mutant is built in a private copy of the crate (`RustMutantWorker`) with the
`mutant` profile: no optimisation, incremental, so a rebuild after a one-token edit
takes a second or two instead of the release profile's minute. Floating point is the
same at every optimisation level in Rust (no fast-math, no contraction). A mutant the
compiler rejects is *unviable*: it is not a bug the verifier could have missed, and
it is left out of the kill rate. The built extension is then verified by
`python -m verify.mutation.worker --backend rust` in a fresh process, with the
mutant's `envport_rust` first on its import path.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from verify.mutation.analysis import analyse, mutation_options, select_mutants
from verify.mutation.equivalence import mark_reviewed
from verify.mutation.mutants import HARNESS_ERROR, TIMEOUT, UNVIABLE, GeneratedMutants, Mutant, unified_diff
from verify.mutation.pool import WorkerOptions, WorkerOutcome, outcome_of
from verify.process import child_env, run_command
from verify.rust_build import CRATE, cargo_build, compiler_errors

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
RUST_OPERATORS = ("arith", "compare", "logical", "sign", "constant", "minmax")

MUTANT_PROFILE = """
[profile.mutant]
inherits = "release"
opt-level = 0
lto = false
codegen-units = 16
incremental = true
"""

_BINARY_SWAPS = {
    "+": (("-", "arith"),), "-": (("+", "arith"),), "*": (("/", "arith"),), "/": (("*", "arith"),),
    "+=": (("-=", "arith"),), "-=": (("+=", "arith"),), "*=": (("/=", "arith"),), "/=": (("*=", "arith"),),
    "<<": ((">>", "arith"),), ">>": (("<<", "arith"),),
    "<": (("<=", "compare"), (">", "compare")), "<=": (("<", "compare"),),
    ">": ((">=", "compare"), ("<", "compare")), ">=": ((">", "compare"),),
    "==": (("!=", "compare"),), "!=": (("==", "compare"),),
    "&&": (("||", "logical"),), "||": (("&&", "logical"),), "&": (("|", "logical"),), "|": (("&", "logical"),),
}
# longest first, so `<=` is not read as `<`; a space on each side, as rustfmt writes binary operators
_BINARY = re.compile(r"(?<= )(" + "|".join(re.escape(s) for s in sorted(_BINARY_SWAPS, key=len, reverse=True)) + r")(?= )")
_UNARY_MINUS = re.compile(r"(?<=[\s(\[,])-(?=[\w(])")
_FLOAT = re.compile(r"(?<![\w.])(\d[\d_]*\.\d[\d_]*(?:e[+-]?\d+)?|\d[\d_]*e[+-]?\d+)(_?f64|_?f32)?(?![\w.])")
_INT = re.compile(r"(?<![\w.])(\d[\d_]*)(_?(?:i8|i16|i32|i64|isize|u8|u16|u32|u64|usize))?(?![\w]|\.\d)")
_BOOL = re.compile(r"\b(true|false)\b")
_MINMAX = re.compile(r"\.(min|max)\(")
_SKIPPED_LINE = re.compile(r"^\s*(use |pub use |mod |pub mod |#|debug_assert)")


def mask_non_code(source: str) -> str:
    """`source` with comments, string and char literals, attributes and `#[cfg(test)]` modules
    blanked out (newlines kept, so offsets and line numbers are unchanged)."""
    out = list(source)
    i, n = 0, len(source)

    def blank(start: int, end: int) -> None:
        for k in range(start, end):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = source[i]
        if source.startswith("//", i):
            end = source.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            blank(i, end)
            i = end
        elif c == '"':
            j = i + 1
            while j < n and source[j] != '"':
                j += 2 if source[j] == "\\" else 1
            blank(i, j + 1)
            i = j + 1
        elif c == "'" and (m := re.match(r"'(\\.|[^\\'])'", source[i:])):
            blank(i, i + m.end())
            i += m.end()
        else:
            i += 1
    code = "".join(out)
    for m in list(re.finditer(r"#\[cfg\(test\)\]", code)):  # the test module, to its closing brace
        open_at = code.find("{", m.end())
        if open_at >= 0:
            blank(m.start(), _closing(code, open_at, "{", "}") + 1)
    code = "".join(out)
    for m in re.finditer(r"#!?\[", code):  # attributes, to their closing bracket
        blank(m.start(), _closing(code, m.end() - 1, "[", "]") + 1)
    return "".join(out)


def _closing(code: str, open_at: int, opening: str, closing: str) -> int:
    """The index of the bracket that closes the one at `open_at` (the last index of `code` if none does)."""
    depth = 0
    for j in range(open_at, len(code)):
        depth += (code[j] == opening) - (code[j] == closing)
        if depth == 0:
            return j
    return len(code) - 1


def _float_text(value: float) -> str:
    text = repr(value)
    return text if "." in text or "e" in text else text + ".0"


def _edits(code: str) -> list[tuple[int, int, str, str, str]]:
    """(start, end, replacement, operator, description) of every mutation of the masked `code`."""
    edits = []
    for m in _BINARY.finditer(code):
        for new, operator in _BINARY_SWAPS[m.group(1)]:
            edits.append((m.start(), m.end(), new, operator, f"{m.group(1)} -> {new}"))
    for m in _UNARY_MINUS.finditer(code):
        edits.append((m.start(), m.end(), "", "sign", "unary minus removed"))
    floats = []
    for m in _FLOAT.finditer(code):
        floats.append((m.start(), m.end()))
        value = float(m.group(1).replace("_", ""))  # the type suffix, if any, stays
        for new, label in ((value * 1.01, "x1.01"), (value * 0.5, "x0.5")):
            if new != value:
                edits.append((m.start(), m.start() + len(m.group(1)), _float_text(new), "constant", f"{m.group(1)} -> {new!r} ({label})"))
    for m in _INT.finditer(code):
        if any(s <= m.start() < e for s, e in floats):
            continue
        value = int(m.group(1).replace("_", ""))
        for new, label in ((value + 1, "+1"), (value - 1, "-1")):
            edits.append((m.start(), m.start() + len(m.group(1)), str(new), "constant", f"{value} -> {new} ({label})"))
    for m in _BOOL.finditer(code):
        new = "false" if m.group(1) == "true" else "true"
        edits.append((m.start(), m.end(), new, "constant", f"{m.group(1)} -> {new}"))
    for m in _MINMAX.finditer(code):
        new = "max" if m.group(1) == "min" else "min"
        edits.append((m.start(1), m.end(1), new, "minmax", f".{m.group(1)}( -> .{new}("))
    return sorted(edits, key=lambda e: (e[0], RUST_OPERATORS.index(e[3])))


def generate_rust_mutants(source: str, filename: str) -> GeneratedMutants:
    """Every mutant of a Rust module's code (see the module docstring), in source order."""
    code = mask_non_code(source)
    lines = source.splitlines()
    mutants: list[Mutant] = []
    skipped = 0
    for start, end, new, operator, description in _edits(code):
        line = source.count("\n", 0, start) + 1
        if _SKIPPED_LINE.match(lines[line - 1]):
            skipped += 1
            continue
        mutated = source[:start] + new + source[end:]
        mutants.append(Mutant(f"R{len(mutants) + 1:03d}", operator, line, description, unified_diff(source, mutated, filename), mutated))
    return GeneratedMutants(mutants, [f"{skipped} edits on `use`, `mod`, attribute and debug_assert lines"] if skipped else [])


def rust_source_of(port: Any) -> Path:
    """The module of `rust_envs/` that translates `port`'s dynamics (the port's `rust_source`)."""
    if not port.rust_source:
        raise FileNotFoundError(f"{port.name}: the port declares no Rust module (Port.rust_source)")
    path = CRATE / port.rust_source
    if not path.is_file():
        raise FileNotFoundError(f"{port.name}: no Rust module at {path}")
    return path


def rust_mutants_for_port(port: Any, source_file: Path | None = None) -> GeneratedMutants:
    """The mutants of a port's Rust module (or `source_file`, another module of the crate the port uses),
    with the reviewed equivalents (equivalent_mutants.toml, backend "rust") marked."""
    path = source_file or rust_source_of(port)
    generated = generate_rust_mutants(path.read_text(), str(path.resolve().relative_to(REPO_ROOT)))
    return mark_reviewed(generated, port.name, backend="rust")


class RustMutantWorker:
    """Builds and verifies mutants of one Rust module in a private copy of the crate.

    `verify(source, timeout_s)` writes `source` as the module, builds the extension (a
    compile error is the UNVIABLE level) and verifies it in a fresh process killed at the
    limit; it never raises for a bad mutant. Use as a context manager, or call `close()`.
    """

    def __init__(self, port_name: str, module: Path, options: WorkerOptions, build_timeout_s: float = 900.0):
        self.port_name = port_name
        self.options = options
        self.build_timeout_s = build_timeout_s
        self._tmp = tempfile.TemporaryDirectory(prefix="envport_rust_mutants_")
        self.crate = Path(self._tmp.name) / "crate"
        self.module = self.crate / module.resolve().relative_to(CRATE)
        self._jobs = 0

    def __enter__(self) -> "RustMutantWorker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Remove the crate copy and its build."""
        self._tmp.cleanup()

    def _copy_crate(self) -> None:
        self.crate.mkdir(parents=True)
        shutil.copy2(CRATE / "Cargo.lock", self.crate / "Cargo.lock")
        shutil.copytree(CRATE / "src", self.crate / "src")
        (self.crate / "Cargo.toml").write_text((CRATE / "Cargo.toml").read_text() + MUTANT_PROFILE)

    def build(self, source: str) -> tuple[Path | None, str]:
        """Build the crate with `source` as the module: (the extension, "") or (None, the compiler's errors)."""
        if not self.crate.exists():
            self._copy_crate()
        self.module.write_text(source)
        result = cargo_build(self.crate, "mutant", self.build_timeout_s)
        if result.timed_out:
            return None, f"cargo build did not finish within {self.build_timeout_s:.0f} s"
        if result.returncode != 0:
            return None, compiler_errors(result.output, 1500)
        return self.crate / "target" / "mutant" / "libenvport_rust.so", ""

    def _harvested(self) -> Path:
        """L1's pool of rollout states, harvested once from the unmutated JAX translation (as for
        JAX mutants, verify.mutation.worker), so that every mutant starts from the same states and
        a mutant's worker does not spend a minute of rollouts on it."""
        path = Path(self._tmp.name) / "harvested.pkl"
        if not path.exists():
            from verify.precision import enable_verification_numerics, verification_numerics_enabled

            if not verification_numerics_enabled():
                enable_verification_numerics()
            from envs import get_port
            from verify.mutation.worker import original_states

            path.write_bytes(pickle.dumps(original_states(get_port(self.port_name), self.options.seed)))
        return path

    def verify(self, source: str, timeout_s: float, guided: bool | None = None,
               level_timeout_s: float | None = None) -> WorkerOutcome:
        """Build and verify one version of the module; the limit covers the verification, not the build.
        `guided`: L1's guided search on or off for this version (None: as the worker's options say).
        `level_timeout_s`: a level running longer kills the version there (`time limit`)."""
        start = time.monotonic()
        built, errors = self.build(source)
        if built is None:
            return WorkerOutcome(False, UNVIABLE, errors, time.monotonic() - start)
        self._jobs += 1
        site = Path(self._tmp.name) / f"m{self._jobs}"
        site.mkdir()
        shutil.copy2(built, site / "envport_rust.so")
        options = self.options if guided is None else dataclasses.replace(self.options, guided=guided)
        cmd = [sys.executable, "-m", "verify.mutation.worker", self.port_name, "--backend", "rust", *options.argv(),
               "--harvested", str(self._harvested())]
        cmd += [] if level_timeout_s is None else ["--level-timeout", str(level_timeout_s)]
        result = run_command(cmd, cwd=REPO_ROOT, timeout=timeout_s, env=child_env(site, REPO_ROOT))
        shutil.rmtree(site, ignore_errors=True)
        seconds = time.monotonic() - start
        if result.timed_out:
            return WorkerOutcome(False, TIMEOUT, f"verification did not finish within {timeout_s:.0f} s", seconds)
        for line in reversed(result.output.splitlines()):
            if line.startswith("{"):
                try:
                    out = json.loads(line)
                except json.JSONDecodeError:
                    continue
                return outcome_of(out, seconds)
        return WorkerOutcome(False, HARNESS_ERROR, f"the worker exited with {result.returncode} and no verdict:\n{result.output[-1500:]}", seconds)


@dataclass(frozen=True)
class RustWorkers:
    """Makes the `RustMutantWorker`s of one analysis (hashable and picklable, as verify.mutation.pool.JaxWorkers):
    `module` is relative to the crate, so a worker on another machine builds its own checkout's copy."""

    port_name: str
    module: Path
    options: WorkerOptions

    def __call__(self) -> RustMutantWorker:
        return RustMutantWorker(self.port_name, CRATE / self.module, self.options)


def run_rust_mutation_analysis(
    port: Any,
    *,
    source_file: Path | None = None,
    max_mutants: int | None = None,
    timeout_s: float | None = None,
    workers: int = 2,
    options: Any | None = None,
    progress: Callable[[str], None] = lambda msg: None,
    journal: str | Path | None = None,
    executor: Any | None = None,
    guided: bool = False,
) -> dict[str, Any]:
    """Mutation analysis of `port`'s Rust module (or `source_file`); the summary `run_mutation_analysis` gives
    for JAX, with `unviable` (mutants the compiler rejects, outside the kill rate). `guided`: L1 runs its
    guided search for each mutant (verify.mutation.analysis).

    The unmutated module is built and verified first; the analysis stops if it fails. `executor`: where the
    mutants are built and verified (verify.mutation.analysis.analyse).
    """
    start = time.perf_counter()
    if "rust" not in port.backends:
        raise RuntimeError(f"{port.name} has no Rust translation (its backends: {', '.join(port.backends)})")
    options = mutation_options(options, guided)
    module = (source_file or rust_source_of(port)).resolve()
    generated = rust_mutants_for_port(port, module)
    selected = select_mutants(generated.mutants, max_mutants)
    worker_options = WorkerOptions(examples=options.examples, episodes=options.episodes, policies=tuple(options.policies),
                                   seed=options.seed, guided=guided, one_replay_process=workers > 1)
    analysis = analyse(
        port, module.read_text(), generated, selected,
        make_worker=RustWorkers(port.name, module.relative_to(CRATE), worker_options),
        timeout_s=timeout_s, workers=workers, options=options, progress=progress, check_original=True, start=start,
        journal=Path(journal) if journal is not None else None, backend="rust", executor=executor, guided=guided,
    )
    analysis["module"] = str(module.relative_to(REPO_ROOT))
    return analysis
