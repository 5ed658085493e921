"""MountainCarContinuous-v0: Gymnasium's continuous mountain car, ported to JAX."""

from envs.gym_reference import GYM_UNREACHABLE_BRANCHES, make_gym_reference
from envs.classic_control.mountaincar_continuous import reference
from envs.spec import DrawSpec, Port, StateField

GYM_ID = "MountainCarContinuous-v0"


def _make_jax():
    from envs.classic_control.mountaincar_continuous.jax_env import MountainCarContinuous

    return MountainCarContinuous()


def _goal_policy(key, obs):
    from envs.classic_control.mountaincar_continuous.jax_env import momentum_policy

    return momentum_policy(key, obs)


PORT = Port(
    name="mountaincar-continuous",
    gym_id=GYM_ID,
    description="Mountain car with a continuous push; +100 at the flag minus 0.1 * action^2.",
    reference_entry_point="gymnasium.envs.classic_control.continuous_mountain_car:Continuous_MountainCarEnv",
    make_reference=lambda: make_gym_reference(GYM_ID),
    get_state=reference.get_state,
    set_state=reference.set_state,
    make_jax=_make_jax,
    jax_module="envs.classic_control.mountaincar_continuous.jax_env",
    state_fields=(
        StateField("position", "float64", "unwrapped.state[0]", "close", low=-1.2, high=0.6, edges=(0.45, -1.2)),
        StateField("velocity", "float64", "unwrapped.state[1]", "close", low=-0.07, high=0.07, edges=(0.0,)),
        StateField("state_f32", "bool", "unwrapped.state.dtype == float32"),
        StateField("time", "int64", "TimeLimit._elapsed_steps", low=0, high=999),
    ),
    draws=(DrawSpec("reset_uniform", "uniform", (), "reset", "np_random.uniform(low=-0.6, high=-0.4)"),),
    max_episode_steps=999,
    canonical_state=reference.canonical_state,
    goal_policy=_goal_policy,
    invalid_action="actions outside [-1, 1] are clipped for the force, as the reference does; the reward uses the unclipped action, as the reference does",
    gymnax_id="MountainCarContinuous-v0",
    backends=("jax", "rust"),
    rust_classes=("MountainCarContinuous", "MountainCarContinuousVec"),
    rust_source="src/classic_control/mountain_car_continuous.rs",
    aliases=("MountainCarContinuous", "mountaincar_continuous"),
    policy_transfer_margin=6.0,
    policy_transfer_reason=(
        "Return: +100 at the goal minus 0.1 action^2 a step (999-step limit). A uniform-random policy scores -33 "
        "(999 steps of cost, no goal), the port's goal_policy +89 (measured: 200 episodes of the JAX translation, "
        "4 Dec 2026); the margin 6 is 5% of that 122-point span (4.9%)."
    ),
    extra={"unreachable_branches": GYM_UNREACHABLE_BRANCHES},
)
