"""The seed-vmap stall of XLA's CPU runtime, in a few lines (jaxlib 0.10.0 to 0.10.2, not 0.9.2; README.md).

Run: python docs/stall/repro.py [SEEDS] [MODE]   (MODE: vmap, the default, or map)

Two orthogonal initialisations (an actor's and a critic's layer, as PPO makes them), vmapped over
seeds: each becomes one batched LAPACK QR (`lapack_sgeqrf_ffi`), and the two are independent, so
XLA's thunk executor runs them at once on its intra-op thread pool. Each QR splits its batch over
that same pool (`jax::ParallelBatchMap`) and blocks until its pieces are done; with as many QRs
running as the pool has threads (2 on a 2-core machine), every thread is blocked waiting for
pieces that no thread is free to run. The process then sleeps for good at 0% CPU. `map` (seeds one
after another: unbatched QRs, which do not split) finishes at once.
"""

import os
import sys
import time

import jax

seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
mode = sys.argv[2] if len(sys.argv) > 2 else "vmap"
threads = os.cpu_count()
orthogonal = jax.nn.initializers.orthogonal()


def init(key):
    """One orthogonal matrix per pool thread, independent of each other (so they run concurrently)."""
    return [orthogonal(k, (400, 256)) for k in jax.random.split(key, 2 * threads)]


keys = jax.random.split(jax.random.PRNGKey(0), seeds)
batched = jax.vmap(init) if mode == "vmap" else (lambda ks: jax.lax.map(init, ks))
start = time.time()
jax.block_until_ready(jax.jit(batched)(keys))
print(f"{mode} over {seeds} seeds, {2 * threads} QRs each: done in {time.time() - start:.1f} s")
