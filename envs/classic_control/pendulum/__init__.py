"""Pendulum-v1: Gymnasium's inverted pendulum swing-up, ported to JAX."""

import math

from envs.gym_reference import GYM_UNREACHABLE_BRANCHES, make_gym_reference
from envs.classic_control.pendulum import reference
from envs.spec import DrawSpec, Port, StateField, Tolerance

GYM_ID = "Pendulum-v1"


def _make_jax():
    from envs.classic_control.pendulum.jax_env import Pendulum

    return Pendulum()


PORT = Port(
    name="pendulum",
    gym_id=GYM_ID,
    description="Inverted pendulum swing-up with a continuous torque in [-2, 2].",
    reference_entry_point="gymnasium.envs.classic_control.pendulum:PendulumEnv",
    make_reference=lambda: make_gym_reference(GYM_ID),
    get_state=reference.get_state,
    set_state=reference.set_state,
    make_jax=_make_jax,
    jax_module="envs.classic_control.pendulum.jax_env",
    state_fields=(
        StateField("theta", "float64", "unwrapped.state[0]", "close", low=-4 * math.pi, high=4 * math.pi),
        StateField("theta_dot", "float64", "unwrapped.state[1]", "close", low=-8.0, high=8.0, edges=(-8.0, 8.0)),
        StateField("last_u", "float32", "unwrapped.last_u (None = NaN)", "close", low=-2.0, high=2.0, nullable=True),
        StateField("time", "int64", "TimeLimit._elapsed_steps", low=0, high=200),
    ),
    draws=(DrawSpec("reset_uniform", "uniform", (2,), "reset", "np_random.uniform(low=-[pi, 1], high=[pi, 1])"),),
    max_episode_steps=200,
    # The reference squares the float32 torque with numpy's scalar `u**2` (libm powf), which
    # is off by one float32 ulp from u*u in about 1 case in 1000: up to ~5e-10 in the reward.
    reward_tolerance=Tolerance("close", rtol=1e-12, atol=1e-9),
    invalid_action="torques outside [-2, 2] are clipped, as the reference clips them",
    gymnax_id="Pendulum-v1",
    backends=("jax", "rust"),
    rust_classes=("Pendulum", "PendulumVec"),
    rust_source="src/classic_control/pendulum.rs",
    aliases=("Pendulum",),
    policy_transfer_margin=50.0,
    policy_transfer_reason=(
        "Return: -(angle^2 + 0.1 velocity^2 + 0.001 torque^2) a step over 200 steps, about -3,300 to 0. A "
        "uniform-random policy scores -1,195 (measured: 200 episodes of the JAX translation, 4 Dec 2026), a "
        "policy that swings up and balances about -150 (the port has no scripted one); the margin 50 is 5% of "
        "that span of about 1,050 points (4.8%)."
    ),
    extra={"unreachable_branches": GYM_UNREACHABLE_BRANCHES},
)
