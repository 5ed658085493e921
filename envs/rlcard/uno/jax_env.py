"""UNO in JAX: RLCard's `UnoEnv` (2 players, 108 cards, 61 actions) under the turn-based contract.

Cards are RLCard's printed ids (colour * 15 + trait, traits 0-9 numbers, 10 skip, 11 reverse, 12 draw_2, 13 wild,
14 wild_draw_4) with a separate current colour (a wild's chosen one). The deck (dealt from its end) and the played
pile (top last) are 108-slot arrays in RLCard's list order, padded with -1, with their counts. A hand is its id
counts, `hand_cards` (60 per player), with `hand_wilds`, per player and wild trait (wild, wild_draw_4) the printed
colours of those cards in hand order, a queue: RLCard plays the first wild of a trait in its hand (the queue's head)
and a dealt card joins the hand's end (envs/rlcard/uno/reference.py says why nothing else of a hand's order is state).

Randomness, in RLCard's order: at reset the deck's permutation, up to four reshuffles of the 94 remaining cards while
the first card flipped is a wild_draw_4, and the colour of a wild flipped first; in a step up to two shuffles of the
deck with the played pile on top (ranked uniforms, `jax_random.ranked_permutation`) and the colour of a drawn wild.
An action id that is not legal is read as the (id mod c)-th of the c legal ids (RLCard itself refuses it).

Speed. The observation and the mask read the player's `hand_cards` row as it is. A step plays a card by
decrementing its count (a wild also pops its trait's queue: the head's printed colour names the card that goes on
the pile), keeps a drawn card by incrementing one, and deals up to four cards as four scalar reads of the deck's end,
each a one-hot increment (a wild also appended to its queue). Every permutation is one sort of packed integer keys
(`jax_random.packed_*`). What happens in few lanes is computed, under `vmap`, only for those lanes
(`jax_batching.where_done`): a state whose deck holds at most `MAY_RESHUFFLE` cards takes the whole step (both
reshuffles, their ranked uniforms drawn only for such a state), every other the short one, which cannot reshuffle;
an action's legality read from the hand's counts without making the mask, and the (id mod c)-th legal id
only for an illegal id; the key-driven `step` makes the step's draws and splits their
keys only in the lanes that read them (the reshuffling step's, a drawn wild's colour, the auto-reset's); the
key-driven `reset` sorts the flip permutations only for a game whose first card is a wild_draw_4 (`reset_det`
applies the drawn ones); the lazy auto-reset gathers the ending games into one lane in 32 first (`reset_capacity`).
Every integer state field is int8.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from envs import jax_random
from envs.jax_batching import traced_leaves, where_done
from envs.jax_env import float_dtype, randint
from envs.spaces import Box, Discrete
from envs.turn_based import TurnBasedJaxEnv

I32 = jnp.int32
I8 = jnp.int8  # every integer state field in one byte: cards -1..59, colours, counts <= 108, players, the direction
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
QUEUE = 4  # a hand holds at most the 4 wild cards of a trait


def _rare(batch: int):
    """`where_done`'s capacities for an event few lanes meet in a step: a deck of at most `MAY_RESHUFFLE` cards
    (about 2 steps in 1,000 under random legal play: at batch 2,048 a mean of 4 lanes, more than 8 about once in 50),
    a wild_draw_4 flipped first at reset."""
    return max(1, batch // 256), max(1, batch // 64), max(1, batch // 8), max(1, batch // 2)


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
IDS = np.arange(N_IDS)
ID_TRAIT, ID_COLOUR = IDS % N_TRAITS, IDS // N_TRAITS
SLOT4 = np.arange(QUEUE)


@struct.dataclass
class State:
    deck: jax.Array
    deck_colors: jax.Array
    deck_count: jax.Array
    hand_cards: jax.Array
    hand_wilds: jax.Array
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


def _row(pair, p):
    """pair[p] for a (2, ...) array and a player 0/1 (a select, not a gather)."""
    return jnp.where(p == 0, pair[0], pair[1])


def _pair(p, mine, other):
    """The (2, ...) array whose row `p` is `mine` and whose other row is `other` (a select)."""
    first = (jnp.arange(2) == p).reshape((2,) + (1,) * jnp.ndim(mine))
    return jnp.where(first, mine[None], other[None])


def _where(cond, new, old):
    """`jnp.where(cond, new, old)` leaf by leaf."""
    return jax.tree.map(lambda x, y: jnp.where(cond, x, y), new, old)


def _playable(counts, target, target_color):
    """A hand's cards RLCard may play besides a wild (round.get_legal_actions): per id, held and matching the target's
    colour or (under a non-wild target) its trait; and whether the hand holds a wild, a wild_draw_4."""
    held = counts > 0
    target_trait = target % N_TRAITS
    matches = (ID_TRAIT < WILD) & ((ID_COLOUR == target_color) | ((target_trait < WILD) & (ID_TRAIT == target_trait)))
    return held & matches, jnp.any(held & (ID_TRAIT == WILD)), jnp.any(held & (ID_TRAIT == WILD_DRAW_4))


def _legal(counts, target, target_color):
    """RLCard's legal actions (round.get_legal_actions) as a mask over the 61 ids, from a hand's id counts."""
    playable, any_wild, any_wd4 = _playable(counts, target, target_color)
    legal = playable | (any_wild & (ID_TRAIT == WILD))
    legal = legal | (~jnp.any(legal) & any_wd4 & (ID_TRAIT == WILD_DRAW_4))
    return jnp.concatenate([legal, ~jnp.any(legal)[None]])


def _is_legal(counts, target, target_color, a):
    """Whether id `a` (0..60) is in `_legal`'s mask, without making the mask."""
    playable, any_wild, any_wd4 = _playable(counts, target, target_color)
    any_other = jnp.any(playable) | any_wild
    a_trait = a % N_TRAITS
    return jnp.where(a == DRAW, ~any_other & ~any_wd4,
                     jnp.where(a_trait == WILD, any_wild,
                               jnp.where(a_trait == WILD_DRAW_4, ~any_other & any_wd4, _at(playable, jnp.minimum(a, DRAW - 1)))))


def _kth_legal(counts, target, target_color, action):
    """The (action mod c)-th of the c legal ids (the port's rule for an illegal id)."""
    mask = _legal(counts, target, target_color)
    return jnp.argmax(jnp.cumsum(mask) > jnp.mod(action, jnp.sum(mask))).astype(I32)


def _played_id(counts, target, target_color, action):
    """The id played: `action` where legal, else the (action mod c)-th legal id (under `vmap` the mask is made only
    in the lanes whose id is not legal)."""
    action = jnp.asarray(action, I32)
    legal = (action >= 0) & (action <= DRAW) & _is_legal(counts, target, target_color, jnp.clip(action, 0, DRAW))
    return where_done(~legal, _kth_legal, action, counts, target, target_color, action, capacity=_rare)


def _dealt(cards, wilds, dealt, k):
    """A hand's `hand_cards` and `hand_wilds` rows after the cards `dealt[j]` for j < k joined it, in that order."""
    lengths = jnp.sum(wilds >= 0, axis=-1)
    for j, card in enumerate(dealt):
        joins = j < k
        cards = cards + ((IDS == card) & joins).astype(cards.dtype)
        queue = (card % N_TRAITS - WILD == jnp.arange(2)) & joins  # which wild trait's queue it joins, if any
        wilds = jnp.where(queue[:, None] & (SLOT4 == lengths[:, None]), (card // N_TRAITS).astype(wilds.dtype), wilds)
        lengths = lengths + queue
    return cards, wilds


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


def _step(s, a, draw_color, u, reshuffle):
    """The step's state, reward and end flag for a legal id `a`. `reshuffle` (static): the whole step, the played
    pile shuffled back into the deck when a draw finds it empty and when a draw-2 or wild_draw_4 finds fewer cards
    than it deals (RLCard's `replace_deck`, ranked uniforms `u`); without it the step of a deck of more than
    `MAY_RESHUFFLE` cards, which never reshuffles."""
    p, d = s.current_player, s.direction
    victim = (p + d) % 2  # two players: the other one
    is_draw = a == DRAW
    piles = (s.deck, s.deck_colors, s.deck_count, s.played, s.played_colors, s.played_count)
    if reshuffle:
        first = is_draw & (s.deck_count == 0)  # a draw on an empty deck: the pile goes back first
        piles = _where(first, _reshuffled(piles, u[0]), piles)
    deck, dcol, dc, played, pcol, pc = piles

    cards, wilds, n = _row(s.hand_cards, p), _row(s.hand_wilds, p), _row(s.hand_counts, p)
    a_trait, a_colour = a % N_TRAITS, (a // N_TRAITS).astype(I8)
    wild_trait = a_trait - WILD  # 0 wild, 1 wild_draw_4, else none
    queue = (wild_trait == jnp.arange(2)) & ~is_draw
    head = jnp.sum(jnp.where(queue, wilds[:, 0], 0))  # the played wild's printed colour
    played_card = jnp.where(queue.any(), head * N_TRAITS + a_trait, a).astype(I8)
    drawn, drawn_colour = _at(deck, dc - 1), _at(dcol, dc - 1)
    card = jnp.where(is_draw, drawn, played_card)
    trait = card % N_TRAITS
    wild = trait >= WILD
    colour = jnp.where(is_draw, jnp.where(wild, jnp.asarray(draw_color, I8), drawn_colour),
                       jnp.where(queue.any(), a_colour, card // N_TRAITS)).astype(I8)
    kept = is_draw & ~wild & (colour != s.target_color)  # drawn, not playable: into the hand
    delta = kept.astype(I8) - (~is_draw).astype(I8)  # the card's count: +1 kept, -1 played
    cards = cards + jnp.where(IDS == card, delta, 0).astype(I8)
    wilds = jnp.where(queue[:, None], jnp.concatenate([wilds[:, 1:], jnp.full((2, 1), PAD, I8)], axis=1), wilds)
    n = n + delta
    won = ~is_draw & (n == 0)
    played, pcol = jnp.where((IDX == pc) & ~kept, card, played), jnp.where((IDX == pc) & ~kept, colour, pcol)
    pc = pc + (~kept).astype(I8)
    dc = dc - is_draw.astype(I8)  # the drawn card popped (its slot cleared below, with the dealt ones)

    # an action card's effect (RLCard's _preform_non_number_action)
    plain = kept | (trait <= NUMBER_MAX) | (is_draw & wild)  # the turn passes, no effect
    act = ~plain
    direction = jnp.where(act & (trait == REVERSE), -d, d)
    current = jnp.where(act & (trait == SKIP), (p + d) % 2, p)
    k = jnp.where(act & (trait == DRAW_2), 2, jnp.where(act & (trait == WILD_DRAW_4), 4, 0)).astype(I8)
    if reshuffle:
        deck = jnp.where(is_draw & (IDX == dc), PAD, deck)  # clear the popped slot before a reshuffle reads the deck
        dcol = jnp.where(is_draw & (IDX == dc), PAD, dcol)
        short = (k > 0) & (dc < k)
        piles = (deck, dcol, dc, played, pcol, pc)
        deck, dcol, dc, played, pcol, pc = _where(short, _reshuffled(piles, jnp.where(first, u[1], u[0])), piles)
        top = dc
    else:
        top = s.deck_count  # the slots from dc - k up to the deck's count before the draw are cleared at once
    dealt = [_at(deck, dc - 1 - j) for j in range(4)]
    gone = (IDX >= dc - k) & (IDX < top)
    deck, dcol = jnp.where(gone, PAD, deck), jnp.where(gone, PAD, dcol)
    vcards, vwilds = _dealt(_row(s.hand_cards, victim), _row(s.hand_wilds, victim), dealt, k)
    vn = _row(s.hand_counts, victim) + k
    current = jnp.where(k > 0, victim, current)
    current = jnp.where(plain, (p + d) % 2, (current + direction) % 2).astype(I8)

    is_over = s.is_over | won
    winner = jnp.where(won, p, s.winner).astype(I8)
    rewards = jnp.where(is_over, jnp.where(jnp.arange(2) == winner, 1.0, -1.0), 0.0).astype(float_dtype())
    state = State(
        deck=deck, deck_colors=dcol, deck_count=(dc - k).astype(I8),
        hand_cards=_pair(p, cards, vcards), hand_wilds=_pair(p, wilds, vwilds),
        hand_counts=_pair(p, n, vn).astype(I8), played=played, played_colors=pcol, played_count=pc.astype(I8),
        target=jnp.where(kept, s.target, card).astype(I8), target_color=jnp.where(kept, s.target_color, colour).astype(I8),
        current_player=current, direction=direction.astype(I8), is_over=is_over, winner=winner, rewards=rewards,
    )
    return state, rewards[p], is_over


def _play(s, a, draw_color):
    """`_step` from a state whose deck holds more than `MAY_RESHUFFLE` cards: no reshuffle."""
    return _step(s, a, draw_color, None, reshuffle=False)


def _play_reshuffling(s, a, draws):
    """`_step` for any state, with its reshuffles."""
    return _step(s, a, draws["draw_color"], jnp.asarray(draws["reshuffles"]), reshuffle=True)


def _step_keys(key):
    """The key-driven step's keys from its own (`JaxEnv.step`'s split, then `Uno.sample_step_draws`'): the
    reshuffles', the drawn wild's colour's, the auto-reset's."""
    k_step, k_reset = jax_random.split(key)
    k_shuffle, k_colour = jax_random.split(k_step)
    return k_shuffle, k_colour, k_reset


def _play_reshuffling_keyed(s, a, key):
    """`_play_reshuffling` with the step's draws made from the step's key, as `Uno.sample_step_draws` makes them."""
    k_shuffle, k_colour, _ = _step_keys(key)
    return _play_reshuffling(s, a, {"reshuffles": _reshuffle_uniforms(k_shuffle), "draw_color": _draw_colour(k_colour)})


def _draw_colour(key):
    """The colour of a drawn wild card."""
    return randint(key, (), 0, 4)


def _drawn_colour(key):
    """`_draw_colour` from the step's key."""
    return _draw_colour(_step_keys(key)[1])


def _some(batch: int):
    """`where_done`'s capacities for an event a few lanes in a hundred meet in a step: a wild card drawn."""
    return max(1, batch // 32), max(1, batch // 8), max(1, batch // 2)


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
        return {"reshuffles": u, "draw_color": _draw_colour(k_colour)}

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
        empty = (jnp.zeros((N_IDS,), I8), jnp.full((2, QUEUE), PAD, I8))
        hands = [_dealt(*empty, [deck[SLOTS - 1 - i - j] for j in range(HAND_SIZE)], HAND_SIZE) for i in (0, HAND_SIZE)]
        dc = FIRST + 1
        deck = jnp.where(IDX < dc, deck, PAD)
        dcol = jnp.where(IDX < dc, dcol, PAD)
        deck, dcol = flip(deck, dcol)
        top = deck[dc - 1]
        trait = top % N_TRAITS
        colour = jnp.where(trait == WILD, jnp.asarray(flip_color, I8), dcol[dc - 1])
        dc -= 1
        played = jnp.full((SLOTS,), PAD, I8).at[0].set(top)
        pcol = jnp.full((SLOTS,), PAD, I8).at[0].set(colour)
        # the first card acts: skip passes the turn, reverse turns the direction, draw_2 makes player 0 draw two
        current = jnp.where((trait == SKIP) | (trait == REVERSE), 1, 0).astype(I8)
        direction = jnp.where(trait == REVERSE, -1, 1).astype(I8)
        k = jnp.where(trait == DRAW_2, 2, 0).astype(I8)
        c0, w0 = _dealt(*hands[0], [deck[dc - 1], deck[dc - 2]], k)
        gone = IDX >= dc - k
        deck, dcol = jnp.where(gone, PAD, deck), jnp.where(gone, PAD, dcol)
        state = State(
            deck=deck, deck_colors=dcol, deck_count=(dc - k).astype(I8),
            hand_cards=jnp.stack([c0, hands[1][0]]), hand_wilds=jnp.stack([w0, hands[1][1]]),
            hand_counts=jnp.stack([HAND_SIZE + k, jnp.asarray(HAND_SIZE, I8)]).astype(I8),
            played=played, played_colors=pcol, played_count=jnp.asarray(1, I8),
            target=top, target_color=colour, current_player=current, direction=direction,
            is_over=jnp.asarray(False), winner=jnp.asarray(PAD, I8), rewards=jnp.zeros(2, float_dtype()),
        )
        return self.get_obs(state, params), state

    # ----- the step -------------------------------------------------------------------------------------------------
    def action_mask(self, state, params=None):
        return _legal(_row(state.hand_cards, state.current_player), state.target, state.target_color)

    def transition(self, s, action, draws, params):
        a = _played_id(_row(s.hand_cards, s.current_player), s.target, s.target_color, action)
        # A reshuffle needs a deck of at most MAY_RESHUFFLE cards: the step of such a state (under `vmap` only its
        # lanes, a few) goes the whole way, every other the short one, which never reshuffles.
        return where_done(s.deck_count <= MAY_RESHUFFLE, _play_reshuffling, _play(s, a, draws["draw_color"]),
                          s, a, draws, capacity=_rare)

    def step(self, key, state, action, params=None):
        """The key-driven step: `step_det(state, action, sample_draws(key, state))`, the same numbers (`JaxEnv.step`'s
        split of `key`, its lazy auto-reset), with the step's draws made only where they are read: the ranked uniforms
        inside the reshuffling step's lanes, the colour of a drawn wild (under `vmap`) only in the lanes that draw one
        from a deck of more than `MAY_RESHUFFLE` cards. Drawn eagerly and passed along, both cost about a tenth of the
        step (the uniforms' zeros alone are 864 bytes a lane)."""
        params = self.default_params if params is None else params
        s = state
        a = _played_id(_row(s.hand_cards, s.current_player), s.target, s.target_color, action)
        # the keys are split from `key` inside each lazy computation: only its lanes hash them
        wild_drawn = (a == DRAW) & (_at(s.deck, s.deck_count - 1) % N_TRAITS >= WILD)
        colour = where_done(wild_drawn, _drawn_colour, jnp.zeros((), jnp.int32), key, capacity=_some)
        next_state, reward, terminated = where_done(s.deck_count <= MAY_RESHUFFLE, _play_reshuffling_keyed,
                                                    _play(s, a, colour), s, a, key, capacity=_rare)
        traced, rebuild = traced_leaves(params)

        def fresh(k, values):
            return self.reset(_step_keys(k)[2], rebuild(values))[1]

        state_out = where_done(terminated, fresh, next_state, key, traced, capacity=self.reset_capacity)
        return self._auto_reset_out(self.get_obs(next_state, params), next_state, state_out, reward, terminated,
                                    jnp.asarray(False), params)

    def step_env_det(self, state, action, draws, params=None):
        """One step without auto-reset; RLCard's UNO has no step limit, so no step counter."""
        params = self.default_params if params is None else params
        s, reward, terminated = self.transition(state, action, draws["step"], params)
        return self.get_obs(s, params), s, reward, terminated, jnp.asarray(False)

    # ----- observation ----------------------------------------------------------------------------------------------
    def observe(self, state, player, params=None):
        """RLCard's (4, 4, 15) planes for `player`: none / one / two of each card in the hand (a wild in every colour's
        row, as one), and the target's printed card."""
        counts = _row(state.hand_cards, player).reshape(4, N_TRAITS)
        has = jnp.any(counts > 0, axis=0)  # per trait, in any colour
        wild_col = jnp.arange(N_TRAITS) >= WILD
        one = jnp.where(wild_col, has, counts == 1)
        none = jnp.where(wild_col, ~has, counts == 0)
        two = jnp.where(wild_col, False, counts == 2)
        target = (IDS == state.target).reshape(4, N_TRAITS)
        return jnp.stack([none, one, two, target]).astype(float_dtype())

    def get_obs(self, state, params=None):
        return self.observe(state, state.current_player, params)
