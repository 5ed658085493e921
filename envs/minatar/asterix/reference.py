"""Adapter over `minatar.environments.asterix.Env`: read and write the game's complete state.

The eight entity slots (None, or [x, y, moving right, is gold]) become five arrays of
eight with an `alive` mask. `shot_timer` is left out: the game sets it and never reads it.
"""

from __future__ import annotations

import numpy as np

COUNTERS = ("player_x", "player_y", "spawn_speed", "spawn_timer", "move_speed", "move_timer", "ramp_timer", "ramp_index")


def get_game_state(g) -> dict[str, np.ndarray]:
    """Player, entity slots, spawn / move / ramp timers and speeds, the terminal flag."""
    slots = [e if e is not None else [0, 0, False, False] for e in g.entities]
    state = {name: np.asarray(getattr(g, name), np.int64) for name in COUNTERS}
    state.update(
        ent_alive=np.array([e is not None for e in g.entities], bool),
        ent_x=np.array([s[0] for s in slots], np.int64),
        ent_y=np.array([s[1] for s in slots], np.int64),
        ent_right=np.array([bool(s[2]) for s in slots], bool),
        ent_gold=np.array([bool(s[3]) for s in slots], bool),
        terminal=np.asarray(bool(g.terminal)),
    )
    return state


def set_game_state(g, state: dict[str, np.ndarray]) -> None:
    """Write what `get_game_state` reads (dead slots as None; empty slots' values are not kept)."""
    for name in COUNTERS:
        setattr(g, name, int(state[name]))
    g.entities = [
        [int(x), int(y), bool(r), bool(gold)] if alive else None
        for alive, x, y, r, gold in zip(*(np.asarray(state[k]).tolist() for k in ("ent_alive", "ent_x", "ent_y", "ent_right", "ent_gold")))
    ]
    g.terminal = bool(state["terminal"])
