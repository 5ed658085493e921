"""Threefry draws written as plain elementwise operations: jax.random's numbers, fused into the step.

On the CPU, JAX lowers each threefry hash as a rolled loop (a `while` of five iterations) that
XLA runs as separate kernels, iteration by iteration, and cannot fuse with the code around it.
In a cheap environment step the hashing then costs more than the game: Breakout's step had four
such loops, about half of its time. Written out with jnp operations, the hash becomes part of
the step's own fusions.

`split`, `bits` and `uniform` return exactly what `jax.random.split`, `jax.random.bits` (uint32)
and `jax.random.uniform` return for a threefry key under JAX's default
`jax_threefry_partitionable`; with any other key implementation or setting they call
jax.random itself.
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def threefry2x32(k1, k2, x1, x2):
    """The Threefry-2x32 hash (20 rounds) of the counter pair (x1, x2) under the key (k1, k2), uint32."""
    ks = (k1, k2, k1 ^ k2 ^ np.uint32(0x1BD11BDA))
    x1, x2 = x1 + ks[0], x2 + ks[1]
    for group in range(5):
        for r in _ROTATIONS[group % 2]:
            x1 = x1 + x2
            x2 = x1 ^ ((x2 << np.uint32(r)) | (x2 >> np.uint32(32 - r)))
        x1 = x1 + ks[(group + 1) % 3]
        x2 = x2 + ks[(group + 2) % 3] + np.uint32(group + 1)
    return x1, x2


def _key_words(key):
    """(k1, k2) of a threefry key, or None where jax.random must draw (another generator or setting)."""
    if not jax.config.jax_threefry_partitionable:
        return None
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        if "threefry" not in str(jax.random.key_impl(key)):
            return None
        key = jax.random.key_data(key)
    elif jax.config.jax_default_prng_impl != "threefry2x32" or key.shape[-1:] != (2,):
        return None
    return key[..., 0], key[..., 1]


def _hash_counters(words, shape):
    """Both words of the hash of the counters 0 .. prod(shape)-1, each shaped `shape`."""
    counters = jnp.arange(math.prod(shape), dtype=jnp.uint32).reshape(shape)
    return threefry2x32(words[0], words[1], jnp.zeros_like(counters), counters)


def _bits32(words, shape):
    """One 32-bit word per element, as jax.random.bits: the two words of each hash xored."""
    hi, lo = _hash_counters(words, shape)
    return hi ^ lo


# The public functions are jitted, as jax.random's are: called eagerly, each of the hash's ~80 operations
# would be a dispatch of its own (about 5 ms a call). `inline` puts them into an enclosing jit's program,
# where they fuse with the step.
@partial(jax.jit, static_argnums=1, inline=True)
def split(key, num: int = 2):
    """`jax.random.split(key, num)`, computed as fusible elementwise operations."""
    words = _key_words(key)
    if words is None:
        return jax.random.split(key, num)
    hi, lo = _hash_counters(words, (num,))
    data = jnp.stack([hi, lo], axis=-1)
    return jax.random.wrap_key_data(data, impl=jax.random.key_impl(key)) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else data


@partial(jax.jit, static_argnums=1, inline=True)
def bits(key, shape=()):
    """`jax.random.bits(key, shape, jnp.uint32)`, computed as fusible elementwise operations."""
    words = _key_words(key)
    if words is None:
        return jax.random.bits(key, shape, jnp.uint32)
    return _bits32(words, tuple(shape))


@partial(jax.jit, static_argnums=(1, 2), inline=True)
def uniform(key, shape=(), dtype=None):
    """`jax.random.uniform(key, shape, dtype)` in [0, 1), computed as fusible elementwise operations."""
    dtype = jnp.dtype(jnp.result_type(float) if dtype is None else dtype)
    words = _key_words(key)
    if words is None or dtype not in (jnp.float32, jnp.float64):
        return jax.random.uniform(key, shape, dtype)
    # As jax.random.uniform: the top mantissa-width bits under the exponent of 1.0, minus 1.
    if dtype == jnp.float32:
        mantissa = _bits32(words, tuple(shape)) >> np.uint32(32 - 23) | np.uint32(0x3F800000)
        return jax.lax.bitcast_convert_type(mantissa, jnp.float32) - np.float32(1)
    hi, lo = _hash_counters(words, tuple(shape))
    word = hi.astype(jnp.uint64) << np.uint64(32) | lo.astype(jnp.uint64)
    mantissa = word >> np.uint64(64 - 52) | np.uint64(0x3FF0000000000000)
    return jax.lax.bitcast_convert_type(mantissa, jnp.float64) - np.float64(1)


@partial(jax.jit, static_argnums=1, inline=True)
def permutation(key, n: int):
    """A uniformly random permutation of 0 .. n-1 (int32): the order that sorts n random 32-bit words.

    Not `jax.random.permutation`'s numbers (that one sorts several rounds of keys); the order is
    uniform up to ties between two of the n words, which a stable sort breaks by position
    (probability below n**2 / 2**33: 3e-8 for a deck of 16).
    """
    return jnp.argsort(bits(key, (n,)), stable=True).astype(jnp.int32)


def ranked_permutation(u, n):
    """The permutation that ranked uniforms `u` (shape (N,)) stand for, for a shuffle of `n` <= N items (`n` may be
    traced): the first n entries are the stable argsort of `u[:n]`, a uniformly random permutation of 0 .. n-1 when the
    uniforms are independent; entries n .. N-1 are n .. N-1. int32, shape (N,).

    What the randomness tape answers a reference's `shuffle` / `permutation` of n items with from the same uniforms
    (`verify.tape.ranked_order`). Ties between two of the n uniforms are broken by position: in float32 (23 random
    bits) about n**2 / 2**24 a shuffle (7e-4 for 108 cards), in float64 negligible.
    """
    u = jnp.asarray(u)
    keys = jnp.where(jnp.arange(u.shape[-1]) < n, u, jnp.asarray(2, u.dtype))  # past n: after every uniform, in order
    return jnp.argsort(keys, axis=-1, stable=True).astype(jnp.int32)


# XLA's CPU sort of one integer array is about 15x faster than an argsort (a sort of two arrays, keys and
# positions, under a comparator): for a permutation of up to 128 items the position goes into the key's low
# 7 bits, so one single-array sort gives the order.
_POS_BITS = 7
PACKED_MAX = 1 << _POS_BITS


def packed_permutation(key, n: int):
    """A uniformly random permutation of 0 .. n-1 (int32, n <= 128) from one sort of n packed words: each random
    32-bit word's top 25 bits above its position. The order is uniform up to ties between two of the n 25-bit
    keys, which fall to position (probability below n**2 / 2**26: 1.7e-4 for 108 cards, about the float32 tie rate
    `ranked_permutation` already has). Not `permutation`'s numbers."""
    if n > PACKED_MAX:
        raise ValueError(f"packed_permutation takes at most {PACKED_MAX} items, got {n}")
    position = jnp.arange(n, dtype=jnp.uint32)
    words = bits(key, (n,)) >> np.uint32(_POS_BITS) << np.uint32(_POS_BITS) | position
    return (jnp.sort(words) & np.uint32(PACKED_MAX - 1)).astype(jnp.int32)


def rank_permutation(key, n: int):
    """A uniformly random permutation of 0 .. n-1 (int32, n <= 128): item i's rank among the n packed words of
    `packed_permutation` (the same key), so exactly the inverse of `packed_permutation(key, n)`, and as uniform.

    The ranks are counted by n comparisons of whole vectors, written out, which XLA fuses into one elementwise
    loop: under `vmap` on the CPU about 3x faster than the sort for 52 items (240 against 720 ns), since XLA's CPU
    sort runs row by row. The work grows as n**2, so the sort wins for large n."""
    if n > PACKED_MAX:
        raise ValueError(f"rank_permutation takes at most {PACKED_MAX} items, got {n}")
    position = jnp.arange(n, dtype=jnp.uint32)
    words = bits(key, (n,)) >> np.uint32(_POS_BITS) << np.uint32(_POS_BITS) | position
    rank = jnp.zeros((n,), jnp.int32)
    for j in range(n):
        rank = rank + (words[j] < words).astype(jnp.int32)
    return rank


def packed_ranked_permutation(u, n):
    """`ranked_permutation(u, n)` for N = u.shape[-1] <= 128 items, by one sort of integer keys (the uniform as an
    integer above its position) instead of an argsort.

    Exactly `ranked_permutation`'s result when every uniform is a multiple of 2**-23 (float32: what `uniform` draws)
    or 2**-53 (float64, under jax_enable_x64: numpy's and `uniform`'s float64 draws); two other float32 uniforms
    closer than 2**-23 count as tied (broken by position, as equal ones are)."""
    u = jnp.asarray(u)
    size = u.shape[-1]
    if size > PACKED_MAX:
        raise ValueError(f"packed_ranked_permutation takes at most {PACKED_MAX} items, got {size}")
    if u.dtype == jnp.float64:
        itype, mantissa = jnp.int64, 53
    else:
        itype, mantissa = jnp.int32, 23
        u = u.astype(jnp.float32)
    position = jnp.arange(size, dtype=itype)
    scaled = jnp.floor(u * float(2**mantissa)).astype(itype)
    scaled = jnp.where(position < n, scaled, jnp.asarray(2**mantissa, itype))  # past n: after every uniform
    keys = scaled << _POS_BITS | position
    return (jnp.sort(keys, axis=-1) & (PACKED_MAX - 1)).astype(jnp.int32)
