"""L3's all-steps-at-once comparison (`verify.compare.episode_agrees`) says "agree" exactly when the step-by-step
`compare_outcomes` finds nothing, on planted differences of every kind (and may only fall back, never pass a bug)."""

import dataclasses

import numpy as np
import pytest

from envs import get_port
from envs.spec import Tolerance
from verify.compare import StepOutcome, compare_outcomes, episode_agrees


def _episode(port, steps=6, seed=0):
    """A made-up episode: the reference's outcomes and the translation's trajectory arrays, equal to them."""
    rng = np.random.default_rng(seed)
    states = {f.name: rng.uniform(-1, 1, (steps, *f.shape)).astype(f.dtype) for f in port.state_fields}
    obs = rng.uniform(-1, 1, (steps, 4)).astype(np.float32)
    reward = np.ones(steps, np.float32)
    terminated = np.zeros(steps, bool)
    terminated[-1] = True
    truncated = np.zeros(steps, bool)
    expected = [StepOutcome(obs[t].copy(), {k: v[t].copy() for k, v in states.items()}, float(reward[t]),
                            bool(terminated[t]), bool(truncated[t])) for t in range(steps)]
    return expected, dict(obs=obs, state=states, reward=reward, terminated=terminated, truncated=truncated)


def _step_by_step(port, expected, actual) -> bool:
    for t, e in enumerate(expected):
        a = StepOutcome(actual["obs"][t], {k: v[t] for k, v in actual["state"].items()}, float(actual["reward"][t]),
                        bool(actual["terminated"][t]), bool(actual["truncated"][t]))
        if compare_outcomes(port, e, a):
            return False
    return True


PLANTS = {
    "nothing": lambda exp, act: None,
    "state far off": lambda exp, act: act["state"]["x"].__setitem__(3, act["state"]["x"][3] + 0.5),
    "state within tolerance": lambda exp, act: act["state"]["x"].__setitem__(2, act["state"]["x"][2] * (1 + 1e-13)),
    "state NaN on one side": lambda exp, act: act["state"]["theta"].__setitem__(1, np.nan),
    "NaN on both sides": lambda exp, act: (act["state"]["theta"].__setitem__(1, np.nan), exp[1].state.__setitem__("theta", np.full_like(exp[1].state["theta"], np.nan))),
    "reward": lambda exp, act: act["reward"].__setitem__(4, 0.0),
    "terminated": lambda exp, act: act["terminated"].__setitem__(0, True),
    "truncated": lambda exp, act: act["truncated"].__setitem__(5, True),
    "obs": lambda exp, act: act["obs"].__setitem__((2, 1), 3.0),
    "state missing on the reference": lambda exp, act: exp[2].state.pop("x_dot"),
}


@pytest.mark.parametrize("rule", ["close", "exact"])
@pytest.mark.parametrize("plant", sorted(PLANTS))
def test_episode_agrees_exactly_when_every_step_does(plant, rule):
    port = get_port("cartpole")
    if rule == "exact":
        exact = Tolerance("exact")
        port = port.replace(state_fields=tuple(dataclasses.replace(f, rule="exact") for f in port.state_fields),
                            obs_tolerance=exact, reward_tolerance=exact)
    expected, actual = _episode(port)
    PLANTS[plant](expected, actual)
    fast = episode_agrees(port, expected, **actual)
    slow = _step_by_step(port, expected, actual) if plant != "state missing on the reference" else False
    if plant == "state within tolerance" and rule == "close":
        assert fast and slow
    assert fast == slow, plant


def test_a_mask_differing_at_one_step_is_not_agreement():
    port = get_port("cartpole").replace(action_mask=True)
    expected, actual = _episode(port)
    masks = np.ones((len(expected), 2), bool)
    for t, e in enumerate(expected):
        e.action_mask = masks[t].copy()
    assert episode_agrees(port, expected, **actual, action_mask=masks)
    masks[3, 1] = False
    assert not episode_agrees(port, expected, **actual, action_mask=masks)
    assert not episode_agrees(port, expected, **actual, action_mask=None)  # missing on one side: step by step
