"""What stepping a Rust vector env from Python costs over the same Rust core stepped from Rust.

`python -m ppo.rust_overhead [--port cartpole] [--num-envs 512] [--steps 10000] [--threads 2] [--rounds 5]`

The core side is `rust_envs/examples/bench_core.rs` (built with `cargo build --release --example bench_core`),
run as a subprocess for one env and thread count. The Python side steps the same env, batch size and thread count
three ways, from the outside in:

- `binding`: the extension's vector class alone (`envport_rust.CartPoleVec.step`), 64 pre-drawn action batches
  taken in turn (contiguous int64 arrays made before the timing, so no numpy allocation in the loop);
- `wrapper`: the same through `envs.rust_backend.RustVectorEnv.step` (the Gymnasium vector env);
- `bench`: what `envport bench --backend rust` times (`ppo.bench.prepare_rust`'s loop).

Every measurement, core or Python, is the same statistic as bench_core's own: one warm-up run of `steps` batch
steps, then the best of three timed runs. The four take turns (core, binding, wrapper, bench; `rounds` times) so
that the machine's drifting load reaches each alike, and the report gives each one's median over the rounds, in
microseconds per batch step and steps per second, with its ratio to the core (steps/s through Python over steps/s
in Rust: 1.0 means Python costs nothing).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

CRATE = Path(__file__).resolve().parent.parent / "rust_envs"
# bench_core's names for the classic-control envs it can run alone
CORE_NAMES = {"cartpole": "cartpole", "acrobot": "acrobot", "mountaincar": "mountaincar",
              "mountaincar-continuous": "mcc", "pendulum": "pendulum"}
TIMED_RUNS = 3


def build_bench_core() -> Path:
    """Build bench_core (release) and return the binary's path; `RuntimeError` with cargo's output if it fails."""
    done = subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "bench_core"], cwd=CRATE,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"cargo build --example bench_core failed:\n{done.stderr[-2000:]}")
    target = Path(os.environ.get("CARGO_TARGET_DIR", CRATE / "target"))
    return target / "release" / "examples" / "bench_core"


def core_us(binary: Path, core_name: str, num_envs: int, steps: int, threads: int) -> float:
    """Microseconds per batch step of the Rust core alone (bench_core: best of 3 timed runs after a warm-up)."""
    out = subprocess.run([str(binary), str(num_envs), str(steps), core_name, str(threads)],
                         capture_output=True, text=True, check=True).stdout
    found = re.search(r"us_per_batch_step=([0-9.]+)", out)
    if found is None:
        raise RuntimeError(f"unexpected bench_core output: {out!r}")
    return float(found.group(1))


def best_us(step_n: Callable[[int], None], steps: int) -> float:
    """Microseconds per batch step of `step_n(steps)`: one warm-up run, then the best of three timed runs."""
    step_n(steps)
    best = float("inf")
    for _ in range(TIMED_RUNS):
        start = time.perf_counter()
        step_n(steps)
        best = min(best, time.perf_counter() - start)
    return best / steps * 1e6


def python_loops(port, num_envs: int, threads: int, seed: int = 0) -> dict[str, Callable[[int], None]]:
    """The three Python-side loops (`binding`, `wrapper`, `bench`), each `f(steps)` stepping its own env
    (`threads` 0: `num_threads=None`)."""
    from envs.rust_backend import make_rust_vector
    from ppo.bench import prepare_rust

    threads = threads or None

    space = make_rust_vector(port, num_envs, seed=seed, num_threads=threads).single_action_space
    if not hasattr(space, "n"):
        raise ValueError(f"{port.name} has a continuous action space; this script measures discrete-action ports")
    rng = np.random.default_rng(seed)
    batches = tuple(np.ascontiguousarray(a) for a in rng.integers(0, space.n, (64, num_envs), dtype=np.int64))

    raw = make_rust_vector(port, num_envs, seed=seed, num_threads=threads).rust
    raw.reset(seed)

    def binding(steps: int) -> None:
        step = raw.step
        for i in range(steps):
            step(batches[i & 63])

    env = make_rust_vector(port, num_envs, seed=seed, num_threads=threads)
    env.reset(seed=seed)

    def wrapper(steps: int) -> None:
        step = env.step
        for i in range(steps):
            step(batches[i & 63])

    prepared: dict[int, Callable[[], int]] = {}

    def bench(steps: int) -> None:
        if steps not in prepared:
            prepared[steps] = prepare_rust(port, num_envs, steps, seed, num_threads=threads).run
        prepared[steps]()

    return {"binding": binding, "wrapper": wrapper, "bench": bench}


def measure(port, num_envs: int, steps: int, threads: int, rounds: int,
            progress: Callable[[str], None] = lambda msg: None) -> dict[str, list[float]]:
    """Microseconds per batch step of `core` and the Python loops, `rounds` times, taking turns."""
    binary = build_bench_core()
    loops = python_loops(port, num_envs, threads)
    times: dict[str, list[float]] = {"core": [], **{name: [] for name in loops}}
    for r in range(rounds):
        times["core"].append(core_us(binary, CORE_NAMES[port.name], num_envs, steps, threads))
        for name, loop in loops.items():
            times[name].append(best_us(loop, steps))
        progress(f"round {r + 1}/{rounds}: " + ", ".join(f"{k} {v[-1]:.2f} us" for k, v in times.items()))
    return times


def report(times: dict[str, list[float]], num_envs: int) -> str:
    """A table: per way, the median us per batch step, steps/s and its ratio to the core (with every round's figure)."""
    core = statistics.median(times["core"])
    lines = [f"{'way':8} {'us/step':>8} {'M steps/s':>10} {'vs core':>8}  rounds (us)"]
    for name, runs in times.items():
        us = statistics.median(runs)
        lines.append(f"{name:8} {us:8.2f} {num_envs / us:10.2f} {core / us:8.2f}  {' '.join(f'{x:.2f}' for x in runs)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    ap = argparse.ArgumentParser(prog="python -m ppo.rust_overhead", description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", default="cartpole", help=f"one of {', '.join(CORE_NAMES)} (default cartpole)")
    ap.add_argument("--num-envs", type=int, default=512)
    ap.add_argument("--steps", type=int, default=10000, help="batch steps per timed run (default 10000)")
    ap.add_argument("--threads", type=int, default=2,
                    help="threads on both sides (default 2; 0: rayon's global pool, num_threads=None, as `envport bench` by default)")
    ap.add_argument("--rounds", type=int, default=5, help="turns of core, binding, wrapper, bench (default 5)")
    args = ap.parse_args(argv)
    if args.port not in CORE_NAMES:
        print(f"error: --port {args.port!r} is not one bench_core runs; use one of {', '.join(CORE_NAMES)}", file=sys.stderr)
        return 2
    if min(args.num_envs, args.steps, args.rounds) < 1 or args.threads < 0:
        print("error: --num-envs, --steps and --rounds must be positive integers, --threads 0 or more", file=sys.stderr)
        return 2
    from envs.registry import get_port
    from envs.rust_backend import rust_available

    if not rust_available():
        print("error: the Rust extension is not built; run `bash setup.sh` (it builds rust_envs/ with maturin)", file=sys.stderr)
        return 2
    port = get_port(args.port)
    print(f"{port.name}: {args.num_envs} envs, {args.threads} thread(s), {args.steps} batch steps per run, "
          f"{args.rounds} rounds; load average {os.getloadavg()[0]:.2f}", flush=True)
    try:
        times = measure(port, args.num_envs, args.steps, args.threads, args.rounds, lambda m: print(m, flush=True))
    except (RuntimeError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report(times, args.num_envs))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
