"""`envport train NAME --backend jax|rust|reference`: PPO with progress, learning curve, saved policy, evaluation.

Writes to `--out` (default `runs/NAME-BACKEND`): `curve.csv`, `curve.png`, `policy.msgpack` +
`policy.json` (every seed's parameters and the configuration), `summary.json` (timing,
steps/s, final training returns and the evaluation returns). Exit 0 on success, 2 on bad usage.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

import typer

from recipe.cli.console import EXIT_INTERRUPTED, info, unknown_port, usage_error, use_ports
from recipe.cli.paths import check_folder, check_input_file
from recipe.cli.progress import Progress


def train(
    name: str = typer.Argument(..., help="Registered port to train on (name or Gymnasium id)."),
    backend: str = typer.Option("jax", help="jax (the JAX translation, one compiled run), rust (the Rust vector env) or reference (Gymnasium's vector env of the reference)."),
    config_path: Optional[Path] = typer.Option(None, "--config", help="TOML file of PPO settings (default: ppo/configs/NAME.toml when it exists)."),
    overrides: List[str] = typer.Option([], "--set", help="Override one setting, NAME=VALUE (repeatable), e.g. --set total_timesteps=100000."),
    seeds: int = typer.Option(1, min=1, help="Number of seeds, trained at once (vmapped for jax)."),
    first_seed: int = typer.Option(0, "--seed", help="The first seed; seeds are SEED, SEED+1, ..."),
    devices: int = typer.Option(1, min=0, help="jax: data-parallel over this many local devices (0: all)."),
    split: str = typer.Option("auto", help="With --devices: 'seeds' (whole seeds per device, no communication), 'envs' (every seed's environments split, gradients averaged) or 'auto' (seeds when they divide evenly)."),
    eval_episodes: int = typer.Option(10, min=1, help="Final evaluation: greedy episodes per seed."),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Output folder (default runs/NAME-BACKEND)."),
) -> None:
    """Train PPO on a port and write the learning curve, the policy and a final evaluation (exit 130 when interrupted)."""
    check_folder(out_dir, "--out")
    if config_path is not None:
        check_input_file(config_path, "--config")
    use_ports()
    from envs import UnknownPortError, get_port
    from ppo.config import ConfigError, default_config_path, load_config, parse_overrides
    from ppo.training import BACKENDS, check_backend

    try:
        port = get_port(name)
    except UnknownPortError as exc:
        raise unknown_port(exc)
    if backend not in BACKENDS:
        raise usage_error(f"unknown backend {backend!r}; known: {', '.join(BACKENDS)}")
    try:
        check_backend(port, backend)
        config = load_config(config_path or default_config_path(port.name), parse_overrides(overrides))
    except (ValueError, ConfigError) as exc:
        raise usage_error(str(exc))
    if devices != 1 and backend != "jax":
        raise usage_error("--devices applies to the jax backend only")
    if split not in ("auto", "seeds", "envs"):
        raise usage_error(f"--split must be auto, seeds or envs, got {split!r}")
    out_dir = check_folder(out_dir or Path("runs") / f"{port.name}-{backend}", "--out")
    seed_list = list(range(first_seed, first_seed + seeds))
    try:
        result = _train_with_progress(port, backend, config, seed_list, devices, split)
    except (ValueError, ConfigError) as exc:
        raise usage_error(str(exc))
    except KeyboardInterrupt:
        info("interrupted: training stopped before its end, nothing written")
        raise typer.Exit(EXIT_INTERRUPTED)
    _write_outputs(port, result, out_dir, eval_episodes)


def _train_with_progress(port, backend, config, seeds, devices, split):
    """Train with progress on stderr (steps, steps/s, the latest mean return; a bar on a terminal)."""
    import numpy as np

    from ppo.training import run_sharded_training, run_training

    total = config.num_updates * config.batch_size
    with Progress(f"train {port.name} {backend}", total=total, unit="steps") as bar:
        bar.message("compiling")
        began: list[float] = []

        def progress(update: int, steps: int, returns: np.ndarray) -> None:
            now = time.perf_counter()
            if not began:  # the first update's steps came after compiling: time the rest from here
                began.extend([now, steps])
                bar.restart_clock(completed=steps)
            rate = (steps - began[1]) * len(seeds) / (now - began[0]) if now > began[0] else 0.0
            shown = f"{np.nanmean(returns):.1f}" if np.isfinite(returns).any() else "-"
            bar.advance(completed=steps, text=(f"{rate / 1e3:,.1f}k steps/s, " if rate else "") + f"return {shown}")

        if devices != 1:
            result = run_sharded_training(port, config, seeds, devices, split)
        else:
            result = run_training(port, backend, config, seeds, progress=progress)
        if bar.completed < total:
            bar.advance(completed=total, text="done")
    return result


def _write_outputs(port, result, out_dir: Path, eval_episodes: int) -> None:
    """Write the run's files (ppo.outputs) and say what was learned and where it went."""
    import numpy as np

    from ppo.outputs import write_outputs

    summary, evaluation = write_outputs(port, result, out_dir, eval_episodes)
    final = result.final_returns()
    info(
        f"{port.name} {result.backend}: {len(result.seeds)} seed(s), {result.env_steps:,} steps in {result.train_seconds:.1f} s "
        f"({result.steps_per_second / 1e3:,.1f}k steps/s, compile {result.compile_seconds:.1f} s); "
        # 4 significant digits: CartPole's returns of about 500 and a card game's payoffs in [-1, 1] both read
        f"final training return {np.nanmean(final):.4g}; greedy evaluation {evaluation.mean():.4g} "
        f"(per seed {', '.join(f'{v:.4g}' for v in evaluation.mean(axis=1))})"
    )
    outcomes = summary["evaluation"].get("outcomes")
    if outcomes:
        low, high = outcomes["win_rate_ci95"]
        info(f"greedy evaluation: {outcomes['wins']} wins, {outcomes['draws']} draws, {outcomes['losses']} losses in "
             f"{outcomes['episodes']} episodes: win rate {outcomes['win_rate']:.1%} (95% CI {low:.1%} to {high:.1%})")
    info(f"wrote {out_dir}/: curve.csv, curve.png, policy.msgpack, policy.json, summary.json")
