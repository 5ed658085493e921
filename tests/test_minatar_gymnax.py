"""gymnax's MinAtar games as candidates: the adapter works, and the verifier finds what differs.

These pin down the findings reported for issue 7 (gymnax 1.0.1); a gymnax release that
changes them should make these fail and the findings be revisited.
"""

import importlib.util

import jax
import numpy as np
import pytest

from envs import get_port
from verify.candidates import load_candidate
from verify.lockstep import Lockstep
from verify.rollouts import check_rollouts

pytestmark = pytest.mark.skipif(importlib.util.find_spec("gymnax") is None, reason="gymnax is not installed (setup.sh installs it)")


def _equal_settings(name):
    """The port with the reference's sticky actions off, and gymnax with the full action set: settings made equal."""
    from verify.gymnax_minatar import gymnax_minatar_candidate
    from envs.minatar.reference import make_reference

    port = get_port(name)
    game, limit = port.extra["game"], port.max_episode_steps
    port = port.replace(make_reference=lambda: make_reference(game, limit, sticky_action_prob=0.0))
    env, ignored = gymnax_minatar_candidate(port, port.gymnax_id, use_minimal_action_set=False)
    from verify.candidates import Candidate

    candidate = Candidate("gymnax (equal settings)", env, ignored)
    return Lockstep(candidate.port_view(port), candidate.env)


def test_default_gymnax_breakout_uses_another_action_set():
    port = get_port("minatar-breakout")
    candidate = load_candidate(port, "gymnax:Breakout-MinAtar")
    assert candidate.ignored == {"last_action": 0}
    lock = Lockstep(candidate.port_view(port), candidate.env)
    assert lock.env.action_space(lock.params).n == 3 and lock.ref.action_space.n == 6
    result = check_rollouts(lock, episodes=5, policies=("uniform",), seed=0)
    assert not result.passed  # action 2 is 'up' (a no-op) in MinAtar/Breakout-v0 and 'right' in gymnax's minimal set
    assert "state.pos" in result.failures[0]["message"] or "state.ball" in result.failures[0]["message"]


def test_gymnax_breakout_agrees_whole_episodes_when_settings_are_equal():
    lock = _equal_settings("minatar-breakout")
    result = check_rollouts(lock, episodes=5, policies=("uniform", "goal"), seed=1)
    assert result.passed, result.failures[:1]


def test_gymnax_asterix_sometimes_spawns_over_an_entity_when_one_slot_is_free():
    """With one free slot, gymnax's slot search never looks at the first slot of its random order: 1 time in 8
    it writes an empty entity over an occupied slot instead of spawning (the reference always uses the free slot)."""
    lock = _equal_settings("minatar-asterix")
    env, params = lock.env, lock.params
    _, state = env.reset(jax.random.PRNGKey(0), params)
    alive = np.ones(8, bool)
    alive[5] = False
    state = state.replace(
        ent_alive=alive, ent_x=np.full(8, 3), ent_y=np.arange(1, 9) * alive, spawn_timer=np.asarray(0), move_timer=np.asarray(3)
    )
    draws = jax.vmap(env.sample_step_draws, in_axes=(0, None, None))(jax.random.split(jax.random.PRNGKey(1), 4000), state, params)
    outside = float(np.mean(np.asarray(draws["spawn_slot"]) != 0))  # 0 is the only index the reference accepts
    assert 0.09 < outside < 0.16, outside
