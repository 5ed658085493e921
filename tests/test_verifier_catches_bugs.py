"""A verifier that cannot fail is worth nothing: deliberately wrong translations must fail, with the field and step named."""

import pytest

from envs import get_port
from verify.runner import VerifyOptions, verify_port
from verify.variants import edited_translation

BUGS = [
    pytest.param(
        "cartpole",
        "force = jnp.where(action == 1, params.force_mag, -params.force_mag)",
        "force = jnp.where(action == 1, -params.force_mag, params.force_mag)",
        ("state.x_dot", "state.theta_dot"),
        1,
        id="cartpole-sign-of-force",
    ),
    pytest.param(
        "cartpole", "gravity: float = 9.8", "gravity: float = 9.81", ("state.theta_dot", "state.x_dot"), 1, id="cartpole-gravity-constant"
    ),
    pytest.param(
        "pendulum",
        "max_steps_in_episode: int = 200",
        "max_steps_in_episode: int = 201",
        ("truncated",),
        200,
        id="pendulum-time-limit-off-by-one",
    ),
    pytest.param(
        "mountaincar",
        "velocity = jnp.clip(velocity, -params.max_speed, params.max_speed)",
        "velocity = jnp.clip(velocity, -params.max_speed, 1.01 * params.max_speed)",
        ("state.velocity", "state.position"),
        None,
        id="mountaincar-speed-bound",  # rollouts rarely reach the bound: L1's generated states do
    ),
]


@pytest.mark.parametrize("name, old, new, fields, step", BUGS[:3])
def test_wrong_translation_fails_L3_naming_field_and_step(tmp_path, name, old, new, fields, step):
    port = get_port(name)
    wrong = edited_translation(port, old, new, tmp_path)
    report = verify_port(port, ("L3",), VerifyOptions(episodes=10, policies=("uniform", "goal")), env=wrong)
    assert not report.passed
    level, failure = report.first_failure()
    assert level.level == "L3"
    assert failure["field"] in fields
    if step is not None:
        assert failure["step"] == step
    assert f"step {failure['step']}" in failure["message"] and failure["field"] in failure["message"]


@pytest.mark.parametrize("name, old, new, fields, step", BUGS[:2] + BUGS[3:])
def test_wrong_translation_fails_L1_with_a_reproducer(tmp_path, name, old, new, fields, step):
    port = get_port(name)
    wrong = edited_translation(port, old, new, tmp_path)
    report = verify_port(port, ("L1",), VerifyOptions(examples=200), env=wrong)
    level, failure = report.first_failure()
    assert level.level == "L1"
    assert failure["field"] in fields
    assert f"get_port({name!r})" in failure["reproduce"]


def test_the_unedited_translation_passes_through_the_same_path(tmp_path):
    port = get_port("pendulum")
    same = edited_translation(port, "max_steps_in_episode: int = 200", "max_steps_in_episode: int = 200", tmp_path)
    report = verify_port(port, ("L3",), VerifyOptions(episodes=3, policies=("uniform",)), env=same)
    assert report.passed, report.first_failure()


def test_a_reward_hard_coded_to_float32_fails_L0_without_blocking_the_comparison(tmp_path):
    # -1.0 is exact in float32, so no comparison of values can see this; the contract can.
    port = get_port("mountaincar")
    wrong = edited_translation(port, "reward = jnp.asarray(-1.0, float_dtype())", "reward = jnp.asarray(-1.0, jnp.float32)", tmp_path)
    report = verify_port(port, ("L0", "L1"), VerifyOptions(examples=20), env=wrong)
    level, failure = report.first_failure()
    assert level.level == "L0" and failure["check"] == "step.reward_dtype"
    assert "float32" in failure["message"] and "float64" in failure["message"]
    assert report.levels["L1"].passed  # the values agree; L1 still ran


def test_draws_sampled_in_float32_fail_L0(tmp_path):
    # Both sides receive the same draws, so lockstep comparisons cannot see their resolution.
    port = get_port("pendulum")
    wrong = edited_translation(
        port,
        'return {"reset_uniform": jax_random.uniform(key, (2,), float_dtype())}',
        'return {"reset_uniform": jax_random.uniform(key, (2,), jnp.float32)}',
        tmp_path,
    )
    report = verify_port(port, ("L0",), VerifyOptions(), env=wrong)
    level, failure = report.first_failure()
    assert level.level == "L0" and failure["check"] == "draws.dtype"
    assert "reset.reset_uniform (float32)" in failure["message"]
