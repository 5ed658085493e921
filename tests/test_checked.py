"""Checked mode (envs/checked.py): an action outside the space raises a clear error, eagerly and under jit and vmap."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs import get_port
from envs.checked import checked, checked_call

DISCRETE = r"action 2 is outside Discrete\(2\): valid actions are 0 and 1"


def _batch(env, n):
    keys = jax.random.split(jax.random.PRNGKey(0), n)
    _, states = jax.vmap(env.reset, in_axes=(0, None))(keys, env.default_params)
    return keys, states


def test_a_discrete_port_raises_on_an_invalid_action_eagerly_and_under_jit_and_vmap():
    plain = get_port("cartpole").make_jax()
    env = checked(plain)
    params = env.default_params
    keys, states = _batch(env, 3)
    state = jax.tree.map(lambda x: x[0], states)
    # valid actions: the checked step is the plain one
    same = env.step(keys[0], state, jnp.asarray(1), params)
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(same), jax.tree.leaves(plain.step(keys[0], state, 1, params))))
    with pytest.raises(ValueError, match=DISCRETE):
        env.step(keys[0], state, jnp.asarray(2), params)
    with pytest.raises(ValueError, match=r"action -1 is outside Discrete\(2\)"):
        env.step_det(state, jnp.asarray(-1), plain.sample_draws(keys[0], state, params), params)

    step = checked_call(jax.jit(jax.vmap(env.step, in_axes=(0, 0, 0, None))))
    obs = step(keys, states, jnp.array([0, 1, 1]), params)[0]
    assert obs.shape == (3, 4)
    with pytest.raises(ValueError, match=DISCRETE):
        step(keys, states, jnp.array([0, 2, 1]), params)
    # the unchecked translation steps on silently under jit (its metadata says how it reads the action)
    jax.jit(jax.vmap(plain.step, in_axes=(0, 0, 0, None)))(keys, states, jnp.array([0, 2, 1]), params)


def test_a_discrete_action_must_be_an_integer_scalar():
    env = checked(get_port("cartpole").make_jax())
    keys, states = _batch(env, 2)
    state = jax.tree.map(lambda x: x[0], states)
    with pytest.raises(TypeError, match=r"dtype float.* for Discrete\(2\): a discrete action must be an integer"):
        env.step(keys[0], state, jnp.asarray(1.0), env.default_params)
    with pytest.raises(TypeError, match="must be an integer"):  # raised while tracing, so under jit too
        checked_call(jax.jit(env.step))(keys[0], state, 1.0, env.default_params)
    with pytest.raises(ValueError, match="a discrete action is a scalar"):
        env.step(keys[0], state, jnp.array([1]), env.default_params)


def test_a_continuous_port_raises_outside_the_bounds_or_shape_eagerly_and_under_jit_and_vmap():
    env = checked(get_port("pendulum").make_jax())
    params = env.default_params
    keys, states = _batch(env, 3)
    state = jax.tree.map(lambda x: x[0], states)
    box = r"is outside Box\(-2\.0, 2\.0, \(1,\), float32\): every element must lie within the bounds"
    env.step(keys[0], state, jnp.array([2.0], jnp.float32), params)  # on the bound: valid
    with pytest.raises(ValueError, match=r"action \[2\.5\] " + box):
        env.step(keys[0], state, jnp.array([2.5], jnp.float32), params)
    with pytest.raises(ValueError, match=box):
        env.step(keys[0], state, jnp.array([jnp.nan], jnp.float32), params)
    with pytest.raises(ValueError, match=r"shape \(2,\) for a Box of shape \(1,\): it must have that shape"):
        env.step(keys[0], state, jnp.zeros(2, jnp.float32), params)

    step = checked_call(jax.jit(jax.vmap(env.step, in_axes=(0, 0, 0, None))))
    step(keys, states, jnp.array([[-2.0], [0.5], [1.0]], jnp.float32), params)
    with pytest.raises(ValueError, match=r"action \[-3\.\] " + box):
        step(keys, states, jnp.array([[0.0], [-3.0], [1.0]], jnp.float32), params)


def test_checked_delegates_everything_else_and_is_idempotent():
    plain = get_port("cartpole").make_jax()
    env = checked(plain)
    assert checked(env) is env and env.env is plain
    assert env.action_space(env.default_params).n == 2 and env.default_params == plain.default_params
