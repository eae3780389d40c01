"""Co-occurrence counts (issue 15 split of :mod:`helpers.analysis.cooccurrence`): codes × codes
counts for each unit (segment, overlap, window, document, participant) as sparse incidence
matrices and their products; the rules are ``cooccurrence_rules.counting_rule``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from helpers.analysis.cooccurrence_rules import (
    MIN_TESTED_UNITS,
    _check_unit,
)
from helpers.analysis.frequency import code_order, kept_participants, select_codings, select_segments
from helpers.counting import check_level, coding_spans, expand_turns, holders, turn_range

_PAIR_CHUNK = 20_000_000   # overlap pairs materialised at once (bounds memory)


@dataclass
class Counts:
    """A unit's count matrix with what the measures need."""

    codes: list[str]
    matrix: np.ndarray          # codes x codes, int64, symmetric, diagonal = own counts
    n_units: int                # N
    unit: str
    window: int
    n_codings: int
    dropped: int                # codings that could not be placed in the unit
    expected: np.ndarray | None = None   # for ratio under overlap/window
    hits: np.ndarray | None = None       # [A, B]: A units (passages, turns) with a B in range
    same_branch: list = None             # (code, ancestor) pairs left out (level=None)
    min_tested_units: int = MIN_TESTED_UNITS

    @property
    def own(self) -> np.ndarray:
        return np.diag(self.matrix).astype(np.int64)


def count_matrix(study, unit: str = "segment", level: str | None = None, window: int = 1, coder=None,
                 participants=None, where: dict | None = None, *, with_expected: bool = False) -> Counts:
    """The codes x codes co-occurrence counts of a unit, with what the measures need.

    The counting rules are those of :mod:`helpers.analysis.cooccurrence`
    (``cooccurrence_rules.counting_rule`` says them): the passages counted are
    ``select_codings`` (primary coder per document unless ``coder`` says
    otherwise, rolled up to ``level``, overlapping codings of one code
    merged); a code and its own ancestor are one branch and not paired at
    ``level=None`` (``same_branch_pairs``, docs/design.md §4).

    Parameters
    ----------
    study : Study
        The study.
    unit : str, default "segment"
        "segment", "overlap", "window", "document" or "participant".
    level : str or None
        None: codes as applied; a level name (``"code"`` for the unnamed level,
        ``"top"`` for the top level): codes rolled up to it.
    window : int, default 1
        Turns either side (0 or more), for ``unit="window"``.
    coder : None, "all", str or list of str
        Whose codings count; see ``counting.select_coders``.
    participants : str, list of str or None
        Participant ids to keep; see ``kept_participants``.
    where : dict or None
        Participant attribute -> value(s) to keep; see ``kept_participants``.
    with_expected : bool, default False
        Also compute the expected counts of the ratio measure for units
        "overlap" and "window" (``Counts.expected``).

    Returns
    -------
    Counts
        ``codes`` (``code_order``), ``matrix`` (codes x codes int64, symmetric;
        a cell counts the units with both codes, the diagonal each code's own
        count: turns, passages, documents or participants), ``n_units`` (N:
        participant turns plus coded other turns for segment; the kept turns
        for window; usable passages for overlap; documents or participants),
        ``n_codings`` (passages counted), ``dropped`` (passages that could not
        be placed in the unit: no turn numbers, no span, no holder),
        ``expected`` (or None), ``hits`` ([A, B]: A units with a B in range),
        ``same_branch`` (pairs left out).

    Raises
    ------
    ValueError
        Unknown unit, a window that is not a whole number of turns >= 0, or a
        ``where`` key that is not a participant attribute.
    InputError
        Unknown level or coder.
    """
    _check_unit(unit)
    if unit == "window" and (int(window) != window or window < 0):
        raise ValueError("window must be a whole number of turns, 0 or more")
    window = int(window)
    level = check_level(study, level)
    codes = code_order(study, level)
    codings = select_codings(study, level, coder, participants, where)
    code_idx = positions_in(codings["code"], codes)
    keep = code_idx >= 0
    codings, code_idx = codings[keep].reset_index(drop=True), code_idx[keep]
    n_codes = len(codes)
    hits = None
    if unit in ("segment", "window"):
        matrix, n_units, dropped, expected, hits = _turn_counts(study, codings, code_idx, n_codes, unit, window,
                                                                participants, where, with_expected)
    elif unit == "overlap":
        matrix, dropped, expected, hits = _overlap_counts(study, codings, code_idx, n_codes, with_expected)
        n_units = len(codings) - dropped
    else:
        matrix, n_units, dropped = _holder_counts(study, codings, code_idx, n_codes, unit, participants, where)
        expected = None
    hits = matrix.copy() if hits is None else hits
    branch = same_branch_pairs(study, codes) if level is None else []
    for a, b in branch:   # a code and its own ancestor are one branch, not a co-occurrence (DESIGN §4)
        i, j = codes.index(a), codes.index(b)
        for m in (matrix, hits):
            m[i, j] = m[j, i] = 0
        if expected is not None:
            expected[i, j] = expected[j, i] = np.nan
    return Counts(codes, matrix, n_units, unit, window, len(codings), dropped, expected, hits, branch)


def same_branch_pairs(study, codes: list[str]) -> list[tuple[str, str]]:
    """The pairs of codes that lie on one branch of the hierarchy, which co-occurrence leaves out.

    A code and its parent, grandparent, … are one branch (docs/design.md §4):
    at the level of codes as applied they are not paired
    (``SAME_BRANCH_RULE``).

    Parameters
    ----------
    study : Study
        The study (its ``hierarchy``).
    codes : list of str
        The codes of the matrix.

    Returns
    -------
    list of tuple of (str, str)
        (code, ancestor) pairs with both among ``codes``, each once, in the
        order of ``codes`` then from the parent up.
    """
    hierarchy = study.hierarchy
    present = set(codes)
    pairs = []
    for code in codes:
        levels = hierarchy.by_name.get(code, [""])
        for level in levels:
            for ancestor, _ in hierarchy.chain(code, level)[1:]:
                if ancestor in present and ancestor != code:
                    pairs.append((code, ancestor))
    return list(dict.fromkeys(pairs))


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


def _turn_counts(study, codings, code_idx, n_codes, unit, window, participants, where, with_expected):
    segments = select_segments(study, participants, where)
    doc_idx, doc_names = pd.factorize(codings["doc_id"])
    first, last, usable = turn_range(codings)
    usable &= doc_idx >= 0
    dropped = int((~usable).sum())
    rows, seg = expand_turns(first[usable], last[usable])
    docs = doc_idx[usable][rows]
    codes = code_idx[usable][rows]
    k = window if unit == "window" else 0
    grid = _TurnGrid.for_turns(docs, seg, len(doc_names), k)
    x = _binary_incidence(grid.rows(docs, seg), codes, grid.n_rows, n_codes)
    if unit == "segment":
        n_units = _turn_population(segments, codings, docs, seg, doc_names)
    else:   # window: interviewer turns are in the distance, so in the population too
        n_units = max(len(segments), int(np.count_nonzero(np.diff(x.indptr))))
    same_turn = _gram(x)
    if unit == "segment":
        return same_turn, n_units, dropped, None, None
    near = _near_incidence(x, k)
    a_near_b = _gram(x, near)          # [A, B]: A-turns with a B-turn within k
    matrix = a_near_b + a_near_b.T - same_turn
    expected = None
    if with_expected:
        reach = _window_reach(near, grid, pd.Index(doc_names).astype(str), segments)
        own = np.diag(same_turn).astype("float64")
        expected = (np.outer(own, reach) + np.outer(reach, own) - np.outer(own, own)) / max(n_units, 1)
    return matrix, n_units, dropped, expected, a_near_b


def _turn_population(segments: pd.DataFrame, codings: pd.DataFrame, docs: np.ndarray, seg: np.ndarray,
                     doc_names) -> int:
    """N for turn units: the participant turns, plus any other turn a passage
    touches (an interviewer question someone coded). Interviewer turns nobody
    coded are not units: they could never carry a code (issue 12, point 9)."""
    participant = segments.loc[segments["speaker_role"].astype("string").fillna("") != "interviewer",
                               ["doc_id", "seg_no"]]
    keys = set(zip(participant["doc_id"].astype(str), participant["seg_no"].astype("int64")))
    names = np.asarray(pd.Index(doc_names).astype(str))
    keys |= set(zip(names[docs].tolist(), seg.tolist())) if len(docs) else set()
    return len(keys)


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


def _window_reach(near: sp.csr_matrix, grid: _TurnGrid, doc_names: pd.Index, segments: pd.DataFrame) -> np.ndarray:
    """Per code: the number of real turns (1 <= turn <= the document's last turn)
    within k turns of a turn carrying it."""
    n_turns = np.zeros(len(doc_names), dtype=np.int64)
    if len(segments):
        last_turn = segments.groupby(segments["doc_id"].astype(str))["seg_no"].max()
        idx = doc_names.get_indexer(last_turn.index)
        n_turns[idx[idx >= 0]] = last_turn.to_numpy(dtype=np.int64)[idx >= 0]
    n_turns = np.maximum(n_turns, grid.last)   # a coded turn is a turn even if segments lack it
    docs, seg = grid.turn_numbers()
    real = (seg >= 1) & (seg <= n_turns[docs])
    return np.asarray(near[real].sum(axis=0), dtype="float64").ravel()


def _holder_counts(study, codings, code_idx, n_codes, unit, participants, where):
    """document / participant: units carrying both codes."""
    if unit == "participant":
        # every participant whose own turn a passage touches holds it (DESIGN §4 "Who has a
        # code"): a passage across two focus-group speakers counts for both, one on the
        # interviewer's turns only for nobody (it used to go to the coding's first speaker)
        held = holders(study, codings)
        unit_ids, names = pd.factorize(held["participant_id"])
        usable = unit_ids >= 0
        x = _binary_incidence(unit_ids[usable], code_idx[held["row"].to_numpy()][usable], len(names), n_codes)
        not_held = len(codings) - held.loc[usable, "row"].nunique()
    else:
        unit_ids, names = pd.factorize(codings["doc_id"])
        usable = unit_ids >= 0
        x = _binary_incidence(unit_ids[usable], code_idx[usable], len(names), n_codes)
        not_held = int((~usable).sum())
    kept = kept_participants(study, participants, where)
    if unit == "participant":
        n_all = len(kept) if kept is not None else len(study.participants)
    else:
        documents = study.documents
        if kept is not None:
            docs = set(documents.loc[documents["participant_id"].isin(kept), "doc_id"])
            docs |= set(select_segments(study, participants, where)["doc_id"])
            n_all = len(docs)
        else:
            n_all = len(documents)
    return _gram(x), max(n_all, len(names)), int(not_held)


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


def _overlap_counts(study, codings, code_idx, n_codes, with_expected):
    start, end = coding_spans(study, codings)
    doc, _ = pd.factorize(codings["doc_id"])
    usable = ~np.isnan(start) & ~np.isnan(end) & (end > start) & (doc >= 0)
    doc, start, end, codes = doc[usable], start[usable].astype(np.int64), end[usable].astype(np.int64), code_idx[usable]
    flat = np.zeros(n_codes * n_codes, dtype=np.int64)
    pairs_per_doc = np.zeros(int(doc.max(initial=-1)) + 1, dtype=np.int64)
    has_partner = []   # (passage, code of an overlapping passage), both directions
    for i, j in overlap_pairs(doc, start, end):
        flat += np.bincount(codes[i] * n_codes + codes[j], minlength=n_codes * n_codes)
        has_partner.append(np.unique(np.concatenate([i.astype(np.int64) * n_codes + codes[j],
                                                     j.astype(np.int64) * n_codes + codes[i]])))
        if with_expected:
            pairs_per_doc += np.bincount(doc[i], minlength=len(pairs_per_doc))
    half = flat.reshape(n_codes, n_codes)
    matrix = half + half.T
    np.fill_diagonal(matrix, np.bincount(codes, minlength=n_codes))
    keys = np.unique(np.concatenate(has_partner)) if has_partner else np.zeros(0, dtype=np.int64)
    hits = np.bincount(codes[keys // n_codes] * n_codes + keys % n_codes,
                       minlength=n_codes * n_codes).reshape(n_codes, n_codes).astype(np.int64)
    np.fill_diagonal(hits, np.diag(matrix))
    expected = None
    if with_expected:
        per_doc = sp.csr_matrix((np.ones(len(doc)), (doc, codes)), shape=(len(pairs_per_doc), n_codes))
        n_doc = np.bincount(doc, minlength=len(pairs_per_doc)).astype("float64")
        all_pairs = n_doc * (n_doc - 1) / 2
        share = np.divide(pairs_per_doc, all_pairs, out=np.zeros_like(all_pairs), where=all_pairs > 0)
        expected = np.asarray((per_doc.T @ sp.diags(share) @ per_doc).toarray())
    return matrix, int((~usable).sum()), expected, hits


def pair_members(study, passages_: pd.DataFrame, a: str, b: str, unit: str = "segment",
                 window: int = 1) -> tuple[np.ndarray, int]:
    """Which passages the (A, B) cell of ``count_matrix`` counts, by the same rule.

    Parameters
    ----------
    study : Study
    passages_ : DataFrame
        Passages as ``select_codings`` gives them (columns ``doc_id``, ``code``,
        ``start``, ``end``, ``seg_first``, ``seg_last``).
    a, b : str
        The two codes.
    unit : str
        segment | overlap | window | document | participant (module docstring
        of :mod:`helpers.analysis.cooccurrence`).
    window : int
        Turns either side, for ``unit="window"``.

    Returns
    -------
    (ndarray of bool, int)
        Per row of ``passages_``: True for a passage of A or B that the cell
        counts (segment, window: it touches a turn carrying its code with a
        turn carrying the other within k turns, k = 0 for segment; overlap:
        it shares a character with a passage of the other code; document /
        participant: its document / one of its holders has both codes). And the
        cell's count by the same rule: turns (segment, window), overlapping
        pairs, documents or participants.

    Raises
    ------
    ValueError
        Unknown unit, or a window that is not a whole number of turns >= 0.
    """
    _check_unit(unit)
    if unit == "window" and (int(window) != window or window < 0):
        raise ValueError("window must be a whole number of turns, 0 or more")
    frame = passages_.reset_index(drop=True)
    member = np.zeros(len(frame), dtype=bool)
    code_idx = positions_in(frame["code"].astype("string"), [str(a), str(b)])
    sub = np.flatnonzero(code_idx >= 0)
    if len(sub) == 0 or str(a) == str(b):
        return member, 0
    codings, code_idx = frame.iloc[sub].reset_index(drop=True), code_idx[sub]
    if unit in ("segment", "window"):
        k = int(window) if unit == "window" else 0
        doc_idx, doc_names = pd.factorize(codings["doc_id"])
        first, last, usable = turn_range(codings)
        usable &= doc_idx >= 0
        kept = np.flatnonzero(usable)
        rows, seg = expand_turns(first[usable], last[usable])
        docs, codes = doc_idx[usable][rows], code_idx[usable][rows]
        grid = _TurnGrid.for_turns(docs, seg, len(doc_names), k)
        at = grid.rows(docs, seg)
        x = _binary_incidence(at, codes, grid.n_rows, 2)
        near = _near_incidence(x, k).toarray().astype(bool)
        hit = near[at, 1 - codes]          # this turn carries its code and the other is within k
        member[sub[kept[np.unique(rows[hit])]]] = True
        return member, len(np.unique(at[hit]))
    if unit == "overlap":
        start, end = coding_spans(study, codings)
        doc, _ = pd.factorize(codings["doc_id"])
        usable = ~np.isnan(start) & ~np.isnan(end) & (end > start) & (doc >= 0)
        kept = np.flatnonzero(usable)
        n = 0
        for i, j in overlap_pairs(doc[usable], start[usable].astype(np.int64), end[usable].astype(np.int64)):
            cross = code_idx[kept[i]] != code_idx[kept[j]]
            n += int(cross.sum())
            member[sub[kept[i[cross]]]] = True
            member[sub[kept[j[cross]]]] = True
        return member, n
    if unit == "participant":
        held = holders(study, codings)
        held = held.assign(code=code_idx[held["row"].to_numpy()]).dropna(subset=["participant_id"])
        both = held.groupby("participant_id")["code"].nunique()
        both = set(both[both == 2].index)
        rows = held.loc[held["participant_id"].isin(both), "row"].unique()
        member[sub[rows]] = True
        return member, len(both)
    docs = codings["doc_id"].astype("string")
    both = set(docs[code_idx == 0].dropna()) & set(docs[code_idx == 1].dropna())
    member[sub[docs.isin(both).fillna(False).to_numpy(dtype=bool)]] = True
    return member, len(both)
