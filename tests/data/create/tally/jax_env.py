"""Tally in JAX (the translation envport create's tests script)."""

import jax
import jax.numpy as jnp
from flax import struct

from envs import jax_random
from envs.jax_env import JaxEnv, float_dtype
from envs.spaces import Box, Discrete


@struct.dataclass
class State:
    count: jax.Array
    target: jax.Array
    time: jax.Array


@struct.dataclass
class Params:
    max_steps_in_episode: int = 20


class Tally(JaxEnv):
    @property
    def default_params(self):
        return Params()

    def sample_reset_draws(self, key, params):
        return {"target": (jax_random.bits(key, ()) % 3).astype(jnp.int32) + 3}

    def reset_det(self, draws, params):
        z = jnp.asarray(0, jnp.int32)
        state = State(count=z, target=jnp.asarray(draws["target"], jnp.int32), time=z)
        return self.get_obs(state, params), state

    def transition(self, state, action, draws, params):
        count = (state.count + 1 + jnp.asarray(action, jnp.int32)).astype(jnp.int32)
        terminated = count >= state.target
        return state.replace(count=count), jnp.where(terminated, 1.0, 0.0).astype(float_dtype()), terminated

    def get_obs(self, state, params=None):
        return jnp.stack([state.count, state.target]).astype(jnp.int32)

    def action_space(self, params=None):
        return Discrete(2)

    def observation_space(self, params=None):
        return Box(0, 100, (2,), jnp.int32)
