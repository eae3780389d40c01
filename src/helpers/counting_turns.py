"""The turns a coding touches and the span it covers (issue 15, item 3: one definition each; the
rules are stated in :mod:`helpers.counting` and docs/design.md §4 "Counting rules").

- **Turns.** A coding touches every turn from ``seg_first`` to ``seg_last`` of its document; a
  missing ``seg_last`` (or one before ``seg_first``) means the coding ends in its first turn; a
  coding without ``seg_first`` touches no turn (``turn_range``, ``expand_turns``,
  ``turns_touched``, ``coding_turns``).
- **Span.** A coding covers ``start`` .. ``end`` (character offsets into the document's clean
  text, end exclusive); a coding without offsets covers its turns, from the start of
  ``seg_first`` to the end of ``seg_last`` (``coding_spans``).

Every analysis (selection, holders, co-occurrence, agreement, themes, discovery, the explorer)
calls these; none expands turn ranges of its own (``tests/unit/test_one_definition.py``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["coding_spans", "coding_turns", "expand_turns", "turn_range", "turns_touched"]


def turn_range(codings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first and last turn of each coding.

    Parameters
    ----------
    codings : DataFrame
        Rows with ``seg_first`` and ``seg_last`` (turn numbers, may be missing).

    Returns
    -------
    first, last : ndarray of int64, shape (n,)
        Turn numbers; ``last`` is ``seg_last``, or ``first`` where it is missing or smaller.
        0 where the coding has no ``seg_first``.
    usable : ndarray of bool, shape (n,)
        True where ``seg_first`` is known (the coding touches turns).
    """
    first = codings["seg_first"].to_numpy(dtype="float64", na_value=np.nan)
    last = codings["seg_last"].to_numpy(dtype="float64", na_value=np.nan)
    usable = ~np.isnan(first)
    last = np.fmax(np.where(np.isnan(last), first, last), first)
    return (np.where(usable, first, 0).astype(np.int64), np.where(usable, last, 0).astype(np.int64), usable)


def expand_turns(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every turn of each range ``first`` .. ``last`` (both included).

    Parameters
    ----------
    first, last : ndarray of int, shape (n,)
        Turn ranges as ``turn_range`` gives them (a range with ``last < first`` is its first turn).

    Returns
    -------
    rows : ndarray of int64
        For each turn, the position of its range (0 .. n-1), ranges in order.
    turns : ndarray of int64
        The turn numbers, ascending within each range.
    """
    first = np.asarray(first, dtype=np.int64)
    lengths = np.maximum(np.asarray(last, dtype=np.int64) - first + 1, 1)
    rows = np.repeat(np.arange(len(first)), lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return rows, first[rows] + offsets


def turns_touched(codings: pd.DataFrame) -> pd.DataFrame:
    """One row per (coding, turn it touches).

    Parameters
    ----------
    codings : DataFrame
        Rows with ``doc_id``, ``seg_first``, ``seg_last``.

    Returns
    -------
    DataFrame
        Columns ``row`` (position in ``codings``, int64), ``doc_id`` and ``seg_no`` (int64),
        codings in order, turns ascending; codings without turn numbers are left out.
        Default RangeIndex.
    """
    first, last, usable = turn_range(codings)
    positions = np.flatnonzero(usable)
    rows, turns = expand_turns(first[usable], last[usable])
    expanded = positions[rows]
    return pd.DataFrame({"row": expanded.astype(np.int64), "doc_id": codings["doc_id"].to_numpy()[expanded],
                         "seg_no": turns.astype(np.int64)})


def coding_turns(codings: pd.DataFrame) -> pd.DataFrame:
    """The codings' rows repeated once per turn they touch.

    Parameters
    ----------
    codings : DataFrame
        Rows with ``seg_first`` and ``seg_last``, any other columns.

    Returns
    -------
    DataFrame
        The codings' columns plus ``seg_no`` (int64): one row per (coding, turn it touches),
        codings in order, turns ascending; codings without ``seg_first`` are left out.
        Default RangeIndex.
    """
    touched = turns_touched(codings)
    out = codings.iloc[touched["row"].to_numpy()].reset_index(drop=True)
    out["seg_no"] = touched["seg_no"].to_numpy()
    return out


def coding_spans(study, codings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The character span each coding covers.

    Parameters
    ----------
    study : Study
        For ``study.segments`` (``doc_id``, ``seg_no``, ``start``, ``end``).
    codings : DataFrame
        Rows with ``doc_id``, ``start``, ``end``, ``seg_first``, ``seg_last``.

    Returns
    -------
    start, end : ndarray of float64, shape (n,)
        ``[start, end)`` offsets into the document's clean text; a coding without offsets
        covers its turns (start of ``seg_first`` .. end of ``seg_last``); NaN when neither
        is known.
    """
    start = codings["start"].to_numpy(dtype="float64", na_value=np.nan).copy()
    end = codings["end"].to_numpy(dtype="float64", na_value=np.nan).copy()
    missing = np.isnan(start) | np.isnan(end)
    if missing.any() and len(study.segments):
        seg = study.segments
        index = pd.MultiIndex.from_arrays([seg["doc_id"].astype(str), seg["seg_no"].astype("float64")])
        sub = codings.loc[missing]
        first = sub["seg_first"].astype("float64")
        last = sub["seg_last"].astype("float64").fillna(first)
        at_first = index.get_indexer(pd.MultiIndex.from_arrays([sub["doc_id"].astype(str), first]))
        at_last = index.get_indexer(pd.MultiIndex.from_arrays([sub["doc_id"].astype(str), last]))
        seg_start = seg["start"].to_numpy(dtype="float64", na_value=np.nan)
        seg_end = seg["end"].to_numpy(dtype="float64", na_value=np.nan)
        start[missing] = np.where(at_first >= 0, seg_start[np.maximum(at_first, 0)], np.nan)
        end[missing] = np.where(at_last >= 0, seg_end[np.maximum(at_last, 0)], np.nan)
    return start, end
