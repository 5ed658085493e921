"""Shared pieces of the reference adapters for Gymnasium environments.

The reference is always the real upstream class, built by `gymnasium.make` so the
time limit is exactly the one users get; adapters read and write its state here.
"""

from __future__ import annotations

import gymnasium
from gymnasium.wrappers import TimeLimit


# Branches of Gymnasium's environments that the verifier's reference calls never take (verify.branch_coverage):
# entries (file suffix, text of the condition's line, outcome, reason), shared by the classic control ports.
GYM_UNREACHABLE_BRANCHES = (
    ("", 'if self.render_mode == "human":', "true", "render: the verifier builds the reference without a render mode"),
    ("", "if options is None:", "false", "reset options: the verifier resets without options (the tape supplies the draws)"),
    ("classic_control/utils.py", "if low > high:", "reset options: only reached with options, which the verifier never passes"),
)


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
