"""Brinewatch in JAX: the reference `envs.spec_games.brinewatch.reference.BrinewatchEnv`, translated rule for rule.

Every state field is an int32 array of the reference's shape. The rules mirror the reference's own formulas (counts of
nonzero entries, not positions of the last one), so the two agree on any state in the metadata's bounds, packed or
not. Randomness: two permutations at reset (`deck0`, `deck1`), and per step up to six `index` uniforms (`gull_hits`),
one per Gull Swarm hit with k >= 2 targets, taken in order and mapped to `integers(0, k)` by `uniform_index`.
Truncation is the game's own (after player 1's turn 18), so `step_env_det` is overridden: no step counter.

Written for `vmap` on the CPU, where a `lax.cond` or `lax.switch` on a per-environment value computes every branch
and selects the whole state: a PLAY or ATTACK is one pass of updates masked by the action's kind and the card's id
(`_act`), and the reset writes out its draws (BASE_DECK[i] is i // 2 + 1) instead of indexing a deck and drawing.
The scripted opponent's turn, which only END_TURN starts, goes through `envs.jax_batching.where_done` (`_advance`):
under `vmap` it runs only for the environments that ended their turn, gathered, and its long turns in a second gather.
Inside a step the rules act on each player's rows (`Side`), not on the (2, n) fields: an update of one player's row is
then elementwise, where `field.at[p].set` rewrote the whole field; the opponent's choice (section 9) takes one
reduction per question (the lowest slot of each spell at once, an argmax decoded from one max), not two per argmax.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct
from jax import lax

from envs import jax_random
from envs.jax_batching import where_done
from envs.jax_env import JaxEnv, float_dtype, uniform_index
from envs.spaces import Box, Discrete

I32 = jnp.int32
COST = jnp.array([0, 1, 2, 3, 5, 2, 2, 3, 2], I32)
ATTACK = jnp.array([0, 1, 3, 2, 5, 0, 0, 0, 0], I32)
HEALTH = jnp.array([0, 2, 1, 4, 5, 0, 0, 0, 0], I32)
TABLE = jnp.stack([COST, ATTACK, HEALTH])  # a card's three entries from one one-hot pick
KELP, EEL, SHELL, HARPOON, CHART, SURGE, GULLS = 1, 2, 3, 5, 6, 7, 8
N_ACTIONS, MAX_TURNS, GULL_DRAWS = 27, 18, 6
# Player 1's actions computed for every environment that ended its turn; the rest of a longer turn in a second gather.
OPENING_ACTIONS = 3


@struct.dataclass
class State:
    deck: jax.Array
    deck_pos: jax.Array
    hand: jax.Array
    board_card: jax.Array
    board_atk: jax.Array
    board_hp: jax.Array
    board_ready: jax.Array
    keeper_hp: jax.Array
    tide: jax.Array
    max_tide: jax.Array
    fatigue: jax.Array
    turn: jax.Array


@struct.dataclass
class Params:
    max_steps_in_episode: int = 1000


def _count(row):
    return jnp.sum(row != 0, axis=-1).astype(I32)


def _cumsum(x):
    """jnp.cumsum(x, axis=-1) of a short last axis, as a masked sum (XLA's CPU reduce-window is a slow loop)."""
    n = x.shape[-1]
    upto = jnp.arange(n)[:, None] <= jnp.arange(n)[None, :]  # [from, to]
    return jnp.sum(jnp.where(upto, x[..., :, None], 0), axis=-2).astype(I32)


def _argmax(x):
    """jnp.argmax over the last axis (the first of equal maxima), from two plain reductions (no variadic reduce)."""
    n = x.shape[-1]
    return jnp.min(jnp.where(x == jnp.max(x, axis=-1, keepdims=True), jnp.arange(n), n), axis=-1).astype(I32)


def _argmin(x):
    """jnp.argmin over the last axis (the first of equal minima), as `_argmax`."""
    n = x.shape[-1]
    return jnp.min(jnp.where(x == jnp.min(x, axis=-1, keepdims=True), jnp.arange(n), n), axis=-1).astype(I32)


def _pick(row, i):
    """row[..., i] for an integer array i already inside the last axis (shape (), or (k,) for k entries), as a one-hot
    select and sum.

    Under vmap every per-environment index would be a gather (and every indexed update a scatter); on the CPU these
    cost several times as much as the elementwise form, which fuses with the rest of the step.
    """
    hit = jnp.arange(row.shape[-1]) == jnp.asarray(i)[..., None]
    if row.dtype == jnp.bool_:
        return jnp.any(hit & row, axis=-1)
    return jnp.sum(jnp.where(hit, row, jnp.zeros((), row.dtype)), axis=-1).astype(row.dtype)


@struct.dataclass
class Side:
    """One player's rows of a `State`. The rules act on the acting player's rows and the enemy's: written on rows, an
    update is elementwise, where `State.field.at[p].set(...)` rewrote the whole (2, n) field (a fusion each, under vmap)."""

    deck: jax.Array
    deck_pos: jax.Array
    hand: jax.Array
    card: jax.Array
    atk: jax.Array
    hp: jax.Array
    ready: jax.Array
    keeper: jax.Array
    tide: jax.Array
    max_tide: jax.Array
    fatigue: jax.Array


def _sides(s: State):
    """(player 0's Side, player 1's Side) of `s`."""
    return tuple(Side(deck=s.deck[p], deck_pos=s.deck_pos[p], hand=s.hand[p], card=s.board_card[p],
                      atk=s.board_atk[p], hp=s.board_hp[p], ready=s.board_ready[p], keeper=s.keeper_hp[p],
                      tide=s.tide[p], max_tide=s.max_tide[p], fatigue=s.fatigue[p]) for p in (0, 1))


def _state(p0: Side, p1: Side, turn) -> State:
    """The `State` of two Sides and the turn."""
    both = lambda name: jnp.stack([getattr(p0, name), getattr(p1, name)])  # noqa: E731
    return State(deck=both("deck"), deck_pos=both("deck_pos"), hand=both("hand"), board_card=both("card"),
                 board_atk=both("atk"), board_hp=both("hp"), board_ready=both("ready"), keeper_hp=both("keeper"),
                 tide=both("tide"), max_tide=both("max_tide"), fatigue=both("fatigue"), turn=turn)


def _draw(me: Side, on=True) -> Side:
    """R-7.1 (only where `on`)."""
    empty = me.deck_pos >= 16
    fatigue = me.fatigue + 1
    card = _pick(me.deck, jnp.clip(me.deck_pos, 0, 15))
    n = _count(me.hand)
    take, tire = ~empty & on, empty & on
    return me.replace(fatigue=jnp.where(tire, fatigue, me.fatigue), keeper=me.keeper - jnp.where(tire, fatigue, 0),
                      deck_pos=me.deck_pos + take.astype(I32),
                      hand=jnp.where((jnp.arange(6) == n) & take, card, me.hand))


def _start_turn(me: Side) -> Side:
    """R-7.2."""
    max_tide = jnp.minimum(me.max_tide + 1, 6)
    me = me.replace(max_tide=max_tide, tide=max_tide, ready=jnp.where(jnp.arange(4) < _count(me.card), 1, me.ready))
    return _draw(me)


def _targets(them: Side):
    """R-5.2: valid attack targets against the enemy `them`, as 5 booleans (enemy slots 0-3, keeper)."""
    guard = them.card == SHELL
    occupied = jnp.arange(4) < _count(them.card)
    return jnp.where(guard.any(), jnp.append(guard, False), jnp.append(occupied, True))


def legal_actions(me: Side, them: Side):
    """R-5.2 for the player whose rows are `me`: 27 booleans."""
    cards = me.hand
    unit = (cards >= 1) & (cards <= 4)
    play = (jnp.arange(6) < _count(cards)) & (_pick(COST, cards) <= me.tide) & (~unit | (_count(me.card) < 4))
    attacker = (jnp.arange(4) < _count(me.card)) & (me.ready == 1)
    attack = (attacker[:, None] & _targets(them)[None, :]).reshape(20)
    return jnp.concatenate([jnp.array([True]), play, attack])


def _gull_swarm(them: Side, u, used, on):
    """R-7.4 (only where `on`): three hits on the enemy `them`; a draw (the next `index` uniform) only when k >= 2."""
    for _ in range(3):
        live = (them.card != 0) & (them.hp > 0)
        before = _cumsum(live)
        n = before[3]  # the live units
        k = n + 1
        t = jnp.where(k >= 2, uniform_index(_pick(u, jnp.minimum(used, GULL_DRAWS - 1)), 0, k), 0).astype(I32)
        used = used + ((k >= 2) & on).astype(I32)
        chosen = live & (before - 1 == t) & on
        them = them.replace(hp=them.hp - chosen.astype(I32), keeper=them.keeper - ((t >= n) & on).astype(I32))
    return them, used


def _act(me: Side, them: Side, a, u, used):
    """A PLAY (R-7.3 and the card effects) or an ATTACK (R-7.5) by `me` against `them`, a in 1-26, as one pass of
    masked updates: under vmap a `lax.cond` or `lax.switch` computes every branch in full and then selects the whole
    state."""
    is_play = a <= 6
    slot = jnp.clip(a - 1, 0, 5)
    card = jnp.where(is_play, _pick(me.hand, slot), 0)  # 0: no card, no effect
    idx = jnp.arange(6)
    shifted = jnp.where(idx < slot, me.hand, jnp.append(me.hand[1:], 0))
    unit = (card >= 1) & (card <= 4)
    at = (jnp.arange(4) == _count(me.card)) & unit
    cost, attack, health = _pick(TABLE, card)
    heal = jnp.where(card == KELP, jnp.minimum(20, me.keeper + 2) - me.keeper, 0)
    harpoon = (card == HARPOON).astype(I32)
    me = me.replace(tide=me.tide - cost, hand=jnp.where(is_play, shifted, me.hand),
                    card=jnp.where(at, card, me.card), atk=jnp.where(at, attack, me.atk),
                    hp=jnp.where(at, health, me.hp), ready=jnp.where(at, (card == EEL).astype(I32), me.ready),
                    keeper=me.keeper + heal - harpoon)
    them = them.replace(keeper=them.keeper - 3 * harpoon,
                        hp=them.hp - jnp.where((card == SURGE) & (them.card != 0), 2, 0))
    for _ in range(3):
        me = _draw(me, card == CHART)
    them, used = _gull_swarm(them, u, used, card == GULLS)
    # ATTACK: attacker slot i (0-3) hits target j (enemy slot 0-3, or 4: the keeper); a unit hit strikes back.
    i, j = jnp.clip((a - 7) // 5, 0, 3), (a - 7) % 5
    slots = jnp.arange(4)
    at_i, at_j = (slots == i) & ~is_play, (slots == j) & ~is_play  # j == 4 (the keeper) is no slot
    hit = _pick(me.atk, i)
    back = _pick(them.atk, jnp.minimum(j, 3))
    keeper = (j == 4) & ~is_play
    them = them.replace(keeper=them.keeper - jnp.where(keeper, hit, 0), hp=them.hp - jnp.where(at_j, hit, 0))
    me = me.replace(hp=me.hp - jnp.where(at_i & (j != 4), back, 0), ready=jnp.where(at_i, 0, me.ready))
    return me, them, used


def _remove_defeated(p0: Side, p1: Side):
    """R-7.6 on both boards: survivors packed left in order.

    Packed by a one-hot scatter (survivor i goes to slot "survivors before it"), elementwise over 4 x 4 slots, both
    boards' four rows in one sum: a stable argsort computes the same order but costs several times more under vmap on
    the CPU.
    """
    card, hp = jnp.stack([p0.card, p1.card]), jnp.stack([p0.hp, p1.hp])
    keep = (card != 0) & (hp > 0)
    move = keep[:, :, None] & ((_cumsum(keep) - 1)[:, :, None] == jnp.arange(4))  # [player, from, to]
    rows = jnp.stack([card, jnp.stack([p0.atk, p1.atk]), hp, jnp.stack([p0.ready, p1.ready])], axis=1)  # [player, row, slot]
    packed = jnp.sum(jnp.where(move[:, None], rows[:, :, :, None], 0), axis=2).astype(I32)
    return tuple(side.replace(card=packed[p, 0], atk=packed[p, 1], hp=packed[p, 2], ready=packed[p, 3])
                 for p, side in enumerate((p0, p1)))


def _over(p0: Side, p1: Side):
    return (p0.keeper <= 0) | (p1.keeper <= 0)


def _resolve(me: Side, them: Side, a, u, used):
    """A PLAY or ATTACK by `me`, then R-7.6 on both boards."""
    me, them, used = _act(me, them, a, u, used)
    me, them = _remove_defeated(me, them)
    return me, them, used


def _lowest(flags, code):
    """(whether any of `flags` holds, the lowest slot where it does) from one reduction: `code` is 8 * key - slot,
    compared by its maximum, whose slot is -code mod 8 (slots 0-5; keys may be negative)."""
    best = jnp.max(jnp.where(flags, code, -(1 << 20)), axis=-1)
    return best > -(1 << 20), (-best) & 7


def _opponent_target(me: Side, them: Side, i):
    """Section 9, O7a-d: player 1 (`me`) attacks with slot i; `them` is player 0."""
    a, h = _pick(jnp.stack([me.atk, me.hp]), i)
    slots = jnp.arange(4)
    guard, weakest_guard = _lowest(them.card == SHELL, -8 * them.hp - slots)  # lowest health, then lowest slot
    trades = (slots < _count(them.card)) & (them.hp <= a) & (them.atk < h)
    trade, best_trade = _lowest(trades, 8 * them.atk - slots)  # highest attack, then lowest slot
    return jnp.where(guard, weakest_guard, jnp.where((them.keeper <= a) | ~trade, 4, best_trade)).astype(I32)


def _opponent_action(me: Side, them: Side):
    """Section 9: the first of O1-O8 that applies, for player 1 (`me`) against player 0 (`them`)."""
    tide, cards, slots = me.tide, me.hand, jnp.arange(6)
    n_hand, n_own, n_enemy = _count(cards), _count(me.card), _count(them.card)
    in_hand = slots < n_hand
    # O1/O6, O2, O4, O5: the lowest slot holding a Harpoon, a Surge, a Chart, a Gull Swarm (6: none), in one reduction
    spells = jnp.array([HARPOON, SURGE, CHART, GULLS], I32)
    where_spell = jnp.min(jnp.where(in_hand & (cards == spells[:, None]), slots, 6), axis=-1)
    harpoon, surge, chart, gulls = where_spell
    ok_harpoon, ok_surge, ok_chart, ok_gulls = (where_spell < 6) & (COST[spells] <= tide)
    # O3: the most expensive affordable unit (ids 1-4 cost their id, the Kraken 5), then the lowest slot
    cost = jnp.where(cards == 4, 5, cards)
    unit, best_unit = _lowest(in_hand & (cards >= 1) & (cards <= 4) & (cost <= tide), 8 * cost - slots)
    ready = (jnp.arange(4) < n_own) & (me.ready == 1)
    i = jnp.min(jnp.where(ready, jnp.arange(4), 4)).astype(I32)
    action = jnp.where(i < 4, 7 + 5 * i + _opponent_target(me, them, jnp.minimum(i, 3)), 0)  # O7, else O8
    for ok, a in ((ok_harpoon & (me.keeper >= 6), harpoon), (ok_gulls & (n_enemy >= 1), gulls),  # O6, O5
                  (ok_chart & (n_hand <= 4), chart), ((n_own < 4) & unit, best_unit),  # O4, O3
                  (ok_surge & (n_enemy >= 2), surge), (ok_harpoon & (them.keeper <= 3), harpoon)):  # O2, O1
        action = jnp.where(ok, 1 + a, action)  # the earlier rule, tested later, wins
    return action.astype(I32)


def _opponent_loop(p0: Side, p1: Side, b, used, u, limit=None):
    """Section 9 and R-8.2 step 3 on Sides: player 1 acts while it has an action (not END_TURN) and no keeper is down,
    at most `limit` actions; `b` is its next action, decided at the end of an iteration, so the loop stops without a
    last iteration that only finds END_TURN."""

    def going(c):
        p0, p1, b, _, n = c
        ok = (b != 0) & ~_over(p0, p1)
        return ok if limit is None else ok & (n < limit)

    def act(c):
        p0, p1, b, used, n = c
        p1, p0, used = _resolve(p1, p0, b, u, used)
        return p0, p1, _opponent_action(p1, p0), used, n + 1

    p0, p1, b, used, _ = lax.while_loop(going, act, (p0, p1, b, used, jnp.asarray(0, I32)))
    return p0, p1, b, used


def _opponent_actions(carry, u, limit=None):
    """`_opponent_loop` on the carry (state, player 1's next action, the Gull Swarm uniforms used)."""
    s, b, used = carry
    p0, p1, b, used = _opponent_loop(*_sides(s), b, used, u, limit)
    return _state(p0, p1, s.turn), b, used


def _opponent_begins(s: State, u):
    """Player 1's start of turn and its first `OPENING_ACTIONS` actions: the carry of `_opponent_actions`."""
    p0, p1 = _sides(s)
    p1 = _start_turn(p1)
    p0, p1, b, used = _opponent_loop(p0, p1, _opponent_action(p1, p0), jnp.asarray(0, I32), u, OPENING_ACTIONS)
    return _state(p0, p1, s.turn + 1), b, used


def _finish_turn(s: State):
    """R-8.2 after player 1's turn: truncation after turn 18, else player 0's next start of turn."""
    p0, p1 = _sides(s)
    over = _over(p0, p1)
    truncated = ~over & (s.turn == MAX_TURNS)
    stay = over | truncated
    p0 = jax.tree.map(lambda x, y: jnp.where(stay, x, y), p0, _start_turn(p0))
    return _state(p0, p1, jnp.where(stay, s.turn, s.turn + 1)), truncated


def _end_turn(s: State, u):
    """R-8.2 step 3 unbatched (the rules' own order): player 1's whole turn, then player 0's next start of turn (or
    truncation). `_advance` computes the same in three parts, through `where_done`, for `vmap`."""
    s, _, _ = _opponent_actions(_opponent_begins(s, u), u)
    return _finish_turn(s)


def _permutation16(key):
    """`jax_random.permutation(key, 16)` exactly (the stable argsort of 16 random words), without a sort.

    Word i's rank is the number of words below it plus the equal ones before it (a stable sort's position); the
    permutation is that rank's inverse. 256 comparisons fuse into the step; XLA's CPU sort, which every step runs
    twice for the auto-reset's decks, is a slow loop per row.
    """
    w = jax_random.bits(key, (16,))
    i = jnp.arange(16)
    before = (w[None, :] < w[:, None]) | ((w[None, :] == w[:, None]) & (i[None, :] < i[:, None]))  # [i, j]: j before i
    rank = jnp.sum(before, axis=1).astype(I32)
    return jnp.sum(jnp.where(rank[None, :] == i[:, None], i[None, :], 0), axis=1).astype(I32)


class Brinewatch(JaxEnv):
    """gymnax-style Brinewatch (player 0 against the scripted player 1), with its legal-action mask."""

    name = "brinewatch"
    has_action_mask = True

    @property
    def default_params(self) -> Params:
        return Params()

    def sample_reset_draws(self, key, params):
        k0, k1 = jax_random.split(key)
        return {"deck0": _permutation16(k0), "deck1": _permutation16(k1)}

    def sample_step_draws(self, key, state, params):
        return {"gull_hits": jax_random.uniform(key, (GULL_DRAWS,))}

    def reset_det(self, draws, params):
        """R-8.1 from the two permutations, its draws written out: BASE_DECK[i] is i // 2 + 1; from full decks into
        empty hands, player 0 draws 3 and 1 more at the start of its turn (tide 1), player 1 draws 3."""
        deck = jnp.stack([jnp.asarray(draws["deck0"], I32), jnp.asarray(draws["deck1"], I32)]) // 2 + 1
        hand = jnp.where(jnp.arange(6)[None, :] < jnp.array([4, 3])[:, None], deck[:, :6], 0)
        z2, z4 = jnp.zeros((2,), I32), jnp.zeros((2, 4), I32)
        s = State(deck=deck, deck_pos=jnp.array([4, 3], I32), hand=hand, board_card=z4, board_atk=z4, board_hp=z4,
                  board_ready=z4, keeper_hp=jnp.full((2,), 20, I32), tide=jnp.array([1, 0], I32),
                  max_tide=jnp.array([1, 0], I32), fatigue=z2, turn=jnp.asarray(1, I32))
        return self.get_obs(s, params), s

    def _advance(self, s: State, action, u):
        """R-8.2: (state, reward, terminated, truncated).

        Player 1's turn (`_end_turn`) costs about ten times an action of player 0 and follows only END_TURN; under
        `vmap` a `lax.cond` would compute it for every environment. `where_done` computes it only for the
        environments that ended their turn (gathered), and its few long turns (more than `OPENING_ACTIONS` actions)
        are finished in a second, smaller gather; the result is `_end_turn`'s, element for element.
        """
        a = jnp.asarray(action).astype(I32)
        p0, p1 = _sides(s)
        legal = (a >= 0) & (a < N_ACTIONS) & _pick(legal_actions(p0, p1), jnp.clip(a, 0, N_ACTIONS - 1))
        a = jnp.where(legal, a, 0)
        ends = a == 0
        p0, p1, _ = _resolve(p0, p1, a, u, jnp.asarray(0, I32))  # discarded where the turn ends
        no_turn = (_state(p0, p1, s.turn), jnp.asarray(0, I32), jnp.asarray(0, I32))  # next: END_TURN, nothing left
        carry = where_done(ends, _opponent_begins, no_turn, s, u)
        long_turn = (carry[1] != 0) & ~_over(*_sides(carry[0]))
        opp, _, _ = where_done(long_turn, _opponent_actions, carry, carry, u)
        finished, truncated = _finish_turn(opp)
        s = jax.tree.map(lambda x, y: jnp.where(ends, x, y), finished, opp)
        d0, d1 = s.keeper_hp[0] <= 0, s.keeper_hp[1] <= 0
        reward = jnp.where(d0 & d1, 0.0, jnp.where(d1, 1.0, jnp.where(d0, -1.0, 0.0))).astype(float_dtype())
        return s, reward, d0 | d1, ends & truncated

    def transition(self, state, action, draws, params):
        s, reward, terminated, _ = self._advance(state, action, draws["gull_hits"])
        return s, reward, terminated

    def step_env_det(self, state, action, draws, params=None):
        """One step without auto-reset; truncation is the game's (turn 18), not a step count."""
        params = self.default_params if params is None else params
        s, reward, terminated, truncated = self._advance(state, action, draws["step"]["gull_hits"])
        return self.get_obs(s, params), s, reward, terminated, truncated

    def get_obs(self, s: State, params=None):
        """Section 6: 50 int8 entries, player 0's view."""
        head = jnp.stack([s.keeper_hp[0], s.keeper_hp[1], s.tide[0], s.max_tide[0], s.max_tide[1], _count(s.hand[0]),
                          _count(s.hand[1]), 16 - s.deck_pos[0], 16 - s.deck_pos[1], s.fatigue[0], s.fatigue[1], s.turn])
        boards = jnp.stack([s.board_card, s.board_atk, s.board_hp, s.board_ready], axis=-1).reshape(2, 16)
        return jnp.concatenate([head.astype(I32), s.hand[0], boards[0], boards[1]]).astype(jnp.int8)

    def action_mask(self, state, params=None):
        """R-5.4: player 0's legal actions; END_TURN only in a final state (a keeper down, or turn even)."""
        p0, p1 = _sides(state)
        final = _over(p0, p1) | (state.turn % 2 == 0)
        return jnp.where(final, jnp.arange(N_ACTIONS) == 0, legal_actions(p0, p1))

    def action_space(self, params=None):
        return Discrete(N_ACTIONS)

    def observation_space(self, params=None):
        return Box(-128, 127, (50,), jnp.int8)
