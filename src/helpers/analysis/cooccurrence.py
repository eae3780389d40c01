"""Code co-occurrence by unit, with its measures (DESIGN §4, §6).

Units (what "A and B together" means):

- ``segment``: turns carrying both codes; a coding spanning turns 3–4 carries
  its code in both turns; a code applied twice in one turn counts once.
- ``overlap``: pairs of an A coding and a B coding whose [start, end) character
  spans share at least one character (ATLAS.ti/MAXQDA "intersection"). One A
  coding overlapping two B codings counts twice, so a cell may exceed
  min(nA, nB); such cells are listed in ``attrs["out_of_range"]``.
- ``window`` (k): turns that carry one of the two codes and have a turn carrying
  the other within k turns (by turn number, same document, interviewer turns
  included in the distance), a turn carrying both counted once. That is
  |{A-turns with a B-turn within k}| + |{B-turns with an A-turn within k}| −
  |{turns carrying both}|: MAXQDA's "proximity" made symmetric. With k = 0 it is
  the segment count. A cell can exceed min(nA, nB) here too (one A-turn between
  two B-turns gives 3 with nA = 1); such cells are flagged as for overlap.
- ``document`` / ``participant``: documents / participants carrying both.

The diagonal of the count matrix is each code's own count in that unit: turns
carrying it (segment, window), its codings (overlap), documents, participants.

Measures (n12 the cell, n1, n2 the two diagonal values, N the number of units):
``count``; ``c`` = n12 / (n1 + n2 − n12) (ATLAS.ti c-coefficient); ``conditional``
= P(column | row) = n12 / n_row; ``ratio`` = n12 / expected; ``p`` one-sided
Fisher exact test (more co-occurrence than chance) on
[[n12, n1−n12], [n2−n12, N−n1−n2+n12]] (segment, document, participant only);
``q`` Benjamini–Hochberg adjusted p over the pairs above the diagonal.

Speed: every unit is a sparse incidence matrix and one or two sparse products
(segment, window, document, participant), or a sorted sweep with
``np.searchsorted`` (overlap); there is no Python loop over codings.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from helpers.analysis.frequency import code_order, kept_participants, select_codings, select_segments
from helpers.counting import check_level, holders

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

UNITS = ("segment", "overlap", "window", "document", "participant")
MEASURES = ("count", "c", "conditional", "ratio", "p", "q")
TESTED_UNITS = ("segment", "document", "participant")
IMBALANCE_FOLD = 5.0
MIN_TESTED_UNITS = 20      # documents / participants below which no p-value is shown (issue 12, point 9)
NESTING_CAVEAT = ("Caveat: turns are nested in interviews (one person's turns are not independent), so "
                  "p-values treat as independent what is not; read them as a screen, not as evidence.")
SAME_BRANCH_RULE = ("At the level of codes as applied, a code and its own ancestor (parent, grandparent) are "
                    "one branch: they are not paired.")
_PAIR_CHUNK = 20_000_000   # overlap pairs materialised at once (bounds memory)


# -- counting rules, in words --------------------------------------------------

def counting_rule(unit: str, window: int = 1) -> str:
    """The counting rule of ``unit`` as one plain-English paragraph for a report."""
    _check_unit(unit)
    rules = {
        "segment": ("Co-occurrence by segment: a cell is the number of turns that carry both codes. A coding "
                    "that spans several turns carries its code in every turn it touches, and a code applied "
                    "twice in one turn counts once. The diagonal is the number of turns carrying the code; "
                    "N is the number of participant turns (plus any interviewer turn someone coded)."),
        "overlap": ("Co-occurrence by overlap: a cell is the number of pairs of an A passage and a B passage "
                    "whose coded text shares at least one character. One A passage overlapping two B passages "
                    "counts twice, so a cell can exceed the smaller code's number of passages (such cells are "
                    "flagged); P(B|A) is the share of A passages overlapping any B passage. The diagonal is the "
                    "number of passages of the code."),
        "window": (f"Co-occurrence within {window} turn(s): a cell is the number of turns that carry one of the "
                   f"two codes and have a turn carrying the other no more than {window} turn(s) away in the same "
                   "document (interviewer turns count in the distance), a turn carrying both counted once. "
                   "The diagonal is the number of turns carrying the code; N is the number of participant turns. "
                   "A cell can exceed the smaller code's number of turns (such cells are flagged); P(B|A) is the "
                   "share of A turns with a B turn within range."),
        "document": ("Co-occurrence by document: a cell is the number of documents (interviews, focus groups) "
                     "in which both codes are applied. The diagonal is the number of documents with the code."),
        "participant": ("Co-occurrence by participant: a cell is the number of participants to whom both codes "
                        "are attributed. The diagonal is the number of participants with the code."),
    }
    return rules[unit]


def measure_rule(measure: str, unit: str) -> str:
    """One sentence on what the cells of ``measure`` are."""
    expected = {
        "overlap": ("expected = the sum over documents of nA,d x nB,d x (share of the document's pairs of "
                    "codings that overlap)"),
        "window": ("expected = (nA x mB + nB x mA − nA x nB) / N, with mX the turns within the window of an "
                   "X-turn: what random placement of the turns would give"),
    }.get(unit, "expected = n1 x n2 / N")
    return {
        "count": "Cells are counts; the diagonal is each code's own count.",
        "c": ("Cells are c-coefficients n12 / (n1 + n2 − n12) (0 = never together, 1 = always together); "
              "the diagonal is 1." + (" With overlap counts the coefficient can exceed 1 or be undefined "
                                     "(blank) for flagged cells." if unit in ("overlap", "window") else "")),
        "conditional": ("Cells are P(column code | row code): the share of the row code's units (turns, passages, "
                        "documents, participants) that have the column code in range, so never above 1; "
                        "the diagonal is 1."),
        "ratio": f"Cells are observed / expected co-occurrence, {expected}; the diagonal is blank.",
        "p": ("Cells are one-sided Fisher exact p-values (co-occurring more than chance) on the 2x2 table of "
              "units; the diagonal is blank. " + NESTING_CAVEAT),
        "q": ("Cells are Benjamini–Hochberg adjusted p-values (false discovery rate) over all pairs of codes; "
              "the diagonal is blank. " + NESTING_CAVEAT),
    }[measure]


def _check_unit(unit: str) -> None:
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}; got {unit!r}")


def _check_measure(measure: str, unit: str) -> None:
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
    if measure in ("p", "q") and unit not in TESTED_UNITS:
        raise ValueError(f"measure {measure!r} (exact test) is defined for units {', '.join(TESTED_UNITS)} only; "
                         f"got unit {unit!r}")


# -- the counts ----------------------------------------------------------------

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
    """The co-occurrence counts of ``unit`` (see the module docstring)."""
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
    """(code, ancestor) pairs among ``codes`` that lie on one branch of the
    hierarchy (a code and its parent, grandparent, …), in code order."""
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
    """Position of each value in ``names`` (-1 when absent or missing), hashing
    each distinct value once (much faster than a lookup per row on string columns)."""
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


def _turn_numbers(codings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per coding: first turn, last turn (last = first when missing), usable mask."""
    first = codings["seg_first"].to_numpy(dtype="float64", na_value=np.nan)
    last = codings["seg_last"].to_numpy(dtype="float64", na_value=np.nan)
    last = np.where(np.isnan(last), first, last)
    usable = ~np.isnan(first)
    return (np.where(usable, first, 0).astype(np.int64), np.where(usable, last, 0).astype(np.int64), usable)


def _expand_turns(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of coding, turn number) for every turn each coding touches."""
    lengths = np.maximum(last - first + 1, 1)
    rows = np.repeat(np.arange(len(first)), lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return rows, first[rows] + offsets


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
    first, last, usable = _turn_numbers(codings)
    usable &= doc_idx >= 0
    dropped = int((~usable).sum())
    rows, seg = _expand_turns(first[usable], last[usable])
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


def _coding_spans(study, codings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) of each coding; a coding without offsets covers its turns."""
    start = codings["start"].to_numpy(dtype="float64", na_value=np.nan)
    end = codings["end"].to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(start) | np.isnan(end)
    if missing.any() and len(study.segments):
        seg = study.segments
        index = pd.MultiIndex.from_arrays([seg["doc_id"].astype(str), seg["seg_no"].astype("float64")])
        sub = codings[missing]
        at_first = index.get_indexer(pd.MultiIndex.from_arrays(
            [sub["doc_id"].astype(str), sub["seg_first"].astype("float64")]))
        at_last = index.get_indexer(pd.MultiIndex.from_arrays(
            [sub["doc_id"].astype(str), sub["seg_last"].fillna(sub["seg_first"]).astype("float64")]))
        seg_start = seg["start"].to_numpy(dtype="float64", na_value=np.nan)
        seg_end = seg["end"].to_numpy(dtype="float64", na_value=np.nan)
        start[missing] = np.where(at_first >= 0, seg_start[np.maximum(at_first, 0)], np.nan)
        end[missing] = np.where(at_last >= 0, seg_end[np.maximum(at_last, 0)], np.nan)
    return start, end


def overlap_pairs(doc: np.ndarray, start: np.ndarray, end: np.ndarray):
    """Yield (i, j) index arrays of every pair of spans sharing a character, in chunks.

    Sweep: spans sorted by (document, start); the spans overlapping span i from
    later in that order are exactly those that start before i ends in the same
    document, i.e. positions i+1 .. hi_i − 1 with hi_i = searchsorted(starts, end_i).
    All spans must be non-empty (end > start).
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
    start, end = _coding_spans(study, codings)
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


# -- measures ------------------------------------------------------------------

def _measure(counts: Counts, measure: str) -> np.ndarray:
    s = counts.matrix.astype("float64")
    own = counts.own.astype("float64")
    n1, n2 = own[:, None], own[None, :]
    diagonal = np.eye(len(own), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "count":
            return counts.matrix
        if measure == "c":
            denominator = n1 + n2 - s
            out = np.where(denominator > 0, s / denominator, np.nan)
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
    """Why p and q are not shown ('' when they are): fewer than
    ``MIN_TESTED_UNITS`` documents or participants."""
    if counts.unit in ("document", "participant") and counts.n_units < counts.min_tested_units:
        return (f"p-values are not shown: {counts.n_units} {counts.unit}s are fewer than the "
                f"{counts.min_tested_units} an exact test needs (min_tested_units).")
    return ""


def fisher_greater(n12, n1, n2, n_units) -> np.ndarray:
    """One-sided Fisher exact p (greater) of the 2x2 tables
    [[n12, n1−n12], [n2−n12, N−n1−n2+n12]]: P(X >= n12) for X hypergeometric
    (N units, n1 carrying A, n2 drawn)."""
    n12, n1, n2 = np.broadcast_arrays(*(np.asarray(v, dtype="float64") for v in (n12, n1, n2)))
    return np.asarray(stats.hypergeom.sf(n12 - 1, n_units, n1, n2), dtype="float64")


def benjamini_hochberg_matrix(p: np.ndarray) -> np.ndarray:
    """BH-adjusted q of the pairs above the diagonal, mirrored below; diagonal NaN."""
    upper = np.triu_indices(p.shape[0], k=1)
    q = np.full(p.shape, np.nan)
    if len(upper[0]):
        adjusted = stats.false_discovery_control(np.clip(p[upper], 0.0, 1.0), method="bh")
        q[upper] = adjusted
        q[(upper[1], upper[0])] = adjusted
    return q


# -- flags -----------------------------------------------------------------------

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


# -- public entry points ------------------------------------------------------------

def cooccurrence(study: Study, unit: str = "segment", level: str | None = None, window: int = 1, measure: str = "count",
                 coder: str | list[str] | None = None, participants: list[str] | None = None, where: dict | None = None,
                 min_tested_units: int = MIN_TESTED_UNITS) -> pd.DataFrame:
    """Codes x codes co-occurrence matrix (DESIGN §4).

    ``unit``: segment | overlap | window | document | participant (rules in the
    module docstring and ``counting_rule``). ``measure``: count | c | conditional |
    ratio | p | q. The count diagonal is each code's own unit count (turns,
    codings, documents, participants); c and conditional have 1 there, ratio, p
    and q NaN. ``p``/``q`` only for segment, document and participant units
    (ValueError otherwise).

    What is counted is ``counting.passages`` (one passage, one application;
    the primary coder per document unless ``coder`` is given; "all" merges
    coders). At ``level=None`` a code and its own ancestor are not paired
    (``attrs["same_branch"]`` lists the pairs left out).

    Filters: ``coder`` (None, "all", a coder or list), ``participants`` (ids),
    ``where`` ({attribute: value or list} on study.participants). N for ratio
    and p counts the filtered units: participant turns plus coded interviewer
    turns (segment), all turns (window), documents, the kept participants.
    ``p``/``q`` are NaN for document/participant units with fewer than
    ``min_tested_units`` units (``attrs["tests_withheld"]`` says why).
    ``conditional`` for overlap and window is the share of A passages
    (turns) with a B in range, never above 1.
    Rows and columns: codebook order at ``level``; alphabetical with ``level=None``
    (every code of the study, so filtered matrices line up).

    ``attrs``: rule, unit, measure, window, level, n_units, n_codings, dropped
    (codings without turn numbers or spans for this unit), out_of_range,
    frequency_imbalance.

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    unit : str, default "segment"
        segment, overlap, window, document or participant.
    level : str or None
        None: codes as applied; a level of ``study.levels`` (``"code"`` for the unnamed
        level): codings rolled up to it (``helpers.counting.check_level``).
    window : int, default 1
        Turns either side, for ``unit="window"``.
    measure : str, default "count"
        count, c, conditional, ratio, p or q.
    coder : None, "all", str or list of str
        Whose passages count: None the primary coder in each document, a name or list
        those coders merged, "all" every analysis coder (``counting.select_coders``).
    participants : list of str, optional
        Participant ids to keep.
    where : dict, optional
        {attribute: value or list of values} on ``study.participants``.
    min_tested_units : int, default 20
        Documents or participants below which no p-value is given.

    Returns
    -------
    DataFrame
        Square, codes x codes (index and columns the codes, same order); values are
        counts of units, or the measure (a share 0–1 for c and conditional, a ratio, a
        probability for p and q); ``attrs`` as above.

    Raises
    ------
    ValueError
        Unknown unit or measure, or p/q asked for an overlap or window unit.
    InputError
        Unknown level or coder (the message lists the study's).
    """
    _check_unit(unit)
    _check_measure(measure, unit)
    counts = count_matrix(study, unit, level, window, coder, participants, where,
                          with_expected=(measure == "ratio"))
    counts.min_tested_units = int(min_tested_units)
    values = _measure(counts, measure)
    frame = pd.DataFrame(values, index=pd.Index(counts.codes, name="code"), columns=pd.Index(counts.codes))
    out_of_range, imbalance = _flags(counts)
    frame.attrs.update({
        "rule": _rule(study, counts, coder) + " " + measure_rule(measure, unit),
        "same_branch": list(counts.same_branch or []), "tests_withheld": tests_withheld(counts),
        "unit": unit, "measure": measure, "window": window if unit == "window" else None, "level": level,
        "coder": coder, "n_units": int(counts.n_units), "n_codings": int(counts.n_codings),
        "dropped": int(counts.dropped), "out_of_range": out_of_range, "frequency_imbalance": imbalance,
    })
    return frame


def _rule(study, counts: Counts, coder) -> str:
    from helpers.counting import rule_text

    parts = [rule_text(study, coder), counting_rule(counts.unit, counts.window)]
    if counts.same_branch:
        shown = ", ".join(f"{a}–{b}" for a, b in counts.same_branch[:8])
        more = "" if len(counts.same_branch) <= 8 else f" and {len(counts.same_branch) - 8} more"
        parts.append(f"{SAME_BRANCH_RULE} Left out: {shown}{more}.")
    if tests_withheld(counts):
        parts.append(tests_withheld(counts))
    return " ".join(parts)


def cooccurrence_table(study, unit: str = "segment", level: str | None = None, window: int = 1, coder=None,
                       participants=None, where: dict | None = None, min_count: int = 1,
                       min_tested_units: int = MIN_TESTED_UNITS) -> pd.DataFrame:
    """Long form, one row per pair of codes (a before b in code order) with
    n_ab >= ``min_count``: code_a, code_b, n_a, n_b, n_ab, c, conditional_ab
    (P(b | a)), conditional_ba, ratio, and p, q for segment/document/participant.
    q is adjusted over ALL pairs of codes, before ``min_count`` drops any.
    Sorted by n_ab descending, then code_a, code_b. attrs as ``cooccurrence``."""
    counts = count_matrix(study, unit, level, window, coder, participants, where, with_expected=True)
    counts.min_tested_units = int(min_tested_units)
    i, j = np.triu_indices(len(counts.codes), k=1)
    codes = np.asarray(counts.codes, dtype=object)
    own = counts.own
    table = pd.DataFrame({
        "code_a": pd.array(codes[i], dtype="string"), "code_b": pd.array(codes[j], dtype="string"),
        "n_a": own[i], "n_b": own[j], "n_ab": counts.matrix[i, j],
        "c": _measure(counts, "c")[i, j],
        "conditional_ab": _measure(counts, "conditional")[i, j],
        "conditional_ba": _measure(counts, "conditional")[j, i],
        "ratio": _measure(counts, "ratio")[i, j],
    })
    if unit in TESTED_UNITS:
        table["p"] = _measure(counts, "p")[i, j]
        table["q"] = _measure(counts, "q")[i, j]
    table = table[table["n_ab"] >= min_count]
    table = table.sort_values(["n_ab", "code_a", "code_b"], ascending=[False, True, True], kind="stable")
    table = table.reset_index(drop=True)
    out_of_range, imbalance = _flags(counts)
    table.attrs.update({
        "rule": _rule(study, counts, coder), "unit": unit,
        "same_branch": list(counts.same_branch or []), "tests_withheld": tests_withheld(counts), "window": window if unit == "window" else None,
        "level": level, "coder": coder, "n_units": int(counts.n_units), "n_codings": int(counts.n_codings),
        "dropped": int(counts.dropped), "out_of_range": out_of_range, "frequency_imbalance": imbalance,
    })
    return table
