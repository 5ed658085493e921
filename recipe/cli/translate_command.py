"""`envport translate`: a coding agent translates a reference into a verified JAX translation (see docs/recipe.md).

The command builds the run's `TranslateOptions` once and renders what `recipe.session`
returns: the prompts, the progress of the loop and the summary.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from recipe.cli.console import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, error, info, out, usage_error, use_ports
from recipe.cli.executor_options import address_option, executor_option
from recipe.cli.paths import check_folder, check_input_file
from recipe.cli.progress import Progress

ITERATION = re.compile(r"iteration (\d+)\b")

RUST_MISSING = (
    "--to rust: the loop translates the Rust modules of registered ports: a classic-control or games module whose PyO3 "
    "bindings exist, or a new module of the games family (rust_envs/src/games/) for a port without a Rust translation, "
    "whose `pub mod` in src/games/mod.rs and line in the python_envs! list of rust_envs/src/bindings/mod.rs the loop adds. "
    "Translate a new port to JAX first (--to jax), so it is registered; `--to rust --print-prompt` renders the Rust prompt for any agent."
)


def translate(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, help="Registered port to translate (see `envport list`)."),
    to: str = typer.Option("jax", "--to", help="Target: jax or rust."),
    reference: Optional[str] = typer.Option(None, help="Your own gymnasium.Env as module:Class (with --name): the agent also writes the adapter and metadata."),
    new_name: Optional[str] = typer.Option(None, "--name", help="Name of the new port (with --reference)."),
    agent: Optional[str] = typer.Option(None, help="openai (default when OPENAI_API_KEY or --base-url is set), cli, replay, or manual (you or any coding assistant edit the workspace between verification rounds; --resume verifies and writes the next prompt)."),
    base_url: Optional[str] = typer.Option(None, envvar="OPENAI_BASE_URL", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 (env OPENAI_BASE_URL)."),
    model: Optional[str] = typer.Option(None, envvar="ENVPORT_MODEL", help="Model name the endpoint serves (env ENVPORT_MODEL)."),
    agent_cmd: Optional[str] = typer.Option(None, help="--agent cli: command line with {prompt_file} (and optionally {workspace}), run in the workspace."),
    agent_timeout: float = typer.Option(1800.0, min=1.0, help="--agent cli: seconds one run of the command may take."),
    replay: Optional[Path] = typer.Option(None, help="--agent replay: a run folder (or its trajectory.jsonl) whose model replies are replayed in order."),
    max_iterations: Optional[int] = typer.Option(None, min=1, help="Budget: attempts, each followed by a full verification (default 5)."),
    max_tokens: Optional[int] = typer.Option(None, min=1, help="Budget: prompt + completion tokens, as the server reports them."),
    max_cost: Optional[float] = typer.Option(None, min=0.0, help="Budget: dollars, from the price table (not enforceable for a model without a price)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=1.0, help="Budget: wall seconds for the whole run."),
    levels: Optional[str] = typer.Option(None, help="Verification levels (default L0,D,L1,L2,L3)."),
    examples: Optional[int] = typer.Option(None, min=1, help="L1 Hypothesis examples (default 200)."),
    programs: Optional[int] = typer.Option(None, min=1, help="L2 rule programs (default 30)."),
    episodes: Optional[int] = typer.Option(None, min=1, help="L3 episodes per policy (default 100)."),
    verify_timeout: Optional[float] = typer.Option(None, min=1.0, help="Seconds one verification may take before it is killed (default 900)."),
    optimise_rounds: Optional[int] = typer.Option(None, min=0, help="Optimisation attempts after the first pass (default 1; 0: none)."),
    batch_sizes: Optional[str] = typer.Option(None, help="Throughput batch sizes (default 32,128,512,2048,8192)."),
    bench_steps: Optional[int] = typer.Option(None, min=100, help="Environment steps per throughput measurement (default 1000000)."),
    output: Optional[Path] = typer.Option(None, help="Where a passing translation is promoted (default: the port's package, envs/NAME; for --reference, ./ports)."),
    runs_dir: Path = typer.Option(Path("runs"), help="Folder for run folders."),
    resume: Optional[Path] = typer.Option(None, help="Continue the stopped run in this run folder."),
    prices: Optional[Path] = typer.Option(None, help="TOML price table extending the built-in one ([models.\"NAME\"] input/output in $ per million tokens)."),
    max_retries: int = typer.Option(6, min=0, help="Retries of a request on 429, 5xx, timeouts."),
    retry_delay: float = typer.Option(1.0, min=0.0, help="First retry delay in seconds (doubles each time)."),
    request_timeout: float = typer.Option(600.0, min=1.0, help="Seconds one model request may take."),
    max_errors: int = typer.Option(3, min=1, help="Stop after this many malformed or unknown tool calls in a row."),
    print_prompt: bool = typer.Option(False, "--print-prompt", help="Print the rendered prompts with their token estimate and exit."),
    batch: Optional[Path] = typer.Option(None, "--batch", help="Run every run this TOML file lists (translate's options, one table per run: docs/campaigns.md), each in --runs-dir/FILE-STEM/, promoted on this machine."),
    executor: str = executor_option(),
    address: Optional[str] = address_option(),
    workers: int = typer.Option(1, min=1, help="--batch --executor local: runs at once on this machine."),
    journal: Optional[Path] = typer.Option(None, help="--batch: append each finished run here; a re-run given it skips them."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="--batch: write the summary (one entry per run, in the file's order) here (- for stdout)."),
) -> None:
    """Translate a reference environment with a coding agent, verify every level, repair, optimise, promote.

    Exit 0: a verified translation was promoted (--batch: every run's); 1: the run ended without one (budget, model
    error); 2: bad usage.
    """
    _check_batch_options(ctx, batch)
    if batch is not None:
        from recipe.cli.batch_command import translate_batch

        raise typer.Exit(translate_batch(ctx.command, batch, runs_dir, executor, address, workers, journal, json_path))
    check_folder(runs_dir, "--runs-dir")
    check_folder(output, "--output")
    if prices is not None:
        check_input_file(prices, "--prices")
    use_ports()
    from recipe import session
    from recipe.options import TranslateOptions
    from recipe.task import TaskError

    options = TranslateOptions(
        name=name, to=to, reference=reference, new_name=new_name, agent=agent, base_url=base_url, model=model,
        agent_cmd=agent_cmd, agent_timeout=agent_timeout, replay=replay, max_iterations=max_iterations,
        max_tokens=max_tokens, max_cost=max_cost, timeout=timeout, levels=levels, examples=examples, programs=programs,
        episodes=episodes, verify_timeout=verify_timeout, optimise_rounds=optimise_rounds, batch_sizes=batch_sizes,
        bench_steps=bench_steps, output=output, prices=prices, max_retries=max_retries, retry_delay=retry_delay,
        request_timeout=request_timeout, max_errors=max_errors, runs_dir=runs_dir, resume=resume, print_prompt=print_prompt,
    )
    try:
        if options.print_prompt:
            _print_prompts(session.prompts(session.build_task(options)))
            return
        run = session.open_run(options)
    except (TaskError, session.UsageProblem) as exc:
        raise usage_error(str(exc))
    except session.RustNotBuilt:
        raise usage_error(RUST_MISSING)
    raise typer.Exit(_execute(run))


BATCH_OPTIONS = ("batch", "executor", "address", "workers", "journal", "json_path", "runs_dir")


def _check_batch_options(ctx: typer.Context, batch: Optional[Path]) -> None:
    """--batch takes the runs' options from its file, and the batch options need --batch: a usage error otherwise."""
    given = [p for p in ctx.command.params if getattr(ctx.get_parameter_source(p.name), "name", None) == "COMMANDLINE"]
    if batch is not None:
        per_run = [p.opts[0] if p.opts[0].startswith("-") else "port (NAME)" for p in given if p.name not in BATCH_OPTIONS]
        if per_run:
            raise usage_error(f"--batch takes each run's options from its file: put {', '.join(per_run)} in it "
                              "(at the top for every run) instead of on the command line")
    else:
        batch_only = [p.opts[0] for p in given if p.name in BATCH_OPTIONS and p.name != "runs_dir"]
        if batch_only:
            raise usage_error(f"{', '.join(batch_only)} belong(s) to --batch FILE (many runs); one run runs here")


def _print_prompts(prompts) -> None:
    """Each prompt to stdout, its size to stderr."""
    for prompt in prompts:
        sys.stdout.write(prompt.text + "\n")
        info(f"{prompt.label}: {len(prompt.text)} characters, about {prompt.tokens} tokens (characters / 4)")


def _execute(run) -> int:
    """Run the loop with its progress on stderr, print the summary; the exit status."""
    from recipe import session
    from recipe.accounting import format_cost
    from recipe.loop import summary_rows

    info(f"run folder: {run.run_dir}")
    for warning in run.warnings:
        info(f"warning: {warning}")
    with Progress(f"translate {run.task.name}", total=run.budget.max_iterations, unit="iterations") as progress:
        def report(message: str) -> None:
            iteration = ITERATION.match(message)
            if iteration:  # "iteration N (phase): ...": N - 1 attempts are done
                progress.advance(completed=int(iteration.group(1)) - 1, text=message)
            else:
                progress.message(message)

        outcome = session.execute(run, progress=report)
    if outcome.interrupted:
        info(f"interrupted: continue with `envport translate --resume {run.run_dir}`")
        return EXIT_INTERRUPTED
    state = outcome.state
    if state.status == "waiting":  # --agent manual: the external agent's (or your) turn
        info(f"waiting for the agent: the prompt is in {run.workspace.root / 'PROMPT.md'} (kept in {run.run_dir / 'prompts'}); "
             f"edit the files in {run.workspace.root}, then run `envport translate --resume {run.run_dir}`")
        return EXIT_OK
    if state.rows:  # a run stopped before its first verification has no table to show
        table = Table(title=f"envport translate {run.task.name} -> {run.task.target}")
        for column in ("iteration", "phase", "levels", "result", "tokens", "cost", "seconds", "best steps/s", "note"):
            table.add_column(column, overflow="fold")
        for row in summary_rows(state):
            table.add_row(*row)
        out.print(table)
    u = run.usage
    out.print(f"tokens {u.prompt_tokens} in + {u.completion_tokens} out (server's counts), cost {format_cost(u.cost)}, "
              f"wall {u.elapsed():.0f} s", markup=False, highlight=False)
    if outcome.passed:
        out.print("promoted: " + ", ".join(state.promoted), markup=False, highlight=False)
        if state.note:
            info(f"note: {state.note}")
        if run.task.target == "rust":
            from recipe.promote import rust_follow_up

            out.print(rust_follow_up(run.task) or "rebuild the extension to use it: bash setup.sh", markup=False)
        return EXIT_OK
    error(f"{state.status}. Nothing was promoted; the workspace is in {run.workspace.root}. "
          f"Continue with `envport translate --resume {run.run_dir}` (a new budget may be given).")
    return EXIT_FAILED
