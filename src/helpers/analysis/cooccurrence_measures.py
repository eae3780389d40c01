"""Co-occurrence measures from the counts (issue 15 split of :mod:`helpers.analysis.cooccurrence`):
c-coefficient, conditional share, observed/expected ratio, Fisher p and Benjamini–Hochberg q,
and the flags (out of range, frequency imbalance); ``cooccurrence_rules.measure_rule`` says each.
"""
from __future__ import annotations

import numpy as np
from scipy import stats

from helpers.analysis.cooccurrence_counts import (
    Counts,
)
from helpers.analysis.cooccurrence_rules import (
    IMBALANCE_FOLD,
)


def c_coefficient(n12: np.ndarray, n1: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """The c-coefficient, the one definition (the measure and the figures use it).

    Parameters
    ----------
    n12 : array
        Units carrying both codes.
    n1, n2 : array
        Units carrying each code (broadcast against ``n12``).

    Returns
    -------
    ndarray
        float64, ``n12 / (n1 + n2 − n12)`` (ATLAS.ti's c-coefficient; Jaccard on unit sets):
        0 never together, 1 always together; NaN where the denominator is not positive.
    """
    n12 = np.asarray(n12, dtype="float64")
    denominator = np.asarray(n1, dtype="float64") + np.asarray(n2, dtype="float64") - n12
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, n12 / denominator, np.nan)


def _measure(counts: Counts, measure: str) -> np.ndarray:
    s = counts.matrix.astype("float64")
    own = counts.own.astype("float64")
    n1, n2 = own[:, None], own[None, :]
    diagonal = np.eye(len(own), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "count":
            return counts.matrix
        if measure == "c":
            out = c_coefficient(s, n1, n2)
        elif measure == "conditional":
            # the share of A units (passages, turns) with a B in range: always <= 1
            hits = (counts.hits if counts.hits is not None else counts.matrix).astype("float64")
            out = np.where(n1 > 0, hits / n1, np.nan)
        elif measure == "ratio":
            expected = counts.expected if counts.expected is not None else n1 * n2 / max(counts.n_units, 1)
            out = np.where(expected > 0, s / expected, np.nan)
            out[diagonal] = np.nan
        elif measure == "p":
            out = fisher_greater(s, n1, n2, counts.n_units)
            out[diagonal] = np.nan
        else:
            out = benjamini_hochberg_matrix(fisher_greater(s, n1, n2, counts.n_units))
        if measure in ("p", "q") and tests_withheld(counts):
            out = np.full(s.shape, np.nan)
    return out


def tests_withheld(counts: Counts) -> str:
    """Why p and q are not shown, in words ('' when they are).

    They are withheld for units "document" and "participant" when there are
    fewer units than ``counts.min_tested_units`` (default ``MIN_TESTED_UNITS``,
    20): too few for an exact test to say anything.

    Parameters
    ----------
    counts : Counts
        The counts of ``count_matrix`` (its ``unit``, ``n_units`` and
        ``min_tested_units``).

    Returns
    -------
    str
        One sentence naming the number of units and the minimum, or ''.
    """
    if counts.unit in ("document", "participant") and counts.n_units < counts.min_tested_units:
        return (f"p-values are not shown: {counts.n_units} {counts.unit}s are fewer than the "
                f"{counts.min_tested_units} an exact test needs (min_tested_units).")
    return ""


def fisher_greater(n12, n1, n2, n_units) -> np.ndarray:
    """One-sided Fisher exact p-values: do two codes co-occur more than chance?

    The 2x2 table of units [[n12, n1−n12], [n2−n12, N−n1−n2+n12]], tested
    one-sided (greater): P(X >= n12) for X hypergeometric with N units, n1 of
    them carrying A, n2 drawn (``scipy.stats.hypergeom.sf``). Element-wise.

    Parameters
    ----------
    n12 : int or array-like
        Units carrying both codes (counts).
    n1 : int or array-like
        Units carrying the first code (counts).
    n2 : int or array-like
        Units carrying the second code (counts).
    n_units : int
        N, all units (count).

    Returns
    -------
    ndarray of float
        p-values in 0-1, the broadcast shape of ``n12``, ``n1``, ``n2``.
    """
    n12, n1, n2 = np.broadcast_arrays(*(np.asarray(v, dtype="float64") for v in (n12, n1, n2)))
    return np.asarray(stats.hypergeom.sf(n12 - 1, n_units, n1, n2), dtype="float64")


def benjamini_hochberg_matrix(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q) of a symmetric matrix of pair p-values.

    The false discovery rate correction of Benjamini & Hochberg (1995)
    (``scipy.stats.false_discovery_control(method="bh")``) over the pairs
    above the diagonal, each pair counted once; p-values are clipped to 0-1
    first.

    Parameters
    ----------
    p : ndarray
        Square codes x codes array of p-values (only the part above the
        diagonal is read).

    Returns
    -------
    ndarray of float
        The same shape: q (0-1) above the diagonal, mirrored below it; NaN on
        the diagonal.
    """
    upper = np.triu_indices(p.shape[0], k=1)
    q = np.full(p.shape, np.nan)
    if len(upper[0]):
        adjusted = stats.false_discovery_control(np.clip(p[upper], 0.0, 1.0), method="bh")
        q[upper] = adjusted
        q[(upper[1], upper[0])] = adjusted
    return q


def _flags(counts: Counts) -> tuple[list, list]:
    """out_of_range: (a, b, count, min) where a cell exceeds min(n1, n2);
    frequency_imbalance: (a, b, n_a, n_b) co-occurring pairs whose own counts differ more than five-fold."""
    s, own, codes = counts.matrix, counts.own, np.asarray(counts.codes, dtype=object)
    i, j = np.triu_indices(len(codes), k=1)
    cell, na, nb = s[i, j], own[i], own[j]
    smaller, larger = np.minimum(na, nb), np.maximum(na, nb)
    beyond = cell > smaller
    out_of_range = list(zip(codes[i[beyond]].tolist(), codes[j[beyond]].tolist(),
                            cell[beyond].tolist(), smaller[beyond].tolist()))
    skewed = (cell > 0) & (larger > IMBALANCE_FOLD * smaller)
    imbalance = list(zip(codes[i[skewed]].tolist(), codes[j[skewed]].tolist(),
                         na[skewed].tolist(), nb[skewed].tolist()))
    return out_of_range, imbalance
