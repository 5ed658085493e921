"""Adapter over Gymnasium's AcrobotEnv: read and write its complete state."""

from __future__ import annotations

import numpy as np

from envs.gym_reference import get_elapsed_steps, set_elapsed_steps

NAMES = ("theta1", "theta2", "dtheta1", "dtheta2")


def get_state(env) -> dict[str, np.ndarray]:
    """The two angles, two angular velocities and the step count."""
    values = np.asarray(env.unwrapped.state, dtype=np.float64)
    state = {n: np.asarray(v) for n, v in zip(NAMES, values)}
    state["time"] = np.asarray(get_elapsed_steps(env), np.int64)
    return state


def set_state(env, state: dict[str, np.ndarray]) -> None:
    """Write a state dict into the reference."""
    env.unwrapped.state = np.array([state[n] for n in NAMES], dtype=np.float64)
    set_elapsed_steps(env, int(state["time"]))
