"""Adapter over the user's DriftEnv: make it with its time limit, read and write its complete state."""

from __future__ import annotations

import numpy as np
from gymnasium.wrappers import TimeLimit

from drift_env import DriftEnv
from envs.gym_reference import get_elapsed_steps, set_elapsed_steps

MAX_EPISODE_STEPS = 200


def make_reference():
    """DriftEnv behind the TimeLimit users get, reset once so that it can step."""
    env = TimeLimit(DriftEnv(), max_episode_steps=MAX_EPISODE_STEPS)
    env.reset(seed=0)
    return env


def get_state(env) -> dict[str, np.ndarray]:
    """Position, velocity and the step count."""
    base = env.unwrapped
    return {
        "position": np.asarray(base.position, np.float64),
        "velocity": np.asarray(base.velocity, np.float64),
        "time": np.asarray(get_elapsed_steps(env), np.int64),
    }


def set_state(env, state: dict[str, np.ndarray]) -> None:
    """Write a state produced by `get_state` (or by a translation)."""
    base = env.unwrapped
    base.position = float(state["position"])
    base.velocity = float(state["velocity"])
    set_elapsed_steps(env, int(state["time"]))
