"""The draw-distribution test has the power the docs claim: it rejects a 0.02 shift in a probability and a narrowed range."""

import numpy as np

from verify.draw_samples import ALPHA, compare_samples


def test_discrete_probability_off_by_002_is_rejected():
    rng = np.random.default_rng(0)
    ours = (rng.random(50_000) < 0.52).astype(float)
    theirs = (rng.random(50_000) < 0.50).astype(float)
    p, test = compare_samples("integers", ours, theirs)
    assert test == "chi-square" and p < ALPHA


def test_continuous_range_off_by_5_percent_is_rejected():
    rng = np.random.default_rng(1)
    p, test = compare_samples("uniform", rng.random(50_000) * 0.95, rng.random(50_000))
    assert test == "Kolmogorov-Smirnov" and p < ALPHA


def test_same_distribution_passes():
    rng = np.random.default_rng(2)
    assert compare_samples("uniform", rng.random(50_000), rng.random(50_000))[0] > ALPHA
    assert compare_samples("integers", rng.integers(0, 6, 50_000), rng.integers(0, 6, 50_000))[0] > ALPHA
