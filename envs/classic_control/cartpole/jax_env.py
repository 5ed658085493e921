"""CartPole-v1 in JAX, translated from gymnasium.envs.classic_control.cartpole.CartPoleEnv.

Float64 under jax_enable_x64 (matching the reference to round-off), float32 otherwise.
The operation order follows the reference so that float64 results agree bit for bit.
Sines and cosines come from `envs.jax_math` (the same values in float64, a fused polynomial
in float32).
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
    x: jax.Array
    x_dot: jax.Array
    theta: jax.Array
    theta_dot: jax.Array
    steps_beyond_terminated: jax.Array  # -1 stands for the reference's None
    time: jax.Array


@struct.dataclass
class Params:
    gravity: float = 9.8
    masscart: float = 1.0
    masspole: float = 0.1
    length: float = 0.5
    force_mag: float = 10.0
    tau: float = 0.02
    theta_threshold_radians: float = 12 * 2 * math.pi / 360
    x_threshold: float = 2.4
    reset_low: float = -0.05
    reset_high: float = 0.05
    max_steps_in_episode: int = 500


class CartPole(JaxEnv):
    """Cart-pole balancing, Euler integration, reward 1 per step until the pole falls."""

    name = "CartPole-v1"

    @property
    def default_params(self) -> Params:
        return Params()

    def sample_reset_draws(self, key, params):
        return {"reset_uniform": jax_random.uniform(key, (4,), float_dtype())}

    def reset_det(self, draws, params):
        u = draws["reset_uniform"]
        values = params.reset_low + (params.reset_high - params.reset_low) * u
        state = State(
            x=values[0],
            x_dot=values[1],
            theta=values[2],
            theta_dot=values[3],
            steps_beyond_terminated=jnp.asarray(-1, int_dtype()),
            time=jnp.asarray(0, int_dtype()),
        )
        return self.get_obs(state, params), state

    def transition(self, state, action, draws, params):
        total_mass = params.masspole + params.masscart
        polemass_length = params.masspole * params.length
        force = jnp.where(action == 1, params.force_mag, -params.force_mag)
        sintheta, costheta = jax_math.sincos(state.theta)
        temp = (force + polemass_length * jnp.square(state.theta_dot) * sintheta) / total_mass
        thetaacc = (params.gravity * sintheta - costheta * temp) / (
            params.length * (4.0 / 3.0 - params.masspole * jnp.square(costheta) / total_mass)
        )
        xacc = temp - polemass_length * thetaacc * costheta / total_mass
        x = state.x + params.tau * state.x_dot
        x_dot = state.x_dot + params.tau * xacc
        theta = state.theta + params.tau * state.theta_dot
        theta_dot = state.theta_dot + params.tau * thetaacc

        terminated = (
            (x < -params.x_threshold)
            | (x > params.x_threshold)
            | (theta < -params.theta_threshold_radians)
            | (theta > params.theta_threshold_radians)
        )
        sbt = state.steps_beyond_terminated
        # Reward 1 while balanced and on the step the pole falls; 0 on steps taken after that.
        reward = jnp.where(terminated & (sbt >= 0), 0.0, 1.0).astype(float_dtype())
        sbt = jnp.where(terminated, jnp.where(sbt < 0, 0, sbt + 1), sbt).astype(sbt.dtype)
        next_state = state.replace(
            x=x, x_dot=x_dot, theta=theta, theta_dot=theta_dot, steps_beyond_terminated=sbt
        )
        return next_state, reward, terminated

    def get_obs(self, state, params=None):
        return jnp.stack([state.x, state.x_dot, state.theta, state.theta_dot]).astype(jnp.float32)

    def action_space(self, params=None):
        return spaces.Discrete(2)

    def observation_space(self, params=None):
        params = self.default_params if params is None else params
        inf = float("inf")
        high = [params.x_threshold * 2, inf, params.theta_threshold_radians * 2, inf]
        return spaces.Box([-h for h in high], high, (4,), jnp.float32)
