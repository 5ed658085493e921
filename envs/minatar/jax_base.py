"""The JAX base of the MinAtar games: action sets, sticky actions, the terminal early return, spaces.

A game subclasses `MinAtarEnv` and writes only its own logic, as the reference's
`Env` does:

- `game_draws(key, state, params)`: the game's own random numbers of one step
  (after the sticky-action draw, which this base adds);
- `game_step(state, action, draws, params) -> (state, reward, terminal)`, where
  `action` is already an index of the full action map `n l u r d f`;
- `reset_det`, `get_obs`, and the class attributes `channels` and `minimal_actions`.

The base reproduces `minatar.Environment.act` and `minatar.gym.BaseEnv.step`:
the agent's action indexes the action set (Python list indexing: -1 is the last
action); with probability `sticky_action_prob` the previous action is repeated;
that action is remembered; a game that is already over returns reward 0 and stays over.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from envs import jax_random, spaces
from envs.jax_env import JaxEnv, float_dtype

FULL_ACTIONS = ("n", "l", "u", "r", "d", "f")
NOOP, LEFT, UP, RIGHT, DOWN, FIRE = range(6)


@struct.dataclass
class MinAtarParams:
    """Settings every MinAtar game shares (the reference's defaults)."""

    sticky_action_prob: float = 0.1
    difficulty_ramping: bool = True
    max_steps_in_episode: int = 1000
    minimal_action_set: bool = struct.field(pytree_node=False, default=False)


class MinAtarEnv(JaxEnv):
    """Shared machinery of the MinAtar games; see the module docstring for what a game supplies."""

    channels: int = 0
    minimal_actions: tuple[int, ...] = ()
    params_class = MinAtarParams

    # ----- game API ------------------------------------------------------------
    def game_draws(self, key, state, params) -> dict:
        return {}

    def game_step(self, state, action, draws, params):
        raise NotImplementedError

    # ----- shared --------------------------------------------------------------
    def __init__(self, minimal_action_set: bool = False):
        self._minimal_action_set = minimal_action_set

    @property
    def default_params(self):
        return self.params_class(minimal_action_set=self._minimal_action_set)

    def action_set(self, params) -> tuple[int, ...]:
        """Full-map indices of the agent's actions (the minimal set where params ask for it)."""
        return self.minimal_actions if params.minimal_action_set else tuple(range(len(FULL_ACTIONS)))

    def full_action(self, action, params):
        """The agent's action as an index of the full map, with Python's list indexing (-n..n-1).

        Actions outside that range make the reference raise IndexError; here they are clipped.
        """
        actions = self.action_set(params)
        n = len(actions)
        action = jnp.asarray(action)
        index = jnp.clip(jnp.where(action < 0, action + n, action), 0, n - 1)
        if actions == tuple(range(n)):
            return index  # the full set: its own index (no table lookup, a gather when batched)
        return jnp.asarray(actions)[index]

    def sample_step_draws(self, key, state, params):
        k_sticky, k_game = jax_random.split(key)
        return self._step_draws(k_sticky, k_game, state, params)

    def _step_draws(self, k_sticky, k_game, state, params):
        return {"sticky": jax_random.uniform(k_sticky, (), float_dtype()), **self.game_draws(k_game, state, params)}

    def sample_draws(self, key, state, params=None):
        """As `JaxEnv.sample_draws`, with the three keys of a step from one split (fewer random bits per step)."""
        params = self.default_params if params is None else params
        if type(self).game_draws is MinAtarEnv.game_draws:  # a game without step draws of its own (Breakout)
            (k_sticky, k_reset), k_game = jax_random.split(key), None
        else:
            k_sticky, k_game, k_reset = jax_random.split(key, 3)
        return {"step": self._step_draws(k_sticky, k_game, state, params), "reset": self.sample_reset_draws(k_reset, params)}

    def transition(self, state, action, draws, params):
        chosen = self.full_action(action, params)
        sticky = draws["sticky"] < params.sticky_action_prob
        # `% 6` changes no action (both sides are full-map indices); it is there for XLA, which copies
        # cheap elementwise code into every fusion that reads it but computes an integer remainder
        # once. Without it, each state field's update recomputed the sticky draw's hash: Breakout's
        # compiled step had 410 xors instead of 157, and took 20-30% more CPU time per step.
        action = jnp.where(sticky, state.last_action, chosen).astype(state.last_action.dtype) % len(FULL_ACTIONS)
        state = state.replace(last_action=action)
        played, reward, terminal = self.game_step(state, action, draws, params)
        # The reference's act() returns at once when the game is already over.
        over = state.terminal
        next_state = jax.tree.map(lambda old, new: jnp.where(over, old, new), state, played)
        reward = jnp.where(over, 0, reward).astype(float_dtype())
        return next_state, reward, jnp.where(over, True, terminal)

    def action_space(self, params=None):
        params = self.default_params if params is None else params
        return spaces.Discrete(len(self.action_set(params)))

    def observation_space(self, params=None):
        return spaces.Box(False, True, (10, 10, self.channels), jnp.bool_)
