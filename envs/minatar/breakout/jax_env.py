"""MinAtar Breakout in JAX, translated from minatar.environments.breakout.Env (MinAtar 1.0.15).

The paddle moves along the bottom row; the ball travels on diagonals, bounces off
walls, the ceiling, bricks (+1 each) and the paddle, and ends the game when it
reaches the bottom row past the paddle. When no brick is left as the ball reaches
the bottom row, three new rows appear. Channels: paddle, ball, trail, brick.
The only randomness is the ball's start (left or right) at reset.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from envs.jax_env import int_dtype, randint
from envs.minatar.jax_base import LEFT, RIGHT, MinAtarEnv

# ball_dir: 0 up-left, 1 up-right, 2 down-right, 3 down-left. The direction tables of the
# reference as arithmetic on the index (a table lookup is a gather, slow on the CPU when batched):
# dx (-1, 1, 1, -1), dy (-1, -1, 1, 1); off a side wall (1, 0, 3, 2) = d ^ 1; off the ceiling, a
# brick or the paddle's near edge (3, 2, 1, 0) = 3 - d; off the paddle's far edge (2, 3, 0, 1) = d ^ 2.


def _dx(d):
    return jnp.where((d == 1) | (d == 2), 1, -1)


def _dy(d):
    return jnp.where(d >= 2, 1, -1)


def _flip_x(d):
    return d ^ 1


def _flip_y(d):
    return 3 - d


def _flip_xy(d):
    return d ^ 2


@struct.dataclass
class State:
    ball_x: jax.Array
    ball_y: jax.Array
    ball_dir: jax.Array
    pos: jax.Array
    brick_map: jax.Array  # (10, 10) bool
    strike: jax.Array
    last_x: jax.Array
    last_y: jax.Array
    terminal: jax.Array
    last_action: jax.Array
    time: jax.Array


_ROWS = np.arange(10)[:, None]
_COLS = np.arange(10)[None, :]
BRICK_ROWS = (_ROWS >= 1) & (_ROWS <= 3) & (_COLS >= 0)  # rows 1-3: a new wall


def cell_mask(y, x):
    """A (10, 10) bool grid, True only at row y, column x."""
    return (_ROWS == y) & (_COLS == x)


class Breakout(MinAtarEnv):
    """MinAtar Breakout (full action set by default; `n l r` with minimal_action_set)."""

    name = "MinAtar/Breakout-v0"
    channels = 4
    minimal_actions = (0, 1, 3)

    def sample_reset_draws(self, key, params):
        return {"ball_start": randint(key, (), 0, 2)}

    def reset_det(self, draws, params):
        right = draws["ball_start"] == 1
        i = lambda v: jnp.asarray(v, int_dtype())
        ball_x = jnp.where(right, 9, 0).astype(int_dtype())
        state = State(
            ball_x=ball_x,
            ball_y=i(3),
            ball_dir=jnp.where(right, 3, 2).astype(int_dtype()),
            pos=i(4),
            brick_map=BRICK_ROWS,
            strike=jnp.asarray(False),
            last_x=ball_x,
            last_y=i(3),
            terminal=jnp.asarray(False),
            last_action=i(0),
            time=i(0),
        )
        return self.get_obs(state, params), state

    def game_step(self, s, action, draws, params):
        pos = jnp.where(action == LEFT, jnp.maximum(0, s.pos - 1), s.pos)
        pos = jnp.where(action == RIGHT, jnp.minimum(9, s.pos + 1), pos)
        last_x, last_y = s.ball_x, s.ball_y
        new_x = s.ball_x + _dx(s.ball_dir)
        new_y = s.ball_y + _dy(s.ball_dir)

        side = (new_x < 0) | (new_x > 9)
        new_x = jnp.clip(new_x, 0, 9)
        ball_dir = jnp.where(side, _flip_x(s.ball_dir), s.ball_dir)

        # One branch of the reference's if / elif chain applies.
        ceiling = new_y < 0
        # The ball's cell as a mask, not an index: a batched gather or scatter costs far more on the CPU
        # than a few elementwise operations over 100 cells.
        at_ball = cell_mask(jnp.clip(new_y, 0, 9), new_x)
        brick = ~ceiling & jnp.any(s.brick_map & at_ball)
        bottom = ~ceiling & ~brick & (new_y == 9)

        breaks = brick & ~s.strike  # a ball still in the brick it just broke breaks nothing
        bricks = s.brick_map & ~(at_ball & breaks)
        refill = bottom & ~jnp.any(s.brick_map)
        bricks = bricks | (refill & BRICK_ROWS)
        paddle_near = bottom & (s.ball_x == pos)
        paddle_far = bottom & ~paddle_near & (new_x == pos)
        missed = bottom & ~paddle_near & ~paddle_far

        ball_dir = jnp.where(ceiling | breaks | paddle_near, _flip_y(ball_dir), ball_dir)
        ball_dir = jnp.where(paddle_far, _flip_xy(ball_dir), ball_dir)
        new_y = jnp.where(ceiling, 0, new_y)
        new_y = jnp.where(breaks | paddle_near | paddle_far, last_y, new_y)

        next_state = s.replace(
            ball_x=new_x.astype(s.ball_x.dtype),
            ball_y=new_y.astype(s.ball_y.dtype),
            ball_dir=ball_dir.astype(s.ball_dir.dtype),
            pos=pos.astype(s.pos.dtype),
            brick_map=bricks,
            strike=brick,
            last_x=last_x,
            last_y=last_y,
            terminal=missed,
        )
        return next_state, breaks.astype(jnp.int32), missed

    def get_obs(self, state, params=None):
        obs = jnp.zeros((10, 10, self.channels), bool)
        obs = obs.at[9, state.pos, 0].set(True)
        obs = obs.at[state.ball_y, state.ball_x, 1].set(True)
        obs = obs.at[state.last_y, state.last_x, 2].set(True)
        return obs.at[:, :, 3].set(state.brick_map)
