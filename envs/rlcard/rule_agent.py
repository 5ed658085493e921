"""RLCard's rule-based agents as L3 policies of the card-game ports (`Port.extra["policies"]`).

L3 (`verify.rollouts.agent_policies`) calls a policy's factory once per run and then the agent once per step with
the reference's face; the agent answers the action id RLCard's rule agent of the seat to act chooses from that
seat's own view (`env.get_state(player)`: its hand, the public cards, the raw legal actions).

Some agents draw: UNO's `uno-rule-v1` plays a random non-wild card with numpy's *global* generator
(rlcard/models/uno_rule_models.py:43). Each agent here owns a generator seeded when the factory is called, which
is swapped into numpy's global state for the agent's own call only and swapped back afterwards: the games a policy
plays are the same on every run and every backend, and nobody else's use of `np.random` is disturbed.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable

import numpy as np


def rule_agent(model_id: str, game: ModuleType, seed: int = 0) -> Callable[[], Callable[[Any], int]]:
    """The factory of an L3 policy playing RLCard's rule model `model_id` for every seat; `game` is the game's
    reference module (its `action_id` maps the agent's raw action to RLCard's id), `seed` seeds the agent's draws."""

    def make() -> Callable[[Any], int]:
        import rlcard.models

        agents = rlcard.models.load(model_id).agents
        own = np.random.RandomState(seed).get_state()

        def act(face) -> int:
            nonlocal own
            env, player = face.facade.unwrapped, face.facade.current_player
            outside = np.random.get_state()
            np.random.set_state(own)
            try:
                raw = agents[player].step(env.get_state(player))
            finally:
                own = np.random.get_state()
                np.random.set_state(outside)
            return game.action_id(raw)

        return act

    return make
