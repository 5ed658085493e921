"""Adapter over `minatar.environments.freeway.Env`: read and write the game's complete state."""

from __future__ import annotations

import numpy as np


def get_game_state(g) -> dict[str, np.ndarray]:
    """The eight cars (x, y, move timer, signed speed), the chicken, its move timer, the game clock, the terminal flag."""
    cars = np.asarray(g.cars, np.int64).reshape(8, 4)
    return {
        "car_x": cars[:, 0].copy(),
        "car_y": cars[:, 1].copy(),
        "car_timer": cars[:, 2].copy(),
        "car_speed": cars[:, 3].copy(),
        "pos": np.asarray(g.pos, np.int64),
        "move_timer": np.asarray(g.move_timer, np.int64),
        "terminate_timer": np.asarray(g.terminate_timer, np.int64),
        "terminal": np.asarray(bool(g.terminal)),
    }


def set_game_state(g, state: dict[str, np.ndarray]) -> None:
    """Write what `get_game_state` reads (cars as the reference's lists of Python ints)."""
    columns = [np.asarray(state[k]).tolist() for k in ("car_x", "car_y", "car_timer", "car_speed")]
    g.cars = [list(map(int, car)) for car in zip(*columns)]
    g.pos = int(state["pos"])
    g.move_timer = int(state["move_timer"])
    g.terminate_timer = int(state["terminate_timer"])
    g.terminal = bool(state["terminal"])
