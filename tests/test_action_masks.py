"""Legal-action masks in the verifier, and draws whose number and range vary within a step ('index' and
up_to draws, permutations), on the test port `maskwalk` (tests/data/mask_ports) and mutants of it."""

from __future__ import annotations

import os
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs import jax_random
from envs.jax_env import int_dtype, uniform_index
from envs.registry import PORTS_ENV
from envs.spec import DrawSpec
from verify.compare import StepOutcome, compare_masks, compare_outcomes
from verify.draw_samples import Call, RecordingGenerator
from verify.tape import TapeError, TapeGenerator, match_draws, tape_for

PORTS = Path(__file__).parent / "data" / "mask_ports"
PICKS = DrawSpec("picks", "index", (3,), "step", up_to=True)
BONUS = DrawSpec("bonus", "uniform", (), "step")


# ----- the tape: index and up_to draws --------------------------------------------------------------


def test_an_up_to_index_draw_answers_as_many_ranged_calls_as_the_reference_makes():
    tape = TapeGenerator([(PICKS, np.array([0.1, 0.99, 0.5])), (BONUS, np.asarray(0.3))])
    assert tape.integers(0, 5) == 0  # floor(0.1 * 5)
    assert tape.integers(2, 4) == 3  # 2 + floor(0.99 * 2)
    assert tape.random() == 0.3  # the third element is left unused: the tape moves on to the next draw
    tape.finish()
    assert tape.used == ["picks[0]", "picks[1]", "bonus"]


def test_an_up_to_draw_may_go_wholly_unused_but_not_overdrawn():
    tape = TapeGenerator([(PICKS, np.array([0.1, 0.2, 0.3])), (BONUS, np.asarray(0.3))])
    tape.random()
    tape.finish()
    tape = TapeGenerator([(PICKS, np.array([0.1, 0.2, 0.3])), (BONUS, np.asarray(0.3))])
    for _ in range(3):
        tape.integers(0, 4)
    with pytest.raises(TapeError, match="holds uniform numbers, which do not answer it"):
        tape.integers(0, 4)  # a fourth call: the translation sampled too few


def test_an_index_draw_answers_choice_and_refuses_permutations_and_values_outside_0_1():
    assert TapeGenerator([(DrawSpec("i", "index", (), "step"), np.asarray(0.7))]).choice(["a", "b", "c"]) == "c"
    with pytest.raises(TapeError, match="do not answer it"):
        TapeGenerator([(DrawSpec("i", "index", (4,), "step"), np.full(4, 0.5))]).permutation(4)
    with pytest.raises(TapeError, match=r"outside \[0, 1\)"):
        TapeGenerator([(DrawSpec("i", "index", (), "step"), np.asarray(1.0))]).integers(0, 3)


def test_the_recorder_records_the_uniform_an_index_draw_stands_for():
    recorder = RecordingGenerator(np.random.default_rng(0))
    values = [recorder.integers(0, 4) for _ in range(2000)]
    us = np.array([call.u for call in recorder.record])
    assert np.array_equal(np.floor(us * 4).astype(int), values)  # u lies in [t/k, (t+1)/k)
    assert abs(us.mean() - 0.5) < 0.02 and us.min() >= 0 and us.max() < 1
    recorder.record = []
    recorder.permutation(5)
    call = recorder.record[0]  # a permutation records the ranked uniforms that stand for it (their argsort is the order)
    assert call.permutation and np.array_equal(np.argsort(call.u, kind="stable"), call[1])
    # the generator answers the reference with the numbers it would give without recording uniforms
    assert values[:20] == [int(v) for v in np.random.default_rng(0).integers(0, 4, 20)]


def test_match_draws_maps_recorded_calls_to_up_to_elements():
    calls = [Call("integers", np.asarray(2), u=np.asarray(0.55)), Call("integers", np.asarray(0), u=np.asarray(0.1)),
             Call("uniform", np.asarray(0.9))]
    asked = match_draws([PICKS, BONUS], calls)
    assert np.allclose(asked["picks"], [0.55, 0.1]) and float(asked["bonus"]) == 0.9
    permutations: set = set()
    match_draws([DrawSpec("order", "integers", (3,), "reset")], [Call("integers", np.arange(3), permutation=True)], permutations)
    assert permutations == {"order"}


def test_uniform_index_is_exact_in_float32_as_in_float64():
    rng = np.random.default_rng(1)
    m = rng.integers(0, 2**23, 20_000)
    k = rng.integers(1, 256, 20_000)
    u32 = (m * 2.0**-23).astype(np.float32)
    expected = (m * k) >> 23  # floor(u * k), exactly
    assert np.array_equal(np.asarray(uniform_index(jnp.asarray(u32), 0, jnp.asarray(k, jnp.int32))), expected)
    assert np.array_equal(np.floor(u32.astype(np.float64) * k).astype(int), expected)  # what the tape computes


def test_jax_random_permutation_is_a_permutation_and_jits_under_vmap():
    perms = np.asarray(jax.jit(jax.vmap(lambda k: jax_random.permutation(k, 16)))(jax.random.split(jax.random.PRNGKey(0), 2000)))
    assert all(sorted(p) == list(range(16)) for p in perms)
    assert len({tuple(p) for p in perms}) == 2000
    assert np.abs(np.bincount(perms[:, 0], minlength=16) / 2000 - 1 / 16).max() < 0.03


# ----- mask comparison ----------------------------------------------------------------------------


def test_a_mask_mismatch_names_the_actions_that_differ():
    (found,) = compare_masks(np.array([True, False, True, False]), np.array([True, True, False, False]))
    assert found.field == "action_mask" and "differs at actions [1, 2]" in found.describe()
    assert "legal only for the reference: [2]; only for the translation: [1]" in found.describe()
    assert "no info['action_mask']" in compare_masks(np.ones(4, bool), None)[0].detail
    assert "shape (3,)" in compare_masks(np.ones(4, bool), np.ones(3, bool))[0].detail
    assert compare_masks(np.ones(4, bool), np.ones(4, bool)) == []


# ----- the test port and its mutants --------------------------------------------------------------


@pytest.fixture(scope="module")
def port():
    old = os.environ.get(PORTS_ENV)
    os.environ[PORTS_ENV] = str(PORTS)
    from envs import get_port
    from verify.precision import enable_verification_numerics

    enable_verification_numerics()
    yield get_port("maskwalk")
    if old is None:
        os.environ.pop(PORTS_ENV, None)
    else:
        os.environ[PORTS_ENV] = old


def _mutant(name: str):
    from maskwalk.jax_env import CELLS, DECK, MaskWalk

    class Mutant(MaskWalk):
        def legal(self, state):
            mask = super().legal(state)
            return mask.at[2].set(state.pos < CELLS) if name == "mask" else mask

        def hit_targets(self, alive):
            return super().hit_targets(alive) + (name == "k")

        def takes_draw(self, k):
            return {"missing": k >= 3, "extra": k >= 1}.get(name, super().takes_draw(k))

        def sample_step_draws(self, key, state, params):
            draws = super().sample_step_draws(key, state, params)
            if name == "dependent":  # each pick uniform, the second decided by the first (two draws from one key)
                return {**draws, "picks": draws["picks"].at[1].set((draws["picks"][0] + 0.5) % 1.0)}
            return {**draws, "picks": draws["picks"] * 0.9} if name == "narrow" else draws

        def sample_reset_draws(self, key, params):
            if name != "rotation":  # each position uniform, but only 6 of the 720 orders
                return super().sample_reset_draws(key, params)
            shift = jax.random.randint(key, (), 0, DECK)
            return {"order": ((jnp.arange(DECK) + shift) % DECK).astype(int_dtype())}

    return Mutant()


def test_the_mask_is_compared_on_reset_and_step(port):
    from verify.lockstep import Lockstep

    lock = Lockstep(port)
    draws = jax.tree.map(np.asarray, lock.env.sample_reset_draws(jax.random.PRNGKey(3), lock.params))
    ref, ours = lock.reference_reset(draws), lock.translation_reset(draws)
    assert ref.action_mask.dtype == bool and ref.action_mask.shape == (6,)
    assert compare_outcomes(port, ref, ours) == []
    wrong = StepOutcome(ours.obs, ours.state, action_mask=~ours.action_mask)
    assert [m.field for m in compare_outcomes(port, ref, wrong, with_step=False)] == ["action_mask"]


def test_maskwalk_passes_every_level(port):
    from verify.levels import VerifyOptions
    from verify.runner import verify_port

    report = verify_port(port, ("L0", "D", "L1", "L2", "L3"), VerifyOptions(examples=80, programs=8, episodes=20))
    failures = {name: level.failures for name, level in report.levels.items() if not level.passed}
    assert not failures, failures
    notes = " ".join(report.levels["D"].notes)
    assert "permutations ['order'] also by pairs" in notes
    assert "picks[0]" in " ".join(report.levels["D"].data["step"]["p_values"])


@pytest.mark.parametrize("name", ["mask", "k", "extra"])
def test_logic_mutants_are_caught_at_l1(port, name):
    """A wrong mask, a wrong range, a draw taken where the reference takes none: one step from some state shows each
    (the extra draw from the edge state with every monster dead, where a volley's hits have one target and the
    revival that follows picks among four)."""
    from verify.lockstep import Lockstep
    from verify.properties import check_properties

    result = check_properties(Lockstep(port, _mutant(name)), max_examples=150, shrink=False)
    assert not result.passed
    fields = [m["field"] for m in result.failures[0]["mismatches"]]
    if name == "mask":
        assert fields == ["action_mask"] and "differs at actions [2]" in result.failures[0]["message"]
    else:
        assert "state.hp" in fields or "state.score" in fields


def test_a_missing_draw_is_caught_at_l3(port):
    """A hit with two targets (one monster left) that does not draw: rare from L1's generated states, common in
    episodes, where volleys wear the monsters down to one."""
    from verify.lockstep import Lockstep
    from verify.rollouts import check_rollouts

    result = check_rollouts(Lockstep(port, _mutant("missing")), episodes=20)
    assert not result.passed and result.failures[0]["field"] in ("state.hp", "state.score")


def test_a_wrong_mask_is_caught_at_l3_with_its_series(port):
    from verify.lockstep import Lockstep
    from verify.rollouts import check_rollouts

    result = check_rollouts(Lockstep(port, _mutant("mask")), episodes=10)
    assert not result.passed and result.failures[0]["field"] == "action_mask"
    assert result.failures[0]["series"]["field"] == "action_mask[2]"


@pytest.mark.parametrize("name, check", [("narrow", "step_draw_distribution"), ("rotation", "draw_distribution"),
                                         ("dependent", "step_draw_joint")])
def test_draw_mutants_pass_the_lockstep_levels_and_die_at_d(port, name, check):
    from verify.distribution import check_distribution
    from verify.lockstep import Lockstep
    from verify.properties import check_properties

    lock = Lockstep(port, _mutant(name))
    assert check_properties(lock, max_examples=40, shrink=False, landing=False).passed  # same numbers on both sides
    result = check_distribution(lock, samples=20_000)
    assert not result.passed
    assert check in {f["check"] for f in result.failures}  # narrowed picks also shift the pairs' cells
    if name == "rotation":  # every position is uniform: only the pairs of neighbours see it
        assert all("," in f["field"] for f in result.failures)


# ----- the Rust side, through a Python stand-in of a masked Rust env -------------------------------


class FakeRustMaskWalk:
    """The raw single-env interface of a masked Rust env (reset_det, step_det, get_state, set_state,
    action_mask), answered by the Python reference on the given draws; `flip` makes its mask wrong."""

    def __init__(self, port, flip: bool = False):
        self.port, self.env, self.flip = port, port.make_reference(), flip

    def _run(self, phase, draws, call):
        tape = tape_for(self.port, phase, {k: np.asarray(v) for k, v in draws.items()})
        with self.port.swap_randomness(self.env, tape):
            out = call()
        tape.finish()
        return out

    def reset_det(self, draws):
        return self._run("reset", draws, self.env.reset)[0]

    def step_det(self, action, draws):
        return self._run("step", draws, lambda: self.env.step(action))[:4]

    def get_state(self):
        return self.port.get_state(self.env)

    def set_state(self, state):
        self.port.set_state(self.env, state)

    def action_mask(self):
        mask = self.env.action_mask()
        return mask ^ (np.arange(6) == 5) if self.flip else mask


@pytest.mark.parametrize("flip", [False, True])
def test_the_rust_lockstep_compares_the_rust_envs_mask(port, flip):
    from verify.lockstep import RustLockstep
    from verify.properties import check_properties

    lock = RustLockstep(port, rust_env=FakeRustMaskWalk(port, flip))
    result = check_properties(lock, max_examples=30, shrink=False, landing=False, harvest=0)
    assert result.passed is not flip
    if flip:
        assert result.failures[0]["field"] == "action_mask" and "differs at actions [5]" in result.failures[0]["message"]


def test_a_rust_env_without_a_mask_is_reported_missing(port):
    from verify.lockstep import RustLockstep

    lock = RustLockstep(port, rust_env=FakeRustMaskWalk(port))
    lock.rust = type("Bare", (), {k: getattr(lock.rust, k) for k in ("reset_det", "step_det", "get_state", "set_state")})()
    draws = jax.tree.map(np.asarray, lock.env.sample_reset_draws(jax.random.PRNGKey(0), lock.params))
    (found,) = compare_outcomes(port, lock.reference_reset(draws), lock.translation_reset(draws), with_step=False)
    assert found.field == "action_mask" and "translation returned no info['action_mask']" in found.detail


def test_a_transition_may_return_its_own_truncation(port):
    """A game with a last turn of its own (Brinewatch's turn 18) truncates through transition's fourth value."""
    from maskwalk.jax_env import MaskWalk

    class LastCell(MaskWalk):
        def transition(self, state, action, draws, params):
            return (*super().transition(state, action, draws, params), state.pos == 6)

    env, plain = LastCell(), MaskWalk()
    _, state = env.reset(jax.random.PRNGKey(0))
    draws = env.sample_draws(jax.random.PRNGKey(1), state)
    for pos, truncated in ((6, True), (4, False)):
        at = state.replace(pos=jnp.asarray(pos, state.pos.dtype))
        assert bool(env.step_env_det(at, 0, draws)[4]) is truncated
        assert not bool(plain.step_env_det(at, 0, draws)[4])
    obs, new_state, _, _, truncated, info = env.step_det(state.replace(pos=jnp.asarray(6, state.pos.dtype)), 0, draws)
    assert bool(truncated) and int(new_state.time) == 0  # auto-reset
    assert np.array_equal(info["action_mask"], env.action_mask(new_state))
