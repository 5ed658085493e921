"""sin and cos in float32 as plain elementwise arithmetic: vectorised and fused into the step.

XLA's CPU backend evaluates float32 `sin` and `cos` one element at a time, about 3 ns each on
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
