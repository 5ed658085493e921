"""The generic adapter reads and writes a reference's state by attribute path; with a field left out, L0's
completeness check says which attribute it missed."""

import sys
from pathlib import Path

import numpy as np
import pytest

from envs.generic_adapter import generic_adapter, snapshot
from verify.roundtrip import adapter_incomplete

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "drift"
FIELDS = {"position": "unwrapped.position", "velocity": "unwrapped.velocity", "time": "TimeLimit._elapsed_steps"}


@pytest.fixture()
def drift_port(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    monkeypatch.syspath_prepend(str(EXAMPLE / "agent_output"))
    for name in ("drift", "drift.reference", "drift_env"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    from drift import PORT

    return PORT


def test_snapshot_names_attributes_by_path(drift_port):
    env = drift_port.make_reference()
    env.step(1)
    snap = snapshot(env)
    assert snap["TimeLimit._elapsed_steps"] == 1 and "unwrapped.position" in snap and "unwrapped.push" in snap
    assert "unwrapped._np_random" not in snap and "unwrapped.action_space" not in snap  # generators and spaces are not state


def test_the_generic_adapter_round_trips_and_keeps_each_attributes_kind(drift_port):
    get_state, set_state = generic_adapter(FIELDS)
    env = drift_port.make_reference()
    state = get_state(env)
    assert set(state) == set(FIELDS) and all(isinstance(v, np.ndarray) for v in state.values())
    set_state(env, {"position": np.asarray(0.25), "velocity": np.asarray(-0.01), "time": np.asarray(7)})
    assert type(env.unwrapped.position) is float and env.unwrapped.position == 0.25 and env.get_wrapper_attr("_elapsed_steps") == 7
    port = drift_port.replace(get_state=get_state, set_state=set_state)
    assert adapter_incomplete(port) is None


def test_a_generic_adapter_that_leaves_a_field_out_is_incomplete(drift_port):
    get_state, set_state = generic_adapter({k: v for k, v in FIELDS.items() if k != "velocity"})
    problem = adapter_incomplete(drift_port.replace(get_state=get_state, set_state=set_state))
    assert problem is not None and "unwrapped.velocity" in problem
