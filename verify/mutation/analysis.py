"""Mutation analysis: how strong is the verifier?

Small, plausible bugs (mutants, verify.mutation.generate) are planted one at a time in a port's JAX
translation; each mutant is verified in a worker subprocess with a time limit
(verify.mutation.pool, verify.mutation.worker), with the levels run cheapest
first, and a mutant is *killed* when a level fails.

Every mutant ends with one status: `killed` (a level failed), `timed_out` (its verification did not
finish within the limit), `harness_error` (the worker crashed or raised outside a level), `equivalent`
(a rule says it cannot change behaviour, verify.mutation.equivalence and verify.mutation.fingerprint),
`unviable` (Rust: it does not build) or `survived`. A timeout or a harness error is not a kill: nothing
showed the bug (a resumed analysis verifies such a mutant again rather than reusing the journal's record).
The kill rate is killed / (mutants - equivalent - unviable); `kill_rate_with_timeouts` also counts the
timeouts as caught.

A hang is a kill at its level, as `envport verify --level-timeout` fails it: each level of a mutant may run
`mutant_level_timeout(original)` seconds, twice the unmutated translation's whole first verification through the
same workers (compilation included) and at least L0's load limit; a level still running then is stopped
(verify.watchdog) and the mutant killed there with the check `time limit` (`hangs` in the summary). The
mutant's overall limit (`--timeout`) stays above it, for a worker that is slow or stuck outside a level.
The survivors, listed with their diffs, show what the verifier misses.

With `guided` (the default of `envport mutate`), L1 runs its guided search (verify.guided) for
every mutant, as `envport verify` does. A mutant's verdict without the search is its verdict with
it, except where the search's states killed it (check `guided_branch`) or it timed out: the
levels are deterministic, and the search only adds comparisons after L1's own. Those mutants are
verified again with the search off in the same run (`without_guided` in their records), and the
summary's `guided_search` gives the kill rate both ways and the mutants only the search kills
(`search_effect`). The unmutated translation is verified once more without and once more with the
search, after its first verification has compiled what the worker runs (`original.cost_of_guided`).

`python -m verify.mutation.analysis NAME [--max-mutants N] [--timeout S] [--json FILE] [--workers W]`
runs it by hand.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from verify.executors import LocalExecutor, run_tasks
from verify.levels import MUTATION_LEVELS
from verify.mutation.equivalence import mark_reviewed
from verify.mutation.fingerprint import SAME_COMPILED, SAME_PROGRAM, same_program_mutants
from verify.mutation.generate import context_sources_for, generate_mutants
from verify.mutation.mutants import HARNESS_ERROR, TIMEOUT, UNVIABLE, GeneratedMutants, Mutant
from verify.mutation.pool import JaxWorkers, MutantTask, WorkerOptions, WorkerOutcome
from verify.watchdog import TIME_LIMIT_CHECK


def mutants_for_port(port: Any) -> GeneratedMutants:
    """The mutants of a port's JAX translation, with the reviewed equivalents (equivalent_mutants.toml) marked."""
    from verify.variants import translation_source

    env = port.make_jax()
    generated = generate_mutants(
        translation_source(port),
        class_name=type(env).__name__,
        filename=port.jax_module.replace(".", "/") + ".py",
        context_sources=context_sources_for(env),
    )
    return mark_reviewed(generated, port.name)


def select_mutants(mutants: list[Mutant], max_mutants: int | None) -> list[Mutant]:
    """At most `max_mutants`, spread evenly over the source (deterministic)."""
    if max_mutants is None or max_mutants >= len(mutants):
        return list(mutants)
    if max_mutants <= 0:
        return []
    step = len(mutants) / max_mutants
    return [mutants[int(i * step)] for i in range(max_mutants)]


ORIGINAL_ID = "__original__"  # the journal entry of the unmutated translation


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def run_mutation_analysis(
    port: Any,
    *,
    max_mutants: int | None = None,
    timeout_s: float | None = None,
    workers: int = 2,
    options: Any | None = None,
    progress: Callable[[str], None] = lambda msg: None,
    check_original: bool = True,
    journal: str | Path | None = None,
    executor: Any | None = None,
    guided: bool = False,
) -> dict[str, Any]:
    """Mutation analysis of `port`'s JAX translation; a JSON-serialisable summary.

    `options` is a verify.levels.VerifyOptions (defaults: 100 L1 examples, 20 L3
    episodes per policy). `timeout_s` bounds each mutant's verification; None sets
    it from the unmutated translation's own time (4x + 60 s, at most 600 s).
    With `check_original`, the unmutated source is verified first through the same
    worker, and the analysis stops if it does not pass (every kill would be void).
    `journal`: a file to which every verdict is appended as a JSON line as soon as it is
    known; a run given the journal of an interrupted run reuses its verdicts (matched by
    mutant id and diff) and verifies only the rest. `executor`: where the mutants are verified (`analyse`).
    `guided`: L1 runs its guided search for each mutant (see the module doc).
    """
    from verify.variants import translation_source

    start = time.perf_counter()
    options = mutation_options(options, guided)
    source = translation_source(port)
    class_name = type(port.make_jax()).__name__
    generated = mutants_for_port(port)
    selected = select_mutants(generated.mutants, max_mutants)
    progress(f"{port.name}: tracing {len(selected)} mutants to find those that compute exactly what the original does")
    same = same_program_mutants(port, source, [m for m in selected if m.equivalent is None], class_name)
    selected = [dataclasses.replace(m, equivalent=SAME_PROGRAM) if m.id in same else m for m in selected]
    with tempfile.TemporaryDirectory(prefix="envport_mutation_jax_cache_") as cache:
        worker_options = WorkerOptions(
            class_name=class_name, examples=options.examples, episodes=options.episodes,
            policies=tuple(options.policies), seed=options.seed, compile_cache=Path(cache), guided=guided,
            one_replay_process=workers > 1,
        )
        analysis = analyse(
            port, source, generated, selected,
            make_worker=JaxWorkers(port.name, worker_options),
            timeout_s=timeout_s, workers=workers, options=options, progress=progress,
            check_original=check_original, start=start, journal=Path(journal) if journal is not None else None,
            executor=executor, guided=guided,
        )
    if analysis["survived"]:
        progress(f"{port.name}: compiling the {analysis['survived']} survivors to find those XLA compiles to the original's program")
    return _with_compiled_equivalents(analysis, port, source, class_name, {m.id: m for m in selected})


def mutation_options(options: Any | None, guided: bool) -> Any:
    """The VerifyOptions a mutation analysis runs with (default: 100 L1 examples, 20 L3 episodes a policy), the
    reference's coverage and L1's guided search on exactly when `guided`."""
    from verify.levels import VerifyOptions

    options = options or VerifyOptions(examples=100, episodes=20)
    return dataclasses.replace(options, coverage=guided, guided=guided)


GUIDED_CHECK = "guided_branch"  # the check of L1 that fails on a state the guided search found


def _with_compiled_equivalents(
    analysis: dict[str, Any], port: Any, source: str, class_name: str, mutants: dict[str, Mutant]
) -> dict[str, Any]:
    """`analysis` with the survivors that compile to the original's optimised programs marked equivalent
    (SAME_COMPILED). Only survivors are compiled: a killed mutant's verdict stands whatever it compiles to."""
    survivors = [mutants[r["id"]] for r in analysis["results"] if r["status"] == "survived"]
    same = same_program_mutants(port, source, survivors, class_name, compiled=True)
    if not same:
        return analysis
    results = [classify(r, SAME_COMPILED) if r["id"] in same else r for r in analysis["results"]]
    return summarize(
        analysis["env"], results, generated=analysis["generated"], skipped=analysis["skipped"],
        original=analysis["original"], options=analysis["options"], seconds=analysis["seconds"],
    )


def analyse(
    port: Any,
    source: str,
    generated: GeneratedMutants,
    selected: list[Mutant],
    *,
    make_worker: Callable[[], Any],
    timeout_s: float | None,
    workers: int,
    options: Any,
    progress: Callable[[str], None],
    check_original: bool,
    start: float,
    journal: Path | None = None,
    backend: str = "jax",
    executor: Any | None = None,
    guided: bool = False,
) -> dict[str, Any]:
    """Verify `selected` through workers from `make_worker` (a hashable factory of workers, each with
    `verify(source, timeout_s, guided=None)` -> WorkerOutcome, and `close()`), reusing the journal's verdicts (those
    verified with the same `guided`); the summary.

    `executor` (verify.executors) runs the verifications, one `MutantTask` each: by default a local pool of
    `workers` threads, each with its own worker; the summary is the same whichever executor ran them. With
    `guided`, a mutant the search killed or that timed out is verified again with the search off, and so is the
    unmutated translation (see the module doc)."""
    known: dict[str, dict[str, Any]] = {}
    if journal is not None and journal.exists():
        for line in journal.read_text().splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short when the run was interrupted
            known[entry.get("id", "")] = entry

    def record_in_journal(entry: dict[str, Any]) -> None:
        if journal is not None:
            with journal.open("a") as f:
                f.write(json.dumps(entry) + "\n")

    own_executor = executor is None
    executor = executor or LocalExecutor(workers)
    try:
        original, timeout_s = _check_original(port, source, known, make_worker, executor, timeout_s, check_original,
                                              progress, record_in_journal, guided)
        level_limit = mutant_level_timeout(original)
        progress(f"{port.name}: {len(selected)} of {len(generated.mutants)} mutants, {workers} workers, {timeout_s:.0f} s limit each"
                 + (f", {level_limit:.0f} s a level" if level_limit else ""))
        results = _verify_mutants(port, selected, known, make_worker, executor, timeout_s, progress, record_in_journal,
                                  guided, level_limit)
    finally:
        if own_executor:
            executor.shutdown(cancel=True)
    return summarize(
        port.name,
        results,
        generated=len(generated.mutants),
        skipped=generated.skipped,
        original=original,
        options={**dict(vars(options)), "policies": list(options.policies), "timeout_s": timeout_s,
                 "level_timeout_s": level_limit, "workers": workers},
        seconds=time.perf_counter() - start,
        backend=backend,
    )


def _check_original(port, source, known, make_worker, executor, timeout_s, check_original, progress, record_in_journal,
                    guided=False):
    """The unmutated translation's verdict through the same workers (or the journal's), and the mutants' time limit
    (given, else from the original's time); raises RuntimeError when the original fails. With `guided`, it is then
    verified without and with the search, one after the other, to time what the search costs once compiled."""
    original = None
    if check_original:
        entry = known.get(ORIGINAL_ID)
        if (entry is not None and entry.get("source_sha") == _sha(source) and entry.get("level") is None
                and entry.get("guided_search", False) == guided):
            original = {k: entry[k] for k in entry if k not in ("id", "source_sha", "guided_search")}
        else:
            progress(f"{port.name}: verifying the unmutated translation through the worker")
            limit = timeout_s or 600.0
            baseline = _run_one(executor, MutantTask(make_worker, source, limit))
            original = {"killed": baseline.killed, "level": baseline.level, "message": baseline.message, "seconds": round(baseline.seconds, 2)}
            if not baseline.passed:
                raise RuntimeError(f"the unmutated translation of {port.name} fails the mutant verification ({baseline.level}): {baseline.message}")
            if guided:
                # the first verification compiles what the worker runs: the search's cost is timed on the two after it
                progress(f"{port.name}: verifying it again without and with the guided search (its cost)")
                without = _run_one(executor, MutantTask(make_worker, source, limit, guided=False))
                warm = _run_one(executor, MutantTask(make_worker, source, limit))
                original.update(guided=baseline.guided, cost_of_guided={
                    "seconds_with": round(warm.seconds, 2), "seconds_without": round(without.seconds, 2),
                    "level_seconds_with": warm.level_seconds, "level_seconds_without": without.level_seconds,
                    "note": "timed after a first verification by the same executor, which compiled what it runs",
                })
            record_in_journal({"id": ORIGINAL_ID, "source_sha": _sha(source), "guided_search": guided, **original})
        if timeout_s is None:
            timeout_s = min(600.0, 4 * original["seconds"] + 60.0)
    return original, 300.0 if timeout_s is None else timeout_s


def mutant_level_timeout(original: dict[str, Any] | None) -> float | None:
    """Seconds each level of a mutant may run before it counts as a hang (module docstring): twice the unmutated
    translation's first verification, at least L0's load limit; None without that verification."""
    if not original or "seconds" not in original:
        return None
    from verify.contract import IMPORT_TIMEOUT_S

    return round(max(IMPORT_TIMEOUT_S, 2 * float(original["seconds"])), 1)


def _run_one(executor, task: MutantTask) -> WorkerOutcome:
    """One task's outcome, waited for."""
    found: list[WorkerOutcome] = []
    run_tasks(executor, [task], lambda i, f: found.append(_outcome(f)))
    return found[0]


def _outcome(future) -> WorkerOutcome:
    """A task's outcome; a task the executor lost (a Ray node gone, retries spent) is a harness error, not a verdict."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - whatever stopped the task, no level judged the mutant
        first = (str(exc).strip().splitlines() or [""])[0]
        return WorkerOutcome(False, HARNESS_ERROR, f"the executor lost the task: {type(exc).__name__}: {first}", 0.0)


def _verify_mutants(port, selected, known, make_worker, executor, timeout_s, progress, record_in_journal,
                    guided=False, level_limit=None) -> list[dict[str, Any]]:
    """The record of each selected mutant, in selection order: from the journal when it has the same mutant verified
    with the same `guided` to a verdict (not a timeout or a harness error), else verified by `executor` (each level
    within `level_limit` seconds); each recorded in the journal and counted in a progress line
    once, as it comes in. With `guided`, the mutants the search killed or that timed out are verified again with the
    search off (`without_guided`) before they are recorded."""
    records: dict[int, dict[str, Any]] = {}

    def finished(i: int, record: dict[str, Any], reused: str = "") -> None:
        m = selected[i]
        records[i] = record
        progress(f"{port.name}: [{len(records)}/{len(selected)}] {m.id} {m.operator} line {m.line}: {record['status']}"
                 + (f" ({record['level']})" if record["status"] == "killed" else "") + reused)

    todo = []
    for i, m in enumerate(selected):
        previous = known.get(m.id)
        if (previous is not None and previous.get("diff") == m.diff and previous.get("guided_search", False) == guided
                and previous.get("level") not in (TIMEOUT, HARNESS_ERROR)):
            finished(i, classify(previous, m.equivalent), " (from the journal)")
        else:
            todo.append(i)

    again: dict[int, dict[str, Any]] = {}  # selection index -> its record, waiting for its verdict without the search

    def verified(k: int, future) -> None:
        m = selected[todo[k]]
        outcome = _outcome(future)
        record = classify(
            {**m.to_dict(), "level": outcome.level, "check": outcome.check, "message": outcome.message,
             "seconds": round(outcome.seconds, 2), "level_seconds": outcome.level_seconds, "guided_search": guided,
             **({"guided": outcome.guided} if outcome.guided else {})},
            m.equivalent,
        )
        if guided and (outcome.check == GUIDED_CHECK or outcome.level == TIMEOUT):
            again[todo[k]] = record
            return
        record_in_journal(record)
        finished(todo[k], record)

    run_tasks(executor, [MutantTask(make_worker, selected[i].source, timeout_s, level_timeout_s=level_limit) for i in todo],
              verified)
    waiting = sorted(again)

    def verified_without(k: int, future) -> None:
        i = waiting[k]
        without, record = _outcome(future), again[i]
        record["without_guided"] = {"status": classify({"level": without.level}, selected[i].equivalent)["status"],
                                    "level": without.level, "check": without.check, "seconds": round(without.seconds, 2)}
        record_in_journal(record)
        finished(i, record)

    run_tasks(executor, [MutantTask(make_worker, selected[i].source, timeout_s, guided=False, level_timeout_s=level_limit)
                         for i in waiting],
              verified_without)
    return [records[i] for i in range(len(selected))]


STATUSES = ("killed", "timed_out", "harness_error", "equivalent", "unviable", "survived")
_FAULTS = {TIMEOUT: "timed_out", HARNESS_ERROR: "harness_error", UNVIABLE: "unviable"}


def classify(record: dict[str, Any], equivalent: str | None) -> dict[str, Any]:
    """Set a mutant's status from the worker's verdict and its equivalence reason.

    `record["level"]` is the level that failed, None if every level passed, or a fault
    (TIMEOUT, HARNESS_ERROR; UNVIABLE for a Rust mutant that does not build), which gives the
    status of that name whatever a rule says: no level judged the mutant. A mutant a rule
    calls equivalent is still verified: if a level kills it anyway, the rule was wrong for
    it, and it counts as killed with the contradiction recorded.
    """
    record = {k: v for k, v in record.items() if k not in ("equivalent", "equivalence_contradicted", "status")}
    level = record.get("level")
    if level in _FAULTS:
        record["status"] = _FAULTS[level]
    elif level is not None:
        record["status"] = "killed"
        if equivalent:
            record["equivalence_contradicted"] = equivalent
    elif equivalent:
        record["status"] = "equivalent"
        record["equivalent"] = equivalent
    else:
        record["status"] = "survived"
    return record


def rates(counts: dict[str, int]) -> dict[str, float | None]:
    """`kill_rate` = killed / (mutants - equivalent - unviable), timeouts and harness errors not counted as
    kills; `kill_rate_with_timeouts` counts the timeouts as caught too. None when no mutant counts."""
    countable = counts["mutants"] - counts["equivalent"] - counts.get("unviable", 0)
    if not countable:
        return {"kill_rate": None, "kill_rate_with_timeouts": None}
    return {
        "kill_rate": counts["killed"] / countable,
        "kill_rate_with_timeouts": (counts["killed"] + counts.get("timed_out", 0)) / countable,
    }


def summarize(
    env: str,
    results: list[dict[str, Any]],
    *,
    generated: int,
    skipped: list[str],
    original: dict[str, Any] | None,
    options: dict[str, Any],
    seconds: float,
    backend: str = "jax",
) -> dict[str, Any]:
    """The analysis result from the per-mutant records: a count per status (STATUSES), the rates (`rates`),
    the kills per level, the counts per operator, the survivors and equivalents with their diffs."""
    by_status: dict[str, list[dict[str, Any]]] = {status: [] for status in STATUSES}
    for r in results:
        by_status[r["status"]].append(r)
    by_level = {level: 0 for level in MUTATION_LEVELS}
    for r in by_status["killed"]:
        by_level[r["level"]] = by_level.get(r["level"], 0) + 1
    by_operator: dict[str, dict[str, int]] = {}
    for r in results:
        counts = by_operator.setdefault(r["operator"], {"mutants": 0, **{status: 0 for status in STATUSES}})
        counts["mutants"] += 1
        counts[r["status"]] += 1
    counts = {"mutants": len(results), **{status: len(rs) for status, rs in by_status.items()}}
    return {
        "env": env,
        "backend": backend,
        **counts,
        "generated": generated,
        **rates(counts),
        "killed_by_level": by_level,
        "by_operator": by_operator,
        "survivors": [{k: r[k] for k in ("id", "operator", "line", "description", "diff")} for r in by_status["survived"]],
        "equivalents": [{k: r[k] for k in ("id", "operator", "line", "description", "diff", "equivalent")} for r in by_status["equivalent"]],
        "faults": [{k: r.get(k) for k in ("id", "operator", "line", "description", "status", "message")}
                   for r in by_status["timed_out"] + by_status["harness_error"]],
        "hangs": [{k: r.get(k) for k in ("id", "operator", "line", "description", "level", "message")}
                  for r in by_status["killed"] if r.get("check") == TIME_LIMIT_CHECK],
        "guided_search": search_effect(results),
        "results": results,
        "skipped": skipped,
        "original": original,
        "options": options,
        "seconds": round(seconds, 2),
    }


def search_effect(results: list[dict[str, Any]]) -> dict[str, Any]:
    """What L1's guided search added to a run made with it: the counts and kill rate without it (each mutant's
    verdict, or its `without_guided` verdict where it was verified again), the mutants its states killed, those
    that survive without it, and the mean seconds per mutant and of the search. `{"on": False}` for a run
    made without it."""
    if not any(r.get("guided_search") for r in results):
        return {"on": False}
    without = [r.get("without_guided", {}).get("status", r["status"]) for r in results]
    counts = {"mutants": len(results), **{status: without.count(status) for status in STATUSES}}
    verified = [r for r in results if "seconds" in r]
    mean = lambda values: round(sum(values) / len(values), 2) if values else None  # noqa: E731
    return {
        "on": True,
        "killed_by_search": [r["id"] for r in results if r["status"] == "killed" and r.get("check") == GUIDED_CHECK],
        "killed_only_with_search": [r["id"] for r, off in zip(results, without) if r["status"] == "killed" and off != "killed"],
        "without_search": {**counts, **rates(counts)},
        "seconds_per_mutant": mean([r["seconds"] for r in verified]),
        "search_seconds_per_mutant": mean([r.get("guided", {}).get("seconds", 0.0) for r in verified]),
    }


def upgrade_summary(summary: dict[str, Any], operators: dict[str, str] | None = None) -> dict[str, Any]:
    """A summary written before timeouts and harness errors were told apart from kills, in today's form.

    Then `killed` and `kill_rate` counted them as kills, and `killed_by_level` had the keys
    "timeout" and "error". Here they move to `timed_out` and `harness_error` and the rates are
    recomputed. `by_operator` is split too where the old summary names the faulted mutants
    (`killed_ids_by_level`) and `operators` maps their ids to operators; otherwise each operator
    keeps its old `killed` count and the summary says so in `by_operator_note`. A summary already
    in today's form is returned unchanged.
    """
    if "timed_out" in summary:
        return summary
    out = dict(summary)
    by_level = dict(summary.get("killed_by_level", {}))
    faults = {"timed_out": by_level.pop(TIMEOUT, 0) or 0, "harness_error": by_level.pop(HARNESS_ERROR, 0) or 0}
    out.pop("timeouts", None)
    out.update(faults, killed=summary["killed"] - sum(faults.values()), killed_by_level=by_level)
    out.setdefault("unviable", 0)
    out.update(rates(out))
    ids = summary.get("killed_ids_by_level", {})
    fault_ids = {"timed_out": ids.get(TIMEOUT, []), "harness_error": ids.get(HARNESS_ERROR, [])}
    by_operator = {op: {**c, "timed_out": 0, "harness_error": 0} for op, c in summary.get("by_operator", {}).items()}
    if sum(faults.values()):
        if operators is not None and all(len(fault_ids[k]) == faults[k] for k in faults):
            for status, fault in fault_ids.items():
                for mutant_id in fault:
                    by_operator[operators[mutant_id]]["killed"] -= 1
                    by_operator[operators[mutant_id]][status] += 1
        else:
            out["by_operator_note"] = "killed counts per operator include the timeouts and harness errors (not recorded per mutant)"
    out["by_operator"] = by_operator
    if "killed_ids_by_level" in summary:
        out["killed_ids_by_level"] = {k: v for k, v in ids.items() if k not in (TIMEOUT, HARNESS_ERROR)}
        out["fault_ids"] = {k: v for k, v in fault_ids.items() if v}
    return out


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - a convenience for running by hand
    """python -m verify.mutation.analysis NAME [--max-mutants N] [--timeout S] [--json FILE] [--workers W]"""
    import argparse

    from envs import get_port

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("name", help="the port; with --upgrade, the summary JSON files to convert in place")
    parser.add_argument("more", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--upgrade", action="store_true",
                        help="convert summaries written before timeouts and harness errors were counted apart (upgrade_summary)")
    parser.add_argument("--max-mutants", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--journal", type=Path, default=None, help="append verdicts here; resume from it")
    parser.add_argument("--list", action="store_true", help="only list the mutants")
    args = parser.parse_args(argv)
    if args.more and not args.upgrade:
        parser.error("one port at a time (several files only with --upgrade)")
    if args.upgrade:
        for path in map(Path, (args.name, *args.more)):
            summary = json.loads(path.read_text())
            operators = {m.id: m.operator for m in mutants_for_port(get_port(summary["env"])).mutants} \
                if summary.get("backend", "jax") == "jax" and summary.get("killed_by_level", {}).get(TIMEOUT) else None
            lines = path.read_text().splitlines()
            indent = len(lines[1]) - len(lines[1].lstrip()) if len(lines) > 1 else 2  # keep the file's own layout
            path.write_text(json.dumps(upgrade_summary(summary, operators), indent=indent or None) + "\n")
        return 0
    port = get_port(args.name)
    if args.list:
        gen = mutants_for_port(port)
        for m in gen.mutants:
            print(f"{m.id} {m.operator:10s} line {m.line:4d} {m.description}" + (f"  [equivalent: {m.equivalent}]" if m.equivalent else ""))
        for note in gen.skipped:
            print("skipped:", note)
        return 0
    result = run_mutation_analysis(
        port,
        max_mutants=args.max_mutants,
        timeout_s=args.timeout,
        workers=args.workers,
        progress=lambda m: print(m, flush=True),
        journal=args.journal,
    )
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text)
    print(json.dumps({k: result[k] for k in ("env", "mutants", "killed", "timed_out", "harness_error", "equivalent", "survived", "kill_rate", "killed_by_level")}))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
