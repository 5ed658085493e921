"""Random-action throughput of one environment across backends, measured in one run.

Every backend steps `batch_size` environments with uniformly random actions and
auto-reset; warm-up (compilation, first steps) is excluded; each measurement is
repeated and the median reported. Rows are dicts with at least `env`, `backend`,
`batch_size` and `steps_per_second`; a backend that is not installed gives a row
with `skipped` set to the reason.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import statistics
import time
from typing import Any, Callable

import numpy as np

BACKENDS = ("reference", "jax", "rust", "gymnax", "envpool")
DEFAULT_BATCH_SIZES = (32, 128, 512, 2048, 8192)


def machine_description() -> dict[str, Any]:
    """Where the numbers were measured."""
    import jax

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "jax_devices": [str(d) for d in jax.devices()],
    }


def _median_rate(run: Callable[[], int], repeats: int) -> tuple[float, list[float]]:
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        steps = run()
        rates.append(steps / (time.perf_counter() - start))
    return statistics.median(rates), rates


def bench_reference(port, batch_size: int, steps: int, repeats: int, seed: int = 0) -> dict:
    """The real Gymnasium environment, one instance in a Python loop (batch size 1)."""
    env = port.make_reference()
    env.reset(seed=seed)
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(1024)]

    def run():
        for i in range(steps):
            _, _, terminated, truncated, _ = env.step(actions[i % 1024])
            if terminated or truncated:
                env.reset()
        return steps

    run()
    rate, rates = _median_rate(run, repeats)
    return {"batch_size": 1, "steps_per_second": rate, "runs": rates}


def _jax_scan_runner(reset, step, action_space, batch_size: int, steps: int, seed: int):
    """A jitted lax.scan of `steps` vmapped random-action steps; returns a callable that runs it once."""
    import jax

    def rollout(key, states):
        def body(carry, _):
            key, states = carry
            key, k_act, k_step = jax.random.split(key, 3)
            actions = jax.vmap(action_space.sample)(jax.random.split(k_act, batch_size))
            _, states, reward, *_ = jax.vmap(step)(jax.random.split(k_step, batch_size), states, actions)
            return (key, states), reward.sum()

        (key, states), rewards = jax.lax.scan(body, (key, states), None, length=steps)
        return key, states, rewards.sum()

    run_jit = jax.jit(rollout)
    key = jax.random.PRNGKey(seed)
    _, states = jax.vmap(reset)(jax.random.split(key, batch_size))
    carry = {"key": key, "states": states}

    def run():
        key, states, total = run_jit(carry["key"], carry["states"])
        total.block_until_ready()
        carry.update(key=key, states=states)
        return steps * batch_size

    return run


def bench_jax(port, batch_size: int, steps: int, repeats: int, seed: int = 0) -> dict:
    """The envport JAX translation: vmap over the batch, lax.scan over steps, auto-reset."""
    env = port.make_jax()
    params = env.default_params
    run = _jax_scan_runner(
        lambda k: env.reset(k, params), lambda k, s, a: env.step(k, s, a, params), env.action_space(params), batch_size, steps, seed
    )
    run()
    rate, rates = _median_rate(run, repeats)
    return {"batch_size": batch_size, "steps_per_second": rate, "runs": rates}


def bench_gymnax(port, batch_size: int, steps: int, repeats: int, seed: int = 0) -> dict:
    """gymnax's implementation of the same environment, measured the same way as the JAX translation."""
    import gymnax

    from verify.candidates import GYMNAX_LAYOUTS

    if port.name not in GYMNAX_LAYOUTS:
        raise LookupError(f"gymnax has no {port.name}")
    env, params = gymnax.make(GYMNAX_LAYOUTS[port.name][0])
    run = _jax_scan_runner(
        lambda k: env.reset(k, params), lambda k, s, a: env.step(k, s, a, params), env.action_space(params), batch_size, steps, seed
    )
    run()
    rate, rates = _median_rate(run, repeats)
    return {"batch_size": batch_size, "steps_per_second": rate, "runs": rates}


def bench_envpool(port, batch_size: int, steps: int, repeats: int, seed: int = 0, num_threads: int | None = None) -> dict:
    """EnvPool's C++ implementation, synchronous mode, random actions."""
    import envpool

    env = envpool.make_gymnasium(port.gym_id, num_envs=batch_size, seed=seed, num_threads=num_threads or os.cpu_count())
    env.reset()
    space = env.action_space
    rng = np.random.default_rng(seed)
    if hasattr(space, "n"):
        actions = rng.integers(0, space.n, (64, batch_size))
    else:
        actions = rng.uniform(space.low, space.high, (64, batch_size, *space.shape)).astype(space.dtype)

    def run():
        for i in range(steps):
            env.step(actions[i % 64])
        return steps * batch_size

    run()
    rate, rates = _median_rate(run, repeats)
    return {"batch_size": batch_size, "steps_per_second": rate, "runs": rates}


def bench_rust(port, batch_size: int, steps: int, repeats: int, seed: int = 0, num_threads: int | None = None) -> dict:
    """The envport Rust vector environment (rayon threads), random actions."""
    from envs.rust_backend import make_rust_vector

    env = make_rust_vector(port, batch_size, seed=seed, num_threads=num_threads)
    env.reset(seed=seed)
    space = env.single_action_space
    rng = np.random.default_rng(seed)
    if hasattr(space, "n"):
        actions = rng.integers(0, space.n, (64, batch_size)).astype(np.int64)
    else:
        actions = rng.uniform(space.low, space.high, (64, batch_size, *space.shape)).astype(np.float32)

    def run():
        for i in range(steps):
            env.step(actions[i % 64])
        return steps * batch_size

    run()
    rate, rates = _median_rate(run, repeats)
    return {"batch_size": batch_size, "steps_per_second": rate, "runs": rates}


RUNNERS = {
    "reference": bench_reference,
    "jax": bench_jax,
    "rust": bench_rust,
    "gymnax": bench_gymnax,
    "envpool": bench_envpool,
}
REQUIREMENTS = {"gymnax": "gymnax", "envpool": "envpool", "rust": "envport_rust"}


def steps_for(backend: str, batch_size: int, budget: int) -> int:
    """Steps per measurement so that each one covers about `budget` environment steps."""
    if backend == "reference":
        return max(1000, budget // 20)
    return max(10, budget // batch_size)


def run_bench(
    port,
    backends: tuple[str, ...],
    batch_sizes: tuple[int, ...] = DEFAULT_BATCH_SIZES,
    repeats: int = 3,
    budget: int = 1_000_000,
    seed: int = 0,
    num_threads: int | None = None,
    progress: Callable[[str], None] = lambda msg: None,
) -> list[dict]:
    """Measure every backend at every batch size in this one run; rows with ratios to the reference."""
    rows: list[dict] = []
    for backend in backends:
        if backend not in RUNNERS:
            raise ValueError(f"unknown backend {backend!r}; known: {', '.join(BACKENDS)}")
        module = REQUIREMENTS.get(backend)
        if module and importlib.util.find_spec(module) is None:
            rows.append({"env": port.name, "backend": backend, "batch_size": None, "steps_per_second": None, "skipped": f"{module} is not installed"})
            continue
        sizes = (1,) if backend == "reference" else batch_sizes
        for batch_size in sizes:
            progress(f"{port.name}: {backend} at batch {batch_size}")
            kwargs = {"num_threads": num_threads} if backend in ("rust", "envpool") else {}
            try:
                row = RUNNERS[backend](port, batch_size, steps_for(backend, batch_size, budget), repeats, seed, **kwargs)
            except Exception as exc:  # a backend that cannot run this env is reported, not fatal
                row = {"batch_size": batch_size, "steps_per_second": None, "skipped": f"{type(exc).__name__}: {exc}"}
            rows.append({"env": port.name, "backend": backend, **row})
    reference = next((r["steps_per_second"] for r in rows if r["backend"] == "reference" and r["steps_per_second"]), None)
    for r in rows:
        r["ratio_to_reference"] = (r["steps_per_second"] / reference) if reference and r["steps_per_second"] else None
    return rows
