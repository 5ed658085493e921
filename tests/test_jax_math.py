"""envs.jax_math: float32 sin and cos as fused arithmetic, float64 left to XLA (the reference's values)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs import jax_math
from envs.registry import get_port

EPS32 = float(np.finfo(np.float32).eps)
_sincos = jax.jit(jax_math.sincos)


@pytest.mark.parametrize("bound", [1.0, 4.0, 40.0, 6000.0])
def test_float32_sincos_is_within_one_epsilon_of_float64(bound):
    x = np.random.default_rng(int(bound)).uniform(-bound, bound, 100_000).astype(np.float32)
    x[:5] = [0.0, np.pi / 4, -np.pi / 2, np.pi, 3 * np.pi / 4]  # quadrant edges, rounded to float32
    s, c = _sincos(jnp.asarray(x))
    assert s.dtype == c.dtype == jnp.float32
    exact = x.astype(np.float64)
    assert np.max(np.abs(np.asarray(s, np.float64) - np.sin(exact))) < EPS32
    assert np.max(np.abs(np.asarray(c, np.float64) - np.cos(exact))) < EPS32


def test_sin_and_cos_are_the_pair_and_nan_and_infinities_give_nan():
    x = jnp.asarray([0.3, -2.0, 7.5, np.nan, np.inf, -np.inf], jnp.float32)
    s, c = jax_math.sincos(x)
    np.testing.assert_array_equal(jax_math.sin(x), s)
    np.testing.assert_array_equal(jax_math.cos(x), c)
    assert np.isnan(np.asarray(s)[3:]).all() and np.isnan(np.asarray(c)[3:]).all()
    np.testing.assert_allclose(np.asarray(s)[:3], np.sin([0.3, -2.0, 7.5]), atol=EPS32)


def test_float64_is_xlas_own_sin_and_cos_bit_for_bit():
    x = np.random.default_rng(1).uniform(-20, 20, 10_000)  # float64: the tests run with jax_enable_x64
    s, c = _sincos(jnp.asarray(x))
    np.testing.assert_array_equal(s, jnp.sin(jnp.asarray(x)))
    np.testing.assert_array_equal(c, jnp.cos(jnp.asarray(x)))


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the point is XLA's CPU lowering of sine and cosine")
def test_float32_compiles_to_arithmetic_without_sine_or_cosine():
    ours = jax.jit(lambda v: jax_math.sincos(v)).lower(jnp.zeros(8, jnp.float32)).compile().as_text()
    theirs = jax.jit(lambda v: (jnp.sin(v), jnp.cos(v))).lower(jnp.zeros(8, jnp.float32)).compile().as_text()
    assert " sine(" in theirs and " cosine(" in theirs
    assert " sine(" not in ours and " cosine(" not in ours


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the point is XLA's CPU lowering of sine and cosine")
@pytest.mark.parametrize("name", ["acrobot", "cartpole", "mountaincar", "pendulum"])
def test_the_classic_ports_float32_step_has_no_scalar_sine_or_cosine(name):
    # Their speed rests on it (docs/benchmarks.md); MountainCarContinuous keeps jnp.cos: part of its step runs in
    # float32 while verifying, where the reference's own float32 value must come out bit for bit.
    with jax.enable_x64(False):
        env = get_port(name).make_jax()
        params = env.default_params
        key = jax.random.PRNGKey(0)
        _, state = env.reset(key, params)
        action = env.action_space(params).sample(key)
        step = jax.jit(lambda k, s, a: env.step(k, s, a, params))
        text = step.lower(key, state, action).compile().as_text()
        assert jax.tree.leaves(state)[0].dtype == jnp.float32
    assert " sine(" not in text and " cosine(" not in text


@pytest.mark.parametrize("n", [1, 2, 3, 4, 8, 9, 16, 61, 64, 65, 130])
def test_kth_true_is_the_index_of_the_kth_true_for_every_k(n):
    rng = np.random.default_rng(n)
    for p in (0.05, 0.5, 0.95):
        mask = rng.random((200, n)) < p
        mask[:, rng.integers(0, n)] = True
        count = mask.sum(axis=1)
        k = np.floor(rng.random(200) * count).astype(np.int32)
        want = np.asarray([np.flatnonzero(row)[j] for row, j in zip(mask, k)])
        np.testing.assert_array_equal(np.asarray(jax_math.kth_true(jnp.asarray(mask), jnp.asarray(k))), want)
        np.testing.assert_array_equal(np.asarray(jax_math.kth_true(jnp.asarray(mask), jnp.asarray(count - 1))),
                                      [np.flatnonzero(row)[-1] for row in mask])
    # every k of one row, and a negative k (an empty mask's, in the bench's rule) gives 0 as argmax did
    row = rng.random(n) < 0.5
    row[-1] = True
    got = jax.vmap(lambda j: jax_math.kth_true(jnp.asarray(row), j))(jnp.arange(row.sum()))
    np.testing.assert_array_equal(np.asarray(got), np.flatnonzero(row))
    assert int(jax_math.kth_true(jnp.zeros(n, bool), -1)) == 0
