"""`envport create`: a coding agent writes a reference from a specification, then translates it (docs/recipe.md, "create").

The command builds the options once and renders what `recipe.create` returns: the prompt, the progress of each
stage, and a summary per stage.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from recipe.cli.console import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, error, info, out, usage_error


def create(
    spec: Optional[Path] = typer.Option(None, help="The specification (a Markdown or text file) to implement."),
    new_name: Optional[str] = typer.Option(None, "--name", help="Name of the new port."),
    to: str = typer.Option("jax", "--to", help="Translation targets after the reference: jax, rust, or jax,rust."),
    agent: Optional[str] = typer.Option(None, help="openai, cli, replay or manual (as for `envport translate`)."),
    base_url: Optional[str] = typer.Option(None, envvar="OPENAI_BASE_URL", help="OpenAI-compatible endpoint (env OPENAI_BASE_URL)."),
    model: Optional[str] = typer.Option(None, envvar="ENVPORT_MODEL", help="Model name the endpoint serves (env ENVPORT_MODEL)."),
    agent_cmd: Optional[str] = typer.Option(None, help="--agent cli: command line with {prompt_file}, run in the workspace."),
    agent_timeout: float = typer.Option(1800.0, min=1.0, help="--agent cli: seconds one run of the command may take."),
    replay: Optional[Path] = typer.Option(None, help="--agent replay: a recorded run folder (or its trajectory.jsonl)."),
    max_iterations: Optional[int] = typer.Option(None, min=1, help="Budget per stage: attempts, each followed by a check (default 5)."),
    max_tokens: Optional[int] = typer.Option(None, min=1, help="Budget per stage: prompt + completion tokens."),
    max_cost: Optional[float] = typer.Option(None, min=0.0, help="Budget per stage: dollars, from the price table."),
    timeout: Optional[float] = typer.Option(None, "--timeout", min=1.0, help="Budget per stage: wall seconds."),
    levels: Optional[str] = typer.Option(None, help="Verification levels of the translations (default L0,D,L1,L2,L3)."),
    examples: Optional[int] = typer.Option(None, min=1, help="L1 Hypothesis examples (default 200)."),
    programs: Optional[int] = typer.Option(None, min=1, help="L2 rule programs (default 30)."),
    episodes: Optional[int] = typer.Option(None, min=1, help="L3 episodes per policy (default 100)."),
    verify_timeout: Optional[float] = typer.Option(None, min=1.0, help="Seconds one check or verification may take (default 900)."),
    optimise_rounds: Optional[int] = typer.Option(None, min=0, help="Optimisation attempts per translation (default 1; 0: none)."),
    batch_sizes: Optional[str] = typer.Option(None, help="Throughput batch sizes (default 32,128,512,2048,8192)."),
    bench_steps: Optional[int] = typer.Option(None, min=100, help="Environment steps per throughput measurement."),
    output: Optional[Path] = typer.Option(None, help="The ports folder the new port is promoted into (default: the first --ports folder, else ./ports)."),
    runs_dir: Path = typer.Option(Path("runs"), help="Folder for run folders."),
    resume: Optional[Path] = typer.Option(None, help="Continue the create run in this folder."),
    prices: Optional[Path] = typer.Option(None, help="TOML price table extending the built-in one."),
    max_retries: int = typer.Option(6, min=0, help="Retries of a request on 429, 5xx, timeouts."),
    retry_delay: float = typer.Option(1.0, min=0.0, help="First retry delay in seconds (doubles each time)."),
    request_timeout: float = typer.Option(600.0, min=1.0, help="Seconds one model request may take."),
    max_errors: int = typer.Option(3, min=1, help="Stop after this many malformed or unknown tool calls in a row."),
    print_prompt: bool = typer.Option(False, "--print-prompt", help="Print the first stage's prompts with their token estimate and exit."),
) -> None:
    """Write a reference from a specification with a coding agent (with conformance tests), then translate it.

    Exit 0: every stage passed (or the run waits for --agent manual); 1: a stage ended without a pass; 2: bad usage.
    """
    from recipe import create as creating
    from recipe import session
    from recipe.options import TranslateOptions
    from recipe.task import TaskError

    options = TranslateOptions(
        spec=spec, new_name=new_name, to=to, agent=agent, base_url=base_url, model=model, agent_cmd=agent_cmd,
        agent_timeout=agent_timeout, replay=replay, max_iterations=max_iterations, max_tokens=max_tokens, max_cost=max_cost,
        timeout=timeout, levels=levels, examples=examples, programs=programs, episodes=episodes, verify_timeout=verify_timeout,
        optimise_rounds=optimise_rounds, batch_sizes=batch_sizes, bench_steps=bench_steps, output=output, prices=prices,
        max_retries=max_retries, retry_delay=retry_delay, request_timeout=request_timeout, max_errors=max_errors,
        runs_dir=runs_dir, resume=resume, print_prompt=print_prompt,
    )
    try:
        if print_prompt:
            if not spec or not new_name:
                raise session.UsageProblem("--print-prompt needs --spec SPEC.md and --name NAME")
            task = creating.task_for_spec(spec, new_name)
            for prompt in session.prompts(task):
                sys.stdout.write(prompt.text + "\n")
                info(f"{prompt.label}: {len(prompt.text)} characters, about {prompt.tokens} tokens (characters / 4)")
            return
        create_run, run = creating.resume_create(options) if resume else creating.new_create(options)
    except (TaskError, session.UsageProblem) as exc:
        raise usage_error(str(exc))
    raise typer.Exit(_execute(create_run, run))


def _execute(create_run, run) -> int:
    from recipe import create as creating
    from recipe.loop import summary_rows

    info(f"create run folder: {create_run.run_dir}")
    outcome = creating.execute(create_run, run, progress=info)
    resume = f"envport create --resume {create_run.run_dir}"
    if outcome.status == "interrupted":
        info(f"interrupted: continue with `{resume}`")
        return EXIT_INTERRUPTED
    if outcome.status == "waiting":
        info(f"waiting for the agent (stage {create_run.stage}): the prompt is in {outcome.message}; edit the files in its "
             f"workspace, then run `{resume}`")
        return EXIT_OK
    for run_ in outcome.runs:
        table = Table(title=f"envport create {create_run.options.new_name}: stage {run_.task.target}")
        for column in ("iteration", "phase", "checks", "result", "tokens", "cost", "seconds", "best steps/s", "note"):
            table.add_column(column, overflow="fold")
        for row in summary_rows(run_.state):
            table.add_row(*row)
        out.print(table)
    data = creating.summary(create_run)
    for stage, st in data["stages"].items():
        promoted = ", ".join(st.get("promoted") or []) or "-"
        out.print(f"{stage}: {st['status']}; promoted: {promoted}", markup=False, highlight=False)
    for target, c in data["conformance"].items():
        out.print(f"conformance tests against the {target} translation: {'PASS' if c['passed'] else 'FAIL'} "
                  f"({c['failed']} failed, {c['skipped']} skipped)", markup=False, highlight=False)
    if data["open_questions"].strip():
        out.print("open questions (OPEN_QUESTIONS.md):\n" + data["open_questions"].strip(), markup=False, highlight=False)
    if outcome.status == "passed":
        return EXIT_OK
    error(f"{outcome.message}. Continue with `{resume}` (a new budget may be given) where a stage stopped.")
    return EXIT_FAILED
