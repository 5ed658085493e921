"""Acrobot-v1 in JAX, translated from gymnasium.envs.classic_control.acrobot.AcrobotEnv.

Book dynamics, one RK4 step of dt = 0.2 per action, angle wrapping and velocity
bounds as the reference applies them. Operation order follows the reference, except
where less work gives the same numbers within the port's tolerance (1e-10): the
state is a tuple of scalars (no 5-vector per RK4 stage), each stage takes one
`sincos` per angle (`envs.jax_math`, vectorised in float32) and the reference's
cos(a - pi/2) terms as sines, and the observation's sines and cosines also give
the termination test's cos(theta1 + theta2).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from flax import struct

from envs import jax_random, spaces
from envs.jax_math import sincos
from envs.jax_env import JaxEnv, float_dtype, int_dtype


@struct.dataclass
class State:
    theta1: jax.Array
    theta2: jax.Array
    dtheta1: jax.Array
    dtheta2: jax.Array
    time: jax.Array


@struct.dataclass
class Params:
    dt: float = 0.2
    link_length_1: float = 1.0
    link_mass_1: float = 1.0
    link_mass_2: float = 1.0
    link_com_pos_1: float = 0.5
    link_com_pos_2: float = 0.5
    link_moi: float = 1.0
    max_vel_1: float = 4 * math.pi
    max_vel_2: float = 9 * math.pi
    reset_low: float = -0.1
    reset_high: float = 0.1
    max_steps_in_episode: int = 500


AVAIL_TORQUE = (-1.0, 0.0, 1.0)


def _dsdt(y, params):
    """Time derivative of (theta1, theta2, dtheta1, dtheta2) under torque `a`, as a tuple of four scalars."""
    m1, m2 = params.link_mass_1, params.link_mass_2
    l1 = params.link_length_1
    lc1, lc2 = params.link_com_pos_1, params.link_com_pos_2
    I1 = I2 = params.link_moi
    g = 9.8
    theta1, theta2, dtheta1, dtheta2, a = y
    sin1, cos1 = sincos(theta1)
    sin2, cos2 = sincos(theta2)
    # The reference's cos(theta1 + theta2 - pi/2) and cos(theta1 - pi/2), from the two angles' sines and cosines.
    sin12 = sin1 * cos2 + cos1 * sin2
    d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * cos2) + I1 + I2
    d2 = m2 * (lc2**2 + l1 * lc2 * cos2) + I2
    phi2 = m2 * lc2 * g * sin12
    phi1 = (
        -m2 * l1 * lc2 * dtheta2**2 * sin2
        - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2
        + (m1 * lc1 + m2 * l1) * g * sin1
        + phi2
    )
    ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1**2 * sin2 - phi2) / (
        m2 * lc2**2 + I2 - d2**2 / d1
    )
    ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
    return dtheta1, dtheta2, ddtheta1, ddtheta2


def _rk4(y0, dt, params):
    """One Runge-Kutta 4 step over [0, dt], as gymnasium's rk4 with t = [0, dt]; y0 = (4 state values, torque)."""
    dt2 = dt / 2.0
    a = y0[4]

    def at(h, k):
        return tuple(y + h * d for y, d in zip(y0[:4], k)) + (a,)

    k1 = _dsdt(y0, params)
    k2 = _dsdt(at(dt2, k1), params)
    k3 = _dsdt(at(dt2, k2), params)
    k4 = _dsdt(at(dt, k3), params)
    return tuple(y + dt / 6.0 * (p + 2 * q + 2 * r + s) for y, p, q, r, s in zip(y0[:4], k1, k2, k3, k4))


def _wrap(x, m, big_m):
    """Wrap x into [m, M] by repeated subtraction, exactly as the reference's loops."""
    diff = big_m - m
    x = jax.lax.while_loop(lambda v: v > big_m, lambda v: v - diff, x)
    return jax.lax.while_loop(lambda v: v < m, lambda v: v + diff, x)


class Acrobot(JaxEnv):
    """Two-link underactuated pendulum; swing the tip above the bar."""

    name = "Acrobot-v1"

    @property
    def default_params(self) -> Params:
        return Params()

    def sample_reset_draws(self, key, params):
        return {"reset_uniform": jax_random.uniform(key, (4,), float_dtype())}

    def reset_det(self, draws, params):
        u = draws["reset_uniform"]
        # The reference stores its initial state as float32.
        values = (params.reset_low + (params.reset_high - params.reset_low) * u).astype(jnp.float32)
        values = values.astype(float_dtype())
        state = State(values[0], values[1], values[2], values[3], jnp.asarray(0, int_dtype()))
        return self.get_obs(state, params), state

    def transition(self, state, action, draws, params):
        torque = jnp.asarray(AVAIL_TORQUE, float_dtype())[action]
        y0 = (state.theta1, state.theta2, state.dtheta1, state.dtheta2, torque)
        ns = _rk4(y0, params.dt, params)
        theta1 = _wrap(ns[0], -math.pi, math.pi)
        theta2 = _wrap(ns[1], -math.pi, math.pi)
        dtheta1 = jnp.minimum(jnp.maximum(ns[2], -params.max_vel_1), params.max_vel_1)
        dtheta2 = jnp.minimum(jnp.maximum(ns[3], -params.max_vel_2), params.max_vel_2)
        next_state = state.replace(theta1=theta1, theta2=theta2, dtheta1=dtheta1, dtheta2=dtheta2)
        s1, c1 = sincos(theta1)
        s2, c2 = sincos(theta2)
        terminated = -c1 - (c1 * c2 - s1 * s2) > 1.0  # -cos(theta1) - cos(theta2 + theta1) > 1
        reward = jnp.where(terminated, 0.0, -1.0).astype(float_dtype())
        return next_state, reward, terminated

    def get_obs(self, state, params=None):
        s1, c1 = sincos(state.theta1)
        s2, c2 = sincos(state.theta2)
        return jnp.stack([c1, s1, c2, s2, state.dtheta1, state.dtheta2]).astype(jnp.float32)

    def action_space(self, params=None):
        return spaces.Discrete(3)

    def observation_space(self, params=None):
        params = self.default_params if params is None else params
        high = [1.0, 1.0, 1.0, 1.0, params.max_vel_1, params.max_vel_2]
        return spaces.Box([-h for h in high], high, (6,), jnp.float32)


def swing_policy(key, obs):
    """Torque along the second joint's velocity: pumps energy, reaches the goal height in ~90 steps."""
    return jnp.where(obs[5] >= 0, 2, 0).astype(jnp.int32)
