"""PPO throughput per backend and batch size, measured in one run, and the chart of every benchmark row.

A PPO measurement trains with `num_envs` = the batch size (the rest of the port's PPO
configuration unchanged) for `updates` timed updates, compilation excluded: JAX compiles
the whole run first; the host trainers' first update (which compiles the policy and the
update) is not timed. Rows have the random-action benchmark's layout with `mode` 'ppo'.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Callable

import numpy as np

from ppo.config import default_config_path, load_config
from ppo.training import run_training

PPO_BACKENDS = ("jax", "rust", "reference")
DEFAULT_PPO_BATCH_SIZES = (4, 32, 128, 512, 2048)
MAX_REFERENCE_BATCH = 512  # Gymnasium's SyncVectorEnv of Python envs: larger batches take minutes per update


def bench_ppo(
    port,
    backends: tuple[str, ...],
    batch_sizes: tuple[int, ...] = DEFAULT_PPO_BATCH_SIZES,
    updates: int = 4,
    repeats: int = 1,
    seed: int = 0,
    num_threads: int | None = None,
    progress: Callable[[str], None] = lambda msg: None,
) -> list[dict]:
    """PPO environment steps per second (one seed) per backend and batch size; ratios to the reference at each batch size."""
    base = load_config(default_config_path(port.name))
    rows = []
    for backend in backends:
        if backend not in PPO_BACKENDS:
            continue  # gymnax, envpool: random actions only
        for batch in batch_sizes:
            row = {"env": port.name, "backend": backend, "mode": "ppo", "batch_size": batch, "steps_per_second": None}
            if backend == "reference" and batch > MAX_REFERENCE_BATCH:
                rows.append({**row, "skipped": f"reference PPO measured up to batch {MAX_REFERENCE_BATCH} (Python envs)"})
                continue
            if backend != "reference" and backend not in port.backends:
                rows.append({**row, "skipped": f"{port.name} has no {backend} translation"})
                continue
            timed = updates + (0 if backend == "jax" else 1)  # the host trainers' first update is not timed
            config = base.replace(num_envs=batch, total_timesteps=batch * base.num_steps * timed)
            rates = []
            try:
                for r in range(repeats):
                    progress(f"{port.name}: PPO on {backend} at batch {batch} ({r + 1}/{repeats})")
                    rates.append(run_training(port, backend, config, [seed + r], num_threads=num_threads).steps_per_second)
            except Exception as exc:  # a backend that fails is reported in its row (`envport bench` then exits 1)
                rows.append({**row, "error": f"{type(exc).__name__}: {exc}"})
                continue
            rows.append({**row, "steps_per_second": statistics.median(rates), "runs": rates, "updates": updates})
    for row in rows:
        ref = next((r["steps_per_second"] for r in rows if r["backend"] == "reference" and r["batch_size"] == row["batch_size"]), None)
        row["ratio_to_reference"] = row["steps_per_second"] / ref if ref and row["steps_per_second"] else None
    return rows


def plot_bench(path: Path, rows: list[dict], title: str) -> None:
    """PNG: steps/s against batch size (log-log), one line per backend and mode (random actions solid, PPO dashed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.8), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    colors = {}
    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for r in rows:
        if r.get("steps_per_second"):
            series.setdefault((r["backend"], r.get("mode", "random")), []).append((r["batch_size"], r["steps_per_second"]))
    for (backend, mode), points in sorted(series.items()):
        points.sort()
        xs, ys = zip(*points)
        color = colors.setdefault(backend, f"C{len(colors)}")
        style = "--" if mode == "ppo" else "-"
        label = f"{backend} ({'PPO' if mode == 'ppo' else 'random actions'})"
        if xs == (1,):  # the single reference environment: a level to compare against
            ax.axhline(ys[0], color=color, linestyle=":", linewidth=1.2, label=f"{label}, 1 env")
        else:
            ax.plot(xs, ys, style, marker="o", markersize=4, color=color, label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("batch size (environments)")
    ax.set_ylabel("environment steps per second")
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path)
