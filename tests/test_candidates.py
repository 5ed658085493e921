"""Third-party candidates: loaded from gymnax, module:object or an adapter file; bad ones get clear errors."""

import importlib.util
from pathlib import Path

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
