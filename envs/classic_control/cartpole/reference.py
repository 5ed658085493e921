"""Adapter over Gymnasium's CartPoleEnv: read and write its complete state."""

from __future__ import annotations

import numpy as np

from envs.gym_reference import get_elapsed_steps, set_elapsed_steps


def get_state(env) -> dict[str, np.ndarray]:
    """Everything that shapes the future: the four physics values, steps_beyond_terminated, the step count."""
    base = env.unwrapped
    x, x_dot, theta, theta_dot = (np.float64(v) for v in base.state)
    sbt = base.steps_beyond_terminated
    return {
        "x": np.asarray(x),
        "x_dot": np.asarray(x_dot),
        "theta": np.asarray(theta),
        "theta_dot": np.asarray(theta_dot),
        "steps_beyond_terminated": np.asarray(-1 if sbt is None else sbt, np.int64),
        "time": np.asarray(get_elapsed_steps(env), np.int64),
    }


def set_state(env, state: dict[str, np.ndarray]) -> None:
    """Write a state produced by `get_state` (or by a translation) into the reference."""
    base = env.unwrapped
    base.state = np.array(
        [state["x"], state["x_dot"], state["theta"], state["theta_dot"]], dtype=np.float64
    )
    sbt = int(state["steps_beyond_terminated"])
    base.steps_beyond_terminated = None if sbt < 0 else sbt
    set_elapsed_steps(env, int(state["time"]))
