"""Property tests of the Limit Hold'em translation: one step from visited states against RLCard, and jit/vmap invariants."""

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings, strategies as st

from envs.rlcard.limit_holdem import PORT
from jax_env import LimitHoldem
from verify.compare import compare_outcomes
from verify.lockstep import Lockstep

ENV = LimitHoldem()
LOCK = Lockstep(PORT, ENV)


def _visited(seed: int, steps: int) -> dict:
    """A state reached by `steps` uniform legal moves of the translation from a reset with key `seed`."""
    obs, state = ENV.reset(jax.random.PRNGKey(seed), ENV.default_params)
    key = jax.random.PRNGKey(seed + 1)
    for _ in range(steps):
        key, k_act, k_step = jax.random.split(key, 3)
        legal = np.flatnonzero(np.asarray(ENV.action_mask(state)))
        action = int(legal[int(jax.random.randint(k_act, (), 0, len(legal)))])
        obs, state, *_ = ENV.step(k_step, state, action, ENV.default_params)
    return LOCK.state_to_dict(state)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), steps=st.integers(0, 6), action=st.integers(-4, 3), key=st.integers(0, 2**31 - 1))
def test_one_step_matches_rlcard(seed, steps, action, key):
    state = _visited(seed, steps)
    draws = LOCK.draws_for_state(jax.random.PRNGKey(key), state)
    expected = LOCK.reference_step(state, np.asarray(action), draws["step"])
    actual = LOCK.translation_step(state, np.asarray(action), draws)
    assert not compare_outcomes(PORT, expected, actual)


def test_jit_vmap_and_shapes():
    keys = jax.random.split(jax.random.PRNGKey(0), 4)
    obs, states = jax.vmap(ENV.reset, in_axes=(0, None))(keys, ENV.default_params)
    out = jax.jit(jax.vmap(ENV.step, in_axes=(0, 0, 0, None)))(keys, states, jnp.full(4, 0), ENV.default_params)
    single = ENV.step(keys[1], jax.tree.map(lambda x: x[1], states), 0, ENV.default_params)
    assert np.array_equal(np.asarray(out[0][1]), np.asarray(single[0]))
    assert out[0].shape == (4, 72)
    assert jax.tree.map(lambda x: x.dtype, out[1]) == jax.tree.map(lambda x: x.dtype, states)
