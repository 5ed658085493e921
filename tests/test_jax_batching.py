"""`envs.jax_batching.where_done` against the eager select, and the key-driven `JaxEnv.step` that uses it against
`step_det(sample_draws(...))` (the path the verifier drives), output for output."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs.jax_batching import default_capacity, where_done
from envs.registry import get_port
from ppo.bench import random_legal_jax


def fresh(key, offset):
    """A pytree of mixed dtypes and shapes, as a reset's state: a permutation, a uniform, a flag."""
    return {"deck": jax.random.permutation(key, 10).astype(jnp.int32) + offset,
            "u": jax.random.uniform(key), "flag": jnp.asarray(True)}


def kept_batch(shape):
    return {"deck": jnp.full((*shape, 10), -1, jnp.int32), "u": jnp.full(shape, 7.0), "flag": jnp.zeros(shape, bool)}


def eager(done, kept, key, offset):
    return jax.tree.map(lambda f, k: jnp.where(done, f, k), fresh(key, offset), kept)


def assert_same(got, want):
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


N = 32  # default capacities 4 and 16


def done_patterns():
    rng = np.random.default_rng(0)
    small, large = default_capacity(N)
    patterns = {"none": np.zeros(N, bool), "all": np.ones(N, bool), "one": np.eye(N, dtype=bool)[N - 1]}
    for name, count in (("small", small), ("small+1", small + 1), ("large", large), ("large+1", large + 1)):
        d = np.zeros(N, bool)
        d[rng.choice(N, count, replace=False)] = True
        patterns[name] = d
    return patterns


@jax.jit
def lazy_batch(done, kept, keys):
    return jax.vmap(lambda d, k, key: where_done(d, fresh, k, key, 3))(done, kept, keys)


@jax.jit
def eager_batch(done, kept, keys):
    return jax.vmap(lambda d, k, key: eager(d, k, key, 3))(done, kept, keys)


def test_vmapped_equals_the_eager_select():
    keys = jax.random.split(jax.random.PRNGKey(1), N)
    for done in done_patterns().values():
        assert_same(lazy_batch(jnp.asarray(done), kept_batch((N,)), keys), eager_batch(jnp.asarray(done), kept_batch((N,)), keys))


def test_the_gather_computes_only_capacity_lanes():
    """The batched program holds one `fresh` over `capacity` lanes (the gather) and one over the batch (the fallback)."""
    keys = jax.random.split(jax.random.PRNGKey(1), N)
    jaxpr = jax.make_jaxpr(jax.vmap(lambda d, k, key: where_done(d, fresh, k, key, 3, capacity=5)))(
        jnp.zeros(N, bool), kept_batch((N,)), keys)
    text = str(jaxpr)
    assert "cond[" in text and "i32[5,10]" in text and f"i32[{N},10]" in text


def test_unbatched_and_explicit_capacity():
    key = jax.random.PRNGKey(2)
    kept = jax.tree.map(lambda x: x[0], kept_batch((1,)))
    one, one_eager = jax.jit(lambda d: where_done(d, fresh, kept, key, 3)), jax.jit(lambda d: eager(d, kept, key, 3))
    for done in (True, False):
        assert_same(one(jnp.asarray(done)), one_eager(jnp.asarray(done)))
    done = jnp.asarray(done_patterns()["small+1"])  # 5 done: the fallback at capacity 1, the gather at 16, all at N
    keys = jax.random.split(key, N)
    for cap in (1, lambda n: n // 2, N, (2, lambda n: n // 4)):
        got = jax.jit(jax.vmap(lambda d, k, s: where_done(d, fresh, k, s, 3, capacity=cap)))(done, kept_batch((N,)), keys)
        assert_same(got, eager_batch(done, kept_batch((N,)), keys))
    # One key for the whole batch: every done lane gets the same new value.
    shared = jax.jit(jax.vmap(lambda d, k: where_done(d, fresh, k, key, 3)))(done, kept_batch((N,)))
    assert_same(shared, eager_batch(done, kept_batch((N,)), jnp.broadcast_to(key, keys.shape)))


def test_nested_vmap_and_arguments_batched_on_either_axis():
    """Seeds over environments: the outer axis folds into the inner one; `offset` batched only on the outer axis,
    `kept` only on the inner one."""
    m = 3
    keys = jax.random.split(jax.random.PRNGKey(3), m * N).reshape(m, N, -1)
    done = jax.random.bernoulli(jax.random.PRNGKey(4), 0.1, (m, N))
    offsets = jnp.arange(m, dtype=jnp.int32) * 100

    def nest(f):
        return jax.vmap(jax.vmap(f, in_axes=(0, 0, 0, None)), in_axes=(0, None, 0, 0))

    got = jax.jit(nest(lambda d, k, s, o: where_done(d, fresh, k, s, o)))(done, kept_batch((N,)), keys, offsets)
    assert_same(got, jax.jit(nest(eager))(done, kept_batch((N,)), keys, offsets))
    # Three levels, the outermost over two such batches, with room for one done lane in all 192.
    args = (jnp.stack([done, ~done]), kept_batch((N,)), jnp.stack([keys, keys]), jnp.stack([offsets, offsets + 1]))
    three = jax.vmap(nest(lambda d, k, s, o: where_done(d, fresh, k, s, o, capacity=1)), in_axes=(0, None, 0, 0))
    assert_same(jax.jit(three)(*args), jax.jit(jax.vmap(nest(eager), in_axes=(0, None, 0, 0)))(*args))


def test_not_differentiable():
    """No JVP rule: an environment's auto-reset is never differentiated here, and `grad` says so instead of guessing."""
    with pytest.raises(Exception):
        jax.grad(lambda x: where_done(jnp.asarray(True), lambda y: y * 2.0, x, x))(1.0)


def both_paths(env, batch, steps, seed=0):
    """`steps` vmapped steps of `env` by `step_det(sample_draws)` and by the key-driven `step` (lazy), from the same
    keys and random legal actions, in one program: every output of every step, stacked, for each path."""
    params = env.default_params
    keys = jax.random.split(jax.random.PRNGKey(seed), batch)
    _, states = jax.vmap(lambda k: env.reset(k, params))(keys)
    n = env.action_space(params).n

    def eager_step(k, s, a):
        return env.step_det(s, a, env.sample_draws(k, s, params), params)

    def body(carry, key):
        s_old, s_new = carry
        k_act, k_step = jax.random.split(key)
        mask = jax.vmap(lambda s: env.action_mask(s, params))(s_old) if env.has_action_mask else jnp.ones((batch, n), bool)
        actions = random_legal_jax(mask, jax.random.uniform(k_act, (batch,)))
        ks = jax.random.split(k_step, batch)
        old = jax.vmap(eager_step)(ks, s_old, actions)
        new = jax.vmap(lambda k, s, a: env.step(k, s, a, params))(ks, s_new, actions)
        return (old[1], new[1]), (old, new)

    _, (old, new) = jax.jit(lambda c: jax.lax.scan(body, c, jax.random.split(jax.random.PRNGKey(seed + 1), steps)))((states, states))
    return old, new


# Batch 16 (capacities 2 and 8): steps take either gather, or the full batch when more than 8 games end. The
# mechanism does not depend on the game; UNO and Brinewatch (200 steps each, equal too when this was written) compile
# both paths for about 40 s each on the 2-core machine, so the suite keeps a classic port and a card game.
@pytest.mark.parametrize("name,steps", [("cartpole", 300), ("rlcard-limit-holdem", 300)])
def test_key_driven_step_equals_step_det(name, steps):
    env = get_port(name).make_jax()
    env.lazy_reset = True  # cartpole takes the eager path by default: force the lazy one here
    assert env.uses_lazy_reset()
    old, new = both_paths(env, 16, steps)
    dones = np.asarray(old[3] | old[4])
    assert dones.any(axis=1).sum() > 5  # games ended: the new ones came from the lazy reset
    assert_same(new, old)


def test_which_ports_reset_lazily():
    """By default (`lazy_reset = None`) the ports with a shuffled deck reset lazily, a few uniforms eagerly; MinAtar
    splits its draws its own way and stays eager."""
    lazy = {name: get_port(name).make_jax().uses_lazy_reset() for name in
            ("cartpole", "rlcard-uno", "rlcard-limit-holdem", "brinewatch", "minatar-breakout")}
    assert lazy == {"cartpole": False, "rlcard-uno": True, "rlcard-limit-holdem": True, "brinewatch": True,
                    "minatar-breakout": False}


def test_the_seated_face_resets_lazily_with_the_same_result():
    """`envs.seated.SeatedJaxEnv.step` deals the next game through `where_done` when its game resets lazily: the same
    outputs as the eager select, step for step (Leduc, lazy forced on and off; its games end every few steps)."""
    from envs.seated import SeatedJaxEnv

    def run(lazy):
        game = get_port("rlcard-leduc-holdem").make_jax()
        game.lazy_reset = lazy
        assert game.uses_lazy_reset() == lazy
        env = SeatedJaxEnv(game, 0)
        params = env.default_params
        _, states = jax.vmap(lambda k: env.reset(k, params))(jax.random.split(jax.random.PRNGKey(0), 16))

        def body(s, key):
            k_act, k_step = jax.random.split(key)
            mask = jax.vmap(lambda x: env.action_mask(x, params))(s)
            actions = random_legal_jax(mask, jax.random.uniform(k_act, (16,)))
            out = jax.vmap(lambda k, x, a: env.step(k, x, a, params))(jax.random.split(k_step, 16), s, actions)
            return out[1], out

        return jax.jit(lambda s: jax.lax.scan(body, s, jax.random.split(jax.random.PRNGKey(1), 60))[1])(states)

    lazy, eager = run(True), run(False)
    assert np.asarray(eager[3]).sum() > 60  # games ended, so new ones were dealt
    assert_same(lazy, eager)


def test_the_lazy_auto_reset_takes_the_ports_own_reset():
    """The key-driven step's new episode comes from `env.reset(key)`, so a port that overrides `reset` (UNO: the same
    state with its rare flip shuffles sorted only where used) has that override used; here a marked one."""
    base = get_port("cartpole").make_jax()

    class Marked(type(base)):
        lazy_reset = True

        def reset(self, key, params=None):
            obs, state = super().reset(key, params)
            return obs, state.replace(x=state.x + 100.0)

    env, params = Marked(), base.default_params
    keys = jax.random.split(jax.random.PRNGKey(0), 4)
    _, states = jax.vmap(lambda k: base.reset(k, params))(keys)
    states = states.replace(x=jnp.asarray([0.0, 5.0, 0.0, 5.0]))  # lanes 1 and 3 out of bounds: they end and reset
    _, out, _, done, _, _ = jax.vmap(lambda k, s: env.step(k, s, 0, params))(keys, states)
    np.testing.assert_array_equal(np.asarray(done), [False, True, False, True])
    assert np.all(np.asarray(out.x)[[1, 3]] > 99.0) and np.all(np.abs(np.asarray(out.x)[[0, 2]]) < 1.0)
