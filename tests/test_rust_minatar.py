"""The Rust MinAtar games through their Python bindings (envport_rust.MinAtar<Game>[Vec]).

Behaviour, not just shapes: the state round trip, step_det against the JAX translation on the
same draws, clear errors, the vector env's same-step auto-reset against single envs on the same
streams, and its buffers. The verifier's levels run in tests/test_rust_verify.py.
"""

import gymnasium
import jax
import numpy as np
import pytest

from envs import get_port
from envs.rust_backend import make_rust_single, rust_available
from test_rust_bindings import assert_done_mask

pytestmark = pytest.mark.skipif(
    not rust_available() or not hasattr(__import__("envport_rust") if rust_available() else None, "MinAtarBreakout"),
    reason="envport_rust with the MinAtar classes is not built (bash setup.sh builds it)",
)

LEFT, RIGHT = 1, 3


@pytest.fixture(scope="module")
def port():
    return get_port("minatar-breakout")


@pytest.fixture(scope="module")
def lock(port):
    from verify.precision import enable_verification_numerics, verification_numerics_enabled

    if not verification_numerics_enabled():
        enable_verification_numerics()
    from verify.lockstep import RustLockstep

    return RustLockstep(port)


def classes():
    import envport_rust

    return envport_rust.MinAtarBreakout, envport_rust.MinAtarBreakoutVec


def test_state_is_arrays_shaped_as_the_port_and_round_trips(port):
    Single, _ = classes()
    env = Single(seed=1)
    env.reset()
    for a in [RIGHT, RIGHT, 0, LEFT, 5, 2]:
        env.step(a)
    state = env.get_state()
    assert list(state) == [f.name for f in port.state_fields] == list(env.state_fields)
    for f in port.state_fields:
        value = state[f.name]
        assert isinstance(value, np.ndarray) and value.shape == f.shape and value.dtype == np.dtype(f.dtype), f.name
    other = Single(seed=99)
    other.set_state(state)
    assert all(np.array_equal(other.get_state()[k], v) for k, v in state.items())
    np.testing.assert_array_equal(other.observation(), env.observation())
    obs = env.observation()
    assert obs.shape == (10, 10, 4) and obs.dtype == np.bool_
    assert obs[9, int(state["pos"]), 0] and obs[int(state["ball_y"]), int(state["ball_x"]), 1]
    np.testing.assert_array_equal(obs[:, :, 3], state["brick_map"])
    # both envs continue identically from the same state (same seed: same own draws)
    a, b = Single(seed=5), Single(seed=5)
    a.reset(), b.reset()
    b.set_state(a.get_state())
    for t in range(30):
        oa, ob = a.step(t % 6), b.step(t % 6)
        assert np.array_equal(oa[0], ob[0]) and oa[1:] == ob[1:]


def test_reset_draws_pick_the_side_and_are_reported(port):
    Single, _ = classes()
    env = Single(seed=0)
    env.reset_det({"ball_start": 1})
    s = env.get_state()
    assert (int(s["ball_x"]), int(s["ball_dir"]), int(s["time"]), int(s["last_action"])) == (9, 3, 0, 0)
    env.reset_det({"ball_start": np.asarray(0, np.int32)})
    assert int(env.get_state()["ball_x"]) == 0
    sides = set()
    for _ in range(40):
        env.reset()
        drawn = env.last_reset_draws()["ball_start"]
        assert drawn.shape == (1,)
        assert int(env.get_state()["ball_x"]) == 9 * int(drawn[0])
        sides.add(int(drawn[0]))
    assert sides == {0, 1}
    assert list(env.reset_draws) == [d.name for d in port.draws_for("reset")]
    assert list(env.step_draws) == [d.name for d in port.draws_for("step")] == ["sticky"]


def test_step_det_equals_the_jax_translation_on_the_same_draws(lock):
    """Play from JAX resets (the paddle mostly follows the ball, so bricks break and episodes last): every
    step the Rust env (step_det) and the JAX translation agree exactly, sticky steps included."""
    from verify.compare import compare_outcomes
    from verify.lockstep import Lockstep

    rng = np.random.default_rng(0)
    key = jax.random.PRNGKey(3)
    sample = jax.jit(lambda k, s: lock.env.sample_draws(k, s, lock.params))
    compared = sticky = ends = reward = 0
    for episode in range(4):
        key, k = jax.random.split(key)
        draws = jax.tree.map(np.asarray, lock.env.sample_reset_draws(k, lock.params))
        jax_side = Lockstep.translation_reset(lock, draws)
        rust_side = lock.translation_reset(draws)
        assert not compare_outcomes(lock.port, jax_side, rust_side, with_step=False)
        state = jax_side.state
        for t in range(150):
            key, k = jax.random.split(key)
            step_draws = jax.tree.map(np.asarray, sample(k, lock.dict_to_state(state)))
            if t % 5 == 0:  # force sticky steps now and then
                step_draws["step"]["sticky"] = np.asarray(0.05, step_draws["step"]["sticky"].dtype)
            sticky += float(step_draws["step"]["sticky"]) < 0.1
            target = int(state["ball_x"]) + (-1, 1, 1, -1)[int(state["ball_dir"])]  # where the ball goes next
            follow = int(np.sign(target - int(state["pos"])))
            action = rng.integers(0, 6) if rng.random() < 0.1 else {-1: LEFT, 0: 0, 1: RIGHT}[follow]
            action = np.asarray(action, np.int32)
            expected = Lockstep.translation_step(lock, state, action, step_draws)
            actual = lock.translation_step(state, action, step_draws)
            mismatches = compare_outcomes(lock.port, expected, actual)
            assert not mismatches, f"episode {episode} step {t + 1}: " + "; ".join(m.describe() for m in mismatches)
            compared += 1
            reward += expected.reward
            state = expected.state
            if expected.terminated or expected.truncated:
                ends += 1
                break
    assert ends >= 1 and sticky > 20 and compared > 150 and reward > 5, (ends, sticky, compared, reward)


def test_errors_are_clear_python_exceptions():
    import envport_rust

    Single, Vec = classes()
    env = Single(seed=0, sticky_action_prob=0.0)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset()
    good = env.get_state()
    for bad, exc, text in [
        (6, ValueError, r"action 6 is outside Discrete\(6\): valid actions are the integers 0 to 5, or the integers -6 to -1 counting"),
        (-7, ValueError, r"action -7 is outside Discrete\(6\)"),
        (1.0, TypeError, "int"),
        (True, TypeError, "bool"),
        (np.zeros(2, np.int64), ValueError, "shape"),
    ]:
        with pytest.raises(exc, match=text):
            env.step(bad)
    env.step(-1)  # Python list indexing, as the reference: the last action (fire)
    assert int(env.get_state()["last_action"]) == 5
    state = env.get_state()
    with pytest.raises(KeyError, match="missing draw 'sticky'"):
        env.step_det(0, {})
    with pytest.raises(KeyError, match="unknown draw 'spawn'"):
        env.step_det(0, {"sticky": 0.5, "spawn": 1})
    with pytest.raises(ValueError, match="1 element"):
        env.step_det(0, {"sticky": np.zeros(2)})
    with pytest.raises(TypeError, match="dict"):
        env.step_det(0, [0.5])
    with pytest.raises(ValueError, match="ball_start"):
        env.reset_det({"ball_start": 2})  # outside randint(2): names the draw, no panic text for users to decode
    with pytest.raises(ValueError, match="integer"):
        env.reset_det({"ball_start": 0.5})
    assert all(np.array_equal(env.get_state()[k], v) for k, v in state.items()), "failed calls change nothing"
    for change, exc, text in [
        ({"brick_map": good["brick_map"].astype(np.int64)}, TypeError, "brick_map' must be bool"),
        ({"ball_x": np.asarray(1.0)}, TypeError, "ball_x' must be an integer"),
        ({"brick_map": np.zeros((10, 9), bool)}, ValueError, r"shape \[10, 10\]"),
        ({"ball_dir": np.asarray(4)}, ValueError, "ball_dir' must be in 0..=3"),
        ({"last_action": np.asarray(6)}, ValueError, "last_action"),
        ({"time": np.asarray(-1)}, ValueError, "time"),
    ]:
        with pytest.raises(exc, match=text):
            env.set_state({**good, **change})
    with pytest.raises(KeyError, match="unknown state key 'paddle'"):
        env.set_state({**good, "paddle": 1})
    missing = dict(good)
    del missing["strike"]
    with pytest.raises(KeyError, match="missing state key 'strike'"):
        env.set_state(missing)
    with pytest.raises(ValueError, match="sticky_action_prob"):
        Single(sticky_action_prob=1.5)
    vec = Vec(4, seed=0)
    with pytest.raises(RuntimeError, match="reset"):
        vec.step(np.zeros(4, np.int64))
    vec.reset()
    for bad, exc in [(np.zeros(3, np.int64), ValueError), (np.zeros(4, np.float32), TypeError), (np.full(4, 6), ValueError), (np.full(4, -1), ValueError), ([0, 0, 0, 0], TypeError)]:
        with pytest.raises(exc):
            vec.step(bad)
    with pytest.raises(IndexError):
        vec.get_state(4)
    with pytest.raises(ValueError, match="num_envs"):
        Vec(0)
    assert "breakout" in envport_rust.MINATAR_GAMES


def test_vector_env_same_step_autoreset_against_single_envs_on_the_same_streams():
    Single, Vec = classes()
    n, seed = 32, 7
    vec = Vec(n, seed=seed, num_threads=1)
    obs = vec.reset(seed=seed)
    assert obs.shape == (n, 10, 10, 4) and obs.dtype == np.bool_
    singles = [Single(seed=seed, stream=i) for i in range(n)]
    for i, s in enumerate(singles):
        np.testing.assert_array_equal(s.reset(seed=seed), obs[i])
    rng = np.random.default_rng(1)
    buffers = None
    ends = 0
    for t in range(200):
        actions = rng.integers(0, 6, n)
        out = vec.step(actions)
        if buffers is None:
            buffers = out
        assert all(a is b for a, b in zip(out[:5], buffers)), "the same buffers every step"
        obs, reward, terminated, truncated, final_obs, done = out
        assert_done_mask(done, terminated, truncated)
        for i, s in enumerate(singles):
            o, r, te, tr = s.step(int(actions[i]))
            assert (r, te, tr) == (reward[i], terminated[i], truncated[i])
            if te or tr:
                ends += 1
                np.testing.assert_array_equal(o, final_obs[i])
                o = s.reset()  # continues the stream, as the vector env's auto-reset does
                assert int(vec.get_state(i)["time"]) == 0 and int(vec.get_state(i)["ball_y"]) == 3
            np.testing.assert_array_equal(o, obs[i])
            assert all(np.array_equal(v, vec.get_state(i)[k]) for k, v in s.get_state().items())
    assert ends > 20


def test_vector_env_threads_agree_and_options_apply():
    _, Vec = classes()
    rng = np.random.default_rng(2)
    actions = rng.integers(0, 3, (100, 300))
    runs = []
    for threads in (1, 2, None):
        vec = Vec(300, seed=4, num_threads=threads, minimal_action_set=True)
        vec.reset()
        runs.append([tuple(x.copy() for x in vec.step(a)[:4]) for a in actions])
    # actions as a strided (non-contiguous) view are read element by element, with the same result
    strided = Vec(300, seed=4, num_threads=1, minimal_action_set=True)
    strided.reset()
    wide = np.repeat(actions, 2, axis=1)
    runs.append([tuple(x.copy() for x in strided.step(a[::2])[:4]) for a in wide])
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            assert all(np.array_equal(x, y) for x, y in zip(a, b))
    with pytest.raises(ValueError, match=r"actions\[1\] = 3 is outside Discrete\(3\): valid actions are 0, 1 and 2$"):
        strided.step(np.asarray([0, 9, 3] + [0] * 597)[::2])
    assert vec.num_actions == 3 and tuple(vec.action_space) == ("discrete", 3)
    with pytest.raises(ValueError):
        vec.step(np.full(300, 3))
    # sticky_action_prob 1: every step repeats the last action, which is noop from the reset
    always = Vec(8, seed=0, sticky_action_prob=1.0)
    always.reset()
    for _ in range(5):
        always.step(np.full(8, 3))
    assert all(int(always.get_state(i)["pos"]) == 4 and int(always.get_state(i)["last_action"]) == 0 for i in range(8))
    never = Vec(8, seed=0, sticky_action_prob=0.0)
    never.reset()
    never.step(np.full(8, 3))
    assert all(int(never.get_state(i)["pos"]) == 5 for i in range(8))
    # set_state refreshes the obs buffer row
    state = never.get_state(2)
    state["pos"] = np.asarray(0)
    never.set_state(2, state)
    obs = never.step(np.zeros(8, np.int64))[0]
    assert obs[2, 9, 0, 0]


def test_gymnasium_ids_and_wrappers(port):
    env = gymnasium.make_vec("envport/MinAtar-Breakout-v0", num_envs=16, vectorization_mode="vector_entry_point")
    assert env.metadata["autoreset_mode"] == gymnasium.vector.AutoresetMode.SAME_STEP
    obs, _ = env.reset(seed=0)
    assert obs.shape == (16, 10, 10, 4) and obs.dtype == np.bool_
    assert env.single_action_space == gymnasium.spaces.Discrete(6)
    for _ in range(100):
        obs, reward, terminated, truncated, info = env.step(np.zeros(16, np.int64))
        if info:
            done = terminated | truncated
            np.testing.assert_array_equal(info["_final_obs"], done)
            # a still paddle misses: the final observation has the ball on the bottom row, the new one at row 3
            assert info["final_obs"][done][:, 9, :, 1].any(axis=1).all()
            assert obs[done][:, 3, :, 1].any(axis=1).all()
            break
    else:
        pytest.fail("no episode ended in 100 steps")
    minimal = gymnasium.make_vec("envport/MinAtar-Breakout-v0", num_envs=2, vectorization_mode="vector_entry_point", minimal_action_set=True)
    assert minimal.single_action_space == gymnasium.spaces.Discrete(3) and minimal.rust.num_actions == 3
    single = gymnasium.make("envport/MinAtar-Breakout-v0")
    obs, _ = single.reset(seed=1)
    assert obs.dtype == np.bool_ and single.observation_space.contains(obs)
    raw = make_rust_single(port, seed=3, sticky_action_prob=0.0)
    assert raw.sticky_action_prob == 0.0 and raw.max_episode_steps == port.max_episode_steps


class _ReportingWrapper:
    """A Rust env whose `last_step_draws` report is altered by `change` (what a bug in its sampling would report)."""

    def __init__(self, env, change):
        self._env, self._change = env, change

    def __getattr__(self, name):
        return getattr(self._env, name)

    def last_step_draws(self):
        return self._change(dict(self._env.last_step_draws()))


def test_last_step_draws_report_what_the_step_drew():
    import envport_rust

    env = envport_rust.MinAtarAsterix(seed=3)
    env.reset()
    drawn = {name: 0 for name in ("spawn_right", "spawn_gold", "spawn_slot")}
    for _ in range(300):
        env.step(0)
        record = env.last_step_draws()
        assert 0.0 <= float(record["sticky"][0]) < 1.0
        for name in drawn:
            drawn[name] += int(not np.isnan(record[name]).all())
        if env.get_state()["terminal"].any():
            env.reset()
    assert 0 < drawn["spawn_slot"] < 300  # optional: drawn only when a spawn happens


@pytest.mark.parametrize("bug, check", [
    (lambda d: {**d, "sticky": d["sticky"] * 0.9}, "step_draw_distribution"),
    (lambda d: {**d, **{k: np.full_like(v, np.nan) for k, v in d.items() if k.startswith("spawn") and d["sticky"][0] < 0.3}},
     "step_draw_frequency"),
], ids=["narrowed-range", "event-less-likely"])
def test_level_D_catches_the_rust_step_draws_distribution_and_frequency(monkeypatch, bug, check):
    import envs.rust_backend as rust_backend
    from verify.distribution import check_distribution, rust_reset_draws
    from verify.lockstep import RustLockstep

    port = get_port("minatar-asterix")
    real = rust_backend.make_rust_single
    monkeypatch.setattr(rust_backend, "make_rust_single", lambda *a, **k: _ReportingWrapper(real(*a, **k), bug))
    result = check_distribution(RustLockstep(port), samples=2000, sampler=rust_reset_draws)
    assert not result.passed
    assert check in {f["check"] for f in result.failures}, [f["message"] for f in result.failures]
