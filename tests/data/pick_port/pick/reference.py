"""Adapter over the Gym Pick game: build it, read and write its state by attribute path."""

from envs.generic_adapter import generic_adapter
from pick.game import MaskedPickGym


def make_reference():
    """The Gym game, reset once so that it can step."""
    env = MaskedPickGym()
    env.reset(seed=0)
    return env


get_state, set_state = generic_adapter({"g": "unwrapped.g", "b": "unwrapped.b", "time": "unwrapped.t"})
