"""Adapter over Gymnasium's MountainCarEnv: read and write its complete state."""

from __future__ import annotations

import numpy as np

from envs.gym_reference import get_elapsed_steps, set_elapsed_steps


def get_state(env) -> dict[str, np.ndarray]:
    """Position, velocity and the step count."""
    position, velocity = env.unwrapped.state
    return {
        "position": np.asarray(position, np.float64),
        "velocity": np.asarray(velocity, np.float64),
        "time": np.asarray(get_elapsed_steps(env), np.int64),
    }


def set_state(env, state: dict[str, np.ndarray]) -> None:
    """Write a state dict into the reference."""
    env.unwrapped.state = np.array([state["position"], state["velocity"]], dtype=np.float64)
    set_elapsed_steps(env, int(state["time"]))
