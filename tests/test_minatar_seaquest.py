"""MinAtar Seaquest: events the registry-wide checks reach only by chance, each against the real reference.

Surfacing with six divers (oxygen bonus, the diver count going to -1, the ramp), with
fewer, with none (game over); oxygen running out; an enemy sub firing as it leaves the
screen; the list operations against Python's lists (`list.remove` takes the first equal object); equal objects in one step; a spawn blocked by
an enemy moving the other way; a diver-only spawn answered from the enemy's draws (the
tape's rule for optional draws); and the goal policy surfacing with six.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs.minatar.seaquest import PORT
from envs.minatar.seaquest.jax_env import LISTS, Seaquest
from verify.lockstep import Lockstep

NOOP, LEFT, UP, RIGHT, DOWN, FIRE = range(6)
QUIET = {"sticky": 0.5, "enemy_right": 0.2, "enemy_sub": 0.9, "enemy_row": 3, "diver_right": 0.7, "diver_row": 6}


@pytest.fixture(scope="module")
def lock():
    return Lockstep(PORT)


def _start(lock, **changes) -> dict:
    state = dict(lock.translation_reset({}).state)
    # timers far from running out unless a test sets them
    state.update(e_spawn_timer=np.asarray(9), d_spawn_timer=np.asarray(9))
    state.update({k: np.asarray(v) for k, v in changes.items()})
    return state


def _with_list(state: dict, name: str, objects: list) -> dict:
    cap, attrs = LISTS[name]
    out = {**state, f"{name}_n": np.asarray(len(objects), np.int64)}
    for k, attr in enumerate(attrs):
        column = np.zeros(cap, bool if attr == "right" else np.int64)
        column[: len(objects)] = [o[k] for o in objects]
        out[f"{name}_{attr}"] = column
    return out


def _both(lock, state, action, **draws):
    """One step of reference and translation from `state`; asserts they agree in everything, returns the reference's."""
    step = {k: np.asarray(v) for k, v in {**QUIET, **draws}.items()}
    ref = lock.reference_step(state, action, step)
    ours = lock.translation_step(state, action, {"step": step, "reset": {}})
    for name in ref.state:
        np.testing.assert_array_equal(ref.state[name], ours.state[name], err_msg=name)
    np.testing.assert_array_equal(ref.obs, ours.obs)
    assert (ref.reward, ref.terminated) == (ours.reward, ours.terminated)
    return ref


def test_surfacing_with_six_divers_pays_for_oxygen_and_leaves_minus_one(lock):
    out = _both(lock, _start(lock, sub_y=1, surface=False, diver_count=6, oxygen=137), UP)
    assert out.reward == 137 * 10 // 200
    assert int(out.state["diver_count"]) == -1 and int(out.state["oxygen"]) == 200
    assert int(out.state["ramp_index"]) == 1 and int(out.state["e_spawn_speed"]) == 19
    # with -1 on board, surfacing again does not end the game
    down = _both(lock, out.state, DOWN)
    again = _both(lock, down.state, UP)
    assert not again.terminated and int(again.state["diver_count"]) == -2 and int(again.state["ramp_index"]) == 2


def test_surfacing_with_fewer_divers_costs_one(lock):
    out = _both(lock, _start(lock, sub_y=1, surface=False, diver_count=3, oxygen=20, ramp_index=1), UP)
    assert out.reward == 0 and int(out.state["diver_count"]) == 2 and int(out.state["oxygen"]) == 200
    assert int(out.state["move_speed"]) == 4  # an odd ramp index also speeds enemies up


def test_surfacing_with_no_diver_ends_the_game(lock):
    assert _both(lock, _start(lock, sub_y=1, surface=False, diver_count=0), UP).terminated


def test_oxygen_running_out_ends_the_game(lock):
    out = _both(lock, _start(lock, sub_y=4, surface=False, oxygen=0), NOOP)
    assert out.terminated and int(out.state["oxygen"]) == -1
    assert not _both(lock, _start(lock, sub_y=4, surface=False, oxygen=1), NOOP).terminated


def test_enemy_sub_fires_as_it_leaves_and_the_bullet_goes_too(lock):
    state = _with_list(_start(lock, sub_y=5), "e_subs", [[9, 2, True, 0, 0], [4, 3, False, 2, 0]])
    out = _both(lock, state, NOOP)
    assert int(out.state["e_subs_n"]) == 1 and int(out.state["e_bullets_n"]) == 1  # only the staying sub's bullet is left
    assert int(out.state["e_bullets_x"][0]) == 3


def test_list_operations_follow_python_lists():
    """`items.remove` deletes the first *equal* row, as list.remove does; append and del keep the order, empty rows zero."""
    from envs.minatar.seaquest import items as L

    rng = np.random.default_rng(0)
    for _ in range(40):
        objects = [list(rng.integers(0, 3, 3)) for _ in range(rng.integers(1, 6))]  # small values: duplicates are common
        rows = np.zeros((8, 3), np.int64)
        rows[: len(objects)] = objects
        target = objects[rng.integers(len(objects))]
        expected = [o for o in objects]
        expected.remove(target)
        got, n, j = L.remove(jnp.asarray(rows), jnp.asarray(len(objects)), jnp.asarray(target), jnp.asarray(True))
        assert int(n) == len(expected) and int(j) == objects.index(target)
        np.testing.assert_array_equal(np.asarray(got)[: len(expected)].reshape(-1, 3), np.asarray(expected, np.int64).reshape(-1, 3))
        assert not np.asarray(got)[len(expected):].any()
        extra = list(rng.integers(0, 3, 3))
        got, n = L.append(got, n, jnp.asarray(extra), jnp.asarray(True))
        np.testing.assert_array_equal(np.asarray(got)[int(n) - 1], extra)


def test_duplicate_enemies_leaving_together(lock):
    """Equal fish (same cell, same timers) leaving in the same step, and equal divers picked up in one step."""
    state = _with_list(_start(lock, sub_y=4, sub_x=6), "e_fish", [[0, 5, False, 0], [3, 2, True, 1], [0, 5, False, 0]])
    state = _with_list(state, "divers", [[6, 4, True, 3], [6, 4, True, 3]])
    out = _both(lock, state, NOOP)
    assert int(out.state["e_fish_n"]) == 1 and int(out.state["divers_n"]) == 0 and int(out.state["diver_count"]) == 2


def test_spawn_blocked_by_an_enemy_moving_the_other_way(lock):
    state = _with_list(_start(lock, e_spawn_timer=0), "e_fish", [[5, 3, False, 3]])
    out = _both(lock, state, NOOP, enemy_right=0.1, enemy_row=3)  # from the left, row 3: blocked
    assert int(out.state["e_fish_n"]) == 1 and int(out.state["e_subs_n"]) == 0
    assert int(out.state["e_spawn_timer"]) == 19


def test_diver_only_spawn_uses_the_enemy_draws_as_the_tape_answers(lock):
    out = _both(lock, _start(lock, d_spawn_timer=0), NOOP, enemy_right=0.9, enemy_row=7, diver_right=0.1, diver_row=2)
    assert int(out.state["divers_n"]) == 1
    assert (int(out.state["divers_x"][0]), int(out.state["divers_y"][0]), bool(out.state["divers_right"][0])) == (9, 7, False)


def test_player_bullet_shoots_the_first_fish_in_its_cell(lock):
    state = _with_list(_start(lock, sub_y=4, sub_x=3, sub_or=True), "e_fish", [[5, 4, False, 3], [5, 4, False, 2]])
    out = _both(lock, _with_list(state, "f_bullets", [[4, 4, True]]), NOOP)
    assert out.reward == 1 and int(out.state["e_fish_n"]) == 1 and int(out.state["e_fish_move"][0]) == 1


def test_goal_policy_surfaces_with_six_divers():
    """Over 64 episodes the goal policy surfaces with six divers at least once (and surfaces in several)."""
    env = Seaquest()
    params = env.default_params

    def episode(key):
        obs, state = env.reset(key, params)

        def body(carry, k):
            obs, s, done, six, ramp = carry
            k_act, k_step = jax.random.split(k)
            obs, nxt, reward, term, trunc, _ = env.step(k_step, s, PORT.goal_policy(k_act, obs), params)
            six = six | (~done & (s.diver_count == 6) & (nxt.diver_count == -1))
            ramp = jnp.where(done | term | trunc, ramp, jnp.maximum(ramp, nxt.ramp_index))
            return (obs, nxt, done | term | trunc, six, ramp), None

        init = (obs, state, jnp.asarray(False), jnp.asarray(False), state.ramp_index)
        (_, _, _, six, ramp), _ = jax.lax.scan(body, init, jax.random.split(key, 1000))
        return six, ramp

    six, ramp = jax.jit(jax.vmap(episode))(jax.random.split(jax.random.PRNGKey(0), 64))
    assert bool(jnp.any(six))
    assert int(jnp.sum(ramp >= 1)) >= 5


@pytest.fixture(scope="module")
def visited(lock):
    """States visited by the translation (harvested once, as mutation analysis does)."""
    from verify.rollouts import harvest_states

    return harvest_states(lock, 8, 1)


@pytest.mark.parametrize(
    "old, new",
    [
        ("terminal = s.terminal | (s.oxygen <= 0)", "terminal = s.terminal | (s.oxygen <= 1)"),
        ("& (count < 6)", "& (count <= 6)"),
        ("faster = ramp & (s.move_speed > 2)", "faster = ramp & (s.move_speed > 3)"),
        ('is_sub = draws["enemy_sub"] < 1 / 3', 'is_sub = draws["enemy_sub"] < 1.01 / 3'),
    ],
    ids=["oxygen-ends-at-1", "diver-cap-7", "last-ramp-step-skipped", "sub-threshold-moved"],
)
def test_L1_edge_states_on_visited_states_and_rare_states_catch_what_random_states_miss(tmp_path, visited, old, new):
    from verify.properties import check_properties
    from verify.variants import edited_translation

    wrong = Lockstep(PORT, edited_translation(PORT, old, new, tmp_path))
    without = check_properties(wrong, max_examples=30, seed=1, harvested=visited, landing=False)
    assert without.passed  # 30 random and visited states do not reach the rule
    found = check_properties(wrong, max_examples=30, seed=1, harvested=visited)
    assert not found.passed and found.failures[0]["check"] == "edge_state", found.failures
