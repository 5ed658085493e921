"""Numerics of verification runs: float64 JAX and strict IEEE arithmetic.

Levels L1-L3 compare a translation with a float64 reference to round-off. Two
settings make that possible and must be in place before JAX computes anything:

- `jax_enable_x64`, so the translation computes in float64 like the reference;
- `--xla_cpu_max_isa=AVX`, which keeps XLA's CPU backend from contracting
  `a * b + c` into fused multiply-adds. numpy never fuses, so with FMA the two
  sides differ by an ulp in about one operation in five (measured here), and
  chaotic dynamics turn that into visible divergence.
"""

from __future__ import annotations

import os

STRICT_XLA_FLAG = "--xla_cpu_max_isa=AVX"


def enable_verification_numerics() -> None:
    """Switch this process to float64, FMA-free JAX. Call before any JAX computation."""
    flags = os.environ.get("XLA_FLAGS", "")
    if STRICT_XLA_FLAG not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {STRICT_XLA_FLAG}".strip()
    import jax

    jax.config.update("jax_enable_x64", True)


def verification_numerics_enabled() -> bool:
    """Whether this process runs float64 JAX with the strict XLA flag."""
    import jax

    return bool(jax.config.jax_enable_x64) and STRICT_XLA_FLAG in os.environ.get("XLA_FLAGS", "")
