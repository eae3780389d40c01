"""The turn table, coded spans, highlighting and keyword in context behind
:class:`helpers.analysis.explore.Explorer` (issue 15 split of :mod:`helpers.analysis.explore`; the
counting rules are in that module's docstring).
"""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

from helpers.matching import Folded, find_term, fold_text, folded, term_pieces
from helpers.textutil import mask_annotations

TURN_COLUMNS = ["doc_id", "seg_no", "participant_id", "pseudonym", "speaker_role", "code", "coders", "n_codings",
                "text", "spans", "coded_text"]
KWIC_COLUMNS = ["doc_id", "participant_id", "seg_no", "left", "match", "right"]
MARK_A = "#CCE3F0"   # light tints of PALETTE blue / orange, readable under black text
MARK_B = "#F8E2B3"
MARK_BOTH = "#CCEBE2"


def _turn_table(study) -> pd.DataFrame:
    seg = study.segments
    turns = pd.DataFrame({
        "doc_id": seg["doc_id"].astype(str).to_numpy(), "seg_no": seg["seg_no"].astype("int64").to_numpy(),
        "participant_id": seg["participant_id"].astype("string").to_numpy(),
        "speaker_role": seg["speaker_role"].astype("string").to_numpy(),
        "start": seg["start"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan),
        "text": seg["text"].fillna("").astype(str).to_numpy()})
    return turns


def _relative_spans(touched: pd.DataFrame, turns: pd.DataFrame, turn_row: np.ndarray):
    """Coding spans as offsets into each touched turn's text, clipped to it;
    the whole turn where the coding or the segment has no offsets."""
    length = turns["text"].str.len().to_numpy()[turn_row].astype("float64")
    seg_start = turns["start"].to_numpy()[turn_row]
    start = touched["start"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    end = touched["end"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    span_from = np.clip(start - seg_start, 0, length)
    span_to = np.clip(end - seg_start, 0, length)
    whole = np.isnan(span_from) | np.isnan(span_to)
    span_from = np.where(whole, 0, span_from)
    span_to = np.where(whole, length, span_to)
    return span_from.astype("int64"), span_to.astype("int64")


def _merged_spans(order: np.ndarray, span_from: np.ndarray, span_to: np.ndarray,
                  turns: np.ndarray) -> list[tuple[tuple[int, int], ...]]:
    """Per turn of ``turns`` (sorted ranks): its non-empty spans, overlapping or
    touching ones merged, in text order."""
    keep = span_to > span_from
    order, span_from, span_to = order[keep], span_from[keep], span_to[keep]
    sort = np.lexsort((span_to, span_from, order))
    order, span_from, span_to = order[sort], span_from[sort], span_to[sort]
    out: list[tuple] = [()] * len(turns)
    if not len(order):
        return out
    # Running furthest end within each turn: offsetting each turn by a step
    # larger than any text keeps one cumulative maximum from crossing turns.
    step = int(span_to.max()) + 1
    shifted = span_to + order.astype("int64") * step
    reach = np.maximum.accumulate(shifted) - order.astype("int64") * step
    first = np.r_[True, order[1:] != order[:-1]]
    new_run = first | (span_from > np.r_[-1, reach[:-1]])
    run_starts = np.flatnonzero(new_run)
    run_turn = order[run_starts]
    run_from = span_from[run_starts]
    run_to = np.maximum.reduceat(span_to, run_starts)
    slot = np.searchsorted(turns, run_turn)
    bounds = np.r_[np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]]), len(slot)]
    for a, b in zip(bounds[:-1], bounds[1:]):
        out[slot[a]] = tuple(zip(run_from[a:b].tolist(), run_to[a:b].tolist()))
    return out


def _empty_turns() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("seg_no", "n_codings", "order") else "object")
                         for c in TURN_COLUMNS + ["order"]})


def _level_note(level) -> str:
    return f" (level {html.escape(str(level))})" if level else ""


def highlight(text: str, spans, colour: str | None = None) -> str:
    """A turn's text as HTML with the coded spans marked.

    Parameters
    ----------
    text : str
        The turn's text (escaped in the output, so transcript text such as
        ``<script>`` shows as text).
    spans : iterable of (int, int)
        ``(start, end)`` character offsets into ``text`` (end exclusive). They
        are taken sorted by start; the part of a span overlapping an earlier one
        is not marked again, an empty span is skipped.
    colour : str or None
        A CSS colour for the marks' background; None: the browser's default.

    Returns
    -------
    str
        The escaped text with each span wrapped in ``<mark>``.
    """
    style = f" style='background:{colour}'" if colour else ""
    pieces, position = [], 0
    for start, end in sorted(spans):
        start = max(start, position)
        if end <= start:
            continue
        pieces.append(html.escape(text[position:start]))
        pieces.append(f"<mark{style}>{html.escape(text[start:end])}</mark>")
        position = end
    pieces.append(html.escape(text[position:]))
    return "".join(pieces)


def highlight_two(text: str, spans_a, spans_b) -> str:
    """A turn's text as HTML with two codes' spans and their overlap marked in three colours.

    Parameters
    ----------
    text : str
        The turn's text (escaped in the output).
    spans_a : iterable of (int, int)
        Code A's ``(start, end)`` character offsets into ``text`` (end exclusive).
    spans_b : iterable of (int, int)
        Code B's spans, likewise.

    Returns
    -------
    str
        The escaped text cut at every span boundary; a piece inside an A span
        only is marked ``MARK_A``, inside a B span only ``MARK_B``, inside both
        ``MARK_BOTH`` (``<mark style='background:…'>``); other text unmarked.
    """
    cuts = sorted({0, len(text)} | {p for s in (*spans_a, *spans_b) for p in s})
    pieces = []
    for start, end in zip(cuts[:-1], cuts[1:]):
        in_a = any(f <= start and end <= t for f, t in spans_a)
        in_b = any(f <= start and end <= t for f, t in spans_b)
        piece = html.escape(text[start:end])
        colour = MARK_BOTH if in_a and in_b else MARK_A if in_a else MARK_B if in_b else None
        pieces.append(f"<mark style='background:{colour}'>{piece}</mark>" if colour else piece)
    return "".join(pieces)


def _turn_list(found: pd.DataFrame, limit: int | None, two: bool = False, colour: str | None = None) -> str:
    shown = found if limit is None else found.head(limit)
    blocks = []
    for r in shown.to_dict("records"):
        coders = f"{r['coders_a']} / {r['coders_b']}" if two else r["coders"]
        body = highlight_two(r["text"], r["spans_a"], r["spans_b"]) if two else highlight(r["text"], r["spans"], colour)
        blocks.append(
            "<div class='tt-turn' style='margin:0.6em 0'>"
            f"<div style='color:#555;font-size:90%'>{html.escape(str(r['pseudonym']))} · "
            f"{html.escape(str(r['doc_id']))} turn {int(r['seg_no'])} · coder {html.escape(str(coders))}</div>"
            f"<div style='white-space:pre-wrap'>{body}</div></div>")
    if len(found) > len(shown):
        blocks.append(f"<p>… and {len(found) - len(shown)} more</p>")
    return "".join(blocks)


# -- keyword in context (the hits: helpers.matching.find_term, the one definition) ----------------

class _Corpus:
    """Every turn's text joined once (annotations masked, offsets kept) and folded once
    (``matching.folded``), so a search is one pass."""

    SEPARATOR = "\x00"

    def __init__(self, turns: pd.DataFrame):
        self.turns = turns
        texts = turns["text"].tolist()
        lengths = np.array([len(t) for t in texts], dtype="int64")
        self.starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype("int64")
        self.ends = self.starts + lengths
        self.text = self.SEPARATOR.join(texts)
        self._folded = None
        self._folded_turns = None

    @property
    def folded(self) -> Folded:
        if self._folded is None:
            self._folded = folded(self.SEPARATOR.join(mask_annotations(t) for t in self.turns["text"].tolist()))
        return self._folded

    def candidates(self, term: str) -> np.ndarray:
        """Positions of turns whose folded text contains every literal piece of ``term``
        (``matching.term_pieces``, split at ``*``): every turn ``find_term`` could match in,
        and usually few more."""
        if self._folded_turns is None:
            self._folded_turns = pd.Series([fold_text(t) for t in self.turns["text"].tolist()], dtype="object")
        keep = np.ones(len(self._folded_turns), dtype=bool)
        for piece in (p for word in term_pieces(term) for p in word.split("*") if p):
            keep &= self._folded_turns.str.contains(piece, regex=False).to_numpy(dtype=bool)
        return np.flatnonzero(keep)

    def kwic(self, term: str, width: int = 60) -> pd.DataFrame:
        if not term or not term.strip():
            return pd.DataFrame({c: pd.Series(dtype="object") for c in KWIC_COLUMNS})
        hits = find_term(self.folded, term)
        if not hits:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in KWIC_COLUMNS})
        where = np.array(hits, dtype="int64")
        rows = np.searchsorted(self.starts, where[:, 0], side="right") - 1
        lo, hi = self.starts[rows], self.ends[rows]
        left = [self.text[max(a, s - width):s] for a, s in zip(lo, where[:, 0])]
        right = [self.text[e:min(b, e + width)] for b, e in zip(hi, where[:, 1])]
        chosen = self.turns.iloc[rows]
        return pd.DataFrame({"doc_id": chosen["doc_id"].to_numpy(),
                             "participant_id": chosen["participant_id"].to_numpy(),
                             "seg_no": chosen["seg_no"].to_numpy(), "left": left,
                             "match": [self.text[s:e] for s, e in hits], "right": right})


def kwic_in_segments(study, term: str, width: int = 60) -> pd.DataFrame:
    """Keyword in context over every turn of ``study``, interviewer turns included, with
    ``width`` characters of context as they fall (``frequency.kwic`` cuts at whole words).

    A hit is ``matching.find_term``'s, the one definition: whole words; case, accents,
    apostrophe and dash variants alike; ``*`` for any letters; annotations not searched.

    Parameters
    ----------
    study : Study
        Its ``segments`` (``doc_id``, ``seg_no``, ``participant_id``, ``text`` …).
    term : str
        One or more words (``stigma*``, ``peer support``); empty: no hits.
    width : int, default 60
        Characters of context either side, within the turn.

    Returns
    -------
    DataFrame
        Columns doc_id, participant_id, seg_no, left, match, right; one row per hit, in
        segments order; default RangeIndex.

    Raises
    ------
    ValueError
        A term of ``*`` only.
    """
    return _Corpus(_turn_table(study)).kwic(term, width)
