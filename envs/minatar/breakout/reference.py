"""Adapter over `minatar.environments.breakout.Env`: read and write the game's complete state."""

from __future__ import annotations

import numpy as np


def get_game_state(g) -> dict[str, np.ndarray]:
    """Ball, its direction and trail, paddle, bricks, the strike flag, the terminal flag."""
    return {
        "ball_x": np.asarray(g.ball_x, np.int64),
        "ball_y": np.asarray(g.ball_y, np.int64),
        "ball_dir": np.asarray(g.ball_dir, np.int64),
        "pos": np.asarray(g.pos, np.int64),
        "brick_map": np.asarray(g.brick_map != 0, bool),
        "strike": np.asarray(bool(g.strike)),
        "last_x": np.asarray(g.last_x, np.int64),
        "last_y": np.asarray(g.last_y, np.int64),
        "terminal": np.asarray(bool(g.terminal)),
    }


def set_game_state(g, state: dict[str, np.ndarray]) -> None:
    """Write what `get_game_state` reads (the brick map as the reference's float 0/1 array)."""
    for name in ("ball_x", "ball_y", "ball_dir", "pos", "last_x", "last_y"):
        setattr(g, name, int(state[name]))
    g.brick_map = np.asarray(state["brick_map"], np.float64).copy()
    g.strike = bool(state["strike"])
    g.terminal = bool(state["terminal"])
