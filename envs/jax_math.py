"""What XLA's CPU backend computes slowly, as plain arithmetic it vectorises and fuses: float32 sin and cos, and
the k-th true of a mask.

**sin and cos.** XLA's CPU backend evaluates float32 `sin` and `cos` one element at a time, about 3 ns each on
this machine against about 0.02 ns for a fused multiply-add, and copies them into every fusion
that reads them: Acrobot's compiled bench step held 44 of them and spent more than half its time
there (docs/benchmarks.md). Here a float32 sine or cosine is a Cody-Waite reduction to
[-pi/4, pi/4] and two short polynomials, which XLA vectorises and fuses like any other
arithmetic; one reduction serves both values of `sincos`.

Accuracy (tests/test_jax_math.py): an absolute error below one float32 epsilon (0.65 measured)
for |x| up to 6,000 (2**12 quadrants, where the reduction's products are exact with or without
fused multiply-adds); beyond, it loses bits (0.03 at 1e6 without fused multiply-adds, meaningless
near the float32 maximum); NaN and infinities give NaN. Any other dtype, float64 included, gets `jnp.sin` and `jnp.cos` themselves: the
verification build (float64) computes the reference's libm values bit for bit, as before.

**The k-th true.** `jnp.cumsum` on the CPU is a reduce-window whose every output sums its whole prefix, n**2 / 2
additions for a row of n: the k-th legal action of UNO's 61-action mask by `argmax(cumsum(mask) > k)` cost about a
third of a microsecond an environment, up to 29% of UNO's bench loop (1.40x its steps/s without it at 8,192). `kth_true` counts in blocks of about
sqrt(n) (for 61 actions, 8 blocks of 8): the same index, about 3x cheaper.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

# pi/2 in three float32 parts; the first two have 12 significant bits, so k * part is exact for |k| < 2**12.
_PIO2_1 = 1.5703125
_PIO2_2 = 4.837512969970703e-04
_PIO2_3 = 7.549790126404332e-08
# Taylor coefficients: on |r| <= pi/4 the first omitted terms (r**11/11!, r**12/12!) are below 0.03 ulp.
_SIN = tuple((-1) ** i / math.factorial(2 * i + 1) for i in range(5))  # r, r**3, ..., r**9
_COS = tuple((-1) ** i / math.factorial(2 * i) for i in range(6))  # 1, r**2, ..., r**10


def _horner(coefficients, z):
    """coefficients[0] + coefficients[1] z + ... evaluated by Horner's rule."""
    acc = jnp.asarray(coefficients[-1], z.dtype)
    for c in reversed(coefficients[:-1]):
        acc = acc * z + c
    return acc


def sincos(x):
    """(sin x, cos x); in float32 from one shared range reduction, in any other dtype `jnp.sin`, `jnp.cos`."""
    x = jnp.asarray(x)
    if x.dtype != jnp.float32:
        return jnp.sin(x), jnp.cos(x)
    k = jnp.round(x * jnp.float32(2 / math.pi))
    r = ((x - k * _PIO2_1) - k * _PIO2_2) - k * _PIO2_3
    r2 = r * r
    s = r * _horner(_SIN, r2)
    c = _horner(_COS, r2)
    # x = k pi/2 + r: the quadrant k mod 4 swaps and negates the pair.
    q = k.astype(jnp.int32)
    odd = (q & 1) == 1
    sin_x = jnp.where(odd, c, s)
    cos_x = jnp.where(odd, s, c)
    return jnp.where((q & 2) == 2, -sin_x, sin_x), jnp.where(((q + 1) & 2) == 2, -cos_x, cos_x)


def sin(x):
    """sin x, as `sincos` computes it."""
    return sincos(x)[0]


def cos(x):
    """cos x, as `sincos` computes it."""
    return sincos(x)[1]


def kth_true(mask, k):
    """The index, along the last axis, of the `k`-th (from 0) true element of `mask`, per row: the index
    `argmax(cumsum(mask) > k)` gives, for 0 <= k < the row's count of trues (k < 0 gives 0; k at or beyond the count,
    an index past the row's end). Counted in blocks of about sqrt(n) (module docstring)."""
    mask = jnp.asarray(mask)
    k = jnp.asarray(k, jnp.int32)
    n = mask.shape[-1]
    width = math.isqrt(max(n - 1, 0)) + 1  # ceil(sqrt(n))
    blocks = -(-n // width)
    lead = mask.shape[:-1]
    m = jnp.pad(mask.astype(jnp.int32), [(0, 0)] * len(lead) + [(0, blocks * width - n)]).reshape(*lead, blocks, width)
    per_block = jnp.sum(m, axis=-1)
    block = jnp.sum(jnp.cumsum(per_block, axis=-1) <= k[..., None], axis=-1)  # the block holding the k-th true
    earlier = jnp.arange(blocks) < block[..., None]
    before = jnp.sum(jnp.where(earlier, per_block, 0), axis=-1)
    row = jnp.sum(jnp.where((jnp.arange(blocks) == block[..., None])[..., None], m, 0), axis=-2)
    return (block * width + jnp.sum(jnp.cumsum(row, axis=-1) <= (k - before)[..., None], axis=-1)).astype(jnp.int32)
