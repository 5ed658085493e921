"""Brinewatch, the port `envport create` made from its specification (kept in its run folder as spec.md): its conformance tests pass against
the reference and against the JAX and Rust translations' Gymnasium faces (the numpy-stream tests skipped there, with
the reason); the Rust translation (`envport translate --to rust`, a games module) passes L0 and L2."""

import json
from pathlib import Path

import numpy as np
import pytest

from envs import get_port, port_origin
from recipe.conformance import IMPLEMENTATION_ENV, PACKAGE_ENV, RESULTS_ENV, spec_rules
from recipe.spec_task import run_tests
from recipe.task import ROOT
from recipe.workspace import Workspace
from verify.process import child_env


def _rust_build_lacks_brinewatch() -> str:
    """Why the Rust translation cannot run here ('' when it can)."""
    try:
        import envport_rust
    except ImportError:
        return "envport_rust is not built (bash setup.sh builds it)"
    if not hasattr(envport_rust, "Brinewatch"):
        return "this envport_rust build predates the Brinewatch module: rebuild it with `bash setup.sh`"
    return ""


NO_RUST = _rust_build_lacks_brinewatch()

PACKAGE = "envs.spec_games.brinewatch"
FOLDER = ROOT / "envs" / "spec_games" / "brinewatch"
SPEC = ROOT / "docs" / "runs" / "brinewatch" / "brinewatch-create-20261204-232739" / "spec.md"  # the run's input, kept


def conformance(implementation: str, tmp_path: Path, failures_expected: bool = False) -> dict:
    results = tmp_path / f"{implementation}.json"
    env = {**child_env(ROOT), PACKAGE_ENV: PACKAGE, IMPLEMENTATION_ENV: implementation, RESULTS_ENV: str(results)}
    proc = run_tests(Workspace(FOLDER), "test_conformance.py", tmp_path, 900, env)
    assert not proc.timed_out and (proc.returncode == 0 or failures_expected), proc.output[-3000:]
    data = json.loads(results.read_text())
    return {k: sorted(r["nodeid"].split("::")[1] for r in data["tests"] if r["outcome"] == k) for k in ("passed", "skipped", "failed")}


def test_brinewatch_is_a_built_in_masked_port():
    port = get_port("Brinewatch-v1")
    assert port.name == "brinewatch" and port_origin("brinewatch") == "built-in" and port.action_mask
    env = port.make_jax()
    assert env.has_action_mask and env.action_space(env.default_params).n == 27
    ref = port.make_reference()
    _, info = ref.reset(seed=96)
    assert np.flatnonzero(info["action_mask"]).tolist() == [0, 2]  # the spec's worked example, section 11


def test_conformance_against_the_reference(tmp_path):
    outcome = conformance("reference", tmp_path)
    assert not outcome["failed"] and not outcome["skipped"] and len(outcome["passed"]) >= 30
    assert "test_worked_example_seed_96" in outcome["passed"]


def test_conformance_against_the_jax_translation(tmp_path):
    outcome = conformance("jax", tmp_path)
    assert not outcome["failed"] and len(outcome["passed"]) >= 28
    assert outcome["skipped"] == ["test_R7_4_gull_swarm_draws_integers_0_k_over_the_live_targets", "test_worked_example_seed_96"]


@pytest.mark.skipif(bool(NO_RUST), reason=NO_RUST or "-")
def test_conformance_against_the_rust_translation(tmp_path):
    """Every conformance test passes but R-5.3's three integers outside Discrete(27): the spec takes them as END_TURN,
    the Rust classes refuse them with ValueError, as every envport_rust class refuses an action outside its space
    (L0's `errors_raise` requires it). In-range illegal actions are END_TURN on Rust as in the spec."""
    outcome = conformance("rust", tmp_path, failures_expected=True)
    assert outcome["failed"] == [f"test_R5_3_illegal_actions_are_end_turn[{a}]" for a in ("-1", "100", "27")]
    assert len(outcome["passed"]) >= 28 and "test_R5_3_illegal_actions_are_end_turn[11]" in outcome["passed"]
    assert outcome["skipped"] == ["test_R7_4_gull_swarm_draws_integers_0_k_over_the_live_targets", "test_worked_example_seed_96"]


@pytest.mark.skipif(bool(NO_RUST), reason=NO_RUST or "-")
def test_rust_game_reports_what_its_generator_drew():
    """The games classes record their own draws for level D: the reset's two permutations, and per step the Gull
    Swarm uniforms it took (NaN where a step took fewer than six)."""
    from envs.rust_backend import make_rust_single
    from envs.spec_games.brinewatch.reference import BASE_DECK

    env = make_rust_single(get_port("brinewatch"), seed=3)
    env.reset()
    drawn, state = env.last_reset_draws(), env.get_state()
    for p in (0, 1):
        perm = drawn[f"deck{p}"].astype(int)
        assert sorted(perm) == list(range(16)) and (state["deck"][p] == BASE_DECK[perm]).all()
    state["hand"][0] = [8, 0, 0, 0, 0, 0]  # a Gull Swarm, two enemy units: three hits, each with a choice
    state["tide"][0], state["turn"], state["keeper_hp"][:] = 2, 3, 20
    state["board_card"][1], state["board_atk"][1], state["board_hp"][1] = [4, 4, 0, 0], [5, 5, 0, 0], [5, 5, 0, 0]
    env.set_state(state)
    env.step(1)
    hits = env.last_step_draws()["gull_hits"]
    assert np.isfinite(hits[:3]).all() and ((0 <= hits[:3]) & (hits[:3] < 1)).all() and np.isnan(hits[3:]).all()
    assert int(env.get_state()["board_hp"][1].sum() + env.get_state()["keeper_hp"][1]) == 5 + 5 + 20 - 3


@pytest.mark.skipif(bool(NO_RUST), reason=NO_RUST or "-")
def test_rust_translation_passes_the_contract_and_interaction_levels():
    """L0 (the load check in a fresh process, metadata, spaces, env_checker, vector shapes, masks) and L2 (threads,
    batch independence, the vector env's auto-reset against single envs on the same streams: a game that draws while
    stepping) on the Rust translation."""
    from verify.runner import VerifyOptions, verify_port

    report = verify_port(get_port("brinewatch"), ("L0", "L2"), VerifyOptions(programs=5), backend="rust")
    assert {name: level.passed for name, level in report.levels.items()} == {"L0": True, "L2": True}, report.to_dict()


def test_every_rule_of_the_spec_has_a_conformance_test():
    from recipe.conformance import named_rules

    named = named_rules((FOLDER / "test_conformance.py").read_text())
    assert set(spec_rules(SPEC.read_text())) <= named
