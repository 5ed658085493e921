"""Leduc Hold'em in JAX: RLCard's `leduc-holdem` (rlcard 1.2.0, its defaults) as a `TurnBasedJaxEnv`.

The state is the adapter's (`envs.rlcard.leduc_holdem.reference`): the dealer's deck in list order (dealt from the
end, padded with -1), the hands, the public card, the game's pointer and round counter, each player's chips and
status, and the betting round's fields, plus every player's `rewards` of the last step. Card ids are
`2 * rank + suit`, so `id // 2` is the rank RLCard's observation one-hot encodes.

Randomness, in RLCard's order: the reset's `deck` (the dealer's shuffle of its six cards, as a permutation: the dealt
deck is the unshuffled deck 0..5 in that order) and `small_blind` (`randint(0, 2)`). A step draws nothing.

Rules followed from RLCard's code: the round is Limit Hold'em's (`proceed_round`, `get_legal_actions`, `is_over`),
acting for the round's own pointer; an action id that is not legal is 'check' where check is legal, else 'fold'
(`Env._decode_action`), with -4..-1 indexing the action list the Python way; the judge pays a lone player left, else
the first player pairing the public card, else the highest rank (ties split), in big blinds.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from envs.jax_env import float_dtype, randint
from envs import jax_random
from envs.spaces import Box, Discrete
from envs.turn_based import TurnBasedJaxEnv

I32 = jnp.int32
CALL, RAISE, FOLD, CHECK = 0, 1, 2, 3
NUM_ACTIONS, DECK_SIZE, OBS_SIZE = 4, 6, 36
SMALL_BLIND, BIG_BLIND, RAISE_AMOUNT, ALLOWED_RAISES = 1, 2, 2, 2


@struct.dataclass
class State:
    deck: jax.Array
    deck_count: jax.Array
    hands: jax.Array
    public_card: jax.Array
    game_pointer: jax.Array
    round_counter: jax.Array
    in_chips: jax.Array
    status: jax.Array
    round_game_pointer: jax.Array
    round_raise_amount: jax.Array
    round_have_raised: jax.Array
    round_not_raise_num: jax.Array
    round_raised: jax.Array
    round_player_folded: jax.Array
    rewards: jax.Array


@struct.dataclass
class Params:
    max_steps_in_episode: int = 1000


def _at(row, i):
    """row[i] for a short 1-D row, as a one-hot select (no gather under vmap)."""
    return jnp.sum(jnp.where(jnp.arange(row.shape[0]) == i, row, jnp.zeros((), row.dtype))).astype(row.dtype)


def _put(row, i, value):
    """row with row[i] = value, as a one-hot select (no scatter under vmap)."""
    return jnp.where(jnp.arange(row.shape[0]) == i, jnp.asarray(value, row.dtype), row)


def _permutation(key, n: int):
    """`jax_random.permutation(key, n)` exactly (the stable argsort of n random words) without a sort: word i's
    place is the number of words below it plus the equal ones before it; the permutation lists the words by place.
    The auto-reset samples a deck every step, and XLA's CPU sort is a slow loop per row."""
    w = jax_random.bits(key, (n,))
    i = jnp.arange(n)
    before = (w[None, :] < w[:, None]) | ((w[None, :] == w[:, None]) & (i[None, :] < i[:, None]))  # [i, j]: j first
    place = jnp.sum(before, axis=1)
    return jnp.sum(jnp.where(place[None, :] == i[:, None], i[None, :], 0), axis=1).astype(I32)


class LeducHoldem(TurnBasedJaxEnv):
    """RLCard's Leduc Hold'em, two players; the player to act is `game_pointer`."""

    name = "rlcard-leduc-holdem"
    num_players = 2
    has_action_mask = True
    current_player_field = "game_pointer"

    @property
    def default_params(self) -> Params:
        return Params()

    def sample_reset_draws(self, key, params):
        k_deck, k_blind = jax_random.split(key)
        return {"deck": _permutation(k_deck, DECK_SIZE), "small_blind": randint(k_blind, (), 0, 2, I32)}

    def reset_det(self, draws, params):
        order = jnp.asarray(draws["deck"], I32)
        small = jnp.asarray(draws["small_blind"], I32)
        seats = jnp.arange(2, dtype=I32)
        # player 0 takes the deck's last card, player 1 the one before it
        hands = jnp.stack([order[5], order[4]])
        deck = jnp.where(jnp.arange(DECK_SIZE) < 4, order, -1).astype(I32)
        chips = jnp.where(seats == small, SMALL_BLIND, BIG_BLIND).astype(I32)
        state = State(
            deck=deck, deck_count=I32(4), hands=hands, public_card=I32(-1), game_pointer=small,
            round_counter=I32(0), in_chips=chips, status=jnp.zeros(2, I32), round_game_pointer=small,
            round_raise_amount=I32(RAISE_AMOUNT), round_have_raised=I32(0), round_not_raise_num=I32(0),
            round_raised=chips, round_player_folded=jnp.asarray(False), rewards=jnp.zeros(2, float_dtype()),
        )
        return self.get_obs(state, params), state

    def action_mask(self, state, params=None):
        """Limit Hold'em's `get_legal_actions` for the round's pointer: raise while raises remain, check when level
        with the highest stake, call when below it, fold always."""
        mine = _at(state.round_raised, state.round_game_pointer)
        top = jnp.max(state.round_raised)
        return jnp.stack([mine != top, state.round_have_raised < ALLOWED_RAISES, jnp.asarray(True), mine >= top])

    def step_env_det(self, state, action, draws, params=None):
        """One step without auto-reset. No step counter: the state is exactly the port's fields, and a game ends by
        itself within 8 actions, so it is never truncated."""
        params = self.default_params if params is None else params
        new, reward, terminated = self.transition(state, action, draws["step"], params)
        return self.get_obs(new, params), new, reward, terminated, jnp.asarray(False)

    def transition(self, state, action, draws, params):
        actor = state.game_pointer
        legal = self.action_mask(state, params)
        a = jnp.asarray(action, I32)
        a = jnp.where(a < 0, a + NUM_ACTIONS, a)
        known = (a >= 0) & (a < NUM_ACTIONS)
        act = jnp.where(known & _at(legal, a), a, jnp.where(legal[CHECK], CHECK, FOLD))

        # proceed_round, for the round's pointer
        p = state.round_game_pointer
        raised, chips = state.round_raised, state.in_chips
        top, mine = jnp.max(raised), _at(raised, p)
        is_call, is_raise, is_fold = act == CALL, act == RAISE, act == FOLD
        new_mine = jnp.where(is_call, top, jnp.where(is_raise, top + state.round_raise_amount, mine))
        raised = _put(raised, p, new_mine)
        chips = _put(chips, p, _at(chips, p) + (new_mine - mine))
        have_raised = state.round_have_raised + is_raise.astype(I32)
        not_raise = jnp.where(is_raise, 1, jnp.where(is_fold, state.round_not_raise_num, state.round_not_raise_num + 1)).astype(I32)
        status = jnp.where(is_fold, _put(state.status, p, 1), state.status)
        folded = state.round_player_folded | is_fold
        nxt = 1 - p
        nxt = jnp.where(_at(status, nxt) == 1, p, nxt).astype(I32)

        # the round over: deal the public card after the first, then a new round from the same pointer
        over_round = not_raise >= 2
        first = over_round & (state.round_counter == 0)
        top_card = state.deck_count - 1
        public = jnp.where(first, _at(state.deck, top_card), state.public_card)
        deck = jnp.where(first, _put(state.deck, top_card, -1), state.deck)
        deck_count = state.deck_count - first.astype(I32)
        raise_amount = jnp.where(first, 2 * RAISE_AMOUNT, state.round_raise_amount).astype(I32)
        round_counter = state.round_counter + over_round.astype(I32)
        have_raised = jnp.where(over_round, 0, have_raised).astype(I32)
        not_raise = jnp.where(over_round, 0, not_raise).astype(I32)
        raised = jnp.where(over_round, 0, raised).astype(I32)

        done = (jnp.sum(status == 0) == 1) | (round_counter >= 2)
        rewards = jnp.where(done, self._payoffs(state.hands, public, chips, status), 0).astype(float_dtype())
        new = state.replace(
            deck=deck, deck_count=deck_count, public_card=public, game_pointer=nxt, round_counter=round_counter,
            in_chips=chips, status=status, round_game_pointer=nxt, round_raise_amount=raise_amount,
            round_have_raised=have_raised, round_not_raise_num=not_raise, round_raised=raised,
            round_player_folded=folded, rewards=rewards,
        )
        return new, _at(rewards, actor), done

    def _payoffs(self, hands, public, chips, status):
        """Leduc's judge: the one player left, else the first to pair the public card, else the highest rank (ties
        split the pot); each winner's share minus its chips, a loser's minus its chips, in big blinds."""
        ranks = hands // 2
        alive = status == 0
        lone = jnp.sum(~alive) == 1
        winners = jnp.where(lone, alive, False)
        pair = ranks == public // 2
        first_pair = pair & (jnp.cumsum(pair) == 1)
        winners = jnp.where(jnp.any(winners), winners, first_pair)
        winners = jnp.where(jnp.any(winners), winners, ranks == jnp.max(ranks))
        f = float_dtype()
        share = jnp.sum(chips).astype(f) / jnp.sum(winners).astype(f)
        return (jnp.where(winners, share - chips.astype(f), -chips.astype(f))) / BIG_BLIND

    def observe(self, state, player, params):
        """RLCard's 36 entries: own card's rank, the public card's rank, own chips, the other players' chips."""
        idx = jnp.arange(OBS_SIZE)
        mine = _at(state.in_chips, player)
        others = jnp.sum(state.in_chips) - mine
        hit = (idx == _at(state.hands, player) // 2) | (idx == mine + 6) | (idx == others + 21)
        hit = hit | ((state.public_card >= 0) & (idx == state.public_card // 2 + 3))
        return hit.astype(float_dtype())

    def action_space(self, params=None):
        return Discrete(NUM_ACTIONS)

    def observation_space(self, params=None):
        return Box(-jnp.inf, jnp.inf, (OBS_SIZE,), float_dtype())
