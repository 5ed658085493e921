"""Vault in JAX; `bonus` is what the vault pays (a test plants a mutant by changing it)."""

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
    charge: jax.Array
    armed: jax.Array
    time: jax.Array


@struct.dataclass
class Params:
    max_steps_in_episode: int = 200


class Vault(JaxEnv):
    """Reach the vault with the right charge."""

    name = "Vault-v0"

    def __init__(self, bonus: float = 10.0):
        self.bonus = bonus

    @property
    def default_params(self) -> Params:
        return Params()

    def sample_reset_draws(self, key, params):
        return {"reset_position": jax_random.uniform(key, (), float_dtype())}

    def sample_step_draws(self, key, state, params):
        return {}

    def reset_det(self, draws, params):
        position = -0.5 + (0.5 - -0.5) * draws["reset_position"]
        zero = jnp.zeros((), float_dtype())
        state = State(position, zero, jnp.asarray(0, int_dtype()), jnp.asarray(True), jnp.asarray(0, int_dtype()))
        return self.get_obs(state, params), state

    def transition(self, state, action, draws, params):
        velocity = state.velocity + 0.01 * (action - 1)
        position = state.position + velocity
        charge = jnp.where(action == 2, jnp.minimum(state.charge + 1, 1000), state.charge)
        opens = state.armed & (charge == 377) & (position > 0.9)
        reward = -jnp.abs(position) + jnp.where(opens, self.bonus, 0.0)
        armed = state.armed & ~opens
        terminated = jnp.abs(position) > 1.0
        new = state.replace(position=position, velocity=velocity, charge=charge, armed=armed)
        return new, reward.astype(float_dtype()), terminated

    def get_obs(self, state, params=None):
        return jnp.stack([state.position, state.velocity, state.charge, state.armed]).astype(jnp.float32)

    def action_space(self, params=None):
        return spaces.Discrete(3)

    def observation_space(self, params=None):
        inf = float("inf")
        return spaces.Box([-inf] * 4, [inf] * 4, (4,), jnp.float32)
