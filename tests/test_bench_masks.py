"""Benchmarks of a port with a legal-action mask: every backend steps uniformly random *legal* actions,
chosen by one rule (`ppo.bench.random_legal`, its JAX twin and the Rust vector env's `sample_legal`)."""

from __future__ import annotations

from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np

from masked_toys import MaskedPick, MaskedPickGym
from ppo import bench

PICK = SimpleNamespace(name="masked-pick", action_mask=True, make_reference=MaskedPickGym, make_jax=MaskedPick, backends=("jax",))


def test_the_rule_is_uniform_over_legal_actions_and_the_same_in_numpy_and_jax():
    rng = np.random.default_rng(0)
    mask = rng.random((5000, 27)) < 0.2
    mask[:, 0] = True  # END_TURN-like: always legal
    u = rng.random(5000)
    a = bench.random_legal(mask, u)
    assert mask[np.arange(5000), a].all()
    np.testing.assert_array_equal(np.asarray(bench.random_legal_jax(jnp.asarray(mask), jnp.asarray(u, jnp.float32))), a)
    row = np.asarray([False, True, False, True, True])
    picks = bench.random_legal(np.broadcast_to(row, (30000, 5)), (np.arange(30000) + 0.5) / 30000)
    assert np.bincount(picks, minlength=5).tolist() == [0, 10000, 0, 10000, 10000]
    assert bench.random_legal(row, np.float64(1.0 - 1e-16)) == 4


def test_masked_reference_and_jax_benchmarks_take_legal_actions_only():
    MaskedPickGym.illegal_taken = 0
    rows = bench.run_bench(PICK, ("reference", "jax"), batch_sizes=(16,), repeats=1, budget=2000)
    assert MaskedPickGym.illegal_taken == 0
    assert {r["backend"] for r in rows if r["steps_per_second"]} == {"reference", "jax"}, rows
    # the JAX runner's carry holds the returned masks; its actions never draw the -1000 of an illegal pick
    env = MaskedPick()
    params = env.default_params
    obs, states = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(jax.random.PRNGKey(0), 64), params)
    mask = jax.vmap(env.action_mask)(states)
    for t in range(20):
        actions = bench.random_legal_jax(mask, jax.random.uniform(jax.random.PRNGKey(t), (64,)))
        obs, states, reward, _, _, info = jax.vmap(env.step, in_axes=(0, 0, 0, None))(jax.random.split(jax.random.PRNGKey(100 + t), 64), states, actions, params)
        assert (np.asarray(reward) >= 0).all()
        mask = info["action_mask"]
