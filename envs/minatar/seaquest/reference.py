"""Adapter over `minatar.environments.seaquest.Env`: read and write the game's complete state.

The reference's five lists of objects become fixed-capacity arrays in list order (see
`jax_env.LISTS`): `<list>_n` items, then one array per attribute (`x`, `y`, `right`
and, where the object has them, `move` and `shot` timers), empty slots zero. A list
longer than its capacity is an error here, not silently cut.
"""

from __future__ import annotations

import numpy as np

from envs.minatar.seaquest.jax_env import LISTS

COUNTERS = ("oxygen", "diver_count", "sub_x", "sub_y", "e_spawn_speed", "e_spawn_timer", "d_spawn_timer", "move_speed", "ramp_index", "shot_timer")
FLAGS = ("sub_or", "surface", "terminal")


def get_game_state(g) -> dict[str, np.ndarray]:
    """Player, oxygen, divers on board, the five object lists, spawn / move / shot timers, the ramp, flags."""
    state = {name: np.asarray(getattr(g, name), np.int64) for name in COUNTERS}
    state.update({name: np.asarray(bool(getattr(g, name))) for name in FLAGS})
    for name, (cap, attrs) in LISTS.items():
        objects = getattr(g, name)
        if len(objects) > cap:
            raise ValueError(f"Seaquest's {name} holds {len(objects)} objects, more than the port's capacity {cap}")
        state[f"{name}_n"] = np.asarray(len(objects), np.int64)
        for k, attr in enumerate(attrs):
            dtype = bool if attr == "right" else np.int64
            column = np.zeros(cap, dtype)
            column[: len(objects)] = [o[k] for o in objects]
            state[f"{name}_{attr}"] = column
    return state


def set_game_state(g, state: dict[str, np.ndarray]) -> None:
    """Write what `get_game_state` reads, as the reference's lists of [int, int, bool, int...]."""
    for name in COUNTERS:
        setattr(g, name, int(state[name]))
    for name in FLAGS:
        setattr(g, name, bool(state[name]))
    for name, (_, attrs) in LISTS.items():
        n = int(state[f"{name}_n"])
        columns = [np.asarray(state[f"{name}_{a}"]).tolist()[:n] for a in attrs]
        setattr(g, name, [[bool(v) if a == "right" else int(v) for a, v in zip(attrs, values)] for values in zip(*columns)])
