"""The Rust card games seen from seat 0 (`rust_envs/src/games/seated.rs`): what host PPO trains on.

Every step is seat 0's: the other seat acts inside `step` (uniformly random legal) until seat 0's turn or the end;
the reward is seat 0's payoff when the game ends, 0 before; a game that ends before seat 0 acts is dealt again.
"""

import numpy as np
import pytest

from envs import get_port

pytest.importorskip("envport_rust", reason="the Rust extension is not built: `bash setup.sh` builds it")

# port -> the state field that names the seat to act
GAMES = {"rlcard-leduc-holdem": "game_pointer", "rlcard-limit-holdem": "game_pointer", "rlcard-uno": "current_player"}


def _seated(name, num_envs, **kw):
    from envs.rust_backend import make_rust_vector

    try:
        return make_rust_vector(get_port(name), num_envs, seed=3, seated=True, **kw)
    except LookupError as exc:
        pytest.skip(f"this build of envport_rust predates the seated classes ({exc}): rebuild with `bash setup.sh`")


@pytest.mark.parametrize("name", sorted(GAMES))
@pytest.mark.parametrize("threads", [1, 2])
def test_every_step_is_seat_zeros_and_rewards_are_its_payoffs(name, threads):
    """300 envs (over the parallel threshold with 2 threads) under random legal play for 40 steps: every env that did
    not end is at seat 0's turn, rewards are 0 except when a game ends, and the mean payoff is a random seat's."""
    vec = _seated(name, 300, num_threads=threads)
    rng, actions = np.random.default_rng(0), np.zeros(300, np.int64)
    obs, info = vec.reset()
    payoffs = []
    for _ in range(40):
        assert info["action_mask"].any(axis=1).all()
        vec.rust.sample_legal(rng.random(300), actions)
        obs, reward, terminated, truncated, info = vec.step(actions)
        done = terminated | truncated
        assert not truncated.any()
        assert (reward[~done] == 0).all()
        payoffs.extend(reward[done].tolist())
        for i in np.flatnonzero(~done)[:5]:
            assert int(vec.rust.get_state(int(i))[GAMES[name]]) == 0
    assert len(payoffs) > 300
    assert all(p != 0 for p in payoffs) or name != "rlcard-uno"  # UNO has no draws: +-1
    # random against random: the seat-0 mean is near zero (UNO +-1 a game; the hold'em games a few big blinds)
    assert abs(np.mean(payoffs)) < 0.3, np.mean(payoffs)


def test_the_seated_env_is_deterministic_for_a_seed():
    """The same seed gives the same games whatever the threads: each env's opponents draw from its own generator."""
    a, b = _seated("rlcard-uno", 300, num_threads=2), _seated("rlcard-uno", 300, num_threads=1)
    actions = np.zeros(300, np.int64)
    np.testing.assert_array_equal(a.reset()[0], b.reset()[0])
    for t in range(50):
        a.rust.sample_legal(np.random.default_rng(t).random(300), actions)
        ra, rb = a.step(actions), b.step(actions.copy())
        for x, y in zip(ra[:4], rb[:4]):
            np.testing.assert_array_equal(x, y)


def test_host_training_uses_the_seated_env_for_a_port_that_trains_from_a_seat():
    from ppo.vector_envs import make_host_vector

    port = get_port("rlcard-limit-holdem")
    assert port.extra.get("train_env") is not None
    vec = make_host_vector(port, "rust", 4, seed=0)
    assert type(vec.rust).__name__ == "RlcardLimitHoldemSeatedVec"
    assert type(make_host_vector(get_port("brinewatch"), "rust", 4, seed=0).rust).__name__ == "BrinewatchVec"


def test_the_reference_backend_refuses_a_port_that_trains_from_a_seat():
    """Its Gymnasium face plays every seat: PPO on it would learn both sides, so it is refused, naming the fix."""
    from ppo.vector_envs import make_host_vector

    with pytest.raises(ValueError, match="--backend jax or --backend rust"):
        make_host_vector(get_port("rlcard-limit-holdem"), "reference", 2)
