"""Pgx's Leduc Hold'em (`pgx.make("leduc_holdem")`, pgx 2.6.0) as a third-party candidate for `rlcard-leduc-holdem`.

    envport verify rlcard-leduc-holdem --candidate examples/pgx_leduc/candidate.py

Pgx plays its own Leduc rules; this adapter only translates between its state and the port's, so the verifier can
say where the two games differ (README.md beside this file has the findings). What the adapter does, and nothing
more:

- **Deal.** Pgx deals from its key inside `init` and cannot take the port's draws, so the reset builds Pgx's state
  from the port's deal: the same two hands and the same public card (by rank: Pgx's cards have no suit), the first
  player from the `small_blind` draw, and Pgx's own opening chips and mask.
- **State.** Pgx's fields are written to the port's: `current_player` -> `game_pointer` (and the round's pointer),
  `_chips` -> `in_chips`, `_round` -> `round_counter`, `_raise_count` -> `round_have_raised`, `rewards`, and a fold
  marks the folder's `status`. Pgx keeps no deck, suits, raise amount, per-round stakes or count of calls: the
  adapter keeps the port's deck and suits (dealing the public card from the deck when Pgx's round turns),
  and derives the rest from Pgx's chips and round.
- **Actions.** RLCard's ids are call 0, raise 1, fold 2, check 3; Pgx's are call 0, raise 1, fold 2, with its call
  also checking. RLCard's check is sent as Pgx's call; Pgx's mask is read back as call where the player is behind,
  check where level. An id the mask refuses is treated as the port's contract says (check where legal, else fold).
- **Observation.** Pgx's 34 booleans are laid out in RLCard's 36 (own chips 0-13 at 6-19, the opponent's at 21-34),
  as float.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp

from envs.jax_env import float_dtype
from envs.spaces import Box, Discrete
from envs.turn_based import TurnBasedJaxEnv

I32 = jnp.int32
CALL, RAISE, FOLD, CHECK = 0, 1, 2, 3


def _behind(state):
    """Whether the player to act has put in less than the highest stake of the round (it faces a bet)."""
    return state.round_raised[state.game_pointer] < jnp.max(state.round_raised)


def make_candidate(port):
    """The Pgx game behind the port's contract."""
    import pgx

    return PgxLeduc(port, pgx.make("leduc_holdem"))


class PgxLeduc(TurnBasedJaxEnv):
    """Pgx's Leduc Hold'em seen through `rlcard-leduc-holdem`'s state, actions and observation."""

    num_players = 2
    has_action_mask = True
    current_player_field = "game_pointer"

    def __init__(self, port, pgx_env):
        self.name = "pgx:leduc_holdem"
        self._pgx = pgx_env
        self._ours = port.make_jax()  # for the State container, the draws' sampling and the parameters only
        from pgx import leduc_holdem

        self._pgx_state = leduc_holdem.State

    @property
    def default_params(self):
        return self._ours.default_params

    def sample_reset_draws(self, key, params):
        return self._ours.sample_reset_draws(key, params)

    def _to_pgx(self, state):
        ranks = state.hands // 2
        upcoming = jnp.where(state.public_card >= 0, state.public_card,
                             state.deck[jnp.clip(state.deck_count - 1, 0, 5)]) // 2
        behind = _behind(state)
        # Pgx ends a round on a call that follows any action of the round: its last action, or none at a round's start
        last = jnp.where((state.round_not_raise_num == 0) & (state.round_have_raised == 0) & ~behind, -1,
                         jnp.where(state.round_have_raised > 0, RAISE, CALL))
        mask = self._pgx_mask(state)
        return self._pgx_state(
            current_player=I32(state.game_pointer), _first_player=I32(state.round_game_pointer),
            _cards=jnp.stack([ranks[0], ranks[1], upcoming]).astype(I32), _last_action=I32(last),
            _chips=state.in_chips.astype(I32), _round=I32(state.round_counter),
            _raise_count=I32(state.round_have_raised), legal_action_mask=mask,
            rewards=state.rewards.astype(jnp.float32),
        )

    def _pgx_mask(self, state):
        """Pgx's mask for a port state, from Pgx's own rule: call always, raise under two raises, fold after a bet."""
        behind = _behind(state)
        return jnp.stack([jnp.asarray(True), state.round_have_raised < 2, behind])

    def reset_det(self, draws, params):
        _, ours = self._ours.reset_det(draws, params)
        first = jnp.asarray(draws["small_blind"], I32)
        chips = jnp.ones(2, I32)  # Pgx's opening stakes
        state = ours.replace(in_chips=chips, round_raised=chips, game_pointer=first, round_game_pointer=first)
        return self.get_obs(state, params), state

    def action_mask(self, state, params=None):
        pgx_mask = self._pgx_mask(state)
        behind = _behind(state)
        return jnp.stack([pgx_mask[0] & behind, pgx_mask[1], pgx_mask[2], pgx_mask[0] & ~behind])

    def transition(self, state, action, draws, params):
        actor = state.game_pointer
        legal = self.action_mask(state, params)
        a = jnp.asarray(action, I32)
        a = jnp.where(a < 0, a + 4, a)
        known = (a >= 0) & (a < 4)
        act = jnp.where(known & legal[jnp.clip(a, 0, 3)], a, jnp.where(legal[CHECK], CHECK, FOLD))
        g = self._pgx.step(self._to_pgx(state), jnp.where(act == CHECK, CALL, act).astype(I32))
        turned = g._round > state.round_counter
        deal = turned & (state.round_counter == 0) & (act != FOLD)
        top = jnp.clip(state.deck_count - 1, 0, 5)
        public = jnp.where(deal, state.deck[top], state.public_card)
        deck = jnp.where(deal, state.deck.at[top].set(-1), state.deck)
        chips = g._chips.astype(state.in_chips.dtype)
        status = jnp.where(act == FOLD, state.status.at[actor].set(1), state.status)
        done = jnp.asarray(g.terminated)
        new = state.replace(
            deck=deck, deck_count=state.deck_count - deal.astype(I32), public_card=public,
            game_pointer=I32(g.current_player), round_game_pointer=I32(g.current_player),
            round_counter=I32(g._round), in_chips=chips, status=status,
            round_raise_amount=jnp.where(g._round >= 1, 4, 2).astype(I32), round_have_raised=I32(g._raise_count),
            round_not_raise_num=jnp.where(turned, 0, jnp.where(act == RAISE, 1, state.round_not_raise_num + 1)).astype(I32),
            round_raised=jnp.where(turned, 0, state.round_raised + chips - state.in_chips).astype(I32),
            round_player_folded=state.round_player_folded | (act == FOLD),
            rewards=g.rewards.astype(float_dtype()),
        )
        return new, new.rewards[actor], done

    def step_env_det(self, state, action, draws, params=None):
        params = self.default_params if params is None else params
        new, reward, terminated = self.transition(state, action, draws["step"], params)
        return self.get_obs(new, params), new, reward, terminated, jnp.asarray(False)

    def observe(self, state, player, params):
        with warnings.catch_warnings():  # Pgx deprecates naming the player, but a seat's view needs it
            warnings.simplefilter("ignore", DeprecationWarning)
            obs = self._pgx.observe(self._to_pgx(state), player)  # 34: hand, public, own chips 0-13, other's 0-13
        return jnp.concatenate([obs[:20], jnp.zeros(1, bool), obs[20:], jnp.zeros(1, bool)]).astype(float_dtype())

    def action_space(self, params=None):
        return Discrete(4)

    def observation_space(self, params=None):
        return Box(-jnp.inf, jnp.inf, (36,), float_dtype())
