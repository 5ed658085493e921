"""`python -m ppo.rust_overhead`: its bad-input answers and its report (the measurement itself builds bench_core and
runs for a minute, so it is not run here)."""

import pytest

from ppo.rust_overhead import main, report


def test_bad_arguments_get_one_line_and_exit_2(capsys):
    assert main(["--port", "minatar-breakout"]) == 2
    err = capsys.readouterr().err
    assert "not one bench_core runs" in err and "cartpole" in err and "Traceback" not in err
    assert main(["--threads", "-1"]) == 2
    assert "--threads 0 or more" in capsys.readouterr().err


def test_report_gives_medians_and_ratios_to_the_core():
    table = report({"core": [2.0, 3.0, 2.5], "binding": [5.0, 4.0, 6.0]}, num_envs=512)
    core, binding = (line.split() for line in table.splitlines()[1:])
    assert core[:4] == ["core", "2.50", "204.80", "1.00"]
    assert binding[:4] == ["binding", "5.00", "102.40", "0.50"]
    assert binding[4:] == ["5.00", "4.00", "6.00"]


@pytest.mark.parametrize("argv", [["--steps", "0"], ["--rounds", "0"], ["--num-envs", "0"]])
def test_non_positive_counts_are_refused(argv, capsys):
    assert main(argv) == 2
    assert "positive integers" in capsys.readouterr().err
