"""MaskWalk: a tiny masked game, the reference of the test port for legal-action masks and state-dependent draws.

A walker on a line of 8 cells with 4 monsters (health 0..3) and a deck of 6 cards shuffled at reset
(`np_random.permutation(6)`). Actions (Discrete(6)): 0 wait (always legal), 1 left (pos > 0), 2 right
(pos < 7), 3 volley (pos even), 4 draw a card (cards left), 5 rest (score >= 2). An illegal action,
or one outside the space, is a wait. `info["action_mask"]` marks the legal actions; in a final state
(score >= 5, or 30 steps) only action 0.

A volley is 3 hits; each hit picks among the living monsters and the walker itself (k = living + 1
targets) with `np_random.integers(0, k)`, drawn only when k >= 2, so a step asks for 0 to 3 numbers
whose ranges depend on what earlier hits did. Then, on an even cell with m >= 1 dead monsters, one
revives: `np_random.integers(0, m)` picks it when m >= 2. Last, `np_random.random() < 0.25` scores a
bonus point. Reward: the change of the score.
"""

from __future__ import annotations

import gymnasium
import numpy as np
from gymnasium import spaces

from envs.generic_adapter import generic_adapter

CELLS, MONSTERS, DECK, MAX_STEPS, WIN = 8, 4, 6, 30, 5


class MaskWalkEnv(gymnasium.Env):
    """The reference: plain numpy, randomness only through `self.np_random`."""

    metadata = {"render_modes": []}

    def __init__(self):
        self.action_space = spaces.Discrete(6)
        self.observation_space = spaces.Box(-128, 127, (9,), np.int8)
        self.pos, self.deck_pos, self.score, self.t = 0, 0, 0, 0
        self.hp = np.zeros(MONSTERS, np.int64)
        self.deck = np.arange(DECK, dtype=np.int64)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.deck = np.asarray(self.np_random.permutation(DECK), np.int64)
        self.hp = np.array([1 + self.deck[i] % 3 for i in range(MONSTERS)], np.int64)
        self.pos, self.deck_pos, self.score, self.t = 0, 0, 0, 0
        return self._obs(), {"action_mask": self.action_mask()}

    def action_mask(self) -> np.ndarray:
        """The legal actions now; only action 0 in a final state."""
        if self.score >= WIN or self.t >= MAX_STEPS:
            return np.arange(6) == 0
        return np.array([True, self.pos > 0, self.pos < CELLS - 1, self.pos % 2 == 0, self.deck_pos < DECK, self.score >= 2])

    def step(self, action):
        a = int(action) if 0 <= int(action) < 6 and self.action_mask()[int(action)] else 0
        before = self.score
        if a == 1:
            self.pos -= 1
        elif a == 2:
            self.pos += 1
        elif a == 3:
            self._volley()
        elif a == 4:
            card = int(self.deck[self.deck_pos])
            self.deck_pos += 1
            self.hp[card % MONSTERS] = min(3, self.hp[card % MONSTERS] + 1)
        elif a == 5:
            self.score -= 2
            self.pos = 0
        dead = np.flatnonzero(self.hp <= 0)
        if self.pos % 2 == 0 and len(dead):
            j = int(self.np_random.integers(0, len(dead))) if len(dead) >= 2 else 0
            self.hp[dead[j]] = 1
        if self.np_random.random() < 0.25:
            self.score += 1
        self.t += 1
        terminated, truncated = self.score >= WIN, self.t >= MAX_STEPS
        return self._obs(), float(self.score - before), bool(terminated), bool(truncated), {"action_mask": self.action_mask()}

    def _volley(self) -> None:
        for _ in range(3):
            alive = np.flatnonzero(self.hp > 0)
            k = len(alive) + 1
            target = int(self.np_random.integers(0, k)) if k >= 2 else 0
            if target < len(alive):
                self.hp[alive[target]] -= 1
                self.score += int(self.hp[alive[target]] == 0)
            else:
                self.score -= 1

    def _obs(self) -> np.ndarray:
        upcoming = self.deck[self.deck_pos] if self.deck_pos < DECK else -1
        return np.array([self.pos, *self.hp, self.deck_pos, self.score, self.t, upcoming], np.int8)


def make_reference() -> MaskWalkEnv:
    """The reference, reset once so that it can step."""
    env = MaskWalkEnv()
    env.reset(seed=0)
    return env


get_state, set_state = generic_adapter({
    "pos": "unwrapped.pos", "hp": "unwrapped.hp", "deck": "unwrapped.deck", "deck_pos": "unwrapped.deck_pos",
    "score": "unwrapped.score", "time": "unwrapped.t",
})
