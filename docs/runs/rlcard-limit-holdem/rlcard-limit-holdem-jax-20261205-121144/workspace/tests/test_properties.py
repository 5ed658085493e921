"""Property tests of the Limit Hold'em translation (the speed run): one step against RLCard from visited states, the
showdown scored lazily under vmap as unbatched, and the deck a permutation."""

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings, strategies as st

from envs.rlcard.limit_holdem import PORT
from jax_env import LimitHoldem
from verify.compare import compare_outcomes
from verify.lockstep import Lockstep

ENV = LimitHoldem()
STEP = jax.jit(ENV.step)
LOCK = Lockstep(PORT, ENV)


def _play(key, state, steps):
    """`steps` uniformly random legal moves of the key-driven step."""
    for _ in range(steps):
        key, k_act, k_step = jax.random.split(key, 3)
        legal = np.flatnonzero(np.asarray(ENV.action_mask(state)))
        action = int(legal[int(jax.random.randint(k_act, (), 0, len(legal)))])
        state = STEP(k_step, state, action)[1]
    return state


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), steps=st.integers(0, 8), action=st.integers(-4, 3), key=st.integers(0, 2**31 - 1))
def test_one_step_matches_rlcard(seed, steps, action, key):
    state = _play(jax.random.PRNGKey(seed + 1), ENV.reset(jax.random.PRNGKey(seed), ENV.default_params)[1], steps)
    state = LOCK.state_to_dict(state)
    draws = LOCK.draws_for_state(jax.random.PRNGKey(key), state)
    expected = LOCK.reference_step(state, np.asarray(action), draws["step"])
    actual = LOCK.translation_step(state, np.asarray(action), draws)
    assert not compare_outcomes(PORT, expected, actual)


def test_vmapped_steps_equal_single_ones_through_showdowns():
    n = 64
    keys = jax.random.split(jax.random.PRNGKey(3), n)
    _, states = jax.vmap(ENV.reset)(keys)
    step = jax.jit(jax.vmap(ENV.step))
    single = STEP
    showdowns = 0
    for t in range(40):
        keys = jax.random.split(jax.random.PRNGKey(100 + t), n)
        actions = jnp.where(jax.vmap(ENV.action_mask)(states)[:, 3], 3, 0)  # check or call: games reach showdowns
        out = step(keys, states, actions)
        for i in range(0, n, 7):
            one = single(keys[i], jax.tree.map(lambda x: x[i], states), actions[i])
            for a, b in zip(jax.tree.leaves(one), jax.tree.leaves(jax.tree.map(lambda x: x[i], out))):
                assert np.array_equal(np.asarray(a), np.asarray(b))
        showdowns += int(jnp.sum(out[3] & (states.round_counter == 3)))
        states = out[1]
    assert showdowns > 0


def test_reset_deals_from_a_permutation_and_keeps_dtypes():
    keys = jax.random.split(jax.random.PRNGKey(0), 200)
    draws = jax.vmap(lambda k: ENV.sample_reset_draws(k, ENV.default_params))(keys)
    assert (np.sort(np.asarray(draws["deck"]), axis=1) == np.arange(52)).all()
    _, states = jax.vmap(ENV.reset)(keys)
    after = jax.jit(jax.vmap(ENV.step))(keys, states, jnp.zeros(200, jnp.int32))[1]
    assert jax.tree.map(lambda x: x.dtype, after) == jax.tree.map(lambda x: x.dtype, states)
