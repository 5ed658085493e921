"""The adapter round-trip check: complete adapters pass, one that leaves a field out fails naming it."""

import pytest

from envs import all_ports, get_port
from verify.roundtrip import check_adapter_round_trip


@pytest.mark.parametrize("name", [p.name for p in all_ports()])
def test_catalogue_adapters_are_complete(name):
    assert check_adapter_round_trip(get_port(name)) == []


def test_an_adapter_that_forgets_the_time_limit_counter_fails():
    port = get_port("cartpole")
    forgetful = port.replace(set_state=lambda env, state: port.set_state(env, {**state, "time": 0}) or None)
    problems = check_adapter_round_trip(forgetful)
    assert any("TimeLimit" in p and "_elapsed_steps" in p for p in problems), problems


def test_an_adapter_that_forgets_a_game_field_fails():
    port = get_port("minatar-breakout")
    base_set = port.set_state

    def forgetful(env, state):
        saved = env.unwrapped.game.env.ball_x
        base_set(env, state)
        env.unwrapped.game.env.ball_x = saved  # the adapter "forgets" to write ball_x

    problems = check_adapter_round_trip(port.replace(set_state=forgetful))
    assert any(p.startswith("after set_state: unwrapped.") and "ball_x" in p for p in problems), problems
