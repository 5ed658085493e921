"""The reference side of `envs.seated.SeatedJaxEnv`: a turn-based reference (`envs.rlcard.gym_face.TurnBasedGymEnv`)
seen from one seat, the other seats uniformly random legal players. L4 evaluates a policy trained on the translation's
seated env here (`verify.policy_transfer`), so both sides play the same game against the same kind of opponent:

- `reset(seed)` deals a game (RLCard's generator seeded with `seed`) and lets the others play until the learner's
  turn; a game that ends before the learner acts is dealt again, as `SeatedJaxEnv.reset` does;
- `step(action)`: the learner's action, then the others' until its next turn or the end; the reward is the learner's
  rewards summed over those steps (its payoff when the game ends), the observation and `info["action_mask"]` the
  learner's;
- the others' actions come from this env's own generator (`self.np_random`, seeded by `reset(seed)`), never from
  RLCard's, so the game's draws are RLCard's own;
- a game reaching `max_steps` steps of all seats together is truncated (the JAX side's `max_steps_in_episode`).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np


class SeatedGymEnv(gym.Env):
    """`face` (a `TurnBasedGymEnv`) seen from `seat`, the other seats uniformly random legal (module docstring)."""

    metadata = {"render_modes": []}

    def __init__(self, face, seat: int = 0, max_steps: int = 1000):
        if not 0 <= seat < face.num_players:
            raise ValueError(f"seat {seat} is outside the game's seats 0..{face.num_players - 1}")
        self.face, self.seat, self.max_steps = face, seat, max_steps
        self.action_space, self.observation_space = face.action_space, face.observation_space
        self.steps = 0

    def _act(self, action: int) -> float:
        """One step of the player to act; the learner's reward of it."""
        _, _, _, _, info = self.face.step(int(action))
        self.steps += 1
        return float(info["rewards"][self.seat])

    def _others(self) -> float:
        """The others' uniformly random legal actions until the learner's turn or the end; the learner's rewards."""
        total = 0.0
        facade = self.face.facade
        while not facade.is_over() and facade.current_player != self.seat and self.steps < self.max_steps:
            total += self._act(self.np_random.choice(np.flatnonzero(facade.legal_action_mask())))
        return total

    def _out(self) -> tuple[np.ndarray, dict]:
        facade = self.face.facade
        return facade.observe(self.seat), {"action_mask": facade.legal_action_mask()}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """A game at the learner's first turn (games the others end first are dealt again)."""
        super().reset(seed=seed)
        self.face.reset(seed=seed)
        while True:
            self.steps = 0
            self._others()
            if not self.face.facade.is_over() and self.steps < self.max_steps:
                return self._out()
            self.face.reset()

    def step(self, action):
        """The learner's action, then the others' until its next turn (module docstring)."""
        if self.face.facade.current_player != self.seat:
            raise RuntimeError(f"seat {self.seat} is not to act: step after the end of an episode (call reset)")
        reward = self._act(action) + self._others()
        over = bool(self.face.facade.is_over())
        obs, info = self._out()
        return obs, reward, over, (not over) and self.steps >= self.max_steps, info
