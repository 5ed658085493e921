"""MountainCarContinuous-v0 in JAX, translated from
gymnasium.envs.classic_control.continuous_mountain_car.Continuous_MountainCarEnv.

The reference keeps its state in float64 right after reset and in float32 after
every step, and numpy's promotion rules (NEP 50) then decide which operations run
in float32. The state records which precision the reference holds (`state_f32`),
and the step below reproduces the reference's arithmetic for either precision, so
float64 runs agree with it exactly.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from envs import jax_random, spaces
from envs.jax_env import JaxEnv, float_dtype, int_dtype


@struct.dataclass
class State:
    position: jax.Array
    velocity: jax.Array
    state_f32: jax.Array  # whether the reference holds its state as float32
    time: jax.Array


@struct.dataclass
class Params:
    min_action: float = -1.0
    max_action: float = 1.0
    min_position: float = -1.2
    max_position: float = 0.6
    max_speed: float = 0.07
    goal_position: float = 0.45
    goal_velocity: float = 0.0
    power: float = 0.0015
    reset_low: float = -0.6
    reset_high: float = -0.4
    max_steps_in_episode: int = 999


def _physics(position, velocity, a0, params, dtype):
    """The reference's update with its state held in `dtype`; returns (position, velocity, terminated)."""
    compute = float_dtype()
    position = position.astype(dtype)
    velocity = velocity.astype(dtype)
    cos = jnp.cos((3 * position).astype(compute))
    # min(max(a0, -1.0), 1.0) yields a Python float (float64 arithmetic) only when it clips.
    clipped = (a0 < params.min_action) | (a0 > params.max_action)
    bound = jnp.where(a0 < params.min_action, params.min_action, params.max_action).astype(compute)
    push_clipped = bound * params.power - 0.0025 * cos
    push_free = a0 * jnp.asarray(params.power, jnp.float32) - (0.0025 * cos).astype(jnp.float32)
    velocity = velocity + jnp.where(clipped, push_clipped.astype(dtype), push_free.astype(dtype))
    too_fast = velocity > jnp.asarray(params.max_speed, dtype)
    too_slow = velocity < jnp.asarray(-params.max_speed, dtype)
    speed = jnp.where(too_fast, params.max_speed, jnp.where(too_slow, -params.max_speed, velocity.astype(compute)))
    moved = position + speed.astype(dtype)
    past_max = moved > jnp.asarray(params.max_position, dtype)
    past_min = moved < jnp.asarray(params.min_position, dtype)
    new_position = jnp.where(past_max, params.max_position, jnp.where(past_min, params.min_position, moved.astype(compute)))
    at_min = past_min | (moved == jnp.asarray(params.min_position, dtype))
    speed = jnp.where(at_min & (speed < 0), 0.0, speed)
    terminated = (moved >= jnp.asarray(params.goal_position, dtype)) & (speed >= params.goal_velocity)
    return new_position, speed, terminated


class MountainCarContinuous(JaxEnv):
    """Mountain car with a continuous push in [-1, 1]; +100 at the flag, minus the action's energy."""

    name = "MountainCarContinuous-v0"

    @property
    def default_params(self) -> Params:
        return Params()

    def sample_reset_draws(self, key, params):
        return {"reset_uniform": jax_random.uniform(key, (), float_dtype())}

    def reset_det(self, draws, params):
        u = draws["reset_uniform"]
        position = params.reset_low + (params.reset_high - params.reset_low) * u
        state = State(position, jnp.zeros_like(position), jnp.asarray(False), jnp.asarray(0, int_dtype()))
        return self.get_obs(state, params), state

    def transition(self, state, action, draws, params):
        a0 = jnp.asarray(action, jnp.float32).reshape(-1)[0]
        p32, v32, t32 = _physics(state.position, state.velocity, a0, params, jnp.float32)
        p64, v64, t64 = _physics(state.position, state.velocity, a0, params, float_dtype())
        position = jnp.where(state.state_f32, p32, p64)
        velocity = jnp.where(state.state_f32, v32, v64)
        terminated = jnp.where(state.state_f32, t32, t64)
        a = a0.astype(float_dtype())
        reward = jnp.where(terminated, 100.0, 0.0) - a * a * 0.1
        # The reference stores the new state as float32.
        position = position.astype(jnp.float32).astype(float_dtype())
        velocity = velocity.astype(jnp.float32).astype(float_dtype())
        next_state = state.replace(position=position, velocity=velocity, state_f32=jnp.asarray(True))
        return next_state, reward, terminated

    def get_obs(self, state, params=None):
        return jnp.stack([state.position, state.velocity]).astype(jnp.float32)

    def action_space(self, params=None):
        params = self.default_params if params is None else params
        return spaces.Box(params.min_action, params.max_action, (1,), jnp.float32)

    def observation_space(self, params=None):
        params = self.default_params if params is None else params
        return spaces.Box(
            [params.min_position, -params.max_speed], [params.max_position, params.max_speed], (2,), jnp.float32
        )


def momentum_policy(key, obs):
    """Full push along the velocity: reaches the flag (the rare terminal event)."""
    return jnp.where(obs[1] >= 0, 1.0, -1.0).astype(jnp.float32).reshape(1)
