"""Random-action throughput of one environment across backends, measured in one run.

Every backend steps `batch_size` environments with uniformly random actions and
auto-reset (for a port with a legal-action mask, uniformly random *legal* actions, by one
rule for every backend: `random_legal`); warm-up (compilation, first steps) is excluded; each measurement is
repeated and the median reported. Rows are dicts with at least `env`, `backend`,
`batch_size` and `steps_per_second`; a backend that is not installed, or does not
offer this environment or setting (`BackendUnavailable`), gives a row with `skipped`
set to the reason; a backend that fails gives a row with `error` set to the exception.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import platform
import statistics
import time
from typing import Any, Callable

import numpy as np

BACKENDS = ("reference", "jax", "ceiling", "rust", "gymnax", "envpool")
DEFAULT_BATCH_SIZES = (32, 128, 512, 2048, 8192)


class BackendUnavailable(LookupError):
    """The backend does not offer this environment or setting: its row is skipped, with this reason (not an error)."""


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


@dataclasses.dataclass
class Prepared:
    """A backend ready to be timed: `run()` steps its environments and returns how many steps it took."""

    run: Callable[[], int]
    batch_size: int
    note: str = ""


def with_settings(params, settings: dict, owner: str, strict: bool = True):
    """`params` (a params dataclass) with `settings` applied; returns (params, the names it does not have).

    With `strict`, a name the params lack is an error naming the ones it has.
    """
    if not settings:
        return params, []
    known = {f.name for f in dataclasses.fields(params)}
    missing = [k for k in settings if k not in known]
    if missing and strict:
        raise ValueError(f"{owner} has no setting {', '.join(missing)}; its settings: {', '.join(sorted(known))}")
    return params.replace(**{k: _typed(getattr(params, k), v, k) for k, v in settings.items() if k in known}), missing


def _typed(current, value, name: str):
    """`value` (a string from the command line, or already typed) as the type of the setting's current value."""
    if not isinstance(value, str):
        return value
    kind = type(current.item() if hasattr(current, "item") else current)
    try:
        if kind is bool:
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError(value)
            return value.lower() in ("true", "1")
        return kind(value)
    except ValueError:
        raise ValueError(f"setting {name} must be a {kind.__name__}, got {value!r}") from None


def _set_reference_settings(env, settings: dict, port) -> None:
    """Apply `settings` to the reference: attributes of the unwrapped env or of its game object."""
    holders = [env.unwrapped, getattr(env.unwrapped, "game", None)]
    for name, value in settings.items():
        holder = next((h for h in holders if h is not None and hasattr(h, name)), None)
        if holder is None:
            raise ValueError(f"the reference of {port.name} has no setting {name}")
        setattr(holder, name, value)


def random_legal(mask: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The benchmarks' random legal actions: with `c` legal actions in a row of `mask` (bool, (..., n))
    and `u` uniform in [0, 1), the `floor(u * c)`-th legal action (from 0, in index order).

    The same rule as `random_legal_jax` and the Rust vector env's `sample_legal`
    (`vector::uniform_legal`), so every backend draws from one distribution.
    """
    count = np.cumsum(mask, axis=-1)
    k = np.minimum((u * count[..., -1]).astype(np.int64), count[..., -1] - 1)
    return np.argmax(count > k[..., None], axis=-1)


def random_legal_jax(mask, u):
    """`random_legal` in JAX: the same actions, the k-th legal one found by `envs.jax_math.kth_true` (a cumulative
    sum is quadratic on XLA's CPU backend: it cost UNO's bench loop about a third of its step)."""
    import jax.numpy as jnp

    from envs.jax_math import kth_true

    count = jnp.sum(mask, axis=-1, dtype=jnp.int32)
    return kth_true(mask, jnp.minimum(jnp.floor(u * count).astype(jnp.int32), count - 1))


def _masked(port) -> bool:
    return bool(getattr(port, "action_mask", False))


def prepare_reference(port, batch_size: int, steps: int, seed: int = 0, settings: dict | None = None) -> Prepared:
    """The real Gymnasium environment, one instance in a Python loop (batch size 1)."""
    env = port.make_reference()
    _set_reference_settings(env, settings or {}, port)
    _, info = env.reset(seed=seed)
    env.action_space.seed(seed)
    if _masked(port):
        u = np.random.default_rng(seed).random(1024)

        def run_masked():
            mask = info["action_mask"]
            for i in range(steps):
                _, _, terminated, truncated, step_info = env.step(int(random_legal(mask, u[i % 1024])))
                mask = env.reset()[1]["action_mask"] if terminated or truncated else step_info["action_mask"]
            info["action_mask"] = mask
            return steps

        return Prepared(run_masked, 1)
    actions = [env.action_space.sample() for _ in range(1024)]

    def run():
        for i in range(steps):
            _, _, terminated, truncated, _ = env.step(actions[i % 1024])
            if terminated or truncated:
                env.reset()
        return steps

    return Prepared(run, 1)


def _random_actions(action_space, key, batch_size: int):
    """`batch_size` uniformly random actions from one key (the same for every JAX backend).

    One key for the batch, not one per environment: a per-environment key and `randint` cost more
    random bits than a cheap environment's whole step, and would hide the environments' differences.
    """
    import jax.numpy as jnp

    from envs import jax_random
    from envs.jax_env import randint

    if hasattr(action_space, "n"):
        return randint(key, (batch_size,), 0, int(action_space.n), jnp.int32)
    low, high = jnp.asarray(action_space.low, jnp.float32), jnp.asarray(action_space.high, jnp.float32)
    u = jax_random.uniform(key, (batch_size, *action_space.shape), jnp.float32)
    return (low + (high - low) * u).astype(action_space.dtype)


def _per_env(reset, step, batch_size: int):
    """Batched (reset, step), one key each, of gymnax-style `reset(key)` and `step(key, state, action)`.

    The batch's key is split into one key per environment, as a PureJaxRL loop does, with
    `envs.jax_random.split` (jax.random's keys, without its rolled loop), and the keys and actions
    are made once (`optimization_barrier`): otherwise XLA copies their hashing into every fusion
    that reads them, and the loop, not the environment, would dominate a cheap step.
    """
    import jax

    from envs import jax_random

    def reset_batch(key):
        return jax.vmap(reset)(jax_random.split(key, batch_size))

    def step_batch(key, states, actions):
        keys, actions = jax.lax.optimization_barrier((jax_random.split(key, batch_size), actions))
        return jax.vmap(step)(keys, states, actions)

    return reset_batch, step_batch


def _jax_scan_runner(reset, step, action_space, batch_size: int, steps: int, seed: int, mask_of=None):
    """A jitted lax.scan of `steps` random-action steps; returns a callable that runs it once.

    `reset(key) -> (obs, states)` and `step(key, states, actions) -> (obs, states, reward, ..., info)`
    act on the whole batch (`_per_env` makes them of a gymnax-style env). Each step's observations
    go into the scan's carry, as a host vector env writes them into its buffer: a learner reads
    them, and observations nobody uses would be dropped by XLA as dead code, timing a step without
    its observation. With `mask_of` (a masked port: `mask_of(state)` is one environment's
    legal-action mask), the actions are random legal ones (`random_legal_jax`), from the mask each
    step returns in `info["action_mask"]` (carried, as a host env's mask buffer).
    """
    import jax

    def rollout(key, states, obs, mask):
        def body(carry, _):
            key, states, _, mask = carry
            key, k_act, k_step = jax.random.split(key, 3)
            if mask is None:
                actions = _random_actions(action_space, k_act, batch_size)
            else:
                actions = random_legal_jax(mask, jax.random.uniform(k_act, (batch_size,)))
            obs, states, reward, *_, info = step(k_step, states, actions)
            return (key, states, obs, None if mask is None else info["action_mask"]), reward.sum()

        (key, states, obs, mask), rewards = jax.lax.scan(body, (key, states, obs, mask), None, length=steps)
        return key, states, obs, mask, rewards.sum()

    run_jit = jax.jit(rollout)
    key = jax.random.PRNGKey(seed)
    obs, states = jax.jit(reset)(key)
    carry = {"key": key, "states": states, "obs": obs, "mask": None if mask_of is None else jax.vmap(mask_of)(states)}

    def run():
        key, states, obs, mask, total = run_jit(carry["key"], carry["states"], carry["obs"], carry["mask"])
        total.block_until_ready()
        carry.update(key=key, states=states, obs=obs, mask=mask)
        return steps * batch_size

    return run


def prepare_jax(port, batch_size: int, steps: int, seed: int = 0, settings: dict | None = None) -> Prepared:
    """The envport JAX translation: vmap over the batch, lax.scan over steps, auto-reset."""
    env = port.make_jax()
    params, _ = with_settings(env.default_params, settings or {}, f"the JAX translation of {port.name}")
    mask_of = (lambda s: env.action_mask(s, params)) if _masked(port) else None
    reset, step = _per_env(lambda k: env.reset(k, params), lambda k, s, a: env.step(k, s, a, params), batch_size)
    return Prepared(_jax_scan_runner(reset, step, env.action_space(params), batch_size, steps, seed, mask_of), batch_size)


def prepare_ceiling(port, batch_size: int, steps: int, seed: int = 0, settings: dict | None = None) -> Prepared:
    """The JAX translation's own physics with one key per batch and step (ppo/ceiling.py), in the same loop."""
    from ppo.ceiling import ceiling_env

    env = port.make_jax()
    params, _ = with_settings(env.default_params, settings or {}, f"the JAX translation of {port.name}")
    mask_of = (lambda s: env.action_mask(s, params)) if _masked(port) else None
    reset, step = ceiling_env(port, env, params, batch_size)
    return Prepared(_jax_scan_runner(reset, step, env.action_space(params), batch_size, steps, seed, mask_of), batch_size)


def prepare_gymnax(port, batch_size: int, steps: int, seed: int = 0, settings: dict | None = None) -> Prepared:
    """gymnax's implementation of the same environment, measured the same way as the JAX translation.

    Settings gymnax does not have (a MinAtar sticky-action probability: gymnax has no sticky
    actions) are named in the row's `note`.
    """
    import gymnax

    gid = port.gymnax_id
    if gid is None:
        raise BackendUnavailable(f"gymnax has no {port.name}")
    env, params = gymnax.make(gid)
    params, missing = with_settings(params, settings or {}, f"gymnax's {gid}", strict=False)
    reset, step = _per_env(lambda k: env.reset(k, params), lambda k, s, a: env.step(k, s, a, params), batch_size)
    run = _jax_scan_runner(reset, step, env.action_space(params), batch_size, steps, seed)
    return Prepared(run, batch_size, f"gymnax has no {', '.join(missing)}" if missing else "")


def _host_vector_runner(env, space, batch_size: int, steps: int, seed: int) -> Prepared:
    """A host vector env stepped `steps` times with random actions (64 batches drawn once, in turn),
    int64 for discrete spaces and the space's dtype for boxes."""
    rng = np.random.default_rng(seed)
    if hasattr(space, "n"):
        actions = rng.integers(0, space.n, (64, batch_size), dtype=np.int64)
    else:
        actions = rng.uniform(space.low, space.high, (64, batch_size, *space.shape)).astype(space.dtype)
    # the 64 batches as arrays made once: indexing the stacked array made a new view every step
    batches = tuple(actions)
    step = env.step

    def run():
        for i in range(steps):
            step(batches[i & 63])
        return steps * batch_size

    return Prepared(run, batch_size)


def prepare_envpool(port, batch_size: int, steps: int, seed: int = 0, num_threads: int | None = None, settings: dict | None = None) -> Prepared:
    """EnvPool's C++ implementation, synchronous mode, random actions."""
    import envpool

    if settings:
        raise BackendUnavailable(f"settings ({', '.join(settings)}) are not passed to EnvPool")
    if port.gym_id not in envpool.list_all_envs():
        raise BackendUnavailable(f"EnvPool has no {port.gym_id}")

    env = envpool.make_gymnasium(port.gym_id, num_envs=batch_size, seed=seed, num_threads=num_threads or os.cpu_count())
    env.reset()
    return _host_vector_runner(env, env.action_space, batch_size, steps, seed)


def prepare_rust(port, batch_size: int, steps: int, seed: int = 0, num_threads: int | None = None, settings: dict | None = None) -> Prepared:
    """The envport Rust vector environment (rayon threads), random actions."""
    from envs.rust_backend import make_rust_vector

    if "rust" not in port.backends:
        raise BackendUnavailable(f"{port.name} has no Rust translation")
    env = make_rust_vector(port, batch_size, seed=seed, num_threads=num_threads, **(settings or {}))
    env.reset(seed=seed)
    if _masked(port):
        return _rust_legal_runner(env, batch_size, steps, seed)
    return _host_vector_runner(env, env.single_action_space, batch_size, steps, seed)


def _rust_legal_runner(env, batch_size: int, steps: int, seed: int) -> Prepared:
    """A masked Rust vector env stepped with random legal actions: the Rust vector env applies
    `random_legal`'s rule to its own mask buffer (`sample_legal`; numpy's cumulative sums took
    longer than a cheap game's whole step at large batches), from 64 batches of uniforms drawn once."""
    u = tuple(np.random.default_rng(seed).random((64, batch_size)))
    actions = np.zeros(batch_size, np.int64)
    sample_legal, step = env.rust.sample_legal, env.step

    def run():
        for i in range(steps):
            sample_legal(u[i & 63], actions)
            step(actions)
        return steps * batch_size

    return Prepared(run, batch_size)


PREPARERS = {
    "reference": prepare_reference,
    "jax": prepare_jax,
    "ceiling": prepare_ceiling,
    "rust": prepare_rust,
    "gymnax": prepare_gymnax,
    "envpool": prepare_envpool,
}
REQUIREMENTS = {"gymnax": "gymnax", "envpool": "envpool", "rust": "envport_rust"}


def prepare(backend: str, port, batch_size: int, steps: int, seed: int = 0, num_threads: int | None = None, settings: dict | None = None) -> Prepared:
    """`backend`'s environments of `port`, built, compiled and warmed up (one run), ready to be timed."""
    kwargs = {"num_threads": num_threads} if backend in ("rust", "envpool") else {}
    prepared = PREPARERS[backend](port, batch_size, steps, seed, settings=settings or {}, **kwargs)
    prepared.run()
    return prepared


def measure(prepared: dict[str, Prepared], repeats: int) -> dict[str, list[float]]:
    """Steps per second of each prepared backend, `repeats` times, the backends taking turns.

    Taking turns puts every backend under the same conditions on a machine whose load drifts
    (other jobs, frequency changes), which one backend's repeats after another's would not.
    """
    rates: dict[str, list[float]] = {name: [] for name in prepared}
    for _ in range(repeats):
        for name, p in prepared.items():
            start = time.perf_counter()
            steps = p.run()
            rates[name].append(steps / (time.perf_counter() - start))
    return rates


def bench_backend(backend: str, port, batch_size: int, steps: int, repeats: int, seed: int = 0, **kwargs) -> dict:
    """One backend alone at one batch size: {batch_size, steps_per_second (median), runs}."""
    p = prepare(backend, port, batch_size, steps, seed, **kwargs)
    runs = measure({backend: p}, repeats)[backend]
    return {"batch_size": p.batch_size, "steps_per_second": statistics.median(runs), "runs": runs}


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
    settings: dict | None = None,
    baseline: str = "reference",
) -> list[dict]:
    """Measure every backend at every batch size in this one run; rows with ratios to the reference
    (`ratio_to_reference`) and to `baseline` at the same batch size (`ratio_to_baseline`).

    `settings` (e.g. {"sticky_action_prob": 0.0}) are applied to every backend's environment.
    """
    if baseline != "reference" and baseline not in backends:
        raise ValueError(f"the baseline {baseline!r} is not among the backends measured ({', '.join(backends)})")
    rows: list[dict] = []
    available = []
    for backend in backends:
        if backend not in PREPARERS:
            raise ValueError(f"unknown backend {backend!r}; known: {', '.join(BACKENDS)}")
        module = REQUIREMENTS.get(backend)
        if module and importlib.util.find_spec(module) is None:
            rows.append({"env": port.name, "backend": backend, "batch_size": None, "steps_per_second": None, "skipped": f"{module} is not installed"})
        else:
            available.append(backend)
    for i, batch_size in enumerate(batch_sizes):
        prepared: dict[str, Prepared] = {}
        for backend in available:
            if backend == "reference" and i > 0:
                continue  # the reference is one env: measured once, beside the first batch size
            progress(f"{port.name}: preparing {backend} at batch {batch_size}")
            try:
                prepared[backend] = prepare(backend, port, batch_size, steps_for(backend, batch_size, budget), seed, num_threads, settings)
            except Exception as exc:  # reported in its row, not fatal to the other backends
                size = 1 if backend == "reference" else batch_size
                why = {"skipped": str(exc)} if isinstance(exc, BackendUnavailable) else {"error": f"{type(exc).__name__}: {exc}"}
                rows.append({"env": port.name, "backend": backend, "batch_size": size, "steps_per_second": None, **why})
        progress(f"{port.name}: timing {', '.join(prepared)} at batch {batch_size}, taking turns")
        for backend, runs in measure(prepared, repeats).items():
            row = {"env": port.name, "backend": backend, "batch_size": prepared[backend].batch_size, "steps_per_second": statistics.median(runs), "runs": runs}
            if prepared[backend].note:
                row["note"] = prepared[backend].note
            rows.append(row)
        prepared.clear()
    reference = next((r["steps_per_second"] for r in rows if r["backend"] == "reference" and r["steps_per_second"]), None)
    for r in rows:
        r["ratio_to_reference"] = (r["steps_per_second"] / reference) if reference and r["steps_per_second"] else None
        base = reference if baseline == "reference" else next(
            (b["steps_per_second"] for b in rows if b["backend"] == baseline and b["batch_size"] == r["batch_size"]), None
        )
        r["baseline"] = baseline
        r["ratio_to_baseline"] = (r["steps_per_second"] / base) if base and r["steps_per_second"] else None
    return rows
