"""Drift (the user's DriftEnv), ported to JAX: port metadata."""

from drift import reference
from envs.spec import DrawSpec, Port, StateField


def _make_jax():
    from drift.jax_env import Drift

    return Drift()


PORT = Port(
    name="drift",
    gym_id="Drift-v0",
    description="A cart in a gusty wind, kept near the centre (the worked example of a user's own environment).",
    reference_entry_point="drift_env:DriftEnv",
    make_reference=reference.make_reference,
    get_state=reference.get_state,
    set_state=reference.set_state,
    make_jax=_make_jax,
    jax_module="drift.jax_env",
    state_fields=(
        StateField("position", "float64", "unwrapped.position", "close", low=-1.2, high=1.2, edges=(-1.0, 1.0)),
        StateField("velocity", "float64", "unwrapped.velocity", "close", low=-0.2, high=0.2),
        StateField("time", "int64", "TimeLimit._elapsed_steps", low=0, high=200, edges=(199,)),
    ),
    draws=(
        DrawSpec("reset_position", "uniform", (), "reset", "np_random.uniform(-0.5, 0.5)"),
        DrawSpec("noise", "normal", (), "step", "np_random.normal(0, noise)"),
        DrawSpec("gust_roll", "uniform", (), "step", "np_random.random() < gust_probability"),
        DrawSpec("gust", "uniform", (), "step", "np_random.uniform(-gust, gust), only when the roll is below", optional=True),
    ),
    max_episode_steps=reference.MAX_EPISODE_STEPS,
    invalid_action="the reference rejects actions outside {0, 1, 2} (assert); the translation clips them",
    policy_transfer_margin=10.0,
)
