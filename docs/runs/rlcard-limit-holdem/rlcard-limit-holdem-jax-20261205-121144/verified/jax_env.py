"""Limit Texas Hold'em in JAX: RLCard 1.2.0's `limit-holdem` (2 players), translated rule for rule.

The state holds the reference adapter's fields (cards as ids `13 * suit + rank`, suits S H D C, ranks A 2 .. K; the
deck dealt from the end of its first `deck_count` slots) and `rewards`. A reset takes two draws: the deck's
permutation (RLCard's shuffle of the unshuffled deck, so the deck *is* the permutation) and the small blind. A step
takes none: the judger's odd-chip `choice` is unreachable with two players.

The showdown follows RLCard's `compare_hands` (limitholdem/utils.py) over each player's 7 cards. Its categories, the
order it tests them in and the ranks it compares (its `best_five` positions) amount to the usual 7-card hand order:
straight flush, four of a kind (then the kicker), full house (trips, then the pair, a second trips counting as the
pair), flush (five ranks), straight (its top card, the ace low in A-2-3-4-5), three of a kind (then two kickers), two
pairs (the two highest pairs, then the highest other card, a third pair included), one pair (then three kickers),
high card (five ranks). Each hand becomes one integer score (category, then five ranks in base 13) computed from
fixed-shape rank and suit counts and 13-bit rank masks (highest ranks by count-leading-zeros), so it vmaps; the
players with the highest score win.

Speed (per step under vmap, on the CPU): the deck's permutation is each card's rank among 52 random packed words
(`jax_random.rank_permutation`: 52 whole-vector comparisons that XLA fuses, about 3x faster than its row-by-row
sort); the auto-reset's new game is computed only for the games that end (the base class's lazy reset), and both
players' hands are scored only for the games that reach a showdown (`jax_batching.where_done`); the public cards
are read from a 5-card window at the deck's end, not selected from all 52 slots.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct
from jax import lax

from envs import jax_random
from envs.jax_batching import where_done
from envs.jax_env import float_dtype, int_dtype, randint
from envs.spaces import Box, Discrete
from envs.turn_based import TurnBasedJaxEnv

N_ACTIONS, CALL, RAISE, FOLD, CHECK = 4, 0, 1, 2, 3
DECK, PUBLIC, ROUNDS = 52, 5, 4
SMALL_BLIND, BIG_BLIND, ALLOWED_RAISES = 1, 2, 4
FOLDED = 1


@struct.dataclass
class State:
    deck: jax.Array
    deck_count: jax.Array
    hands: jax.Array
    public_cards: jax.Array
    public_count: jax.Array
    history_raise_nums: jax.Array
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


def _of(pair, p):
    """pair[p] for a 2-vector and a player 0/1 (a select, not a gather)."""
    return jnp.where(p == 0, pair[0], pair[1])


def _set(pair, p, value):
    """pair with entry p replaced by value."""
    return jnp.where(jnp.arange(2) == p, value, pair).astype(pair.dtype)


def legal_actions(s: State):
    """The round's legal actions for its player to act (LimitHoldemRound.get_legal_actions), over the 4 ids."""
    mine, most = _of(s.round_raised, s.round_game_pointer), jnp.max(s.round_raised)
    return jnp.stack([mine != most, s.round_have_raised < ALLOWED_RAISES, jnp.asarray(True), mine >= most])


# ----- the showdown ---------------------------------------------------------------------------------------------
# Ranks 0 (a two) .. 12 (an ace) as bits of a 13-bit mask; the highest rank of a mask is its highest set bit.

RANKS = jnp.arange(13)


def _high(mask):
    """The highest rank in `mask` (-1 for none)."""
    return 31 - lax.clz(mask.astype(jnp.int32))


def _without(mask, rank):
    return mask & ~jnp.left_shift(1, jnp.maximum(rank, 0))


def _top(mask, k):
    """The k highest ranks of `mask`, highest first."""
    out = []
    for _ in range(k):
        r = _high(mask)
        out.append(r)
        mask = _without(mask, r)
    return out


def _straight_high(mask):
    """(whether `mask` holds five ranks in a row, the top rank of the highest such run); the ace also plays low."""
    ext = (mask << 1) | ((mask >> 12) & 1)  # bit 0 the low ace, bit 1 + r the rank r
    runs = ext & (ext >> 1) & (ext >> 2) & (ext >> 3) & (ext >> 4)  # bit i: a run from ext bit i, topped at rank i + 3
    return runs != 0, _high(runs) + 3


def hand_score(cards):
    """One integer that orders 7-card hands (`cards`: 7 ids) as RLCard's compare_hands does (module docstring)."""
    cards = cards.astype(jnp.int32)
    rank = (cards % 13 + 12) % 13
    suit = cards // 13
    counts = jnp.sum(rank[:, None] == RANKS[None, :], axis=0)
    bits = jnp.left_shift(1, RANKS)

    def ranks_where(cond):
        return jnp.sum(jnp.where(cond, bits, 0))

    present, pairs, trips, quads = ranks_where(counts >= 1), ranks_where(counts == 2), ranks_where(counts == 3), \
        ranks_where(counts == 4)
    suit_counts = jnp.sum(suit[:, None] == jnp.arange(4)[None, :], axis=0)
    flush = jnp.any(suit_counts >= 5)
    flush_suit = jnp.sum(jnp.where(suit_counts >= 5, jnp.arange(4), 0))  # at most one suit has 5 of 7 cards
    flush_ranks = jnp.sum(jnp.where(flush & (suit == flush_suit), jnp.left_shift(1, rank), 0))  # distinct ranks
    sf, sf_high = _straight_high(flush_ranks)
    straight, st_high = _straight_high(present)
    n3, n2 = lax.population_count(trips), lax.population_count(pairs)

    q, t, p = _high(quads), _high(trips), _high(pairs)
    p2 = _high(_without(pairs, p))
    z = jnp.zeros((), jnp.int32)
    cases = [  # (holds, category, five tie-break ranks), in RLCard's order of tests
        (sf & flush, 9, [sf_high, z, z, z, z]),
        (quads != 0, 8, [q, _high(_without(present, q)), z, z, z]),
        ((n3 >= 1) & ((n3 >= 2) | (n2 >= 1)), 7, [t, _high(_without(trips | pairs, t)), z, z, z]),
        (flush, 6, _top(flush_ranks, 5)),
        (straight, 5, [st_high, z, z, z, z]),
        (n3 >= 1, 4, [t, *_top(_without(present, t), 2), z, z]),
        (n2 >= 2, 3, [p, p2, _high(_without(_without(present, p), p2)), z, z]),
        (n2 == 1, 2, [p, *_top(_without(present, p), 3), z]),
        (jnp.asarray(True), 1, _top(present, 5)),
    ]
    score = jnp.zeros((), jnp.int32)
    for holds, category, ranks in reversed(cases):  # the first case that holds is written last
        value = jnp.asarray(category, jnp.int32)
        for r in ranks:
            value = value * 13 + r
        score = jnp.where(holds, value, score)
    return score


def _scores(hands, public_cards):
    """Both players' hand scores from their 7 cards."""
    seven = jnp.concatenate([hands, jnp.broadcast_to(public_cards, (2, PUBLIC))], axis=1)
    return jax.vmap(hand_score)(jnp.clip(seven, 0, DECK - 1))


def payoffs(s: State, finished):
    """RLCard's get_payoffs of a game (zeros while it runs), in big blinds: the sole player left, or the best
    hand(s), win. The hands are scored only where both players reach the showdown (`where_done`: under `vmap`
    only for those games, a few in a hundred steps)."""
    alive = s.status != FOLDED
    showdown = finished & jnp.all(alive)
    scores = where_done(showdown, _scores, jnp.zeros((2,), jnp.int32), s.hands, s.public_cards)
    scores = jnp.where(alive, scores, -1)
    winners = jnp.where(jnp.sum(alive) == 1, alive, scores == jnp.max(scores))
    # Two players: a pot both win goes back to both; one winner takes the smaller stake from the other.
    stake = jnp.minimum(s.in_chips[0], s.in_chips[1])
    won = jnp.where(jnp.all(winners), 0, jnp.where(winners, stake, -stake))
    return jnp.where(finished, won.astype(float_dtype()) / BIG_BLIND, 0)


# ----- the game ---------------------------------------------------------------------------------------------------

def _deal_public(s: State, n):
    """Deal `n` cards from the deck's end onto the table, as `n` calls of `dealer.deal_card()`."""
    slot = jnp.arange(PUBLIC)
    k = slot - s.public_count  # the k-th card dealt now lands in slot public_count + k
    take = (k >= 0) & (k < n)
    src = s.deck_count - 1 - k
    # The deck's last five cards, zero where there is no card: deck[deck_count - 5 .. deck_count - 1] of the deck
    # padded with five zeros on each side (a start off that range reads no card at all: every src invalid).
    padded = jnp.concatenate([jnp.zeros((PUBLIC,), s.deck.dtype), s.deck, jnp.zeros((PUBLIC,), s.deck.dtype)])
    last = lax.dynamic_slice(padded, (jnp.clip(s.deck_count, 0, DECK + PUBLIC),), (PUBLIC,))
    at = src - s.deck_count + PUBLIC  # src's place in the window
    from_last = jnp.sum(jnp.where(jnp.arange(PUBLIC)[None, :] == at[:, None], last[None, :], 0), axis=1)
    from_deck = jnp.where((src >= 0) & (src < DECK), from_last, 0)
    public = jnp.where(take, from_deck, s.public_cards).astype(s.public_cards.dtype)
    left = s.deck_count - n
    deck = jnp.where(jnp.arange(DECK) >= left, -1, s.deck).astype(s.deck.dtype)
    return s.replace(public_cards=public, public_count=s.public_count + n, deck=deck, deck_count=left)


def _advance(s: State, action):
    """One action of the round's player to act (LimitHoldemGame.step after Env._decode_action)."""
    a = jnp.asarray(action).astype(int_dtype())
    a = jnp.where((a >= -N_ACTIONS) & (a < 0), a + N_ACTIONS, a)  # a Python index into RLCard's action list
    legal = legal_actions(s)
    ok = (a >= 0) & (a < N_ACTIONS) & jnp.any(legal & (jnp.arange(N_ACTIONS) == a))
    a = jnp.where(ok, a, jnp.where(legal[CHECK], CHECK, FOLD))

    gp = s.round_game_pointer
    mine, most = _of(s.round_raised, gp), jnp.max(s.round_raised)
    raise_to = most + s.round_raise_amount
    put = jnp.where(a == CALL, most - mine, jnp.where(a == RAISE, raise_to - mine, 0))
    raised = _set(s.round_raised, gp, jnp.where(a == CALL, most, jnp.where(a == RAISE, raise_to, mine)))
    chips = _set(s.in_chips, gp, _of(s.in_chips, gp) + put)
    status = _set(s.status, gp, jnp.where(a == FOLD, FOLDED, _of(s.status, gp)))
    have_raised = s.round_have_raised + (a == RAISE)
    not_raise = jnp.where(a == RAISE, 1, s.round_not_raise_num + ((a == CALL) | (a == CHECK)))
    following = (gp + 1) % 2
    pointer = jnp.where(_of(status, following) == FOLDED, gp, following)  # folded players are skipped
    history = jnp.where(jnp.arange(ROUNDS) == s.round_counter, have_raised, s.history_raise_nums)
    s = s.replace(round_raised=raised, in_chips=chips, status=status, round_have_raised=have_raised,
                  round_not_raise_num=not_raise, round_game_pointer=pointer, game_pointer=pointer,
                  round_player_folded=s.round_player_folded | (a == FOLD), history_raise_nums=history)

    # The betting round ends once every player has called or checked since the last raise.
    over = not_raise >= 2
    rc = s.round_counter
    dealt = _deal_public(s, jnp.where(rc == 0, 3, jnp.where(rc <= 2, 1, 0)))
    zeros = jnp.zeros_like(s.round_raised)
    dealt = dealt.replace(round_counter=rc + 1, round_have_raised=jnp.zeros_like(have_raised),
                          round_not_raise_num=jnp.zeros_like(not_raise), round_raised=zeros,
                          round_raise_amount=jnp.where(rc == 1, 2 * BIG_BLIND, s.round_raise_amount))
    s = jax.tree.map(lambda x, y: jnp.where(over, x, y), dealt, s)

    finished = (jnp.sum(s.status != FOLDED) == 1) | (s.round_counter >= ROUNDS)
    return s.replace(rewards=payoffs(s, finished)), finished


class LimitHoldem(TurnBasedJaxEnv):
    """RLCard's Limit Texas Hold'em for two players (module docstring); actions 0 call, 1 raise, 2 fold, 3 check."""

    name = "rlcard-limit-holdem"
    num_players = 2
    has_action_mask = True
    current_player_field = "game_pointer"

    @property
    def default_params(self) -> Params:
        return Params()

    def sample_reset_draws(self, key, params):
        k_deck, k_blind = jax_random.split(key)
        return {"deck": jax_random.rank_permutation(k_deck, DECK), "small_blind": randint(k_blind, (), 0, 2)}

    def reset_det(self, draws, params):
        """LimitHoldemGame.init_game: deal two cards each from the end of the shuffled deck, post the blinds."""
        i = int_dtype()
        deck = jnp.asarray(draws["deck"]).astype(i)
        hands = jnp.stack([jnp.stack([deck[51], deck[49]]), jnp.stack([deck[50], deck[48]])])
        small = jnp.asarray(draws["small_blind"]).astype(i)
        chips = jnp.where(jnp.arange(2) == small, SMALL_BLIND, BIG_BLIND).astype(i)
        zero = jnp.zeros((), i)
        s = State(deck=jnp.where(jnp.arange(DECK) >= 48, -1, deck).astype(i), deck_count=jnp.asarray(48, i),
                  hands=hands, public_cards=jnp.full((PUBLIC,), -1, i), public_count=zero,
                  history_raise_nums=jnp.zeros((ROUNDS,), i), game_pointer=small, round_counter=zero, in_chips=chips,
                  status=jnp.zeros((2,), i), round_game_pointer=small, round_raise_amount=jnp.asarray(BIG_BLIND, i),
                  round_have_raised=zero, round_not_raise_num=zero, round_raised=chips,
                  round_player_folded=jnp.asarray(False), rewards=jnp.zeros((2,), float_dtype()))
        return self.get_obs(s, params), s

    def transition(self, state, action, draws, params):
        s, finished = _advance(state, action)
        return s, _of(s.rewards, state.game_pointer), finished

    def step_env_det(self, state, action, draws, params=None):
        """One step without auto-reset; the game ends itself, so there is no step counter."""
        params = self.default_params if params is None else params
        s, reward, terminated = self.transition(state, action, draws["step"], params)
        return self.get_obs(s, params), s, reward, jnp.asarray(terminated), jnp.asarray(False)

    def observe(self, state, player, params=None):
        """RLCard's state['obs'] of `player`: its cards and the public ones (52), then each round's raises one-hot."""
        seen = jnp.concatenate([_of(state.hands, player), state.public_cards])
        valid = jnp.concatenate([jnp.asarray([True, True]), jnp.arange(PUBLIC) < state.public_count])
        cards = jnp.any(valid[:, None] & (seen[:, None] == jnp.arange(DECK)[None, :]), axis=0)
        raises = (state.history_raise_nums[:, None] == jnp.arange(5)[None, :]).reshape(-1)
        return jnp.concatenate([cards, raises]).astype(float_dtype())

    def action_mask(self, state, params=None):
        """RLCard's legal actions (the round's player to act), as the face reports them, over or not."""
        return legal_actions(state)

    def action_space(self, params=None):
        return Discrete(N_ACTIONS)

    def observation_space(self, params=None):
        return Box(-jnp.inf, jnp.inf, (DECK + 20,), float_dtype())
