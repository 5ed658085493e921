"""L4 for turn-based ports: the reference seen from the trained seat (`envs.seated_gym.SeatedGymEnv`) plays the game
`envs.seated.SeatedJaxEnv` plays, and `verify.policy_transfer` evaluates a policy on both (Leduc: the cheapest game)."""

import importlib.util

import jax
import numpy as np
import pytest

from envs import get_port
from envs.seated_gym import SeatedGymEnv
from ppo import network
from ppo.config import default_config_path, load_config
from ppo.update import init_learner
from verify.policy_transfer import _evaluate, check_policy_transfer, seated_face

LEDUC = "rlcard-leduc-holdem"


class Recorded:
    """A turn-based face that records who took which action, and whether it was legal then."""

    def __init__(self, face):
        self.face, self.log = face, []

    def __getattr__(self, name):
        return getattr(self.face, name)

    def reset(self, **kw):
        return self.face.reset(**kw)

    def step(self, action):
        f = self.face.facade
        self.log.append((f.current_player, int(action), bool(f.legal_action_mask()[action])))
        return self.face.step(action)


@pytest.mark.parametrize("seat", [0, 1])
def test_the_reference_seat_acts_only_at_its_turn_and_the_others_only_legally(seat):
    port = get_port(LEDUC)
    face = Recorded(port.make_reference())
    env = SeatedGymEnv(face, seat=seat)
    rng = np.random.default_rng(3)
    games = 0
    obs, info = env.reset(seed=11)
    for _ in range(600):
        assert face.facade.current_player == seat and not face.facade.is_over()
        np.testing.assert_array_equal(obs, face.facade.observe(seat))
        np.testing.assert_array_equal(info["action_mask"], face.facade.legal_action_mask())
        obs, reward, terminated, truncated, info = env.step(rng.choice(np.flatnonzero(info["action_mask"])))
        assert not truncated
        if terminated:  # the payoff arrives whoever ended the game, and is the seat's
            assert reward == face.facade.rewards()[seat]
            games += 1
            obs, info = env.reset()
    assert games > 100
    assert all(legal for _, _, legal in face.log)
    # the others act too, and a game ended by them before the seat acted was dealt again (never handed out)
    assert {p for p, _, _ in face.log} == {0, 1}


def _random_policies(port, seeds=2):
    """Greedy policies of freshly initialised networks (fixed, deterministic), one per seed: (config, params)."""
    config = load_config(default_config_path(port.name), {})
    env = seated_face(port)
    spec = network.action_spec_of(env.action_space(env.default_params))
    shape = env.observation_space(env.default_params).shape
    params = jax.vmap(lambda k: init_learner(k, config, spec, shape).params)(jax.random.split(jax.random.PRNGKey(5), seeds))
    return config, params


@pytest.mark.slow  # about 30 s on the loaded 2-core machine: 2 x 800 Leduc games a side, one JAX compile
def test_one_policy_scores_the_same_on_the_reference_and_the_translation_seat():
    """Two fixed policies' mean payoffs agree within sampling error between RLCard's seated face and the JAX and Rust
    translations' seated envs."""
    port = get_port(LEDUC)
    config, params = _random_policies(port)
    episodes = 800
    ref = _evaluate(port, "reference", config, params, episodes, seed=7)
    jx = _evaluate(port, "jax", config, params, episodes, seed=7, env=seated_face(port))
    sides = [jx]
    if importlib.util.find_spec("envport_rust") is not None:  # the Rust seated vector env (seat 0), when built
        sides.append(_evaluate(port, "rust", config, params, episodes, seed=7))
    for side in sides:
        assert ref.shape == side.shape == (2, episodes)
        for r, j in zip(ref, side):
            se = np.sqrt(r.var(ddof=1) / r.size + j.var(ddof=1) / j.size)
            assert abs(r.mean() - j.mean()) < 4 * se, (r.mean(), j.mean(), se)
    # the two policies differ, and so do their payoffs: the comparison above is not between two constants
    assert ref.std() > 0.5


def test_l4_of_a_port_training_another_seat_than_0_skips_the_rust_translation(monkeypatch):
    """The Rust seated env trains seat 0 only: a port whose face is another seat gets L4's skip, with the reason."""
    from envs.seated import SeatedJaxEnv

    port = get_port("rlcard-limit-holdem")
    monkeypatch.setitem(port.extra, "train_env", lambda: SeatedJaxEnv(port.make_jax(), seat=1))
    level = check_policy_transfer(port, "rust")
    assert level.skipped_reason and "seat 0 only" in level.skipped_reason
