"""Adapter over Gymnasium's PendulumEnv: read and write its complete state."""

from __future__ import annotations

import numpy as np

from envs.gym_reference import get_elapsed_steps, set_elapsed_steps


def get_state(env) -> dict[str, np.ndarray]:
    """Angle, angular velocity, the last applied torque (NaN for None) and the step count."""
    base = env.unwrapped
    theta, theta_dot = base.state
    last_u = np.nan if base.last_u is None else base.last_u
    return {
        "theta": np.asarray(theta, np.float64),
        "theta_dot": np.asarray(theta_dot, np.float64),
        "last_u": np.asarray(last_u, np.float32),
        "time": np.asarray(get_elapsed_steps(env), np.int64),
    }


def set_state(env, state: dict[str, np.ndarray]) -> None:
    """Write a state dict into the reference."""
    base = env.unwrapped
    base.state = np.array([state["theta"], state["theta_dot"]], dtype=np.float64)
    last_u = np.float32(state["last_u"])
    base.last_u = None if np.isnan(last_u) else last_u
    set_elapsed_steps(env, int(state["time"]))
