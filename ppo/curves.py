"""Learning curves: mean episode return per update over seeds, as CSV and as a PNG plot."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np


def curve_rows(steps: np.ndarray, returns: np.ndarray) -> list[dict]:
    """One row per update: env steps (per seed), mean / std / min / max over seeds, then each seed's value."""
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # updates where no episode ended in some seed
        for i, step in enumerate(steps):
            column = returns[:, i]
            row = {"step": int(step), "mean": np.nanmean(column), "std": np.nanstd(column), "min": np.nanmin(column), "max": np.nanmax(column)}
            row.update({f"seed_{k}": column[k] for k in range(len(column))})
            rows.append(row)
    return rows


def write_curve_csv(path: Path, steps: np.ndarray, returns: np.ndarray, seeds: list[int]) -> None:
    """CSV of the learning curve; seed columns are named by the seeds themselves."""
    rows = curve_rows(steps, returns)
    names = {f"seed_{k}": f"seed_{s}" for k, s in enumerate(seeds)}
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["step", "mean", "std", "min", "max", *names.values()])
        for row in rows:
            writer.writerow([row["step"], *(f"{row[k]:.4f}" for k in ("mean", "std", "min", "max")), *(f"{row[k]:.4f}" for k in names)])


def plot_curves(path: Path, curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str) -> None:
    """PNG: per label, the mean return over seeds against env steps, the min-max band shaded and +-1 std darker."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.2), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for label, (steps, returns) in curves.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, std = np.nanmean(returns, axis=0), np.nanstd(returns, axis=0)
            low, high = np.nanmin(returns, axis=0), np.nanmax(returns, axis=0)
        (line,) = ax.plot(steps, mean, label=f"{label} (mean of {returns.shape[0]} seeds)")
        ax.fill_between(steps, low, high, color=line.get_color(), alpha=0.12, linewidth=0)
        ax.fill_between(steps, mean - std, mean + std, color=line.get_color(), alpha=0.25, linewidth=0)
    ax.set_xlabel("environment steps per seed")
    ax.set_ylabel("mean episode return")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
