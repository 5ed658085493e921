"""Adapter over the installed `minatar` package: make a game, read and write the wrapper's state.

The reference is `minatar.gym.BaseEnv` (the `MinAtar/<Game>-v0` / `-v1` Gymnasium ids)
built by `gymnasium.make` with a TimeLimit, so the episode limit is enforced as users
get it. Its randomness lives in two `numpy.random.RandomState`s: `Environment.random`
(sticky actions) and the game's own `env.random` (spawns, ball starts); they are one
object only after `seed()`. While verifying, both answer from the same tape, in the
order the reference calls them (the sticky-action draw first in every step), through the
generic route (`envs.reference_rng.swapped_randomness` finds both generators).

One reference behaviour is normalised: `BaseEnv.reset` keeps `Environment.last_action`
from the previous episode, so a sticky action on an episode's first step would repeat
the previous episode's last action. The adapter's reset sets it to 0 first, as in a
freshly made environment, so that every episode (and a translation's `reset(key)`,
which has no previous episode) starts alike. See `docs/minatar.md`.
"""

from __future__ import annotations

import warnings
from typing import Any

import gymnasium
import numpy as np

from envs.gym_reference import get_elapsed_steps, set_elapsed_steps

# Gymnasium ids: v0 is the full action set of 6, v1 the game's minimal set.
GAME_IDS = {"breakout": "Breakout", "freeway": "Freeway", "asterix": "Asterix", "space_invaders": "SpaceInvaders", "seaquest": "Seaquest"}


def gym_id(game: str, minimal_action_set: bool = False) -> str:
    """`MinAtar/<Game>-v0`, or `-v1` for the minimal action set."""
    return f"MinAtar/{GAME_IDS[game]}-v{1 if minimal_action_set else 0}"


def _register() -> None:
    if "MinAtar/Breakout-v0" not in gymnasium.registry:
        from minatar.gym import register_envs

        register_envs()


class FreshEpisodeStart(gymnasium.Wrapper):
    """Resets `Environment.last_action` to 0 before each reset (see the module docstring); nothing else."""

    def reset(self, **kwargs):
        self.env.unwrapped.game.last_action = 0
        return self.env.reset(**kwargs)


def make_reference(
    game: str, max_episode_steps: int, minimal_action_set: bool = False, sticky_action_prob: float = 0.1,
    difficulty_ramping: bool = True,
) -> gymnasium.Env:
    """The MinAtar game `game` as Gymnasium users make it, with the episode limit; reset once."""
    _register()
    with warnings.catch_warnings():  # Gymnasium calls the v0 ids out of date because v1 exists; v0 is the full action set
        warnings.simplefilter("ignore", DeprecationWarning)
        env = gymnasium.make(
            gym_id(game, minimal_action_set), max_episode_steps=max_episode_steps, disable_env_checker=True,
            sticky_action_prob=sticky_action_prob, difficulty_ramping=difficulty_ramping,
        )
    env = FreshEpisodeStart(env)
    env.reset(seed=0)
    return env


def game(env) -> Any:
    """The `minatar.Environment` inside the Gymnasium env (sticky actions live here)."""
    return env.unwrapped.game


def inner(env) -> Any:
    """The game's own `Env` object (`minatar.environments.<game>.Env`)."""
    return env.unwrapped.game.env


def get_wrapper_state(env) -> dict[str, np.ndarray]:
    """The state outside the game object: the last (sticky) action and the TimeLimit's step count."""
    return {
        "last_action": np.asarray(game(env).last_action, np.int64),
        "time": np.asarray(get_elapsed_steps(env), np.int64),
    }


def set_wrapper_state(env, state: dict[str, np.ndarray]) -> None:
    """Write what `get_wrapper_state` reads."""
    game(env).last_action = int(state["last_action"])
    set_elapsed_steps(env, int(state["time"]))
