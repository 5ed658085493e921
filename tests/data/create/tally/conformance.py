"""Tally's conformance tests (written as tally/test_conformance.py in the workspace)."""

import numpy as np
import pytest


def test_R1_1_spaces(make_env):
    """R-1.1: two actions, an int32 observation [count, target]."""
    env = make_env()
    obs, _ = env.reset(seed=0)
    assert env.action_space.n == 2 and obs.dtype == np.int32 and obs.shape == (2,)


def test_R1_2_reset(make_env):
    """R-1.2: count and time start at 0, the target is in 3..5."""
    env = make_env()
    for seed in range(5):
        obs, _ = env.reset(seed=seed)
        s = env.get_state()
        assert s["count"] == 0 and s["time"] == 0 and 3 <= s["target"] <= 5 and obs.tolist() == [0, int(s["target"])]


@pytest.mark.reference_stream
def test_R1_2_target_from_numpy(make_env):
    """R-1.2: the target is numpy's integers(3, 6) for the seed."""
    env = make_env()
    env.reset(seed=3)
    assert env.get_state()["target"] == np.random.default_rng(3).integers(3, 6)


def test_R2_1_step(make_env):
    """R-2.1: action 0 adds 1, action 1 adds 2."""
    env = make_env()
    env.reset(seed=0)
    env.set_state({"count": np.int32(0), "target": np.int32(5), "time": np.int32(0)})
    assert env.step(0)[0].tolist() == [1, 5] and env.step(1)[0].tolist() == [3, 5]
    assert env.get_state()["time"] == 2


def test_R2_2_end(make_env):
    """R-2.2: reaching the target terminates with reward 1.0; time 20 truncates."""
    env = make_env()
    env.reset(seed=0)
    env.set_state({"count": np.int32(3), "target": np.int32(4), "time": np.int32(0)})
    _, reward, terminated, truncated, _ = env.step(1)
    assert (reward, terminated, truncated) == (1.0, True, False)
    env.set_state({"count": np.int32(0), "target": np.int32(5), "time": np.int32(19)})
    _, reward, terminated, truncated, _ = env.step(0)
    assert (reward, terminated, truncated) == (0.0, False, True)
