"""Build a run from the command's options (or from a run folder, to resume it), run it, print the summary."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from recipe import prompting
from recipe.accounting import Budget, RunLog, Usage, format_cost, load_prices, price_for
from recipe.loop import BENCH_BATCH_SIZES, Run, RunState, run_loop, summary_rows
from recipe.task import ROOT, Task, task_for_port, task_for_reference
from recipe.verification import DEFAULT_LEVELS, Verifier, VerifySettings
from recipe.workspace import Workspace

DEFAULTS = {
    "to": "jax", "max_iterations": 5, "levels": DEFAULT_LEVELS, "examples": 200, "programs": 30, "episodes": 100,
    "verify_timeout": 900.0, "optimise_rounds": 1, "batch_sizes": ",".join(map(str, BENCH_BATCH_SIZES)),
    "bench_steps": 1_000_000, "agent_timeout": 1800.0, "max_retries": 6, "retry_delay": 1.0, "request_timeout": 600.0,
    "max_errors": 3,
}
BUDGET_KEYS = ("max_iterations", "max_tokens", "max_cost", "timeout")
RESUME_OVERRIDES = (*BUDGET_KEYS, "base_url", "model", "agent_cmd")  # what --resume may change when given
NO_KEY = "no-key"  # sent to local servers that need none


class UsageProblem(ValueError):
    """Options that do not fit together; the message says how to fix them."""


class RustNotBuilt(NotImplementedError):
    """The Rust loop is not built (the command explains what is missing)."""


def build_task(options: dict[str, Any]) -> Task:
    """The task named by the options: a registered port, or --reference with --name."""
    target = options.get("to") or "jax"
    if options.get("reference"):
        if options.get("name"):
            raise UsageProblem("give either a registered port NAME or --reference module:Class --name NEW, not both")
        if not options.get("new_name"):
            raise UsageProblem("--reference needs --name NEW, the name of the new port")
        return task_for_reference(options["reference"], options["new_name"], target)
    if not options.get("name"):
        raise UsageProblem("name a registered port (see `envport list`), or translate your own class with --reference module:Class --name NEW")
    return task_for_port(options["name"], target)


def print_prompts(task: Task) -> None:
    """Print the system and translate prompts with their estimated token counts (stderr)."""
    from recipe.cli import err

    for label, text in (("system", prompting.system_prompt(task)), (f"translate_{task.target}", prompting.translate_prompt(task))):
        print(text)
        err.print(f"{label}: {len(text)} characters, about {prompting.estimate_tokens(text)} tokens (characters / 4)", markup=False)


def _resolved(options: dict[str, Any]) -> dict[str, Any]:
    return {k: (DEFAULTS.get(k) if options.get(k) is None else options.get(k)) for k in {*options, *DEFAULTS}}


def _choose_agent(o: dict[str, Any]) -> str:
    if o.get("agent"):
        if o["agent"] not in ("openai", "cli", "replay"):
            raise UsageProblem(f"--agent {o['agent']!r}: choose openai, cli or replay")
        return o["agent"]
    if o.get("replay"):
        return "replay"
    if o.get("agent_cmd"):
        return "cli"
    if os.environ.get("OPENAI_API_KEY") or o.get("base_url"):
        return "openai"
    raise UsageProblem("no agent configured: set OPENAI_API_KEY (and --base-url for another endpoint) for --agent openai, "
                       "or use --agent cli --agent-cmd 'TOOL ... {prompt_file}', or --agent replay --replay RUN_DIR")


def _new_run_dir(runs_dir: Path, task: Task) -> Path:
    stem = f"{task.name}-{task.target}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, n = Path(runs_dir) / stem, 1
    while path.exists():
        n += 1
        path = Path(runs_dir) / f"{stem}-{n}"
    return path


def open_run(cli: dict[str, Any], runs_dir: Path, resume: Path | None) -> Run:
    """A ready Run: new (from the options) or resumed (from the run folder's state.json, budgets from the options when given)."""
    stored_state = None
    if resume is not None:
        state_file = Path(resume) / "state.json"
        if not state_file.is_file():
            raise UsageProblem(f"--resume {resume}: no state.json there; give the run folder a previous `envport translate` printed")
        saved = json.loads(state_file.read_text())
        options = dict(saved["options"])
        for key in RESUME_OVERRIDES:  # a resumed run may get a new budget or endpoint
            if cli.get(key) is not None:
                options[key] = cli[key]
        stored_state = saved["state"]
        run_dir = Path(resume)
        if stored_state["status"] == "passed":
            raise UsageProblem(f"--resume {resume}: that run already passed and promoted {', '.join(stored_state['promoted'])}; start a new run instead")
        stored_state["status"] = "running"
    else:
        options = _resolved(cli)
        run_dir = None
    o = options
    task = build_task(o)
    if task.target == "rust":
        from recipe import rust_build

        if not task.rust_bindings:
            raise RustNotBuilt()
        missing = rust_build.missing_tools()
        if missing:
            raise UsageProblem(f"--to rust needs {' and '.join(missing)}: install a Rust toolchain (rustup) and run `bash setup.sh`")
    kind = _choose_agent(o)
    o["agent"] = kind
    if kind == "cli" and not o.get("agent_cmd"):
        raise UsageProblem("--agent cli needs --agent-cmd 'TOOL ... {prompt_file}'")
    if kind == "cli" and "{prompt_file}" not in o["agent_cmd"]:
        raise UsageProblem("--agent-cmd must contain {prompt_file}, where envport puts the prompt's path")
    if kind == "replay" and not o.get("replay"):
        raise UsageProblem("--agent replay needs --replay RUN_DIR (a previous run folder or its trajectory.jsonl)")
    if kind == "openai" and not o.get("model"):
        raise UsageProblem("--agent openai needs --model NAME (or ENVPORT_MODEL): the model the endpoint serves")
    api_key = os.environ.get("OPENAI_API_KEY") or ""
    if kind == "openai" and not api_key and not o.get("base_url"):
        raise UsageProblem("OPENAI_API_KEY is not set: export it, or pass --base-url for a local server that needs no key")
    try:
        batch_sizes = tuple(int(b) for b in str(o["batch_sizes"]).split(",") if b.strip())
    except ValueError:
        raise UsageProblem(f"--batch-sizes must be comma-separated integers, got {o['batch_sizes']!r}") from None
    from verify.runner import parse_levels

    try:
        parse_levels(o["levels"])
    except ValueError as exc:
        raise UsageProblem(f"--levels: {exc}") from None
    try:
        prices = load_prices(Path(o["prices"]) if o.get("prices") else None)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    default_output = (ROOT / task.translation_file).parent if task.target == "rust" else (
        ROOT.joinpath(*task.package.split(".")) if task.registered else Path("ports"))
    output = Path(o["output"]) if o.get("output") else default_output
    if output.exists() and not output.is_dir():
        raise UsageProblem(f"--output {output} is a file; give a folder")
    o["output"] = str(output)

    run_dir = run_dir or _new_run_dir(runs_dir, task)
    run_dir.mkdir(parents=True, exist_ok=True)
    workspace = Workspace(run_dir / "workspace")
    if task.target == "rust" and not stored_state:
        from recipe.rust_build import prepare_workspace

        prepare_workspace(task, workspace)
    log = RunLog(run_dir / "trajectory.jsonl", secrets=[api_key] if api_key else [])
    state = RunState(**stored_state) if stored_state else RunState()
    usage = Usage.from_dict(state.usage) if state.usage else Usage()
    budget = Budget(o["max_iterations"], o.get("max_tokens"), o.get("max_cost"), o.get("timeout"))
    settings = VerifySettings(o["levels"], o["examples"], o["programs"], o["episodes"], 0, o["verify_timeout"])
    verifier = Verifier(task, workspace, settings, run_dir / "verify")
    agent = _make_agent(kind, o, task, workspace, verifier, run_dir, log, usage, budget, prices, api_key, state)
    run = Run(task, run_dir, workspace, verifier, agent, log, usage, budget, output, o, state,
              optimise_rounds=o["optimise_rounds"], batch_sizes=batch_sizes, bench_steps=o["bench_steps"])
    shown = {k: v for k, v in o.items() if v is not None}
    log.event("resume" if stored_state else "start", options=shown, task=task.to_dict(), run_dir=str(run_dir))
    if kind == "openai" and price_for(o["model"], prices) is None:
        warning = f"no price for model {o['model']!r} in the price table (add it with --prices FILE): cost is reported as unknown"
        if budget.max_cost is not None:
            warning += "; --max-cost cannot be enforced, use --max-tokens"
        log.event("warning", message=warning)
        run.warnings.append(warning)
    run.save()
    return run


def _make_agent(kind, o, task, workspace, verifier, run_dir, log, usage, budget, prices, api_key, state):
    from recipe.agents import CliAgent, ToolAgent
    from recipe.models import ModelError, OpenAIModel, ReplayModel
    from recipe.tools import Toolbox
    from recipe.workspace import child_env

    if kind == "cli":
        agent = CliAgent(o["agent_cmd"], workspace, log, usage, budget, prompting.system_prompt(task, tools=False),
                         command_timeout=o["agent_timeout"], env_factory=lambda: child_env(workspace.root, ROOT) | _agent_secrets())
        agent.runs = state.agent.get("runs", 0)
        return agent
    if kind == "replay":
        try:
            model = ReplayModel(Path(o["replay"]))
        except ModelError as exc:
            raise UsageProblem(str(exc)) from None
        model.position = sum(1 for _ in (state.agent.get("messages") or []) if _.get("role") == "assistant")
        price = None
    else:
        model = OpenAIModel(o["model"], o.get("base_url"), api_key or NO_KEY, request_timeout=o["request_timeout"],
                            max_retries=o["max_retries"], retry_delay=o["retry_delay"],
                            on_retry=lambda info: log.event("retry", **info))
        price = price_for(o["model"], prices)
    toolbox = Toolbox(workspace, verifier, run_dir)
    return ToolAgent(model, toolbox, log, usage, budget, price, prompting.system_prompt(task, tools=True),
                     messages=state.agent.get("messages"), max_errors_in_a_row=o["max_errors"])


def _agent_secrets() -> dict[str, str]:
    """An external agent may need its own key: pass OPENAI_API_KEY through to it (never into any file)."""
    return {k: v for k, v in os.environ.items() if k == "OPENAI_API_KEY"}


def execute(run: Run) -> int:
    """Run the loop, print the summary table, write summary.json; the exit status."""
    from rich.table import Table

    from recipe.cli import err, out

    err.print(f"run folder: {run.run_dir}", markup=False)
    for warning in run.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    run.progress = lambda message: err.print(message, markup=False, highlight=False)
    try:
        state = run_loop(run)
    except KeyboardInterrupt:
        run.save()
        err.print(f"interrupted: continue with `envport translate --resume {run.run_dir}`", markup=False)
        return 130
    table = Table(title=f"envport translate {run.task.name} -> {run.task.target}")
    for column in ("iteration", "phase", "levels", "result", "tokens", "cost", "seconds", "best steps/s", "note"):
        table.add_column(column, overflow="fold")
    for row in summary_rows(state):
        table.add_row(*row)
    out.print(table)
    u = run.usage
    totals = {"status": state.status, "iterations": state.iteration, "requests": u.requests, "prompt_tokens": u.prompt_tokens,
              "completion_tokens": u.completion_tokens, "cost": u.cost, "wall_seconds": round(u.elapsed(), 1),
              "promoted": state.promoted, "run_dir": str(run.run_dir)}
    out.print(f"tokens {u.prompt_tokens} in + {u.completion_tokens} out (server's counts), cost {format_cost(u.cost)}, "
              f"wall {u.elapsed():.0f} s", markup=False, highlight=False)
    (run.run_dir / "summary.json").write_text(run.log.redact(json.dumps({**totals, "rows": state.rows}, indent=1, default=str)))
    run.log.event("summary", **totals)
    if state.status == "passed":
        out.print("promoted: " + ", ".join(state.promoted), markup=False, highlight=False)
        if state.note:
            err.print(f"note: {state.note}", markup=False, highlight=False)
        if run.task.target == "rust":
            out.print("rebuild the extension to use it: bash setup.sh", markup=False)
        return 0
    err.print(f"error: {state.status}. Nothing was promoted; the workspace is in {run.workspace.root}. "
              f"Continue with `envport translate --resume {run.run_dir}` (a new budget may be given).", markup=False, highlight=False)
    return 1
