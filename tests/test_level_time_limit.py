"""A level's time limit (verify.watchdog): a translation whose step never returns fails the level it hangs in, with
the check `time limit` and the reports of what ran, instead of hanging the verifier. The watchdog ends the process,
so these tests run the verifier in a subprocess. And a verifier process that crashes for a known cause says it."""

import json
import subprocess
import sys
import time
from pathlib import Path

from recipe_fixtures import HANGS_FAR_OUT

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_the_watchdog_answers_for_a_body_past_its_limit_and_ends_the_process():
    start = time.perf_counter()
    done = _python("import time\nfrom verify.watchdog import level_time_limit\n"
                   "with level_time_limit('L1', 1.0, lambda level, limit, message: print('HUNG', level, message)):\n"
                   "    time.sleep(30)\nprint('NOT REACHED')")
    assert done.returncode == 1 and time.perf_counter() - start < 25
    assert "HUNG L1 L1 did not finish within 1 s" in done.stdout and "NOT REACHED" not in done.stdout


def test_a_body_within_its_limit_runs_to_its_end_and_the_handler_is_not_called():
    done = _python("import time\nfrom verify.watchdog import level_time_limit\n"
                   "with level_time_limit('L1', 5.0, lambda *a: print('HUNG')):\n    time.sleep(0.1)\n"
                   "time.sleep(6)\nprint('FINISHED')")
    assert done.returncode == 0 and done.stdout.split() == ["FINISHED"]


def test_verify_stops_a_translation_that_hangs_in_L1_fails_that_level_and_keeps_L0s_result(tmp_path):
    report = tmp_path / "report.json"
    candidate = tmp_path / "hangs_far_out.py"  # an adapter file: the hanging translation and its make_candidate
    candidate.write_text(HANGS_FAR_OUT + "\n\ndef make_candidate(port):\n    return CartPole()\n")
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "recipe.cli", "verify", "cartpole", "--candidate", str(candidate),
         "--levels", "L0,L1", "--level-timeout", "20", "--json", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert time.perf_counter() - start < 200
    assert "L1 did not finish within 20 s" in done.stderr and "--level-timeout" in done.stderr
    levels = json.loads(report.read_text())["levels"]
    assert levels["L0"]["passed"] is True
    assert levels["L1"]["passed"] is False and [f["check"] for f in levels["L1"]["failures"]] == ["time limit"]


def test_a_crash_from_llvm_running_out_of_memory_maps_is_explained_with_its_fix():
    from verify.process import crash_cause

    output = "E1205 15:24:02.802604 13 execution_engine.cc:54] LLVM compilation error: Cannot allocate memory\n" * 3
    cause = crash_cause(output)
    assert "vm.max_map_count" in cause and "sysctl -w vm.max_map_count=" in cause and "Compile fewer programs" in cause
    assert crash_cause("Traceback (most recent call last):\nValueError: bad shape") == ""
