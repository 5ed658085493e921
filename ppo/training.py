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
from ppo.jax_trainer import make_train_parts, mean_returns, over_seeds

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


def training_env(port):
    """The JAX env PPO trains and evaluates on: the port's own training face where it declares one
    (`Port.extra["train_env"]`, e.g. a turn-based game seen from one seat, `envs.seated.SeatedJaxEnv`), else its
    JAX translation."""
    make = port.extra.get("train_env")
    return make() if make is not None else port.make_jax()


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
        env = env if env is not None else training_env(port)
        keys = jnp.stack([jax.random.PRNGKey(s) for s in seeds])
        if progress is not None:
            return _train_in_slices(config, env, seeds, keys, progress)
        start = time.perf_counter()
        compiled = jax.jit(over_seeds(*make_train_parts(config, env), config.num_updates)).lower(keys).compile()
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


def _train_in_slices(config: PPOConfig, env, seeds: list[int], keys, progress, slices: int = 16) -> TrainResult:
    """The JAX run as compiled slices of about num_updates / `slices` updates, `progress` called between them.

    Trains exactly as one compiled call does (the same updates on the same carry), but with no host
    callback inside, so JAX's persistent compilation cache keeps the programs and a second run
    starts without compiling. As in `over_seeds`, the seeds are initialised one after another
    (`lax.map`) and their updates batched (`vmap`).
    """
    init, run_updates = make_train_parts(config, env)
    total = config.num_updates
    size = -(-total // slices)
    bounds = [(i, min(i + size, total)) for i in range(0, total, size)]

    def run_slice(carries, indices):
        return jax.vmap(lambda carry: run_updates(carry, indices))(carries)

    start = time.perf_counter()
    init_all = jax.jit(lambda k: jax.lax.map(init, k)).lower(keys).compile()
    carries = init_all(keys)
    slice_jit = jax.jit(run_slice)  # one program per slice length (two when the last slice is shorter)
    compiled = {n: slice_jit.lower(carries, jnp.arange(n)).compile() for n in {b - a for a, b in bounds}}
    compiled_at = time.perf_counter()
    parts, latest = [], np.full(len(seeds), np.nan)
    for a, b in bounds:
        carries, metrics = compiled[b - a](carries, jnp.arange(a, b))
        parts.append(jax.device_get(metrics))
        done = np.asarray(mean_returns(parts[-1]))
        for seed, row in enumerate(done):
            finite = row[np.isfinite(row)]
            if finite.size:
                latest[seed] = finite[-1]
        progress(b, b * config.batch_size, latest.copy())
    end = time.perf_counter()
    metrics = jax.tree.map(lambda *xs: np.concatenate(xs, axis=1), *parts)
    return TrainResult("jax", config, seeds, carries[0].params, metrics, compiled_at - start, end - compiled_at, total)


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
    compiled = make_sharded_train(config, training_env(port), available[:count], split=split).lower(keys).compile()
    mid = time.perf_counter()
    learner, metrics = jax.block_until_ready(compiled(keys))
    end = time.perf_counter()
    return TrainResult("jax", config, seeds, learner.params, metrics, mid - start, end - mid, config.num_updates)
