"""Agreement statistics: percent agreement, Cohen's kappa, Krippendorff's alpha, its bootstrap
interval and the verdict read from it (issue 15 split of :mod:`helpers.analysis.agreement`).

Formulas: ``FORMULAS``; the verdict: ``VERDICT_RULE`` (Krippendorff 2004, 2011; Cohen 1960).
"""
from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass

import krippendorff
import numpy as np
import pandas as pd

# Above this many pooled decisions, alpha is computed with the closed form for
# binary data without missing values (identical to the package's result, see
# _alpha_closed_form) instead of the package, whose memory grows ~100 bytes per
# decision and ~0.2 s per million (a character-level "overall" row can hold tens
# of millions).
PACKAGE_ALPHA_MAX_UNITS = 1_000_000
RELIABLE = 0.800
TENTATIVE = 0.667
MIN_UNITS = 20     # below this many units no verdict is given (issue 12, point 8)
VERDICT_RULE = ("Verdict from the lower end of alpha's 95% interval, not the point estimate: reliable when it "
                "is at least 0.800, tentative when at least 0.667, else unreliable (Krippendorff 2004); "
                f"no verdict (\"too few units\") below {MIN_UNITS} units.")
FORMULAS: dict[str, str] = {
    "percent_agreement": "percent agreement = 100 × (units on which all coders made the same decision) / (units)",
    "kappa": ("Cohen's kappa = (po − pe) / (1 − pe), where po is the observed share of agreeing units and "
              "pe = Σ over values v of (share of coder 1's units with v) × (share of coder 2's units with v), "
              "the agreement expected by chance from each coder's own rates (Cohen 1960)"),
    "alpha": ("Krippendorff's alpha = 1 − Do / De, where Do is the observed disagreement (share of "
              "mismatching pairs of values within units) and De the disagreement expected when values "
              "are paired at random across all units; nominal: for binary data with n pairable values, "
              "alpha = 1 − (n − 1) × o01 / (n0 × n1) (Krippendorff 2004, 2011)"),
    "alpha_ci": ("95% interval: 2.5th and 97.5th percentiles of alpha over bootstrap resamples of the "
                 "units (with replacement, seeded)"),
    "interpretation": ("alpha ≥ 0.800: reliable; 0.667 ≤ alpha < 0.800: tentative conclusions only; "
                       "below 0.667: unreliable (Krippendorff 2004)"),
}


def verdict(alpha: float, alpha_low: float, n_units: int, min_units: int = MIN_UNITS) -> str:
    """The reading of an agreement row (``VERDICT_RULE``): "undefined" without
    alpha; "too few units" below ``min_units``; "no interval" without a
    bootstrap; else from the LOWER end of alpha's 95% interval: "reliable"
    (≥ 0.800), "tentative" (≥ 0.667), "unreliable" (Krippendorff 2004).

    Parameters
    ----------
    alpha, alpha_low : float
        Alpha and the lower end of its 95% interval (NaN or None when not computed).
    n_units : int
        Units behind alpha.
    min_units : int
        Fewest units for a verdict.

    Returns
    -------
    str
        "reliable", "tentative", "unreliable", "undefined", "too few units" or "no interval".
    """
    if alpha is None or pd.isna(alpha):
        return "undefined"
    if n_units < min_units:
        return "too few units"
    if alpha_low is None or pd.isna(alpha_low):
        return "no interval"
    return _band(alpha_low)


def interpretation(alpha: float) -> str:
    """Krippendorff's (2004) conventional reading of alpha: ≥ 0.800 reliable,
    ≥ 0.667 tentative conclusions only, below that unreliable; NaN undefined.

    Parameters
    ----------
    alpha : float
        Krippendorff's alpha (NaN or None when undefined).

    Returns
    -------
    str
        "reliable", "tentative conclusions only", "unreliable" or "undefined".
    """
    if alpha is None or pd.isna(alpha):
        return "undefined"
    band = _band(alpha)
    return "tentative conclusions only" if band == "tentative" else band


def _band(value: float) -> str:
    """Krippendorff's (2004) bands, the one place of the thresholds: "reliable" (≥ ``RELIABLE``),
    "tentative" (≥ ``TENTATIVE``), else "unreliable"."""
    if value >= RELIABLE:
        return "reliable"
    if value >= TENTATIVE:
        return "tentative"
    return "unreliable"


def krippendorff_alpha(reliability_data) -> float:
    """Krippendorff's alpha (nominal) of a coders × units array, NaN for
    missing values; NaN when undefined (fewer than two distinct values, or no
    unit with two values), without warnings.

    Parameters
    ----------
    reliability_data : array-like
        Coders × units values (numbers; NaN where a coder gave none).

    Returns
    -------
    float
        Nominal alpha (Krippendorff 2011), or NaN when undefined.
    """
    data = np.asarray(reliability_data, dtype=float)
    present = data[~np.isnan(data)]
    pairable = (~np.isnan(data)).sum(axis=0) >= 2
    if np.unique(present).size < 2 or not pairable.any():
        return float("nan")
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


@dataclass
class _Tally:
    """What the statistics need from a coders × units boolean table.

    ``patterns[k]``: units on which exactly k coders applied the code;
    ``applied[i]``/``only[i]``: units coder i applied it to / alone;
    ``pairs``: for two coders, the 2×2 table [[neither, only 2], [only 1, both]].
    """
    patterns: np.ndarray
    applied: np.ndarray
    only: np.ndarray
    pairs: np.ndarray

    @classmethod
    def empty(cls, n_coders: int) -> "_Tally":
        return cls(np.zeros(n_coders + 1, dtype=np.int64), np.zeros(n_coders, dtype=np.int64),
                   np.zeros(n_coders, dtype=np.int64), np.zeros((2, 2), dtype=np.int64))

    @classmethod
    def of(cls, values: np.ndarray) -> "_Tally":
        n_coders = values.shape[0]
        n_applied = values.sum(axis=0)
        pairs = np.zeros((2, 2), dtype=np.int64)
        if n_coders == 2:
            first, second = values[0], values[1]
            pairs = np.array([[np.sum(~first & ~second), np.sum(~first & second)],
                              [np.sum(first & ~second), np.sum(first & second)]], dtype=np.int64)
        return cls(patterns=np.bincount(n_applied, minlength=n_coders + 1).astype(np.int64),
                   applied=values.sum(axis=1).astype(np.int64),
                   only=(values & (n_applied == 1)).sum(axis=1).astype(np.int64), pairs=pairs)

    def __add__(self, other: "_Tally") -> "_Tally":
        return _Tally(self.patterns + other.patterns, self.applied + other.applied,
                      self.only + other.only, self.pairs + other.pairs)

    @property
    def n_units(self) -> int:
        return int(self.patterns.sum())

    @property
    def n_coders(self) -> int:
        return len(self.patterns) - 1

    @property
    def all_same(self) -> bool:
        return self.patterns[0] == self.n_units or self.patterns[-1] == self.n_units


def _kappa(pairs: np.ndarray) -> float:
    """Cohen's kappa (Cohen 1960) from the 2×2 table ``pairs`` (coder 1's decision
    by row, coder 2's by column): 1 − (observed disagreement / disagreement expected
    from the margins); NaN when the expected disagreement is 0 (both coders
    constant and alike, which ``agreement`` reports as "no variation" before this).

    The arithmetic of scikit-learn's ``cohen_kappa_score`` step for step, so the
    value is the same to the last bit (tests/unit/test_agreement_kappa.py) without
    importing scikit-learn, which costs the report process seconds.
    """
    confusion = np.asarray(pairs, dtype=np.float64).reshape(2, 2)
    sum0, sum1 = confusion.sum(axis=0), confusion.sum(axis=1)
    total = sum0.sum()
    if total == 0:
        return float("nan")
    expected = np.outer(sum0, sum1) / total
    disagreement = 1.0 - np.eye(2)
    denominator = np.sum(disagreement * expected)
    if denominator == 0:
        return float("nan")
    return float(1 - np.sum(disagreement * confusion) / denominator)


def _alpha(patterns: np.ndarray, max_units: int = PACKAGE_ALPHA_MAX_UNITS) -> float:
    """Krippendorff's nominal alpha of binary data without missing values,
    given ``patterns[k]`` = units on which k of the m coders said "applied";
    above ``max_units`` pooled decisions by the closed form (the same value)."""
    if patterns.sum() > max_units:
        return float(_alpha_closed_form(patterns[np.newaxis, :])[0])
    m = len(patterns) - 1
    applied = np.arange(m + 1)
    value_counts = np.repeat(np.column_stack([m - applied, applied]), patterns, axis=0)
    return float(krippendorff.alpha(value_counts=value_counts, level_of_measurement="nominal"))


def _alpha_closed_form(patterns: np.ndarray) -> np.ndarray:
    """Alpha for each row of ``patterns`` (resamples × (m+1)).

    With m values per unit, a unit with k "applied" adds k(m − k)/(m − 1) to
    the coincidence o01; n = m·N pairable values, n1 = Σ k·patterns[k],
    n0 = n − n1, and nominal alpha = 1 − (n − 1)·o01 / (n0·n1)
    (Krippendorff 2011, binary data). NaN where n0 or n1 is 0.
    """
    m = patterns.shape[1] - 1
    applied = np.arange(m + 1, dtype=float)
    n = m * patterns.sum(axis=1).astype(float)
    n1 = patterns @ applied
    n0 = n - n1
    o01 = patterns @ (applied * (m - applied)) / (m - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n - 1) * o01 / (n0 * n1)
    return np.where((n0 > 0) & (n1 > 0), alpha, np.nan)


def _bootstrap_interval(patterns: np.ndarray, n_boot: int, rng: np.random.Generator) -> tuple[float, float]:
    """95% percentile interval of alpha over resamples of the units.

    Drawing N units with replacement only changes how many units show each
    pattern, so a resample is one multinomial draw over the patterns (the same
    distribution as resampling units one by one, at a fraction of the cost).
    """
    if not n_boot:
        return np.nan, np.nan
    n = int(patterns.sum())
    draws = rng.multinomial(n, patterns / n, size=int(n_boot))
    alphas = _alpha_closed_form(draws)
    if np.isnan(alphas).all():
        return np.nan, np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanpercentile(alphas, [2.5, 97.5])
    return float(low), float(high)


def _rng(seed: int, code: str | None) -> np.random.Generator:
    """A stream per code, so a code's interval does not depend on which other
    codes are in the table."""
    key = [int(seed), 0] if code is None else [int(seed), 1, zlib.crc32(code.encode("utf-8"))]
    return np.random.default_rng(key)
