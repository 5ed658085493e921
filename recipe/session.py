"""Build a run from the command's options (or from a run folder, to resume it) and run it.

Nothing here prints: `prompts` and `execute` return what the command shows, and progress
goes to the callback the command passes to `execute`.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from recipe import prompting
from recipe.accounting import Budget, RunLog, Usage, load_prices, price_for
from recipe.loop import Run, RunState, run_loop
from recipe.options import TranslateOptions
from recipe.task import ROOT, Task, normalise_reference, task_for_port, task_for_reference
from recipe.verification import Verifier, VerifySettings
from recipe.workspace import Workspace

NO_KEY = "no-key"  # sent to local servers that need none


class UsageProblem(ValueError):
    """Options that do not fit together; the message says how to fix them."""


class RustNotBuilt(NotImplementedError):
    """The Rust loop is not built (the command explains what is missing)."""


@dataclass(frozen=True)
class Prompt:
    """One rendered prompt and its estimated size."""

    label: str
    text: str
    tokens: int


@dataclass
class RunOutcome:
    """How a run ended: its final state and totals (also in summary.json), or interrupted (state.json saved)."""

    state: RunState
    totals: dict[str, Any]
    interrupted: bool = False

    @property
    def passed(self) -> bool:
        """A verified translation was promoted."""
        return not self.interrupted and self.state.status == "passed"


def build_task(options: TranslateOptions) -> Task:
    """The task named by the options: a registered port, or --reference with --name."""
    target = options.to or "jax"
    if options.reference:
        if options.name:
            raise UsageProblem("give either a registered port NAME or --reference module:Class --name NEW, not both")
        if not options.new_name:
            raise UsageProblem("--reference needs --name NEW, the name of the new port")
        return task_for_reference(options.reference, options.new_name, target)
    if not options.name:
        raise UsageProblem("name a registered port (see `envport list`), or translate your own class with --reference module:Class --name NEW")
    return task_for_port(options.name, target)


def prompts(task: Task) -> list[Prompt]:
    """The system and first prompts of a task (translate, or create's reference), with their estimated token counts."""
    first = "create_reference" if task.target == "reference" else f"translate_{task.target}"
    texts = (("system", prompting.system_prompt(task)), (first, prompting.translate_prompt(task)))
    return [Prompt(label, text, prompting.estimate_tokens(text)) for label, text in texts]


def _choose_agent(o: TranslateOptions) -> str:
    if o.agent:
        if o.agent not in ("openai", "cli", "replay", "manual"):
            raise UsageProblem(f"--agent {o.agent!r}: choose openai, cli, replay or manual")
        return o.agent
    if o.replay:
        return "replay"
    if o.agent_cmd:
        return "cli"
    if os.environ.get("OPENAI_API_KEY") or o.base_url:
        return "openai"
    raise UsageProblem("no agent configured: set OPENAI_API_KEY (and --base-url for another endpoint) for --agent openai, "
                       "or use --agent cli --agent-cmd 'TOOL ... {prompt_file}', --agent replay --replay RUN_DIR, or "
                       "--agent manual (you, or any coding assistant, act between verification rounds)")


def _new_run_dir(runs_dir: Path, task: Task) -> Path:
    stem = f"{task.name}-{task.target}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, n = Path(runs_dir) / stem, 1
    while path.exists():
        n += 1
        path = Path(runs_dir) / f"{stem}-{n}"
    return path


def open_run(options: TranslateOptions, run_dir: Path | None = None) -> Run:
    """A ready Run: new (from the options; in `run_dir` when given, else a new folder under `runs_dir`) or resumed
    (`options.resume`: its state.json, budgets and endpoint from the options when given)."""
    stored_state = None
    if options.resume is not None:
        o, stored_state, run_dir = resumed_options(options)
    else:
        o = new_options(options)
    task = checked_task(o)
    return assemble_run(o, task, run_dir, stored_state, default_output(task))


def new_options(options: TranslateOptions) -> TranslateOptions:
    """The options of a new run: the defaults filled in, a --reference file path made absolute (so the stored run
    resumes from any folder)."""
    o = options.resolved()
    return replace(o, reference=normalise_reference(o.reference)) if o.reference else o


def checked_task(o: TranslateOptions) -> Task:
    """The task the options name, refused (UsageProblem, RustNotBuilt) when this machine cannot run its loop."""
    task = build_task(o)
    if task.target == "rust":
        from verify.rust_build import missing_tools

        if not task.rust_bindings and task.rust_registration is None:
            raise RustNotBuilt()
        missing = missing_tools()
        if missing:
            raise UsageProblem(f"--to rust needs {' and '.join(missing)}: install a Rust toolchain (rustup) and run `bash setup.sh`")
    return task


def default_output(task: Task) -> Path:
    """Where a passing translation of `task` is promoted without --output: the crate's module folder (Rust), the
    port's package (a registered port), else ./ports."""
    if task.target == "rust":
        return (ROOT / task.translation_file).parent
    return ROOT.joinpath(*task.package.split(".")) if task.registered else Path("ports")


def resumed_options(options: TranslateOptions) -> tuple[TranslateOptions, dict[str, Any], Path]:
    """(options, stored loop state, run folder) of `options.resume`'s run, its budgets and endpoint from `options` when given."""
    resume = options.resume
    state_file = Path(resume) / "state.json"
    if not state_file.is_file():
        raise UsageProblem(f"--resume {resume}: no state.json there; give the run folder a previous `envport translate` printed")
    try:
        saved = json.loads(state_file.read_text())
        o = options.resumed_from(TranslateOptions.from_dict(saved["options"])).resolved()
        stored_state = RunState(**saved["state"]).to_dict()  # unknown keys refused, missing ones defaulted
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        why = f"{type(exc).__name__}: {exc}" if not isinstance(exc, json.JSONDecodeError) else f"not JSON ({exc.msg} at line {exc.lineno})"
        raise UsageProblem(f"--resume {resume}: {state_file} is damaged ({why}); envport writes it after every step, so a "
                           "damaged one was edited or cut short: restore it from a copy, or start a new run") from None
    if stored_state["status"] == "passed":
        raise UsageProblem(f"--resume {resume}: that run already passed and promoted {', '.join(stored_state['promoted'])}; start a new run instead")
    stored_state["status"] = "running"
    return o, stored_state, Path(resume).resolve()


def assemble_run(o: TranslateOptions, task: Task, run_dir: Path | None, stored_state: dict[str, Any] | None,
                 default_output: Path, verifier_class: type = Verifier) -> Run:
    """The Run of a task: the agent chosen and checked, budgets, verifier, log and state (shared by translate and create)."""
    o, kind, batch_sizes, prices = checked_options(o, default_output)
    output, api_key = o.output, os.environ.get("OPENAI_API_KEY") or ""
    run_dir = run_dir or _new_run_dir(Path(o.runs_dir).resolve(), task)
    run_dir.mkdir(parents=True, exist_ok=True)
    workspace = Workspace(run_dir / "workspace")
    if task.target == "rust" and not stored_state:
        from recipe.rust_build import prepare_workspace

        prepare_workspace(task, workspace)
    log = RunLog(run_dir / "trajectory.jsonl", secrets=[api_key] if api_key else [])
    state = RunState(**stored_state) if stored_state else RunState()
    usage = Usage.from_dict(state.usage) if state.usage else Usage()
    budget = Budget(o.max_iterations, o.max_tokens, o.max_cost, o.timeout)
    settings = VerifySettings(o.levels, o.examples, o.programs, o.episodes, 0, o.verify_timeout)
    verifier = verifier_class(task, workspace, settings, run_dir / "verify", time_left=lambda: usage.remaining_seconds(budget))
    agent = _make_agent(kind, o, task, workspace, verifier, run_dir, log, usage, budget, prices, api_key, state)
    run = Run(task, run_dir, workspace, verifier, agent, log, usage, budget, output, o, state,
              optimise_rounds=o.optimise_rounds, batch_sizes=batch_sizes, bench_steps=o.bench_steps)
    shown = {k: v for k, v in o.to_dict().items() if v is not None}
    log.event("resume" if stored_state else "start", options=shown, task=task.to_dict(), run_dir=str(run_dir))
    if kind == "openai" and price_for(o.model, prices) is None:
        warning = f"no price for model {o.model!r} in the price table (add it with --prices FILE): cost is reported as unknown"
        if budget.max_cost is not None:
            warning += "; --max-cost cannot be enforced, use --max-tokens"
        log.event("warning", message=warning)
        run.warnings.append(warning)
    run.save()
    return run


def checked_options(o: TranslateOptions, default_output: Path) -> tuple[TranslateOptions, str, tuple[int, ...], dict]:
    """What a run refuses before it starts (UsageProblem): (the options with the agent chosen and the output resolved,
    the agent, the batch sizes, the price table)."""
    kind = _choose_agent(o)
    o = replace(o, agent=kind)
    if kind == "cli" and not o.agent_cmd:
        raise UsageProblem("--agent cli needs --agent-cmd 'TOOL ... {prompt_file}'")
    if kind == "cli" and "{prompt_file}" not in o.agent_cmd:
        raise UsageProblem("--agent-cmd must contain {prompt_file}, where envport puts the prompt's path")
    if kind == "replay" and not o.replay:
        raise UsageProblem("--agent replay needs --replay RUN_DIR (a previous run folder or its trajectory.jsonl)")
    if kind == "openai" and not o.model:
        raise UsageProblem("--agent openai needs --model NAME (or ENVPORT_MODEL): the model the endpoint serves")
    api_key = os.environ.get("OPENAI_API_KEY") or ""
    if kind == "openai" and not api_key and not o.base_url:
        raise UsageProblem("OPENAI_API_KEY is not set: export it, or pass --base-url for a local server that needs no key")
    try:
        batch_sizes = tuple(int(b) for b in str(o.batch_sizes).split(",") if b.strip())
    except ValueError:
        raise UsageProblem(f"--batch-sizes must be comma-separated integers, got {o.batch_sizes!r}") from None
    from verify.runner import parse_levels  # verify/ import (kept here, in one place)

    try:
        parse_levels(o.levels)
    except ValueError as exc:
        raise UsageProblem(f"--levels: {exc}") from None
    try:
        prices = load_prices(Path(o.prices) if o.prices else None)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    # Absolute paths: the verifier and the benchmarks run in other folders (the repository) than the user's.
    output = (Path(o.output) if o.output else default_output).resolve()
    if output.exists() and not output.is_dir():
        raise UsageProblem(f"--output {output} is a file; give a folder")
    return replace(o, output=output), kind, batch_sizes, prices


def _make_agent(kind: str, o: TranslateOptions, task, workspace, verifier, run_dir, log, usage, budget, prices, api_key, state):
    from recipe.agents import CliAgent, ManualAgent, ToolAgent
    from recipe.models import ModelError, OpenAIModel, ReplayModel
    from recipe.replay_edits import create_stage_port, recorded_rename
    from recipe.tools import Toolbox
    from verify.process import child_env

    port_dir = create_stage_port(run_dir, task.target, o.output)  # a create stage: its port package (else None)
    port = Workspace(port_dir) if port_dir is not None else None
    if kind == "manual":
        agent = ManualAgent(workspace, run_dir, log, prompting.system_prompt(task, tools=False), port=port)
        agent.waiting, agent.prompts = bool(state.agent.get("waiting")), int(state.agent.get("prompts", 0))
        agent.before = dict(state.agent.get("before", {}))
        agent.before_port = dict(state.agent.get("before_port", {}))
        return agent
    if kind == "cli":
        agent = CliAgent(o.agent_cmd, workspace, log, usage, budget, prompting.system_prompt(task, tools=False),
                         command_timeout=o.agent_timeout, env_factory=lambda: child_env(workspace.root, ROOT) | _agent_secrets())
        agent.runs = state.agent.get("runs", 0)
        return agent
    if kind == "replay":
        try:
            model = ReplayModel(Path(o.replay), rename=recorded_rename(Path(o.replay), task.package, task.name))
        except ModelError as exc:
            raise UsageProblem(str(exc)) from None
        model.position = sum(1 for _ in (state.agent.get("messages") or []) if _.get("role") == "assistant")
        price = None
    else:
        model = OpenAIModel(o.model, o.base_url, api_key or NO_KEY, request_timeout=o.request_timeout,
                            max_retries=o.max_retries, retry_delay=o.retry_delay,
                            on_retry=lambda info: log.event("retry", **info),
                            time_left=lambda: usage.remaining_seconds(budget))
        price = price_for(o.model, prices)
    toolbox = Toolbox(workspace, verifier, run_dir, port=port if kind == "replay" else None)
    return ToolAgent(model, toolbox, log, usage, budget, price, prompting.system_prompt(task, tools=True),
                     messages=state.agent.get("messages"), max_errors_in_a_row=o.max_errors)


def _agent_secrets() -> dict[str, str]:
    """An external agent may need its own key: pass OPENAI_API_KEY through to it (never into any file)."""
    return {k: v for k, v in os.environ.items() if k == "OPENAI_API_KEY"}


def execute(run: Run, progress: Callable[[str], None] = lambda message: None) -> RunOutcome:
    """Run the loop (progress messages to `progress`) and write summary.json; interrupted, save the state instead."""
    run.progress = progress
    try:
        state = run_loop(run)
    except KeyboardInterrupt:
        run.save()
        return RunOutcome(run.state, {}, interrupted=True)
    u = run.usage
    totals = {"status": state.status, "iterations": state.iteration, "requests": u.requests, "prompt_tokens": u.prompt_tokens,
              "completion_tokens": u.completion_tokens, "cost": u.cost, "wall_seconds": round(u.elapsed(), 1),
              "promoted": state.promoted, "run_dir": str(run.run_dir)}
    (run.run_dir / "summary.json").write_text(run.log.redact(json.dumps({**totals, "rows": state.rows}, indent=1, default=str)))
    run.log.event("summary", **totals)
    return RunOutcome(state, totals)
