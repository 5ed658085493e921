"""MinAtar Asterix in JAX, translated from minatar.environments.asterix.Env (MinAtar 1.0.15).

The player moves in rows 1-8; enemies and gold cross the screen, one per row (eight
slots). Touching gold gives +1, touching an enemy ends the game. An entity spawns
every `spawn_speed` steps at a random side, gold with probability 1/3, in a random
free slot; entities move every `move_speed` steps. With difficulty ramping, every
100 steps spawning (and every second time moving) gets faster. Channels: player,
enemy, trail, gold.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from envs import jax_random
from envs.jax_env import float_dtype, int_dtype, randint
from envs.minatar.jax_base import DOWN, LEFT, RIGHT, UP, MinAtarEnv, MinAtarParams

RAMP_INTERVAL = 100
INIT_SPAWN_SPEED = 10
INIT_MOVE_INTERVAL = 5


@struct.dataclass
class State:
    player_x: jax.Array
    player_y: jax.Array
    ent_alive: jax.Array  # (8,) bool: slot i holds an entity (in row i + 1)
    ent_x: jax.Array
    ent_y: jax.Array
    ent_right: jax.Array  # moving right (spawned at x = 0)
    ent_gold: jax.Array
    spawn_speed: jax.Array
    spawn_timer: jax.Array
    move_speed: jax.Array
    move_timer: jax.Array
    ramp_timer: jax.Array
    ramp_index: jax.Array
    terminal: jax.Array
    last_action: jax.Array
    time: jax.Array


class Asterix(MinAtarEnv):
    """MinAtar Asterix (full action set by default; `n l u r d` with minimal_action_set)."""

    name = "MinAtar/Asterix-v0"
    channels = 4
    minimal_actions = (0, 1, 2, 3, 4)

    def sample_reset_draws(self, key, params):
        return {}

    def game_draws(self, key, state, params):
        k_side, k_gold, k_slot = jax_random.split(key, 3)
        free = jnp.sum(~state.ent_alive)
        return {
            "spawn_right": jax_random.uniform(k_side, (), float_dtype()),
            "spawn_gold": jax_random.uniform(k_gold, (), float_dtype()),
            "spawn_slot": randint(k_slot, (), 0, jnp.maximum(free, 1)),
        }

    def reset_det(self, draws, params):
        i = lambda v: jnp.asarray(v, int_dtype())
        state = State(
            player_x=i(5),
            player_y=i(5),
            ent_alive=jnp.zeros(8, bool),
            ent_x=jnp.zeros(8, int_dtype()),
            ent_y=jnp.zeros(8, int_dtype()),
            ent_right=jnp.zeros(8, bool),
            ent_gold=jnp.zeros(8, bool),
            spawn_speed=i(INIT_SPAWN_SPEED),
            spawn_timer=i(INIT_SPAWN_SPEED),
            move_speed=i(INIT_MOVE_INTERVAL),
            move_timer=i(INIT_MOVE_INTERVAL),
            ramp_timer=i(RAMP_INTERVAL),
            ramp_index=i(0),
            terminal=jnp.asarray(False),
            last_action=i(0),
            time=i(0),
        )
        return self.get_obs(state, params), state

    def game_step(self, s, action, draws, params):
        # Spawn in the k-th free slot (k drawn among the free ones), if any is free.
        spawn = s.spawn_timer == 0
        right = draws["spawn_right"] < 0.5
        free = ~s.ent_alive
        chosen = free & (jnp.cumsum(free) - 1 == draws["spawn_slot"]) & spawn
        slots = jnp.arange(8, dtype=s.ent_y.dtype)
        alive = s.ent_alive | chosen
        ent_x = jnp.where(chosen, jnp.where(right, 0, 9), s.ent_x)
        ent_y = jnp.where(chosen, slots + 1, s.ent_y)
        ent_right = jnp.where(chosen, right, s.ent_right)
        ent_gold = jnp.where(chosen, draws["spawn_gold"] < 1 / 3, s.ent_gold)
        spawn_timer = jnp.where(spawn, s.spawn_speed, s.spawn_timer)

        px = jnp.where(action == LEFT, jnp.maximum(0, s.player_x - 1), jnp.where(action == RIGHT, jnp.minimum(9, s.player_x + 1), s.player_x))
        py = jnp.where(action == UP, jnp.maximum(1, s.player_y - 1), jnp.where(action == DOWN, jnp.minimum(8, s.player_y + 1), s.player_y))

        def touch(alive, x):
            at = alive & (x == px) & (ent_y == py)
            return at & ent_gold, at & ~ent_gold  # collected, deadly

        collected1, deadly1 = touch(alive, ent_x)
        alive = alive & ~collected1

        moving = s.move_timer == 0
        moved_x = ent_x + jnp.where(ent_right, 1, -1)
        ent_x = jnp.where(moving & alive, moved_x, ent_x)
        alive = alive & ~(moving & ((ent_x < 0) | (ent_x > 9)))
        collected2, deadly2 = touch(alive & moving, ent_x)
        alive = alive & ~collected2
        move_timer = jnp.where(moving, s.move_speed, s.move_timer)

        reward = jnp.sum(collected1) + jnp.sum(collected2)
        terminal = jnp.any(deadly1) | jnp.any(deadly2)

        # Difficulty ramp.
        ramping = params.difficulty_ramping & ((s.spawn_speed > 1) | (s.move_speed > 1))
        counting = s.ramp_timer >= 0
        ramp = ramping & ~counting
        ramp_timer = jnp.where(ramping, jnp.where(counting, s.ramp_timer - 1, RAMP_INTERVAL), s.ramp_timer)
        move_speed = jnp.where(ramp & (s.move_speed > 1) & (jnp.mod(s.ramp_index, 2) == 1), s.move_speed - 1, s.move_speed)
        spawn_speed = jnp.where(ramp & (s.spawn_speed > 1), s.spawn_speed - 1, s.spawn_speed)

        # An empty slot holds no values (the reference's None; the adapter reads zeros).
        next_state = s.replace(
            player_x=px.astype(s.player_x.dtype),
            player_y=py.astype(s.player_y.dtype),
            ent_alive=alive,
            ent_x=jnp.where(alive, ent_x, 0).astype(s.ent_x.dtype),
            ent_y=jnp.where(alive, ent_y, 0).astype(s.ent_y.dtype),
            ent_right=ent_right & alive,
            ent_gold=ent_gold & alive,
            spawn_speed=spawn_speed,
            spawn_timer=spawn_timer - 1,
            move_speed=move_speed,
            move_timer=move_timer - 1,
            ramp_timer=ramp_timer.astype(s.ramp_timer.dtype),
            ramp_index=jnp.where(ramp, s.ramp_index + 1, s.ramp_index),
            terminal=terminal,
        )
        return next_state, reward, terminal

    def get_obs(self, state, params=None):
        obs = jnp.zeros((10, 10, self.channels), bool)
        obs = obs.at[state.player_y, state.player_x, 0].set(True)
        off = 10  # out of bounds: dropped
        row = jnp.where(state.ent_alive, state.ent_y, off)
        obs = obs.at[row, state.ent_x, jnp.where(state.ent_gold, 3, 1)].set(True, mode="drop")
        back = state.ent_x + jnp.where(state.ent_right, -1, 1)
        trail_row = jnp.where((back >= 0) & (back <= 9), row, off)
        return obs.at[trail_row, back, 2].set(True, mode="drop")
