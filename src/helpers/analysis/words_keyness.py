"""Keyness (issue 15 split of :mod:`helpers.analysis.words`): the words each group says more (or
less) than the rest, by log-likelihood G² and log ratio, with the tests run on small counts
limited and corrected (Benjamini–Hochberg). The terms counted are ``words_terms``'.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

import numpy as np
import pandas as pd

from helpers import textutil
from helpers.analysis.words_terms import _group_column, _participant_turn_terms
from helpers.errors import TooFew


def log_likelihood(a, b, c, d) -> np.ndarray:
    """Log-likelihood G² of a term's frequency in two corpora (Rayson & Garside 2000).

    The two-cell form: E1 = c(a+b)/(c+d), E2 = d(a+b)/(c+d),
    G² = 2(a ln(a/E1) + b ln(b/E2)), with 0 ln 0 = 0. Element-wise over arrays.

    Parameters
    ----------
    a : int, float or array-like
        Occurrences of the term in the first corpus (counts).
    b : int, float or array-like
        Occurrences of the term in the second corpus (counts).
    c : int, float or array-like
        All terms of the first corpus (count, > 0).
    d : int, float or array-like
        All terms of the second corpus (count, > 0).

    Returns
    -------
    ndarray of float
        G² (>= 0; compared with chi-square on 1 degree of freedom), the
        broadcast shape of the inputs; 0 for a term said in neither corpus,
        NaN where ``c + d`` is 0 (numpy warns; nothing is raised).
    """
    a, b, c, d = (np.asarray(x, dtype="float64") for x in (a, b, c, d))
    total = a + b
    expected_a = c * total / (c + d)
    expected_b = d * total / (c + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        term_a = np.where(a > 0, a * np.log(a / expected_a), 0.0)
        term_b = np.where(b > 0, b * np.log(b / expected_b), 0.0)
    return 2.0 * (term_a + term_b)


def log_ratio(a, b, c, d) -> np.ndarray:
    """Log ratio, the effect size of keyness (Hardie 2014): log2((a/c) / (b/d)).

    A zero count ``a`` or ``b`` is replaced by 0.5 so the ratio stays finite.
    Element-wise over arrays.

    Parameters
    ----------
    a : int, float or array-like
        Occurrences of the term in the first corpus (counts).
    b : int, float or array-like
        Occurrences of the term in the second corpus (counts).
    c : int, float or array-like
        All terms of the first corpus (count, > 0).
    d : int, float or array-like
        All terms of the second corpus (count, > 0).

    Returns
    -------
    ndarray of float
        Binary log of the ratio of relative frequencies (1 = twice as frequent
        in the first corpus, 0 = as frequent, -1 = half), the broadcast shape
        of the inputs.
    """
    a, b, c, d = (np.asarray(x, dtype="float64") for x in (a, b, c, d))
    a = np.where(a == 0, 0.5, a)
    b = np.where(b == 0, 0.5, b)
    return np.log2((a / c) / (b / d))


MIN_EXPECTED = 5.0   # keyness: no test where the expected count in the group is below this (issue 12)


def keyness(study: Study, by: str = "participant", ngram: int = 1, min_count: int = 1,
            remove_fillers: bool = True, min_expected: float = MIN_EXPECTED) -> pd.DataFrame:
    """Words each group says more (or less) than everyone else: each group
    against the rest of the participants' words.

    Terms as in ``word_frequencies`` (participant turns, fillers and stop words
    out). For group g and term w: a = w in g, b = w in the rest, c = all terms of
    g, d = all terms of the rest. ``g2``: log-likelihood (Rayson & Garside 2000,
    two-cell form, see ``log_likelihood``); ``p``: chi-square(1 df) upper tail of
    G²; ``log_ratio``: log2 of the ratio of relative frequencies (Hardie 2014),
    0.5 put in for a zero count; ``use``: "over" or "under". Rows: every term with
    a + b >= ``min_count``, for every group; sorted by group, then G² descending,
    then term. ``by``: "participant" or a participants attribute.

    Many tests on small counts: ``expected`` is E1 = c(a+b)/(c+d), the count
    the group would have at the rest's rate; ``tested`` is E1 >= ``min_expected``
    (default 5, the usual floor for a chi-square approximation); ``p`` and
    ``q`` are NaN for untested rows. ``q`` is the Benjamini–Hochberg adjusted
    p over every tested row of the table (all groups, all terms: every test
    run). ``attrs["rule"]`` states this.

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    by : str, default "participant"
        "participant" or a participants attribute: the groups compared.
    ngram : int, default 1
        1 for words, 2 for two-word phrases.
    min_count : int, default 1
        Terms said fewer times than this in all (a + b) are left out.
    remove_fillers : bool, default True
        Leave the study's fillers out before counting.
    min_expected : float, default 5
        The expected count (E1) below which no test is run.

    Returns
    -------
    DataFrame
        One row per (group, term): the group column, ``term``, ``n_group`` (a), ``n_rest``
        (b), ``per_1000_group``, ``per_1000_rest``, ``g2``, ``log_ratio`` (log2 units),
        ``p``, ``use``, ``expected``, ``tested``, ``q``; default RangeIndex; ``attrs["rule"]``.

    Raises
    ------
    TooFew
        Fewer than two groups with words to compare.
    ValueError
        ``by`` is not a participants attribute.
    """
    terms = _participant_turn_terms(study, ngram, remove_fillers)
    column = "participant_id" if by == "participant" else by
    groups = _group_column(study, terms, by)
    # pd.crosstab(groups, terms) by a grouped count (crosstab counts each cell in Python: 20x slower)
    every_term = (pd.DataFrame({"group": groups, "term": terms["term"]})
                  .groupby(["group", "term"]).size().unstack("term", fill_value=0))
    if every_term.shape[0] < 2:
        raise TooFew(f"keyness compares groups of {by!r}: it needs at least two groups with words")
    totals = every_term.sum(axis=1).to_numpy(dtype="float64")
    counts = every_term.loc[:, every_term.sum(axis=0) >= min_count]
    counts = counts.reindex(columns=sorted(counts.columns))
    matrix = counts.to_numpy(dtype="float64")
    a = matrix
    b = matrix.sum(axis=0)[None, :] - matrix
    c = totals[:, None] * np.ones_like(matrix)
    d = totals.sum() - c
    g2 = log_likelihood(a, b, c, d)
    from scipy import stats  # here: scipy.stats costs a second at import, which rendering a page need not pay

    out = pd.DataFrame({
        column: np.repeat(counts.index.to_numpy(), matrix.shape[1]),
        "term": np.tile(counts.columns.to_numpy(), matrix.shape[0]),
        "n_group": a.ravel().astype("int64"),
        "n_rest": b.ravel().astype("int64"),
        "per_1000_group": (1000.0 * a / c).ravel(),
        "per_1000_rest": (1000.0 * b / d).ravel(),
        "g2": g2.ravel(),
        "log_ratio": log_ratio(a, b, c, d).ravel(),
        "p": stats.chi2.sf(g2, df=1).ravel(),
    })
    out["use"] = np.where(out["per_1000_group"] >= out["per_1000_rest"], "over", "under")
    out["expected"] = (c * (a + b) / (c + d)).ravel()
    out["tested"] = out["expected"] >= min_expected
    out.loc[~out["tested"], "p"] = np.nan
    out["q"] = np.nan
    if out["tested"].any():
        out.loc[out["tested"], "q"] = stats.false_discovery_control(out.loc[out["tested"], "p"].to_numpy(),
                                                                     method="bh")
    out = out.sort_values([column, "g2", "term"], ascending=[True, False, True], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs["rule"] = (f"Each group against the rest of the participants' words (log-likelihood G², Rayson & "
                         f"Garside 2000). A term is tested only where its expected count in the group is at "
                         f"least {min_expected:g}; p-values of the {int(out['tested'].sum())} tests run are "
                         f"corrected for false discoveries (Benjamini–Hochberg q). Untested rows show counts only. "
                         + textutil.PLACEHOLDER_RULE)
    return out
