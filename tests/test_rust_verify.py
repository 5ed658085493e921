"""The Rust translations pass the verifier (L0, D, L1, L2, L3) through `verify_port(backend="rust")`."""

import pytest

from envs import all_ports
from envs.rust_backend import rust_available
from verify.runner import VerifyOptions, verify_port

pytestmark = pytest.mark.skipif(not rust_available(), reason="envport_rust is not built (bash setup.sh builds it)")


@pytest.mark.parametrize("port", [p for p in all_ports() if "rust" in p.backends], ids=lambda p: p.name)
def test_rust_translation_passes_every_level(port):
    report = verify_port(port, ("L0", "D", "L1", "L2", "L3", "F32"), VerifyOptions(examples=40, episodes=4), backend="rust")
    assert report.passed, report.first_failure()
    assert report.levels["F32"].skipped_reason and "float64" in report.levels["F32"].skipped_reason
    assert report.levels["L2"].checks == 4 and report.levels["L3"].checks > 8


def test_rust_vector_env_is_a_gymnasium_vector_env_with_same_step_autoreset():
    import gymnasium
    import numpy as np

    env = gymnasium.make_vec("envport/CartPole-v1", num_envs=64, vectorization_mode="vector_entry_point")
    assert env.metadata["autoreset_mode"] == gymnasium.vector.AutoresetMode.SAME_STEP
    obs, _ = env.reset(seed=3)
    assert obs.shape == (64, 4) and obs.dtype == np.float32
    for _ in range(100):
        obs, reward, terminated, truncated, info = env.step(np.zeros(64, np.int64))
        if info:
            done = terminated | truncated
            np.testing.assert_array_equal(info["_final_obs"], done)
            # pushing left always ends by the cart leaving the track or the pole falling: the final obs is out of bounds
            final = info["final_obs"][done]
            assert np.all((np.abs(final[:, 0]) > 2.4) | (np.abs(final[:, 2]) > 0.2094))
            assert np.all(np.abs(obs[done]) <= 0.05)  # the new episode's first observation
            break
    else:
        pytest.fail("no episode ended in 100 steps of pushing left")


def test_rust_vector_env_step_checks_actions_and_gives_a_new_info_each_step():
    """The wrapper leaves the dtype check to Rust but still words it for the port, converts lists, and hands out a
    new info dict each step (Gymnasium's wrappers add keys to the info they get)."""
    import numpy as np

    from envs import get_port
    from envs.rust_backend import make_rust_vector

    env = make_rust_vector(get_port("cartpole"), 4, seed=0, num_threads=1)
    env.reset(seed=0)
    with pytest.raises(TypeError, match="actions for CartPole-v1 must be integers, got dtype float64"):
        env.step(np.zeros(4))
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros(3, np.int64))
    infos = []
    for _ in range(30):
        obs, _, terminated, truncated, info = env.step([0, 0, 0, 0])
        info["added_by_a_wrapper"] = True
        infos.append(info)
    assert obs.shape == (4, 4) and len({id(i) for i in infos}) == len(infos)
    ended = [i for i in infos if "final_obs" in i]
    assert ended and all(set(i) == {"final_obs", "_final_obs", "final_info", "_final_info", "added_by_a_wrapper"} for i in ended)
    assert all(set(i) == {"added_by_a_wrapper"} for i in infos if "final_obs" not in i)
