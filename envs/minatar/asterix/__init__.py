"""MinAtar Asterix (`MinAtar/Asterix-v0`), ported to JAX."""

import jax.numpy as jnp
import numpy as np

from envs.minatar.port import minatar_port
from envs.minatar.asterix import reference
from envs.spec import DrawSpec, StateField

MAX_EPISODE_STEPS = 1000


def canonical_state(state: dict) -> dict:
    """Generated states as the adapter stores them: an empty slot's values are zeros (the reference keeps None)."""
    dead = ~np.asarray(state["ent_alive"], bool)
    out = dict(state)
    for name in ("ent_x", "ent_y", "ent_right", "ent_gold"):
        value = np.asarray(state[name])
        out[name] = np.where(dead, np.zeros_like(value), value)
    return out


def event_state(state: dict) -> dict:
    """A state whose spawn timer has run out, so the step spawns (for the step-draw test)."""
    return {**state, "spawn_timer": np.asarray(0, np.int64), "terminal": np.asarray(False)}


def goal_policy(key, obs):
    """Dodge: when an enemy is within two columns in the player's row, step to the calmer neighbouring row."""
    player = obs[:, :, 0]
    py = jnp.argmax(jnp.any(player, axis=1))
    px = jnp.argmax(jnp.any(player, axis=0))
    cols = jnp.abs(jnp.arange(10) - px) <= 2
    danger = jnp.any(obs[:, :, 1] & cols[None, :], axis=1)  # per row
    up_ok = (py > 1) & ~danger[jnp.maximum(py - 1, 0)]
    down_ok = (py < 8) & ~danger[jnp.minimum(py + 1, 9)]
    dodge = jnp.where(up_ok, 2, jnp.where(down_ok, 4, 0))
    return jnp.where(danger[py], dodge, 0).astype(jnp.int32)


PORT = minatar_port(
    game="asterix",
    package="envs.minatar.asterix",
    class_name="Asterix",
    description="MinAtar Asterix (Young & Tian 2019): collect gold, avoid enemies; spawning speeds up; sticky actions 0.1.",
    fields=(
        StateField("player_x", "int64", "Env.player_x", low=0, high=9),
        StateField("player_y", "int64", "Env.player_y", low=1, high=8),
        StateField("ent_alive", "bool", "Env.entities[i] is not None", shape=(8,)),
        StateField("ent_x", "int64", "Env.entities[i][0]", low=0, high=9, shape=(8,)),
        StateField("ent_y", "int64", "Env.entities[i][1] (slot + 1)", low=1, high=8, shape=(8,)),
        StateField("ent_right", "bool", "Env.entities[i][2] (moving right)", shape=(8,)),
        StateField("ent_gold", "bool", "Env.entities[i][3] (gold, not an enemy)", shape=(8,)),
        StateField("spawn_speed", "int64", "Env.spawn_speed", low=1, high=10),
        StateField("spawn_timer", "int64", "Env.spawn_timer", low=0, high=10),
        StateField("move_speed", "int64", "Env.move_speed", low=1, high=5),
        StateField("move_timer", "int64", "Env.move_timer", low=0, high=5),
        StateField("ramp_timer", "int64", "Env.ramp_timer", low=-1, high=100),
        StateField("ramp_index", "int64", "Env.ramp_index (difficulty level)", low=0, high=20),
        StateField("terminal", "bool", "Env.terminal"),
    ),
    draws=(
        DrawSpec("spawn_right", "uniform", (), "step", "Env._spawn_entity: random.rand() < 1/2 (from the left, moving right)", optional=True),
        DrawSpec("spawn_gold", "uniform", (), "step", "Env._spawn_entity: random.rand() < 1/3 (gold)", optional=True),
        DrawSpec("spawn_slot", "integers", (), "step", "Env._spawn_entity: random.randint(number of free slots)", optional=True),
    ),
    get_game_state=reference.get_game_state,
    set_game_state=reference.set_game_state,
    max_episode_steps=MAX_EPISODE_STEPS,
    time_limit=(
        "MinAtar has no episode limit; the port truncates at 1000 steps (gymnax's default), counted in state.time "
        "as gymnasium.make(max_episode_steps=1000)'s TimeLimit does"
    ),
    event_state=event_state,
    rust=True,
    policy_transfer_margin=1.0,
    policy_transfer_reason=(
        "Return: +1 a treasure, integer points. A uniform-random policy scores 0.6, the port's goal_policy "
        "(dodges enemies) 7.5 (measured: 200 episodes of the JAX translation, 4 Dec 2026); 5% of that "
        "6.9-point span is 0.3; the margin is 1 (14% of the span), the smallest difference an integer score "
        "shows, and a smaller share of a trained policy's larger returns."
    ),
).replace(canonical_state=canonical_state, goal_policy=goal_policy)
