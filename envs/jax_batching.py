"""`where_done`: a select whose new values are computed, under `vmap`, only for the lanes that take them.

An auto-reset is `jnp.where(done, fresh_fn(key), kept)`. Under `vmap` that computes `fresh_fn` (a new game: its
shuffles, sorts and set-up) for every environment in every step, although a card game ends once in 10 to 45 steps.
`where_done` gives the same result element for element, but its `vmap` rule (`jax.custom_batching.custom_vmap`)
gathers the done lanes into the smallest of a few capacities they fit in (by default an eighth and a half of the
batch), runs `fresh_fn` vmapped on those only, and scatters the results back; when more lanes than the largest
capacity are done it computes the full batch (`lax.switch`). Unbatched it is a `lax.cond`.

Nested `vmap` (PPO vmaps seeds over environments) is flattened: the rule of each outer `vmap` folds its axis into the
inner one, so the gather picks done lanes among all seeds' environments. `jit` works as usual. There is no
differentiation rule: `jax.grad` through it raises (an environment's step is not differentiated by anyone here; a
reset's shuffles have no useful gradient anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

import jax
import jax.numpy as jnp
from jax import lax
from jax.custom_batching import custom_vmap

Capacity = int | Callable[[int], int] | Sequence[int | Callable[[int], int]] | None


def default_capacity(batch: int) -> tuple[int, int]:
    """Two gathers, one with room for one lane in eight (at least one) and one for half the batch: a game that ends
    once in 10-45 steps (UNO, Brinewatch) fits the first, one that ends once in three (Limit Hold'em, whose random
    play folds often) the second, and a batch that resets all at once takes the full batch."""
    return max(1, batch // 8), max(1, batch // 2)


def _capacities(capacity: Capacity, batch: int) -> list[int]:
    """The gathers' sizes, ascending, each below `batch` (a gather of the whole batch is the full computation)."""
    capacity = default_capacity if capacity is None else capacity
    tiers = capacity(batch) if callable(capacity) else capacity
    tiers = tiers if isinstance(tiers, Sequence) else (tiers,)
    sizes = {max(1, int(t(batch) if callable(t) else t)) for t in tiers}
    return sorted(c for c in sizes if c < batch)


def _select(done, fresh, kept):
    """`jnp.where(done, fresh, kept)` leaf by leaf, `done` broadcast over each leaf's trailing axes."""

    def one(f, k):
        d = jnp.reshape(done, done.shape + (1,) * (jnp.ndim(k) - jnp.ndim(done)))
        return jnp.where(d, f, k)

    return jax.tree.map(one, fresh, kept)


def _promote(fresh_shapes, kept):
    """`kept` in the dtypes `jnp.where(done, fresh, kept)` gives (so the scatter and the select agree on them)."""
    return jax.tree.map(lambda f, k: jnp.asarray(k, jnp.result_type(f, k)), fresh_shapes, kept)


def where_done(done, fresh_fn: Callable[..., Any], kept, *args, capacity: Capacity = None):
    """`jnp.where(done, fresh_fn(*args), kept)` (leaf by leaf over the pytree `kept`), with `fresh_fn` computed under
    `vmap` only for the lanes where `done` holds.

    `fresh_fn(*args)` returns a pytree shaped like `kept`; it must be a pure function of `args` (whatever varies per
    lane must come in through `args`: a closure over a vmapped value is refused by `custom_vmap`). `capacity` is how
    many done lanes a gather makes room for: an int, a function of the (flattened) batch size, or a sequence of them
    (one gather each, the smallest that fits is taken), by default `default_capacity` (an eighth and a half of the
    batch). More done lanes than the largest: the full batch is computed and selected, as eager.
    """

    @custom_vmap
    def lazy(done, kept, args):
        fresh = lambda: _promote(kept, fresh_fn(*args))  # noqa: E731  (the dtypes of the eager select)
        shapes = jax.eval_shape(lambda: fresh_fn(*args))
        return lax.cond(done, fresh, lambda: _promote(shapes, kept))

    @lazy.def_vmap
    def rule(axis_size, in_batched, done, kept, args):
        done_b, kept_b, args_b = in_batched
        done = done if done_b else jnp.broadcast_to(done, (axis_size,))
        kept = jax.tree.map(lambda x, b: x if b else jnp.broadcast_to(x, (axis_size, *jnp.shape(x))), kept, kept_b)
        out = _compact(fresh_fn, capacity, args_b)(done, kept, args)
        return out, jax.tree.map(lambda _: True, out)

    return lazy(jnp.asarray(done, bool), kept, args)


def traced_leaves(tree) -> tuple[list, Callable[[list], Any]]:
    """The traced leaves of `tree` (a jit argument or a vmapped value) and a function that rebuilds `tree` from new
    values for them: how a `fresh_fn` of `where_done` gets env params that may vary per lane, which it must take
    as arguments, while the static ones stay static."""
    leaves, treedef = jax.tree.flatten(tree)
    traced = [i for i, leaf in enumerate(leaves) if isinstance(leaf, jax.core.Tracer)]

    def rebuild(values: list) -> Any:
        whole = list(leaves)
        for i, value in zip(traced, values):
            whole[i] = value
        return jax.tree.unflatten(treedef, whole)

    return [leaves[i] for i in traced], rebuild


def _compact(fresh_fn, capacity: Capacity, args_batched):
    """The batched computation on one flat batch axis (leading axis of `done`, of every `kept` leaf and of the `args`
    leaves marked in `args_batched`); its own `vmap` rule folds an outer batch axis into that one."""

    @custom_vmap
    def compact(done, kept, args):
        n = done.shape[0]
        if not any(jax.tree.leaves(args_batched)):  # the same new value for every lane (one key for all): once
            fresh = fresh_fn(*args)
            return _select(done, fresh, _promote(fresh, kept))
        caps = _capacities(capacity, n)
        in_axes = jax.tree.map(lambda b: 0 if b else None, args_batched)
        run = jax.vmap(fresh_fn, in_axes=in_axes)
        shapes = jax.eval_shape(run, *args)
        kept = _promote(shapes, kept)

        def full():
            return _select(done, run(*args), kept)

        def gathered(cap):
            # Done lanes first, padded with the index n: gathers clip it (a harmless extra lane), scatters drop it.
            idx = jnp.nonzero(done, size=cap, fill_value=n)[0]
            sub = jax.tree.map(lambda x, b: jnp.take(x, idx, axis=0, mode="clip") if b else x, args, args_batched)
            fresh = run(*sub)
            return jax.tree.map(lambda k, f: k.at[idx].set(f.astype(k.dtype), mode="drop"), kept, fresh)

        if not caps:
            return full()
        # The smallest gather the done lanes fit in; more than the largest: the full batch.
        count = jnp.sum(done, dtype=jnp.int32)
        which = jnp.sum(count > jnp.asarray(caps, jnp.int32), dtype=jnp.int32)
        return lax.switch(which, [lambda c=c: gathered(c) for c in caps] + [full])

    @compact.def_vmap
    def fold(axis_size, in_batched, done, kept, args):
        done_b, kept_b, args_b = in_batched
        m, n = axis_size, done.shape[-1]

        def flat(x, outer, inner=True):
            """(m, n, ...) from whichever of the two axes `x` has, then the two folded into one."""
            if not inner:
                x = x[:, None] if outer else x  # (m, ...) -> (m, 1, ...), or unbatched: stays unbatched
                if not outer:
                    return x
            elif not outer:
                x = x[None]
            x = jnp.broadcast_to(x, (m, n, *jnp.shape(x)[2:]))
            return jnp.reshape(x, (m * n, *jnp.shape(x)[2:]))

        done = flat(done, done_b)
        kept = jax.tree.map(flat, kept, kept_b)
        args = jax.tree.map(lambda x, o, i: flat(x, o, i), args, args_b, args_batched)
        now_batched = jax.tree.map(lambda o, i: o or i, args_b, args_batched)
        out = _compact(fresh_fn, capacity, now_batched)(done, kept, args)
        out = jax.tree.map(lambda x: jnp.reshape(x, (m, n, *x.shape[1:])), out)
        return out, jax.tree.map(lambda _: True, out)

    return compact
