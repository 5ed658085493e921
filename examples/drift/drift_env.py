"""Drift: a user's own Gymnasium environment, the worked example of `envport translate --reference`.

A cart on a line in a gusty wind: the agent pushes left, not at all, or right; every step the wind
adds a small normal perturbation, and one step in ten a gust of uniform strength. The episode ends
when the cart leaves [-1, 1] (terminated) or after 200 steps (truncated, by gymnasium's TimeLimit).
Reward: minus the distance from the centre. Randomness at reset and in every step, all through
`self.np_random`.
"""

from __future__ import annotations

import gymnasium
import numpy as np
from gymnasium import spaces


class DriftEnv(gymnasium.Env):
    """Keep a drifting cart near the centre."""

    metadata = {"render_modes": []}

    def __init__(self, push: float = 0.02, noise: float = 0.005, gust_probability: float = 0.1, gust: float = 0.05):
        self.push, self.noise, self.gust_probability, self.gust = push, noise, gust_probability, gust
        self.action_space = spaces.Discrete(3)
        self.observation_space = spaces.Box(-np.inf, np.inf, (2,), np.float32)
        self.position = 0.0
        self.velocity = 0.0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.position = float(self.np_random.uniform(-0.5, 0.5))
        self.velocity = 0.0
        return self._obs(), {}

    def step(self, action):
        assert self.action_space.contains(action), f"invalid action {action!r}"
        self.velocity += self.push * (int(action) - 1) + self.np_random.normal(0.0, self.noise)
        if self.np_random.random() < self.gust_probability:
            self.velocity += self.np_random.uniform(-self.gust, self.gust)
        self.position += self.velocity
        terminated = bool(abs(self.position) > 1.0)
        return self._obs(), -abs(self.position), terminated, False, {}

    def _obs(self):
        return np.array([self.position, self.velocity], dtype=np.float32)
