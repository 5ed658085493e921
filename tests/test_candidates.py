"""Third-party candidates: loaded from gymnax, module:object or an adapter file; bad ones get clear errors."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from envs import get_port
from recipe.cli import app
from verify.candidates import CandidateError, load_candidate
from verify.runner import VerifyOptions, verify_port

DATA = Path(__file__).parent / "data"
runner = CliRunner()
HAS_GYMNAX = importlib.util.find_spec("gymnax") is not None


def test_module_object_candidate_is_verified_like_a_translation():
    port = get_port("pendulum")
    candidate = load_candidate(port, "envs.classic_control.pendulum.jax_env:Pendulum")
    report = verify_port(port, ("L0", "L1"), VerifyOptions(examples=30), candidate=candidate)
    assert report.backend == "envs.classic_control.pendulum.jax_env:Pendulum"
    assert report.passed, report.first_failure()


@pytest.mark.parametrize(
    "spec, message",
    [
        ("nosuchmodule:Env", "cannot import module 'nosuchmodule'"),
        ("envs.classic_control.cartpole.jax_env:Nope", "has no attribute 'Nope'"),
        ("envs.spaces:Discrete", "constructing it failed"),
        ("gymnax:Acrobot-v1", "not a translation of cartpole"),
        ("just-a-name", "expected gymnax:ENV_ID, module:object or an adapter file"),
        (str(DATA / "missing.py"), "does not exist"),
    ],
)
def test_unusable_candidates_raise_a_clear_error(spec, message):
    if spec.startswith("gymnax") and not HAS_GYMNAX:
        pytest.skip("gymnax is not installed (setup.sh installs it)")
    with pytest.raises(CandidateError, match=message):
        load_candidate(get_port("cartpole"), spec)


def test_cli_unknown_candidate_exits_2():
    result = runner.invoke(app, ["verify", "cartpole", "--candidate", "nosuchmodule:Env"])
    assert result.exit_code == 2
    assert "cannot import module" in result.output


def test_cli_hanging_candidate_times_out_with_exit_1():
    result = runner.invoke(app, ["verify", "cartpole", "--candidate", str(DATA / "hanging_candidate.py"), "--timeout", "8"])
    assert result.exit_code == 1
    assert "did not finish within 8 s" in result.output


def test_wrong_state_layout_fails_L0_naming_the_fields():
    port = get_port("cartpole")
    candidate = load_candidate(port, str(DATA / "renamed_state_candidate.py"))
    report = verify_port(port, ("L0", "L1"), VerifyOptions(examples=10), candidate=candidate)
    assert not report.passed
    level, failure = report.first_failure()
    assert level.level == "L0"
    messages = " ".join(f["message"] for f in level.failures)
    assert "state fields ['position', 'velocity', 'time'] != port metadata" in messages
    assert report.levels["L1"].skipped_reason


@pytest.mark.skipif(not HAS_GYMNAX, reason="gymnax is not installed (setup.sh installs it)")
def test_gymnax_pendulum_agrees_with_the_reference():
    port = get_port("pendulum")
    report = verify_port(port, ("L0", "L1", "L3"), VerifyOptions(examples=40, episodes=3), candidate=load_candidate(port, "gymnax:Pendulum-v1"))
    assert report.passed, report.first_failure()


@pytest.mark.skipif(not HAS_GYMNAX, reason="gymnax is not installed (setup.sh installs it)")
def test_gymnax_continuous_mountain_car_wall_bug_is_found():
    """gymnax zeroes negative velocity at the goal instead of at the left wall: L1 finds it."""
    port = get_port("mountaincar-continuous")
    candidate = load_candidate(port, "gymnax:MountainCarContinuous-v0")
    assert "state_f32" in candidate.ignored
    report = verify_port(port, ("L1",), VerifyOptions(examples=100), candidate=candidate)
    level, failure = report.first_failure()
    assert level.level == "L1"
    assert failure["field"] in ("state.velocity", "state.position")


def test_the_headline_field_is_the_largest_error_relative_to_its_tolerance():
    # x is off by a relative 1e-9 (1e3 tolerances) and comes first in the state; theta_dot is off by 0.05 (~1e10).
    port = get_port("cartpole")
    candidate = load_candidate(port, str(DATA / "skewed_fields_candidate.py"))
    report = verify_port(port, ("L1",), VerifyOptions(examples=20), candidate=candidate)
    level, failure = report.first_failure()
    assert failure["field"] == "state.theta_dot", failure["mismatches"]
    fields = [m["field"] for m in failure["mismatches"]]
    assert "state.x" in fields and fields.index("state.theta_dot") < fields.index("state.x")
    excess = [m["excess"] if m["excess"] is not None else float("inf") for m in failure["mismatches"] if m["field"] != "obs"]
    assert excess == sorted(excess, reverse=True) and excess[0] > 1e9
    assert fields[-1] == "obs"  # derived from the state: after it, whatever its excess


def test_mismatches_are_ordered_by_excess_with_ties_in_state_order():
    from verify.compare import StepOutcome, compare_outcomes, tolerance_excess

    port = get_port("cartpole")
    base = {"x": 0.5, "x_dot": 0.1, "theta": 0.01, "theta_dot": -0.2, "steps_beyond_terminated": -1, "time": 3}
    off = {**base, "x": 0.5 * (1 + 1e-10), "theta": 0.02, "steps_beyond_terminated": 0, "time": 4}
    expected = StepOutcome(np.zeros(4, np.float32), {k: np.asarray(v) for k, v in base.items()}, 1.0, False, False)
    actual = StepOutcome(np.zeros(4, np.float32), {k: np.asarray(v) for k, v in off.items()}, 1.0, False, False)
    found = compare_outcomes(port, expected, actual)
    assert [m.field for m in found] == ["state.theta", "state.x", "state.steps_beyond_terminated", "state.time"]
    assert found[2].excess == found[3].excess == 2.0  # one integer step: two half steps, ties kept in state order
    assert tolerance_excess(np.float32(1), np.nextafter(np.float32(1), np.float32(2)), "exact", 0, 0) == 2.0  # one float32 ulp
    assert tolerance_excess(1.0, np.nan, "close", 1e-12, 1e-12) == float("inf")


def test_a_float32_native_candidate_is_judged_with_the_float32_tolerances():
    port = get_port("cartpole")
    candidate = load_candidate(port, str(DATA / "float32_candidate.py"))
    options = dict(examples=60, programs=5, episodes=5)
    as_float32 = verify_port(port, ("L0", "L1", "L2", "L3"), VerifyOptions(precision="float32", **options), candidate=candidate)
    assert as_float32.passed, as_float32.first_failure()
    assert as_float32.options["precision"] == "float32"
    assert any("precision float32" in note for note in as_float32.levels["L0"].notes)
    as_float64 = verify_port(port, ("L0", "L1"), VerifyOptions(**options), candidate=candidate)
    assert not as_float64.passed and as_float64.levels["L1"].passed is False  # float32 rounding is far above 1e-12
    with pytest.raises(ValueError, match="unknown precision 'float16'"):
        verify_port(port, ("L0",), VerifyOptions(precision="float16"), candidate=candidate)


def test_cli_precision_float32_verifies_a_candidate_and_rejects_bad_values():
    spec = str(DATA / "float32_candidate.py")
    ok = runner.invoke(app, ["verify", "cartpole", "--candidate", spec, "--precision", "float32", "--levels", "L0,L1", "--examples", "30"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["verify", "cartpole", "--candidate", spec, "--precision", "float16"])
    assert bad.exit_code == 2 and "--precision 'float16': use one of float64, float32" in bad.output
    rust = runner.invoke(app, ["verify", "cartpole", "--backend", "rust", "--precision", "float32"])
    assert rust.exit_code == 2
