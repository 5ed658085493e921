"""One training run of several seeds on one backend: the entry point the CLI, L4 and the benchmark share.

`run_training(port, backend, config, seeds)` trains with the JAX trainer (backend `jax`)
or the host trainer (`rust`, `reference`), and reports the time it took: compilation
(JAX: lowering and compiling the whole run) separately from training.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from ppo.config import PPOConfig
from ppo.jax_trainer import make_train, mean_returns, over_seeds

BACKENDS = ("jax", "rust", "reference")


@dataclass
class TrainResult:
    """What a training run produced: per-seed parameters and per-update metrics (leading seed axis)."""

    backend: str
    config: PPOConfig
    seeds: list[int]
    params: Any
    metrics: dict
    compile_seconds: float  # JAX: lowering and compiling; host: the first update (which compiles the policy and update)
    train_seconds: float  # the timed updates
    timed_updates: int


    @property
    def env_steps(self) -> int:
        """Environment steps taken, all seeds together."""
        return len(self.seeds) * self.config.num_updates * self.config.batch_size

    @property
    def steps_per_second(self) -> float:
        """Environment steps per second of training, all seeds together, compilation excluded."""
        return len(self.seeds) * self.timed_updates * self.config.batch_size / self.train_seconds

    def returns(self) -> np.ndarray:
        """Mean episode return per seed and update, shape (seeds, updates); NaN where no episode ended."""
        return np.asarray(mean_returns(self.metrics))

    def final_returns(self, window: int = 5) -> np.ndarray:
        """Per seed, the mean over the last `window` updates of the mean episode return."""
        return np.nanmean(self.returns()[:, -window:], axis=1)


def check_backend(port, backend: str) -> None:
    """Raise ValueError when `port` cannot train on `backend`, with what it can."""
    usable = [b for b in BACKENDS if b == "reference" or b in port.backends]
    if backend not in usable:
        raise ValueError(f"backend {backend!r} is not available for {port.name}; available: {', '.join(usable)}")
    if backend == "rust":
        from envs.rust_backend import rust_available

        if not rust_available():
            raise ValueError("the Rust backend is not built: run `bash setup.sh` (it builds rust_envs/ with maturin)")


def run_training(
    port,
    backend: str,
    config: PPOConfig,
    seeds: list[int],
    env=None,
    progress: Callable[[int, int, np.ndarray], None] | None = None,
    num_threads: int | None = None,
) -> TrainResult:
    """Train one policy per seed on `backend` (`env`: another JAX translation of `port` to train on instead)."""
    check_backend(port, backend)
    seeds = [int(s) for s in seeds]
    if backend == "jax":
        env = env if env is not None else port.make_jax()
        keys = jnp.stack([jax.random.PRNGKey(s) for s in seeds])
        start = time.perf_counter()
        on_update = None if progress is None else _gather_seeds(len(seeds), config, progress)
        compiled = jax.jit(over_seeds(make_train(config, env, on_update=on_update))).lower(keys).compile()
        compiled_at = time.perf_counter()
        learner, metrics = jax.block_until_ready(compiled(keys))
        end = time.perf_counter()
        return TrainResult(backend, config, seeds, learner.params, metrics, compiled_at - start, end - compiled_at, config.num_updates)
    from ppo.host_trainer import train_host
    from ppo.vector_envs import make_host_vector

    vec = make_host_vector(port, backend, len(seeds) * config.num_envs, seed=seeds[0], num_threads=num_threads)
    first_done: list[float] = []

    def timed_progress(update: int, steps: int, returns: np.ndarray) -> None:
        if update == 1:
            first_done.append(time.perf_counter())
        if progress is not None:
            progress(update, steps, returns)

    start = time.perf_counter()
    learner, metrics = train_host(config, vec, seeds, progress=timed_progress)
    jax.block_until_ready(metrics)
    end = time.perf_counter()
    vec.close()
    timed = config.num_updates - 1
    if timed == 0:  # a single update: nothing to time apart from it
        return TrainResult(backend, config, seeds, learner.params, metrics, 0.0, end - start, config.num_updates)
    return TrainResult(backend, config, seeds, learner.params, metrics, first_done[0] - start, end - first_done[0], timed)


def _gather_seeds(num_seeds: int, config: PPOConfig, progress):
    """An `on_update` for the compiled run, whose seeds train one after another (`over_seeds`).

    Calls `progress` after every update with the updates done so far per seed on average (so a
    bar over `num_updates` fills once, across all seeds) and each seed's latest mean return
    (NaN for seeds not started).
    """
    latest = np.full(num_seeds, np.nan)
    done = [0]

    def on_update(update, return_sum, episodes):
        seed = done[0] // config.num_updates
        done[0] += 1
        r, c = float(np.asarray(return_sum)), float(np.asarray(episodes))
        if c:
            latest[min(seed, num_seeds - 1)] = r / c
        updates = done[0] // num_seeds
        progress(updates, updates * config.batch_size, latest.copy())

    return on_update


def run_sharded_training(port, config: PPOConfig, seeds: list[int], devices: int, split: str) -> TrainResult:
    """JAX training data-parallel over `devices` local devices (0: all), by `split` 'seeds', 'envs' or 'auto'.

    Raises ValueError when the devices or seeds do not fit (the message names the option to change).
    """
    from ppo.parallel import make_sharded_train

    available = jax.devices()
    count = len(available) if devices == 0 else devices
    if count > len(available):
        raise ValueError(f"--devices {devices}: only {len(available)} device(s) here (on the CPU, force more with XLA_FLAGS=--xla_force_host_platform_device_count=N)")
    if split == "auto":
        split = "seeds" if len(seeds) % count == 0 else "envs"
    if split == "seeds" and len(seeds) % count:
        raise ValueError(f"--split seeds: {len(seeds)} seeds do not split over {count} devices")
    keys = jnp.stack([jax.random.PRNGKey(s) for s in seeds])
    start = time.perf_counter()
    compiled = make_sharded_train(config, port.make_jax(), available[:count], split=split).lower(keys).compile()
    mid = time.perf_counter()
    learner, metrics = jax.block_until_ready(compiled(keys))
    end = time.perf_counter()
    return TrainResult("jax", config, seeds, learner.params, metrics, mid - start, end - mid, config.num_updates)
