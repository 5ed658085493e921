"""rlcard-uno's JAX translation takes shortcuts that must not change a number (the speed runs): the short step
(`_play`, no reshuffle) against the whole one (`_play_reshuffling`) on every state it is taken from; an illegal id
as the (id mod c)-th legal one, computed only where an id is illegal, its legality read from the hand's counts
without the mask; the key-driven `step`, whose draws are made
only where they are read, against `step_det` on the sampler's draws; the key-driven `reset`, whose flip shuffles
are sorted only where a wild_draw_4 comes up first, against `reset_det` on the sampler's draws. Every check runs
vmapped, so `where_done` takes its gathered path."""

import jax
import jax.numpy as jnp
import numpy as np

from envs import jax_random
from envs.rlcard.uno import PORT, jax_env, states
from ppo.bench import random_legal_jax
from verify.lockstep import Lockstep

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


def short_deck_states():
    """RLCard's boundary and event states (`states.rare_states`, `states.event_state`: decks of 0 to 4 cards, a
    last card in hand), as the translation's states."""
    lock = Lockstep(PORT)
    ref, rng, visited = lock.ref, np.random.default_rng(4), []
    ref.reset(seed=4)
    while len(visited) < 120:
        ref.step(int(rng.choice(np.flatnonzero(ref.facade.legal_action_mask()))))
        if ref.facade.is_over():
            ref.reset()
        else:
            visited.append(PORT.get_state(ref))
    found = states.rare_states(visited[::20]) + [states.event_state(v) for v in visited[::3]]
    return jax.tree.map(lambda *xs: jnp.stack(xs), *[lock.dict_to_state(s) for s in found])


STATES = visited_states()
SHORT = short_deck_states()


def test_hands_stay_consistent():
    """In every visited state each hand's count is the sum of its id counts, and each wild trait's queue lists once
    each the printed colours of the wilds counted, -1 after the last."""
    cards, wilds = np.asarray(STATES.hand_cards), np.asarray(STATES.hand_wilds)
    np.testing.assert_array_equal(cards.sum(-1), STATES.hand_counts)
    assert cards.min() >= 0 and cards.max() <= 2
    for k in range(2):
        held = cards[:, :, jax_env.WILD + k::jax_env.N_TRAITS]  # (states, players, colour)
        queue = wilds[:, :, k]
        n = (queue >= 0).sum(-1)
        np.testing.assert_array_equal(n, held.sum(-1))
        assert all((row[m:] == -1).all() and sorted(row[:m]) == list(np.flatnonzero(h))
                   for row, m, h in zip(queue.reshape(-1, 4), n.reshape(-1), held.reshape(-1, 4)))
    assert (wilds >= 0).sum() > 100  # hands held wild cards


def test_key_driven_reset_equals_reset_det_on_the_sampled_draws():
    keys = jax_random.split(jax.random.PRNGKey(5), 2048)
    lazy = jax.jit(jax.vmap(ENV.reset))(keys)
    eager = jax.jit(jax.vmap(lambda k: ENV.reset_det(ENV.sample_reset_draws(k, PARAMS), PARAMS)))(keys)
    assert_same(lazy, eager)
    order = jax.vmap(lambda k: ENV.sample_reset_draws(k, PARAMS)["deck"])(keys)
    flipped = jax_env.INITIAL[np.asarray(order)[:, jax_env.FIRST]] % jax_env.N_TRAITS == jax_env.WILD_DRAW_4
    assert flipped.sum() > 30  # about 4 in 94 games flip a wild_draw_4 first: those went through the lazy sorts


def test_key_driven_step_equals_step_det_on_the_sampled_draws():
    """Every id (legal or not) from visited states and from short decks: the key-driven step, its draws made only
    where read, gives every output of `step_det(sample_draws(key))`, auto-resets included."""
    both = jax.tree.map(lambda a, b: jnp.concatenate([a, b]), STATES, SHORT)
    n = len(both.deck_count)
    lazy = jax.jit(jax.vmap(lambda k, s, a: ENV.step(k, s, a, PARAMS)))
    eager = jax.jit(jax.vmap(lambda k, s, a: ENV.step_det(s, a, ENV.sample_draws(k, s, PARAMS), PARAMS)))
    count = np.asarray(both.deck_count)
    top = np.asarray(both.deck)[np.arange(n), np.maximum(count - 1, 0)]
    draws = np.asarray(jax.vmap(ENV.action_mask)(both))[:, jax_env.DRAW]
    wild_drawn = int((draws & (count > jax_env.MAY_RESHUFFLE) & (top % jax_env.N_TRAITS >= jax_env.WILD)).sum())
    ended = reshuffled = 0
    for action in range(-2, jax_env.DRAW + 3):
        keys = jax_random.split(jax.random.PRNGKey(100 + action), n)
        ids = jnp.full((n,), action, jnp.int32)
        got, want = lazy(keys, both, ids), eager(keys, both, ids)
        assert_same(got, want)
        ended += int(got[3].sum())
        reshuffled += int((np.asarray(got[1].played_count) == 0).sum())
    # the lazy paths ran: auto-resets, a wild drawn from a long deck (its colour drawn lazily), reshuffles
    assert ended > 50 and wild_drawn > 5 and reshuffled > 10


def _hand(states_):
    return (jax.vmap(lambda s: jax_env._row(s.hand_cards, s.current_player))(states_), states_.target, states_.target_color)


def test_an_illegal_id_plays_the_kth_legal_one():
    mask = np.asarray(jax.vmap(ENV.action_mask)(STATES))
    rng = np.random.default_rng(1)
    ids = rng.integers(-70, 140, len(mask)).astype(np.int32)
    played = np.asarray(jax.jit(jax.vmap(jax_env._played_id))(*_hand(STATES), jnp.asarray(ids)))
    legal = [np.flatnonzero(m) for m in mask]
    want = [i if 0 <= i <= 60 and m[i] else ls[i % len(ls)] for i, m, ls in zip(ids, mask, legal)]
    np.testing.assert_array_equal(played, want)
    assert (played != ids).sum() > len(ids) // 2  # most random ids are illegal: the gathered fallback ran


def test_an_ids_legality_read_from_the_counts_is_the_masks_for_every_id():
    mask = np.asarray(jax.vmap(ENV.action_mask)(STATES))
    is_legal = jax.jit(jax.vmap(jax.vmap(jax_env._is_legal, in_axes=(None, None, None, 0)), in_axes=(0, 0, 0, None)))
    np.testing.assert_array_equal(np.asarray(is_legal(*_hand(STATES), jnp.arange(jax_env.DRAW + 1))), mask)
    assert mask[:, jax_env.DRAW].any() and mask[:, jax_env.WILD_DRAW_4::15].any()  # the draw and a lone wild_draw_4 met


def test_the_short_step_is_the_whole_step_wherever_it_is_taken():
    short = np.asarray(STATES.deck_count) > jax_env.MAY_RESHUFFLE
    states_ = jax.tree.map(lambda x: x[short], STATES)
    n = int(short.sum())
    keys = jax_random.split(jax.random.PRNGKey(9), n)
    draws = jax.vmap(lambda k, s: ENV.sample_step_draws(k, s, PARAMS))(keys, states_)

    @jax.jit
    def both(action):  # every id, legal or not, as its legal id: the short step against the whole one
        def one(s, d):
            a = jax_env._played_id(jax_env._row(s.hand_cards, s.current_player), s.target, s.target_color, action)
            return jax_env._play(s, a, d["draw_color"]), jax_env._play_reshuffling(s, a, d)

        return jax.vmap(one)(states_, draws)

    for action in range(jax_env.DRAW + 1):
        assert_same(*both(jnp.asarray(action, jnp.int32)))
