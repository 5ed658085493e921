"""Throughput of the Rust vector envs (not a test).

    python rust_envs/bench/bench_vec.py [--envs 512] [--steps 20000]

Random actions are pre-generated (a pool of 1024 random batches, cycled) so the
figure measures the env step plus the Python call overhead; the second figure
also draws the actions with numpy every step.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import envport_rust as er

VEC = {
    "CartPole-v1": (er.CartPoleVec, 2),
    "Acrobot-v1": (er.AcrobotVec, 3),
    "MountainCar-v0": (er.MountainCarVec, 3),
    "MountainCarContinuous-v0": (er.MountainCarContinuousVec, None),
    "Pendulum-v1": (er.PendulumVec, None),
}


def actions_pool(k, n, rng, pool=1024):
    if k is None:
        return [rng.uniform(-2, 2, size=(n, 1)).astype(np.float32) for _ in range(pool)]
    return [rng.integers(0, k, size=n, dtype=np.int64) for _ in range(pool)]


def bench(gid, n, threads, steps, repeats=5, draw_each_step=False):
    cls, k = VEC[gid]
    v = cls(n, 0, num_threads=threads)
    v.reset()
    rng = np.random.default_rng(0)
    pool = actions_pool(k, n, rng)
    for i in range(200):  # warm-up (thread pool start, caches)
        v.step(pool[i % len(pool)])
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        if draw_each_step:
            for _ in range(steps):
                a = rng.integers(0, k, size=n) if k else rng.uniform(-2, 2, size=(n, 1)).astype(np.float32)
                v.step(a)
        else:
            for i in range(steps):
                v.step(pool[i & 1023])
        dt = time.perf_counter() - t0
        best = max(best, n * steps / dt)
    return best


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--envs", type=int, default=512)
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--all", action="store_true", help="all five envs (default: CartPole only)")
    args = p.parse_args()
    print(f"cpus={os.cpu_count()} num_envs={args.envs} steps={args.steps} (best of 5)")
    ids = list(VEC) if args.all else ["CartPole-v1"]
    for gid in ids:
        for threads in (1, 2):
            sps = bench(gid, args.envs, threads, args.steps)
            print(f"{gid:26s} threads={threads}: {sps / 1e6:7.2f} M steps/s (pre-drawn random actions)")
        if gid == "CartPole-v1":
            for threads in (1, 2):
                sps = bench(gid, args.envs, threads, args.steps // 2, draw_each_step=True)
                print(f"{gid:26s} threads={threads}: {sps / 1e6:7.2f} M steps/s (numpy draws actions every step)")


if __name__ == "__main__":
    main()
