"""Explore a study's coded turns: the plain functions behind the exploration
notebook, usable without widgets.

``Explorer(study)`` prepares, once, a turn table and one row per (coding,
turn it touches) for every level; each view is then a filter on those
frames (fast enough to call on every widget change: see bench/explore.py).

Counting rules
--------------
* **A turn carries a code** when a coding of it touches the turn: a coding
  touches turns ``seg_first`` .. ``seg_last`` of its document (DESIGN §4,
  unit ``segment``). With ``level`` given, codings are first rolled up to
  their ancestor at that level (``hierarchy.rollup``): a theme's turns are
  the turns of every code below it. ``level=None`` means codes as applied.
* **The coded span** shown in a turn is the part of the coding's
  ``start``..``end`` (character offsets into the clean text) inside the turn;
  a coding without offsets marks the whole turn. Spans of several codings of
  the code on one turn are merged.
* **Whose turn**: the turn's ``participant_id`` (segments), or the coding's
  when the segment names none. ``where`` filters on that participant's
  attributes (``study.participants``), comparing values as text.
* ``coder`` keeps only that coder's codings (a name or a list of names).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from helpers.hierarchy import codes_at, level_rank, rollup
from helpers.tables import coding_turns

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

try:  # the shared KWIC (helpers.analysis.frequency) when present: one definition of a hit
    from helpers.analysis.frequency import kwic as _shared_kwic
except ImportError:
    _shared_kwic = None

TURN_COLUMNS = ["doc_id", "seg_no", "participant_id", "pseudonym", "speaker_role", "code", "coders", "n_codings",
                "text", "spans", "coded_text"]
KWIC_COLUMNS = ["doc_id", "participant_id", "seg_no", "left", "match", "right"]
MARK_A = "#CCE3F0"   # light tints of PALETTE blue / orange, readable under black text
MARK_B = "#F8E2B3"
MARK_BOTH = "#CCEBE2"


@dataclass
class _Coded:
    """One level's codings, one entry per (coding, turn it touches), as arrays:
    code, coder, participant (the turn's, else the coding's), order (the
    turn's position in document/turn order), span_from/span_to (offsets into
    the turn's text); ``positions`` maps a code to its entries."""

    coder: np.ndarray
    participant: np.ndarray
    order: np.ndarray
    span_from: np.ndarray
    span_to: np.ndarray
    positions: dict[str, np.ndarray]
    codes: list[str]


@dataclass
class SideBySide:
    """Turns carrying both codes, only A, only B (each as ``code_turns``
    returns them; ``both`` has ``coders_a``/``coders_b`` and
    ``spans_a``/``spans_b``)."""

    code_a: str
    code_b: str
    level: str | None
    both: pd.DataFrame
    only_a: pd.DataFrame
    only_b: pd.DataFrame

    @property
    def counts(self) -> pd.Series:
        return pd.Series({"both": len(self.both), "only_a": len(self.only_a), "only_b": len(self.only_b)},
                         name="turns")


class Explorer:
    """Prepared views of one study (see the module's counting rules).

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    """

    def __init__(self, study: Study):
        self.study = study
        self.turns = _turn_table(study)
        # Turns in document and turn order: a view lists turns by this rank.
        self._by_rank = np.lexsort((self.turns["seg_no"].to_numpy(), self.turns["doc_id"].to_numpy()))
        self._rank = np.empty(len(self.turns), dtype="int64")
        self._rank[self._by_rank] = np.arange(len(self.turns))
        self._text = self.turns["text"].to_numpy(dtype=object)
        self._row_of = pd.Series(np.arange(len(self.turns)), index=pd.MultiIndex.from_arrays(
            [self.turns["doc_id"].astype(str), self.turns["seg_no"]]))
        people = study.participants.assign(participant_id=study.participants["participant_id"].astype(str))
        self.participants = people.drop_duplicates("participant_id").set_index("participant_id")
        self._labels = {str(k): str(v) for k, v in study.participant_label().items()}
        self._coded: dict[str | None, _Coded] = {}
        for level in self.levels():
            self._coded[level] = self._prepare(level)
        self._corpus = _Corpus(self.turns)

    # -- what there is to choose from ------------------------------------
    def levels(self) -> list[str | None]:
        """None (codes as applied), then the codebook's named levels, most specific first."""
        named = {str(lv) for lv in self.study.codebook["level"].dropna() if str(lv)}
        return [None] + sorted(named, key=lambda lv: (level_rank(lv, self.study.levels), lv))

    def codes(self, level: str | None = None) -> list[str]:
        """Codes some coding carries at ``level``: codebook order, then the rest by name."""
        return list(self._level(level).codes)

    def coders(self) -> list[str]:
        return self.study.coders()

    def attribute_values(self) -> dict[str, list[str]]:
        """Participant attribute -> its distinct values (as text, sorted)."""
        out = {}
        for attr in self.participants.columns:
            if attr == "pseudonym":
                continue
            values = self.participants[attr].dropna().astype(str)
            out[attr] = sorted(set(values))
        return out

    # -- views --------------------------------------------------------------
    def code_turns(self, code: str, level: str | None = None, coder=None, where: dict | None = None) -> pd.DataFrame:
        """The turns carrying ``code`` (module rules), in document and turn order.

        Columns: doc_id, seg_no, participant_id, pseudonym, speaker_role, code,
        coders (comma-separated, sorted), n_codings (codings of the code
        touching the turn), text, spans ((start, end) pairs into ``text``) and
        coded_text (the spans' text joined by ' … ').
        """
        return self._carrying(code, level, coder, where).drop(columns="order")

    def code_turns_html(self, code: str, level: str | None = None, coder=None, where: dict | None = None,
                        limit: int | None = None) -> str:
        """``code_turns`` as HTML: every piece of transcript text escaped, the
        coded span in ``<mark>``; at most ``limit`` turns shown."""
        found = self.code_turns(code, level, coder, where)
        head = (f"<p class='tt-count'><b>{len(found)}</b> turn{'s carry' if len(found) != 1 else ' carries'} "
                f"<b>{html.escape(str(code))}</b>{_level_note(level)}</p>")
        return "<div class='tt-explore'>" + head + _turn_list(found, limit) + "</div>"

    def cooccurring_turns(self, code_a: str, code_b: str, level: str | None = None, coder=None,
                          where: dict | None = None) -> SideBySide:
        """Turns carrying both codes, only A and only B (a turn carries a code
        as in ``code_turns``; DESIGN §4 unit ``segment``)."""
        a = self._carrying(code_a, level, coder, where)
        b = self._carrying(code_b, level, coder, where)
        shared = ["doc_id", "seg_no", "participant_id", "pseudonym", "speaker_role", "text", "coders", "spans", "order"]
        in_b = np.isin(a["order"].to_numpy(), b["order"].to_numpy())
        in_a = np.isin(b["order"].to_numpy(), a["order"].to_numpy())
        both = a.loc[in_b, shared].merge(b.loc[in_a, ["order", "coders", "spans"]], on="order", suffixes=("_a", "_b"))
        tidy = lambda frame: frame.drop(columns="order").reset_index(drop=True)  # noqa: E731
        return SideBySide(code_a, code_b, level, tidy(both), tidy(a.loc[~in_b]), tidy(b.loc[~in_a]))

    def cooccurring_turns_html(self, code_a: str, code_b: str, level: str | None = None, coder=None,
                               where: dict | None = None, limit: int | None = None) -> str:
        """Three columns: both (A and B spans marked in two colours), only A, only B."""
        pair = self.cooccurring_turns(code_a, code_b, level, coder, where)
        a, b = html.escape(str(code_a)), html.escape(str(code_b))
        columns = [(f"Both <b>{a}</b> and <b>{b}</b>", _turn_list(pair.both, limit, two=True)),
                   (f"Only <b>{a}</b>", _turn_list(pair.only_a, limit, colour=MARK_A)),
                   (f"Only <b>{b}</b>", _turn_list(pair.only_b, limit, colour=MARK_B))]
        counts = [len(pair.both), len(pair.only_a), len(pair.only_b)]
        cells = "".join(f"<div style='flex:1;min-width:14em'><h4>{title} ({n})</h4>{body}</div>"
                        for (title, body), n in zip(columns, counts))
        return ("<div class='tt-explore'>" + f"<p>{_level_note(level).strip(' ()') or 'codes as applied'}</p>"
                + f"<div style='display:flex;gap:1em;align-items:flex-start'>{cells}</div></div>")

    def kwic(self, term: str, width: int = 60) -> pd.DataFrame:
        """Keyword in context: doc_id, participant_id, seg_no, left, match,
        right (then any columns the shared KWIC adds), pseudonym.

        A hit is as ``helpers.analysis.frequency.kwic`` defines it (one definition
        everywhere); it is asked only about the turns that contain every word
        of ``term`` ignoring case (a quick superset test), so a search stays
        fast on a large study. A term with ``*`` (any letters: ``stigma*``),
        or a package without ``frequency.kwic``, uses the local search: the
        term as whole words, ignoring case, in every turn's text.
        """
        if not term or not term.strip():
            found = self._corpus.kwic("", width)
        elif _shared_kwic is not None and "*" not in term:
            candidates = self._corpus.candidates(term)
            found = _shared_kwic(replace(self.study, segments=self.study.segments.iloc[candidates]), term,
                                 width=width)
        else:
            found = self._corpus.kwic(term, width)
        pseudonyms = [self._labels.get(str(p), str(p)) if pd.notna(p) else "" for p in found["participant_id"]]
        return found.assign(pseudonym=pseudonyms)

    def kwic_html(self, term: str, width: int = 60, limit: int | None = None) -> str:
        found = self.kwic(term, width)
        shown = found if limit is None else found.head(limit)
        rows = "".join(
            f"<tr><td>{html.escape(str(r.pseudonym))}</td><td>{html.escape(str(r.doc_id))} turn {r.seg_no}</td>"
            f"<td style='text-align:right'>{html.escape(str(r.left))}</td><td><mark>{html.escape(str(r.match))}"
            f"</mark></td><td>{html.escape(str(r.right))}</td></tr>" for r in shown.itertuples())
        more = f"<p>… and {len(found) - len(shown)} more</p>" if len(found) > len(shown) else ""
        return (f"<div class='tt-explore'><p><b>{len(found)}</b> hits for <b>{html.escape(str(term))}</b></p>"
                f"<table>{rows}</table>{more}</div>")

    def participants_where(self, where: dict) -> set[str]:
        """participant_ids whose attributes match ``where`` (attr -> value or
        list of values, compared as text; all attributes must match)."""
        keep = np.ones(len(self.participants), dtype=bool)
        for attr, wanted in where.items():
            if attr not in self.participants.columns:
                raise ValueError(f"participants have no attribute {attr!r}; they have: "
                                 + ", ".join(map(str, self.participants.columns)))
            values = [wanted] if isinstance(wanted, (str, int, float, bool)) else list(wanted)
            column = self.participants[attr]
            keep &= (column.notna() & column.astype(str).isin([str(v) for v in values])).to_numpy()
        return set(self.participants.index[keep])

    # -- preparation ----------------------------------------------------------
    def _level(self, level: str | None) -> _Coded:
        if level not in self._coded:
            self._coded[level] = self._prepare(level)
        return self._coded[level]

    def _prepare(self, level: str | None) -> _Coded:
        study = self.study
        rolled = rollup(study.codings, study.codebook, level, study.levels)
        touched = coding_turns(rolled)
        rows = self._row_of.reindex(pd.MultiIndex.from_arrays(
            [touched["doc_id"].astype(str), touched["seg_no"]])).to_numpy()
        found = ~np.isnan(rows)
        touched = touched.loc[found]
        turn_row = rows[found].astype("int64")
        span_from, span_to = _relative_spans(touched, self.turns, turn_row)
        turn_participant = self.turns["participant_id"].to_numpy(dtype=object, na_value=None)[turn_row]
        coding_participant = touched["participant_id"].astype("string").to_numpy(dtype=object, na_value=None)
        participant = np.where(pd.isna(turn_participant), coding_participant, turn_participant)
        codes_of = touched["code"].astype(str).to_numpy(dtype=object)
        order = self._rank[turn_row]
        sort = np.lexsort((order, codes_of.astype(str)))       # by code, then document/turn order
        codes_sorted = codes_of[sort]
        firsts = np.flatnonzero(np.r_[True, codes_sorted[1:] != codes_sorted[:-1]]) if len(sort) else np.zeros(0, int)
        bounds = np.r_[firsts, len(sort)]
        positions = {str(codes_sorted[a]): np.arange(a, b) for a, b in zip(bounds[:-1], bounds[1:])}
        book = [c for c in codes_at(study.codebook, level) if c in positions]
        codes = book + sorted(set(positions) - set(book))
        return _Coded(touched["coder"].fillna("").astype(str).to_numpy(dtype=object)[sort], participant[sort],
                      order[sort], span_from[sort], span_to[sort], positions, codes)

    def _carrying(self, code: str, level: str | None, coder, where: dict | None) -> pd.DataFrame:
        """``code_turns`` plus ``order`` (the turn's rank in document/turn order)."""
        coded = self._level(level)
        rows = coded.positions.get(code)
        if rows is None:
            return _empty_turns()
        if coder is not None:
            rows = rows[np.isin(coded.coder[rows], [coder] if isinstance(coder, str) else list(coder))]
        if where:
            rows = rows[np.isin(coded.participant[rows], list(self.participants_where(where)))]
        if not len(rows):
            return _empty_turns()
        return self._turns_of(coded, rows, code)

    def _turns_of(self, coded: _Coded, rows: np.ndarray, code: str) -> pd.DataFrame:
        """Aggregate (coding, turn) entries (sorted by turn order) into one row per turn."""
        order = coded.order[rows]
        coders = coded.coder[rows]
        starts = np.flatnonzero(np.r_[True, order[1:] != order[:-1]])
        ends = np.r_[starts[1:], len(order)]
        turn_rows = self._by_rank[order[starts]]
        # Coders per turn: sort each turn's coders, keep each once, join.
        by_coder = np.lexsort((coders.astype(str), order))
        o, c = order[by_coder], coders[by_coder]
        fresh = np.r_[True, (o[1:] != o[:-1]) | (c[1:] != c[:-1])]
        o, c = o[fresh], c[fresh]
        coder_bounds = np.r_[np.flatnonzero(np.r_[True, o[1:] != o[:-1]]), len(o)]
        coder_text = [", ".join(c[a:b]) for a, b in zip(coder_bounds[:-1], coder_bounds[1:])]
        spans = _merged_spans(order, coded.span_from[rows], coded.span_to[rows], order[starts])
        texts = self._text[turn_rows]
        participants = coded.participant[rows][starts]
        chosen = self.turns.iloc[turn_rows]
        return pd.DataFrame({
            "doc_id": chosen["doc_id"].to_numpy(), "seg_no": chosen["seg_no"].to_numpy(),
            "participant_id": participants,
            "pseudonym": [self._labels.get(str(p), str(p)) if p is not None else "" for p in participants],
            "speaker_role": chosen["speaker_role"].to_numpy(), "code": code,
            "coders": coder_text, "n_codings": (ends - starts).astype("int64"), "text": texts, "spans": spans,
            "coded_text": [" … ".join(t[f:e] for f, e in sp) for t, sp in zip(texts, spans)],
            "order": order[starts]})


# -- helpers ---------------------------------------------------------------------

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
    """``text`` escaped, each (start, end) span wrapped in ``<mark>``."""
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
    """``text`` escaped, A's spans, B's spans and their overlap marked in three colours."""
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


# -- keyword in context (used when helpers.analysis.frequency has no kwic) ------------------

def term_pattern(term: str) -> re.Pattern:
    """``term`` as a whole word or phrase, any case; ``*`` matches any letters."""
    body = re.escape(term.strip()).replace(r"\*", r"\w*")
    return re.compile(r"(?<!\w)" + body + r"(?!\w)", re.IGNORECASE)


_WORD_CHAR = re.compile(r"\w")


def _wordy(text: str, i: int) -> bool:
    """Whether position ``i`` holds a word character (outside the text: no)."""
    return 0 <= i < len(text) and _WORD_CHAR.match(text[i]) is not None


class _Corpus:
    """Every turn's text joined once, so a search is one regex pass."""

    SEPARATOR = "\x00"

    def __init__(self, turns: pd.DataFrame):
        self.turns = turns
        texts = turns["text"].tolist()
        lengths = np.array([len(t) for t in texts], dtype="int64")
        self.starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype("int64")
        self.ends = self.starts + lengths
        self.text = self.SEPARATOR.join(texts)
        self.folded = pd.Series([t.casefold() for t in texts], dtype="object")
        lowered = self.text.lower()
        # Lower-casing keeps offsets unless some character lower-cases to two.
        self.lower = lowered if len(lowered) == len(self.text) else None

    def candidates(self, term: str) -> np.ndarray:
        """Positions of turns whose case-folded text contains every word of
        ``term`` (case-folded): every turn a case-insensitive whole-word
        search could match, and usually few more."""
        keep = np.ones(len(self.folded), dtype=bool)
        for word in term.casefold().split():
            keep &= self.folded.str.contains(word, regex=False).to_numpy(dtype=bool)
        return np.flatnonzero(keep)

    def hits(self, term: str) -> list[tuple[int, int]]:
        """(start, end) of every whole-word match, leftmost first, as ``term_pattern`` finds them.

        Fast path: the term without look-arounds on the lower-cased corpus (a
        literal prefix the regex engine can skip to), word edges checked per
        candidate; a rejected candidate resumes one character later, so no
        match hides another.
        """
        if self.lower is None:
            return [(m.start(), m.end()) for m in term_pattern(term).finditer(self.text)]
        core = re.compile(re.escape(term.strip().lower()).replace(r"\*", r"\w*"))
        text, found, position = self.lower, [], 0
        while (m := core.search(text, position)) is not None:
            start, end = m.span()
            if end > start and not _wordy(text, start - 1) and not _wordy(text, end):
                found.append((start, end))
                position = end
            else:
                position = start + 1
        return found

    def kwic(self, term: str, width: int = 60) -> pd.DataFrame:
        if not term or not term.strip():
            return pd.DataFrame({c: pd.Series(dtype="object") for c in KWIC_COLUMNS})
        hits = self.hits(term)
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
    """Keyword in context over every turn of ``study`` (see ``Explorer.kwic``
    for the rule): doc_id, participant_id, seg_no, left, match, right."""
    return _Corpus(_turn_table(study)).kwic(term, width)


# -- widgets -------------------------------------------------------------------------

ALL = "(all)"
AS_APPLIED = "(codes as applied)"


@dataclass
class ExplorerWidgets:
    """The widget tree (``ui``) and its parts, by name, for notebooks and tests.
    Displaying this object displays ``ui``."""

    ui: object
    controls: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)

    def _repr_mimebundle_(self, **kwargs):
        return self.ui._repr_mimebundle_(**kwargs)


def _show(output, html_text: str) -> None:
    """Replace an Output widget's content; needs no running kernel (so a
    notebook run by papermill builds the widgets without error)."""
    output.outputs = ({"output_type": "display_data", "metadata": {},
                       "data": {"text/html": html_text, "text/plain": "(see the HTML view)"}},)


def explorer_widgets(explorer: Explorer, limit: int = 50, max_attribute_values: int = 30) -> ExplorerWidgets:
    """Controls wired to Output widgets: coded turns (level, code, coder,
    attribute filters), KWIC (a text box) and side by side (two codes).
    Each change re-renders the HTML views of ``explorer`` (at most ``limit``
    turns shown)."""
    import ipywidgets as w

    level_options = [(AS_APPLIED, "")] + [(lv, lv) for lv in explorer.levels() if lv]
    level = w.Dropdown(options=level_options, value="", description="Level")
    code = w.Dropdown(options=explorer.codes(None), description="Code")
    coder = w.Dropdown(options=[ALL] + explorer.coders(), value=ALL, description="Coder")
    filters = {attr: w.SelectMultiple(options=values, description=attr, rows=min(4, len(values)))
               for attr, values in explorer.attribute_values().items() if 1 < len(values) <= max_attribute_values}
    turns_out = w.Output()
    term = w.Text(description="Word", placeholder="e.g. stigma*", continuous_update=False)
    kwic_out = w.Output()
    pair_level = w.Dropdown(options=level_options, value="", description="Level")
    code_a = w.Dropdown(options=explorer.codes(None), description="Code A")
    code_b = w.Dropdown(options=explorer.codes(None), description="Code B")
    pair_out = w.Output()

    busy = {"now": False}

    def chosen_level(dropdown):
        return dropdown.value or None

    def where():
        return {attr: list(box.value) for attr, box in filters.items() if box.value} or None

    def show_turns(*_):
        if busy["now"]:
            return
        if not code.value:
            _show(turns_out, "<p>No code at this level.</p>")
            return
        _show(turns_out, explorer.code_turns_html(code.value, chosen_level(level),
                                                  None if coder.value == ALL else coder.value, where(), limit))

    def show_kwic(*_):
        if busy["now"]:
            return
        _show(kwic_out, explorer.kwic_html(term.value, limit=limit) if term.value.strip()
              else "<p>Type a word (use * for any ending).</p>")

    def show_pair(*_):
        if busy["now"]:
            return
        if not (code_a.value and code_b.value):
            _show(pair_out, "<p>Choose two codes.</p>")
            return
        _show(pair_out, explorer.cooccurring_turns_html(code_a.value, code_b.value, chosen_level(pair_level),
                                                        limit=limit))

    def relevel(dropdowns, level_dropdown, then):
        def handler(*_):
            options = explorer.codes(chosen_level(level_dropdown))
            busy["now"] = True   # new options fire value changes: render once, at the end
            try:
                for i, dropdown in enumerate(dropdowns):
                    dropdown.options = options
                    dropdown.value = options[min(i, len(options) - 1)] if options else None
            finally:
                busy["now"] = False
            then()
        return handler

    level.observe(relevel([code], level, show_turns), names="value")
    pair_level.observe(relevel([code_a, code_b], pair_level, show_pair), names="value")
    for control in [code, coder, *filters.values()]:
        control.observe(show_turns, names="value")
    for control in [code_a, code_b]:
        control.observe(show_pair, names="value")
    term.observe(show_kwic, names="value")
    codes_now = explorer.codes(None)
    if len(codes_now) > 1:
        code_b.value = codes_now[1]
    show_turns()
    show_kwic()
    show_pair()

    tabs = w.Tab(children=[
        w.VBox([w.HBox([level, code, coder]), w.HBox(list(filters.values())), turns_out]),
        w.VBox([term, kwic_out]),
        w.VBox([w.HBox([pair_level, code_a, code_b]), pair_out])])
    for i, title in enumerate(["Coded turns", "Keyword in context", "Side by side"]):
        tabs.set_title(i, title)
    controls = {"level": level, "code": code, "coder": coder, "term": term, "pair_level": pair_level,
                "code_a": code_a, "code_b": code_b, **{f"where:{k}": v for k, v in filters.items()}}
    return ExplorerWidgets(tabs, controls, {"turns": turns_out, "kwic": kwic_out, "pair": pair_out})
