"""Tally, written from its spec: a counter climbing to a random target."""

import gymnasium
import numpy as np
from gymnasium import spaces

FIELDS = ("count", "target", "time")


class TallyEnv(gymnasium.Env):
    """R-1.1 to R-2.2 of the Tally spec."""

    def __init__(self):
        self.action_space = spaces.Discrete(2)
        self.observation_space = spaces.Box(0, 100, shape=(2,), dtype=np.int32)
        self.count, self.target, self.time = (np.array(0, np.int32) for _ in FIELDS)

    def get_state(self):
        return {name: np.array(getattr(self, name), np.int32) for name in FIELDS}

    def set_state(self, state):
        for name in FIELDS:
            setattr(self, name, np.array(state[name], np.int32))

    def _obs(self):
        return np.array([self.count, self.target], np.int32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.count, self.time = np.array(0, np.int32), np.array(0, np.int32)
        self.target = np.array(self.np_random.integers(3, 6), np.int32)
        return self._obs(), {}

    def step(self, action):
        self.count = np.array(self.count + 1 + int(action), np.int32)
        self.time = np.array(self.time + 1, np.int32)
        terminated = bool(self.count >= self.target)
        return self._obs(), 1.0 if terminated else 0.0, terminated, bool(self.time >= 20), {}


def make_reference():
    return TallyEnv()


def get_state(env):
    return env.unwrapped.get_state()


def set_state(env, state):
    env.unwrapped.set_state(state)
