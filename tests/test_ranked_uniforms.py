"""Ranked uniforms (docs/design.md, section 4): a 'uniform' draw of shape (N,) answering shuffles of n <= N items."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs.jax_random import ranked_permutation
from envs.spec import DrawSpec
from verify.draw_samples import RecordingGenerator, compare_draw, compare_permutation_pairs
from verify.reports.model import LevelResult
from verify.tape import TapeError, TapeGenerator, match_draws, ranked_order

N = 12
RESHUFFLE = DrawSpec("reshuffle", "uniform", (N,), "step", "np_random.shuffle(pile): ranked uniforms")


@pytest.mark.parametrize("n", [1, 2, 5, N])
def test_tape_answers_shuffles_of_several_lengths(n):
    u = np.random.default_rng(n).random(N)
    tape = TapeGenerator([(RESHUFFLE, u)])
    items = list("abcdefghijkl"[:n])
    tape.shuffle(items)
    order = np.argsort(u[:n], kind="stable")
    assert items == ["abcdefghijkl"[i] for i in order]
    assert sorted(items) == sorted("abcdefghijkl"[:n])
    tape.finish()
    # permutation(n) of an int, and of an array, from the same numbers
    assert TapeGenerator([(RESHUFFLE, u)]).permutation(n).tolist() == order.tolist()
    assert TapeGenerator([(RESHUFFLE, u)]).permutation(np.arange(n) * 10).tolist() == (order * 10).tolist()


def test_tape_refuses_a_shuffle_longer_than_the_draw_and_out_of_range_uniforms():
    with pytest.raises(TapeError, match="at most 12 items"):
        TapeGenerator([(RESHUFFLE, np.zeros(N))]).shuffle(list(range(N + 1)))
    with pytest.raises(TapeError, match=r"outside \[0, 1\)"):
        TapeGenerator([(RESHUFFLE, np.full(N, 1.0))]).permutation(3)
    # a ranked draw still answers `random(size=N)` as plain uniforms
    assert TapeGenerator([(RESHUFFLE, np.full(N, 0.5))]).random(N).tolist() == [0.5] * N


def test_up_to_ranked_draws_answer_several_shuffles_then_a_choice():
    specs = [DrawSpec("reshuffles", "uniform", (2, N), "step", "up to two reshuffles", up_to=True),
             DrawSpec("colour", "integers", (), "step", "choice of 4", optional=True)]
    u = np.random.default_rng(1).random((2, N))
    tape = TapeGenerator([(specs[0], u), (specs[1], np.asarray(3))])
    assert tape.permutation(4).tolist() == np.argsort(u[0, :4]).tolist()
    assert tape.choice(["r", "g", "b", "y"]) == "y"
    tape.finish()
    assert tape.used == ["reshuffles[0]", "colour"]


@pytest.mark.parametrize("n", [1, 3, 7, N])
def test_jax_and_tape_agree_on_the_order(n):
    for seed in range(20):
        u = np.random.default_rng(seed).random(N)
        if seed == 0:
            u[:] = 0.25  # all tied: both break ties by position (L1 sets draws to constants)
        order = np.asarray(jax.jit(ranked_permutation)(jnp.asarray(u), n))
        assert order[:n].tolist() == ranked_order(u, n).tolist() == TapeGenerator([(RESHUFFLE, u)]).permutation(n).tolist()
        assert order[n:].tolist() == list(range(n, N))


def test_recorded_ranked_uniforms_stand_for_the_reference_permutation():
    recorder = RecordingGenerator(np.random.default_rng(0))
    items = list(range(7))
    recorder.shuffle(items)
    [call] = recorder.record
    assert np.argsort(call.u, kind="stable").tolist() == call[1].tolist()
    assert [items[i] for i in range(7)] == call[1].tolist()
    answered = match_draws([RESHUFFLE], recorder.record)["reshuffle"]
    assert answered.shape == (N,) and np.isnan(answered[7:]).all()
    assert np.argsort(answered[:7]).tolist() == call[1].tolist()


def _reference_samples(samples: int, n: int, seed: int = 0) -> np.ndarray:
    recorder = RecordingGenerator(np.random.default_rng(seed))
    out = []
    for _ in range(samples):
        recorder.record = []
        recorder.shuffle(list(range(n)))
        out.append(match_draws([RESHUFFLE], recorder.record)["reshuffle"])
    return np.stack(out)


def _level_d(ours: np.ndarray, theirs: np.ndarray) -> LevelResult:
    result = LevelResult("D")
    compare_draw(result, "draw_distribution", RESHUFFLE, ours, theirs)
    compare_permutation_pairs(result, "draw_distribution", RESHUFFLE, ours, theirs)
    return result


def test_level_d_passes_fair_ranked_uniforms_and_rejects_biased_shuffles():
    samples, n = 20_000, 5
    theirs = _reference_samples(samples, n)
    fair = np.asarray(jax.random.uniform(jax.random.PRNGKey(3), (samples, N), jnp.float64))
    assert _level_d(fair, theirs).failures == []
    # The naive shuffle (swap each position with any position) as ranked uniforms: its orders are not uniform.
    rng = np.random.default_rng(5)
    biased = fair.copy()
    for row in biased:
        order = list(range(n))
        for i in range(n):
            j = rng.integers(n)
            order[i], order[j] = order[j], order[i]
        row[np.asarray(order)] = np.sort(row[:n])
    result = _level_d(biased, theirs)
    assert any("differ from the reference generator's" in f["message"] for f in result.failures), result.data
    # A random rotation: every position's rank is uniform, neighbouring pairs are not.
    rotation = fair.copy()
    for row in rotation:
        order = np.roll(np.arange(n), rng.integers(n))
        row[order] = np.sort(row[:n])
    result = _level_d(rotation, theirs)
    assert any("neighbouring positions" in f["message"] for f in result.failures), result.data
    assert not any("differ from the reference generator's" in f["message"] for f in result.failures)
