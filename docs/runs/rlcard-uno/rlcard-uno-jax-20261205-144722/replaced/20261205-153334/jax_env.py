"""UNO in JAX: RLCard's `UnoEnv` (2 players, 108 cards, 61 actions) under the turn-based contract.

Cards are RLCard's printed ids (colour * 15 + trait, traits 0-9 numbers, 10 skip, 11 reverse, 12 draw_2, 13 wild,
14 wild_draw_4) with a separate current colour (a wild's chosen one). Every pile is a 108-slot array in RLCard's list
order, padded with -1, with its count: the deck (dealt from its end), each hand, the played pile (top last).

Randomness, in RLCard's order: at reset the deck's permutation, up to four reshuffles of the 94 remaining cards while
the first card flipped is a wild_draw_4, and the colour of a wild flipped first; in a step up to two shuffles of the
deck with the played pile on top (ranked uniforms, `jax_random.ranked_permutation`) and the colour of a drawn wild.
An action id that is not legal is read as the (id mod c)-th of the c legal ids (RLCard itself refuses it).

Speed (the optimisation round): every permutation is one sort of packed integer keys (`jax_random.packed_*`), not an
argsort (XLA's CPU argsort of 108 items cost about 25 us, seven of them a step under vmap: the reset's five and the
step's two reshuffles); the mask and the observation come from a hand's id counts (one scatter-add), not from 108 x 60
comparisons; a player's row is read and written with selects, not gathers and scatters.

Speed (the second optimisation run): what happens in few lanes is computed, under `vmap`, only for those lanes
(`jax_batching.where_done`): a step's reshuffles (their sorts, and their ranked uniforms, drawn only from a state whose
deck holds at most `MAY_RESHUFFLE` cards, zeros that nothing reads otherwise); the lazy auto-reset gathers the ending
games into one lane in 32 first (`reset_capacity`). Every integer state field is int8.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from envs import jax_random
from envs.jax_batching import where_done
from envs.jax_env import float_dtype, randint
from envs.spaces import Box, Discrete
from envs.turn_based import TurnBasedJaxEnv

I32 = jnp.int32
# Every integer state field in one byte: cards -1..59, colours, counts <= 108, players, the direction (a quarter of
# int32's memory for the 864 pile slots every select reads and writes).
I8 = jnp.int8
PAD = -1
SLOTS = 108
N_TRAITS = 15
N_IDS = 60  # printed ids; action 60 is draw
DRAW = 60
NUMBER_MAX, SKIP, REVERSE, DRAW_2, WILD, WILD_DRAW_4 = 9, 10, 11, 12, 13, 14
HAND_SIZE = 7
FLIPS = 4
# A step reshuffles only when its deck runs short: a draw on an empty deck, or a draw-2 / wild_draw_4 (played, or
# drawn and played) finding fewer cards than it deals, so never from a state whose deck holds more than 4 cards.
MAY_RESHUFFLE = 4


def _rare(batch: int):
    """`where_done`'s capacities for an event few lanes meet in a step (a reshuffle)."""
    return max(1, batch // 64), max(1, batch // 8), max(1, batch // 2)


def _games_ending(batch: int):
    """The lazy auto-reset's capacities: a game lasts about 49 steps (random legal play), so the gather of one lane in
    32 holds the games ending in a step but rarely (at batch 2,048: more than 64 of a mean 42 about once in 300)."""
    return max(1, batch // 32), max(1, batch // 8), max(1, batch // 2)


def _initial_deck() -> np.ndarray:
    """RLCard's unshuffled deck: per colour one 0, two of 1-9, two skips, reverses and draw_2s, one wild, one wild_draw_4."""
    deck = []
    for colour in range(4):
        base = colour * N_TRAITS
        deck.append(base)
        for trait in range(1, 10):
            deck += [base + trait] * 2
        for trait in (SKIP, REVERSE, DRAW_2):
            deck += [base + trait] * 2
        deck += [base + WILD, base + WILD_DRAW_4]
    return np.asarray(deck, np.int32)


INITIAL = _initial_deck()
IDX = np.arange(SLOTS)


@struct.dataclass
class State:
    deck: jax.Array
    deck_colors: jax.Array
    deck_count: jax.Array
    hands: jax.Array
    hand_colors: jax.Array
    hand_counts: jax.Array
    played: jax.Array
    played_colors: jax.Array
    played_count: jax.Array
    target: jax.Array
    target_color: jax.Array
    current_player: jax.Array
    direction: jax.Array
    is_over: jax.Array
    winner: jax.Array
    rewards: jax.Array


@struct.dataclass
class Params:
    max_steps_in_episode: int = 1000


def _at(row, i):
    """row[i] for a traced index i (clipped into the row)."""
    return jnp.take(row, jnp.clip(i, 0, row.shape[-1] - 1), axis=-1)


def _append(row, count, value, cond):
    """`row` with `value` written at slot `count` where `cond`."""
    return jnp.where(cond & (IDX == count), value, row)


def _remove(row, index, cond):
    """`row` with slot `index` removed (later slots shift left, the last becomes PAD) where `cond`."""
    shifted = jnp.concatenate([row[1:], jnp.full((1,), PAD, row.dtype)])
    return jnp.where(cond & (IDX >= index), shifted, row)


def _reshuffle(piles, u, cond):
    """Where `cond`: the played pile added to the deck's end and the whole deck shuffled by ranked uniforms `u`; the
    pile emptied (RLCard's `replace_deck`). Under `vmap` computed only for the lanes where `cond` holds."""
    return where_done(cond, _reshuffled, piles, piles, u, capacity=_rare)


def _reshuffled(piles, u):
    """`_reshuffle`'s new piles."""
    deck, dcol, dc, played, pcol, pc = piles
    n = dc + pc
    src = jnp.clip(IDX - dc, 0, SLOTS - 1)
    both = jnp.where(IDX < dc, deck, played[src])
    both_col = jnp.where(IDX < dc, dcol, pcol[src])
    order = jax_random.packed_ranked_permutation(u, n)
    keep = IDX < n
    return (jnp.where(keep, both[order], PAD), jnp.where(keep, both_col[order], PAD), n,
            jnp.full_like(played, PAD), jnp.full_like(pcol, PAD), jnp.zeros_like(pc))


def _deal(deck, dcol, dc, hand, hcol, hc, k):
    """`k` cards popped from the deck's end, appended to a hand in the order popped."""
    j = IDX - hc
    take = (j >= 0) & (j < k)
    src = jnp.clip(dc - 1 - j, 0, SLOTS - 1)
    hand = jnp.where(take, deck[src], hand)
    hcol = jnp.where(take, dcol[src], hcol)
    gone = (IDX >= dc - k) & (IDX < dc)
    return jnp.where(gone, PAD, deck), jnp.where(gone, PAD, dcol), dc - k, hand, hcol, hc + k


def _id_counts(hand, count):
    """How many of each printed id (0..59) the first `count` slots of a hand hold: one scatter-add of 108 ones (on the
    CPU about 9x cheaper than comparing 108 slots with 60 ids)."""
    slots = jnp.where(IDX < count, hand, N_IDS)  # empty slots count into a spare bin
    return jnp.zeros((N_IDS + 1,), I32).at[slots].add(1)[:N_IDS]


IDS = np.arange(N_IDS)
ID_TRAIT, ID_COLOUR = IDS % N_TRAITS, IDS // N_TRAITS


def _legal(counts, target, target_color):
    """RLCard's legal actions (round.get_legal_actions) as a mask over the 61 ids, from a hand's id counts."""
    held = counts > 0
    target_trait = target % N_TRAITS
    matches = (ID_TRAIT < WILD) & ((ID_COLOUR == target_color) | ((target_trait < WILD) & (ID_TRAIT == target_trait)))
    legal = (held & matches) | (jnp.any(held & (ID_TRAIT == WILD)) & (ID_TRAIT == WILD))
    legal = legal | (~jnp.any(legal) & jnp.any(held & (ID_TRAIT == WILD_DRAW_4)) & (ID_TRAIT == WILD_DRAW_4))
    return jnp.concatenate([legal, ~jnp.any(legal)[None]])


def _row(pair, p):
    """pair[p] for a (2, ...) array and a player 0/1 (a select, not a gather)."""
    return jnp.where(p == 0, pair[0], pair[1])


def _set_row(pair, p, row):
    """`pair` with row `p` replaced (a select, not a scatter)."""
    return jnp.where((jnp.arange(2) == p)[:, None], row[None, :], pair)


def _flip_permutations(key):
    """The reset's `FLIPS` permutations of the 94 cards left after the deal."""
    return jax.vmap(lambda k: jax_random.packed_permutation(k, SLOTS - 2 * HAND_SIZE))(jax_random.split(key, FLIPS))


def _reshuffle_uniforms(key):
    """A step's ranked uniforms for its two possible reshuffles."""
    return jax_random.uniform(key, (2, SLOTS), float_dtype())


class Uno(TurnBasedJaxEnv):
    """RLCard's UNO (module docstring)."""

    name = "rlcard-uno"
    num_players = 2
    reset_capacity = staticmethod(_games_ending)

    @property
    def default_params(self) -> Params:
        return Params()

    def action_space(self, params=None):
        return Discrete(N_IDS + 1)

    def observation_space(self, params=None):
        return Box(-np.inf, np.inf, (4, 4, N_TRAITS), float_dtype())

    # ----- randomness -----------------------------------------------------------------------------------------------
    def sample_reset_draws(self, key, params):
        k_deck, k_flip, k_colour = jax_random.split(key, 3)
        # every draw is made, used or not: level D compares the reset draws' values whether RLCard asks for them or not
        return {"deck": jax_random.packed_permutation(k_deck, SLOTS), "flip_reshuffles": _flip_permutations(k_flip),
                "flip_color": randint(k_colour, (), 0, 4)}

    def sample_step_draws(self, key, state, params):
        k_shuffle, k_colour = jax_random.split(key)
        # ranked uniforms only for a deck that may run short in this step (`MAY_RESHUFFLE`); zeros, never read, else
        u = where_done(state.deck_count <= MAY_RESHUFFLE, _reshuffle_uniforms, jnp.zeros((2, SLOTS), float_dtype()),
                       k_shuffle, capacity=_rare)
        return {"reshuffles": u, "draw_color": randint(k_colour, (), 0, 4)}

    # ----- reset ----------------------------------------------------------------------------------------------------
    def reset_det(self, draws, params):
        order = jnp.asarray(draws["deck"])
        deck = jnp.asarray(INITIAL)[order].astype(I8)
        dcol = deck // N_TRAITS
        # seven cards each, popped from the end: player 0 first
        hands = jnp.stack([deck[SLOTS - 1 - i - jnp.arange(SLOTS)] for i in (0, HAND_SIZE)])
        dealt = IDX < HAND_SIZE
        hands = jnp.where(dealt[None, :], hands, PAD)
        hand_colors = jnp.where(hands >= 0, hands // N_TRAITS, PAD)
        dc = SLOTS - 2 * HAND_SIZE
        deck = jnp.where(IDX < dc, deck, PAD)
        dcol = jnp.where(IDX < dc, dcol, PAD)
        # the first card: a wild_draw_4 goes back and the deck is shuffled, as often as it comes up
        for k in range(FLIPS):
            again = deck[dc - 1] % N_TRAITS == WILD_DRAW_4
            perm = jnp.concatenate([jnp.asarray(draws["flip_reshuffles"][k]), jnp.arange(dc, SLOTS)])
            deck, dcol = jnp.where(again, deck[perm], deck), jnp.where(again, dcol[perm], dcol)
        top = deck[dc - 1]
        trait = top % N_TRAITS
        colour = jnp.where(trait == WILD, jnp.asarray(draws["flip_color"], I8), dcol[dc - 1])
        deck, dcol, dc = deck.at[dc - 1].set(PAD), dcol.at[dc - 1].set(PAD), jnp.asarray(dc - 1, I8)
        played = jnp.full((SLOTS,), PAD, I8).at[0].set(top)
        pcol = jnp.full((SLOTS,), PAD, I8).at[0].set(colour)
        # the first card acts: skip passes the turn, reverse turns the direction, draw_2 makes player 0 draw two
        current = jnp.where((trait == SKIP) | (trait == REVERSE), 1, 0).astype(I8)
        direction = jnp.where(trait == REVERSE, -1, 1).astype(I8)
        k = jnp.where(trait == DRAW_2, 2, 0)
        deck, dcol, dc, h0, c0, n0 = _deal(deck, dcol, dc, hands[0], hand_colors[0], jnp.asarray(HAND_SIZE, I8), k)
        state = State(
            deck=deck, deck_colors=dcol, deck_count=dc,
            hands=hands.at[0].set(h0), hand_colors=hand_colors.at[0].set(c0),
            hand_counts=jnp.stack([n0, jnp.asarray(HAND_SIZE, I8)]),
            played=played, played_colors=pcol, played_count=jnp.asarray(1, I8),
            target=top, target_color=colour, current_player=current, direction=direction,
            is_over=jnp.asarray(False), winner=jnp.asarray(PAD, I8), rewards=jnp.zeros(2, float_dtype()),
        )
        return self.get_obs(state, params), state

    # ----- the step -------------------------------------------------------------------------------------------------
    def action_mask(self, state, params=None):
        p = state.current_player
        counts = _id_counts(_row(state.hands, p), _row(state.hand_counts, p))
        return _legal(counts, state.target, state.target_color)

    def transition(self, s, action, draws, params):
        mask = self.action_mask(s)
        action = jnp.asarray(action, I32)
        inside = (action >= 0) & (action <= DRAW)
        count = jnp.sum(mask)
        kth = jnp.argmax(jnp.cumsum(mask) > jnp.mod(action, count))
        a = jnp.where(inside & _at(mask, action), action, kth).astype(I32)
        u = jnp.asarray(draws["reshuffles"])
        p, d = s.current_player, s.direction
        is_draw = a == DRAW

        piles = (s.deck, s.deck_colors, s.deck_count, s.played, s.played_colors, s.played_count)
        first = is_draw & (s.deck_count == 0)  # a draw on an empty deck: the pile goes back first
        deck, dcol, dc, played, pcol, pc = _reshuffle(piles, u[0], first)

        hand, hcol, n = _row(s.hands, p), _row(s.hand_colors, p), _row(s.hand_counts, p)
        a_trait, a_colour = a % N_TRAITS, (a // N_TRAITS).astype(I8)
        a_wild = a_trait >= WILD
        found = (IDX < n) & jnp.where(a_wild, hand % N_TRAITS == a_trait, hand == a)
        r = jnp.argmax(found)
        card = jnp.where(is_draw, _at(deck, dc - 1), hand[r])
        trait = card % N_TRAITS
        wild = trait >= WILD
        colour = jnp.where(is_draw, jnp.where(wild, jnp.asarray(draws["draw_color"], I8), _at(dcol, dc - 1)),
                           jnp.where(a_wild, a_colour, hcol[r]))
        popped = is_draw & (IDX == dc - 1)
        deck, dcol, dc = jnp.where(popped, PAD, deck), jnp.where(popped, PAD, dcol), dc - is_draw.astype(I8)
        hand, hcol = _remove(hand, r, ~is_draw), _remove(hcol, r, ~is_draw)
        n = n - (~is_draw).astype(I8)
        won = ~is_draw & (n == 0)

        kept = is_draw & ~wild & (colour != s.target_color)  # drawn, not playable: into the hand
        hand, hcol = _append(hand, n, card, kept), _append(hcol, n, colour, kept)
        n = n + kept.astype(I8)
        played, pcol = _append(played, pc, card, ~kept), _append(pcol, pc, colour, ~kept)
        pc = pc + (~kept).astype(I8)
        plain = kept | (trait <= NUMBER_MAX) | (is_draw & wild)  # the turn passes, no effect

        hands = _set_row(s.hands, p, hand)
        hand_colors = _set_row(s.hand_colors, p, hcol)
        hand_counts = jnp.where(jnp.arange(2) == p, n, s.hand_counts)

        # an action card's effect (RLCard's _preform_non_number_action)
        act = ~plain
        direction = jnp.where(act & (trait == REVERSE), -d, d)
        current = jnp.where(act & (trait == SKIP), (p + d) % 2, p)
        k = jnp.where(act & (trait == DRAW_2), 2, jnp.where(act & (trait == WILD_DRAW_4), 4, 0)).astype(I8)
        short = (k > 0) & (dc < k)
        deck, dcol, dc, played, pcol, pc = _reshuffle((deck, dcol, dc, played, pcol, pc), jnp.where(first, u[1], u[0]), short)
        victim = (p + d) % 2
        deck, dcol, dc, vh, vc, vn = _deal(deck, dcol, dc, _row(hands, victim), _row(hand_colors, victim),
                                           _row(hand_counts, victim), k)
        hands = _set_row(hands, victim, vh)
        hand_colors = _set_row(hand_colors, victim, vc)
        hand_counts = jnp.where(jnp.arange(2) == victim, vn, hand_counts)
        current = jnp.where(k > 0, victim, current)
        current = jnp.where(plain, (p + d) % 2, (current + direction) % 2).astype(I8)

        is_over = s.is_over | won
        winner = jnp.where(won, p, s.winner).astype(I8)
        rewards = jnp.where(is_over, jnp.where(jnp.arange(2) == winner, 1.0, -1.0), 0.0).astype(float_dtype())
        state = State(
            deck=deck, deck_colors=dcol, deck_count=dc, hands=hands, hand_colors=hand_colors, hand_counts=hand_counts,
            played=played, played_colors=pcol, played_count=pc,
            target=jnp.where(kept, s.target, card).astype(I8), target_color=jnp.where(kept, s.target_color, colour).astype(I8),
            current_player=current, direction=direction.astype(I8), is_over=is_over, winner=winner, rewards=rewards,
        )
        return state, rewards[p], is_over

    def step_env_det(self, state, action, draws, params=None):
        """One step without auto-reset; RLCard's UNO has no step limit, so no step counter."""
        params = self.default_params if params is None else params
        s, reward, terminated = self.transition(state, action, draws["step"], params)
        return self.get_obs(s, params), s, reward, terminated, jnp.asarray(False)

    # ----- observation ----------------------------------------------------------------------------------------------
    def observe(self, state, player, params=None):
        """RLCard's (4, 4, 15) planes for `player`: none / one / two of each card in the hand (a wild in every colour's
        row, as one), and the target's printed card."""
        counts = _id_counts(_row(state.hands, player), _row(state.hand_counts, player)).reshape(4, N_TRAITS)
        has = jnp.any(counts > 0, axis=0)  # per trait, in any colour
        wild_col = jnp.arange(N_TRAITS) >= WILD
        one = jnp.where(wild_col, has, counts == 1)
        none = jnp.where(wild_col, ~has, counts == 0)
        two = jnp.where(wild_col, False, counts == 2)
        target = (IDS == state.target).reshape(4, N_TRAITS)
        return jnp.stack([none, one, two, target]).astype(float_dtype())

    def get_obs(self, state, params=None):
        return self.observe(state, state.current_player, params)
