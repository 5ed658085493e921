"""Adapter over Gymnasium's Continuous_MountainCarEnv: read and write its complete state.

The reference's state array is float64 after reset and float32 after a step, and
that dtype changes the arithmetic of the next step, so it is part of the state.
"""

from __future__ import annotations

import numpy as np

from envs.gym_reference import get_elapsed_steps, set_elapsed_steps


def get_state(env) -> dict[str, np.ndarray]:
    """Position, velocity, the state's precision and the step count."""
    state = np.asarray(env.unwrapped.state)
    return {
        "position": np.asarray(state[0], np.float64),
        "velocity": np.asarray(state[1], np.float64),
        "state_f32": np.asarray(state.dtype == np.float32),
        "time": np.asarray(get_elapsed_steps(env), np.int64),
    }


def set_state(env, state: dict[str, np.ndarray]) -> None:
    """Write a state dict into the reference, in the precision it names."""
    dtype = np.float32 if bool(state["state_f32"]) else np.float64
    env.unwrapped.state = np.array([state["position"], state["velocity"]], dtype=dtype)
    set_elapsed_steps(env, int(state["time"]))


def canonical_state(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A float32-held state can only hold float32 values: round generated states accordingly."""
    if bool(state["state_f32"]):
        state = dict(state)
        for name in ("position", "velocity"):
            state[name] = np.asarray(np.float32(state[name]), np.float64)
    return state
