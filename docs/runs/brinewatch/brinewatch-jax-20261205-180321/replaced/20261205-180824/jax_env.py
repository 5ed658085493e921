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
    return jnp.sum(row != 0).astype(I32)


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
    """row[i] for a 1-D row and an integer array i already inside it, as a one-hot select and sum.

    Under vmap every per-environment index would be a gather (and every indexed update a scatter); on the CPU these
    cost several times as much as the elementwise form, which fuses with the rest of the step.
    """
    hit = jnp.arange(row.shape[0]) == jnp.asarray(i)[..., None]
    if row.dtype == jnp.bool_:
        return jnp.any(hit & row, axis=-1)
    return jnp.sum(jnp.where(hit, row, jnp.zeros((), row.dtype)), axis=-1).astype(row.dtype)


def _draw(s: State, p: int, on=True) -> State:
    """R-7.1 (only where `on`)."""
    empty = s.deck_pos[p] >= 16
    fatigue = s.fatigue[p] + 1
    card = _pick(s.deck[p], jnp.clip(s.deck_pos[p], 0, 15))
    n = _count(s.hand[p])
    row = jnp.where((jnp.arange(6) == n) & (n < 6), card, s.hand[p])
    take, tire = ~empty & on, empty & on
    return s.replace(
        fatigue=s.fatigue.at[p].set(jnp.where(tire, fatigue, s.fatigue[p])),
        keeper_hp=s.keeper_hp.at[p].add(jnp.where(tire, -fatigue, 0)),
        deck_pos=s.deck_pos.at[p].add(take.astype(I32)),
        hand=s.hand.at[p].set(jnp.where(take, row, s.hand[p])),
    )


def _start_turn(s: State, p: int) -> State:
    """R-7.2."""
    max_tide = jnp.minimum(s.max_tide[p] + 1, 6)
    ready = jnp.where(jnp.arange(4) < _count(s.board_card[p]), 1, s.board_ready[p])
    s = s.replace(max_tide=s.max_tide.at[p].set(max_tide), tide=s.tide.at[p].set(max_tide),
                  board_ready=s.board_ready.at[p].set(ready))
    return _draw(s, p)


def _targets(s: State, p: int):
    """R-5.2: valid attack targets of player p, as 5 booleans (enemy slots 0-3, keeper)."""
    e = 1 - p
    guard = s.board_card[e] == SHELL
    occupied = jnp.arange(4) < _count(s.board_card[e])
    return jnp.where(guard.any(), jnp.append(guard, False), jnp.append(occupied, True))


def legal_actions(s: State, p: int):
    """R-5.2 for player p: 27 booleans."""
    cards = s.hand[p]
    unit = (cards >= 1) & (cards <= 4)
    play = (jnp.arange(6) < _count(cards)) & (_pick(COST, cards) <= s.tide[p]) & (~unit | (_count(s.board_card[p]) < 4))
    attacker = (jnp.arange(4) < _count(s.board_card[p])) & (s.board_ready[p] == 1)
    attack = (attacker[:, None] & _targets(s, p)[None, :]).reshape(20)
    return jnp.concatenate([jnp.array([True]), play, attack])


def _gull_swarm(s: State, p: int, u, used, on):
    """R-7.4 (only where `on`): three hits; a draw (the next `index` uniform) only when k >= 2."""
    e = 1 - p

    def hit(_, carry):
        s, used = carry
        live = (s.board_card[e] != 0) & (s.board_hp[e] > 0)
        n = jnp.sum(live).astype(I32)
        k = n + 1
        t = jnp.where(k >= 2, uniform_index(_pick(u, jnp.minimum(used, GULL_DRAWS - 1)), 0, k), 0).astype(I32)
        used = used + ((k >= 2) & on).astype(I32)
        chosen = live & (_cumsum(live) - 1 == t) & on
        s = s.replace(board_hp=s.board_hp.at[e].add(-chosen.astype(I32)),
                      keeper_hp=s.keeper_hp.at[e].add(((t >= n) & on).astype(I32) * -1))
        return s, used

    return lax.fori_loop(0, 3, hit, (s, used), unroll=True)


def _act(s: State, p: int, a, u, used):
    """A PLAY (R-7.3 and the card effects) or an ATTACK (R-7.5) of player p, a in 1-26, as one pass of masked updates:
    under vmap a `lax.cond` or `lax.switch` computes every branch in full and then selects the whole state."""
    e = 1 - p
    is_play = a <= 6
    slot = jnp.clip(a - 1, 0, 5)
    card = jnp.where(is_play, _pick(s.hand[p], slot), 0)  # 0: no card, no effect
    idx = jnp.arange(6)
    shifted = jnp.where(idx < slot, s.hand[p], jnp.where(idx < 5, s.hand[p, jnp.minimum(idx + 1, 5)], 0))
    unit = (card >= 1) & (card <= 4)
    at = (jnp.arange(4) == _count(s.board_card[p])) & unit
    s = s.replace(tide=s.tide.at[p].add(-_pick(COST, card)),
                  hand=s.hand.at[p].set(jnp.where(is_play, shifted, s.hand[p])),
                  board_card=s.board_card.at[p].set(jnp.where(at, card, s.board_card[p])),
                  board_atk=s.board_atk.at[p].set(jnp.where(at, _pick(ATTACK, card), s.board_atk[p])),
                  board_hp=s.board_hp.at[p].set(jnp.where(at, _pick(HEALTH, card), s.board_hp[p])),
                  board_ready=s.board_ready.at[p].set(jnp.where(at, (card == EEL).astype(I32), s.board_ready[p])))
    heal = jnp.where(card == KELP, jnp.minimum(20, s.keeper_hp[p] + 2) - s.keeper_hp[p], 0)
    harpoon = (card == HARPOON).astype(I32)
    s = s.replace(keeper_hp=s.keeper_hp.at[p].add(heal - harpoon).at[e].add(-3 * harpoon),
                  board_hp=s.board_hp.at[e].add(jnp.where((card == SURGE) & (s.board_card[e] != 0), -2, 0)))
    for _ in range(3):
        s = _draw(s, p, card == CHART)
    s, used = _gull_swarm(s, p, u, used, card == GULLS)
    # ATTACK: attacker slot i (0-3) hits target j (enemy slot 0-3, or 4: the keeper); a unit hit strikes back.
    i, j = jnp.clip((a - 7) // 5, 0, 3), (a - 7) % 5
    slots = jnp.arange(4)
    at_i, at_j = (slots == i) & ~is_play, (slots == j) & ~is_play  # j == 4 (the keeper) is no slot
    hit = _pick(s.board_atk[p], i)
    back = _pick(s.board_atk[e], jnp.minimum(j, 3))
    keeper = (j == 4) & ~is_play
    s = s.replace(keeper_hp=s.keeper_hp.at[e].add(jnp.where(keeper, -hit, 0)),
                  board_hp=s.board_hp.at[e].add(jnp.where(at_j, -hit, 0))
                                     .at[p].add(jnp.where(at_i & (j != 4), -back, 0)),
                  board_ready=s.board_ready.at[p].set(jnp.where(at_i, 0, s.board_ready[p])))
    return s, used


def _remove_defeated(s: State) -> State:
    """R-7.6: survivors packed left in order, on both boards.

    Packed by a one-hot scatter (survivor i goes to slot "survivors before it"), elementwise over 4 x 4 slots: a
    stable argsort computes the same order but costs several times more under vmap on the CPU.
    """
    keep = (s.board_card != 0) & (s.board_hp > 0)
    dest = _cumsum(keep) - 1
    move = keep[:, :, None] & (dest[:, :, None] == jnp.arange(4)[None, None, :])  # [player, from, to]

    def pack(field):
        return jnp.sum(jnp.where(move, field[:, :, None], 0), axis=1).astype(I32)

    return s.replace(board_card=pack(s.board_card), board_atk=pack(s.board_atk), board_hp=pack(s.board_hp),
                     board_ready=pack(s.board_ready))


def _over(s: State):
    return (s.keeper_hp[0] <= 0) | (s.keeper_hp[1] <= 0)


def _resolve(s: State, p: int, a, u, used):
    """A PLAY or ATTACK of player p, then R-7.6."""
    s, used = _act(s, p, a, u, used)
    return _remove_defeated(s), used


def _opponent_target(s: State, i):
    """Section 9, O7a-d."""
    a, h = _pick(s.board_atk[1], i), _pick(s.board_hp[1], i)
    slots = jnp.arange(4)
    guard = s.board_card[0] == SHELL
    weakest_guard = _argmin(jnp.where(guard, s.board_hp[0] * 8 + slots, 10_000))
    trades = (slots < _count(s.board_card[0])) & (s.board_hp[0] <= a) & (s.board_atk[0] < h)
    best_trade = _argmax(jnp.where(trades, s.board_atk[0] * 8 - slots, -10_000))
    return jnp.where(guard.any(), weakest_guard,
                     jnp.where(s.keeper_hp[0] <= a, 4, jnp.where(trades.any(), best_trade, 4))).astype(I32)


def _opponent_action(s: State):
    """Section 9: the first of O1-O8 that applies."""
    tide, cards, slots = s.tide[1], s.hand[1], jnp.arange(6)
    in_hand = slots < _count(cards)

    def playable(card):
        present = in_hand & (cards == card)
        return present.any() & (COST[card] <= tide), _argmax(present)

    (o1_ok, harpoon), (o2_ok, surge) = playable(HARPOON), playable(SURGE)
    (o4_ok, chart), (o5_ok, gulls) = playable(CHART), playable(GULLS)
    cost = _pick(COST, cards)
    units = in_hand & (cards >= 1) & (cards <= 4) & (cost <= tide)
    best_unit = _argmax(jnp.where(units, cost * 8 - slots, -10_000))
    ready = (jnp.arange(4) < _count(s.board_card[1])) & (s.board_ready[1] == 1)
    i = _argmax(ready)
    conditions = jnp.array([
        o1_ok & (s.keeper_hp[0] <= 3),
        o2_ok & (_count(s.board_card[0]) >= 2),
        (_count(s.board_card[1]) < 4) & units.any(),
        o4_ok & (_count(cards) <= 4),
        o5_ok & (_count(s.board_card[0]) >= 1),
        o1_ok & (s.keeper_hp[1] >= 6),
        ready.any(),
    ])
    actions = jnp.array([1 + harpoon, 1 + surge, 1 + best_unit, 1 + chart, 1 + gulls, 1 + harpoon,
                         7 + 5 * i + _opponent_target(s, i)], I32)
    return jnp.where(conditions.any(), _pick(actions, _argmax(conditions)), 0)


def _opponent_actions(carry, u, limit=None):
    """Section 9 and R-8.2 step 3: player 1 acts while it has an action (not END_TURN) and no keeper is down, at most
    `limit` actions. `carry` is (state, its next action, the Gull Swarm uniforms used): the next action is decided at
    the end of an iteration, so the loop stops without a last iteration that only finds END_TURN."""

    def going(c):
        s, b, _, n = c
        ok = (b != 0) & ~_over(s)
        return ok if limit is None else ok & (n < limit)

    def act(c):
        s, b, used, n = c
        s, used = _resolve(s, 1, b, u, used)
        return s, _opponent_action(s), used, n + 1

    s, b, used = carry
    s, b, used, _ = lax.while_loop(going, act, (s, b, used, jnp.asarray(0, I32)))
    return s, b, used


def _opponent_begins(s: State, u):
    """Player 1's start of turn and its first `OPENING_ACTIONS` actions: the carry of `_opponent_actions`."""
    s = _start_turn(s.replace(turn=s.turn + 1), 1)
    return _opponent_actions((s, _opponent_action(s), jnp.asarray(0, I32)), u, OPENING_ACTIONS)


def _finish_turn(s: State):
    """R-8.2 after player 1's turn: truncation after turn 18, else player 0's next start of turn."""
    truncated = ~_over(s) & (s.turn == MAX_TURNS)
    nxt = _start_turn(s.replace(turn=s.turn + 1), 0)
    s = jax.tree.map(lambda x, y: jnp.where(_over(s) | truncated, x, y), s, nxt)
    return s, truncated


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
        legal = (a >= 0) & (a < N_ACTIONS) & _pick(legal_actions(s, 0), jnp.clip(a, 0, N_ACTIONS - 1))
        a = jnp.where(legal, a, 0)
        ends = a == 0
        played = _resolve(s, 0, a, u, jnp.asarray(0, I32))[0]  # discarded where the turn ends
        no_turn = (played, jnp.asarray(0, I32), jnp.asarray(0, I32))  # next action END_TURN: nothing to finish
        carry = where_done(ends, _opponent_begins, no_turn, s, u)
        long_turn = (carry[1] != 0) & ~_over(carry[0])
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
        final = _over(state) | (state.turn % 2 == 0)
        return jnp.where(final, jnp.arange(N_ACTIONS) == 0, legal_actions(state, 0))

    def action_space(self, params=None):
        return Discrete(N_ACTIONS)

    def observation_space(self, params=None):
        return Box(-128, 127, (50,), jnp.int8)
