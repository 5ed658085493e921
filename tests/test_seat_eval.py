"""`ppo.seat_eval`: the payoff summary of a trained seat, and uniformly random legal play as its baseline."""

import os
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ppo.evaluate import rollout_returns
from ppo.seat_eval import payoff_summary, random_legal_returns

MASK_PORTS = Path(__file__).parent / "data" / "mask_ports"


def test_payoff_summary_gives_the_mean_its_95_ci_and_the_rates():
    s = payoff_summary(np.array([2.0, -1.0, 0.0, 3.0]))
    assert s["games"] == 4 and s["mean"] == pytest.approx(1.0)
    assert s["ci95"] == pytest.approx(1.96 * np.std([2.0, -1.0, 0.0, 3.0], ddof=1) / 2)
    assert (s["win"], s["loss"], s["tie"]) == (0.5, 0.25, 0.25)
    assert s["win_ci95"] == pytest.approx(1.96 * np.sqrt(0.5 * 0.5 / 4))


def test_random_legal_play_takes_legal_actions_only(monkeypatch):
    monkeypatch.setenv("ENVPORT_PORTS", str(MASK_PORTS))
    from envs.registry import get_port

    walk = type(get_port("maskwalk").make_jax())

    class IllegalCounter(walk):  # every illegal action taken costs 1; nothing else is rewarded
        def transition(self, state, action, draws, params):
            new, _, done = super().transition(state, action, draws, params)
            return new, jnp.where(self.action_mask(state, params)[action], 0.0, -1.0), done

    env = IllegalCounter()
    assert np.all(random_legal_returns(env, 300, seed=1) == 0)
    illegal_first = lambda _, obs, mask: jnp.argmin(mask, axis=-1).astype(jnp.int32)  # noqa: E731  an illegal action where any
    assert np.any(np.asarray(jax.jit(lambda k: rollout_returns(illegal_first, env, 300, k))(jax.random.PRNGKey(1))) < 0)
