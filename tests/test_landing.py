"""Edge landings: L1 steps exactly onto thresholds, where `>` and `>=` part ways."""

import numpy as np
import pytest

from envs import get_port
from verify.landing import _from_ordinal, _ordinal, landing_cases
from verify.lockstep import Lockstep
from verify.properties import check_properties, edge_states
from verify.variants import edited_translation


@pytest.mark.parametrize("x", [0.0, -0.0, 5e-324, -5e-324, 1.5, -2.4, 2.4, 1e308, -1e6])
def test_float_ordinals_round_trip_and_keep_the_order(x):
    assert _from_ordinal(_ordinal(x)) == x
    assert _ordinal(np.nextafter(x, np.inf)) == _ordinal(x) + 1 or x == 0.0


def test_landing_states_step_exactly_onto_the_goal_and_the_wall():
    port = get_port("mountaincar")
    lock = Lockstep(port)
    cases = landing_cases(lock, edge_states(port))
    landed = set()
    for state, action, draws in cases:
        nxt = lock.translation_step(state, action, draws).state
        landed |= {float(nxt[f.name]) for f in port.state_fields if f.edges} & {0.5, -1.2, 0.0}
    assert {0.5, 0.0} <= landed  # the goal position, and zero velocity (the goal velocity)


@pytest.mark.parametrize(
    "old, new",
    [
        ("terminated = (position >= params.goal_position) & (velocity >= params.goal_velocity)",
         "terminated = (position > params.goal_position) & (velocity >= params.goal_velocity)"),
        ("terminated = (position >= params.goal_position) & (velocity >= params.goal_velocity)",
         "terminated = (position >= params.goal_position) & (velocity > params.goal_velocity)"),
    ],
    ids=["goal-position-strict", "goal-velocity-strict"],
)
def test_a_strict_goal_comparison_is_caught_only_by_landing_exactly_on_it(tmp_path, old, new):
    port = get_port("mountaincar")
    wrong = Lockstep(port, edited_translation(port, old, new, tmp_path))
    without = check_properties(wrong, max_examples=100, harvest=8, landing=False)
    assert without.passed  # random states never step exactly onto the goal
    found = check_properties(wrong, max_examples=100, harvest=8)
    assert not found.passed
    failure = found.failures[0]
    assert failure["check"] == "edge_landing" and failure["field"] == "terminated"
    assert "reproduce" in failure
