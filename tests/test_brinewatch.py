"""Brinewatch, the port `envport create` made from ../shared/specs/brinewatch.md: its conformance tests pass against
the reference and against the JAX translation's Gymnasium face (the numpy-stream tests skipped there, with the reason)."""

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

PACKAGE = "envs.spec_games.brinewatch"
FOLDER = ROOT / "envs" / "spec_games" / "brinewatch"
SPEC = ROOT.parent / "shared" / "specs" / "brinewatch.md"


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


def test_conformance_against_the_reference(tmp_path):
    outcome = conformance("reference", tmp_path)
    assert not outcome["failed"] and not outcome["skipped"] and len(outcome["passed"]) >= 30
    assert "test_worked_example_seed_96" in outcome["passed"]


def test_conformance_against_the_jax_translation(tmp_path):
    outcome = conformance("jax", tmp_path)
    assert not outcome["failed"] and len(outcome["passed"]) >= 28
    assert outcome["skipped"] == ["test_R7_4_gull_swarm_draws_integers_0_k_over_the_live_targets", "test_worked_example_seed_96"]


@pytest.mark.skipif(not SPEC.is_file(), reason="the spec ../shared/specs/brinewatch.md is not in this checkout")
def test_every_rule_of_the_spec_has_a_conformance_test():
    from recipe.conformance import named_rules

    named = named_rules((FOLDER / "test_conformance.py").read_text())
    assert set(spec_rules(SPEC.read_text())) <= named
