"""The JAX translations in the ecosystem: gymnax's wrappers and a PureJaxRL-style loop, Gymnasium's functional env."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs import all_ports
from envs.gymnasium_functional import gymnasium_env

JAX_PORTS = [p for p in all_ports() if "jax" in p.backends]
CLASSIC = [p for p in JAX_PORTS if p.jax_module.startswith("envs.classic_control.")]  # no draws of their own
ENVS, STEPS, LIMIT = 4, 240, 60  # every port ends episodes (LIMIT steps at most) within the loop


def _loop(env, params, key):
    """PureJaxRL's shape: vmapped envs under one jit, a tiny linear policy updated every step.

    Returns the final weights and, per step, what the wrappers report beside returns counted here.
    """
    obs_dim = env.observation_space(params).shape[0]
    space = env.action_space(params)
    discrete = hasattr(space, "n")
    width = space.n if discrete else int(np.prod(space.shape))

    def logp(w, obs, a):
        out = obs @ w
        return jax.nn.log_softmax(out)[a] if discrete else -0.5 * jnp.sum(jnp.square(a - out))

    def act(w, obs, k):
        out = obs @ w
        return jax.random.categorical(k, out) if discrete else out + jax.random.normal(k, out.shape)

    def body(carry, _):
        w, obs, state, key, ret = carry
        key, k_act, k_step = jax.random.split(key, 3)
        actions = jax.vmap(act, (None, 0, 0))(w, obs, jax.random.split(k_act, ENVS))
        obs2, state, reward, terminated, truncated, info = jax.vmap(env.step, (0, 0, 0, None))(
            jax.random.split(k_step, ENVS), state, actions, params
        )

        def loss(w):  # REINFORCE on the immediate reward, and a little weight decay
            return -jnp.mean(jax.vmap(logp, (None, 0, 0))(w, obs, actions) * reward) + 1e-3 * jnp.sum(jnp.square(w))

        w = w - 1e-3 * jax.grad(loss)(w)
        done = jnp.logical_or(terminated, truncated)
        ret = ret + reward
        report = (done, info["returned_episode"], info["returned_episode_returns"], ret, info["final_observation"], obs2)
        return (w, obs2, state, key, jnp.where(done, 0.0, ret)), report

    obs, state = jax.vmap(env.reset, (0, None))(jax.random.split(key, ENVS), params)
    w0 = jnp.zeros((obs_dim, width), jnp.float32) + 0.01
    (w, *_), report = jax.lax.scan(body, (w0, obs, state, key, jnp.zeros(ENVS, jnp.float32)), None, length=STEPS)
    return w0, w, obs, report


@pytest.mark.parametrize("port", JAX_PORTS, ids=[p.name for p in JAX_PORTS])
def test_gymnax_wrappers_run_unchanged_in_a_purejaxrl_loop(port):
    from gymnax.wrappers.purerl import FlattenObservationWrapper, LogWrapper

    inner = port.make_jax()
    with jax.enable_x64(False):  # as users run it; gymnax's LogWrapper keeps float32 counters
        env = LogWrapper(FlattenObservationWrapper(inner))
        params = inner.default_params.replace(max_steps_in_episode=LIMIT)
        space = env.observation_space(params)
        w0, w, obs, report = jax.jit(lambda k: _loop(env, params, k))(jax.random.PRNGKey(0))
    # jax.enable_x64 is process-wide state that JAX's caches do not key on everywhere (a numpy constant converted
    # to int32 inside the block was handed to an int64 program after it): start the next test from clean caches.
    jax.clear_caches()
    done, logged_done, logged_returns, own_returns, final_obs, next_obs = map(np.asarray, report)

    flat = math.prod(inner.observation_space(params).shape)
    assert space.shape == (flat,) and obs.shape == (ENVS, flat) and final_obs.shape == next_obs.shape == (STEPS, ENVS, flat)
    assert np.all(np.isfinite(np.asarray(w))) and not np.array_equal(np.asarray(w), np.asarray(w0))
    assert done.sum() >= ENVS and np.array_equal(done, logged_done)
    # The wrapper's return of each finished episode is the sum of that episode's rewards.
    np.testing.assert_allclose(logged_returns[done], own_returns[done], rtol=1e-5)
    # Where nothing ended, the final observation is the observation returned.
    assert np.array_equal(final_obs[~done], next_obs[~done])


@pytest.mark.parametrize("port", CLASSIC, ids=[p.name for p in CLASSIC])
def test_gymnasium_functional_env_steps_as_the_translation(port):
    jax_env = port.make_jax()
    params = jax_env.default_params.replace(max_steps_in_episode=30)
    env = gymnasium_env(jax_env, params)
    assert env.observation_space == jax_env.observation_space(params).to_gymnasium()
    assert env.action_space == jax_env.action_space(params).to_gymnasium()
    # A classic step has no draws of its own: any key's draws give the step the adapter took.
    own_step = jax.jit(lambda s, a: jax_env.step_env_det(s, a, jax_env.sample_draws(jax.random.PRNGKey(0), s, params), params))
    obs, _ = env.reset(seed=3)
    assert env.observation_space.contains(np.asarray(obs, env.observation_space.dtype))
    env.action_space.seed(0)
    ends = 0
    for _ in range(70):
        state = env.unwrapped.state.env_state
        action = env.action_space.sample()
        obs, reward, terminated, truncated, _ = env.step(action)
        want_obs, _, want_reward, want_terminated, _ = own_step(state, action)
        assert np.array_equal(np.asarray(obs), np.asarray(want_obs))
        assert reward == float(want_reward) and terminated == bool(want_terminated)
        assert truncated == (int(state.time) + 1 >= params.max_steps_in_episode)
        if terminated or truncated:
            ends += 1
            env.reset()
            assert int(env.unwrapped.state.env_state.time) == 0
    assert ends >= 2
