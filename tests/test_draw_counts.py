"""D's chi-square tables counted in one pass (`verify.draw_samples.value_counts`) equal the sum per value they replace,
so every p-value and verdict is unchanged; a planted bias is found as before."""

import numpy as np
import pytest
from scipy import stats

from verify.draw_samples import ALPHA, compare_samples, value_counts


def _slow_p(ours, theirs):
    values = np.union1d(np.unique(ours), np.unique(theirs))
    table = np.array([[np.sum(ours == v) for v in values], [np.sum(theirs == v) for v in values]])
    return float(stats.chi2_contingency(table)[1])


@pytest.mark.parametrize("case", ["pairs", "small", "floats", "absent values", "NaN"])
def test_value_counts_equal_the_sum_per_value(case):
    rng = np.random.default_rng(1)
    sample = {"pairs": rng.integers(0, 108 * 108, 20_000), "small": rng.integers(-3, 4, 500),
              "floats": rng.random(500).round(1), "absent values": rng.integers(0, 40, 500),
              "NaN": np.array([1.0, np.nan, 2.0, 2.0, np.nan])}[case]
    values = np.unique(sample)
    if case == "absent values":
        values = np.union1d(values[::3], [-7, 100])  # some of the sample's values missing, some values never drawn
    slow = np.array([np.sum(sample == v) for v in values])
    fast = value_counts(sample, values)
    assert fast.dtype == slow.dtype and np.array_equal(fast, slow)


def test_permutation_pairs_p_values_are_unchanged_and_a_bias_is_found():
    rng = np.random.default_rng(2)
    n = 12
    fair = np.stack([rng.permutation(n) for _ in range(20_000)])
    other = np.stack([rng.permutation(n) for _ in range(20_000)])
    biased = other.copy()
    rotated = rng.random(len(biased)) < 0.15  # a planted bias: 15% of the shuffles a random rotation of 0..n-1 (each
    biased[rotated] = (np.arange(n) + rng.integers(0, n, (rotated.sum(), 1))) % n  # position stays uniform, pairs do not)
    for theirs, found in ((other, False), (biased, True)):
        for i in (2, 3):
            a, b = fair[:, i] * n + fair[:, i + 1], theirs[:, i] * n + theirs[:, i + 1]
            p, test = compare_samples("integers", a, b)
            assert test == "chi-square" and p == _slow_p(a, b)
        a, b = fair[:, 3] * n + fair[:, 4], theirs[:, 3] * n + theirs[:, 4]
        assert (compare_samples("integers", a, b)[0] < ALPHA) == found
