"""Equivalence and API tests of the Rust classic-control ports (``envport_rust``).

Every float comparison against the Gymnasium reference is *exact* (bit for
bit: observations, rewards, states), with one documented exception: the
observation returned by Acrobot's ``reset`` may differ by at most 1 float32 ulp
in its cos/sin entries, because numpy evaluates cos/sin of the float32 reset
state with its own SIMD float32 routine, while the port rounds the float64
value (see rust_envs/README.md). The reset *state* is exact.

Build the module first: ``cd rust_envs && maturin develop --release``.
"""

from __future__ import annotations

import concurrent.futures
import math

import numpy as np
import pytest

er = pytest.importorskip(
    "envport_rust",
    reason="envport_rust is not importable (build it: cd rust_envs && maturin develop --release)",
    exc_type=ImportError,
)
gym = pytest.importorskip("gymnasium")

# CartPole warns when stepped after termination, which these tests do on purpose
pytestmark = pytest.mark.filterwarnings("ignore:.*even though this environment has already returned terminated")

IDS = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"]
SINGLE = {
    "CartPole-v1": er.CartPole,
    "Acrobot-v1": er.Acrobot,
    "MountainCar-v0": er.MountainCar,
    "MountainCarContinuous-v0": er.MountainCarContinuous,
    "Pendulum-v1": er.Pendulum,
}
VEC = {
    "CartPole-v1": er.CartPoleVec,
    "Acrobot-v1": er.AcrobotVec,
    "MountainCar-v0": er.MountainCarVec,
    "MountainCarContinuous-v0": er.MountainCarContinuousVec,
    "Pendulum-v1": er.PendulumVec,
}
N_DISCRETE = {"CartPole-v1": 2, "Acrobot-v1": 3, "MountainCar-v0": 3}
MAX_STEPS = {
    "CartPole-v1": 500,
    "Acrobot-v1": 500,
    "MountainCar-v0": 200,
    "MountainCarContinuous-v0": 999,
    "Pendulum-v1": 200,
}
STATE_KEYS = {
    "CartPole-v1": ["x", "x_dot", "theta", "theta_dot", "steps_beyond_terminated", "time"],
    "Acrobot-v1": ["theta1", "theta2", "dtheta1", "dtheta2", "time"],
    "MountainCar-v0": ["position", "velocity", "time"],
    "MountainCarContinuous-v0": ["position", "velocity", "state_f32", "time"],
    "Pendulum-v1": ["theta", "theta_dot", "last_u", "time"],
}
OBS_DIM = {"CartPole-v1": 4, "Acrobot-v1": 6, "MountainCar-v0": 2, "MountainCarContinuous-v0": 2, "Pendulum-v1": 3}
DRAWS = {"CartPole-v1": 4, "Acrobot-v1": 4, "MountainCar-v0": 1, "MountainCarContinuous-v0": 1, "Pendulum-v1": 2}


# ---------------------------------------------------------------------------
# reference helpers


def make_gym(gid):
    return gym.make(gid, disable_env_checker=True)


def time_limit(genv):
    w = genv
    while not isinstance(w, gym.wrappers.TimeLimit):
        w = w.env
    return w


def gym_state(gid, genv) -> dict:
    """The reference env's full state in the Rust field layout."""
    u = genv.unwrapped
    t = time_limit(genv)._elapsed_steps
    s = u.state
    if gid == "CartPole-v1":
        sbt = u.steps_beyond_terminated
        return dict(
            x=float(s[0]), x_dot=float(s[1]), theta=float(s[2]), theta_dot=float(s[3]),
            steps_beyond_terminated=-1 if sbt is None else int(sbt), time=t,
        )
    if gid == "Acrobot-v1":
        return dict(theta1=float(s[0]), theta2=float(s[1]), dtheta1=float(s[2]), dtheta2=float(s[3]), time=t)
    if gid == "MountainCar-v0":
        return dict(position=float(s[0]), velocity=float(s[1]), time=t)
    if gid == "MountainCarContinuous-v0":
        return dict(position=float(s[0]), velocity=float(s[1]), state_f32=s.dtype == np.float32, time=t)
    lu = u.last_u
    return dict(theta=float(s[0]), theta_dot=float(s[1]), last_u=math.nan if lu is None else float(lu), time=t)


def set_gym_state(gid, genv, st: dict) -> None:
    """Overwrite the reference env's state (it must have been reset once)."""
    u = genv.unwrapped
    time_limit(genv)._elapsed_steps = st["time"]
    if gid == "CartPole-v1":
        u.state = np.array([st["x"], st["x_dot"], st["theta"], st["theta_dot"]], dtype=np.float64)
        sbt = st["steps_beyond_terminated"]
        u.steps_beyond_terminated = None if sbt == -1 else sbt
    elif gid == "Acrobot-v1":
        u.state = np.array([st["theta1"], st["theta2"], st["dtheta1"], st["dtheta2"]], dtype=np.float64)
    elif gid == "MountainCar-v0":
        u.state = np.array([st["position"], st["velocity"]], dtype=np.float64)
    elif gid == "MountainCarContinuous-v0":
        dt = np.float32 if st["state_f32"] else np.float64
        u.state = np.array([st["position"], st["velocity"]], dtype=dt)
    else:
        u.state = np.array([st["theta"], st["theta_dot"]], dtype=np.float64)
        u.last_u = None if math.isnan(st["last_u"]) else np.float32(st["last_u"])


def same_state(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
            continue
        if x != y or type(x) is not type(y):
            return False
    return True


def random_state(gid, rng) -> dict:
    """A broad random state (beyond the usual ranges, to exercise clips and wraps)."""
    t = int(rng.integers(0, MAX_STEPS[gid]))
    if gid == "CartPole-v1":
        sbt = int(rng.choice([-1, -1, 0, 3]))
        return dict(
            x=rng.uniform(-2.4, 2.4), x_dot=rng.uniform(-3, 3), theta=rng.uniform(-0.21, 0.21),
            theta_dot=rng.uniform(-3, 3), steps_beyond_terminated=sbt, time=t,
        )
    if gid == "Acrobot-v1":
        return dict(
            theta1=rng.uniform(-math.pi, math.pi), theta2=rng.uniform(-math.pi, math.pi),
            dtheta1=rng.uniform(-4 * math.pi, 4 * math.pi), dtheta2=rng.uniform(-9 * math.pi, 9 * math.pi), time=t,
        )
    if gid == "MountainCar-v0":
        return dict(position=rng.uniform(-1.2, 0.6), velocity=rng.uniform(-0.07, 0.07), time=t)
    if gid == "MountainCarContinuous-v0":
        f32 = bool(rng.integers(2))
        p, v = rng.uniform(-1.2, 0.6), rng.uniform(-0.07, 0.07)
        if f32:
            p, v = float(np.float32(p)), float(np.float32(v))
        return dict(position=p, velocity=v, state_f32=f32, time=t)
    lu = math.nan if rng.integers(2) else float(np.float32(rng.uniform(-2, 2)))
    return dict(theta=rng.uniform(-10, 10), theta_dot=rng.uniform(-8, 8), last_u=lu, time=t)


def random_action(gid, rng):
    """Python int for discrete envs, float32 (1,) array for continuous ones (sometimes out of range)."""
    if gid in N_DISCRETE:
        return int(rng.integers(N_DISCRETE[gid]))
    hi = 1.0 if gid == "MountainCarContinuous-v0" else 2.0
    return np.array([rng.uniform(-1.5 * hi, 1.5 * hi)], dtype=np.float32)


def heuristic_action(gid, st, rng):
    """A policy that reaches the terminal states (mixed with random actions)."""
    if rng.random() < 0.3:
        return random_action(gid, rng)
    if gid == "CartPole-v1":
        return int(rng.integers(2))  # random CartPole terminates quickly
    if gid == "Acrobot-v1":
        return 2 if st["dtheta2"] > 0 else 0
    if gid == "MountainCar-v0":
        return 2 if st["velocity"] >= 0 else 0
    if gid == "MountainCarContinuous-v0":
        return np.array([1.0 if st["velocity"] >= 0 else -1.0], dtype=np.float32) * np.float32(rng.uniform(0.5, 1.2))
    return random_action(gid, rng)


def assert_step_equal(gid, genv, renv, action, ctx=""):
    og, rg, teg, trg, _ = genv.step(action)
    orr, rr, ter, trr = renv.step(action)
    assert orr.dtype == np.float32 and og.dtype == np.float32
    assert np.array_equal(og, orr), f"{gid} obs differ {ctx}: gym {og!r} rust {orr!r}"
    assert float(rg) == rr, f"{gid} reward differs {ctx}: gym {rg!r} rust {rr!r}"
    assert (bool(teg), bool(trg)) == (ter, trr), f"{gid} flags differ {ctx}"
    sg, sr = gym_state(gid, genv), renv.get_state()
    assert same_state(sg, sr), f"{gid} state differs {ctx}:\n gym  {sg}\n rust {sr}"
    return ter, trr


# ---------------------------------------------------------------------------
# reference equivalence


@pytest.mark.parametrize("gid", IDS)
def test_reset_det_matches_gymnasium_reset(gid):
    """reset_det(draws) == gym reset(seed) when draws are the generator's uniforms."""
    genv, renv = make_gym(gid), SINGLE[gid]()
    ulp_diffs = 0
    for seed in range(200):
        og, _ = genv.reset(seed=seed)
        draws = np.random.default_rng(seed).random(DRAWS[gid])
        orr = renv.reset_det(draws)
        sg, sr = gym_state(gid, genv), renv.get_state()
        assert same_state(sg, sr), (seed, sg, sr)
        if gid == "Acrobot-v1":
            # numpy's float32 SIMD cos/sin of the float32 reset state: <= 1 ulp
            np.testing.assert_array_max_ulp(og, orr, maxulp=1)
            ulp_diffs += int(not np.array_equal(og, orr))
        else:
            assert np.array_equal(og, orr), (seed, og, orr)
    assert ulp_diffs <= 10


@pytest.mark.parametrize("gid", IDS)
def test_full_episodes_match_gymnasium(gid):
    """Whole episodes from gym's seeded reset state, random and goal-seeking actions:
    every obs, reward, flag and state is bit-identical, including the terminal step
    and the truncation at the time limit."""
    rng = np.random.default_rng(1234)
    genv, renv = make_gym(gid), SINGLE[gid]()
    n_term = n_trunc = 0
    n_episodes = {"CartPole-v1": 40, "MountainCarContinuous-v0": 6}.get(gid, 12)
    for ep in range(n_episodes):
        genv.reset(seed=1000 + ep)
        renv.set_state(gym_state(gid, genv))
        if ep % 4 == 3:
            # start late in the episode so the time limit is reached
            st = gym_state(gid, genv)
            st["time"] = MAX_STEPS[gid] - 25
            set_gym_state(gid, genv, st)
            renv.set_state(st)
        heuristic = ep % 2 == 1
        for t in range(MAX_STEPS[gid] + 1):
            st = renv.get_state()
            a = heuristic_action(gid, st, rng) if heuristic else random_action(gid, rng)
            te, tr = assert_step_equal(gid, genv, renv, a, f"episode {ep} step {t}")
            if te or tr:
                n_term += te
                n_trunc += tr
                assert renv.get_state()["time"] == st["time"] + 1
                if tr:
                    assert renv.get_state()["time"] == MAX_STEPS[gid]
                break
        else:
            pytest.fail("episode did not end within the time limit")
    assert n_trunc >= 1
    if gid != "Pendulum-v1":
        assert n_term >= 1, "no episode reached a terminal state"


@pytest.mark.parametrize("gid", IDS)
def test_random_states_single_steps_match_gymnasium(gid):
    """Many random (also out-of-range) states and actions, one step each, bit-exact.
    Exercises libm pow(x, 2) vs x*x, Python modulo, float32 promotion paths, clips and wraps."""
    rng = np.random.default_rng(7)
    genv, renv = make_gym(gid), SINGLE[gid]()
    genv.reset(seed=0)
    for i in range(3000):
        st = random_state(gid, rng)
        set_gym_state(gid, genv, st)
        renv.set_state(st)
        assert same_state(gym_state(gid, genv), renv.get_state())
        a = random_action(gid, rng)
        assert_step_equal(gid, genv, renv, a, f"state {st} action {a!r}")
        # and a few more steps from there
        for j in range(3):
            assert_step_equal(gid, genv, renv, random_action(gid, rng), f"state {st} step {j + 1}")


def test_cartpole_steps_after_termination():
    """steps_beyond_terminated: reward 1.0 on the terminating step, 0.0 afterwards."""
    gid = "CartPole-v1"
    genv, renv = make_gym(gid), SINGLE[gid]()
    genv.reset(seed=0)
    st = dict(x=2.39, x_dot=1.0, theta=0.0, theta_dot=0.0, steps_beyond_terminated=-1, time=0)
    set_gym_state(gid, genv, st)
    renv.set_state(st)
    rewards = []
    for _ in range(5):
        og, rg, teg, trg, _ = genv.step(1)
        orr, rr, ter, trr = renv.step(1)
        assert np.array_equal(og, orr) and rg == rr and teg == ter and trg == trr
        rewards.append(rr)
    assert rewards == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert renv.get_state()["steps_beyond_terminated"] == 4


def test_truncated_and_terminated_together():
    gid = "CartPole-v1"
    genv, renv = make_gym(gid), SINGLE[gid]()
    genv.reset(seed=0)
    st = dict(x=2.39, x_dot=1.0, theta=0.0, theta_dot=0.0, steps_beyond_terminated=-1, time=499)
    set_gym_state(gid, genv, st)
    renv.set_state(st)
    assert assert_step_equal(gid, genv, renv, 1) == (True, True)


def test_mountaincar_continuous_float32_goal_threshold():
    """A float32 state exactly at float32(0.45) (< 0.45) terminates, as in numpy."""
    gid = "MountainCarContinuous-v0"
    genv, renv = make_gym(gid), SINGLE[gid]()
    genv.reset(seed=0)
    p = float(np.float32(0.40))
    v = np.float32(0.0505)
    a = np.array([0.0], dtype=np.float32)
    for _ in range(2_000_000):
        st = dict(position=p, velocity=float(v), state_f32=True, time=0)
        set_gym_state(gid, genv, st)
        renv.set_state(st)
        _, _, ter, _ = renv.step(a)
        pos = renv.get_state()["position"]
        if pos >= float(np.float32(0.45)):
            break
        v = np.nextafter(v, np.float32(1))
    assert pos == float(np.float32(0.45)) and pos < 0.45
    assert ter
    set_gym_state(gid, genv, st)
    renv.set_state(st)
    assert assert_step_equal(gid, genv, renv, a)[0]


def test_single_env_reset_seed_is_deterministic():
    e1, e2 = er.Pendulum(), er.Pendulum(seed=3)
    assert np.array_equal(e1.reset(5), e2.reset(seed=5))
    o1 = e1.reset()
    o2 = e2.reset()
    assert np.array_equal(o1, o2)
    assert not np.array_equal(e1.reset(5), o1)
    # a seeded single env draws like env 0 of a vector env with the same seed
    assert np.array_equal(er.Pendulum(seed=8).reset(), er.PendulumVec(3, 8).reset()[0])


@pytest.mark.parametrize("gid", IDS)
def test_attributes(gid):
    e, v = SINGLE[gid](), VEC[gid](3, seed=0)
    assert e.max_episode_steps == MAX_STEPS[gid] == v.max_episode_steps
    assert e.obs_dim == OBS_DIM[gid] == v.obs_dim
    assert e.num_reset_draws == DRAWS[gid]
    assert e.state_fields == STATE_KEYS[gid]
    assert v.num_envs == 3 and len(v) == 3
    obs = e.reset(0)
    assert obs.shape == (OBS_DIM[gid],) and obs.dtype == np.float32
    assert list(e.get_state().keys()) == STATE_KEYS[gid]
    kinds = e.action_space
    assert kinds[0] == ("discrete" if gid in N_DISCRETE else "box")


def test_ports_declare_their_rust_classes_and_module():
    """Every port with the Rust backend names its classes and its module (Port.rust_classes, Port.rust_source):
    both classes exist in envport_rust, the module in rust_envs/, and the Gymnasium wrappers find them."""
    from pathlib import Path

    from envs import all_ports, get_port
    from envs.rust_backend import make_rust_single, rust_ports

    crate = Path(__file__).resolve().parents[1] / "rust_envs"
    ports = rust_ports()
    assert {p.name for p in ports} >= {"cartpole", "acrobot", "mountaincar", "mountaincar-continuous", "pendulum", "minatar-breakout"}
    assert [p for p in all_ports() if "rust" in p.backends] == ports
    for port in ports:
        single, vector = port.rust_classes
        assert isinstance(getattr(er, single), type) and isinstance(getattr(er, vector), type), port.name
        assert (crate / port.rust_source).is_file(), port.rust_source
    assert get_port("cartpole").rust_source == "src/classic_control/cartpole.rs"
    assert type(make_rust_single(get_port("pendulum"))) is er.Pendulum
    assert type(make_rust_single(get_port("minatar-freeway"))) is er.MinAtarFreeway


# ---------------------------------------------------------------------------
# vector env


def vec_actions(gid, rng, n, dtype=None):
    if gid in N_DISCRETE:
        return rng.integers(0, N_DISCRETE[gid], size=n).astype(dtype or np.int64)
    hi = 1.0 if gid == "MountainCarContinuous-v0" else 2.0
    return rng.uniform(-1.2 * hi, 1.2 * hi, size=(n, 1)).astype(np.float32)


def assert_done_mask(done, terminated, truncated):
    """A vector step's last output: the `terminated | truncated` buffer, or None when no env finished."""
    if (terminated | truncated).any():
        assert done is not None and done.dtype == np.bool_
        np.testing.assert_array_equal(done, terminated | truncated)
    else:
        assert done is None


def run_vec(gid, n, threads, steps, seed=11, act_seed=5, dtype=None):
    v = VEC[gid](n, seed, num_threads=threads)
    rng = np.random.default_rng(act_seed)
    out = [v.reset().copy()]
    for _ in range(steps):
        *res, done = v.step(vec_actions(gid, rng, n, dtype))
        assert_done_mask(done, res[2], res[3])
        out.append(tuple(x.copy() for x in res))
    return out


def outputs_equal(a, b):
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, tuple):
            if not all(np.array_equal(p, q) for p, q in zip(x, y)):
                return False
        elif not np.array_equal(x, y):
            return False
    return True


@pytest.mark.parametrize("gid", IDS)
def test_vec_thread_count_does_not_change_results(gid):
    n = 300  # above the parallel threshold
    assert n >= er.PAR_THRESHOLD
    steps = MAX_STEPS[gid] + 10  # at least one truncation per env
    a = run_vec(gid, n, 1, steps)
    b = run_vec(gid, n, 2, steps)
    c = run_vec(gid, n, None, steps)
    assert outputs_equal(a, b)
    assert outputs_equal(a, c)
    done = sum(int(np.count_nonzero(s[2] | s[3])) for s in a[1:])
    assert done > 0, "no auto-reset happened"


@pytest.mark.parametrize("gid", ["CartPole-v1", "Pendulum-v1"])
def test_vec_batch_independence(gid):
    """Env i's trajectory depends only on (seed, i) and its own actions, not on the batch size."""
    n_small, n_big, steps = 7, 300, 220
    rng = np.random.default_rng(0)
    acts = [vec_actions(gid, rng, n_big) for _ in range(steps)]
    small, big = VEC[gid](n_small, 4, num_threads=1), VEC[gid](n_big, 4, num_threads=2)
    assert np.array_equal(small.reset(), big.reset()[:n_small])
    for a in acts:
        rs = [x.copy() for x in small.step(a[:n_small])[:5]]
        rb = big.step(a)[:5]
        for x, y in zip(rs, rb):
            assert np.array_equal(x, y[:n_small])


@pytest.mark.parametrize("gid", IDS)
def test_vec_matches_single_env_with_same_step_autoreset(gid):
    """Each vec row behaves like a single env started from the same state; on episode end
    obs holds the new episode's first obs and final_obs the last obs of the old one."""
    n, steps = 6, MAX_STEPS[gid] + 30
    v = VEC[gid](n, 21, num_threads=1)
    v.reset()
    rng = np.random.default_rng(3)
    singles = []
    for i in range(n):
        st = v.get_state(i)
        if i == 1:
            st["time"] = MAX_STEPS[gid] - 3  # truncates soon
            v.set_state(i, st)
        e = SINGLE[gid]()
        e.set_state(st)
        singles.append(e)
    n_done = 0
    for t in range(steps):
        a = vec_actions(gid, rng, n)
        obs, rew, term, trunc, final, done = v.step(a)
        assert_done_mask(done, term, trunc)
        for i, e in enumerate(singles):
            ai = int(a[i]) if gid in N_DISCRETE else a[i]
            o, r, te, tr = e.step(ai)
            assert np.array_equal(final[i], o)
            assert (rew[i], term[i], trunc[i]) == (r, te, tr)
            if te or tr:
                n_done += 1
                st = v.get_state(i)
                assert st["time"] == 0
                e.set_state(st)  # continue from the vec env's fresh episode
                assert np.array_equal(obs[i], e.observation())
                assert not np.array_equal(obs[i], final[i])
            else:
                assert np.array_equal(obs[i], final[i])
                assert same_state(v.get_state(i), e.get_state())
    assert n_done >= 1


def test_vec_int32_and_int64_actions_agree():
    a = run_vec("Acrobot-v1", 40, 1, 60, dtype=np.int64)
    b = run_vec("Acrobot-v1", 40, 1, 60, dtype=np.int32)
    assert outputs_equal(a, b)


def test_vec_returns_internal_buffers():
    v = er.CartPoleVec(4, 0)
    obs0 = v.reset()
    obs1, rew1, te1, tr1, fin1, _ = v.step(np.zeros(4, dtype=np.int64))
    obs2, rew2, te2, tr2, fin2, _ = v.step(np.zeros(4, dtype=np.int64))
    assert obs0 is obs1 is obs2 and rew1 is rew2 and fin1 is fin2
    assert obs1.shape == (4, 4) and obs1.dtype == np.float32 and rew1.dtype == np.float64
    assert te1.dtype == np.bool_ and tr1.dtype == np.bool_ and fin1.shape == (4, 4)


def test_vec_step_writes_its_own_buffers_and_refuses_read_only_ones():
    """The vector env writes its arrays without rust-numpy's borrow tracking: the same arrays and the same two result
    tuples every step, the values written, and a buffer Python made read-only refused with a message, not written."""
    v = er.CartPoleVec(8, 0, num_threads=1)
    v.reset(seed=1)
    left = np.zeros(8, np.int64)
    first = v.step(left)
    before = first[0].copy()
    second = v.step(left)
    assert all(a is b for a, b in zip(first[:5], second[:5]))
    assert not np.array_equal(second[0], before)  # written in place
    ref = er.CartPoleVec(8, 0, num_threads=1)
    ref.reset(seed=1)
    ref.step(left)
    assert np.array_equal(ref.step(left)[0], second[0])
    # `done` (terminated | truncated) where an env finished, None where none did: pushing left ends every episode
    results = [v.step(left) for _ in range(40)]
    ends = [out for out in results if out[5] is not None]
    assert ends and any(out[5] is None for out in results)
    assert all(out[5] is ends[0][5] and out[5].dtype == np.bool_ for out in ends)
    last = v.step(left)
    assert last[5] is None or np.array_equal(last[5], last[2] | last[3]) and last[5].any()
    obs = last[0]
    obs.flags.writeable = False
    frozen = obs.copy()
    with pytest.raises(RuntimeError, match="internal obs buffer.*not writeable"):
        v.step(left)
    assert np.array_equal(obs, frozen)
    obs.flags.writeable = True
    assert v.step(left)[0] is obs


def test_vec_reset_seed_reproduces():
    v = er.MountainCarVec(5, seed=9)
    o1 = v.reset().copy()
    o2 = v.reset().copy()
    assert not np.array_equal(o1, o2)
    assert np.array_equal(v.reset(seed=9), o1)
    assert np.array_equal(er.MountainCarVec(5, 9).reset(), o1)


def test_vec_steps_release_the_gil_and_run_concurrently():
    vs = [er.PendulumVec(512, seed=s, num_threads=1) for s in range(2)]
    for v in vs:
        v.reset()
    acts = np.zeros((512, 1), dtype=np.float32)

    def work(v):
        for _ in range(150):
            v.step(acts)
        return v.get_state(0)["time"]

    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        times = list(ex.map(work, vs))
    assert times == [150, 150]


# ---------------------------------------------------------------------------
# errors are Python exceptions


@pytest.mark.parametrize("gid", ["CartPole-v1", "Acrobot-v1", "MountainCar-v0"])
def test_discrete_action_errors(gid):
    n = N_DISCRETE[gid]
    e = SINGLE[gid]()
    with pytest.raises(RuntimeError, match="reset"):
        e.step(0)
    e.reset(0)
    valid = {2: "0 and 1", 3: "0, 1 and 2"}[n]  # as a reader says it, not Rust's 0..=1
    for bad in (n, -1, 10**30):
        with pytest.raises(ValueError, match=r"action %d is outside Discrete\(%d\): valid actions are %s$" % (bad, n, valid)):
            e.step(bad)
    with pytest.raises(TypeError):
        e.step(0.5)
    with pytest.raises(TypeError):
        e.step("a")
    e.step(np.int64(n - 1))  # numpy ints are fine

    v = VEC[gid](4, 0)
    with pytest.raises(RuntimeError, match="reset"):
        v.step(np.zeros(4, dtype=np.int64))
    v.reset()
    with pytest.raises(ValueError, match="shape"):
        v.step(np.zeros(5, dtype=np.int64))
    with pytest.raises(ValueError, match="shape"):
        v.step(np.zeros((4, 2), dtype=np.int64))
    with pytest.raises(TypeError, match="dtype"):
        v.step(np.zeros(4, dtype=np.float32))
    with pytest.raises(TypeError):
        v.step([0, 0, 0, 0])
    with pytest.raises(ValueError, match=r"actions\[2\] = %d is outside Discrete\(%d\): valid actions are %s$" % (n, n, valid)):
        v.step(np.array([0, 0, n, 0], dtype=np.int64))
    with pytest.raises(ValueError, match=r"actions\[1\] = -1 is outside Discrete"):
        v.step(np.array([0, -1, 0, 0], dtype=np.int32))
    v.step(np.zeros(4, dtype=np.int32))


@pytest.mark.parametrize("gid", ["MountainCarContinuous-v0", "Pendulum-v1"])
def test_continuous_action_errors(gid):
    e = SINGLE[gid]()
    e.reset(0)
    with pytest.raises(TypeError, match="float32"):
        e.step(np.array([0.5], dtype=np.float64))
    with pytest.raises(ValueError, match="shape"):
        e.step(np.array([0.5, 0.5], dtype=np.float32))
    with pytest.raises(TypeError):
        e.step("x")
    e.step(0.5)
    e.step(np.array([0.5], dtype=np.float32))

    v = VEC[gid](4, 0)
    v.reset()
    with pytest.raises(TypeError, match="float32"):
        v.step(np.zeros((4, 1), dtype=np.float64))
    with pytest.raises(ValueError, match="shape"):
        v.step(np.zeros((3, 1), dtype=np.float32))
    with pytest.raises(ValueError, match="shape"):
        v.step(np.zeros((4, 2), dtype=np.float32))
    v.step(np.zeros((4, 1), dtype=np.float32))
    v.step(np.zeros((4, 1), dtype=np.float32)[::1])


@pytest.mark.parametrize("gid", IDS)
def test_state_dict_errors(gid):
    e = SINGLE[gid]()
    e.reset(0)
    st = e.get_state()
    with pytest.raises(KeyError, match="unknown state key 'bogus'"):
        e.set_state({**st, "bogus": 1.0})
    missing = dict(st)
    del missing[STATE_KEYS[gid][0]]
    with pytest.raises(KeyError, match="missing state key"):
        e.set_state(missing)
    with pytest.raises(TypeError):
        e.set_state({**st, STATE_KEYS[gid][0]: "abc"})
    with pytest.raises(TypeError):
        e.set_state({**st, "time": 1.5})
    with pytest.raises(ValueError, match="time"):
        e.set_state({**st, "time": -1})
    with pytest.raises(TypeError):
        e.set_state([1, 2, 3])
    assert same_state(e.get_state(), st), "failed set_state must not change the state"
    v = VEC[gid](2, 0)
    v.reset()
    with pytest.raises(IndexError):
        v.get_state(2)
    with pytest.raises(IndexError):
        v.set_state(-3, st)
    v.set_state(-1, st)
    assert same_state(v.get_state(1), st)


def test_none_sentinels_and_reset_det_errors():
    e = er.CartPole()
    e.reset(0)
    st = e.get_state()
    assert st["steps_beyond_terminated"] == -1
    e.set_state({**st, "steps_beyond_terminated": None})
    assert e.get_state()["steps_beyond_terminated"] == -1
    with pytest.raises(TypeError, match="None"):
        e.set_state({**st, "x": None})
    p = er.Pendulum()
    p.reset(0)
    assert math.isnan(p.get_state()["last_u"])
    p.set_state({**p.get_state(), "last_u": None})
    with pytest.raises(ValueError, match="4 reset draws"):
        e.reset_det(np.zeros(3))
    with pytest.raises(TypeError, match="float64"):
        e.reset_det(np.zeros(4, dtype=np.float32))
    with pytest.raises(TypeError):
        e.reset_det("abcd")
    assert np.array_equal(e.reset_det([0.5] * 4), np.zeros(4, dtype=np.float32))


def test_rust_panics_become_runtime_errors():
    with pytest.raises(RuntimeError, match="Rust panic"):
        er._debug_panic()
    with pytest.raises(RuntimeError, match="Rust panic"):
        er._debug_panic(detached=True)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="num_envs"):
        er.CartPoleVec(0, 0)
    with pytest.raises(ValueError, match="num_threads"):
        er.CartPoleVec(4, 0, num_threads=0)
    with pytest.raises(OverflowError):
        er.CartPoleVec(4, -1)
    assert er.CartPoleVec(4, 0, num_threads=3).num_threads == 3
