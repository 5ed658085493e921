"""Every registered port: its JAX translation obeys the contract and agrees with the real reference."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs import all_ports
from verify.contract import check_contract
from verify.lockstep import Lockstep
from verify.properties import check_properties
from verify.rollouts import check_rollouts

PORTS = all_ports()
IDS = [p.name for p in PORTS]

# The MinAtar games compile for minutes each on 2 cores (every jit of a step is a whole game),
# so the suite checks them lightly here; `envport verify minatar-<game>` runs every level in
# full (figures in docs/minatar.md) and tests/test_minatar*.py test each game's mechanics.
GAMES = {p.name for p in PORTS if p.name.startswith("minatar-")}
IN_FULL_ELSEWHERE = "MinAtar game: {level} takes minutes per game on 2 cores; `envport verify` runs it in full (docs/minatar.md)"


def _light(lock) -> bool:
    return lock.port.name in GAMES


@pytest.fixture(scope="module", params=PORTS, ids=IDS)
def lock(request):
    return Lockstep(request.param)


def _explain(result):
    return "\n".join(f["message"] for f in result.failures)


def test_contract_L0(lock):
    result = check_contract(lock.port, lock.env, lock.ref)
    assert result.passed, _explain(result)
    assert result.checks >= 10


def test_properties_L1(lock):
    examples = 20 if _light(lock) else 60
    result = check_properties(lock, max_examples=examples, seed=1, harvest=8 if _light(lock) else 32)
    assert result.passed, _explain(result)
    assert result.checks >= examples  # the examples, then the edge landings
    has_edges = any(f.edges and f.kind == "float" and not f.shape for f in lock.port.state_fields)
    assert any("edge landings" in note for note in result.notes) == has_edges, result.notes


def test_rollouts_L3(lock):
    result = check_rollouts(lock, episodes=1 if _light(lock) else 4, seed=2)
    assert result.passed, _explain(result)
    assert result.checks >= (2 if _light(lock) else 8)


def test_reset_draws_drive_the_reference_to_the_same_initial_state(lock):
    draws = jax.tree.map(np.asarray, lock.env.sample_reset_draws(jax.random.PRNGKey(3), lock.params))
    ref = lock.reference_reset(draws)
    ours = lock.translation_reset(draws)
    for f in lock.port.state_fields:
        np.testing.assert_array_equal(ref.state[f.name], ours.state[f.name], err_msg=f.name)
    np.testing.assert_array_equal(ref.obs, ours.obs)


def test_time_limit_truncates_and_auto_resets_with_final_obs(lock):
    """At the last allowed step: truncated, the next episode's state returned, the last obs in info."""
    if "time" not in {f.name for f in lock.port.state_fields}:
        pytest.skip(f"{lock.port.name} has no step limit: it truncates on its own rules ({lock.port.time_limit})")
    env, params = lock.env, lock.params
    _, state = env.reset(jax.random.PRNGKey(0), params)
    state = state.replace(time=jnp.asarray(lock.port.max_episode_steps - 1, state.time.dtype))
    action = env.action_space(params).sample(jax.random.PRNGKey(1))
    draws = env.sample_draws(jax.random.PRNGKey(2), state, params)
    obs, new_state, _, _, truncated, info = jax.jit(env.step_det)(state, action, draws, params)
    assert bool(truncated)
    assert int(new_state.time) == 0
    reset_obs, _ = env.reset_det(draws["reset"], params)
    np.testing.assert_array_equal(obs, reset_obs)
    last_obs, *_ = env.step_env_det(state, action, draws, params)
    np.testing.assert_array_equal(info["final_obs"], last_obs)


def test_batched_envs_are_independent_under_vmap(lock):
    """Changing environment j's action leaves environment i's step unchanged."""
    env, params = lock.env, lock.params
    keys = jax.random.split(jax.random.PRNGKey(4), 4)
    _, states = jax.vmap(env.reset, in_axes=(0, None))(keys, params)
    step = jax.jit(jax.vmap(env.step, in_axes=(0, 0, 0, None)))
    space = env.action_space(params)
    actions = jax.vmap(space.sample)(keys)
    other = actions.at[1].set(space.sample(jax.random.PRNGKey(99)))
    a = step(keys, states, actions, params)
    b = step(keys, states, other, params)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)):
        np.testing.assert_array_equal(np.asarray(x)[0], np.asarray(y)[0])
        np.testing.assert_array_equal(np.asarray(x)[2:], np.asarray(y)[2:])


def test_interaction_L2(lock):
    from verify.interaction import check_interaction

    if _light(lock):
        pytest.skip(IN_FULL_ELSEWHERE.format(level="L2 (eager against jit, every step)"))

    result = check_interaction(lock, programs=8, steps_per_program=10, seed=3)
    assert result.passed, _explain(result)
    assert result.checks >= 8


def test_draw_distribution_matches_the_reference_generator(lock):
    from verify.distribution import check_distribution

    result = check_distribution(lock, samples=20_000, seed=4)
    assert result.passed, _explain(result)
    reset_elements = sum(int(np.prod(d.shape)) for d in lock.port.draws_for("reset"))
    reset_p = result.data.get("p_values", {})
    # one test per element, and for a permutation also one per pair of neighbouring positions ('deck0[3, 4]'); an
    # element the reference drew too seldom for a chi-square (UNO's reshuffles after a flipped wild_draw_4) is listed
    reset_names = {d.name for d in lock.port.draws_for("reset")}
    too_few = [k for k in result.data.get("too_few_samples", {}) if k.split("[")[0] in reset_names]
    tested = len([k for k in reset_p if ", " not in k])
    if not too_few:
        assert tested == reset_elements
    else:  # the reset's first draw is made every reset: all of it is tested (a rare one may not be drawn at all)
        assert tested + len(too_few) <= reset_elements
        assert not [k for k in too_few if k.split("[")[0] == lock.port.draws_for("reset")[0].name]
    step = result.data.get("step", {})
    assert result.checks == len(reset_p) + len(step.get("p_values", {})) + len(step.get("joint_p_values", {}))
    if lock.port.draws_for("step"):  # D samples every step draw from visited states, and tests those drawn often enough
        # an up_to draw is sampled and tested element by element (name[j])
        assert set(step["samples"]) == {e.name for d in lock.port.draws_for("step") for e in d.elements()}
        assert step["p_values"]


def test_float32_production_build_agrees_within_float32_tolerance(lock):
    from verify.float32 import run_float32_check

    if _light(lock):
        pytest.skip(IN_FULL_ELSEWHERE.format(level="F32 (a second compilation in float32)"))

    result = run_float32_check(lock.port.name, samples=100, seed=5)
    assert result.passed, _explain(result)
    assert result.checks == 100
    assert result.data["drift"]["steps"], "the drift series is measured"
