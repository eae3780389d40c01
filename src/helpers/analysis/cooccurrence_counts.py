"""Co-occurrence counts (issue 15 split of :mod:`helpers.analysis.cooccurrence`): codes × codes
counts for each unit (segment, overlap, window, document, participant) as sparse incidence
matrices and their products; the rules are ``cooccurrence_rules.counting_rule``. The incidence
matrices, the turn grid and the overlap sweep are ``cooccurrence_incidence``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from helpers.analysis.cooccurrence_incidence import (
    _binary_incidence,
    _gram,
    _near_incidence,
    _TurnGrid,
    overlap_pairs,
    positions_in,
)
from helpers.analysis.cooccurrence_rules import (
    MIN_TESTED_UNITS,
    _check_unit,
)
from helpers.analysis.frequency import code_order, kept_participants, select_codings, select_segments
from helpers.counting import check_level, coding_spans, expand_turns, holders, turn_range

# The public names, defined here or in cooccurrence_incidence (positions_in, overlap_pairs);
# importable from this module as before the split.
__all__ = ["Counts", "count_matrix", "overlap_pairs", "pair_members", "positions_in", "same_branch_pairs"]


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
                 window: int = 1, held: pd.DataFrame | None = None) -> tuple[np.ndarray, int]:
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
    held : DataFrame, optional
        ``counting.holders(study, passages_)``, for ``unit="participant"``: given by a caller
        asking about many pairs of the same passages (an evidence page), computed here otherwise.

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
        if held is None:
            held = holders(study, codings)
        else:  # the holders of every passage, kept for A's and B's and renumbered as rows of ``codings``
            position = np.full(len(frame), -1)
            position[sub] = np.arange(len(sub))
            held = held.assign(row=position[held["row"].to_numpy()])
            held = held.loc[held["row"] >= 0]
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
