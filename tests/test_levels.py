"""The table of levels (verify.levels): what derives from it, what is skipped where and why, and that the
load check and a level's crash are handled by the table, not by the callers."""

import pytest

from envs import get_port
from verify import levels
from verify.levels import LEVELS, LevelContext, VerifyOptions, run_level, run_levels
from verify.runner import AVAILABLE_LEVELS, DEFAULT_LEVELS, parse_levels, verify_port

CARTPOLE = get_port("cartpole")


def test_the_level_lists_derive_from_the_table():
    assert [level.name for level in LEVELS] == ["L0", "D", "L1", "L2", "L3", "F32", "L4"]
    assert AVAILABLE_LEVELS == levels.LEVEL_ORDER == ("L0", "D", "L1", "L2", "L3", "F32", "L4")
    assert DEFAULT_LEVELS == ("L0", "D", "L1", "L2", "L3", "F32")  # L4 trains PPO: only when named
    assert levels.UNREGISTERED_LEVELS == ("L0", "D", "L1", "L2", "L3")
    assert levels.MUTATION_LEVELS == ("L0", "L1", "L3", "D")  # cheapest first; D alone sees the own sampling
    assert levels.LEVEL_TITLES["L1"] == "properties" and levels.LEVEL_TITLES["F32"] == "float32 production"
    assert parse_levels("l1, L0,L1") == ("L1", "L0")
    with pytest.raises(ValueError, match="available: L0, D, L1"):
        parse_levels("L0,L9")


def test_a_failed_load_check_fails_L0_and_stops_the_comparison():
    calls = []

    def loader(name, candidate=None, timeout=0.0, backend="jax"):
        calls.append((name, backend))
        return "it does not load"

    report = verify_port(CARTPOLE, ("L1", "L0", "L3"), VerifyOptions(), loader=loader)
    assert calls == [("cartpole", "jax")]
    assert list(report.levels) == ["L0", "L1", "L3"]  # table order, whatever order they were named in
    assert report.levels["L0"].failures == [{"check": "import", "message": "it does not load"}]
    assert report.levels["L1"].passed is None and "fix the contract first" in report.levels["L1"].skipped_reason
    level, failure = report.first_failure()
    assert (level.level, level.title, failure["check"]) == ("L0", "contract", "import")


def test_float32_does_not_apply_to_rust_nor_to_a_translation_object():
    f32 = levels.LEVELS_BY_NAME["F32"]
    rust = LevelContext(CARTPOLE, "rust")
    assert "float64 only" in levels.skip_reason(f32, rust, blocked=False)
    assert "float64 only" in levels.skip_reason(f32, rust, blocked=True)  # not applicable comes first
    given = LevelContext(CARTPOLE, "jax", env=object())
    assert "registered translations only" in levels.skip_reason(f32, given, blocked=False)
    assert "fix the contract first" in levels.skip_reason(f32, given, blocked=True)
    assert levels.skip_reason(f32, LevelContext(CARTPOLE), blocked=False) is None
    assert levels.BLOCKED["rust"] == levels.skip_reason(levels.LEVELS_BY_NAME["L1"], rust, blocked=True)
    (name, result), = run_levels(rust, ("F32",))
    assert (name, result.passed, result.title) == ("F32", None, "float32 production")


def test_a_crashing_level_is_a_failure_of_that_level(monkeypatch):
    ctx = LevelContext(CARTPOLE, lockstep_factory=lambda: (_ for _ in ()).throw(RuntimeError("no lockstep")))
    result = run_level(levels.LEVELS_BY_NAME["L3"], ctx)
    assert result.passed is False and result.failures == [{"check": "run", "message": "RuntimeError: no lockstep"}]
    assert result.title == "rollouts"

    def crash(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr("verify.contract.check_contract", crash)
    results = dict(run_levels(LevelContext(CARTPOLE), ("L0", "L1")))
    assert results["L0"].failures == [{"check": "contract", "message": "ValueError: boom"}]
    assert results["L1"].passed is None  # a crashed contract stops the comparison too
