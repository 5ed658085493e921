"""`envport list`, `envport verify` and `envport report`: the registry and the verifier's reports.

The verifier (verify/) is imported lazily inside the commands, in the places marked
"verify/ import", so that its layout can change without touching the rest of the CLI.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from recipe.cli.console import EXIT_FAILED, EXIT_OK, EXIT_USAGE, err, failure, out, unknown_port, usage_error


def list_ports(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List the registered ports (built-in, from ports folders and installed packages) and their backends.
    Exit 2 when a user port failed to load (each is named, with its error, on stderr)."""
    from envs import all_ports, load_errors, port_origin

    ports = all_ports()
    if as_json:
        sys.stdout.write(json.dumps([{**p.summary(), "origin": port_origin(p.name)} for p in ports], indent=2) + "\n")
    else:
        table = Table(title="envport ports")
        for column in ("name", "gym id", "backends", "episode limit", "reference", "from"):
            table.add_column(column, overflow="fold")
        for p in ports:
            table.add_row(p.name, p.gym_id, ", ".join(p.backends), str(p.max_episode_steps), p.reference_entry_point, port_origin(p.name))
        out.print(table)
    problems = load_errors()
    for problem in problems:
        err.print(f"not loaded: {problem.origin}: {problem.error}", markup=False, highlight=False)
    if problems:  # the listed ports work; the exit status says that some did not load
        raise typer.Exit(EXIT_USAGE)


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
    coverage: bool = typer.Option(
        True, "--coverage/--no-coverage",
        help="Measure the reference's branch coverage in L1-L3 and, after L1's examples, search for states that reach its untaken branches.",
    ),
    candidate: Optional[str] = typer.Option(
        None, help="Verify a third-party implementation instead: gymnax:ENV_ID, module:object, or an adapter file path (.py)."
    ),
    load_timeout: float = typer.Option(120.0, "--timeout", min=1.0, help="Seconds a translation may take to load and take its first step."),
    report_dir: Optional[Path] = typer.Option(None, "--report-dir", help="Write the report as JSON, Markdown, HTML and JUnit XML here."),
) -> None:
    """Verify a translation against its reference. Exit 0: all levels pass; 1: a level failed; 2: bad usage."""
    from envs import UnknownPortError, all_ports, get_port
    from verify.runner import VerifyOptions, parse_levels  # verify/ import

    try:
        level_tuple = parse_levels(levels)
    except ValueError as exc:
        raise usage_error(str(exc))
    if all_ports_flag or (name or "").lower() == "all":
        ports = all_ports()
    elif name is None:
        raise usage_error("name an environment (see `envport list`) or pass --all")
    else:
        try:
            ports = [get_port(name)]
        except UnknownPortError as exc:
            raise unknown_port(exc)
    for port in ports:
        if backend not in port.backends:
            raise usage_error(f"backend {backend!r} is not available for {port.name}; available: {', '.join(port.backends)}")
    if backend == "rust":
        from envs.rust_backend import rust_available

        if not rust_available():
            raise usage_error("the Rust backend is not built: run `bash setup.sh` (it builds rust_envs/ with maturin)")
        if candidate is not None:
            raise usage_error("--candidate verifies JAX-contract implementations; drop --backend rust")
    candidates = {}
    if candidate is not None:
        if len(ports) != 1:
            raise usage_error("--candidate verifies one environment: name it instead of --all")
        candidates[ports[0].name] = _load_candidate(ports[0], candidate, load_timeout)

    from verify.precision import enable_verification_numerics  # verify/ import
    from verify.runner import verify_port  # verify/ import

    enable_verification_numerics()
    options = VerifyOptions(examples=examples, programs=programs, episodes=episodes, seed=seed, coverage=coverage)
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
        from verify.reports.render import render_all  # verify/ import

        stem = "verify-all" if len(reports) > 1 else f"verify-{reports[0].env}"
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / f"{stem}.json").write_text(text)
        written = render_all(json.loads(text), report_dir, stem)
        err.print("reports: " + ", ".join(str(p) for p in [report_dir / f"{stem}.json", *written.values()]))
    raise typer.Exit(EXIT_OK if all(r.passed for r in reports) else EXIT_FAILED)


def _load_candidate(port, candidate: str, load_timeout: float):
    """A third-party implementation of `port`, after a load check in a subprocess (a hang or crash must not take envport with it)."""
    from verify.candidates import CandidateError, load_candidate  # verify/ import
    from verify.contract import check_loads  # verify/ import
    from verify.precision import enable_verification_numerics  # verify/ import

    problem = check_loads(port.name, candidate, load_timeout)
    if problem is not None and problem.usage:
        raise usage_error(str(problem))
    if problem is not None:
        raise failure(f"candidate {candidate} for {port.name}: {problem}")
    enable_verification_numerics()
    try:
        return load_candidate(port, candidate)
    except CandidateError as exc:
        raise usage_error(str(exc))


def report(
    run_json: Path = typer.Argument(..., help="A JSON report written by `envport verify --json` (one report or a list)."),
    html: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML page with plots here."),
    md: Optional[Path] = typer.Option(None, "--md", help="Write Markdown here."),
    junit: Optional[Path] = typer.Option(None, "--junit", help="Write JUnit XML here."),
) -> None:
    """Render a JSON verification report as HTML, Markdown or JUnit XML (Markdown to stdout when no option is given)."""
    from verify.reports.html import render_html  # verify/ import
    from verify.reports.junit import render_junit  # verify/ import
    from verify.reports.markdown import render_markdown  # verify/ import
    from verify.reports.render import load_report  # verify/ import

    try:
        data = load_report(run_json)
    except FileNotFoundError:
        raise usage_error(f"{run_json} does not exist; write one with `envport verify NAME --json {run_json}`")
    except (ValueError, json.JSONDecodeError) as exc:
        raise usage_error(f"{run_json} is not a JSON report: {exc}")
    targets = [(html, render_html), (md, render_markdown), (junit, render_junit)]
    if not any(path for path, _ in targets):
        sys.stdout.write(render_markdown(data))
        return
    for path, render in targets:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(data))
            err.print(f"wrote {path}")


def _coverage_cell(result) -> str:
    """' branches 41/44' for a level that measured the reference's branch coverage, else ''."""
    coverage = getattr(result, "coverage", None)
    if not coverage or not coverage.get("measured", True):
        return ""
    return f" branches {coverage['covered']}/{coverage['total']}"


def _print_reports(reports, levels) -> None:
    """The verification table, then each failing report's lowest failing check and how to reproduce it."""
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
                cells.append(f"{'[green]pass' if result.passed else '[red]FAIL'}[/] ({result.checks})" + _coverage_cell(result))
        table.add_row(r.env, r.backend, *cells, "[green]PASS" if r.passed else "[red]FAIL", f"{r.seconds:.1f}")
    out.print(table)
    for r in reports:
        first = r.first_failure()
        if first is not None:
            level, failed = first
            out.print(f"[red]{r.env}[/] lowest failing level {level.level} ({level.title}), check {failed['check']}:")
            out.print(failed["message"], markup=False, highlight=False)
            if "reproduce" in failed:
                out.print("reproduce with:", markup=False)
                out.print(failed["reproduce"], markup=False, highlight=False)
