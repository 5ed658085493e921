"""PPO: configuration, GAE, the JAX trainer (through `envport train`), the host trainer over Rust, data parallelism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
from typer.testing import CliRunner

from envs import get_port
from envs.rust_backend import rust_available
from ppo.config import ConfigError, PPOConfig, default_config_path, load_config, parse_overrides
from ppo import network
from ppo.update import Transition, episode_returns, gae

ROOT = Path(__file__).resolve().parents[1]
RANDOM_CARTPOLE_RETURN = 22.0  # mean episode return of uniformly random actions on CartPole-v1


def test_cartpole_config_is_purejaxrl_s():
    config = load_config(default_config_path("cartpole"))
    assert (config.num_envs, config.num_steps, config.total_timesteps) == (4, 128, 500_000)
    assert (config.update_epochs, config.num_minibatches, config.hidden, config.activation) == (4, 4, (64, 64), "tanh")
    assert (config.lr, config.gamma, config.gae_lambda, config.clip_eps) == (2.5e-4, 0.99, 0.95, 0.2)
    assert (config.ent_coef, config.vf_coef, config.max_grad_norm, config.anneal_lr) == (0.01, 0.5, 0.5, True)
    assert (config.num_updates, config.minibatch_size) == (976, 128)


def test_config_overrides_and_bad_input(tmp_path):
    assert load_config(None, parse_overrides(["lr=1e-3", "num_envs=8", "hidden=32,32", "anneal_lr=false"])) == PPOConfig(
        lr=1e-3, num_envs=8, hidden=(32, 32), anneal_lr=False
    )
    for overrides, message in [
        ({"learning_rate": "1"}, "unknown PPO setting"),
        ({"num_envs": "four"}, "num_envs"),
        ({"num_minibatches": "3"}, "must divide"),
        ({"total_timesteps": "100"}, "less than one rollout"),
    ]:
        with pytest.raises(ConfigError, match=message):
            load_config(None, overrides)
    bad = tmp_path / "bad.toml"
    bad.write_text("num_envs = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")


def test_gae_matches_a_hand_computation():
    # one env, three steps, the episode ends at the second step
    reward, value, done = [1.0, 2.0, 3.0], [0.5, 1.0, 1.5], [False, True, False]
    last_value, gamma, lam = 2.0, 0.9, 0.8
    col = lambda xs, dtype=jnp.float32: jnp.asarray(xs, dtype)[:, None]
    traj = Transition(col([0.0] * 3), col([0, 0, 0], jnp.int32), col([0.0] * 3), col(value), col(reward), col(done, bool))
    adv, targets = gae(traj, jnp.asarray([last_value]), gamma, lam)
    d2 = 3.0 + gamma * last_value - 1.5
    d1 = 2.0 - 1.0  # done: no bootstrap
    d0 = 1.0 + gamma * 1.0 - 0.5
    expected = [d0 + gamma * lam * d1, d1, d2]
    np.testing.assert_allclose(np.asarray(adv[:, 0]), expected, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(targets[:, 0]), np.asarray(expected) + value, rtol=1e-6)


def test_episode_returns_sum_only_the_episodes_that_ended():
    # two envs, three steps: env 0 ends at steps 1 and 2, env 1 never ends
    reward = jnp.asarray([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    done = jnp.asarray([[False, False], [True, False], [True, False]])
    ep_return, return_sum, episodes = episode_returns(jnp.asarray([10.0, 1.0]), reward, done)
    np.testing.assert_allclose(np.asarray(ep_return), [0.0, 16.0])
    assert float(return_sum) == (10.0 + 1.0 + 2.0) + 4.0 and int(episodes) == 2


def test_sampling_from_noise_follows_the_policy():
    import jax

    discrete = network.ActionSpec(True, n=3)
    logits = jnp.log(jnp.asarray([0.2, 0.5, 0.3]))
    u = network.noise(discrete, jax.random.PRNGKey(0), (20000,))
    counts = np.bincount(np.asarray(network.sample_from_noise(discrete, logits, u)), minlength=3)
    np.testing.assert_allclose(counts / 20000, [0.2, 0.5, 0.3], atol=0.015)
    # the inverse CDF at its edges: u = 0 gives the first action, u just below 1 the last
    edges = network.sample_from_noise(discrete, logits, jnp.asarray([0.0, 0.2, 0.7, 1.0 - 1e-7]))
    assert np.asarray(edges).tolist() == [0, 1, 2, 2]
    box = network.ActionSpec(False, shape=(2,))
    mean, log_std = jnp.asarray([1.0, -2.0]), jnp.log(jnp.asarray([0.5, 2.0]))
    z = network.noise(box, jax.random.PRNGKey(1), (20000,))
    a = np.asarray(network.sample_from_noise(box, (jnp.broadcast_to(mean, z.shape), jnp.broadcast_to(log_std, z.shape)), z))
    np.testing.assert_allclose(a.mean(0), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(a.std(0), [0.5, 2.0], rtol=0.03)


def test_several_seeds_of_a_minatar_game_train_to_the_end(tmp_path):
    # vmap over seeds hung here (compiled, then the CPU idle); the seeds now run one after another.
    # A subprocess with a time limit, so that a hang fails the test instead of stalling the suite.
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "recipe.cli", "train", "minatar-breakout", "--seeds", "2", "--out", str(out), "--eval-episodes", "2",
           "--set", "num_envs=8", "--set", "num_steps=16", "--set", "num_minibatches=2", "--set", "total_timesteps=384"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seeds"] == [0, 1] and summary["env_steps"] == 2 * 3 * 128
    assert len(summary["evaluation"]["mean_return"]) == 2


def test_train_command_learns_cartpole_and_writes_its_outputs(tmp_path):
    from recipe.cli import app

    out = tmp_path / "run"
    args = ["train", "cartpole", "--seeds", "2", "--set", "total_timesteps=40960", "--eval-episodes", "4", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for name in ("curve.csv", "curve.png", "policy.msgpack", "policy.json", "summary.json"):
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seeds"] == [0, 1] and summary["env_steps"] == 2 * 80 * 512
    # 80 updates lift both seeds far above random play, in training and in the greedy evaluation
    assert min(summary["final_training_return"]) > 3 * RANDOM_CARTPOLE_RETURN, summary
    assert min(summary["evaluation"]["mean_return"]) > 3 * RANDOM_CARTPOLE_RETURN, summary
    per_seed = ", ".join(f"{v:.4g}" for v in summary["evaluation"]["mean_return"])
    assert f"(per seed {per_seed})" in " ".join(result.output.split()), result.output  # the summary's figures, not rounded away
    rows = (out / "curve.csv").read_text().splitlines()
    assert rows[0] == "step,mean,std,min,max,seed_0,seed_1" and len(rows) == 81
    from ppo.policy_io import load_policy

    params, config, meta = load_policy(out)
    assert config.total_timesteps == 40960 and meta["env"] == "cartpole"
    assert np.asarray(params["params"]["Dense_0"]["kernel"]).shape == (2, 4, 64)  # one policy per seed


@pytest.mark.parametrize("args, message", [
    (["--backend", "pytorch"], "unknown backend"),
    (["--set", "lr=fast"], "lr"),
    (["--config", "missing.toml"], "does not exist"),
    (["--backend", "rust", "--devices", "2"], "jax backend only"),
])
def test_train_command_rejects_bad_input(args, message):
    from recipe.cli import app

    result = CliRunner().invoke(app, ["train", "cartpole", *args])
    assert result.exit_code == 2 and message in result.output, result.output


@pytest.mark.skipif(not rust_available(), reason="the Rust extension is not built (bash setup.sh builds it)")
def test_ppo_over_the_rust_vector_env_learns():
    from ppo.training import run_training

    config = load_config(default_config_path("cartpole"), {"total_timesteps": 20480})
    result = run_training(get_port("cartpole"), "rust", config, [0, 1])
    assert result.returns().shape == (2, 40)
    assert min(result.final_returns()) > 2 * RANDOM_CARTPOLE_RETURN, result.final_returns()


SHARDED = textwrap.dedent("""
    import json, sys, jax, numpy as np
    from envs import get_port
    from ppo.config import load_config, default_config_path
    from ppo.jax_trainer import mean_returns
    from ppo.parallel import train_sharded
    env = get_port("cartpole").make_jax()
    config = load_config(default_config_path("cartpole"), {"num_envs": 8, "num_steps": 64, "total_timesteps": 40960})
    learner, metrics = train_sharded(config, env, [0, 1], jax.devices())  # each seed's 8 envs split 4 + 4
    returns = np.asarray(mean_returns(metrics))
    out = {"devices": len(jax.devices()), "shape": list(returns.shape), "final": np.nanmean(returns[:, -5:], axis=1).tolist(),
           "kernel": list(np.asarray(learner.params["params"]["Dense_0"]["kernel"]).shape)}
    print(json.dumps(out))
""")


def test_two_host_devices_learn_like_one():
    """Environments split over two forced host devices, gradients averaged: the single-device layout of results
    (one policy per seed, per-update metrics) and a learning outcome far above random play. (One device is the
    trainer tested above; the throughput comparison of the layouts is measured in docs/ppo.md.)"""
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", SHARDED], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["devices"] == 2
    assert result["shape"] == [2, 80] and result["kernel"] == [2, 4, 64]
    assert min(result["final"]) > 3 * RANDOM_CARTPOLE_RETURN, result


def test_bench_chart_draws_every_backend_and_mode(tmp_path):
    from ppo.bench_ppo import plot_bench

    rows = [
        {"backend": "reference", "mode": "random", "batch_size": 1, "steps_per_second": 1e5},
        {"backend": "rust", "mode": "random", "batch_size": 32, "steps_per_second": 1e6},
        {"backend": "rust", "mode": "random", "batch_size": 128, "steps_per_second": 3e6},
        {"backend": "rust", "mode": "ppo", "batch_size": 4, "steps_per_second": 2e4},
        {"backend": "reference", "mode": "ppo", "batch_size": 4, "steps_per_second": None, "skipped": "not measured"},
    ]
    path = tmp_path / "bench.png"
    plot_bench(path, rows, "test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_bench_ppo_compares_backends_at_each_batch_size(monkeypatch):
    """The ratios of one run: each PPO row against PPO over the reference at the same batch size (training faked here;
    the trainers themselves are tested above)."""
    import ppo.bench_ppo as bench_ppo_module

    rates = {"reference": 1000.0, "rust": 2500.0, "jax": 9000.0}
    calls = []

    class Result:
        def __init__(self, backend, config):
            calls.append((backend, config.num_envs, config.num_updates))
            self.steps_per_second = rates[backend] * config.num_envs

    monkeypatch.setattr(bench_ppo_module, "run_training", lambda port, backend, config, seeds, **kw: Result(backend, config))
    rows = bench_ppo_module.bench_ppo(get_port("cartpole"), ("reference", "rust", "jax", "gymnax"), batch_sizes=(4, 1024), updates=3)
    by = {(r["backend"], r["batch_size"]): r for r in rows}
    assert ("gymnax", 4) not in by  # random actions only
    assert by[("reference", 1024)]["skipped"] and by[("reference", 1024)]["steps_per_second"] is None
    assert by[("reference", 4)]["ratio_to_reference"] == 1.0
    assert by[("rust", 4)]["ratio_to_reference"] == pytest.approx(2.5) and by[("jax", 4)]["ratio_to_reference"] == pytest.approx(9.0)
    assert by[("rust", 1024)]["ratio_to_reference"] is None  # no reference to compare with at that size
    # the host trainers run one untimed update more than the timed ones; JAX compiles separately
    assert ("rust", 4, 4) in calls and ("jax", 4, 3) in calls


def test_seeds_batched_train_as_each_seed_alone():
    """`over_seeds` vmaps the runs (initialisations one after another, docs/stall/): each seed's numbers are those of
    the seed trained alone, to float32 round-off (a batched matrix product rounds a little differently)."""
    import jax

    from ppo.jax_trainer import make_train, train_seeds

    env = get_port("cartpole").make_jax()
    config = load_config(default_config_path("cartpole"), {"total_timesteps": 2048, "num_steps": 64})
    learners, metrics = train_seeds(config, env, [3, 4])
    for i, seed in enumerate((3, 4)):
        alone, alone_metrics = jax.jit(make_train(config, env))(jax.random.PRNGKey(seed))
        for got, want in zip(jax.tree.leaves(learners.params), jax.tree.leaves(alone.params)):
            np.testing.assert_allclose(np.asarray(got)[i], np.asarray(want), rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(np.asarray(metrics["return_sum"])[i], np.asarray(alone_metrics["return_sum"]), rtol=1e-9)
    assert not np.allclose(np.asarray(jax.tree.leaves(learners.params)[0])[0], np.asarray(jax.tree.leaves(learners.params)[0])[1])
