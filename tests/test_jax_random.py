"""envs.jax_random: the same numbers as jax.random, computed without JAX's CPU hashing loop."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envs import jax_random

seeds = st.integers(0, 2**32 - 1)
shapes = st.lists(st.integers(1, 5), max_size=2).map(tuple)


@given(seed=seeds, num=st.integers(1, 6))
def test_split_gives_jax_random_split_keys(seed, num):
    key = jax.random.PRNGKey(seed)
    np.testing.assert_array_equal(jax_random.split(key, num), jax.random.split(key, num))


@given(seed=seeds, shape=shapes)
def test_bits_and_uniform_give_jax_random_numbers(seed, shape):
    key = jax.random.PRNGKey(seed)
    np.testing.assert_array_equal(jax_random.bits(key, shape), jax.random.bits(key, shape, jnp.uint32))
    for dtype in (jnp.float32, jnp.float64):  # the tests run with jax_enable_x64
        np.testing.assert_array_equal(jax_random.uniform(key, shape, dtype), jax.random.uniform(key, shape, dtype))


def test_batched_jitted_and_typed_keys_agree_with_jax_random():
    keys = jax.random.split(jax.random.PRNGKey(7), 9)
    ours = jax.jit(jax.vmap(lambda k: jax_random.uniform(jax_random.split(k, 3)[2])))(keys)
    theirs = jax.vmap(lambda k: jax.random.uniform(jax.random.split(k, 3)[2]))(keys)
    np.testing.assert_array_equal(ours, theirs)
    typed = jax.random.key(7)
    np.testing.assert_array_equal(jax.random.key_data(jax_random.split(typed, 4)), jax.random.key_data(jax.random.split(typed, 4)))
    np.testing.assert_array_equal(jax_random.uniform(typed, (3,)), jax.random.uniform(typed, (3,)))


def test_other_generators_are_left_to_jax_random():
    key = jax.random.key(3, impl="rbg")
    np.testing.assert_array_equal(jax.random.key_data(jax_random.split(key, 2)), jax.random.key_data(jax.random.split(key, 2)))
    np.testing.assert_array_equal(jax_random.uniform(key, (2,)), jax.random.uniform(key, (2,)))


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the hashing loop is JAX's CPU lowering")
def test_the_hash_compiles_without_a_loop_where_jax_random_has_one():
    key = jax.random.PRNGKey(0)
    assert "while" in jax.jit(lambda k: jax.random.uniform(k)).lower(key).as_text()
    assert "while" not in jax.jit(lambda k: jax_random.uniform(jax_random.split(k)[1])).lower(key).as_text()


_packed_jit = jax.jit(jax_random.packed_ranked_permutation)  # n traced: one program per size and dtype


@settings(max_examples=12, deadline=None)
@given(seed=seeds, size=st.sampled_from([1, 7, 108, 128]), data=st.data())
def test_packed_ranked_permutation_is_ranked_permutation(seed, size, data):
    n = data.draw(st.integers(0, size))
    rng = np.random.default_rng(seed)
    u64 = rng.random(size)
    u64[rng.integers(0, size, size // 4)] = u64[0]  # equal uniforms: broken by position in both
    u32 = jax_random.uniform(jax.random.PRNGKey(seed), (size,), jnp.float32)
    for u in (jnp.asarray(u64), u32, u32.at[-1].set(u32[0])):
        expected = jax_random.ranked_permutation(u, n)
        np.testing.assert_array_equal(jax_random.packed_ranked_permutation(u, n), expected)
        np.testing.assert_array_equal(_packed_jit(u, n), expected)


def test_packed_permutation_is_a_uniform_permutation():
    keys = jax.random.split(jax.random.PRNGKey(11), 12_000)
    perms = np.asarray(jax.jit(jax.vmap(lambda k: jax_random.packed_permutation(k, 108)))(keys))
    assert (np.sort(perms, axis=1) == np.arange(108)).all()
    # where item 0 and item 107 land, in 12 bins of 9 places: chi-square, 11 degrees of freedom (p = 1e-4 at 38.1)
    for item in (0, 107):
        places = np.argmax(perms == item, axis=1) // 9
        counts = np.bincount(places, minlength=12)
        assert ((counts - 1000) ** 2 / 1000).sum() < 38.1, counts
    assert len({tuple(p) for p in perms[:200]}) == 200
    with pytest.raises(ValueError, match="at most 128"):
        jax_random.packed_permutation(keys[0], 129)


def test_rank_permutation_is_the_inverse_of_packed_permutation():
    keys = jax.random.split(jax.random.PRNGKey(5), 3_000)
    ranks = np.asarray(jax.jit(jax.vmap(lambda k: jax_random.rank_permutation(k, 52)))(keys))
    perms = np.asarray(jax.jit(jax.vmap(lambda k: jax_random.packed_permutation(k, 52)))(keys))
    assert (np.sort(ranks, axis=1) == np.arange(52)).all()
    # ranks[perm[i]] == i: the rank of the item sorted to place i is i
    np.testing.assert_array_equal(np.take_along_axis(ranks, perms, axis=1), np.broadcast_to(np.arange(52), ranks.shape))
    np.testing.assert_array_equal(jax_random.rank_permutation(keys[0], 52), ranks[0])  # unbatched, eager
    with pytest.raises(ValueError, match="at most 128"):
        jax_random.rank_permutation(keys[0], 129)
