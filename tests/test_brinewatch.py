"""Brinewatch, the port `envport create` made from its specification (kept in its run folder as spec.md): its conformance tests pass against
the reference and against the JAX and Rust translations' Gymnasium faces, none skipped (the worked example's draws are
given by name through `forced_draws`); the Rust translation (`envport translate --to rust`, a games module) passes L0
and L2 and takes any integer action as R-5.3 says, in its single and vector classes."""

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


def conformance(implementation: str, tmp_path: Path) -> dict:
    results = tmp_path / f"{implementation}.json"
    env = {**child_env(ROOT), PACKAGE_ENV: PACKAGE, IMPLEMENTATION_ENV: implementation, RESULTS_ENV: str(results)}
    proc = run_tests(Workspace(FOLDER), "test_conformance.py", tmp_path, 900, env)
    assert not proc.timed_out and proc.returncode == 0, proc.output[-3000:]
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


def test_reference_reset_seed_96_draws_the_specs_permutations():
    """Section 11 names numpy's numbers: "with numpy's generator, reset(seed=96) draws perm0 ... and perm1 ...". Only
    the reference draws from numpy; the conformance suite gives these permutations to every implementation instead."""
    from envs.spec_games.brinewatch.reference import BASE_DECK
    from envs.spec_games.brinewatch.test_conformance import PERM0, PERM1

    ref = get_port("brinewatch").make_reference()
    ref.reset(seed=96)
    state = ref.get_state()
    np.testing.assert_array_equal(state["deck"], [BASE_DECK[PERM0], BASE_DECK[PERM1]])
    again = np.random.default_rng(96)
    np.testing.assert_array_equal(again.permutation(16), PERM0)
    np.testing.assert_array_equal(again.permutation(16), PERM1)


def test_conformance_against_the_reference(tmp_path):
    outcome = conformance("reference", tmp_path)
    assert not outcome["failed"] and not outcome["skipped"] and len(outcome["passed"]) >= 30
    assert "test_worked_example_seed_96" in outcome["passed"]


def test_conformance_against_the_jax_translation(tmp_path):
    outcome = conformance("jax", tmp_path)
    assert not outcome["failed"] and not outcome["skipped"] and len(outcome["passed"]) >= 33
    assert "test_worked_example_seed_96" in outcome["passed"]


@pytest.mark.skipif(bool(NO_RUST), reason=NO_RUST or "-")
def test_conformance_against_the_rust_translation(tmp_path):
    """Every conformance test passes, R-5.3's integers outside Discrete(27) (27, 100, -1) included: the Brinewatch
    classes take them as END_TURN (`OUT_OF_SPACE_ACTION`), where the other envport_rust classes refuse them."""
    outcome = conformance("rust", tmp_path)
    assert not outcome["failed"] and not outcome["skipped"] and len(outcome["passed"]) >= 33
    assert {"test_worked_example_seed_96", "test_R5_3_illegal_actions_are_end_turn[-1]"} <= set(outcome["passed"])


@pytest.mark.skipif(bool(NO_RUST), reason=NO_RUST or "-")
def test_rust_takes_integers_outside_the_space_as_end_turn():
    """R-5.3 on the raw classes: the single env's step and the vector env's batch take -1, 27 and 2**70 (2**40 in an
    int64 array) as END_TURN, the same step as 0 on the same stream; a non-integer is still refused."""
    from envs.rust_backend import make_rust_single, make_rust_vector

    port = get_port("brinewatch")
    for action in (-1, 27, 2**70):
        a, b = make_rust_single(port, seed=4), make_rust_single(port, seed=4)
        a.reset(), b.reset()
        for x, y in zip(a.step(action), b.step(0)):
            np.testing.assert_array_equal(x, y)
        assert a.get_state()["turn"] == 3 and all((a.get_state()[k] == v).all() for k, v in b.get_state().items())
    with pytest.raises(TypeError):
        a.step(1.5)
    odd, zero = make_rust_vector(port, 4, seed=5), make_rust_vector(port, 4, seed=5)
    odd.reset(seed=5), zero.reset(seed=5)
    for x, y in zip(odd.step(np.array([-1, 27, 2**40, 0], np.int64))[:4], zero.step(np.zeros(4, np.int64))[:4]):
        np.testing.assert_array_equal(x, y)


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
