"""Sparse incidence for co-occurrence (issue 15 split of :mod:`helpers.analysis.cooccurrence_counts`):
units x codes incidence matrices and their products, the turn grid that keeps a window of turns
inside its document, and the sweep that finds every pair of overlapping spans. The counts built
on them, and the rules they follow, are ``cooccurrence_counts.count_matrix``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

_PAIR_CHUNK = 20_000_000   # overlap pairs materialised at once (bounds memory)


def positions_in(values: pd.Series, names: list[str]) -> np.ndarray:
    """The position of each value in a list of names.

    Each distinct value is hashed once (much faster than a lookup per row on
    string columns); values are compared as text.

    Parameters
    ----------
    values : Series
        The values, e.g. a ``code`` column.
    names : list of str
        The names, e.g. ``code_order``.

    Returns
    -------
    ndarray of int64
        One position per value, in the order of ``values``; -1 for a value
        absent from ``names`` or missing.
    """
    row_ids, uniques = pd.factorize(values)
    lookup = np.append(pd.Index(names).get_indexer(pd.Index(uniques).astype(str)), -1).astype(np.int64)
    return lookup[row_ids]   # row_ids == -1 (missing) picks the appended -1


def _binary_incidence(unit_ids: np.ndarray, code_idx: np.ndarray, n_units: int, n_codes: int) -> sp.csr_matrix:
    """units x codes, 1 where the unit carries the code (duplicates collapse)."""
    x = sp.csr_matrix((np.ones(len(unit_ids), dtype=np.int32), (unit_ids, code_idx)),
                      shape=(n_units, n_codes))
    x.sum_duplicates()
    x.data[:] = 1
    return x


def _gram(x: sp.csr_matrix, y: sp.csr_matrix | None = None) -> np.ndarray:
    """x.T @ y as a dense int64 codes x codes array."""
    xt = x.T.tocsr()
    product = xt @ (x if y is None else y)
    return np.asarray(product.toarray(), dtype=np.int64)


@dataclass
class _TurnGrid:
    """Row numbers for turns: document d's turn s is row offset[d] + k + s, each
    document's block padded with k empty rows on both sides, so shifting a row
    by up to k never reaches another document."""

    offset: np.ndarray      # first row of each document's block
    last: np.ndarray        # last coded turn of each document
    k: int
    n_rows: int

    @classmethod
    def for_turns(cls, docs: np.ndarray, seg: np.ndarray, n_docs: int, k: int) -> "_TurnGrid":
        last = np.zeros(n_docs, dtype=np.int64)
        np.maximum.at(last, docs, seg)
        lengths = last + 2 * k + 1
        offset = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        return cls(offset, last, k, int(lengths.sum()))

    def rows(self, docs: np.ndarray, seg: np.ndarray) -> np.ndarray:
        return self.offset[docs] + self.k + seg

    def turn_numbers(self) -> tuple[np.ndarray, np.ndarray]:
        """(document, turn number) of every row, padding rows included."""
        lengths = np.diff(np.append(self.offset, self.n_rows))
        docs = np.repeat(np.arange(len(self.offset)), lengths)
        return docs, np.arange(self.n_rows) - self.offset[docs] - self.k


def _shift_rows(x: sp.csr_matrix, delta: int) -> sp.csr_matrix:
    """x with row r moved to row r + delta (rows pushed off the end must be empty,
    which the padding of _TurnGrid guarantees)."""
    indptr = x.indptr
    if delta > 0:
        moved = np.concatenate([np.zeros(delta, dtype=indptr.dtype), indptr[:len(indptr) - delta]])
    else:
        moved = np.concatenate([indptr[-delta:], np.full(-delta, indptr[-1], dtype=indptr.dtype)])
    return sp.csr_matrix((x.data, x.indices, moved), shape=x.shape)


def _near_incidence(x: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """rows x codes, 1 where a turn within k turns (same document) carries the
    code: the banded sum of the incidence along the turn axis (x shifted by
    -k..k rows and added), made binary."""
    near = x.copy()
    for delta in range(1, k + 1):          # 2k shifts, each a vectorised sparse addition
        near = near + _shift_rows(x, delta) + _shift_rows(x, -delta)
    near = near.tocsr()
    near.data[:] = 1
    return near


def overlap_pairs(doc: np.ndarray, start: np.ndarray, end: np.ndarray):
    """Every pair of spans sharing at least one character, in chunks.

    Sweep: spans sorted by (document, start); the spans overlapping span i from
    later in that order are exactly those that start before i ends in the same
    document, i.e. positions i+1 .. hi_i − 1 with hi_i = searchsorted(starts, end_i).
    A chunk holds at most about 20 million pairs (``_PAIR_CHUNK``) to bound memory.

    Parameters
    ----------
    doc : ndarray of int
        Document number of each span (e.g. ``pd.factorize(doc_id)``), >= 0.
    start : ndarray of int
        Start offset of each span (characters).
    end : ndarray of int
        End offset of each span (characters, exclusive); every span must be
        non-empty (end > start).

    Yields
    ------
    tuple of (ndarray, ndarray)
        ``(i, j)``: positions in the inputs of the two spans of each pair; each
        unordered pair appears once over all chunks. Nothing for no spans.
    """
    n = len(doc)
    if n == 0:
        return
    stride = int(end.max()) + 1
    keys = doc * stride + start
    order = np.argsort(keys)   # ties in start may come in any order: each pair is still seen once
    start_keys = keys[order]
    end_keys = doc[order] * stride + end[order]
    hi = np.searchsorted(start_keys, end_keys, side="left")
    n_after = hi - np.arange(n) - 1
    cumulative = np.cumsum(n_after)
    begin = 0
    while begin < n:
        # as many spans as keep the chunk's pair count under _PAIR_CHUNK
        base = cumulative[begin - 1] if begin else 0
        stop = int(np.searchsorted(cumulative, base + _PAIR_CHUNK, side="right"))
        stop = max(stop, begin + 1)
        counts = n_after[begin:stop]
        left = np.repeat(np.arange(begin, stop), counts)
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        right = left + 1 + offsets
        yield order[left], order[right]
        begin = stop
