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

Speed (the third run): a step splits by its state (`jax_batching.where_done`): a state whose deck holds at most
`MAY_RESHUFFLE` cards takes the whole step (`_play_reshuffling`, both reshuffles), every other the short one
(`_play`: no reshuffle, each pile row written once, the two hands in one pass, a deal of up to four cards as four
scalar reads). Legality is read from the acting hand's slots (`_is_legal`), the full mask only for an illegal id.
The id counts scatter a hand's first `HEAD` slots (all 108 only for a longer hand). The key-driven `reset` sorts the
flip permutations only for a game whose first card is a wild_draw_4 (`reset_det` applies the drawn ones).
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
FIRST = SLOTS - 2 * HAND_SIZE - 1  # the deck's top slot once the hands are dealt: the first card flipped
# A step reshuffles only when its deck runs short: a draw on an empty deck, or a draw-2 / wild_draw_4 (played, or
# drawn and played) finding fewer cards than it deals, so never from a state whose deck holds more than 4 cards.
MAY_RESHUFFLE = 4
# The id counts scatter a hand's first HEAD slots, and all of them for a hand of more cards (`_id_counts`).
HEAD = 24


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


def _reshuffled(piles, u):
    """The played pile added to the deck's end and the whole deck shuffled by ranked uniforms `u`; the pile emptied
    (RLCard's `replace_deck`)."""
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
    """How many of each printed id (0..59) the first `count` slots of a hand hold: a scatter-add of the first `HEAD`
    slots' ones (a scatter's cost grows with its updates: 24 of them cost a third of 108), and of all 108 slots, under
    `vmap` only for the few lanes whose hand holds more than `HEAD` cards."""
    return where_done(count > HEAD, _counts_upto(SLOTS), _counts_upto(HEAD)(hand, count), hand, count, capacity=_rare)


def _counts_upto(size):
    """`_id_counts` of a hand's first min(count, size) slots."""

    def counts(hand, count):
        slots = jnp.where(IDX[:size] < count, hand[:size], N_IDS)  # empty slots count into a spare bin
        return jnp.zeros((N_IDS + 1,), I32).at[slots].add(1)[:N_IDS]

    return counts


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


def _hand_facts(hand, n, target, target_color):
    """What legality asks of a hand's first `n` slots, read from the slots (no id counts): whether it holds a card
    that matches the target (colour or trait, not a wild), a wild, a wild_draw_4."""
    held = IDX < n
    trait, colour = hand % N_TRAITS, hand // N_TRAITS
    target_trait = target % N_TRAITS
    match = held & (trait < WILD) & ((colour == target_color) | ((target_trait < WILD) & (trait == target_trait)))
    return jnp.any(match), jnp.any(held & (trait == WILD)), jnp.any(held & (trait == WILD_DRAW_4))


def _is_legal(hand, n, target, target_color, a):
    """Whether action id `a` (0..60) is legal (RLCard's round.get_legal_actions), from the hand's slots."""
    any_match, any_wild, any_wd4 = _hand_facts(hand, n, target, target_color)
    a_trait, a_colour = a % N_TRAITS, a // N_TRAITS
    target_trait = target % N_TRAITS
    held = jnp.any((IDX < n) & (hand == a))
    matches = (a_trait < WILD) & ((a_colour == target_color) | ((target_trait < WILD) & (a_trait == target_trait)))
    plain = held & matches
    wd4 = ~any_match & ~any_wild & any_wd4
    return jnp.where(a == DRAW, ~any_match & ~any_wild & ~any_wd4,
                     jnp.where(a_trait == WILD, any_wild, jnp.where(a_trait == WILD_DRAW_4, wd4, plain)))


def _kth_legal(hand, n, target, target_color, action):
    """The (action mod c)-th of the c legal ids (the port's rule for an illegal id), from the full mask."""
    mask = _legal(_id_counts(hand, n), target, target_color)
    kth = jnp.argmax(jnp.cumsum(mask) > jnp.mod(action, jnp.sum(mask)))
    return kth.astype(I32)


def _legal_action(s, action):
    """The id played: `action` where legal, else the (action mod c)-th legal id; the full mask (its id counts) is
    computed, under `vmap`, only for the lanes whose id is not legal."""
    p = s.current_player
    hand, n = _row(s.hands, p), _row(s.hand_counts, p)
    action = jnp.asarray(action, I32)
    inside = (action >= 0) & (action <= DRAW)
    legal = inside & _is_legal(hand, n, s.target, s.target_color, jnp.clip(action, 0, DRAW))
    return where_done(~legal, _kth_legal, action, hand, n, s.target, s.target_color, action, capacity=_rare)


def _take4(row, top):
    """row[top], row[top - 1], row[top - 2], row[top - 3] (indices clipped): the cards a deal of up to 4 pops."""
    return [_at(row, top - j) for j in range(4)]


def _dealt(row, count, cards, k):
    """`row` with `cards[j]` written at slot `count + j` for j < k (k <= 4): selects, no gather."""
    for j in range(4):
        row = jnp.where((IDX == count + j) & (j < k), cards[j], row)
    return row


def _play(s, a, draw_color):
    """The step's state, reward and end flag for a legal id `a`, from a state whose deck holds more than
    `MAY_RESHUFFLE` cards (no reshuffle: a draw pops a card, a deal of 2 or 4 finds them). Each pile row is written
    once: the acting hand (a card removed, or a drawn one kept), the other hand (dealt into), the deck (popped), the
    played pile (appended)."""
    p, d = s.current_player, s.direction
    is_draw = a == DRAW
    dc, pc = s.deck_count, s.played_count
    hand, hcol, n = _row(s.hands, p), _row(s.hand_colors, p), _row(s.hand_counts, p)
    a_trait, a_colour = a % N_TRAITS, (a // N_TRAITS).astype(I8)
    a_wild = a_trait >= WILD
    found = (IDX < n) & jnp.where(a_wild, hand % N_TRAITS == a_trait, hand == a)
    r = jnp.argmax(found)
    card = jnp.where(is_draw, _at(s.deck, dc - 1), _at(hand, r))
    trait = card % N_TRAITS
    wild = trait >= WILD
    colour = jnp.where(is_draw, jnp.where(wild, jnp.asarray(draw_color, I8), _at(s.deck_colors, dc - 1)),
                       jnp.where(a_wild, a_colour, _at(hcol, r)))
    kept = is_draw & ~wild & (colour != s.target_color)  # drawn, not playable: into the hand
    won = ~is_draw & (n == 1)
    plain = kept | (trait <= NUMBER_MAX) | (is_draw & wild)  # the turn passes, no effect
    act = ~plain
    direction = jnp.where(act & (trait == REVERSE), -d, d)
    current = jnp.where(act & (trait == SKIP), (p + d) % 2, p)
    k = jnp.where(act & (trait == DRAW_2), 2, jnp.where(act & (trait == WILD_DRAW_4), 4, 0)).astype(I8)
    victim = (p + d) % 2
    current = jnp.where(k > 0, victim, current)
    current = jnp.where(plain, (p + d) % 2, (current + direction) % 2).astype(I8)

    top = dc - is_draw.astype(I8)  # the deck's count once a drawn card is popped; the deal takes from there
    gone = (IDX >= top - k) & (IDX < dc)
    deck, dcol = jnp.where(gone, PAD, s.deck), jnp.where(gone, PAD, s.deck_colors)
    cards, cols = _take4(s.deck, top - 1), _take4(s.deck_colors, top - 1)

    # both hands in one pass: the actor's row loses slot r (a card played) or gains the kept card at n; the victim's
    # row is dealt k cards at its count
    rows = jnp.arange(2)[:, None]
    actor = rows == p
    play = actor & ~is_draw & (IDX >= r)
    keep = actor & kept & (IDX == n)
    vn = _row(s.hand_counts, victim)

    def hands_of(pair, value, deal):
        shifted = jnp.concatenate([pair[:, 1:], jnp.full((2, 1), PAD, pair.dtype)], axis=1)
        dealt = jnp.where(actor, pair, _dealt(pair, vn, deal, k))
        return jnp.where(play, shifted, jnp.where(keep, value, dealt))

    hands = hands_of(s.hands, card, cards)
    hand_colors = hands_of(s.hand_colors, colour, cols)
    counts = jnp.arange(2) == p
    hand_counts = (s.hand_counts + jnp.where(counts, kept.astype(I8) - (~is_draw).astype(I8), k)).astype(I8)
    played, pcol = _append(s.played, pc, card, ~kept), _append(s.played_colors, pc, colour, ~kept)

    is_over = s.is_over | won
    winner = jnp.where(won, p, s.winner).astype(I8)
    rewards = jnp.where(is_over, jnp.where(jnp.arange(2) == winner, 1.0, -1.0), 0.0).astype(float_dtype())
    state = State(
        deck=deck, deck_colors=dcol, deck_count=(top - k).astype(I8), hands=hands, hand_colors=hand_colors,
        hand_counts=hand_counts, played=played, played_colors=pcol, played_count=(pc + (~kept).astype(I8)).astype(I8),
        target=jnp.where(kept, s.target, card).astype(I8), target_color=jnp.where(kept, s.target_color, colour).astype(I8),
        current_player=current, direction=direction.astype(I8), is_over=is_over, winner=winner, rewards=rewards,
    )
    return state, rewards[p], is_over


def _play_reshuffling(s, a, draws):
    """`_play` for any state: the played pile shuffled back into the deck when a draw finds it empty, and when a
    draw-2 or wild_draw_4 finds fewer cards than it deals (RLCard's `replace_deck`), from the step's ranked uniforms."""
    u = jnp.asarray(draws["reshuffles"])
    p, d = s.current_player, s.direction
    is_draw = a == DRAW

    piles = (s.deck, s.deck_colors, s.deck_count, s.played, s.played_colors, s.played_count)
    first = is_draw & (s.deck_count == 0)  # a draw on an empty deck: the pile goes back first
    deck, dcol, dc, played, pcol, pc = _where(first, _reshuffled(piles, u[0]), piles)

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
    piles = (deck, dcol, dc, played, pcol, pc)
    deck, dcol, dc, played, pcol, pc = _where(short, _reshuffled(piles, jnp.where(first, u[1], u[0])), piles)
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


def _where(cond, new, old):
    """`jnp.where(cond, new, old)` leaf by leaf."""
    return jax.tree.map(lambda x, y: jnp.where(cond, x, y), new, old)


def _flip_permutations(key):
    """The reset's `FLIPS` permutations of the 94 cards left after the deal."""
    return jax.vmap(lambda k: jax_random.packed_permutation(k, SLOTS - 2 * HAND_SIZE))(jax_random.split(key, FLIPS))


def _flipped(deck, dcol, perms):
    """The deck after its first card's reshuffles: while a wild_draw_4 is flipped first it goes back and the dealt
    deck's `FIRST + 1` cards are shuffled by the next of the `FLIPS` permutations `perms`."""
    for k in range(FLIPS):
        again = deck[FIRST] % N_TRAITS == WILD_DRAW_4
        perm = jnp.concatenate([perms[k], jnp.arange(FIRST + 1, SLOTS)])
        deck, dcol = jnp.where(again, deck[perm], deck), jnp.where(again, dcol[perm], dcol)
    return deck, dcol


def _flipped_from_key(deck, dcol, key):
    """`_flipped` with the permutations `sample_reset_draws` makes from `key`."""
    return _flipped(deck, dcol, _flip_permutations(key))


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
        flips = jnp.asarray(draws["flip_reshuffles"])
        return self._new_game(draws["deck"], lambda deck, dcol: _flipped(deck, dcol, flips), draws["flip_color"], params)

    def reset(self, key, params=None):
        """`reset_det(sample_reset_draws(key))`, the same numbers, with the flip permutations (a wild_draw_4 flipped
        first: 4 resets in 94) sorted, under `vmap`, only for the resets that flip one."""
        params = self.default_params if params is None else params
        k_deck, k_flip, k_colour = jax_random.split(key, 3)

        def flip(deck, dcol):
            return where_done(deck[FIRST] % N_TRAITS == WILD_DRAW_4, _flipped_from_key, (deck, dcol), deck, dcol,
                              k_flip, capacity=_rare)

        return self._new_game(jax_random.packed_permutation(k_deck, SLOTS), flip, randint(k_colour, (), 0, 4), params)

    def _new_game(self, order, flip, flip_color, params):
        """A new game from the deck's permutation, `flip(deck, dcol)` (the first card's reshuffles) and the colour of
        a wild flipped first."""
        deck = jnp.asarray(INITIAL)[jnp.asarray(order)].astype(I8)
        dcol = deck // N_TRAITS
        # seven cards each, popped from the end: player 0 first
        hands = jnp.stack([deck[SLOTS - 1 - i - jnp.arange(SLOTS)] for i in (0, HAND_SIZE)])
        dealt = IDX < HAND_SIZE
        hands = jnp.where(dealt[None, :], hands, PAD)
        hand_colors = jnp.where(hands >= 0, hands // N_TRAITS, PAD)
        dc = FIRST + 1
        deck = jnp.where(IDX < dc, deck, PAD)
        dcol = jnp.where(IDX < dc, dcol, PAD)
        deck, dcol = flip(deck, dcol)
        top = deck[dc - 1]
        trait = top % N_TRAITS
        colour = jnp.where(trait == WILD, jnp.asarray(flip_color, I8), dcol[dc - 1])
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
        a = _legal_action(s, action)
        # A reshuffle needs a deck of at most MAY_RESHUFFLE cards: the step of such a state (under `vmap` only its
        # lanes, a few) goes the whole way, every other the short one, which never reshuffles.
        return where_done(s.deck_count <= MAY_RESHUFFLE, _play_reshuffling, _play(s, a, draws["draw_color"]),
                          s, a, draws, capacity=_rare)

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
