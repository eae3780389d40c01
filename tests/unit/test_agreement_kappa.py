"""Cohen's kappa from a 2×2 table (agreement_stats._kappa): worked by hand, and the
same to the last bit as scikit-learn's cohen_kappa_score, which it stands in for."""
import itertools
import warnings

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from helpers.analysis.agreement_stats import _kappa


def _sklearn(pairs):
    first, second = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    return float(cohen_kappa_score(first, second, labels=[0, 1], sample_weight=np.asarray(pairs, float).reshape(-1)))


def test_wikipedia_example_by_hand():
    # [[neither, only 2], [only 1, both]] = [[15, 10], [5, 20]]: po = 35/50 = 0.7;
    # pe = (25·20 + 25·30) / 50² = 0.5; kappa = (0.7 − 0.5) / (1 − 0.5) = 0.4.
    assert _kappa(np.array([[15, 10], [5, 20]])) == pytest.approx(0.4, abs=1e-15)


def test_equals_scikit_learn_to_the_bit_on_every_small_table():
    for cells in itertools.product(range(7), repeat=4):
        if not any(cells):
            continue  # scikit-learn refuses all-zero weights; agreement never asks (no unit)
        pairs = np.array(cells).reshape(2, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = _sklearn(pairs)
        ours = _kappa(pairs)
        assert (np.isnan(ours) and np.isnan(theirs)) or ours == theirs, cells


def test_equals_scikit_learn_on_large_counts():
    rng = np.random.default_rng(3)
    for pairs in rng.integers(0, 10_000_000, size=(200, 2, 2)):
        assert _kappa(pairs) == _sklearn(pairs)


def test_no_variation_is_nan_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(_kappa(np.array([[0, 0], [0, 9]])))
        assert np.isnan(_kappa(np.zeros((2, 2))))
