"""MinAtar SpaceInvaders in JAX, translated from minatar.environments.space_invaders.Env (MinAtar 1.0.15).

The cannon moves along the bottom row and fires upward (cool-down 5). A block of
aliens moves sideways every `alien_move_timer` steps (faster as fewer are left),
steps down and turns at a wall, and the alien nearest the cannon shoots every 10
steps. +1 per alien hit; a cleared wave is replaced by a new one that moves faster
(difficulty ramp). The game ends when an alien or an enemy bullet reaches the cannon.
Channels: cannon, alien, alien moving left, alien moving right, friendly bullet,
enemy bullet. The game itself draws no random numbers; only sticky actions do.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from envs.jax_env import int_dtype
from envs.minatar.jax_base import FIRE, LEFT, RIGHT, MinAtarEnv

SHOT_COOL_DOWN = 5
ENEMY_MOVE_INTERVAL = 12
ENEMY_SHOT_INTERVAL = 10


@struct.dataclass
class State:
    pos: jax.Array
    f_bullet_map: jax.Array  # (10, 10) bool
    e_bullet_map: jax.Array  # (10, 10) bool
    alien_map: jax.Array  # (10, 10) bool
    alien_dir: jax.Array  # -1 left, +1 right
    enemy_move_interval: jax.Array
    alien_move_timer: jax.Array
    alien_shot_timer: jax.Array
    ramp_index: jax.Array
    shot_timer: jax.Array
    terminal: jax.Array
    last_action: jax.Array
    time: jax.Array


def alien_wave() -> jax.Array:
    """A fresh wave: rows 0-3, columns 2-7."""
    return jnp.zeros((10, 10), bool).at[0:4, 2:8].set(True)


def nearest_alien(alien_map, pos):
    """(row, column) of the shooter: the lowest alien of the occupied column nearest `pos` (the left one on a tie)."""
    cols = jnp.arange(10)
    occupied = jnp.any(alien_map, axis=0)
    col = jnp.argmin(jnp.where(occupied, jnp.abs(cols - pos) * 10 + cols, 1000))
    row = 9 - jnp.argmax(alien_map[::-1, col])
    return row, col


class SpaceInvaders(MinAtarEnv):
    """MinAtar SpaceInvaders (full action set by default; `n l r f` with minimal_action_set)."""

    name = "MinAtar/SpaceInvaders-v0"
    channels = 6
    minimal_actions = (0, 1, 3, 5)

    def sample_reset_draws(self, key, params):
        return {}

    def reset_det(self, draws, params):
        i = lambda v: jnp.asarray(v, int_dtype())
        state = State(
            pos=i(5),
            f_bullet_map=jnp.zeros((10, 10), bool),
            e_bullet_map=jnp.zeros((10, 10), bool),
            alien_map=alien_wave(),
            alien_dir=i(-1),
            enemy_move_interval=i(ENEMY_MOVE_INTERVAL),
            alien_move_timer=i(ENEMY_MOVE_INTERVAL),
            alien_shot_timer=i(ENEMY_SHOT_INTERVAL),
            ramp_index=i(0),
            shot_timer=i(0),
            terminal=jnp.asarray(False),
            last_action=i(0),
            time=i(0),
        )
        return self.get_obs(state, params), state

    def game_step(self, s, action, draws, params):
        fire = (action == FIRE) & (s.shot_timer == 0)
        f_bullets = jnp.where(fire, s.f_bullet_map.at[9, s.pos].set(True), s.f_bullet_map)
        shot_timer = jnp.where(fire, SHOT_COOL_DOWN, s.shot_timer)
        pos = jnp.where(~fire & (action == LEFT), jnp.maximum(0, s.pos - 1), s.pos)
        pos = jnp.where(~fire & (action == RIGHT), jnp.minimum(9, s.pos + 1), pos)

        f_bullets = jnp.roll(f_bullets, -1, axis=0).at[9, :].set(False)
        e_bullets = jnp.roll(s.e_bullet_map, 1, axis=0).at[0, :].set(False)
        terminal = s.terminal | e_bullets[9, pos] | s.alien_map[9, pos]

        # Aliens move when their timer runs out: sideways, or down and turning at a wall.
        aliens, alien_dir = s.alien_map, s.alien_dir
        move = s.alien_move_timer == 0
        move_timer = jnp.where(move, jnp.minimum(jnp.sum(aliens), s.enemy_move_interval), s.alien_move_timer)
        at_wall = (jnp.any(aliens[:, 0]) & (alien_dir < 0)) | (jnp.any(aliens[:, 9]) & (alien_dir > 0))
        turn = move & at_wall
        terminal = terminal | (turn & jnp.any(aliens[9, :]))
        aliens = jnp.where(turn, jnp.roll(aliens, 1, axis=0), jnp.where(move, jnp.roll(aliens, alien_dir, axis=1), aliens))
        alien_dir = jnp.where(turn, -alien_dir, alien_dir)
        terminal = terminal | (move & aliens[9, pos])

        shoot = s.alien_shot_timer == 0
        row, col = nearest_alien(aliens, pos)
        e_bullets = jnp.where(shoot, e_bullets.at[row, col].set(True), e_bullets)
        shot_timer_alien = jnp.where(shoot, ENEMY_SHOT_INTERVAL, s.alien_shot_timer)

        kills = aliens & f_bullets
        reward = jnp.sum(kills)
        aliens, f_bullets = aliens & ~kills, f_bullets & ~kills

        cleared = ~jnp.any(aliens)
        ramp = cleared & (s.enemy_move_interval > 6) & params.difficulty_ramping
        next_state = s.replace(
            pos=pos.astype(s.pos.dtype),
            f_bullet_map=f_bullets,
            e_bullet_map=e_bullets,
            alien_map=jnp.where(cleared, alien_wave(), aliens),
            alien_dir=alien_dir.astype(s.alien_dir.dtype),
            enemy_move_interval=(s.enemy_move_interval - ramp).astype(s.enemy_move_interval.dtype),
            alien_move_timer=(move_timer - 1).astype(s.alien_move_timer.dtype),
            alien_shot_timer=(shot_timer_alien - 1).astype(s.alien_shot_timer.dtype),
            ramp_index=(s.ramp_index + ramp).astype(s.ramp_index.dtype),
            shot_timer=(shot_timer - (shot_timer > 0)).astype(s.shot_timer.dtype),
            terminal=terminal,
        )
        return next_state, reward.astype(jnp.int32), terminal

    def get_obs(self, state, params=None):
        left = state.alien_dir < 0
        return jnp.stack(
            [
                jnp.zeros((10, 10), bool).at[9, state.pos].set(True),
                state.alien_map,
                state.alien_map & left,
                state.alien_map & ~left,
                state.f_bullet_map,
                state.e_bullet_map,
            ],
            axis=-1,
        )
