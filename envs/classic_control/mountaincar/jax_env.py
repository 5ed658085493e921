"""MountainCar-v0 in JAX, translated from gymnasium.envs.classic_control.mountain_car.MountainCarEnv."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from envs import jax_math, jax_random, spaces
from envs.jax_env import JaxEnv, float_dtype, int_dtype


@struct.dataclass
class State:
    position: jax.Array
    velocity: jax.Array
    time: jax.Array


@struct.dataclass
class Params:
    min_position: float = -1.2
    max_position: float = 0.6
    max_speed: float = 0.07
    goal_position: float = 0.5
    goal_velocity: float = 0.0
    force: float = 0.001
    gravity: float = 0.0025
    reset_low: float = -0.6
    reset_high: float = -0.4
    max_steps_in_episode: int = 200


class MountainCar(JaxEnv):
    """Drive an underpowered car up a hill: three discrete pushes, reward -1 per step."""

    name = "MountainCar-v0"

    @property
    def default_params(self) -> Params:
        return Params()

    def sample_reset_draws(self, key, params):
        return {"reset_uniform": jax_random.uniform(key, (), float_dtype())}

    def reset_det(self, draws, params):
        u = draws["reset_uniform"]
        position = params.reset_low + (params.reset_high - params.reset_low) * u
        state = State(position, jnp.zeros_like(position), jnp.asarray(0, int_dtype()))
        return self.get_obs(state, params), state

    def transition(self, state, action, draws, params):
        velocity = state.velocity + (
            (action - 1) * params.force + jax_math.cos(3 * state.position) * (-params.gravity)
        )
        velocity = jnp.clip(velocity, -params.max_speed, params.max_speed)
        position = jnp.clip(state.position + velocity, params.min_position, params.max_position)
        velocity = jnp.where((position == params.min_position) & (velocity < 0), 0.0, velocity)
        terminated = (position >= params.goal_position) & (velocity >= params.goal_velocity)
        reward = jnp.asarray(-1.0, float_dtype())
        return state.replace(position=position, velocity=velocity), reward, terminated

    def get_obs(self, state, params=None):
        return jnp.stack([state.position, state.velocity]).astype(jnp.float32)

    def action_space(self, params=None):
        return spaces.Discrete(3)

    def observation_space(self, params=None):
        params = self.default_params if params is None else params
        return spaces.Box(
            [params.min_position, -params.max_speed], [params.max_position, params.max_speed], (2,), jnp.float32
        )


def momentum_policy(key, obs):
    """Push along the velocity: builds momentum and reaches the flag (the rare terminal event)."""
    return jnp.where(obs[1] >= 0, 2, 0).astype(jnp.int32)
