"""framework.tfidf_rows is scikit-learn's TfidfTransformer() with its defaults,
written out so that the report process need not import scikit-learn."""
import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer

from helpers.analysis.framework import tfidf_rows


def test_equals_tfidf_transformer_by_hand_on_two_turns():
    # Two turns, three words: word 0 in both (idf ln(3/3)+1 = 1), words 1 and 2 in one
    # (idf ln(3/2)+1). Row 0 = (1, 2·idf₁, 0) over its norm.
    counts = sparse.csr_matrix(np.array([[1.0, 2.0, 0.0], [1.0, 0.0, 1.0]]))
    idf = np.log(3 / 2) + 1
    row0 = np.array([1.0, 2 * idf, 0.0])
    row1 = np.array([1.0, 0.0, idf])
    expected = np.vstack([row0 / np.linalg.norm(row0), row1 / np.linalg.norm(row1)])
    np.testing.assert_allclose(tfidf_rows(counts).toarray(), expected, rtol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_equals_tfidf_transformer_on_random_counts_with_empty_rows_and_words(seed):
    rng = np.random.default_rng(seed)
    dense = rng.poisson(0.6, size=(40, 60)).astype(float)
    dense[3] = 0  # a turn with no word left
    dense[:, 7] = 0  # a word in no turn
    counts = sparse.csr_matrix(dense)
    ours = tfidf_rows(counts)
    theirs = TfidfTransformer().fit_transform(counts)
    assert sparse.issparse(ours) and ours.shape == theirs.shape
    # Equal to the last bit: an exemplar's rank among ties must not move with the change.
    np.testing.assert_array_equal(ours.toarray(), theirs.toarray())

