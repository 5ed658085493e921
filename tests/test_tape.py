"""The randomness tape answers a reference's generator calls from recorded draws, and fails loudly otherwise."""

import numpy as np
import pytest

from envs.spec import DrawSpec
from verify.tape import TapeError, TapeGenerator


def spec(name, kind, shape, phase="step"):
    return DrawSpec(name, kind, shape, phase)


def test_uniform_matches_numpy_given_the_same_standard_draws():
    u = np.random.default_rng(5).random(4)
    expected = np.random.default_rng(5).uniform(-0.05, 0.05, size=(4,))
    tape = TapeGenerator([(spec("u", "uniform", (4,)), u)])
    np.testing.assert_array_equal(tape.uniform(-0.05, 0.05, size=(4,)), expected)
    tape.finish()


def test_uniform_with_array_bounds_and_scalar_result():
    u = np.random.default_rng(1).random(2)
    high = np.array([np.pi, 1.0])
    expected = np.random.default_rng(1).uniform(low=-high, high=high)
    tape = TapeGenerator([(spec("a", "uniform", (2,)), u), (spec("b", "uniform", ()), np.float64(0.25))])
    np.testing.assert_array_equal(tape.uniform(low=-high, high=high), expected)
    scalar = tape.uniform(low=-0.6, high=-0.4)
    assert isinstance(scalar, float) and scalar == -0.6 + (-0.4 - -0.6) * 0.25


def test_integers_choice_normal_and_randomstate_aliases():
    tape = TapeGenerator(
        [
            (spec("i", "integers", ()), np.int64(3)),
            (spec("c", "integers", ()), np.int64(1)),
            (spec("z", "normal", (2,)), np.array([0.5, -1.0])),
            (spec("r", "uniform", (3,)), np.array([0.1, 0.2, 0.3])),
            (spec("k", "integers", ()), np.int64(0)),
        ]
    )
    assert tape.integers(0, 5) == 3
    assert tape.choice(["a", "b", "c"]) == "b"
    np.testing.assert_array_equal(tape.normal(1.0, 2.0, size=2), [2.0, -1.0])
    np.testing.assert_array_equal(tape.rand(3), [0.1, 0.2, 0.3])
    assert tape.randint(4) == 0
    tape.finish()


def test_integer_draw_outside_the_requested_range_fails():
    tape = TapeGenerator([(spec("i", "integers", ()), np.int64(7))])
    with pytest.raises(TapeError, match=r"integers\(low=0, high=5"):
        tape.integers(0, 5)


@pytest.mark.parametrize(
    "entries, call, message",
    [
        ([], lambda t: t.uniform(), r"uniform.*used up"),
        ([(spec("i", "integers", ()), 1)], lambda t: t.uniform(), r"'i' holds integers numbers, not uniform"),
        ([(spec("u", "uniform", (2,)), np.zeros(2))], lambda t: t.uniform(size=(4,)), r"shape \(4,\).*shape \(2,\)"),
        ([], lambda t: t.exponential(), r"np_random.exponential at .*test_tape.py:\d+ .*which the randomness tape cannot answer"),
    ],
)
def test_calls_the_tape_cannot_answer_are_named(entries, call, message):
    with pytest.raises(TapeError, match=message):
        call(TapeGenerator(entries))


def test_unused_draws_fail_with_their_names():
    tape = TapeGenerator([(spec("reset_uniform", "uniform", (4,)), np.zeros(4))], label="reset")
    with pytest.raises(TapeError, match="draws left unused after reset: reset_uniform"):
        tape.finish()


def test_shuffle_and_permutation_apply_the_recorded_order():
    tape = TapeGenerator([(spec("p", "integers", (3,)), np.array([2, 0, 1])), (spec("q", "integers", (3,)), np.array([1, 2, 0]))])
    np.testing.assert_array_equal(tape.permutation(np.array([10, 20, 30])), [30, 10, 20])
    items = [10, 20, 30]
    tape.shuffle(items)
    assert items == [20, 30, 10]


def test_a_non_permutation_draw_is_rejected():
    tape = TapeGenerator([(spec("p", "integers", (3,)), np.array([0, 0, 1]))])
    with pytest.raises(TapeError, match="not a permutation"):
        tape.permutation(3)


def test_python_random_view_uses_python_semantics():
    from envs.reference_rng import PythonRandomView

    tape = TapeGenerator([(spec("a", "integers", ()), np.int64(6)), (spec("b", "integers", ()), np.int64(2)), (spec("c", "uniform", ()), 0.5)])
    view = PythonRandomView(tape)
    assert view.randint(1, 6) == 6  # inclusive upper end, unlike numpy's
    assert view.choice("xyz") == "z"
    assert view.random() == 0.5
    tape.finish()
