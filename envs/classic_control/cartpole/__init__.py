"""CartPole-v1: Gymnasium's cart-pole, ported to JAX."""

import math

from envs.classic_control.cartpole import reference
from envs.gym_reference import GYM_UNREACHABLE_BRANCHES, make_gym_reference
from envs.spec import DrawSpec, Port, StateField

GYM_ID = "CartPole-v1"


def _make_jax():
    from envs.classic_control.cartpole.jax_env import CartPole

    return CartPole()


PORT = Port(
    name="cartpole",
    gym_id=GYM_ID,
    description="Cart-pole balancing (Barto, Sutton & Anderson 1983), Euler integration.",
    reference_entry_point="gymnasium.envs.classic_control.cartpole:CartPoleEnv",
    make_reference=lambda: make_gym_reference(GYM_ID),
    get_state=reference.get_state,
    set_state=reference.set_state,
    make_jax=_make_jax,
    jax_module="envs.classic_control.cartpole.jax_env",
    state_fields=(
        StateField("x", "float64", "unwrapped.state[0]", "close", low=-3.0, high=3.0, edges=(-2.4, 2.4)),
        StateField("x_dot", "float64", "unwrapped.state[1]", "close", low=-5.0, high=5.0),
        StateField("theta", "float64", "unwrapped.state[2]", "close", low=-0.5, high=0.5, edges=(-12 * 2 * math.pi / 360, 12 * 2 * math.pi / 360)),
        StateField("theta_dot", "float64", "unwrapped.state[3]", "close", low=-5.0, high=5.0),
        StateField("steps_beyond_terminated", "int64", "unwrapped.steps_beyond_terminated (None = -1)", low=-1, high=3),
        StateField("time", "int64", "TimeLimit._elapsed_steps", low=0, high=500),
    ),
    draws=(DrawSpec("reset_uniform", "uniform", (4,), "reset", "np_random.uniform(-0.05, 0.05, size=(4,))"),),
    max_episode_steps=500,
    invalid_action="the reference rejects actions outside {0, 1} (assert); the translation, which cannot raise under jit, treats every action other than 1 as a push left",
    gymnax_id="CartPole-v1",
    backends=("jax", "rust"),
    rust_classes=("CartPole", "CartPoleVec"),
    rust_source="src/classic_control/cartpole.rs",
    aliases=("CartPole",),
    policy_transfer_margin=25.0,
    policy_transfer_reason=(
        "Return: +1 a step, 0 to 500 (500-step limit). A uniform-random policy scores 21 (measured: 200 episodes "
        "of the JAX translation, 4 Dec 2026), the best policy 500; the margin 25 is 5% of the best return (5.2% "
        "of the 479-point span from random to best)."
    ),
    extra={"unreachable_branches": GYM_UNREACHABLE_BRANCHES + (
        ("cartpole.py", 'if self.kinematics_integrator == "euler":', "false", "the integrator is fixed when the reference is built: gymnasium.make gives 'euler'"),
    )},
)
