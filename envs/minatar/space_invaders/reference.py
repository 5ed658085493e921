"""Adapter over `minatar.environments.space_invaders.Env`: read and write the game's complete state."""

from __future__ import annotations

import numpy as np

COUNTERS = ("pos", "alien_dir", "enemy_move_interval", "alien_move_timer", "alien_shot_timer", "ramp_index", "shot_timer")
MAPS = ("alien_map", "f_bullet_map", "e_bullet_map")


def get_game_state(g) -> dict[str, np.ndarray]:
    """Cannon, the alien, friendly and enemy bullet maps, the alien direction, timers, the ramp, the terminal flag."""
    state = {name: np.asarray(getattr(g, name), np.int64) for name in COUNTERS}
    state.update({name: np.asarray(getattr(g, name) != 0, bool) for name in MAPS})
    state["terminal"] = np.asarray(bool(g.terminal))
    return state


def set_game_state(g, state: dict[str, np.ndarray]) -> None:
    """Write what `get_game_state` reads (the maps as the reference's float 0/1 arrays)."""
    for name in COUNTERS:
        setattr(g, name, int(state[name]))
    for name in MAPS:
        setattr(g, name, np.asarray(state[name], np.float64).copy())
    g.terminal = bool(state["terminal"])
