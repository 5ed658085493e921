"""Vault: a tiny reference with one rare branch, for the tests of the branch coverage and the guided search.

A cart on a line: the agent pushes left, not at all, or right; pushing right also charges a
counter. The vault opens (a bonus of 10, once) only when it is armed, the charge is exactly 377
and the cart is beyond 0.9: an episode (200 steps) never charges that far, and random states
almost never meet all three conditions at once.
"""

from __future__ import annotations

import gymnasium
import numpy as np
from gymnasium import spaces


class VaultEnv(gymnasium.Env):
    """Reach the vault with the right charge."""

    metadata = {"render_modes": ["human"]}

    def __init__(self, render_mode=None):
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(3)
        self.observation_space = spaces.Box(-np.inf, np.inf, (4,), np.float32)
        self.position, self.velocity, self.charge, self.armed = 0.0, 0.0, 0, True

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.position = float(self.np_random.uniform(-0.5, 0.5))
        self.velocity, self.charge, self.armed = 0.0, 0, True
        return self._obs(), {}

    def step(self, action):
        self.velocity += 0.01 * (int(action) - 1)
        self.position += self.velocity
        if int(action) == 2:
            self.charge = min(self.charge + 1, 1000)
        reward = -abs(self.position)
        if self.armed and self.charge == 377 and self.position > 0.9:
            reward += 10.0
            self.armed = False
        terminated = bool(abs(self.position) > 1.0)
        if self.render_mode == "human":
            self.render()
        return self._obs(), reward, terminated, False, {}

    def render(self):
        return None

    def _obs(self):
        return np.array([self.position, self.velocity, self.charge, self.armed], dtype=np.float32)
