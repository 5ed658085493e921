"""Adapter over VaultEnv: made with its time limit; its state is plain attributes."""

from gymnasium.wrappers import TimeLimit

from envs.generic_adapter import generic_adapter
from vault.vault_env import VaultEnv

MAX_EPISODE_STEPS = 200


def make_reference():
    """VaultEnv behind the TimeLimit users get, reset once so that it can step."""
    env = TimeLimit(VaultEnv(), max_episode_steps=MAX_EPISODE_STEPS)
    env.reset(seed=0)
    return env


get_state, set_state = generic_adapter({
    "position": "unwrapped.position", "velocity": "unwrapped.velocity", "charge": "unwrapped.charge",
    "armed": "unwrapped.armed", "time": "TimeLimit._elapsed_steps",
})
