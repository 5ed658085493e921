"""MinAtar SpaceInvaders: events the registry-wide checks reach only by chance.

The last alien of a wave shot (refill, difficulty ramp, with ramping on and off), the
alien nearest the cannon shooting (ties go left), an alien block turning at a wall
onto the bottom row, and the goal policy clearing waves. Each one-step case runs the
real reference and the translation from the same state and compares every field.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs.minatar.reference import make_reference
from envs.minatar.space_invaders import PORT
from envs.minatar.space_invaders.jax_env import SpaceInvaders
from verify.lockstep import Lockstep

NOOP, LEFT, RIGHT, FIRE = 0, 1, 3, 5


@pytest.fixture(scope="module")
def lock():
    return Lockstep(PORT)


def _start(lock) -> dict:
    return lock.translation_reset({}).state


def _both(lock, state, action):
    """One step of reference and translation from `state` (no sticky action); asserts they agree, returns the reference's."""
    draws = {"sticky": np.asarray(0.5)}
    ref = lock.reference_step(state, action, draws)
    ours = lock.translation_step(state, action, {"step": draws, "reset": {}})
    for name in ref.state:
        np.testing.assert_array_equal(ref.state[name], ours.state[name], err_msg=name)
    np.testing.assert_array_equal(ref.obs, ours.obs)
    assert (ref.reward, ref.terminated) == (ours.reward, ours.terminated)
    return ref


def _one_alien_above_bullet(lock) -> dict:
    aliens = np.zeros((10, 10), bool)
    aliens[2, 4] = True
    bullets = np.zeros((10, 10), bool)
    bullets[3, 4] = True  # moves up into the alien this step
    return {**_start(lock), "alien_map": aliens, "f_bullet_map": bullets, "alien_move_timer": np.asarray(3), "alien_shot_timer": np.asarray(4)}


def test_last_alien_shot_refills_the_wave_and_ramps(lock):
    out = _both(lock, _one_alien_above_bullet(lock), NOOP)
    assert out.reward == 1.0
    assert out.state["alien_map"][0:4, 2:8].all() and out.state["alien_map"].sum() == 24
    assert int(out.state["ramp_index"]) == 1 and int(out.state["enemy_move_interval"]) == 11


def test_no_ramp_without_difficulty_ramping():
    port = PORT.replace(make_reference=lambda: make_reference("space_invaders", 1000, difficulty_ramping=False))
    lock = Lockstep(port)
    lock.params = lock.params.replace(difficulty_ramping=False)
    out = _both(lock, _one_alien_above_bullet(lock), NOOP)
    assert out.state["alien_map"].sum() == 24
    assert int(out.state["ramp_index"]) == 0 and int(out.state["enemy_move_interval"]) == 12


def test_nearest_alien_shoots_and_ties_go_left(lock):
    aliens = np.zeros((10, 10), bool)
    aliens[1, 3] = aliens[4, 3] = aliens[2, 7] = True  # columns 3 and 7 both two away from the cannon at 5
    state = {**_start(lock), "alien_map": aliens, "alien_shot_timer": np.asarray(0), "alien_move_timer": np.asarray(5)}
    out = _both(lock, state, NOOP)
    assert out.state["e_bullet_map"][4, 3] and out.state["e_bullet_map"].sum() == 1
    assert int(out.state["alien_shot_timer"]) == 9


def test_block_on_the_bottom_row_turning_at_the_wall_ends_the_game(lock):
    """Away from the cannon too; the reference's np.roll then wraps the bottom row to the top."""
    aliens = np.zeros((10, 10), bool)
    aliens[9, 0:3] = True
    state = {**_start(lock), "alien_map": aliens, "alien_dir": np.asarray(-1), "alien_move_timer": np.asarray(0), "pos": np.asarray(7)}
    out = _both(lock, state, NOOP)
    assert out.terminated and int(out.state["alien_dir"]) == 1 and out.state["alien_map"][0, 0:3].all()


def test_cannon_fires_only_after_the_cool_down(lock):
    state = {**_start(lock), "shot_timer": np.asarray(1)}
    out = _both(lock, state, FIRE)
    assert not out.state["f_bullet_map"].any() and int(out.state["shot_timer"]) == 0
    out = _both(lock, out.state, FIRE)
    assert out.state["f_bullet_map"][8, 5] and int(out.state["shot_timer"]) == 4


def test_goal_policy_clears_waves():
    """Over 64 episodes the goal policy clears at least one wave (ramp_index reaches 1)."""
    env = SpaceInvaders()
    params = env.default_params

    def episode(key):
        obs, state = env.reset(key, params)

        def body(carry, k):
            obs, state, done, ramp = carry
            k_act, k_step = jax.random.split(k)
            obs, nxt, _, term, trunc, _ = env.step(k_step, state, PORT.goal_policy(k_act, obs), params)
            ramp = jnp.where(done, ramp, jnp.maximum(ramp, nxt.ramp_index))
            return (obs, nxt, done | term | trunc, ramp), None

        (_, _, _, ramp), _ = jax.lax.scan(body, (obs, state, jnp.asarray(False), state.ramp_index), jax.random.split(key, 1000))
        return ramp

    ramps = jax.jit(jax.vmap(episode))(jax.random.split(jax.random.PRNGKey(0), 64))
    assert int(jnp.max(ramps)) >= 1
