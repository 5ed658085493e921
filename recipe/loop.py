"""The recipe's loop: generate, verify every level, feed back the lowest failing level, repeat; then optimise.

State lives in the run folder (`state.json`, saved after every step) so a stopped
run continues with `--resume`; every request, reply, tool call and verification is
in `trajectory.jsonl`. Promotion happens only for a translation that passed.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from recipe import prompting
from recipe.accounting import Budget, BudgetExhausted, RunLog, Usage, format_cost
from recipe.agents import AgentPaused, AgentStop
from recipe.models import ModelError
from recipe.promote import PromotionRefused, promote
from recipe.task import ROOT, Task
from recipe.verification import Verifier, rust_classes_args, worker_env
from recipe.workspace import Workspace
from verify.process import head_tail, run_command

if TYPE_CHECKING:
    from recipe.options import TranslateOptions

BENCH_BATCH_SIZES = (32, 128, 512, 2048, 8192)


@dataclass
class RunState:
    """Where a run stands; serialised to state.json after every step."""

    phase: str = "translate"  # translate | repair | optimise
    iteration: int = 0
    status: str = "running"  # running | passed | stopped: ...
    rows: list[dict[str, Any]] = field(default_factory=list)
    last_outcome: dict[str, Any] | None = None
    verified: dict[str, Any] | None = None  # outcome of the last passing translation (+ throughput)
    optimise_left: int = 0
    note: str = ""  # why the last optimisation was thrown away
    attempt_open: bool = False  # an attempt started and was not verified yet (a resume continues it)
    promoted: list[str] = field(default_factory=list)
    agent: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy."""
        return dict(vars(self))


@dataclass
class Run:
    """Everything one loop needs; built by the command from its options (or state.json on --resume)."""

    task: Task
    run_dir: Path
    workspace: Workspace
    verifier: Verifier
    agent: Any
    log: RunLog
    usage: Usage
    budget: Budget
    output: Path
    options: TranslateOptions
    state: RunState
    optimise_rounds: int = 1
    batch_sizes: tuple[int, ...] = BENCH_BATCH_SIZES
    bench_steps: int = 1_000_000
    progress: Callable[[str], None] = lambda message: None
    warnings: list[str] = field(default_factory=list)

    def save(self) -> None:
        """Write state.json (atomically)."""
        self.state.agent = self.agent.state()
        self.state.usage = self.usage.to_dict()
        data = {"task": self.task.to_dict(), "options": self.options.to_dict(), "state": self.state.to_dict()}
        tmp = self.run_dir / "state.json.tmp"
        tmp.write_text(self.log.redact(json.dumps(data, indent=1, default=str)))
        tmp.replace(self.run_dir / "state.json")


def next_prompt(run: Run) -> str:
    """The message for the next attempt: translate, repair or optimise."""
    st, tools = run.state, run.agent.uses_tools
    if st.phase == "translate":
        return prompting.translate_prompt(run.task, tools)
    if st.phase == "repair":
        return prompting.repair_prompt(run.task, st.last_outcome or {}, st.iteration, tools)  # the iteration that failed
    return prompting.optimise_prompt(run.task, (st.verified or {}).get("throughput", []), run.batch_sizes, tools, st.note)


def run_loop(run: Run) -> RunState:
    """Attempt, verify, feed back, until a pass (and the optimisation rounds) or a budget or error stops it."""
    st = run.state
    while st.status == "running":
        try:
            run.usage.check(run.budget, iterations=st.iteration)
            if st.attempt_open and run.agent.uses_tools:  # resumed mid-attempt: the conversation has the task already
                prompt = "envport: this run was stopped and is now resumed. Continue the task where you left off."
            else:
                prompt = next_prompt(run)
            st.attempt_open = True
            run.save()
            run.log.event("iteration", iteration=st.iteration + 1, phase=st.phase, prompt_tokens_estimate=prompting.estimate_tokens(prompt))
            run.progress(f"iteration {st.iteration + 1} ({st.phase}): agent working")
            start = time.time()
            ended = run.agent.attempt(prompt).ended
        except BudgetExhausted as exc:
            _stop(run, f"budget: {exc}")
            break
        except AgentPaused as exc:
            st.status = "waiting"  # --resume goes on from here (the attempt stays open)
            run.log.event("paused", message=str(exc))
            break
        except (ModelError, AgentStop) as exc:
            run.log.event("error", message=str(exc))
            _stop(run, f"error: {exc}")
            break
        st.iteration += 1
        st.attempt_open = False
        if st.phase == "optimise" and run.verifier.fingerprint() == (st.verified or {}).get("fingerprint"):
            _unchanged(run, ended, start)
            continue
        run.progress(f"iteration {st.iteration} ({st.phase}): verifying")
        outcome = run.verifier.verify()
        run.log.event("verification", iteration=st.iteration, outcome=outcome)
        row = {"iteration": st.iteration, "phase": st.phase, "ended": ended, "levels": outcome["levels"],
               "passed": outcome["passed"], "tokens": run.usage.tokens, "cost": run.usage.cost,
               "seconds": round(time.time() - start, 1)}
        if outcome.get("budget"):  # --timeout ran out mid-verification: no verdict, the phase stays as it was
            row["note"] = "verification cut short by --timeout"
            st.rows.append(row)
            _stop(run, f"budget: --timeout {run.budget.timeout:.0f} s reached during verification")
            break
        st.last_outcome = outcome
        if outcome["passed"]:
            _passed(run, outcome, row)
        elif st.phase == "optimise":
            _restore(run)
            failure = outcome.get("first_failure") or {}
            st.note = f"it failed {failure.get('level')} ({failure.get('check')}): {str(failure.get('message'))[:500]}"
            row["note"] = "optimisation failed verification: reverted to the last verified version"
            _optimise_round_done(run)
        else:
            st.phase = "repair"
        st.rows.append(row)
        run.save()
    run.save()
    return st


def _unchanged(run: Run, ended: str, start: float) -> None:
    """An optimisation round that left every file as verified: logged as unchanged, nothing re-verified or measured."""
    st = run.state
    note = "optimisation unchanged: the agent left every file as it was verified"
    run.log.event("unchanged", iteration=st.iteration, phase=st.phase)
    st.rows.append({"iteration": st.iteration, "phase": st.phase, "ended": ended, "levels": (st.verified or {}).get("levels", {}),
                    "passed": True, "tokens": run.usage.tokens, "cost": run.usage.cost,
                    "seconds": round(time.time() - start, 1), "note": note})
    _optimise_round_done(run)
    run.save()


def _stop(run: Run, reason: str) -> None:
    st = run.state
    st.status = "passed" if st.verified else f"stopped: {reason}"
    if st.verified and st.phase == "optimise":
        st.note = f"optimisation stopped early ({reason})"
        if (run.run_dir / "verified").is_dir():
            _restore(run)  # leave the workspace at the verified version, not a half-done change
    run.log.event("stop", reason=reason, status=st.status)


def _passed(run: Run, outcome: dict[str, Any], row: dict[str, Any]) -> None:
    st = run.state
    throughput = _bench(run) if run.optimise_rounds > 0 else []
    row["throughput"] = throughput
    if st.phase == "optimise":
        before = {r["batch_size"]: r["steps_per_second"] for r in (st.verified or {}).get("throughput", [])}
        row["note"] = "optimisation accepted (every level green)"
        row["speedup"] = {b["batch_size"]: round(b["steps_per_second"] / before[b["batch_size"]], 3)
                          for b in throughput if before.get(b["batch_size"])}
        st.note = ""
    _snapshot(run)
    st.verified = {**outcome, "throughput": throughput}
    try:
        written = promote(run.task, run.workspace, outcome, run.output, run.run_dir / "replaced")
    except PromotionRefused as exc:  # cannot happen unless the workspace changed under us; never promote then
        run.log.event("promotion_refused", reason=str(exc))
        _stop(run, str(exc))
        return
    st.promoted = [str(p) for p in written]
    run.log.event("promoted", files=st.promoted, fingerprint=outcome["fingerprint"])
    if st.phase == "optimise":
        _optimise_round_done(run)
    elif run.optimise_rounds > 0:
        st.phase, st.optimise_left = "optimise", run.optimise_rounds
    else:
        st.status = "passed"


def _optimise_round_done(run: Run) -> None:
    run.state.optimise_left -= 1
    if run.state.optimise_left <= 0:
        run.state.status = "passed"


def _snapshot(run: Run) -> None:
    """Keep a copy of the verified files, to restore after a failed optimisation."""
    target = run.run_dir / "verified"
    shutil.rmtree(target, ignore_errors=True)
    for rel in run.task.owned_files:
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(run.workspace.read(rel))


def _restore(run: Run) -> None:
    for rel in run.task.owned_files:
        run.workspace.write(rel, (run.run_dir / "verified" / rel).read_text())
    run.log.event("restored", files=run.task.owned_files)


def _bench(run: Run) -> list[dict[str, Any]]:
    """Throughput of the workspace translation at each batch size, in a subprocess with a time limit."""
    run.progress("measuring throughput")
    out = run.run_dir / "verify" / f"bench-{run.state.iteration:03d}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "recipe.verify_worker", "--bench", "--workspace", str(run.workspace.root),
           "--batch-sizes", ",".join(map(str, run.batch_sizes)), "--bench-steps", str(run.bench_steps), "--json", str(out)]
    import_paths = [ROOT]
    if run.task.target == "rust":  # the build the verification just made
        site = run.verifier.build_dir / "site"
        cmd += ["--port", run.task.name, "--backend", "rust", "--rust-site", str(site)] + rust_classes_args(run.task)
        import_paths = [site, ROOT]
    elif run.task.registered:
        cmd += ["--port", run.task.name, "--translation", run.task.translation_file, "--class-name", run.task.class_name,
                "--adapter", str(run.run_dir / "verify" / "bench_adapter.py")]
    else:
        cmd += ["--package", run.task.package]
    result = run_command(cmd, cwd=ROOT, timeout=run.verifier.time_limit()[0], env=worker_env(run.task, *import_paths), isolated=True)
    if result.timed_out or not out.is_file():
        run.log.event("bench_failed", output=head_tail(result.output, 4000), timed_out=result.timed_out)
        return []
    rows = json.loads(out.read_text())
    run.log.event("throughput", iteration=run.state.iteration, rows=rows)
    return rows


def summary_rows(state: RunState) -> list[list[str]]:
    """The summary table: one row per iteration."""
    rows = []
    for r in state.rows:
        levels = " ".join(f"{k}:{v}" for k, v in r["levels"].items())
        best = max((b["steps_per_second"] for b in r.get("throughput") or []), default=None)
        rows.append([str(r["iteration"]), r["phase"], levels, "PASS" if r["passed"] else "FAIL", str(r["tokens"]),
                     format_cost(r["cost"]), f"{r['seconds']:.1f}", "-" if best is None else f"{best / 1e6:.2f}M", r.get("note", "")])
    return rows
