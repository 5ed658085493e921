"""Shared pieces of the reference adapters for Gymnasium environments.

The reference is always the real upstream class, built by `gymnasium.make` so the
time limit is exactly the one users get; adapters read and write its state here.
"""

from __future__ import annotations

import gymnasium
from gymnasium.wrappers import TimeLimit


def make_gym_reference(gym_id: str, **kwargs) -> gymnasium.Env:
    """`gymnasium.make(gym_id)` without the passive checker, reset once so it can step."""
    env = gymnasium.make(gym_id, disable_env_checker=True, **kwargs)
    env.reset(seed=0)
    return env


def time_limit_wrapper(env: gymnasium.Env) -> TimeLimit:
    """The TimeLimit wrapper in `env`'s wrapper chain."""
    inner = env
    while True:
        if isinstance(inner, TimeLimit):
            return inner
        if not hasattr(inner, "env"):
            raise ValueError(f"{env} has no TimeLimit wrapper")
        inner = inner.env


def get_elapsed_steps(env: gymnasium.Env) -> int:
    """Steps the TimeLimit wrapper has counted since the last reset."""
    return int(time_limit_wrapper(env)._elapsed_steps)


def set_elapsed_steps(env: gymnasium.Env, steps: int) -> None:
    """Overwrite the TimeLimit wrapper's step counter."""
    time_limit_wrapper(env)._elapsed_steps = int(steps)
