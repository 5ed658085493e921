"""The Gymnasium face of an RLCard game: the reference side of a turn-based port (docs/design.md, section 9).

`TurnBasedGymEnv` is a `gymnasium.Env` over the AEC-style facade (`envs.rlcard.reference.RLCardReference`) in the
terms of the turn-based contract (`envs.turn_based.TurnBasedJaxEnv`), so the verifier drives it as any reference:

- `reset(seed)` deals a game and returns the observation of the player to act (RLCard's `state['obs']`) and
  `info` with `action_mask` (that player's legal actions), `current_player` and `rewards` (zeros);
- `step(action)` lets the player to act take RLCard action id `action` (an illegal id does what RLCard does with
  it) and returns the next player's observation, the acting player's reward (its payoff when the game ends, else
  0), `terminated` when the game is over, `truncated` False, and the same info, `rewards` holding every player's;
- the game does not auto-reset: a step after the end raises;
- `observe_all()` stacks every player's observation, as `TurnBasedJaxEnv.observe_all` does (the verifier compares
  them at every step, not only the acting player's).

`port_state(game_module)` gives a game's `get_state`/`set_state` for the port: the module's complete state plus
`rewards`, every player's payoff once the game is over and zeros before (read from the game, ignored on write:
it follows from the rest of the state).
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any, Callable

import gymnasium as gym
import numpy as np

from envs.rlcard.reference import RLCardReference


# Branches of RLCard's code that no game under the face can take (`Port.extra["unreachable_branches"]`, each port's
# tuple starts with these): (file suffix, the condition's text, the outcome, why).
RLCARD_UNREACHABLE_BRANCHES = (
    ("rlcard/envs/env.py", "if not raw_action:", "false", "raw actions: the face passes RLCard's action ids, never raw action strings"),
    ("", "if self.allow_step_back:", "true", "step back: off in RLCard's default configuration, which the ports keep"),
)
# The betting round both hold'em games share (rlcard/games/limitholdem/round.py), with two players.
HOLDEM_ROUND_UNREACHABLE_BRANCHES = (
    ("games/limitholdem/round.py", "if action not in self.get_legal_actions():", "true",
     "RLCard's env turns an illegal id into check or fold before the round sees it"),
    ("games/limitholdem/round.py", "elif action == 'check':", "false", "call, raise, fold and check are every action there is"),
    ("games/limitholdem/round.py", "while players[self.game_pointer].status == 'folded':", "true",
     "two players: a fold ends the game, so the player to act next is never a folded one"),
)


class TurnBasedGymEnv(gym.Env):
    """An RLCard game as a Gymnasium env seen from the seat to act (module docstring)."""

    metadata = {"render_modes": []}

    def __init__(self, facade: RLCardReference):
        self.facade = facade
        self.game = facade.game  # held here too, so the randomness swap finds the game's generator (swap_rng)
        self.num_players = facade.num_players
        self.action_space = gym.spaces.Discrete(facade.num_actions)
        shape = tuple(int(v) for v in np.atleast_1d(facade.unwrapped.state_shape[0]))  # RLCard's per-player obs shape
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, shape, np.float64)

    @property
    def coverage_target(self) -> str:
        """The code whose branches the verifier measures for this reference (`verify.branch_coverage`): the installed
        `rlcard` package, where the game's rules are, not this face."""
        import rlcard

        return os.path.dirname(os.path.realpath(rlcard.__file__))

    def _info(self) -> dict[str, Any]:
        return {"action_mask": self.facade.legal_action_mask(), "current_player": self.facade.current_player,
                "rewards": self.facade.rewards()}

    def observe_all(self) -> np.ndarray:
        """Every player's observation (RLCard's `state['obs']` of each seat), stacked in seat order."""
        return np.stack([self.facade.observe(p) for p in range(self.num_players)])

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Deal a new game (`seed`: reseed RLCard's generator first)."""
        super().reset(seed=seed)
        self.facade.reset(seed)
        return self.facade.observe(self.facade.current_player), self._info()

    def step(self, action):
        """The player to act takes `action`; see the module docstring for what comes back."""
        actor = self.facade.current_player
        self.facade.step(action)
        info = self._info()
        return (self.facade.observe(self.facade.current_player), float(info["rewards"][actor]), self.facade.is_over(),
                False, info)


def swap_rng(env: TurnBasedGymEnv, generator: Any):
    """`Port.swap_rng` for an RLCard face: the generic swap, rooted at the RLCard env (where RLCard's objects are)."""
    from envs.reference_rng import swapped_randomness

    return swapped_randomness(env.facade.unwrapped, generator)


def port_state(game: ModuleType) -> tuple[Callable[[Any], dict], Callable[[Any, dict], None]]:
    """(get_state, set_state) of a port over the game module `game` (its `get_state`/`set_state`) with `rewards`."""

    def get_state(env: Any) -> dict[str, np.ndarray]:
        facade = env.facade if isinstance(env, TurnBasedGymEnv) else env
        return {**game.get_state(facade), "rewards": np.asarray(facade.rewards(), np.float64)}

    def set_state(env: Any, state: dict) -> None:
        facade = env.facade if isinstance(env, TurnBasedGymEnv) else env
        game.set_state(facade, {k: v for k, v in state.items() if k != "rewards"})

    get_state.__doc__ = f"{game.__name__}'s complete state and every player's rewards (envs.rlcard.gym_face)."
    set_state.__doc__ = f"Write a state as get_state returns it ({game.__name__}; `rewards` follows from the rest)."
    return get_state, set_state
