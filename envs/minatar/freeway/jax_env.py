"""MinAtar Freeway in JAX, translated from minatar.environments.freeway.Env (MinAtar 1.0.15).

The chicken starts at the bottom and crosses eight lanes of cars (+1 on reaching
the top, then back to the bottom with new car speeds); a car that meets it sends it
back to the bottom. The chicken moves at most once every three steps; the game ends
after 2500 steps of its own clock. Channels: chicken, car, then the car's trail
by speed 1-5. Randomness: each car's speed (1-5) and direction at reset and at every
crossing.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from envs import jax_random
from envs.jax_env import float_dtype, int_dtype, randint
from envs.minatar.jax_base import DOWN, UP, MinAtarEnv, MinAtarParams

PLAYER_SPEED = 3
TIME_LIMIT = 2500


@struct.dataclass
class State:
    car_x: jax.Array  # (8,)
    car_y: jax.Array  # (8,)
    car_timer: jax.Array  # (8,) steps until the car moves
    car_speed: jax.Array  # (8,) signed: the sign is the direction, |speed| - 1 the steps between moves
    pos: jax.Array
    move_timer: jax.Array
    terminate_timer: jax.Array
    terminal: jax.Array
    last_action: jax.Array
    time: jax.Array


@struct.dataclass
class Params(MinAtarParams):
    max_steps_in_episode: int = 2600


def _speeds(speeds, dirs):
    """randint(1, 6, 8) * sign(rand(8) - 0.5), as the reference combines them."""
    return speeds * jnp.sign(dirs - 0.5).astype(speeds.dtype)


class Freeway(MinAtarEnv):
    """MinAtar Freeway (full action set by default; `n u d` with minimal_action_set)."""

    name = "MinAtar/Freeway-v0"
    channels = 7
    minimal_actions = (0, 2, 4)
    params_class = Params

    def _car_draws(self, key):
        k_speed, k_dir = jax_random.split(key)
        return randint(k_speed, (8,), 1, 6), jax_random.uniform(k_dir, (8,), float_dtype())

    def sample_reset_draws(self, key, params):
        speeds, dirs = self._car_draws(key)
        return {"car_speeds": speeds, "car_dirs": dirs}

    def game_draws(self, key, state, params):
        speeds, dirs = self._car_draws(key)
        return {"win_speeds": speeds, "win_dirs": dirs}

    def reset_det(self, draws, params):
        speed = _speeds(draws["car_speeds"], draws["car_dirs"])
        i = lambda v: jnp.asarray(v, int_dtype())
        state = State(
            car_x=jnp.zeros(8, int_dtype()),
            car_y=jnp.arange(1, 9, dtype=int_dtype()),
            car_timer=jnp.abs(speed),
            car_speed=speed,
            pos=i(9),
            move_timer=i(PLAYER_SPEED),
            terminate_timer=i(TIME_LIMIT),
            terminal=jnp.asarray(False),
            last_action=i(0),
            time=i(0),
        )
        return self.get_obs(state, params), state

    def game_step(self, s, action, draws, params):
        ready = s.move_timer == 0
        up, down = ready & (action == UP), ready & (action == DOWN)
        pos = jnp.where(up, jnp.maximum(0, s.pos - 1), jnp.where(down, jnp.minimum(9, s.pos + 1), s.pos))
        move_timer = jnp.where(up | down, PLAYER_SPEED, s.move_timer)

        crossed = pos == 0
        new_speed = _speeds(draws["win_speeds"], draws["win_dirs"]).astype(s.car_speed.dtype)
        speed = jnp.where(crossed, new_speed, s.car_speed)
        timer = jnp.where(crossed, jnp.abs(new_speed), s.car_timer)
        pos = jnp.where(crossed, 9, pos)

        # The reference moves the cars one after the other and sends the chicken to row 9 on a hit;
        # since it only ever goes back to 9, a hit by any car, before or after it moves, decides it.
        hit_before = (s.car_x == 4) & (s.car_y == pos)
        moves = timer == 0
        x = s.car_x + jnp.where(speed > 0, 1, -1)
        x = jnp.where(x < 0, 9, jnp.where(x > 9, 0, x))
        x = jnp.where(moves, x, s.car_x)
        hit_after = moves & (x == 4) & (s.car_y == pos)
        pos = jnp.where(jnp.any(hit_before | hit_after), 9, pos)
        timer = jnp.where(moves, jnp.abs(speed), timer - 1)

        terminate_timer = s.terminate_timer - 1
        next_state = s.replace(
            car_x=x.astype(s.car_x.dtype),
            car_timer=timer.astype(s.car_timer.dtype),
            car_speed=speed,
            pos=pos.astype(s.pos.dtype),
            move_timer=(move_timer - (move_timer > 0)).astype(s.move_timer.dtype),
            terminate_timer=terminate_timer,
            terminal=terminate_timer < 0,
        )
        return next_state, crossed.astype(jnp.int32), terminate_timer < 0

    def get_obs(self, state, params=None):
        obs = jnp.zeros((10, 10, self.channels), bool)
        obs = obs.at[state.pos, 4, 0].set(True)
        obs = obs.at[state.car_y, state.car_x, 1].set(True)
        back = state.car_x + jnp.where(state.car_speed > 0, -1, 1)
        back = jnp.where(back < 0, 9, jnp.where(back > 9, 0, back))
        return obs.at[state.car_y, back, 1 + jnp.abs(state.car_speed)].set(True)
