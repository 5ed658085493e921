"""Mutation analysis with L1's guided search (`envport mutate --guided`, the default).

The Vault port (tests/data/rare_ports/vault) pays its bonus only in a branch no plain L1 example takes. A mutant
of the bonus survives the levels with the search off and is killed with it on, and the analysis records both
verdicts in one run; the summary's `guided_search` says what the search added.
"""

import sys
import time

import pytest

from verify.mutation.analysis import GUIDED_CHECK, classify, search_effect, summarize



def _record(mutant_id: str, level: str | None, check: str | None = None, without: str | None = None) -> dict:
    record = classify({"id": mutant_id, "operator": "constant", "line": 1, "description": "", "diff": "", "level": level,
                       "check": check, "message": "m", "seconds": 2.0, "guided_search": True,
                       "guided": {"probes": 10, "compared": 1, "seconds": 0.5}}, None)
    if without is not None:  # verified again with the search off: "passed", or the level that killed it
        level = None if without == "passed" else without
        record["without_guided"] = {"status": classify({"level": level}, None)["status"], "level": level}
    return record


def test_the_summary_gives_the_kill_rate_without_the_search_from_the_verdicts_verified_again():
    records = [
        _record("M1", "L1", "one_step"),  # killed before the search: the same verdict without it
        _record("M2", "L1", GUIDED_CHECK, without="passed"),  # the search killed it, and without it nothing does
        _record("M3", "L1", GUIDED_CHECK, without="L3"),  # the search killed it first, L3 would have
        _record("M4", None),
    ]
    summary = summarize("x", records, generated=4, skipped=[], original=None, options={}, seconds=0.0)
    effect = summary["guided_search"]
    assert summary["kill_rate"] == pytest.approx(3 / 4)
    assert effect["on"] and effect["killed_by_search"] == ["M2", "M3"] and effect["killed_only_with_search"] == ["M2"]
    assert effect["without_search"]["killed"] == 2 and effect["without_search"]["survived"] == 2
    assert effect["without_search"]["kill_rate"] == pytest.approx(2 / 4)
    assert effect["seconds_per_mutant"] == 2.0 and effect["search_seconds_per_mutant"] == 0.5
    plain = [{**r, "guided_search": False} for r in records[:1]]
    assert search_effect(plain) == {"on": False}
    from recipe.cli.console import out
    from recipe.cli.mutate_command import _print_result

    with out.capture() as captured:
        _print_result("x", "jax", summary)
    assert "guided search: 2 killed by its states, 1 of them survive without it (M2); kill rate without it 50.0%" in captured.get()


def test_a_mutant_only_the_search_reaches_survives_without_it_and_is_killed_with_it(vault):
    from verify.levels import VerifyOptions
    from verify.mutation.analysis import analyse
    from verify.mutation.mutants import GeneratedMutants, Mutant
    from verify.mutation.pool import MutantWorker, WorkerOptions
    from verify.variants import translation_source

    original = translation_source(vault)
    line = "def __init__(self, bonus: float = 10.0):"
    assert original.count(line) == 1
    mutant = Mutant("B1", "constant", 31, "the vault's bonus 10 -> 9", "-10.0\n+9.0\n", original.replace(line, line.replace("10.0", "9.0")))
    # D is left out to keep the test short: it judges the reset draws, which the mutant does not touch
    worker_options = WorkerOptions(class_name="Vault", examples=40, episodes=3, policies=("uniform",), levels=("L0", "L1", "L3"), guided=True)
    summary = analyse(
        vault, original, GeneratedMutants([mutant]), [mutant],
        make_worker=lambda: MutantWorker(vault.name, worker_options),
        timeout_s=240, workers=1, options=VerifyOptions(examples=40, episodes=3, policies=("uniform",)),
        progress=lambda message: None, check_original=True, start=time.perf_counter(), guided=True,
    )
    record = summary["results"][0]
    assert record["status"] == "killed" and record["level"] == "L1" and record["check"] == GUIDED_CHECK, record
    assert record["guided"]["probes"] >= 1
    assert record["without_guided"]["status"] == "survived", record  # every level passes it with the search off
    effect = summary["guided_search"]
    assert effect["killed_only_with_search"] == ["B1"]
    assert summary["kill_rate"] == 1.0 and effect["without_search"]["kill_rate"] == 0.0
    # the unmutated translation passes, and is timed again without and with the search (once compiled) for its cost
    assert summary["original"]["level"] is None and summary["original"]["guided"]["compared"] >= 1
    cost = summary["original"]["cost_of_guided"]
    assert cost["seconds_with"] > 0 and cost["seconds_without"] > 0 and set(cost["level_seconds_with"]) == {"L0", "L1", "L3"}
