"""Brinewatch's JAX translation computes some standard operations in forms that are fast under vmap on the CPU
(envs/spec_games/brinewatch/jax_env.py); each must give exactly what the standard operation gives, ties included."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs import jax_random
from envs.spec_games.brinewatch import jax_env as bw


def test_the_deck_permutation_is_jax_randoms_exactly():
    keys = jax.random.split(jax.random.PRNGKey(7), 5000)
    ours = np.asarray(jax.vmap(bw._permutation16)(keys))
    theirs = np.asarray(jax.vmap(lambda k: jax_random.permutation(k, 16))(keys))
    assert (ours == theirs).all()
    assert (np.sort(ours, axis=1) == np.arange(16)).all()


def test_argmax_argmin_cumsum_and_pick_match_numpy_with_ties():
    rng = np.random.default_rng(0)
    rows = rng.integers(-3, 3, size=(4000, 6)).astype(np.int32)  # many ties
    rows[:50] = -10_000  # all equal
    x = jnp.asarray(rows)
    assert (np.asarray(jax.vmap(bw._argmax)(x)) == rows.argmax(axis=1)).all()
    assert (np.asarray(jax.vmap(bw._argmin)(x)) == rows.argmin(axis=1)).all()
    flags = rows > 0
    flags[:50] = False  # no True: argmax is 0
    assert (np.asarray(jax.vmap(bw._argmax)(jnp.asarray(flags))) == flags.argmax(axis=1)).all()
    assert (np.asarray(jax.vmap(bw._cumsum)(jnp.asarray(flags))) == np.cumsum(flags, axis=1)).all()
    idx = rng.integers(0, 6, size=4000)
    assert (np.asarray(jax.vmap(bw._pick)(x, jnp.asarray(idx))) == rows[np.arange(4000), idx]).all()
    assert (np.asarray(jax.vmap(bw._pick)(jnp.asarray(flags), jnp.asarray(idx))) == flags[np.arange(4000), idx]).all()
    both = np.stack([rows[:, :4], rows[:, 2:]], axis=1)  # a (2, 4) row pair: one pick gives both entries
    idx4 = rng.integers(0, 4, size=4000)
    assert (np.asarray(jax.vmap(bw._pick)(jnp.asarray(both), jnp.asarray(idx4))) == both[np.arange(4000), :, idx4]).all()
    u = jnp.asarray(rng.random((4000, 6)), jnp.float32)
    assert (np.asarray(jax.vmap(bw._pick)(u, jnp.asarray(idx))) == np.asarray(u)[np.arange(4000), idx]).all()


def test_lowest_is_the_argmax_of_its_code_with_ties_and_negative_keys():
    """`_lowest(flags, 8 * key - slot)` answers "is any flag set" and the first slot of the highest key among the
    flagged slots (np.argmax's tie rule) from one reduction, for keys of any sign (health may be negative)."""
    rng = np.random.default_rng(1)
    keys = rng.integers(-6, 6, size=(4000, 6)).astype(np.int32)  # many ties
    flags = rng.random((4000, 6)) < 0.5
    flags[:40] = False
    some, slot = jax.vmap(bw._lowest)(jnp.asarray(flags), jnp.asarray(8 * keys - np.arange(6)))
    assert (np.asarray(some) == flags.any(axis=1)).all()
    expected = np.where(flags, keys, -100).argmax(axis=1)
    assert (np.asarray(slot)[flags.any(axis=1)] == expected[flags.any(axis=1)]).all()


def test_the_written_out_reset_is_the_rules_reset():
    """reset_det writes R-8.1's draws out (BASE_DECK[i] = i // 2 + 1, hands of 4 and 3, tide 1): the same state as
    the rules themselves (three draws each from full decks, then player 0's start of turn), for any permutations."""
    env = bw.Brinewatch()
    keys = jax.random.split(jax.random.PRNGKey(3), 200)
    draws = jax.vmap(lambda k: env.sample_reset_draws(k, env.default_params))(keys)
    _, written = jax.vmap(lambda d: env.reset_det(d, env.default_params))(draws)

    def by_the_rules(d):
        base = jnp.array([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8], jnp.int32)
        z2, z4 = jnp.zeros((2,), jnp.int32), jnp.zeros((2, 4), jnp.int32)
        s = bw.State(deck=jnp.stack([base[d["deck0"]], base[d["deck1"]]]), deck_pos=z2, hand=jnp.zeros((2, 6), jnp.int32),
                     board_card=z4, board_atk=z4, board_hp=z4, board_ready=z4, keeper_hp=jnp.full((2,), 20, jnp.int32),
                     tide=z2, max_tide=z2, fatigue=z2, turn=jnp.asarray(1, jnp.int32))
        p0, p1 = bw._sides(s)
        for _ in range(3):
            p0, p1 = bw._draw(p0), bw._draw(p1)
        return bw._state(bw._start_turn(p0), p1, s.turn)

    expected = jax.vmap(by_the_rules)(draws)
    for name in bw.State.__dataclass_fields__:
        assert (np.asarray(getattr(written, name)) == np.asarray(getattr(expected, name))).all(), name
    assert (np.asarray(written.hand)[:, 0, :4] > 0).all() and (np.asarray(written.hand)[:, 1, 3:] == 0).all()


def _generated_states(n: int, seed: int):
    """`n` states from the metadata's bounds, made running (the port's `canonical_state`), as one batched State."""
    from envs.spec_games.brinewatch import PORT

    rng = np.random.default_rng(seed)
    rows = [PORT.canonical_state({f.name: rng.integers(f.low, f.high + 1, size=f.shape).astype(np.int32)
                                  for f in PORT.state_fields}) for _ in range(n)]
    return bw.State(**{name: jnp.asarray(np.stack([r[name] for r in rows])) for name in bw.State.__dataclass_fields__})


@pytest.mark.slow  # about 75 s at load 10 on the 2-core VM (25 s of CPU): six gathered copies of the opponent's loop compile
def test_the_gathered_opponent_turn_is_the_rules_turn_under_vmap():
    """`_advance` runs player 1's turn through `where_done` (only the environments that ended their turn, the long
    turns in a second gather): under vmap it must give, lane for lane, the rules' own order (`_end_turn` after
    END_TURN, the resolution otherwise), whether few lanes end their turn (the eighth's gather), many (the half's) or
    all (the full batch)."""
    env, n = bw.Brinewatch(), 64
    states = _generated_states(n, 0)
    u = jax.random.uniform(jax.random.PRNGKey(1), (n, bw.GULL_DRAWS))
    rng = np.random.default_rng(2)

    def by_the_rules(s, a, u):
        legal = (a >= 0) & (a < bw.N_ACTIONS) & bw.legal_actions(*bw._sides(s))[jnp.clip(a, 0, bw.N_ACTIONS - 1)]
        a = jnp.where(legal, a, 0)
        ended, truncated = bw._end_turn(s, u)
        played = bw._state(*bw._resolve(*bw._sides(s), a, u, jnp.asarray(0, jnp.int32))[:2], s.turn)
        s = jax.tree.map(lambda x, y: jnp.where(a == 0, x, y), ended, played)
        return s, (a == 0) & truncated

    ours = jax.jit(jax.vmap(lambda s, a, u: env._advance(s, a, u)))
    rules = jax.jit(jax.vmap(by_the_rules))
    for share in (0.05, 0.4, 1.0):  # END_TURN for this share of the lanes, a random (maybe illegal) action elsewhere
        actions = np.where(rng.random(n) < share, 0, rng.integers(1, bw.N_ACTIONS, n)).astype(np.int32)
        got, want = ours(states, jnp.asarray(actions), u), rules(states, jnp.asarray(actions), u)
        for name in bw.State.__dataclass_fields__:
            assert (np.asarray(getattr(got[0], name)) == np.asarray(getattr(want[0], name))).all(), (share, name)
        assert (np.asarray(got[3]) == np.asarray(want[1])).all(), share
    # Both gathers are exercised: some of these opponent turns go past the opening actions, not all.
    opening = jax.vmap(bw._opponent_begins)(states, u)
    long_turns = int(np.sum((np.asarray(opening[1]) != 0) & ~np.asarray(jax.vmap(lambda s: bw._over(*bw._sides(s)))(opening[0]))))
    assert 0 < long_turns < n
