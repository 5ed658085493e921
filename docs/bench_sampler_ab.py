"""The bench's JAX loop with its earlier random legal action (`argmax(cumsum(mask) > k)`) against the shipped one
(`envs.jax_math.kth_true`): the same actions, in one process, taking turns, median of 5 (docs/benchmarks.md,
6 Dec 2026).

    PYTHONPATH=$PWD .venv/bin/python docs/bench_sampler_ab.py rlcard-uno 512,2048,8192
"""

from __future__ import annotations

import sys
import time

import jax.numpy as jnp
import numpy as np

from envs import registry
from ppo import bench


def argmax_cumsum(mask, u):
    """The sampler before 6 Dec 2026."""
    count = jnp.cumsum(mask, axis=-1)
    k = jnp.minimum(jnp.floor(u * count[..., -1]).astype(count.dtype), count[..., -1] - 1)
    return jnp.argmax(count > k[..., None], axis=-1).astype(jnp.int32)


def main(name: str, batch_sizes: list[int]) -> None:
    port = registry.get_port(name)
    shipped = bench.random_legal_jax
    for batch in batch_sizes:
        runs = {}
        for label, sampler in (("argmax(cumsum)", argmax_cumsum), ("kth_true", shipped)):
            bench.random_legal_jax = sampler  # read when the runner is traced, below
            runs[label] = bench.prepare_jax(port, batch, max(1, 2_000_000 // batch))
            runs[label].run()
            runs[label].run()
        bench.random_legal_jax = shipped
        rates = {label: [] for label in runs}
        for _ in range(5):
            for label, prepared in runs.items():
                start = time.perf_counter()
                steps = prepared.run()
                rates[label].append(steps / (time.perf_counter() - start))
        before, after = (float(np.median(r)) for r in rates.values())
        print(f"{name} batch {batch}: argmax(cumsum) {before / 1e6:.3f}M, kth_true {after / 1e6:.3f}M steps/s: "
              f"{after / before:.2f}x", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], [int(b) for b in sys.argv[2].split(",")])
