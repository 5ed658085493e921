"""L4 policy transfer: the TOST itself, a policy-relevant bug it catches, and the report that shows it."""

from __future__ import annotations

import numpy as np
import pytest

from envs import get_port
from envs.classic_control.cartpole.jax_env import CartPole, Params
from verify.policy_transfer import PolicyTransferOptions, check_policy_transfer, tost_paired, transfer_skip_reason
from verify.reports.model import VerificationReport
from verify.runner import DEFAULT_LEVELS, parse_levels


def test_tost_equivalent_when_the_interval_lies_inside_the_margin():
    result = tost_paired([1.0, -2.0, 0.5, 1.5, -1.0, 0.0], margin=5.0)
    assert result["equivalent"] and result["p_value"] < 0.05
    assert -5.0 < result["ci_low"] < result["mean_difference"] < result["ci_high"] < 5.0
    assert result["ci_level"] == pytest.approx(0.9)


def test_tost_not_equivalent_for_a_shift_or_too_much_spread():
    assert not tost_paired([30.0, 28.0, 33.0, 31.0], margin=25.0)["equivalent"]  # shifted beyond the margin
    assert not tost_paired([60.0, -60.0, 55.0, -50.0], margin=25.0)["equivalent"]  # mean ~0, interval too wide
    assert tost_paired([0.0, 0.0, 0.0], margin=1.0)["equivalent"]  # no spread, inside
    assert not tost_paired([2.0, 2.0, 2.0], margin=1.0)["equivalent"]  # no spread, outside


def test_tost_rejects_bad_input():
    with pytest.raises(ValueError, match="at least two"):
        tost_paired([1.0], margin=1.0)
    with pytest.raises(ValueError, match="positive"):
        tost_paired([1.0, 2.0], margin=0.0)


def test_l4_is_registered_but_not_default():
    assert parse_levels("L0,L4") == ("L0", "L4")
    assert "L4" not in DEFAULT_LEVELS


def test_every_catalogue_port_states_an_l4_margin_and_why():
    import importlib

    from envs.registry import BUILTIN_PACKAGES

    ports = [importlib.import_module(package).PORT for package in BUILTIN_PACKAGES]
    assert len(ports) == 14  # 10 classic-control and MinAtar ports, brinewatch and the three RLCard games
    for port in ports:
        assert transfer_skip_reason(port) is None, port.name
        reason = port.policy_transfer_reason or ""
        # the reason gives the return's scale (numbers) and the share of it the margin allows
        assert reason.startswith("Return: ") and "%" in reason and f"{port.policy_transfer_margin:g}" in reason, (port.name, reason)


def test_l4_skips_a_port_without_a_margin_and_says_why_in_the_report_and_the_table():
    from recipe.cli.console import out
    from recipe.cli.verify_commands import _print_reports
    from verify.reports.markdown import render_markdown
    from verify.runner import verify_port

    port = get_port("acrobot").replace(policy_transfer_margin=None)
    level = check_policy_transfer(port)
    assert level.passed is None and "policy_transfer_margin" in level.skipped_reason and "L4 does not apply" in level.skipped_reason
    assert "positive" in transfer_skip_reason(get_port("acrobot").replace(policy_transfer_margin=0.0))
    report = verify_port(port, ("L4",))
    assert report.verdict == "not-run" and not report.passed  # nothing verified: neither a pass nor a failure of a level
    data = report.to_dict()
    assert data["verdict"] == "not-run"
    markdown = render_markdown(data)
    assert "**Verdict: NOT RUN" in markdown and "FAIL" not in markdown and "L4 does not apply" in markdown
    with out.capture() as captured:
        _print_reports([report], ("L4",))
    text = captured.get()
    assert "NOT RUN" in text and "FAIL" not in text
    assert "acrobot L4 skipped: L4 does not apply: acrobot states no policy_transfer_margin" in text


class ReversedForce(CartPole):
    """A policy-relevant bug: the push goes the other way (force_mag negated)."""

    @property
    def default_params(self):
        return Params(force_mag=-10.0)


@pytest.fixture(scope="module")
def reversed_force_level():
    options = PolicyTransferOptions(seeds=3, episodes=10, total_timesteps=30720)
    return check_policy_transfer(get_port("cartpole"), "jax", ReversedForce(), options)


def test_l4_catches_a_reversed_force(reversed_force_level):
    level = reversed_force_level
    assert level.passed is False and level.failures[0]["check"] == "tost"
    (direction,) = level.data["policy_transfer"]
    # trained on the buggy translation, the policies balance there and fail at once on the reference
    assert np.mean(direction["translation_returns"]) > 60
    assert np.mean(direction["reference_returns"]) < 20
    assert direction["ci_high"] < -direction["margin"] and not direction["equivalent"]


def test_l4_result_is_in_every_report_format(reversed_force_level):
    from verify.reports.html import render_html
    from verify.reports.junit import render_junit
    from verify.reports.markdown import render_markdown

    report = VerificationReport("cartpole", "jax")
    report.levels["L4"] = reversed_force_level
    data = report.to_dict()
    assert data["first_failure"]["level"] == "L4" and data["levels"]["L4"]["data"]["policy_transfer"][0]["ci_low"] < 0
    markdown = render_markdown(data)
    assert "### Policy transfer (L4): paired TOST" in markdown and "**not shown equivalent**" in markdown
    assert "90% \\[" in markdown
    page = render_html(data)
    assert "Policy transfer (L4)" in page and "not shown equivalent" in page and page.count("data:image/png") >= 2
    assert "L4" in render_junit(data)


def test_l4_runs_on_mountaincar_with_its_margin_and_quotes_the_reason():
    # One cheap run of the whole level on a correct translation, one of the ports that had no margin before
    # (3 seeds of 30,720 steps, 10 greedy episodes a side). MountainCar's policies do not reach the goal that early,
    # so every return is -200 on both sides: the level passes with a zero difference, whatever the seed.
    port = get_port("mountaincar")
    level = check_policy_transfer(port, "jax", options=PolicyTransferOptions(seeds=3, episodes=10, total_timesteps=30720))
    assert level.passed is True, level.failures
    (direction,) = level.data["policy_transfer"]
    assert direction["margin"] == port.policy_transfer_margin == 4.0 and direction["equivalent"]
    assert direction["reference_returns"] == direction["translation_returns"] == [-200.0] * 3
    assert any(note.startswith("margin +-4: ") and port.policy_transfer_reason in note for note in level.notes)
