"""`envport list`, `envport verify` and `envport report`: the registry and the verifier's reports.

The verifier (verify/) is imported lazily inside the commands, in the places marked
"verify/ import", so that its layout can change without touching the rest of the CLI.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from recipe.cli.console import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    err,
    failure,
    info,
    out,
    traceback_line,
    unknown_port,
    usage_error,
    use_ports,
)
from recipe.cli.executor_options import address_option, executor_option, opened_executor
from recipe.cli.paths import check_file, check_folder, is_stdout, write_text
from recipe.cli.progress import Progress

# `envport verify --level-timeout`'s default: each shipped port's JAX translation verifies at default sizes, every
# level together, in under 120 s on a quiet 2-core machine (docs/verification-speed.md), so one level past 15 minutes
# is hung, not slow.
LEVEL_TIMEOUT_S = 900.0


def list_ports(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List the registered ports (built-in, from ports folders and installed packages) and their backends.
    Exit 2 when a user port failed to load (each is named, with its error, on stderr)."""
    use_ports()
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
    json_path: Optional[Path] = typer.Option(None, "--json", help="Write the JSON report here (a list with --all; - for stdout, the table then goes to stderr)."),
    examples: int = typer.Option(200, min=1, help="L1: Hypothesis examples."),
    programs: int = typer.Option(30, min=1, help="L2: Hypothesis rule programs."),
    episodes: int = typer.Option(100, min=1, help="L3: episodes per policy."),
    l4_seeds: int = typer.Option(10, "--l4-seeds", min=2, help="L4: PPO seeds trained (paired differences of the TOST)."),
    l4_episodes: int = typer.Option(100, "--l4-episodes", min=1, help="L4: greedy evaluation episodes per seed, on each side."),
    l4_timesteps: Optional[int] = typer.Option(None, "--l4-timesteps", min=1, help="L4: training steps per seed (default: the port's PPO configuration)."),
    seed: int = typer.Option(0, help="Seed of the L1 search and the L3 rollouts."),
    coverage: bool = typer.Option(
        True, "--coverage/--no-coverage",
        help="Measure the reference's branch coverage in L1-L3 and, after L1's examples, search for states that reach its untaken branches.",
    ),
    candidate: Optional[str] = typer.Option(
        None, help="Verify a third-party implementation instead: gymnax:ENV_ID, module:object, or an adapter file path (.py)."
    ),
    precision: str = typer.Option(
        "float64", help="float32: the translation computes in float32 by design (a float32-native candidate); compare it within the F32 level's tolerance instead of to float64 round-off."
    ),
    load_timeout: float = typer.Option(120.0, "--timeout", min=1.0, help="Seconds a translation may take to load and take its first step."),
    level_timeout: float = typer.Option(
        LEVEL_TIMEOUT_S, "--level-timeout", min=0.0,
        help="Seconds a level (L4 aside) may run before the verifier stops it as hung (a step that never returns); 0: no limit.",
    ),
    report_dir: Optional[Path] = typer.Option(None, "--report-dir", help="Write the report as JSON, Markdown, HTML and JUnit XML here."),
    executor: str = executor_option(),
    address: Optional[str] = address_option(),
) -> None:
    """Verify a translation against its reference. Exit 0: all levels pass; 1: a level failed (a level stopped at
    --level-timeout included: the run ends there, its reports written); 2: bad usage; 130: interrupted (the reports
    of what finished are kept, the rest marked partial)."""
    json_path = check_file(json_path, "--json", stdout_ok=True)
    report_dir = check_folder(report_dir, "--report-dir")
    use_ports()
    from envs import UnknownPortError, all_ports, get_port
    from verify.runner import PRECISIONS, VerifyOptions, parse_levels  # verify/ import

    try:
        level_tuple = parse_levels(levels)
    except ValueError as exc:
        raise usage_error(str(exc))
    if precision not in PRECISIONS:
        raise usage_error(f"--precision {precision!r}: use one of {', '.join(PRECISIONS)}")
    if precision == "float32" and backend != "jax":
        raise usage_error("--precision float32 is for JAX translations and candidates; the Rust translations compute in float64")
    as_list = all_ports_flag or (name or "").lower() == "all"
    if as_list:
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
    if candidate is not None and executor != "local":
        raise usage_error("--candidate is verified on this machine: drop --executor")
    candidates = {}
    if candidate is not None:
        if len(ports) != 1:
            raise usage_error("--candidate verifies one environment: name it instead of --all")
        candidates[ports[0].name] = _load_candidate(ports[0], candidate, load_timeout)

    from verify.precision import enable_verification_numerics  # verify/ import
    from verify.executors import run_tasks  # verify/ import
    from verify.runner import PortVerification  # verify/ import

    enable_verification_numerics()
    options = VerifyOptions(examples=examples, programs=programs, episodes=episodes, seed=seed, precision=precision, coverage=coverage,
                            l4_seeds=l4_seeds, l4_episodes=l4_episodes, l4_timesteps=l4_timesteps,
                            level_timeout_s=level_timeout or None)
    keeper = _ReportKeeper(ports, backend, as_list, json_path, report_dir)
    with opened_executor(executor, address) as runner:
        try:
            with Progress("verify", total=len(ports) * len(level_tuple), unit="levels") as progress:
                def level_done(report, port) -> None:
                    keeper.current = (port.name, report)
                    progress.advance(text=_level_line(port.name, *next(reversed(report.levels.items()))))

                def port_done(i: int, future) -> None:
                    port = ports[i]
                    if runner.in_process:  # an error here is envport's own: it surfaces as before
                        report = future.result()
                    else:
                        report = _remote_report(port, backend, future)
                        for name, result in report.levels.items():  # the lines a local run prints as each level ends
                            progress.advance(text=_level_line(port.name, name, result))
                    err.print(f"{VERDICT_CELL[report.verdict]}[/] {port.name} ({report.seconds:.1f} s)")
                    keeper.finish(port.name, report)

                def level_hung(report, port) -> None:  # on the watchdog's thread; the process ends after it
                    progress.advance(text=_level_line(port.name, *next(reversed(report.levels.items()))))
                    keeper.hung(port.name, report)

                live = runner.in_process
                tasks = [PortVerification(port.name, level_tuple, options, backend, candidate=candidates.get(port.name),
                                          progress=progress.message if live else None,
                                          on_level=functools.partial(level_done, port=port) if live else None,
                                          on_hang=functools.partial(level_hung, port=port) if live else None)
                         for port in ports]
                run_tasks(runner, tasks, port_done)
        except KeyboardInterrupt:
            written = keeper.interrupted()
            info(f"interrupted: {len(keeper.finished)} of {len(ports)} port(s) finished"
                 + (f"; kept in {', '.join(written)} (the rest marked partial)" if written else ""))
            raise typer.Exit(EXIT_INTERRUPTED)
    reports = keeper.reports()
    _print_reports(reports, level_tuple, err if is_stdout(json_path) else out)
    keeper.write(final=True)
    raise typer.Exit(EXIT_OK if all(r.passed for r in reports) else EXIT_FAILED)


class _ReportKeeper:
    """The reports of one `verify` run, written as they finish: after each port (a list with --all, where the ports
    not verified yet are marked partial), at the end with the rendered formats, and on Ctrl-C with what finished."""

    def __init__(self, ports, backend: str, as_list: bool, json_path: Optional[Path], report_dir: Optional[Path]):
        self.ports, self.backend, self.as_list = ports, backend, as_list or len(ports) > 1
        self.json_path, self.report_dir = json_path, report_dir
        self.finished: dict = {}  # port name -> report, in the order they finished (ports may run at once elsewhere)
        self.current = None  # (name, report) of the port being verified here, as far as it got
        self.stopped = False

    def finish(self, name: str, report) -> None:
        self.finished[name] = report
        self.current = None
        if self.as_list and len(self.finished) < len(self.ports):
            self.write()

    def reports(self) -> list:
        """The finished reports, in the order of the ports."""
        return [self.finished[p.name] for p in self.ports if p.name in self.finished]

    def hung(self, name: str, report) -> None:
        """A level of `name` ran past --level-timeout and the process ends: its report (that level failed) and the
        others finished are written, the ports not verified yet marked partial, and the run's end said on stderr."""
        self.finished[name] = report
        self.current = None
        self.stopped = True
        written = self.write(final=True)
        info(f"error: {name}: a level ran past --level-timeout; the run stops here (exit {EXIT_FAILED})"
             + (f"; reports in {', '.join(written)}" if written else ""))

    def interrupted(self) -> list[str]:
        self.stopped = True
        if self.current is not None:
            self.current[1].partial = "interrupted"
        return self.write(final=True)

    def _data(self):
        from verify.reports.model import VerificationReport  # verify/ import

        reports, cut = [], self.current is not None  # a stopped run marks its first unfinished port interrupted
        for port in self.ports:
            if port.name in self.finished:
                reports.append(self.finished[port.name])
            elif self.current is not None and self.current[0] == port.name:
                reports.append(self.current[1])
            else:
                why = "interrupted" if self.stopped and not cut else "not run yet"
                cut = cut or self.stopped
                reports.append(VerificationReport(port.name, self.backend, partial=why))
        data = [r.to_dict() for r in reports]
        return data if self.as_list else data[0]

    def write(self, final: bool = False) -> list[str]:
        """Write the JSON (and, when `final`, the rendered formats); the paths written."""
        text = json.dumps(self._data(), indent=2, default=str)
        written = []
        if self.json_path is not None and (final or not is_stdout(self.json_path)):
            write_text(self.json_path, text)
            written.append("stdout" if is_stdout(self.json_path) else str(self.json_path))
        if self.report_dir is not None:
            stem = "verify-all" if self.as_list else f"verify-{self.ports[0].name}"
            write_text(self.report_dir / f"{stem}.json", text)
            written.append(str(self.report_dir / f"{stem}.json"))
            if final:
                from verify.reports.render import render_all  # verify/ import

                written += [str(p) for p in render_all(json.loads(text), self.report_dir, stem).values()]
                err.print("reports: " + ", ".join(written[-4:]), markup=False, highlight=False)
        return written


def _level_line(port_name: str, level: str, result) -> str:
    """The progress line of a level that ended."""
    status = "skipped" if result.passed is None else ("pass" if result.passed else "FAIL")
    return f"{port_name} {level} {status} ({result.seconds:.1f} s)"


def _remote_report(port, backend: str, future):
    """The report of a port verified elsewhere; one the executor lost (its node gone, retries spent) is named on
    stderr and kept as a partial report, which is no verdict (the run exits 1)."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - whatever stopped the task, no level ran to its end
        from verify.reports.model import VerificationReport  # verify/ import

        first = (str(exc).strip().splitlines() or [""])[0]
        info(f"error: {port.name}: not verified: the executor lost its task ({type(exc).__name__}: {first})")
        return VerificationReport(port.name, backend, partial=f"not verified: {type(exc).__name__}: {first}")


def _load_candidate(port, candidate: str, load_timeout: float):
    """A third-party implementation of `port`, after a load check in a subprocess (a hang or crash must not take envport with it).
    A candidate that raises is one line: the exception and where in the candidate's file it was raised."""
    import traceback

    from verify.candidates import CandidateError, load_candidate  # verify/ import
    from verify.contract import check_loads  # verify/ import
    from verify.precision import enable_verification_numerics  # verify/ import

    own_file = str(Path(candidate).resolve()) if candidate.strip().endswith(".py") else None
    problem = check_loads(port.name, candidate, load_timeout)
    if problem is not None and problem.usage:
        raise usage_error(str(problem))
    if problem is not None:
        text = str(problem)
        head, _, tail = text.partition(":\n")
        raise failure(f"candidate {candidate} for {port.name}: {head}: {traceback_line(tail, own_file)}" if tail else
                      f"candidate {candidate} for {port.name}: {text}")
    enable_verification_numerics()
    try:
        return load_candidate(port, candidate)
    except CandidateError as exc:
        raise usage_error(str(exc))
    except Exception as exc:  # it loaded in the subprocess but not here (state outside the candidate's control?)
        raise failure(f"candidate {candidate} for {port.name}: loading it failed: "
                      f"{traceback_line(''.join(traceback.format_exception(exc)), own_file)}")


def report(
    run_json: Path = typer.Argument(..., help="A JSON report written by `envport verify --json` (one report or a list)."),
    html: Optional[Path] = typer.Option(None, "--html", help="Write a self-contained HTML page with plots here (- for stdout)."),
    md: Optional[Path] = typer.Option(None, "--md", help="Write Markdown here (- for stdout)."),
    junit: Optional[Path] = typer.Option(None, "--junit", help="Write JUnit XML here (- for stdout)."),
) -> None:
    """Render a JSON verification report as HTML, Markdown or JUnit XML (Markdown to stdout when no option is given).
    Exit 2 when the file is not an envport verification report."""
    targets = [("--html", html), ("--md", md), ("--junit", junit)]
    if sum(is_stdout(path) for _, path in targets) > 1:
        raise usage_error("only one of --html, --md and --junit can be - (stdout)")
    for option, path in targets:
        check_file(path, option, stdout_ok=True)
    from verify.reports.html import render_html  # verify/ import
    from verify.reports.junit import render_junit  # verify/ import
    from verify.reports.markdown import render_markdown  # verify/ import
    from verify.reports.render import ReportFormatError, load_report  # verify/ import

    if not run_json.exists():
        raise usage_error(f"{run_json} does not exist; write one with `envport verify NAME --json {run_json}`")
    if run_json.is_dir():
        raise usage_error(f"{run_json} is a folder; give the JSON file `envport verify --json` wrote (in --report-dir: verify-NAME.json)")
    try:
        data = load_report(run_json)
    except ReportFormatError as exc:
        raise usage_error(f"{run_json}: {exc}")
    except OSError as exc:
        raise usage_error(f"{run_json}: cannot read it ({exc.strerror or exc})")
    renderers = {"--html": render_html, "--md": render_markdown, "--junit": render_junit}
    if not any(path for _, path in targets):
        sys.stdout.write(render_markdown(data))
        return
    for option, path in targets:
        if path is not None:
            write_text(path, renderers[option](data))
            if not is_stdout(path):
                err.print(f"wrote {path}", markup=False, highlight=False)


def _coverage_cell(result) -> str:
    """' branches 41/44' for a level that measured the reference's branch coverage, else ''."""
    coverage = getattr(result, "coverage", None)
    if not coverage or not coverage.get("measured", True):
        return ""
    return f" branches {coverage['covered']}/{coverage['total']}"


VERDICT_CELL = {"pass": "[green]PASS", "fail": "[red]FAIL", "not-run": "[yellow]NOT RUN"}


def _print_reports(reports, levels, console=out) -> None:
    """The verification table, why each skipped level was skipped, then each failing report's lowest failing check
    and how to reproduce it."""
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
        table.add_row(r.env, r.backend, *cells, VERDICT_CELL[r.verdict], f"{r.seconds:.1f}")
    console.print(table)
    for r in reports:
        for level in levels:
            result = r.levels.get(level)
            if result is not None and result.passed is None:
                console.print(f"{r.env} {level} skipped: {result.skipped_reason or 'no reason recorded'}", markup=False, highlight=False)
        if r.verdict == "not-run":
            console.print(f"{r.env}: no level ran, so nothing was verified (exit 1)", markup=False, highlight=False)
    for r in reports:
        first = r.first_failure()
        if first is not None:
            level, failed = first
            console.print(f"[red]{r.env}[/] lowest failing level {level.level} ({level.title}), check {failed['check']}:")
            console.print(failed["message"], markup=False, highlight=False)
            if "reproduce" in failed:
                console.print("reproduce with:", markup=False)
                console.print(failed["reproduce"], markup=False, highlight=False)
