"""Cleaning: normalisation, redaction, segments with offsets, identifier scan.

Everything is redacted before it is written anywhere. The clean text of a
document is one line per turn, ``<speaker>: <utterance>``; a segment's
``start``/``end`` cover the utterance only, so that
``clean_text[start:end] == segment text`` (DESIGN §3).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import textutil
from .errors import InputError, ProblemList
from .transcripts import RawDocument, SpeakerLabels

_SPACE_RE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def normalise(text: str) -> str:
    """NFC, one space for any run of spaces, no leading/trailing space."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ")
    return _SPACE_RE.sub(" ", text).strip()


# -- redaction ---------------------------------------------------------------------

# Between the words of a term: spaces, line breaks, "_" or "-" (file names
# such as "P01_Mary_Jones.txt", "Mary-Jones").
_TERM_GAP = r"[\s_\-]+"
_TERM_GAP_RE = re.compile(_TERM_GAP)


class Redactor:
    """Whole-word, case-insensitive replacement, longest term first, with
    possessives: 'Mary Jones' before 'Mary', and "Mary's" -> "(PSW)'s".

    A word is letters and digits: "_" and punctuation are boundaries, so
    "P01_Mary.txt" -> "P01_(PSW).txt" but "Devon" keeps its "Dev"."""

    def __init__(self, terms: list[tuple[str, str]] | None = None):
        # a term of only spaces, "_" or "-" would match everywhere: left out
        self.terms = sorted((t for t in terms or [] if self._key(t[0])), key=lambda t: (-len(t[0]), t[0].lower()))
        self.replacement = {self._key(t): r for t, r in self.terms}
        if self.terms:
            alternatives = "|".join(self._pattern(t) for t, _ in self.terms)
            # Whole words only: no letter or digit on either side. Punctuation
            # and "_" are boundaries, so "hospital.Mary", "dev@…", "P01_Mary"
            # and "www.ashcombe.gov.uk" are redacted too: a listed term never survives.
            self.regex = re.compile(rf"(?<![^\W_])(?:{alternatives})(?=(?:['’]s)?(?![^\W_]))", re.IGNORECASE)
        else:
            self.regex = None
        self.counts: dict[str, int] = {}

    @staticmethod
    def _key(term: str) -> str:
        return " ".join(part for part in _TERM_GAP_RE.split(term.lower()) if part)

    @staticmethod
    def _pattern(term: str) -> str:
        return _TERM_GAP.join(re.escape(part) for part in _TERM_GAP_RE.split(term.strip()) if part)

    def __call__(self, text: str) -> str:
        if self.regex is None or not text:
            return text

        def swap(match: re.Match) -> str:
            replacement = self.replacement[self._key(match.group(0))]
            self.counts[replacement] = self.counts.get(replacement, 0) + 1
            return replacement

        return self.regex.sub(swap, text)

    def found_in(self, text: str) -> list[str]:
        """Placeholders of the terms present in ``text`` (never the terms)."""
        if self.regex is None:
            return []
        return sorted({self.replacement[self._key(m.group(0))] for m in self.regex.finditer(text)})

    @property
    def placeholders(self) -> set[str]:
        return set(self.replacement.values())


def load_redactions(path: Path | None) -> Redactor:
    if path is None or not path.is_file():
        return Redactor([])
    from .sheets import read_csv_table

    frame = read_csv_table(path)
    cols = {c.lower().strip(): c for c in frame.columns}
    if "term" not in cols:
        raise InputError.one(path, "no 'term' column", "the first row must read: term,replacement")
    problems = ProblemList()
    terms = []
    for i, row in zip(frame.index + 2, frame.itertuples(index=False)):  # spreadsheet row: header is row 1
        term = str(getattr(row, cols["term"]) if not pd.isna(getattr(row, cols["term"])) else "").strip()
        replacement = "(Redacted)"
        if "replacement" in cols:
            value = getattr(row, cols["replacement"])
            replacement = str(value).strip() if not pd.isna(value) and str(value).strip() else "(Redacted)"
        if not term:
            problems.add(path, "empty term", "fill in the term or delete the row", f"row {i}")
            continue
        terms.append((term, replacement))
    problems.raise_if_any()
    return Redactor(terms)


# -- documents ------------------------------------------------------------------

@dataclass
class CleanDocument:
    doc_id: str
    participant_id: str | None
    text: str
    segments: pd.DataFrame        # seg_no, participant_id, speaker_role, speaker, start, end, text, n_words, …
    raw: RawDocument


def clean_document(raw: RawDocument, labels: SpeakerLabels, redact: Redactor,
                   participant_id: str | None) -> CleanDocument:
    """Normalise and redact each turn; lay the turns out as the clean text."""
    rows, pieces, offset = [], [], 0
    for seg_no, turn in enumerate(raw.turns, start=1):
        utterance = redact(normalise(turn.text))
        speaker = redact(normalise(turn.speaker))
        role = turn.role or (labels.role_of(turn.speaker) if turn.speaker else "other")
        speaking_participant = turn.participant_id or (labels.canonical_participant(turn.speaker) if turn.speaker else None)
        prefix = f"{speaker}: " if speaker else ""
        start = offset + len(prefix)
        end = start + len(utterance)
        pieces.append(prefix + utterance + "\n")
        offset = end + 1
        rows.append({
            "doc_id": raw.doc_id, "seg_no": seg_no,
            "participant_id": speaking_participant or participant_id,
            "speaker_role": role, "speaker": speaker, "start": start, "end": end,
            "text": utterance, "n_words": textutil.word_count(utterance),
            "start_time": turn.start_time, "n_annotations": len(textutil.annotations(utterance)),
        })
    segments = pd.DataFrame(rows)
    return CleanDocument(raw.doc_id, participant_id, "".join(pieces), segments, raw)


# -- identifier scan ---------------------------------------------------------------

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
IDENTIFIER_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("nhs number", re.compile(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b")),
    ("phone number", re.compile(r"(?:\+44\s?\(?0?\)?\s?|\b0)\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}\b")),
    ("postcode", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")),
    ("date", re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTHS})\b(?:\s+\d{{4}})?|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b")),
]
# Capitalised words that are not names in these interviews.
COMMON_CAPITALISED = set("""I I'm I've I'd I'll OK Okay NHS CPN GP PSW PSWs A&E CBT DBT Mind Christmas Easter Monday Tuesday
Wednesday Thursday Friday Saturday Sunday God Facebook WhatsApp Zoom Teams English British Mental Health Trust
Recovery College Universal Credit Jobcentre Dr Mr Mrs Ms Miss Yeah Yes No Mm Mm-hm Um Er Erm Oh So And But Well Like Because""".split()) | set(MONTHS.split("|"))
_WORD_RE = re.compile(r"(?<![\w'’])([A-Z][a-z]+(?:['’][a-z]+)?)\b")


def mask(text: str, start: int, end: int, kind: str, width: int = 40) -> str:
    """Context around a hit with the hit itself replaced by ⟨kind⟩."""
    masked, [(m_start, m_end)] = mask_all(text, [(start, end, kind)])
    return context(masked, m_start, m_end, width)


def mask_all(text: str, hits: list[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with every (non-overlapping) hit replaced by ⟨kind⟩, and where
    each hit's marker sits in the masked text (in the order given)."""
    order = sorted(range(len(hits)), key=lambda i: hits[i][0])
    pieces, spans, pos, shift = [], [None] * len(hits), 0, 0
    for i in order:
        start, end, kind = hits[i]
        marker = f"⟨{kind}⟩"
        pieces += [text[pos:start], marker]
        new_start = start + shift
        spans[i] = (new_start, new_start + len(marker))
        shift += len(marker) - (end - start)
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces), spans


def context(masked: str, start: int, end: int, width: int = 40) -> str:
    """Up to ``width`` characters either side of masked[start:end], with … where cut."""
    left = masked[max(0, start - width):start]
    right = masked[end:end + width]
    return f"{'…' if start > width else ''}{left}{masked[start:end]}{right}{'…' if end + width < len(masked) else ''}"


def scan_identifiers(docs: list[CleanDocument], placeholders: set[str]) -> pd.DataFrame:
    """Possible identifiers left after redaction, for the researcher to review.

    The table never holds an identifier: only its kind, a short hash (so that
    repeats can be grouped), its length and the masked context.

    A capitalised word is a possible name unless it starts a sentence, is a
    common capitalised word, also appears lower-cased in the study, or is part
    of a placeholder. A word flagged anywhere in the study is flagged at a
    sentence start too, so that no context shows it ("Dr Belisarius said … .
    Belisarius rang.").
    """
    lower_words: set[str] = set()
    for doc in docs:
        lower_words.update(w.lower() for w in re.findall(r"\b[a-z][a-z'’]+\b", doc.text))
    names = [(doc, seg, _name_candidates(seg.text, placeholders, lower_words))
             for doc in docs for seg in doc.segments.itertuples(index=False)]
    flagged_words = {m.group(1) for _, _, found in names for m, sentence_start in found if not sentence_start}
    rows = []
    for doc, seg, found in names:
        text = seg.text
        hits: list[tuple[int, int, str]] = []
        for kind, pattern in IDENTIFIER_PATTERNS:
            hits += [(m.start(), m.end(), kind) for m in pattern.finditer(text)]
        hits += [(m.start(), m.end(), "possible name") for m, sentence_start in found
                 if not sentence_start or m.group(1) in flagged_words]
        taken: list[tuple[int, int, str]] = []
        for start, end, kind in sorted(hits, key=lambda h: (h[0], -(h[1] - h[0]))):
            if any(start < e and s < end for s, e, _ in taken):
                continue
            if any(p in text[max(0, start - 1):end + 1] for p in placeholders):
                continue
            taken.append((start, end, kind))
        # Every hit is masked in every context, so that one hit's context
        # never shows its neighbour (an email next to a phone number).
        masked, spans = mask_all(text, taken)
        for (start, end, kind), (m_start, m_end) in zip(taken, spans):
            rows.append({"doc_id": doc.doc_id, "seg_no": seg.seg_no, "kind": kind,
                         "hash": hashlib.sha256(text[start:end].lower().encode()).hexdigest()[:8],
                         "length": end - start, "masked_context": context(masked, m_start, m_end)})
    return pd.DataFrame(rows, columns=["doc_id", "seg_no", "kind", "hash", "length", "masked_context"])


def _name_candidates(text: str, placeholders: set[str], lower_words: set[str]) -> list[tuple[re.Match, bool]]:
    """Capitalised words of ``text`` that may be names, each with whether it
    starts a sentence (flagged there only when flagged elsewhere)."""
    out = []
    for m in _WORD_RE.finditer(text):
        word = m.group(1)
        if (word in COMMON_CAPITALISED or word.rstrip("s") in COMMON_CAPITALISED or word.lower() in lower_words
                or any(word in p for p in placeholders) or word.split("'")[0].lower() in lower_words):
            continue
        before = textutil.strip_annotations(text[:m.start()]).rstrip()
        out.append((m, not before or before[-1] in ".!?:;\"“‘(-–—…"))
    return out
