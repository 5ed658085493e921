"""MinAtar ports: what the shared registry tests do not cover.

Optional draws in the tape, the step draws' distribution, the minimal action set,
sticky actions and the episode-start convention. The registry-wide checks
(L0-L3, reset-draw distribution, float32) run for these ports in tests/test_ports.py.
"""

import jax
import numpy as np
import pytest

from envs import all_ports
from envs.spec import DrawSpec
from verify.lockstep import Lockstep
from verify.tape import TapeError, TapeGenerator, match_draws

MINATAR = [p for p in all_ports() if p.name.startswith("minatar-")]
IDS = [p.name for p in MINATAR]


@pytest.fixture(scope="module", params=MINATAR, ids=IDS)
def lock(request):
    return Lockstep(request.param)


def _explain(result):
    return "\n".join(f["message"] for f in result.failures)


# ----- the tape's optional draws ------------------------------------------------------------

STICKY = DrawSpec("sticky", "uniform", (), "step")
SPAWN = DrawSpec("spawn_side", "uniform", (), "step", optional=True)
SLOT = DrawSpec("slot", "integers", (), "step", optional=True)


def test_optional_draws_may_go_unused():
    tape = TapeGenerator([(STICKY, 0.5), (SPAWN, 0.25), (SLOT, 2)])
    assert tape.rand() == 0.5
    tape.finish()
    assert tape.used == ["sticky"]


def test_optional_draws_answer_when_asked_and_are_skipped_when_the_call_does_not_fit():
    tape = TapeGenerator([(STICKY, 0.5), (SPAWN, 0.25), (SLOT, 2)])
    tape.rand()
    assert tape.randint(5) == 2  # the spawn side is passed over: the reference asked for an integer
    tape.finish()
    assert tape.used == ["sticky", "slot"]


def test_required_draws_still_fail_when_unused_or_mismatched():
    tape = TapeGenerator([(STICKY, 0.5), (SLOT, 2)])
    with pytest.raises(TapeError):
        tape.randint(5)  # the sticky draw is required and holds a uniform
    with pytest.raises(TapeError):
        TapeGenerator([(STICKY, 0.5)]).finish()


def test_match_draws_follows_the_tape_rules():
    assert set(match_draws([STICKY, SPAWN, SLOT], [("uniform", np.asarray(0.1)), ("integers", np.asarray(1))])) == {"sticky", "slot"}
    with pytest.raises(TapeError):
        match_draws([STICKY], [("integers", np.asarray(1))])


# ----- per game -------------------------------------------------------------------------------


def test_step_draws_match_the_reference_generator(lock):
    from verify.step_draws import check_step_distribution

    result = check_step_distribution(lock, states=60, repeats=60, seed=1, min_samples=150)
    assert result.passed, _explain(result)
    assert result.data["samples"]["sticky"] == 60 * 60
    assert result.checks >= 1


def test_level_D_catches_step_draws_drawn_from_a_narrower_range():
    """Level D (check_distribution) covers step draws: a translation whose sticky draw is
    uniform on [0, 0.9) instead of [0, 1) plays episodes the reference could, so only D sees it."""
    from envs import get_port
    from verify.distribution import check_distribution

    port = get_port("minatar-asterix")
    env = port.make_jax()
    sample = env.sample_step_draws

    def narrowed(key, state, params):
        draws = sample(key, state, params)
        return {**draws, "sticky": draws["sticky"] * 0.9}

    env.sample_step_draws = narrowed
    result = check_distribution(Lockstep(port, env), samples=2000)
    assert not result.passed
    assert result.failures[0]["check"] == "step_draw_distribution" and result.failures[0]["field"] == "sticky"
    # the pairs with the sticky draw change too (their sticky cells do); no other draw is blamed
    assert all(f["field"].startswith("sticky x ") for f in result.failures[1:]), _explain(result)


def test_level_D_catches_two_step_draws_made_from_one_key(tmp_path):
    """Each draw alone is still uniform when two come from one key, so only the joint test sees it."""
    from envs import get_port
    from verify.step_draws import check_step_distribution
    from verify.variants import edited_translation

    port = get_port("minatar-seaquest")
    wrong = Lockstep(port, edited_translation(port, '"enemy_sub": u(keys[1])', '"enemy_sub": u(keys[0])', tmp_path))
    result = check_step_distribution(wrong, states=60, repeats=60, seed=1, min_samples=150)
    assert [(f["check"], f["field"]) for f in result.failures] == [("step_draw_joint", "enemy_right x enemy_sub")], _explain(result)
    assert "enemy_sub" in result.data["p_values"] and result.data["p_values"]["enemy_sub"] > 1e-4  # its marginal passes


def test_L1_boundary_draws_where_the_reference_itself_raises_are_noted_not_failed():
    """Freeway's reference raises on a car direction draw of exactly 0.5 (numpy.sign gives speed 0);
    L1's boundary draws reach it, and report it as outside the reference's domain."""
    from envs import get_port
    from verify.properties import check_properties

    result = check_properties(Lockstep(get_port("minatar-freeway")), max_examples=5, seed=1, harvest=2)
    assert result.passed, _explain(result)
    assert any("the reference raised on them" in n and "UnboundLocalError" in n for n in result.notes), result.notes


def test_minimal_action_set_agrees_with_the_v1_reference(lock):
    """`minimal_action_set=True` against MinAtar/<Game>-v1: a few whole episodes in lockstep."""
    from envs.minatar.reference import make_reference
    from verify.rollouts import check_rollouts

    port = lock.port
    game, cls = port.extra["game"], type(lock.env)
    minimal = port.replace(
        make_reference=lambda: make_reference(game, port.max_episode_steps, minimal_action_set=True),
        make_jax=lambda: cls(minimal_action_set=True),
        goal_policy=None,
    )
    small = Lockstep(minimal)
    # Seaquest's minimal set is all six actions; every other game's is smaller.
    assert small.env.action_space(small.params).n == small.ref.action_space.n == len(cls.minimal_actions)
    result = check_rollouts(small, episodes=3, policies=("uniform",), seed=7)
    assert result.passed, _explain(result)


def test_sticky_actions_repeat_the_last_action_and_episodes_start_from_noop(lock):
    env, params = lock.env, lock.params
    _, state = env.reset(jax.random.PRNGKey(0), params)
    assert int(state.last_action) == 0
    draws = env.sample_draws(jax.random.PRNGKey(1), state, params)
    draws["step"]["sticky"] = np.asarray(0.99)
    _, moved, *_ = env.step_det(state, 3, draws, params)
    assert int(moved.last_action) == 3
    draws["step"]["sticky"] = np.asarray(0.01)  # below 0.1: the previous action (3) is repeated
    _, again, *_ = env.step_det(moved, 1, draws, params)
    assert int(again.last_action) == 3
    # the reference, reset after a step, also starts the next episode from noop
    lock.ref.step(3)
    lock.ref.reset()
    assert int(lock.port.get_state(lock.ref)["last_action"]) == 0


def test_breakout_goal_policy_keeps_the_ball_in_play_up_to_the_ceiling():
    """L3's goal policy must take Breakout where random play never goes: long episodes, brick refills,
    the ball on the top rows (a mutant of the ceiling bounce survived while it lost the ball in ~100 steps)."""
    from envs import get_port
    from verify.policies import policies_for

    port = get_port("minatar-breakout")
    lock = Lockstep(port)
    goal = policies_for(port, lock.env, lock.params, ("goal",))["goal"]
    run = lock.rollouts(goal, 4, port.max_episode_steps, jax.random.PRNGKey(0))
    ended = np.logical_or.accumulate(run["traj"]["terminated"] | run["traj"]["truncated"], axis=1)
    lengths = (~ended).sum(axis=1) + 1
    ball_y = np.asarray(run["traj"]["state"].ball_y)[~ended]
    assert lengths.min() > 500, lengths
    assert (ball_y == 0).sum() > 20
