"""Mutation analysis of the Rust translations: which edits are planted, and that a built mutant is
verified (killed by a level) while one the compiler rejects is unviable, outside the kill rate."""

import pytest

from envs import get_port
from envs.rust_backend import rust_available
from verify.mutation.analysis import classify, summarize
from verify.mutation.pool import WorkerOptions
from verify.mutation.rust import (
    RustMutantWorker,
    generate_rust_mutants,
    mask_non_code,
    rust_mutants_for_port,
    rust_source_of,
)
from verify.rust_build import missing_tools

MODULE = '''//! Doc comment with a - b and 3 < 4.
use super::{A, B};

const LIMIT: i64 = 9;

/// Moves `x` by one.
#[inline]
pub fn step(x: i64, left: bool) -> Vec<i64> {
    let s = "a + b";
    let y = if left { (x - 1).max(0) } else { (x + 1).min(LIMIT) };
    if y >= 3 && !left { vec![-y] } else { vec![y * 2] }
}

#[cfg(test)]
mod tests {
    #[test]
    fn t() { assert_eq!(1 + 1, 2); }
}
'''


def _changes(mutants):
    out = set()
    for m in mutants:
        removed = [l[1:].strip() for l in m.diff.splitlines()[2:] if l.startswith("-")]
        added = [l[1:].strip() for l in m.diff.splitlines()[2:] if l.startswith("+")]
        out.add((m.operator, removed[0], added[0]))
    return out


def test_masking_blanks_comments_strings_attributes_and_the_test_module_but_keeps_offsets():
    masked = mask_non_code(MODULE)
    assert len(masked) == len(MODULE) and masked.count("\n") == MODULE.count("\n")
    assert "a - b" not in masked and '"a + b"' not in masked and "#[inline]" not in masked
    assert "assert_eq" not in masked and "mod tests" not in masked
    assert "(x - 1).max(0)" in masked and "const LIMIT: i64 = 9;" in masked


def test_operators_edit_code_tokens_only():
    generated = generate_rust_mutants(MODULE, "m.rs")
    changes = _changes(generated.mutants)
    line = "let y = if left { (x - 1).max(0) } else { (x + 1).min(LIMIT) };"
    assert ("arith", line, line.replace("(x - 1)", "(x + 1)")) in changes
    assert ("minmax", line, line.replace(".max(0)", ".min(0)")) in changes
    assert ("constant", line, line.replace(".max(0)", ".max(1)")) in changes
    cond = "if y >= 3 && !left { vec![-y] } else { vec![y * 2] }"
    assert ("compare", cond, cond.replace(">=", ">")) in changes
    assert ("logical", cond, cond.replace("&&", "||")) in changes
    assert ("sign", cond, cond.replace("[-y]", "[y]")) in changes
    assert ("arith", cond, cond.replace("y * 2", "y / 2")) in changes
    assert ("constant", "const LIMIT: i64 = 9;", "const LIMIT: i64 = 10;") in changes
    touched = {removed for _, removed, _ in changes}
    # comments, strings, attributes, `use`, generics, `->` and the test module are left alone
    assert touched == {line, cond, "const LIMIT: i64 = 9;"}, touched
    assert len({m.id for m in generated.mutants}) == len(generated.mutants)
    assert all(m.source != MODULE for m in generated.mutants)


def test_every_rust_port_has_mutants_in_its_own_module():
    for name in ("cartpole", "mountaincar", "minatar-breakout", "minatar-space-invaders"):
        port = get_port(name)
        path = rust_source_of(port)
        generated = rust_mutants_for_port(port)
        assert path.suffix == ".rs" and len(generated.mutants) > 50, (name, path)
        assert all(m.diff.startswith(f"--- a/rust_envs/src/") for m in generated.mutants)


def test_unviable_mutants_are_outside_the_kill_rate():
    records = [
        classify({"id": "R1", "operator": "arith", "line": 1, "description": "", "diff": "", "level": "L1"}, None),
        classify({"id": "R2", "operator": "constant", "line": 2, "description": "", "diff": "", "level": "build"}, None),
        classify({"id": "R3", "operator": "compare", "line": 3, "description": "", "diff": "", "level": None}, None),
    ]
    summary = summarize("x", records, generated=3, skipped=[], original=None, options={}, seconds=0.0, backend="rust")
    assert [r["status"] for r in records] == ["killed", "unviable", "survived"]
    assert summary["unviable"] == 1 and summary["killed"] == 1 and summary["kill_rate"] == 0.5
    assert summary["backend"] == "rust" and "build" not in summary["killed_by_level"]


@pytest.mark.skipif(bool(missing_tools()) or not rust_available(), reason="needs cargo, maturin and the built Rust extension (`bash setup.sh`)")
def test_a_worker_builds_each_mutant_and_verifies_it_or_calls_it_unviable():
    port = get_port("cartpole")
    path = rust_source_of(port)
    original = path.read_text()
    flipped = next(  # the push goes the wrong way
        m.source for m in rust_mutants_for_port(port).mutants
        if m.operator == "sign" and "let force = if action == 1 { FORCE_MAG } else { FORCE_MAG };" in m.source
    )
    broken = original.replace("pub struct", "pub strukt", 1)
    options = WorkerOptions(examples=30, episodes=3, policies=("uniform",))
    with RustMutantWorker(port.name, path, options) as worker:
        unviable = worker.verify(broken, timeout_s=300)
        killed = worker.verify(flipped, timeout_s=300)
    assert not unviable.killed and unviable.level == "build" and "error" in unviable.message, unviable
    assert killed.killed and killed.level in ("L1", "L3"), killed
    assert path.read_text() == original  # the project's module is never touched
