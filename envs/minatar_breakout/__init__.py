"""MinAtar Breakout (`MinAtar/Breakout-v0`), ported to JAX."""

import jax.numpy as jnp
import numpy as np

from envs.minatar.port import minatar_port
from envs.minatar_breakout import reference
from envs.spec import DrawSpec, StateField

MAX_EPISODE_STEPS = 1000


def canonical_state(state: dict) -> dict:
    """Generated states inside the reference's domain, where it never indexes row 10 of the brick map.

    A ball on the bottom row moving down has been missed (the only way play reaches that row), and
    no brick lies on the bottom row (play puts bricks in rows 1-3 only; a ball passing into a bottom-row
    brick while `strike` is set would stay on that row, not terminal, and the reference would raise next step).
    """
    bricks = np.array(state["brick_map"], bool)
    bricks[9, :] = False
    state = {**state, "brick_map": bricks}
    if int(state["ball_y"]) >= 9 and int(state["ball_dir"]) in (2, 3):
        return {**state, "terminal": np.asarray(True)}
    return state


def goal_policy(key, obs):
    """Follow the ball with the paddle (long episodes, brick refills): left 1, right 3, else noop."""
    ball_x = jnp.argmax(jnp.any(obs[:, :, 1], axis=0))
    paddle_x = jnp.argmax(obs[9, :, 0])
    return jnp.where(ball_x < paddle_x, 1, jnp.where(ball_x > paddle_x, 3, 0)).astype(jnp.int32)


PORT = minatar_port(
    game="breakout",
    package="envs.minatar_breakout",
    class_name="Breakout",
    description="MinAtar Breakout (Young & Tian 2019): paddle, diagonal ball, three rows of bricks; sticky actions 0.1.",
    fields=(
        StateField("ball_x", "int64", "Env.ball_x", low=0, high=9),
        StateField("ball_y", "int64", "Env.ball_y", low=0, high=9),
        StateField("ball_dir", "int64", "Env.ball_dir (0 up-left, 1 up-right, 2 down-right, 3 down-left)", low=0, high=3),
        StateField("pos", "int64", "Env.pos (paddle column)", low=0, high=9),
        StateField("brick_map", "bool", "Env.brick_map (float 0/1 in the reference)", shape=(10, 10)),
        StateField("strike", "bool", "Env.strike"),
        StateField("last_x", "int64", "Env.last_x (trail)", low=0, high=9),
        StateField("last_y", "int64", "Env.last_y (trail)", low=0, high=9),
        StateField("terminal", "bool", "Env.terminal"),
    ),
    draws=(DrawSpec("ball_start", "integers", (), "reset", "Env.reset: random.randint(2) picks the left or right start"),),
    get_game_state=reference.get_game_state,
    set_game_state=reference.set_game_state,
    max_episode_steps=MAX_EPISODE_STEPS,
    time_limit=(
        "MinAtar has no episode limit; the port truncates at 1000 steps (gymnax's default), counted in state.time "
        "as gymnasium.make(max_episode_steps=1000)'s TimeLimit does"
    ),
    rust=True,
).replace(canonical_state=canonical_state, goal_policy=goal_policy)
