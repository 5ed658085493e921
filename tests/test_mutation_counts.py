"""Mutation counts: a timeout and a harness error are counted apart from kills, never as kills, and the kill rate
says what it counts; a hang inside a level is a kill at that level (the level's time limit); the recorded results in
docs/ follow the same rules."""

import json
import time
from pathlib import Path

import pytest

from envs import get_port
from recipe_fixtures import HANGS_FAR_OUT
from verify.contract import IMPORT_TIMEOUT_S
from verify.levels import MUTATION_LEVELS, VerifyOptions
from verify.mutation.analysis import STATUSES, analyse, classify, mutant_level_timeout, summarize, upgrade_summary
from verify.mutation.mutants import GeneratedMutants, Mutant
from verify.mutation.pool import MutantWorker, WorkerOptions, WorkerOutcome
from verify.watchdog import TIME_LIMIT_CHECK
from verify.variants import translation_source

DOCS = Path(__file__).resolve().parent.parent / "docs"
CARTPOLE = get_port("cartpole")


def _record(mutant_id: str, level: str | None, operator: str = "arith", equivalent: str | None = None) -> dict:
    return classify({"id": mutant_id, "operator": operator, "line": 1, "description": "", "diff": "", "level": level, "message": "m"}, equivalent)


def test_each_status_is_counted_apart_and_the_kill_rate_counts_only_kills():
    records = [
        _record("M1", "L1"), _record("M2", "L3"), _record("M3", "timeout"), _record("M4", "error"),
        _record("M5", None, equivalent="same jaxpr"), _record("M6", None), _record("M7", "build", operator="constant"),
        _record("M8", "timeout", equivalent="same jaxpr"),  # a rule's claim does not hide a fault
    ]
    summary = summarize("x", records, generated=8, skipped=[], original=None, options={}, seconds=0.0)
    assert [r["status"] for r in records] == [
        "killed", "killed", "timed_out", "harness_error", "equivalent", "survived", "unviable", "timed_out"]
    assert {s: summary[s] for s in STATUSES} == {
        "killed": 2, "timed_out": 2, "harness_error": 1, "equivalent": 1, "unviable": 1, "survived": 1}
    assert summary["killed_by_level"] == {**{level: 0 for level in MUTATION_LEVELS}, "L1": 1, "L3": 1}
    assert summary["kill_rate"] == pytest.approx(2 / 6)  # 8 mutants - 1 equivalent - 1 unviable
    assert summary["kill_rate_with_timeouts"] == pytest.approx(4 / 6)
    assert summary["by_operator"]["arith"]["timed_out"] == 2 and summary["by_operator"]["arith"]["killed"] == 2
    assert {f["id"]: f["status"] for f in summary["faults"]} == {"M3": "timed_out", "M8": "timed_out", "M4": "harness_error"}


def test_a_summary_of_the_old_form_is_upgraded_with_its_timeouts_out_of_the_kills():
    old = {
        "env": "x", "mutants": 10, "killed": 8, "equivalent": 1, "survived": 1, "timeouts": 2, "kill_rate": 8 / 9,
        "killed_by_level": {"L0": 1, "L1": 5, "timeout": 2, "error": 0},
        "by_operator": {"arith": {"mutants": 6, "killed": 6, "survived": 0, "equivalent": 0},
                        "sign": {"mutants": 4, "killed": 2, "survived": 1, "equivalent": 1}},
        "killed_ids_by_level": {"L0": ["M1"], "L1": ["M2", "M3", "M4", "M5", "M6"], "timeout": ["M7", "M8"]},
    }
    new = upgrade_summary(old, operators={"M7": "arith", "M8": "sign"})
    assert (new["killed"], new["timed_out"], new["harness_error"], new["unviable"]) == (6, 2, 0, 0)
    assert new["kill_rate"] == pytest.approx(6 / 9) and new["kill_rate_with_timeouts"] == pytest.approx(8 / 9)
    assert new["killed_by_level"] == {"L0": 1, "L1": 5} and "timeouts" not in new
    assert new["by_operator"]["arith"]["killed"] == 5 and new["by_operator"]["arith"]["timed_out"] == 1
    assert new["fault_ids"] == {"timed_out": ["M7", "M8"]} and "timeout" not in new["killed_ids_by_level"]
    assert upgrade_summary(new) == new
    unsplit = upgrade_summary(old)  # without the operators of the faulted mutants, per-operator counts cannot be split
    assert unsplit["by_operator"]["arith"]["killed"] == 6 and "by_operator_note" in unsplit


@pytest.mark.parametrize("path", sorted(DOCS.glob("mutation-*.json")), ids=lambda p: p.stem)
def test_the_recorded_results_in_docs_count_faults_apart_from_kills(path):
    summary = json.loads(path.read_text())
    assert upgrade_summary(summary) is summary, "convert it with `python -m verify.mutation.analysis --upgrade FILE`"
    assert sum(summary[s] for s in STATUSES) == summary["mutants"], path
    assert sum(summary["killed_by_level"].values()) == summary["killed"]
    assert not {"timeout", "error"} & set(summary["killed_by_level"])
    countable = summary["mutants"] - summary["equivalent"] - summary["unviable"]
    assert summary["kill_rate"] == pytest.approx(summary["killed"] / countable)
    for counts in summary["by_operator"].values():
        assert sum(counts[s] for s in STATUSES if s in counts) == counts["mutants"]


def test_a_mutant_whose_step_never_returns_times_out_and_one_that_crashes_the_worker_is_a_harness_error():
    original = translation_source(CARTPOLE)
    step_line = "x = state.x + params.tau * state.x_dot"
    assert original.count(step_line) == 1
    # A loop whose counter cycles through 0..6 while it is not negative, its result depending on the counter (a loop
    # whose used output is loop-invariant is removed by XLA): XLA cannot count its trips, and it never ends
    # (a counter that only grew would wrap to negative in int32, where L0's production build runs, and end in seconds).
    hanging = original.replace(step_line, "x = jax.lax.while_loop(lambda c: c[0] >= 0, lambda c: ((c[0] + 1) % 7, c[1] + 0.0 * c[0]), (0, state.x))[1] + params.tau * state.x_dot")
    crashing = original + "\nimport os\nos._exit(3)\n"  # the worker process dies while importing the mutant
    mutants = [Mutant("H1", "hand", 80, "step never returns", "", hanging), Mutant("C1", "hand", 1, "worker crashes", "", crashing)]
    options = VerifyOptions(examples=30, episodes=3, policies=("uniform",))
    worker_options = WorkerOptions(class_name="CartPole", examples=30, episodes=3, policies=("uniform",))
    messages: list[str] = []
    start = time.perf_counter()
    summary = analyse(
        CARTPOLE, original, GeneratedMutants(mutants), mutants,
        make_worker=lambda: MutantWorker(CARTPOLE.name, worker_options),
        timeout_s=20, workers=1, options=options, progress=messages.append, check_original=False, start=start,
    )
    statuses = {r["id"]: r["status"] for r in summary["results"]}
    assert statuses == {"H1": "timed_out", "C1": "harness_error"}, summary["results"]
    assert summary["killed"] == 0 and summary["timed_out"] == 1 and summary["harness_error"] == 1
    assert summary["kill_rate"] == 0.0 and summary["kill_rate_with_timeouts"] == 0.5
    hung = next(r for r in summary["results"] if r["id"] == "H1")
    assert 20 <= hung["seconds"] < 20 + 10 and "did not finish within 20 s" in hung["message"]
    assert "no verdict" in next(r for r in summary["results"] if r["id"] == "C1")["message"]


def test_the_mutate_table_shows_timeouts_and_harness_errors_apart_from_kills():
    from recipe.cli.console import out
    from recipe.cli.mutate_command import _print_result

    records = [_record("M1", "L1"), _record("M2", "timeout"), _record("M3", "error"), _record("M4", None)]
    summary = summarize("x", records, generated=4, skipped=[], original=None, options={}, seconds=0.0)
    with out.capture() as captured:
        _print_result("x", "jax", summary)
    text = captured.get()
    header = next(line for line in text.splitlines() if "killed" in line and "timed out" in line)
    assert "harness error" in header and "kill rate" in header
    assert "25.0%" in text and "timeouts and harness errors are not kills" in text


def test_a_mutant_that_hangs_in_a_level_is_killed_there_by_the_level_time_limit_and_the_worker_goes_on():
    original = translation_source(CARTPOLE)
    options = WorkerOptions(class_name="CartPole", examples=30, episodes=3, policies=("uniform",))
    with MutantWorker(CARTPOLE.name, options) as worker:
        hung = worker.verify(HANGS_FAR_OUT, timeout_s=300, level_timeout_s=15)
        assert (hung.killed, hung.level, hung.check) == (True, "L1", TIME_LIMIT_CHECK), hung
        assert "L1 did not finish within 15 s" in hung.message and hung.seconds < 300
        after = worker.verify(original, timeout_s=300, level_timeout_s=60)  # a fresh worker process answers
        assert after.passed, after


def test_the_level_limit_is_twice_the_original_verification_and_at_least_the_load_limit():
    assert mutant_level_timeout({"seconds": 107.0}) == 214.0
    assert mutant_level_timeout({"seconds": 20.0}) == IMPORT_TIMEOUT_S
    assert mutant_level_timeout(None) is None


def test_a_resumed_analysis_verifies_again_what_the_journal_holds_as_a_timeout_or_harness_error(tmp_path):
    source = translation_source(CARTPOLE)
    mutants = [Mutant(f"M{i}", "hand", i, "", f"diff {i}", source) for i in range(4)]
    journal = tmp_path / "journal.jsonl"
    old = [_record("M0", "L1"), _record("M1", "timeout"), _record("M2", "error"), _record("M3", None)]
    journal.write_text("".join(json.dumps({**r, "diff": f"diff {i}"}) + "\n" for i, r in enumerate(old)))
    asked: list[float | None] = []

    class Answers:
        """A worker that kills every mutant at L3, noting the level limit it is given."""

        def verify(self, source, timeout_s, guided=None, level_timeout_s=None):
            asked.append(level_timeout_s)
            return WorkerOutcome(True, "L3", "differs", 1.0)

        def close(self):
            pass

    summary = analyse(CARTPOLE, source, GeneratedMutants(mutants), mutants, make_worker=Answers, timeout_s=60,
                      workers=1, options=VerifyOptions(), progress=lambda m: None, check_original=False,
                      start=time.perf_counter(), journal=journal)
    assert {r["id"]: (r["status"], r["level"]) for r in summary["results"]} == {
        "M0": ("killed", "L1"), "M1": ("killed", "L3"), "M2": ("killed", "L3"), "M3": ("survived", None)}
    assert asked == [None, None]  # no original verified here: no level limit to give
