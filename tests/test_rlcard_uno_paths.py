"""rlcard-uno's JAX translation takes shortcuts that must not change a number (the third speed run): the short step
(`_play`, no reshuffle) against the whole one (`_play_reshuffling`) on every state it is taken from; legality read
from the hand's slots against the mask; the id counts of long hands; the key-driven `reset`, whose flip shuffles are
sorted only where a wild_draw_4 comes up first, against `reset_det` on the sampler's draws. Every check runs vmapped,
so `where_done` takes its gathered path."""

import jax
import jax.numpy as jnp
import numpy as np

from envs import jax_random
from envs.rlcard.uno import jax_env
from ppo.bench import random_legal_jax

ENV = jax_env.Uno()
PARAMS = ENV.default_params


def assert_same(got, want):
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


def visited_states(n=128, steps=40, seed=0):
    """`n` games after `steps` random legal steps (games that end are dealt again), stacked: step by step."""
    keys = jax_random.split(jax.random.PRNGKey(seed), n)
    _, state = jax.vmap(ENV.reset)(keys)

    def body(s, key):
        k_act, k_step = jax.random.split(key)
        mask = jax.vmap(ENV.action_mask)(s)
        a = random_legal_jax(mask, jax.random.uniform(k_act, (n,)))
        s = jax.vmap(ENV.step)(jax_random.split(k_step, n), s, a)[1]
        return s, s

    _, visited = jax.jit(lambda s: jax.lax.scan(body, s, jax.random.split(jax.random.PRNGKey(seed + 1), steps)))(state)
    return jax.tree.map(lambda x: x.reshape(-1, *x.shape[2:]), visited)


STATES = visited_states()


def test_key_driven_reset_equals_reset_det_on_the_sampled_draws():
    keys = jax_random.split(jax.random.PRNGKey(5), 2048)
    lazy = jax.jit(jax.vmap(ENV.reset))(keys)
    eager = jax.jit(jax.vmap(lambda k: ENV.reset_det(ENV.sample_reset_draws(k, PARAMS), PARAMS)))(keys)
    assert_same(lazy, eager)
    order = jax.vmap(lambda k: ENV.sample_reset_draws(k, PARAMS)["deck"])(keys)
    flipped = jax_env.INITIAL[np.asarray(order)[:, jax_env.FIRST]] % jax_env.N_TRAITS == jax_env.WILD_DRAW_4
    assert flipped.sum() > 30  # about 4 in 94 games flip a wild_draw_4 first: those went through the lazy sorts


def test_legality_from_the_hand_slots_is_the_mask():
    mask = np.asarray(jax.vmap(ENV.action_mask)(STATES))
    hands = jax.vmap(lambda s: jax_env._row(s.hands, s.current_player))(STATES)
    counts = jax.vmap(lambda s: jax_env._row(s.hand_counts, s.current_player))(STATES)
    legal = jax.jit(jax.vmap(jax.vmap(jax_env._is_legal, (None, None, None, None, 0)), (0, 0, 0, 0, None)))(
        hands, counts, STATES.target, STATES.target_color, jnp.arange(jax_env.DRAW + 1))
    np.testing.assert_array_equal(np.asarray(legal), mask)
    assert mask[:, jax_env.DRAW].any() and mask[:, :jax_env.DRAW].any(axis=1).any()


def test_an_illegal_id_plays_the_kth_legal_one():
    mask = np.asarray(jax.vmap(ENV.action_mask)(STATES))
    rng = np.random.default_rng(1)
    ids = rng.integers(-70, 140, len(mask)).astype(np.int32)
    played = np.asarray(jax.jit(jax.vmap(jax_env._legal_action))(STATES, ids))
    legal = [np.flatnonzero(m) for m in mask]
    want = [i if 0 <= i <= 60 and m[i] else ls[i % len(ls)] for i, m, ls in zip(ids, mask, legal)]
    np.testing.assert_array_equal(played, want)
    assert (played != ids).sum() > len(ids) // 2  # most random ids are illegal: the gathered fallback ran


def test_the_short_step_is_the_whole_step_wherever_it_is_taken():
    short = np.asarray(STATES.deck_count) > jax_env.MAY_RESHUFFLE
    states = jax.tree.map(lambda x: x[short], STATES)
    n = int(short.sum())
    keys = jax_random.split(jax.random.PRNGKey(9), n)
    draws = jax.vmap(lambda k, s: ENV.sample_step_draws(k, s, PARAMS))(keys, states)

    @jax.jit
    def both(action):  # every id, legal or not, as its legal id: the short step against the whole one
        def one(s, d):
            a = jax_env._legal_action(s, action)
            return jax_env._play(s, a, d["draw_color"]), jax_env._play_reshuffling(s, a, d)

        return jax.vmap(one)(states, draws)

    for action in range(jax_env.DRAW + 1):
        assert_same(*both(jnp.asarray(action, jnp.int32)))


def test_id_counts_of_a_hand_longer_than_the_head():
    rng = np.random.default_rng(2)
    counts = rng.integers(0, 60, 512).astype(np.int8)
    counts[::3] = rng.integers(jax_env.HEAD + 1, 100, len(counts[::3]))
    hands = np.full((512, 108), -1, np.int8)
    for i, c in enumerate(counts):
        hands[i, :c] = rng.integers(0, 60, c)
    got = np.asarray(jax.jit(jax.vmap(jax_env._id_counts))(hands, counts))
    want = np.stack([np.bincount(h[:c], minlength=60) for h, c in zip(hands, counts)])
    np.testing.assert_array_equal(got, want)
