"""`envport bench`'s machinery: settings, baselines, backends taking turns, the cheap integer draw."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from typer.testing import CliRunner

from envs import get_port
from envs.jax_env import randint
from ppo.bench import Prepared, measure, with_settings
from recipe.cli import app

runner = CliRunner()


def test_backends_take_turns_in_each_repeat():
    calls = []

    def backend(name):
        return Prepared(lambda: calls.append(name) or 10, 4)

    rates = measure({"a": backend("a"), "b": backend("b")}, repeats=3)
    assert calls == ["a", "b", "a", "b", "a", "b"]
    assert [len(r) for r in rates.values()] == [3, 3] and all(x > 0 for r in rates.values() for x in r)


def test_settings_are_typed_from_the_params_and_unknown_ones_named():
    params = get_port("cartpole").make_jax().default_params
    changed, missing = with_settings(params, {"gravity": "3.5"}, "cartpole")
    assert changed.gravity == 3.5 and isinstance(changed.gravity, float) and missing == []
    with pytest.raises(ValueError, match="cartpole has no setting sticky_action_prob; its settings: .*gravity"):
        with_settings(params, {"sticky_action_prob": "0"}, "cartpole")
    assert with_settings(params, {"nope": 1}, "gymnax", strict=False)[1] == ["nope"]
    with pytest.raises(ValueError, match="gravity must be a float, got 'heavy'"):
        with_settings(params, {"gravity": "heavy"}, "cartpole")


def test_bench_compares_with_a_baseline_at_the_same_batch_size(tmp_path):
    path = tmp_path / "bench.json"
    args = ["bench", "cartpole", "--backend", "jax,gymnax", "--batch-sizes", "8,16", "--repeats", "1", "--budget", "2000"]
    result = runner.invoke(app, [*args, "--baseline", "gymnax", "--set", "gravity=9.8", "--json", str(path)])
    assert result.exit_code == 0, result.output
    assert "x gymnax" in result.output and "settings: gravity=9.8" in result.output
    rows = {(r["backend"], r["batch_size"]): r for r in json.loads(path.read_text())["rows"]}
    for size in (8, 16):
        assert rows[("gymnax", size)]["ratio_to_baseline"] == 1.0
        expected = rows[("jax", size)]["steps_per_second"] / rows[("gymnax", size)]["steps_per_second"]
        assert rows[("jax", size)]["ratio_to_baseline"] == pytest.approx(expected)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--set", "sticky_action_prob=0"], "has no setting sticky_action_prob"),
        (["--set", "gravity"], "is not NAME=VALUE"),
        (["--baseline", "rust"], "--baseline rust is not among the backends measured"),
    ],
)
def test_bench_rejects_bad_settings_and_baselines(extra, message):
    result = runner.invoke(app, ["bench", "cartpole", "--backend", "jax", "--batch-sizes", "8", *extra])
    assert result.exit_code == 2 and message in result.output


def test_randint_covers_its_range_evenly_with_a_traced_upper_bound():
    draw = jax.jit(jax.vmap(lambda k, high: randint(k, (), 0, high)))
    keys = jax.random.split(jax.random.PRNGKey(0), 60_000)
    values = np.asarray(draw(keys, jnp.full(60_000, 6)))
    assert values.min() == 0 and values.max() == 5
    counts = np.bincount(values, minlength=6)
    assert np.all(np.abs(counts - 10_000) < 450), counts  # about 4.5 standard deviations
    shifted = np.asarray(randint(jax.random.PRNGKey(1), (1000,), 1, 9))
    assert set(shifted.tolist()) == set(range(1, 9))


@pytest.mark.parametrize("name", ["cartpole", "minatar-breakout"])
def test_the_ceiling_steps_the_translations_own_physics_with_auto_reset(name):
    from ppo.ceiling import ceiling_env

    port = get_port(name)
    env, batch = port.make_jax(), 32
    params = env.default_params.replace(max_steps_in_episode=25)
    reset, step = ceiling_env(port, env, params, batch)
    step = jax.jit(step)
    # Breakout's step draws include integers: the ceiling samples them with the port's sampler.
    no_step_draws = not port.draws_for("step")
    own = jax.jit(jax.vmap(lambda s, a: env.step_env_det(s, a, {"step": {}, "reset": {}}, params))) if no_step_draws else None
    obs, states = jax.jit(reset)(jax.random.PRNGKey(0))
    assert obs.shape == (batch, *env.observation_space(params).shape)
    resets = 0
    for i in range(60):
        actions = jax.random.randint(jax.random.PRNGKey(100 + i), (batch,), 0, env.action_space(params).n)
        obs, new, reward, terminated, truncated, info = step(jax.random.PRNGKey(i), states, actions)
        assert info == {}  # an unmasked port: nothing but its mask would be there
        done = np.asarray(terminated | truncated)
        assert np.array_equal(np.asarray(new.time), np.where(done, 0, np.asarray(states.time) + 1))
        assert np.array_equal(np.asarray(truncated), np.asarray(states.time) + 1 >= 25)
        assert np.array_equal(np.asarray(obs), np.asarray(jax.vmap(lambda s: env.get_obs(s, params))(new)))
        if own is not None:  # where nothing ended, exactly the translation's step
            _, want, want_reward, want_terminated, _ = own(states, actions)
            for got_leaf, want_leaf in zip(jax.tree.leaves(new), jax.tree.leaves(want)):
                assert np.array_equal(np.asarray(got_leaf)[~done], np.asarray(want_leaf)[~done])
            assert np.array_equal(np.asarray(reward), np.asarray(want_reward)) and np.array_equal(np.asarray(terminated), np.asarray(want_terminated))
        resets += int(done.sum())
        states = new
    assert resets >= batch  # every environment reset at least once (25-step limit, 60 steps)
