"""`envport bench`: random-action (and PPO) steps per second per backend and batch size, with ratios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table
from rich.text import Text

from recipe.cli.console import EXIT_FAILED, EXIT_INTERRUPTED, err, error, info, out, unknown_port, usage_error, use_ports
from recipe.cli.paths import check_file, is_stdout, write_text
from recipe.cli.progress import Progress


def bench(
    name: str = typer.Argument(..., help="Port name or Gymnasium id."),
    backend: str = typer.Option("reference,jax,rust,gymnax,envpool", help="Comma-separated backends to measure in this one run."),
    batch_sizes: str = typer.Option("32,128,512,2048,8192", help="Comma-separated batch sizes."),
    repeats: int = typer.Option(3, min=1, help="Measurements per point; the median is reported."),
    budget: int = typer.Option(1_000_000, min=1000, help="Environment steps per measurement (about)."),
    threads: Optional[int] = typer.Option(None, min=1, help="Threads for the Rust and EnvPool backends (default: all cores)."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write the rows as JSON here (- for stdout, the table then goes to stderr)."),
    ppo: bool = typer.Option(False, "--ppo", help="Also measure PPO training steps/s (jax, rust, reference backends)."),
    ppo_batch_sizes: str = typer.Option("4,32,128,512,2048", help="With --ppo: comma-separated numbers of environments (4 is PureJaxRL's CartPole setting)."),
    ppo_updates: int = typer.Option(4, min=1, help="With --ppo: timed PPO updates per measurement (compilation excluded)."),
    ppo_repeats: int = typer.Option(1, min=1, help="With --ppo: training runs per point; the median is reported."),
    chart: Optional[Path] = typer.Option(None, "--chart", help="Write a PNG chart of steps/s against batch size for every backend (random and PPO)."),
    settings: List[str] = typer.Option(
        [], "--set", help="An environment setting for every backend, NAME=VALUE (repeatable), e.g. --set sticky_action_prob=0 to compare MinAtar with gymnax."
    ),
    baseline: str = typer.Option("reference", help="The backend the ratios compare with, at the same batch size (the reference: its single env, when measured)."),
) -> None:
    """Random-action (and with --ppo, PPO) steps per second per backend and batch size, with ratios, in one run.

    Exit 1 when a backend fails (its row holds the error); a backend that is not installed, or does not
    offer this environment, is a skipped row with the reason."""
    json_path = check_file(json_path, "--json", stdout_ok=True)
    chart = check_file(chart, "--chart")
    use_ports()
    from envs import UnknownPortError, get_port
    from ppo.bench import BACKENDS, machine_description, run_bench, with_settings
    from ppo.config import ConfigError, parse_overrides

    try:
        port = get_port(name)
    except UnknownPortError as exc:
        raise unknown_port(exc)
    backends = tuple(b.strip() for b in backend.split(",") if b.strip())
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown or not backends:
        raise usage_error(f"unknown backend(s) {unknown}; known: {', '.join(BACKENDS)}")
    if baseline != "reference" and baseline not in backends:
        raise usage_error(f"--baseline {baseline} is not among the backends measured ({', '.join(backends)})")
    try:
        env_settings = parse_overrides(settings)
        typed, _ = with_settings(port.make_jax().default_params, env_settings, port.name)
        env_settings = {k: getattr(typed, k) for k in env_settings}
    except (ConfigError, ValueError) as exc:
        raise usage_error(f"--set: {exc}")
    sizes = _parse_sizes(batch_sizes, "--batch-sizes")
    ppo_sizes = _parse_sizes(ppo_batch_sizes, "--ppo-batch-sizes") if ppo else ()
    machine = machine_description()
    console = err if is_stdout(json_path) else out
    points = len(sizes) + (len(ppo_sizes) * ppo_repeats * sum(b in ("jax", "rust", "reference") for b in backends) if ppo else 0)
    rows: list[dict] = []
    try:
        with Progress("bench", total=points, unit="points") as progress:
            def random_progress(message: str) -> None:
                if ": timing " in message:  # one batch size measured: a point done
                    progress.advance(text=message)
                else:
                    progress.message(message)

            rows = run_bench(
                port, backends, sizes, repeats, budget, num_threads=threads, progress=random_progress, settings=env_settings, baseline=baseline
            )
            for r in rows:
                r.setdefault("mode", "random")
            if ppo:
                from ppo.bench_ppo import bench_ppo

                rows += bench_ppo(port, backends, ppo_sizes, ppo_updates, ppo_repeats, num_threads=threads, progress=lambda m: progress.advance(text=m))
    except KeyboardInterrupt:
        info("interrupted: nothing was measured to the end, nothing written")
        raise typer.Exit(EXIT_INTERRUPTED)
    _print_rows(port.name, rows, baseline, repeats, ppo_repeats, console)
    if env_settings:
        console.print("settings: " + ", ".join(f"{k}={v}" for k, v in env_settings.items()))
    if ppo:
        console.print("x reference: random actions against the single Gymnasium env; PPO against PPO over Gymnasium's vector env of the reference at the same batch size")
    console.print(f"machine: {machine['cpu']}, {machine['cores']} cores; jax {machine['jax']} on {', '.join(machine['jax_devices'])}")
    if chart is not None:
        from ppo.bench_ppo import plot_bench

        chart.parent.mkdir(parents=True, exist_ok=True)
        plot_bench(chart, rows, f"envport bench {port.name} ({machine['cores']} cores: {machine['cpu']})")
        err.print(f"wrote {chart}", markup=False, highlight=False)
    if json_path is not None:
        write_text(json_path, json.dumps({"machine": machine, "rows": rows}, indent=2, default=str))
    failed = [r for r in rows if r.get("error")]
    for r in failed:
        error(f"{r['backend']} ({r.get('mode', 'random')}, batch {r['batch_size']}) failed: {r['error']}")
    if failed:
        raise typer.Exit(EXIT_FAILED)


def _parse_sizes(text: str, option: str) -> tuple[int, ...]:
    """Positive integers from a comma-separated option, or a usage error naming the option."""
    try:
        sizes = tuple(int(b) for b in text.split(",") if b.strip())
    except ValueError:
        raise usage_error(f"{option} must be comma-separated integers, got {text!r}")
    if not sizes or min(sizes) < 1:
        raise usage_error(f"{option} must be positive integers")
    return sizes


def _print_rows(port_name: str, rows: list[dict], baseline: str, repeats: int, ppo_repeats: int, console=out) -> None:
    """The results table: steps/s and the ratio to the baseline (PPO rows: to the reference)."""
    table = Table(title=f"envport bench {port_name}: steps/s, median of {repeats} (random) / {ppo_repeats} (PPO)")
    ratio_column = f"x {baseline}"
    for column in ("backend", "mode", "batch", "steps/s", ratio_column, "note"):
        table.add_column(column, justify="right" if column in ("batch", "steps/s", ratio_column) else "left")
    for r in rows:
        sps = f"{r['steps_per_second'] / 1e6:.3f}M" if r["steps_per_second"] else "-"
        key = "ratio_to_reference" if r["mode"] != "random" or baseline == "reference" else "ratio_to_baseline"
        ratio = f"{r[key]:.1f}" if r.get(key) else "-"
        note = Text(f"error: {r['error']}", style="red") if r.get("error") else Text(str(r.get("skipped", r.get("note", ""))))
        table.add_row(r["backend"], r["mode"], str(r["batch_size"] or "-"), sps, ratio, note)
    console.print(table)
