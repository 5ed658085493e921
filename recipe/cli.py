"""The `envport` command: list, translate, verify, report, bench, mutate and train."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Translate slow RL environments into verified JAX and Rust ports, then benchmark and train on them.",
)
out = Console() if sys.stdout.isatty() else Console(width=150)  # results (wide when piped, so tables stay readable)
err = Console(stderr=True, soft_wrap=True)  # progress and errors

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _usage_error(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(EXIT_USAGE)


@app.command("list")
def list_ports(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List the registered ports and their backends."""
    from envs import all_ports

    ports = all_ports()
    if as_json:
        sys.stdout.write(json.dumps([p.summary() for p in ports], indent=2) + "\n")
        return
    table = Table(title="envport ports")
    for column in ("name", "gym id", "backends", "episode limit", "reference"):
        table.add_column(column, overflow="fold")
    for p in ports:
        table.add_row(p.name, p.gym_id, ", ".join(p.backends), str(p.max_episode_steps), p.reference_entry_point)
    out.print(table)


@app.command()
def verify(
    name: Optional[str] = typer.Argument(None, help="Port name or Gymnasium id (cartpole, CartPole-v1, ...); 'all' for every port."),
    backend: str = typer.Option("jax", help="Which translation to verify."),
    levels: str = typer.Option("L0,D,L1,L2,L3,F32", help="Comma-separated levels: L0 contract, D draw distribution, L1 properties, L2 interaction, L3 rollouts, F32 float32 production check."),
    all_ports_flag: bool = typer.Option(False, "--all", help="Verify every registered port."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write the JSON report here (a list with --all)."),
    examples: int = typer.Option(200, min=1, help="L1: Hypothesis examples."),
    programs: int = typer.Option(30, min=1, help="L2: Hypothesis rule programs."),
    episodes: int = typer.Option(100, min=1, help="L3: episodes per policy."),
    seed: int = typer.Option(0, help="Seed of the L1 search and the L3 rollouts."),
    candidate: Optional[str] = typer.Option(
        None, help="Verify a third-party implementation instead: gymnax:ENV_ID, module:object, or an adapter file path (.py)."
    ),
    load_timeout: float = typer.Option(120.0, "--timeout", min=1.0, help="Seconds a translation may take to load and take its first step."),
    report_dir: Optional[Path] = typer.Option(None, "--report-dir", help="Write the report as JSON, Markdown, HTML and JUnit XML here."),
) -> None:
    """Verify a translation against its reference. Exit 0: all levels pass; 1: a level failed; 2: bad usage."""
    from envs import UnknownPortError, all_ports, get_port
    from verify.runner import VerifyOptions, parse_levels

    try:
        level_tuple = parse_levels(levels)
    except ValueError as exc:
        raise _usage_error(str(exc))
    if all_ports_flag or (name or "").lower() == "all":
        ports = all_ports()
    elif name is None:
        raise _usage_error("name an environment (see `envport list`) or pass --all")
    else:
        try:
            ports = [get_port(name)]
        except UnknownPortError as exc:
            raise _usage_error(f"{exc}. Run `envport list` to see them.")
    for port in ports:
        if backend not in port.backends:
            raise _usage_error(f"backend {backend!r} is not available for {port.name}; available: {', '.join(port.backends)}")
    if backend == "rust":
        from envs.rust_backend import rust_available

        if not rust_available():
            raise _usage_error("the Rust backend is not built: run `bash setup.sh` (it builds rust_envs/ with maturin)")
        if candidate is not None:
            raise _usage_error("--candidate verifies JAX-contract implementations; drop --backend rust")
    candidates = {}
    if candidate is not None:
        from verify.candidates import CandidateError, load_candidate
        from verify.precision import enable_verification_numerics

        if len(ports) != 1:
            raise _usage_error("--candidate verifies one environment: name it instead of --all")
        from verify.contract import check_loads

        # Load it in a subprocess first: a candidate that hangs or crashes at import must not take envport with it.
        problem = check_loads(ports[0].name, candidate, load_timeout)
        if problem is not None and problem.usage:
            raise _usage_error(str(problem))
        if problem is not None:
            err.print(f"[bold red]error:[/] candidate {candidate} for {ports[0].name}: ", end="")
            err.print(problem, markup=False, highlight=False)
            raise typer.Exit(EXIT_FAILED)
        enable_verification_numerics()
        try:
            candidates[ports[0].name] = load_candidate(ports[0], candidate)
        except CandidateError as exc:
            raise _usage_error(str(exc))

    from verify.precision import enable_verification_numerics
    from verify.runner import verify_port

    enable_verification_numerics()
    options = VerifyOptions(examples=examples, programs=programs, episodes=episodes, seed=seed)
    reports = []
    with err.status("verifying") as status:
        for port in ports:
            report = verify_port(
                port, level_tuple, options, progress=lambda msg: status.update(msg),
                candidate=candidates.get(port.name), backend=backend,
            )
            err.print(f"{'[green]PASS' if report.passed else '[red]FAIL'}[/] {port.name} ({report.seconds:.1f} s)")
            reports.append(report)
    _print_reports(reports, level_tuple)
    data = [r.to_dict() for r in reports] if len(reports) > 1 or all_ports_flag else reports[0].to_dict()
    text = json.dumps(data, indent=2, default=str)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(text)
    if report_dir is not None:
        from verify.report_render import render_all

        stem = "verify-all" if len(reports) > 1 else f"verify-{reports[0].env}"
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / f"{stem}.json").write_text(text)
        written = render_all(json.loads(text), report_dir, stem)
        err.print("reports: " + ", ".join(str(p) for p in [report_dir / f"{stem}.json", *written.values()]))
    raise typer.Exit(EXIT_OK if all(r.passed for r in reports) else EXIT_FAILED)


@app.command()
def report(
    run_json: Path = typer.Argument(..., help="A JSON report written by `envport verify --json` (one report or a list)."),
    html: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML page with plots here."),
    md: Optional[Path] = typer.Option(None, "--md", help="Write Markdown here."),
    junit: Optional[Path] = typer.Option(None, "--junit", help="Write JUnit XML here."),
) -> None:
    """Render a JSON verification report as HTML, Markdown or JUnit XML (Markdown to stdout when no option is given)."""
    from verify.report_html import render_html
    from verify.report_junit import render_junit
    from verify.report_md import render_markdown
    from verify.report_render import load_report

    try:
        data = load_report(run_json)
    except FileNotFoundError:
        raise _usage_error(f"{run_json} does not exist; write one with `envport verify NAME --json {run_json}`")
    except (ValueError, json.JSONDecodeError) as exc:
        raise _usage_error(f"{run_json} is not a JSON report: {exc}")
    targets = [(html, render_html), (md, render_markdown), (junit, render_junit)]
    if not any(path for path, _ in targets):
        sys.stdout.write(render_markdown(data))
        return
    for path, render in targets:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(data))
            err.print(f"wrote {path}")


@app.command()
def bench(
    name: str = typer.Argument(..., help="Port name or Gymnasium id."),
    backend: str = typer.Option("reference,jax,rust,gymnax,envpool", help="Comma-separated backends to measure in this one run."),
    batch_sizes: str = typer.Option("32,128,512,2048,8192", help="Comma-separated batch sizes."),
    repeats: int = typer.Option(3, min=1, help="Measurements per point; the median is reported."),
    budget: int = typer.Option(1_000_000, min=1000, help="Environment steps per measurement (about)."),
    threads: Optional[int] = typer.Option(None, min=1, help="Threads for the Rust and EnvPool backends (default: all cores)."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write the rows as JSON here."),
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
    """Random-action (and with --ppo, PPO) steps per second per backend and batch size, with ratios, in one run."""
    from envs import UnknownPortError, get_port
    from ppo.bench import BACKENDS, machine_description, run_bench, with_settings
    from ppo.config import ConfigError, parse_overrides

    try:
        port = get_port(name)
    except UnknownPortError as exc:
        raise _usage_error(f"{exc}. Run `envport list` to see them.")
    backends = tuple(b.strip() for b in backend.split(",") if b.strip())
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown or not backends:
        raise _usage_error(f"unknown backend(s) {unknown}; known: {', '.join(BACKENDS)}")

    def parse_sizes(text: str, option: str) -> tuple[int, ...]:
        try:
            sizes = tuple(int(b) for b in text.split(",") if b.strip())
        except ValueError:
            raise _usage_error(f"{option} must be comma-separated integers, got {text!r}")
        if not sizes or min(sizes) < 1:
            raise _usage_error(f"{option} must be positive integers")
        return sizes

    if baseline != "reference" and baseline not in backends:
        raise _usage_error(f"--baseline {baseline} is not among the backends measured ({', '.join(backends)})")
    try:
        env_settings = parse_overrides(settings)
        typed, _ = with_settings(port.make_jax().default_params, env_settings, port.name)
        env_settings = {k: getattr(typed, k) for k in env_settings}
    except (ConfigError, ValueError) as exc:
        raise _usage_error(f"--set: {exc}")
    sizes = parse_sizes(batch_sizes, "--batch-sizes")
    ppo_sizes = parse_sizes(ppo_batch_sizes, "--ppo-batch-sizes") if ppo else ()
    machine = machine_description()
    with err.status("benchmarking") as status:
        rows = run_bench(
            port, backends, sizes, repeats, budget, num_threads=threads, progress=lambda m: status.update(m), settings=env_settings, baseline=baseline
        )
        for r in rows:
            r.setdefault("mode", "random")
        if ppo:
            from ppo.bench_ppo import bench_ppo

            rows += bench_ppo(port, backends, ppo_sizes, ppo_updates, ppo_repeats, num_threads=threads, progress=lambda m: status.update(m))
    table = Table(title=f"envport bench {port.name}: steps/s, median of {repeats} (random) / {ppo_repeats} (PPO)")
    ratio_column = f"x {baseline}"
    for column in ("backend", "mode", "batch", "steps/s", ratio_column, "note"):
        table.add_column(column, justify="right" if column in ("batch", "steps/s", ratio_column) else "left")
    for r in rows:
        sps = f"{r['steps_per_second'] / 1e6:.3f}M" if r["steps_per_second"] else "-"
        key = "ratio_to_reference" if r["mode"] != "random" or baseline == "reference" else "ratio_to_baseline"
        ratio = f"{r[key]:.1f}" if r.get(key) else "-"
        table.add_row(r["backend"], r["mode"], str(r["batch_size"] or "-"), sps, ratio, r.get("skipped", r.get("note", "")))
    out.print(table)
    if env_settings:
        out.print("settings: " + ", ".join(f"{k}={v}" for k, v in env_settings.items()))
    if ppo:
        out.print("x reference: random actions against the single Gymnasium env; PPO against PPO over Gymnasium's vector env of the reference at the same batch size")
    out.print(f"machine: {machine['cpu']}, {machine['cores']} cores; jax {machine['jax']} on {', '.join(machine['jax_devices'])}")
    if chart is not None:
        from ppo.bench_ppo import plot_bench

        chart.parent.mkdir(parents=True, exist_ok=True)
        plot_bench(chart, rows, f"envport bench {port.name} ({machine['cores']} cores: {machine['cpu']})")
        err.print(f"wrote {chart}")
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({"machine": machine, "rows": rows}, indent=2, default=str))


@app.command()
def mutate(
    name: str = typer.Argument(..., help="Port name or Gymnasium id."),
    backend: str = typer.Option("jax", help="Which translation to mutate: jax (its Python source) or rust (its module in rust_envs/)."),
    rust_file: Optional[Path] = typer.Option(None, "--rust-file", help="rust: mutate this module of rust_envs/src/ instead of the port's own (e.g. the shared MinAtar wrapper)."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write the full result (every mutant, survivors with diffs) here."),
    max_mutants: Optional[int] = typer.Option(None, min=1, help="Verify at most this many mutants (spread over the operators)."),
    timeout_s: Optional[float] = typer.Option(None, "--timeout", min=1.0, help="Seconds per mutant (default: from the original's verification time)."),
    workers: int = typer.Option(2, min=1, help="Mutants verified in parallel, each in its own process."),
    min_kill_rate: float = typer.Option(0.0, min=0.0, max=1.0, help="Exit 1 when the kill rate is below this."),
    journal: Optional[Path] = typer.Option(None, help="Append each verdict here as it is known; a run given the journal of an interrupted one verifies only the rest."),
) -> None:
    """Mutation analysis: how many systematic bugs planted in the translation does the verifier catch, and where?"""
    from envs import UnknownPortError, get_port
    from verify.mutate import run_mutation_analysis
    from verify.rust_mutate import CRATE, run_rust_mutation_analysis

    try:
        port = get_port(name)
    except UnknownPortError as exc:
        raise _usage_error(f"{exc}. Run `envport list` to see them.")
    if backend not in ("jax", "rust"):
        raise _usage_error(f"unknown backend {backend!r}: mutation analysis mutates the jax or the rust translation")
    if backend == "rust":
        if "rust" not in port.backends:
            raise _usage_error(f"{port.name} has no Rust translation; its backends: {', '.join(port.backends)}")
        from recipe.rust_build import missing_tools

        if missing_tools():
            raise _usage_error(f"mutating the Rust translation builds the crate: install {', '.join(missing_tools())} (`bash setup.sh`)")
        if rust_file is not None and (not rust_file.is_file() or rust_file.suffix != ".rs"
                                      or CRATE / "src" not in rust_file.resolve().parents):
            raise _usage_error(f"--rust-file {rust_file}: not a .rs module under {CRATE / 'src'}")
    elif rust_file is not None:
        raise _usage_error("--rust-file is for --backend rust")
    try:
        with err.status("mutating") as status:
            common = dict(max_mutants=max_mutants, timeout_s=timeout_s, workers=workers, journal=journal, progress=lambda m: status.update(m))
            if backend == "rust":
                result = run_rust_mutation_analysis(port, source_file=rust_file, **common)
            else:
                result = run_mutation_analysis(port, **common)
    except RuntimeError as exc:  # the unmutated translation fails: every kill would be meaningless
        err.print(f"[bold red]error:[/] {exc}", markup=False)
        raise typer.Exit(EXIT_FAILED)
    table = Table(title=f"envport mutate {port.name} ({backend})")
    for column in ("mutants", "killed", *[f"by {k}" for k in result["killed_by_level"]], "equivalent", "unviable", "survived", "kill rate"):
        table.add_column(column, justify="right")
    rate = result["kill_rate"]
    table.add_row(
        str(result["mutants"]), str(result["killed"]), *[str(v) for v in result["killed_by_level"].values()],
        str(result["equivalent"]), str(result["unviable"]), str(result["survived"]), "-" if rate is None else f"{rate:.1%}",
    )
    out.print(table)
    for survivor in result["survivors"]:
        out.print(f"survived: {survivor['operator']} at line {survivor['line']}", markup=False)
        out.print(survivor["diff"], markup=False, highlight=False)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result, indent=2, default=str))
    if rate is not None and rate < min_kill_rate:
        raise typer.Exit(EXIT_FAILED)


def _print_reports(reports, levels) -> None:
    table = Table(title="envport verify")
    table.add_column("env", no_wrap=True)
    table.add_column("backend")
    for level in levels:
        table.add_column(level)
    table.add_column("result")
    table.add_column("seconds", justify="right")
    for r in reports:
        cells = []
        for level in levels:
            result = r.levels.get(level)
            if result is None or result.passed is None:
                cells.append("[yellow]skipped")
            else:
                cells.append(f"{'[green]pass' if result.passed else '[red]FAIL'}[/] ({result.checks})")
        table.add_row(r.env, r.backend, *cells, "[green]PASS" if r.passed else "[red]FAIL", f"{r.seconds:.1f}")
    out.print(table)
    for r in reports:
        first = r.first_failure()
        if first is not None:
            level, failure = first
            out.print(f"[red]{r.env}[/] lowest failing level {level.level} ({level.title}), check {failure['check']}:")
            out.print(failure["message"], markup=False, highlight=False)
            if "reproduce" in failure:
                out.print("reproduce with:", markup=False)
                out.print(failure["reproduce"], markup=False, highlight=False)


# Commands that live in their own modules, so that each can grow without touching this file.
from ppo.train_command import train  # noqa: E402
from recipe.translate_command import translate  # noqa: E402

app.command("translate")(translate)
app.command("train")(train)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    sys.exit(main())
