"""Brinewatch's JAX translation computes some standard operations in forms that are fast under vmap on the CPU
(envs/spec_games/brinewatch/jax_env.py); each must give exactly what the standard operation gives, ties included."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

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
    u = jnp.asarray(rng.random((4000, 6)), jnp.float32)
    assert (np.asarray(jax.vmap(bw._pick)(u, jnp.asarray(idx))) == np.asarray(u)[np.arange(4000), idx]).all()
