"""Base class of the JAX translations of turn-based games with several players (docs/design.md, section 9).

The state follows Pgx: besides the game's own fields it carries whose turn it is and `rewards`, one float per
player for what each received in the last step (a card game's payoffs when it ends, zeros before). A translation
implements `observe(state, player, params)`, the observation of any player (hidden information of the others never
enters it), and the single-agent API of `JaxEnv` for the rest: explicit draws, `transition`, `action_mask` for the
player to act. This base adds:

- `get_obs` is the observation of the player to act, so every level of the verifier and every trainer sees the
  game through the acting seat, as RLCard's `env.step` returns `state_of_next_player`;
- `step_det`'s info carries `current_player` (of the state returned, after an auto-reset the new game's) and
  `rewards` (every player's rewards of the step, the final payoffs when the game ended, before the auto-reset);
- `observe_all(state, params)`, every player's observation stacked, `(num_players, *obs_shape)`.

The step's scalar reward is the acting player's (its entry of `rewards`), the single-agent view the verifier
compares; the whole vector is a state field, so the verifier compares it at every level too.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from envs.jax_env import JaxEnv


class TurnBasedJaxEnv(JaxEnv):
    """A turn-based game of `num_players` seats; the state has a `rewards` field, `(num_players,)`."""

    num_players: int = 2
    has_action_mask = True
    # The state field that names the player to act (RLCard's hold'em games call it `game_pointer`).
    current_player_field: str = "current_player"

    def observe(self, state, player, params) -> jax.Array:
        """`player`'s observation of `state` (`player` may be traced)."""
        raise NotImplementedError

    def current_player(self, state) -> jax.Array:
        """The seat to act in `state`."""
        return getattr(state, self.current_player_field)

    def get_obs(self, state, params) -> jax.Array:
        """The observation of the player to act."""
        return self.observe(state, self.current_player(state), params)

    def observe_all(self, state, params=None) -> jax.Array:
        """Every player's observation, stacked in seat order."""
        params = self.default_params if params is None else params
        return jax.vmap(lambda p: self.observe(state, p, params))(jnp.arange(self.num_players))

    def step_info(self, next_state, state_out, params) -> dict:
        """The mask and the player to act of the state returned, and the step's rewards for every player (read
        before an auto-reset, so a finished game's payoffs are reported)."""
        return {**super().step_info(next_state, state_out, params), "current_player": self.current_player(state_out),
                "rewards": next_state.rewards}
