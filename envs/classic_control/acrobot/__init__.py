"""Acrobot-v1: Gymnasium's two-link acrobot, ported to JAX."""

import math

from envs.classic_control.acrobot import reference
from envs.gym_reference import GYM_UNREACHABLE_BRANCHES, make_gym_reference
from envs.spec import DrawSpec, Port, StateField

GYM_ID = "Acrobot-v1"

# The reference squares numpy float64 scalars with `x**2`, which calls libm's pow();
# pow(x, 2) differs from the correctly rounded x*x by one ulp in about 1 case in 1000
# (measured: 174 of 200,000), so one step agrees to ~1e-15 and the tolerance below
# leaves margin. The dynamics are chaotic: those ulps grow by ~8% a step and pass
# 1e-9 after ~200 steps of an energetic policy, hence `chaotic` below.
ACROBOT_RTOL = 1e-10


def _make_jax():
    from envs.classic_control.acrobot.jax_env import Acrobot

    return Acrobot()


def _goal_policy(key, obs):
    from envs.classic_control.acrobot.jax_env import swing_policy

    return swing_policy(key, obs)


PORT = Port(
    name="acrobot",
    gym_id=GYM_ID,
    description="Two-link acrobot (Sutton 1996), book dynamics, RK4 integration.",
    reference_entry_point="gymnasium.envs.classic_control.acrobot:AcrobotEnv",
    make_reference=lambda: make_gym_reference(GYM_ID),
    get_state=reference.get_state,
    set_state=reference.set_state,
    make_jax=_make_jax,
    jax_module="envs.classic_control.acrobot.jax_env",
    state_fields=(
        StateField("theta1", "float64", rtol=ACROBOT_RTOL, atol=ACROBOT_RTOL, ref="unwrapped.state[0]", rule="close", low=-math.pi, high=math.pi),
        StateField("theta2", "float64", rtol=ACROBOT_RTOL, atol=ACROBOT_RTOL, ref="unwrapped.state[1]", rule="close", low=-math.pi, high=math.pi),
        StateField("dtheta1", "float64", rtol=ACROBOT_RTOL, atol=ACROBOT_RTOL, ref="unwrapped.state[2]", rule="close", low=-4 * math.pi, high=4 * math.pi),
        StateField("dtheta2", "float64", rtol=ACROBOT_RTOL, atol=ACROBOT_RTOL, ref="unwrapped.state[3]", rule="close", low=-9 * math.pi, high=9 * math.pi),
        StateField("time", "int64", "TimeLimit._elapsed_steps", low=0, high=500),
    ),
    draws=(DrawSpec("reset_uniform", "uniform", (4,), "reset", "np_random.uniform(-0.1, 0.1, size=(4,)), stored as float32"),),
    max_episode_steps=500,
    chaotic="libm pow(x, 2) rounds differently from x*x in ~0.1% of squares; chaos amplifies these ulps along an episode",
    goal_policy=_goal_policy,
    invalid_action="the reference indexes a Python list: action -1 means torque +1 and 3 or more raise IndexError; the translation matches -1 and stays finite (clamped index) beyond",
    gymnax_id="Acrobot-v1",
    backends=("jax", "rust"),
    rust_classes=("Acrobot", "AcrobotVec"),
    rust_source="src/classic_control/acrobot.rs",
    aliases=("Acrobot",),
    policy_transfer_margin=20.0,
    policy_transfer_reason=(
        "Return: -1 a step until the tip swings above the bar, from -500 (never) to about -60 (500-step limit). A "
        "uniform-random policy never gets there (-500), the port's scripted swing-up (goal_policy) scores -90 "
        "(measured: 200 episodes of the JAX translation, 4 Dec 2026); the margin 20 is 5% of that 410-point span "
        "(4.9%)."
    ),
    extra={"unreachable_branches": GYM_UNREACHABLE_BRANCHES + (
        ("acrobot.py", "if self.torque_noise_max > 0:", "true", "torque noise: a class constant, 0.0 in the reference"),
        ("acrobot.py", 'if self.book_or_nips == "nips":', "true", "the dynamics are a class constant: 'book'"),
        ("acrobot.py", "if M is None:", "true", "the reference calls bound() with both limits"),
    )},
)
