"""Quote alignment: find a researcher's quote in a document's clean text.

Researchers copy quotes into coding sheets by hand, so a quote rarely equals
the transcript character for character. ``align_quote`` finds it in three steps
and returns exact character offsets into ``CleanDocument.text``:

1. **exact**: the same words in the same order within one turn, after
   normalising both sides: case; curly vs straight quotes; dash variants;
   whitespace; punctuation between words (full stops, commas, ellipses,
   false-start dashes); fillers (``config.fillers``: um, er, …) and bracketed
   annotations (``[laughs]``, ``(inaudible)``) dropped; any redaction placeholder
   (``(PSW)``) equals any other placeholder. The quote is redacted first, so a
   name typed in the quote matches its placeholder in the text.
2. **elided**: a quote with ``...`` or ``…`` inside is several pieces; each piece
   is found exactly, in order, within one turn; the span runs from the first
   piece's start to the last piece's end.
3. **fuzzy**: the turn that best contains the quote by rapidfuzz
   ``partial_ratio`` (whole-turn ``ratio`` when the turn is shorter than the
   quote) at or above ``threshold`` (0–1); the span is the aligned part, snapped
   to whole words (a word at the edge is kept when at least half of it is
   covered). Elided quotes are scored piece by piece, weighted by length.

A quote found more than once takes the occurrence nearest the hint (``hint_seg``:
a turn number, ``hint_offset``: a character offset), else the first;
``n_occurrences`` says how many there were so callers can warn.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from helpers.textutil import ANNOTATION_RE, PLACEHOLDER_RE

# One-to-one character folds, so offsets in the folded text equal offsets in the original.
_FOLD = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"',
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    "\u00a0": " ", "\t": " ", "\n": " ", "\r": " ",
})
_TOKEN_RE = re.compile(PLACEHOLDER_RE.pattern + r"|[^\W_]+(?:['-][^\W_]+)*")
_ELISION_RE = re.compile(r"\[\s*(?:\.\s*){3,}\]|\(\s*(?:\.\s*){3,}\)|(?:\.\s*){3,}|…")
PLACEHOLDER_TOKEN = "\u2063"  # any placeholder: matches any other placeholder


@dataclass(frozen=True)
class QuoteMatch:
    start: int                # offsets into the clean text, end exclusive
    end: int
    score: float              # 1.0 for exact and elided matches, else the fuzzy score (0–1)
    method: str               # 'exact' | 'elided' | 'fuzzy'
    n_occurrences: int        # how many places matched equally well
    seg_first: int | None = None
    seg_last: int | None = None


def fold(text: str) -> str:
    """Lower case and the one-to-one folds above; same length as ``text``."""
    text = text.translate(_FOLD)
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def word_tokens(text: str, fillers: frozenset[str]) -> list[tuple[str, int, int]]:
    """(normalised word, start, end) of each word of ``text``, offsets into ``text``.

    Annotations are blanked out first; fillers are dropped; a placeholder
    becomes PLACEHOLDER_TOKEN.
    """
    original = text
    text = ANNOTATION_RE.sub(lambda m: " " * len(m.group(0)), text.translate(_FOLD))
    folded = fold(text)
    out = []
    for m in _TOKEN_RE.finditer(text):
        if original[m.start()] == "(":
            out.append((PLACEHOLDER_TOKEN, m.start(), m.end()))
            continue
        word = folded[m.start():m.end()]
        if word in fillers:
            continue
        out.append((word, m.start(), m.end()))
    return out


def quote_pieces(quote: str, redact, fillers) -> list[str]:
    """The normalised pieces of a quote (one unless it has elisions); empty pieces dropped."""
    fillers = frozenset(f.lower() for f in fillers)
    redacted = redact(quote) if redact is not None else quote
    pieces = []
    for part in _ELISION_RE.split(redacted):
        words = [w for w, _, _ in word_tokens(part, fillers)]
        if words:
            pieces.append(" ".join(words))
    return pieces


class Flow:
    """Words as one normalised string with a map back to the original offsets.

    Word k spans ``norm[norm_start[k]:norm_end[k]]`` and
    ``text[orig_start[k]:orig_end[k]]``; words are joined by one space, or by
    a newline where a match must not cross (between turns).
    """

    def __init__(self, norm: str, norm_start, norm_end, orig_start, orig_end):
        self.norm = norm
        self.norm_start = np.asarray(norm_start, dtype=int)
        self.norm_end = np.asarray(norm_end, dtype=int)
        self.orig_start = np.asarray(orig_start, dtype=int)
        self.orig_end = np.asarray(orig_end, dtype=int)

    @classmethod
    def of_words(cls, words: list[tuple[str, int, int]], offset: int = 0) -> "Flow":
        ns, cursor = [], 0
        for w, _, _ in words:
            ns.append(cursor)
            cursor += len(w) + 1
        return cls(" ".join(w for w, _, _ in words), ns, [n + len(w) for n, (w, _, _) in zip(ns, words)],
                   [offset + s for _, s, _ in words], [offset + e for _, _, e in words])

    def find_all(self, piece: str, lo: int = 0, hi: int | None = None) -> list[int]:
        """Start positions in norm[lo:hi] where ``piece`` occurs on word boundaries."""
        norm = self.norm
        hi = len(norm) if hi is None else hi
        out, at = [], norm.find(piece, lo, hi)
        while at >= 0:
            end = at + len(piece)
            if (at == 0 or norm[at - 1] in " \n") and (end == len(norm) or norm[end] in " \n"):
                out.append(at)
            at = norm.find(piece, at + 1, hi)
        return out

    def offsets(self, a: int, b: int) -> tuple[int, int]:
        """Original offsets of the words of norm[a:b] (a, b on word boundaries)."""
        first = int(np.searchsorted(self.norm_start, a))
        last = int(np.searchsorted(self.norm_end, b, side="right")) - 1
        return int(self.orig_start[first]), int(self.orig_end[last])

    def snapped(self, a: int, b: int, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
        """Original offsets of the words (among words lo..hi) covered by norm[a:b];
        an edge word counts when at least half of it is covered."""
        hi = len(self.norm_start) if hi is None else hi
        starts, ends = self.norm_start[lo:hi], self.norm_end[lo:hi]
        covered = np.minimum(ends, b) - np.maximum(starts, a)
        keep = np.flatnonzero(covered * 2 >= (ends - starts))
        if not len(keep):
            keep = np.array([int(np.argmax(covered))])
        return int(self.orig_start[lo + keep[0]]), int(self.orig_end[lo + keep[-1]])


class DocumentIndex:
    """A document's words, normalised, three ways: per turn (``turns``: turns
    joined by newlines so that no match crosses a turn), across turns
    (``joined``: the same words, turns joined by spaces) and the whole clean
    text with its speaker labels (``full``: for selections made in another
    program, which may run over a ``P:`` label)."""

    def __init__(self, doc, fillers=()):
        self.doc = doc
        self.fillers = frozenset(f.lower() for f in fillers)
        segments = doc.segments
        empty = np.zeros(0, int)
        self.seg_nos = np.asarray(segments["seg_no"], dtype=int) if len(segments) else empty
        self.seg_start = np.asarray(segments["start"], dtype=int) if len(segments) else empty
        self.seg_end = np.asarray(segments["end"], dtype=int) if len(segments) else empty
        words: list[tuple[str, int, int]] = []
        self.turn_norm: list[str] = []
        self.turn_span: list[tuple[int, int]] = []  # [first word, last word + 1) of each turn
        for start, end in zip(self.seg_start, self.seg_end):
            turn = [(w, start + s, start + e) for w, s, e in word_tokens(doc.text[start:end], self.fillers)]
            self.turn_span.append((len(words), len(words) + len(turn)))
            self.turn_norm.append(" ".join(w for w, _, _ in turn))
            words += turn
        self.turn_offset = np.cumsum([0] + [len(t) + 1 for t in self.turn_norm])[:-1] if self.turn_norm else empty
        # positions laid out turn by turn (an empty turn still takes its newline)
        norm_start = []
        for (lo, hi), offset in zip(self.turn_span, self.turn_offset):
            cursor = int(offset)
            for w, _, _ in words[lo:hi]:
                norm_start.append(cursor)
                cursor += len(w) + 1
        norm_end = [n + len(w) for n, (w, _, _) in zip(norm_start, words)]
        orig_start, orig_end = [s for _, s, _ in words], [e for _, _, e in words]
        turns_norm = "\n".join(self.turn_norm)
        self.turns = Flow(turns_norm, norm_start, norm_end, orig_start, orig_end)
        self.joined = Flow(turns_norm.replace("\n", " "), norm_start, norm_end, orig_start, orig_end)
        self._full: Flow | None = None
        self.n_words = len(words)

    @property
    def full(self) -> Flow:
        if self._full is None:
            self._full = Flow.of_words(word_tokens(self.doc.text, self.fillers))
        return self._full

    def match(self, start: int, end: int, score: float, method: str, n: int) -> QuoteMatch:
        first, last = self.segs(start, end)
        return QuoteMatch(start, end, score, method, n, first, last)

    def segs(self, start: int, end: int) -> tuple[int | None, int | None]:
        """First and last turn (seg_no) the span [start, end) touches."""
        if not len(self.seg_nos):
            return None, None
        first = min(int(np.searchsorted(self.seg_end, start, side="right")), len(self.seg_nos) - 1)
        last = max(int(np.searchsorted(self.seg_start, end, side="left")) - 1, first)
        return int(self.seg_nos[first]), int(self.seg_nos[last])


_CACHE: dict[tuple[int, frozenset], DocumentIndex] = {}


def index_document(doc, fillers=()) -> DocumentIndex:
    """The (cached) index of a CleanDocument; pass it to align_quote to reuse it."""
    key = (id(doc), frozenset(f.lower() for f in fillers))
    found = _CACHE.get(key)
    if found is None or found.doc is not doc:
        if len(_CACHE) > 256:
            _CACHE.clear()
        found = _CACHE[key] = DocumentIndex(doc, fillers)
    return found


def align_quote(quote: str, doc, redact=None, fillers=(), threshold: float = 0.9,
                hint_seg: int | None = None, hint_offset: int | None = None) -> QuoteMatch | None:
    """Where ``quote`` is in ``doc`` (a CleanDocument or DocumentIndex), or None.

    See the module docstring for the matching rules. ``redact`` (a Redactor or
    any str -> str) is applied to the quote first; ``threshold`` is the lowest
    fuzzy score accepted, 0–1.
    """
    match, _ = find_quote(quote, doc, redact, fillers, threshold, hint_seg, hint_offset)
    return match


def find_quote(quote: str, doc, redact=None, fillers=(), threshold: float = 0.9,
               hint_seg: int | None = None, hint_offset: int | None = None
               ) -> tuple[QuoteMatch | None, float]:
    """``align_quote`` plus the best fuzzy score seen (0–1), for review of misses."""
    index = doc if isinstance(doc, DocumentIndex) else index_document(doc, fillers)
    pieces = quote_pieces(quote, redact, index.fillers)
    if not pieces or not index.n_words:
        return None, 0.0
    spans = _exact(index.turns, pieces)
    method = "exact" if len(pieces) == 1 else "elided"
    if not spans and len(pieces) == 1:
        # a quote running over a turn boundary, without or with the speaker label
        spans = _exact(index.joined, pieces) or _exact(index.full, pieces)
    if spans:
        start, end = _nearest(index, spans, hint_seg, hint_offset)
        return index.match(start, end, 1.0, method, len(spans)), 1.0
    found, best = _fuzzy(index, pieces, threshold)
    if found is None and len(pieces) == 1:
        found, best_full = _fuzzy_full(index, pieces[0], threshold)
        best = max(best, best_full)
    if found is None:
        return None, best
    score, spans = found
    start, end = _nearest(index, spans, hint_seg, hint_offset)
    return index.match(start, end, score, "fuzzy", len(spans)), best


SIMILAR_FLOOR = 0.5   # below this the closest passage is not worth showing: "no similar passage"


def closest_passage(quote: str, doc, redact=None, fillers=(), hint_seg: int | None = None,
                    hint_offset: int | None = None) -> QuoteMatch | None:
    """The passage most like ``quote`` whatever its similarity (``find_quote`` with
    threshold 0), for telling the researcher where a quote that was not found
    nearly is. None when the document or the quote has no words."""
    match, _ = find_quote(quote, doc, redact, fillers, 0.0, hint_seg, hint_offset)
    return match


def miss_note(closest: tuple[str, QuoteMatch] | None, threshold: float) -> str:
    """Why a quote was not found, for the import report and audit: "closest passage
    in P01 turn 4, similarity 0.73, below the threshold 0.9" (similarity is the
    fuzzy score 0–1 of the module docstring), or "no similar passage" when the
    closest scores under ``SIMILAR_FLOOR``."""
    if closest is None or closest[1].score < SIMILAR_FLOOR:
        return f"no similar passage (similarity under {SIMILAR_FLOOR:g})"
    doc_id, match = closest
    turns = (f"turn {match.seg_first}" if match.seg_first == match.seg_last
             else f"turns {match.seg_first}-{match.seg_last}")
    return f"closest passage in {doc_id} {turns}, similarity {match.score:.2f}, below the threshold {threshold:g}"


def _exact(flow: Flow, pieces: list[str]) -> list[tuple[int, int]]:
    """Offsets of each occurrence; elided pieces in order within one line of ``flow``."""
    out = []
    for at in flow.find_all(pieces[0]):
        end = at + len(pieces[0])
        line_end = flow.norm.find("\n", end)
        line_end = len(flow.norm) if line_end < 0 else line_end
        ok = True
        for piece in pieces[1:]:
            hits = flow.find_all(piece, end, line_end)
            if not hits:
                ok = False
                break
            end = hits[0] + len(piece)
        if ok:
            out.append((flow.offsets(at, at + len(pieces[0]))[0], flow.offsets(end - len(pieces[-1]), end)[1]))
    return out


def _fuzzy(index: DocumentIndex, pieces: list[str], threshold: float):
    """Best-scoring turns: ((score 0–1, [(start, end), …]) or None, best score)."""
    turns = index.turn_norm
    nonempty = np.array([bool(t) for t in turns])
    whole = " ".join(pieces)
    lengths = np.array([len(t) for t in turns])
    # partial_ratio takes the shorter string as the needle: for turns shorter
    # than the quote compare whole strings instead, so "Yeah." cannot score 100.
    partial = cdist([whole], turns, scorer=fuzz.partial_ratio)[0]
    full = cdist([whole], turns, scorer=fuzz.ratio)[0]
    scores = np.where(lengths >= len(whole), partial, full) * nonempty
    if len(pieces) > 1:
        order = np.argsort(-scores, kind="stable")[:20]  # rescore the likeliest turns piece by piece
        for i in order:
            scores[i] = _piecewise_score(turns[i], pieces)[0]
    best = float(scores.max()) / 100
    if best < threshold:
        return None, best
    spans = []
    for i in np.flatnonzero(scores == scores.max()):
        a, b = _piecewise_score(turns[i], pieces)[1] if len(pieces) > 1 else _aligned(turns[i], whole)
        offset = int(index.turn_offset[i])
        lo, hi = index.turn_span[i]
        spans.append(index.turns.snapped(offset + a, offset + b, lo, hi))
    return (best, spans), best


def _fuzzy_full(index: DocumentIndex, piece: str, threshold: float):
    """A quote running over turns, aligned fuzzily on the whole text with its labels."""
    flow = index.full
    if len(flow.norm) < len(piece):
        return None, 0.0
    al = fuzz.partial_ratio_alignment(piece, flow.norm)
    best = al.score / 100
    if best < threshold:
        return None, best
    return (best, [flow.snapped(al.dest_start, al.dest_end)]), best


def _aligned(turn: str, piece: str) -> tuple[int, int]:
    if len(turn) < len(piece):
        return 0, len(turn)
    al = fuzz.partial_ratio_alignment(piece, turn)
    return al.dest_start, al.dest_end


def _piecewise_score(turn: str, pieces: list[str]) -> tuple[float, tuple[int, int]]:
    """Length-weighted score of the pieces aligned in order within ``turn``."""
    pos, total, weight, start, end = 0, 0.0, 0, None, 0
    for piece in pieces:
        rest = turn[pos:]
        if not rest:
            return 0.0, (0, 0)
        if len(rest) >= len(piece):
            al = fuzz.partial_ratio_alignment(piece, rest)
            score, a, b = al.score, al.dest_start, al.dest_end
        else:
            score, a, b = fuzz.ratio(piece, rest), 0, len(rest)
        total += score * len(piece)
        weight += len(piece)
        start = pos + a if start is None else start
        end = pos + b
        pos = end
    return total / weight, (start or 0, end)


def _nearest(index: DocumentIndex, spans: list[tuple[int, int]], hint_seg, hint_offset) -> tuple[int, int]:
    """The span nearest the hint; the first when there is no hint (ties: the first)."""
    if len(spans) == 1 or (hint_seg is None and hint_offset is None):
        return spans[0]

    def distance(span):
        if hint_offset is not None:
            return abs(span[0] - int(hint_offset))
        lo, hi = index.segs(*span)
        return 0 if lo <= hint_seg <= hi else min(abs(lo - hint_seg), abs(hi - hint_seg))

    return min(spans, key=distance)
