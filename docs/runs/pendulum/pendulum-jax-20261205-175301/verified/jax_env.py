"""Pendulum-v1 in JAX, translated from gymnasium.envs.classic_control.pendulum.PendulumEnv.

The action is float32 as in the reference's action space, so the torque terms
run in float32 exactly where numpy runs them in float32. Sines and cosines come from
`envs.jax_math` (the same values in float64, a fused polynomial in float32).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from flax import struct

from envs import jax_math, jax_random, spaces
from envs.jax_env import JaxEnv, float_dtype, int_dtype


@struct.dataclass
class State:
    theta: jax.Array
    theta_dot: jax.Array
    last_u: jax.Array  # float32; NaN stands for the reference's None (before the first step)
    time: jax.Array


@struct.dataclass
class Params:
    max_speed: float = 8.0
    max_torque: float = 2.0
    dt: float = 0.05
    g: float = 10.0
    m: float = 1.0
    l: float = 1.0
    reset_theta: float = math.pi
    reset_theta_dot: float = 1.0
    max_steps_in_episode: int = 200


def angle_normalize(x):
    """Map an angle into [-pi, pi) with the reference's floor modulo."""
    return ((x + math.pi) % (2 * math.pi)) - math.pi


class Pendulum(JaxEnv):
    """Swing a pendulum up and hold it; reward is minus a quadratic cost."""

    name = "Pendulum-v1"

    @property
    def default_params(self) -> Params:
        return Params()

    def sample_reset_draws(self, key, params):
        return {"reset_uniform": jax_random.uniform(key, (2,), float_dtype())}

    def reset_det(self, draws, params):
        u = draws["reset_uniform"]
        high = jnp.stack([jnp.asarray(params.reset_theta, float_dtype()), jnp.asarray(params.reset_theta_dot, float_dtype())])
        low = -high
        values = low + (high - low) * u
        state = State(values[0], values[1], jnp.asarray(jnp.nan, jnp.float32), jnp.asarray(0, int_dtype()))
        return self.get_obs(state, params), state

    def transition(self, state, action, draws, params):
        th, thdot = state.theta, state.theta_dot
        g, m, l, dt = params.g, params.m, params.l, params.dt
        # numpy keeps the float32 action in float32 against Python floats: so must we,
        # also when params are traced float64 arrays.
        max_torque = jnp.asarray(params.max_torque, jnp.float32)
        u = jnp.clip(jnp.asarray(action, jnp.float32), -max_torque, max_torque).reshape(-1)[0]
        costs = angle_normalize(th) ** 2 + 0.1 * thdot**2 + (0.001 * (u**2)).astype(float_dtype())
        torque_term = (jnp.asarray(3.0 / (m * l**2), jnp.float32) * u).astype(float_dtype())
        newthdot = thdot + (3 * g / (2 * l) * jax_math.sin(th) + torque_term) * dt
        newthdot = jnp.clip(newthdot, -params.max_speed, params.max_speed)
        newth = th + newthdot * dt
        next_state = state.replace(theta=newth, theta_dot=newthdot, last_u=u)
        return next_state, -costs, jnp.asarray(False)

    def get_obs(self, state, params=None):
        sin, cos = jax_math.sincos(state.theta)
        return jnp.stack([cos, sin, state.theta_dot]).astype(jnp.float32)

    def action_space(self, params=None):
        params = self.default_params if params is None else params
        return spaces.Box(-params.max_torque, params.max_torque, (1,), jnp.float32)

    def observation_space(self, params=None):
        params = self.default_params if params is None else params
        high = [1.0, 1.0, params.max_speed]
        return spaces.Box([-h for h in high], high, (3,), jnp.float32)
