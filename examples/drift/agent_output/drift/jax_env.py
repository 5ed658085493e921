"""Drift in JAX, translated from the user's drift_env.DriftEnv (dtype-generic: float64 under x64)."""

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
    time: jax.Array


@struct.dataclass
class Params:
    push: float = 0.02
    noise: float = 0.005
    gust_probability: float = 0.1
    gust: float = 0.05
    max_steps_in_episode: int = 200


class Drift(JaxEnv):
    """A cart in a gusty wind."""

    name = "Drift-v0"

    @property
    def default_params(self) -> Params:
        return Params()

    def sample_reset_draws(self, key, params):
        return {"reset_position": jax_random.uniform(key, (), float_dtype())}

    def sample_step_draws(self, key, state, params):
        k_noise, k_roll, k_gust = jax_random.split(key, 3)
        return {
            "noise": jax.random.normal(k_noise, (), float_dtype()),
            "gust_roll": jax_random.uniform(k_roll, (), float_dtype()),
            "gust": jax_random.uniform(k_gust, (), float_dtype()),
        }

    def reset_det(self, draws, params):
        position = -0.5 + (0.5 - -0.5) * draws["reset_position"]
        state = State(position=position, velocity=jnp.zeros((), float_dtype()), time=jnp.asarray(0, int_dtype()))
        return self.get_obs(state, params), state

    def transition(self, state, action, draws, params):
        action = jnp.clip(action, 0, 2)
        velocity = state.velocity + (params.push * (action - 1) + (0.0 + params.noise * draws["noise"]))
        gust = -params.gust + (params.gust - -params.gust) * draws["gust"]
        velocity = jnp.where(draws["gust_roll"] < params.gust_probability, velocity + gust, velocity)
        position = state.position + velocity
        terminated = jnp.abs(position) > 1.0
        reward = (-jnp.abs(position)).astype(float_dtype())
        return state.replace(position=position, velocity=velocity), reward, terminated

    def get_obs(self, state, params=None):
        return jnp.stack([state.position, state.velocity]).astype(jnp.float32)

    def action_space(self, params=None):
        return spaces.Discrete(3)

    def observation_space(self, params=None):
        inf = float("inf")
        return spaces.Box([-inf, -inf], [inf, inf], (2,), jnp.float32)
