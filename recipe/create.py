"""`envport create`: a specification in, a verified reference and its translations out (docs/recipe.md, "create").

One create run is a folder `<runs_dir>/<name>-create-<time>/` holding `create.json` (the options and where the run
stands), `spec.md` (the specification as given, which a resume reads) and one sub-folder per stage, each an ordinary
recipe run folder (trajectory, state, workspace, verify, prompts):

1. `reference/`: the agent writes the reference, its adapter, metadata, conformance tests and open questions from the
   spec (`recipe.spec_task`); the loop repeats until every check passes, then the package is promoted into the ports
   folder (`./ports/<package>/`, or `--output`), where the registry finds it.
2. `jax/`, `rust/`: for each `--to` target, `envport translate` of that port (the same loop, prompts and verifier),
   promoted into the port's package; then the conformance tests run against the promoted translation (`jax`: its
   Gymnasium face, `recipe.conformance.JaxFace`), and their outcome is part of the run's result.

Nothing here prints; `recipe.cli.create_command` shows what `execute` returns.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from recipe import session
from recipe.loop import Run
from recipe.options import TranslateOptions
from recipe.replay_edits import CREATE_STATE
from recipe.spec_task import SpecTask, SpecVerifier, run_tests, task_for_spec
from recipe.task import TARGETS, TaskError
from recipe.workspace import Workspace

STATE_FILE = CREATE_STATE  # a create run's state, in its run folder
SPEC_COPY = "spec.md"


@dataclass
class CreateRun:
    """Where a create run stands (saved as create.json after every stage change)."""

    run_dir: Path
    options: TranslateOptions
    targets: list[str]
    ports: Path  # the ports folder the reference is promoted into
    stage: str = "reference"  # reference | a target | done
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)  # stage -> status, rows, promoted, note
    conformance: dict[str, dict[str, Any]] = field(default_factory=dict)  # target -> passed, output (tail)
    open_questions: str = ""

    def save(self) -> None:
        """Write create.json (atomically)."""
        data = {"options": self.options.to_dict(), "targets": self.targets, "ports": str(self.ports), "stage": self.stage,
                "stages": self.stages, "conformance": self.conformance, "open_questions": self.open_questions}
        tmp = self.run_dir / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, default=str))
        tmp.replace(self.run_dir / STATE_FILE)

    @property
    def package(self) -> str:
        """The new port's package name."""
        return self.stages["reference"]["package"]


@dataclass
class CreateOutcome:
    """How an invocation ended: waiting for the agent, passed (everything promoted and conforming), or failed."""

    create: CreateRun
    status: str  # waiting | passed | failed | interrupted
    message: str = ""
    runs: list[Run] = field(default_factory=list)


def parse_targets(text: str) -> list[str]:
    """'jax,rust' -> ['jax', 'rust']; TaskError for an unknown target."""
    targets = list(dict.fromkeys(t.strip().lower() for t in str(text or "jax").split(",") if t.strip()))
    unknown = [t for t in targets if t not in TARGETS]
    if unknown or not targets:
        raise TaskError(f"--to {text!r}: choose one or more of {', '.join(TARGETS)}, comma-separated (e.g. --to jax,rust)")
    return targets


def default_ports_folder() -> Path:
    """The first ports folder given with `envport --ports` (or $ENVPORT_PORTS), else ./ports."""
    from envs.registry import PORTS_ENV

    configured = [p for p in os.environ.get(PORTS_ENV, "").split(os.pathsep) if p]
    return Path(configured[0]) if configured else Path("ports")


def _check_new_name(task: SpecTask, ports: Path) -> None:
    from envs import UnknownPortError, get_port

    try:
        port = get_port(task.name)
    except UnknownPortError:
        port = None
    if port is not None:
        raise session.UsageProblem(f"--name {task.name}: a registered port is already called that ({port.name}); choose another name")
    if (ports / task.package).exists():
        raise session.UsageProblem(f"--name {task.name}: {ports / task.package} exists already and is never overwritten; "
                                   "choose another name or --output folder")


def new_create(options: TranslateOptions) -> tuple[CreateRun, Run]:
    """A new create run from the options: its folder, spec copy and the first stage's Run."""
    o = options.resolved()
    if not o.spec:
        raise session.UsageProblem("--spec SPEC.md is required: the specification to implement")
    if not o.new_name:
        raise session.UsageProblem("--name NAME is required: the new port's name")
    targets = parse_targets(o.to)
    task = task_for_spec(Path(o.spec), o.new_name)
    ports = (Path(o.output) if o.output else default_ports_folder()).resolve()
    if ports.exists() and not ports.is_dir():
        raise session.UsageProblem(f"--output {ports} is a file; give a ports folder")
    _check_new_name(task, ports)
    stem, n = f"{task.name}-create-{time.strftime('%Y%m%d-%H%M%S')}", 1
    run_dir = Path(o.runs_dir).resolve() / stem
    while run_dir.exists():
        n += 1
        run_dir = Path(o.runs_dir).resolve() / f"{stem}-{n}"
    run_dir.mkdir(parents=True)
    (run_dir / SPEC_COPY).write_text(task.spec_text)
    o = replace(o, spec=Path(o.spec).resolve(), output=ports, to=",".join(targets))
    create = CreateRun(run_dir, o, targets, ports, stages={"reference": {"status": "running", "package": task.package}})
    create.save()
    return create, _reference_run(create, task, None)


def _stage_replay(options: TranslateOptions, stage: str) -> TranslateOptions:
    """--agent replay of a recorded create run: each stage replays that run's stage sub-folder."""
    if options.replay and (Path(options.replay) / STATE_FILE).is_file():
        return replace(options, replay=Path(options.replay) / stage)
    return options


def _reference_run(create: CreateRun, task: SpecTask, stored_state: dict[str, Any] | None) -> Run:
    # a reference has no throughput to optimise; its output is the ports folder (the package keeps its layout)
    o = replace(_stage_replay(create.options, "reference"), optimise_rounds=0, output=create.ports)
    return session.assemble_run(o, task, create.run_dir / "reference", stored_state, create.ports, verifier_class=SpecVerifier)


def resume_create(options: TranslateOptions) -> tuple[CreateRun, Run | None]:
    """The create run in `options.resume` and the Run of its current stage (budgets and endpoint from the options)."""
    run_dir = Path(options.resume).resolve()
    state_file = run_dir / STATE_FILE
    if not state_file.is_file():
        raise session.UsageProblem(f"--resume {options.resume}: no {STATE_FILE} there; give the folder `envport create` printed")
    saved = json.loads(state_file.read_text())
    stored = options.resumed_from(TranslateOptions.from_dict(saved["options"])).resolved()
    create = CreateRun(run_dir, replace(stored, resume=None), saved["targets"], Path(saved["ports"]), saved["stage"],
                       saved["stages"], saved["conformance"], saved.get("open_questions", ""))
    if create.stage == "done":
        raise session.UsageProblem(f"--resume {options.resume}: that create run is finished; start a new one")
    _use_ports(create.ports)
    if create.stage == "reference":
        task = task_for_spec(run_dir / SPEC_COPY, create.options.new_name)
        task = replace(task, spec_path=str(create.options.spec))  # the prompts name the spec as given
        state = json.loads((run_dir / "reference" / "state.json").read_text())["state"]
        state["status"] = "running"
        return create, _reference_run(create, task, state)
    return create, _target_run(create, create.stage, resume=True)


def _use_ports(ports: Path) -> None:
    """Add the ports folder to the folders every command (and subprocess) sees."""
    from envs.registry import port_folders, use_port_folders

    folders = port_folders()
    if ports.resolve() not in folders and ports.is_dir():
        use_port_folders([*folders, ports])


def _target_run(create: CreateRun, target: str, resume: bool = False) -> Run:
    stage_dir = create.run_dir / target
    given = {k: getattr(create.options, k) for k in ("max_iterations", "max_tokens", "max_cost", "timeout", "base_url", "model", "agent_cmd")}
    if resume and (stage_dir / "state.json").is_file():
        return session.open_run(TranslateOptions(resume=stage_dir, runs_dir=create.options.runs_dir, **given))
    o = replace(_stage_replay(create.options, target), name=create.options.new_name, new_name=None, spec=None,
                reference=None, to=target, output=create.ports / create.package)
    return session.open_run(o, run_dir=stage_dir)


def execute(create: CreateRun, run: Run | None, progress: Callable[[str], None] = lambda m: None) -> CreateOutcome:
    """Run the current stage and go on to the next ones while they pass; stop when the agent is waited for."""
    runs: list[Run] = []
    while create.stage != "done":
        stage = create.stage
        if run is None:
            try:
                run = _target_run(create, stage)
            except session.RustNotBuilt:
                note = (f"--to {stage}: the loop cannot translate a new port to Rust yet (its module and bindings line in "
                        "rust_envs/ must exist first); the reference and the other targets stand")
                create.stages[stage] = {"status": "not built", "note": note}
                create.stage = "done"
                create.save()
                return CreateOutcome(create, "failed", note, runs)
        progress(f"stage {stage}: run folder {run.run_dir}")
        outcome = session.execute(run, progress=progress)
        runs.append(run)
        state = outcome.state
        create.stages[stage] = {**create.stages.get(stage, {}), "status": "interrupted" if outcome.interrupted else state.status,
                                "run_dir": str(run.run_dir), "promoted": state.promoted, "iterations": state.iteration}
        create.save()
        if outcome.interrupted:
            return CreateOutcome(create, "interrupted", "", runs)
        if state.status == "waiting":
            return CreateOutcome(create, "waiting", str(run.workspace.root / "PROMPT.md"), runs)
        if not outcome.passed:
            return CreateOutcome(create, "failed", f"stage {stage}: {state.status}", runs)
        if stage == "reference":
            _use_ports(create.ports)
            questions = create.ports / create.package / "OPEN_QUESTIONS.md"
            create.open_questions = questions.read_text() if questions.is_file() else ""
        else:
            create.conformance[stage] = conformance_of(create, stage)
        create.stage = _next_stage(create, stage)
        create.save()
        run = None
    failed = [t for t, c in create.conformance.items() if not c["passed"]]
    if failed:
        return CreateOutcome(create, "failed", f"the conformance tests fail against the {', '.join(failed)} translation", runs)
    return CreateOutcome(create, "passed", "", runs)


def _next_stage(create: CreateRun, stage: str) -> str:
    order = ["reference", *create.targets]
    return order[order.index(stage) + 1] if order.index(stage) + 1 < len(order) else "done"


def conformance_of(create: CreateRun, target: str) -> dict[str, Any]:
    """The port's conformance tests run against its promoted `target` translation (its Gymnasium face)."""
    from recipe.conformance import IMPLEMENTATION_ENV, PACKAGE_ENV, RESULTS_ENV
    from recipe.task import ROOT
    from verify.process import child_env

    package_dir = create.ports / create.package
    results = create.run_dir / target / f"conformance-{target}.json"
    env = {**child_env(ROOT, create.ports), PACKAGE_ENV: create.package, IMPLEMENTATION_ENV: target, RESULTS_ENV: str(results)}
    proc = run_tests(Workspace(package_dir), "test_conformance.py", create.run_dir / target, create.options.verify_timeout, env)
    data = json.loads(results.read_text()) if results.is_file() else {"tests": []}
    counts = {key: sum(r["outcome"] == outcome for r in data["tests"])
              for key, outcome in (("tests_passed", "passed"), ("failed", "failed"), ("skipped", "skipped"))}
    passed = not proc.timed_out and proc.returncode == 0 and counts["failed"] == 0
    return {"passed": passed, **counts, "output": proc.output[-4000:]}


def summary(create: CreateRun) -> dict[str, Any]:
    """What the run did, per stage (also written as the create folder's summary.json)."""
    data = {"stage": create.stage, "ports": str(create.ports), "package": create.stages["reference"]["package"],
            "stages": create.stages, "conformance": {t: {k: v for k, v in c.items() if k != "output"} for t, c in create.conformance.items()},
            "open_questions": create.open_questions}
    (create.run_dir / "summary.json").write_text(json.dumps(data, indent=1, default=str))
    return data

