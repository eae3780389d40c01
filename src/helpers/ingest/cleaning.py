"""Cleaning: normalisation, redaction, segments with offsets (the identifier scan of the
clean texts is ``helpers.ingest.identifiers``).

Everything is redacted before it is written anywhere. The clean text of a
document is one line per turn, ``<speaker>: <utterance>``; a segment's
``start``/``end`` cover the utterance only, so that
``clean_text[start:end] == segment text`` (DESIGN §3).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers import matching, textutil
from helpers.errors import InputError, ProblemList, set_redactor
from helpers.ingest import spanmap
from helpers.ingest.transcripts import RawDocument, SpeakerLabels
from helpers.textmap import MappedText
from helpers.textutil import common_english_words, plural

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"  # (also the identifier scan's dates)
_SPACE_RE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# Invisible characters with no place in a transcript: soft hyphen, zero-width space and
# joiners, word joiner, byte-order mark. Removed, not made spaces: "Ma\u200bry" is one word.
_INVISIBLE_RE = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff]")


def normalise(text: str) -> str:
    """NFC, invisible characters removed, one space for any run of spaces, no
    leading/trailing space."""
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ")
    return _SPACE_RE.sub(" ", text).strip()


# -- redaction ---------------------------------------------------------------------

# Between the words of a term, in the folded text (every dash is "-", every space " "):
# spaces, line breaks, "_" or "-", or nothing at all ("Mary Jones", "Mary_Jones.txt",
# "Mary‑Jones" with a non-breaking hyphen, "MaryJones").
_TERM_GAP = r"[\s_\-]*"
_TERM_SPLIT_RE = re.compile(r"[\s_\-]+")


class Redactor:
    """Whole-word replacement of the study's terms, matched on the folded text
    (:mod:`helpers.matching`: case, accents, Unicode forms, apostrophe, dash and space
    variants, invisible characters), longest term first, with possessives: 'Mary Jones'
    before 'Mary', and "Mary’s" -> "(PSW)’s". Only the matched characters are replaced;
    the surrounding text is kept as it is.

    A word is letters and digits: "_" and punctuation are boundaries, so
    "P01_Mary.txt" -> "P01_(PSW).txt" but "Devon" keeps its "Dev". A title's full stop
    is optional ("Dr Ferrars" matches "Dr. Ferrars"), and so is an apostrophe inside a
    name ("O'Neill" matches "ONeill").

    Parameters
    ----------
    terms : list of (term, replacement)

    Attributes
    ----------
    counts : dict placeholder -> number of replacements made
    term_counts : dict term -> number of replacements made (0 for a term never found)
    """

    def __init__(self, terms: list[tuple[str, str]] | None = None):
        # a term of only spaces, "_", "-" or "." would match everywhere: left out
        kept = [(str(t), str(r)) for t, r in terms or [] if self._key(str(t))]
        self.terms = sorted(kept, key=lambda t: (-len(matching.fold_text(t[0])), matching.fold_text(t[0])))
        self.replacement: dict[str, str] = {}
        self.term_of: dict[str, str] = {}
        for term, replacement in self.terms:
            self.replacement.setdefault(self._key(term), replacement)
            self.term_of.setdefault(self._key(term), term)
        if self.terms:
            alternatives = "|".join(dict.fromkeys(self._pattern(t) for t, _ in self.terms))
            # Whole words only: no letter or digit on either side. Punctuation
            # and "_" are boundaries, so "hospital.Mary", "dev@…", "P01_Mary"
            # and "www.ashcombe.gov.uk" are redacted too: a listed term never survives.
            self.regex = re.compile(rf"(?<![^\W_])(?:{alternatives})(?=(?:'s)?(?![^\W_]))")
        else:
            self.regex = None
        self.counts: dict[str, int] = {}
        self.term_counts: dict[str, int] = {t: 0 for t, _ in self.terms}
        self.lower_counts: dict[str, int] = {}

    @staticmethod
    def _key(term: str) -> str:
        return matching.fold_key(term)

    @staticmethod
    def _pattern(term: str) -> str:
        parts = []
        for part in _TERM_SPLIT_RE.split(matching.fold_text(term).strip()):
            if not part:
                continue
            if part.rstrip(".") in matching.ABBREVIATIONS:
                parts.append(re.escape(part.rstrip(".")) + r"\.?")
            else:
                parts.append(re.escape(part).replace("'", "'?"))
        return _TERM_GAP.join(parts)

    def prose(self, text: str) -> str:
        """Redact a transcript's words: as ``__call__``, and a name-like term replaced as a
        lower-case word is counted for :func:`redaction_warnings`."""
        self._prose = True
        try:
            return self(text)
        finally:
            self._prose = False

    _prose = False

    def edits(self, text: str, count: bool = True) -> list[tuple[int, int, str]]:
        """Where the terms are in ``text`` and what replaces them.

        Parameters
        ----------
        text : str
            Any text (not folded: matching folds a copy).
        count : bool
            Add the matches to ``counts`` and ``term_counts``.

        Returns
        -------
        list of (start, end, replacement)
            Offsets into ``text`` (end exclusive), in order, non-overlapping; for
            :meth:`helpers.textmap.MappedText.replace`.
        """
        if self.regex is None or not text:
            return []
        folded_text = matching.folded(text)
        out = []
        for m in self.regex.finditer(folded_text.text):
            key = self._key(m.group(0))
            replacement = self.replacement[key]
            start, end = folded_text.to_source(m.start(), m.end())
            out.append((start, end, replacement))
            if count:
                term = self.term_of[key]
                self.counts[replacement] = self.counts.get(replacement, 0) + 1
                self.term_counts[term] += 1
                if self._prose and text[start:end].islower() and not term.islower():
                    # "Hope" listed as a name, "hope" replaced in a sentence
                    self.lower_counts[term] = self.lower_counts.get(term, 0) + 1
        return out

    def __call__(self, text: str) -> str:
        if self.regex is None or not text:
            return text
        edits = self.edits(text)
        if not edits:
            return text
        pieces, pos = [], 0
        for start, end, replacement in edits:
            pieces += [text[pos:start], replacement]
            pos = end
        pieces.append(text[pos:])
        return "".join(pieces)

    def quietly(self, text: str) -> str:
        """``text`` redacted without counting (for messages and checks, not outputs' counts)."""
        pieces, pos = [], 0
        for start, end, replacement in self.edits(text, count=False):
            pieces += [text[pos:start], replacement]
            pos = end
        return "".join(pieces) + text[pos:]

    def found_in(self, text: str) -> list[str]:
        """Placeholders of the terms present in ``text`` (never the terms)."""
        return sorted({r for _, _, r in self.edits(text, count=False)})

    def unused_terms(self) -> list[str]:
        """Terms replaced nowhere so far (a misspelt term, or one the study does not hold)."""
        return [t for t, n in self.term_counts.items() if n == 0]

    @property
    def placeholders(self) -> set[str]:
        return set(self.replacement.values())


def redaction_warnings(redact: Redactor, codes=()) -> list[str]:
    """What the researcher should check about the redaction terms (never naming a term).

    - a term replaced nowhere (misspelt, or not in this study);
    - a name-like term (capitalised in redactions.csv) also replaced as an ordinary
      lower-case word ("Hope" and "hope"): every use of the word is gone;
    - a term that is a common English word (scikit-learn's English stop-word list, month
      names): "May", "Will", "Bill";
    - a code name holding a placeholder: a term matched (part of) a code's name.

    Parameters
    ----------
    redact : Redactor
        After the study has been redacted (its counts filled).
    codes : iterable of str
        Code names as imported (already redacted).

    Returns
    -------
    list of str
        Warning lines without the ``warning:`` prefix.
    """
    out = []
    placeholder_of = {t: r for t, r in redact.terms}
    unused = [placeholder_of[t] for t in redact.unused_terms()]
    if unused:
        out.append(f"redactions.csv: {plural(len(unused), 'term')} {'was' if len(unused) == 1 else 'were'} found nowhere in the study "
                   f"(replaced by {', '.join(sorted(set(unused)))}): check their spelling")
    common = set(common_english_words()) | {m.lower() for m in MONTHS.split("|")}
    for term, replacement in redact.terms:
        if matching.fold_text(term).strip(" .") in common and term not in redact.lower_counts:
            out.append(f"redactions.csv: the term replaced by {replacement} is also a common English word: "
                       "every use of the word is replaced; check that is meant")
    for term, n in sorted(redact.lower_counts.items()):
        out.append(f"redactions.csv: the term replaced by {placeholder_of[term]} is also an ordinary lower-case word "
                   f"({plural(n, 'replacement')} of the lower-case word): every use of it is replaced")
    placeholders = sorted(redact.placeholders, key=len, reverse=True)
    hit = sorted({c for c in codes if isinstance(c, str) and any(p in c for p in placeholders)})
    if hit:
        out.append(f"redactions.csv: {plural(len(hit), 'code name')} {'holds' if len(hit) == 1 else 'hold'} a redaction placeholder ({', '.join(hit[:5])}): "
                   "a term matched a code name; rename the code or the term if that is not meant")
    return out


def load_redactions(path: Path | None) -> Redactor:
    if path is None or not path.is_file():
        return Redactor([])
    from helpers.ingest.sheets import read_csv_table

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
            replacement = unicodedata.normalize("NFC", replacement)  # it is written into outputs
        if not term:
            problems.add(path, "empty term", "fill in the term or delete the row", f"row {i}")
            continue
        terms.append((term, replacement))
    problems.raise_if_any()
    redactor = Redactor(terms)
    set_redactor(redactor.quietly)
    return redactor


# -- documents ------------------------------------------------------------------

@dataclass
class CleanDocument:
    doc_id: str
    participant_id: str | None
    text: str
    segments: pd.DataFrame        # seg_no, participant_id, speaker_role, speaker, start, end, text, n_words, …
    raw: RawDocument
    # The clean text mapped to the reader's source text (spanmap), when the reader kept it:
    # how other programs' coded spans come across to the character.
    mapped: MappedText | None = None


def clean_document(raw: RawDocument, labels: SpeakerLabels, redact: Redactor,
                   participant_id: str | None) -> CleanDocument:
    """Normalise and redact each turn; lay the turns out as the clean text."""
    rows, pieces, offset, parts = [], [], 0, []
    placeholders = getattr(redact, "placeholders", set())
    for seg_no, turn in enumerate(raw.turns, start=1):
        utterance = getattr(redact, "prose", redact)(normalise(turn.text))
        speaker = redact(normalise(turn.speaker))
        role = turn.role or (labels.role_of(turn.speaker) if turn.speaker else "other")
        speaking_participant = turn.participant_id or (labels.canonical_participant(turn.speaker) if turn.speaker else None)
        prefix = f"{speaker}: " if speaker else ""
        start = offset + len(prefix)
        end = start + len(utterance)
        pieces.append(prefix + utterance + "\n")
        parts.append((prefix, utterance, "\n"))
        offset = end + 1
        rows.append({
            "doc_id": raw.doc_id, "seg_no": seg_no,
            "participant_id": speaking_participant or participant_id,
            "speaker_role": role, "speaker": speaker, "start": start, "end": end,
            "text": utterance, "n_words": textutil.word_count(utterance),
            "start_time": turn.start_time,
            # a placeholder in brackets ("[sister]") is the redaction, not a transcriber's note
            "n_annotations": sum(1 for a in textutil.annotations(utterance) if a not in placeholders),
        })
    segments = pd.DataFrame(rows)
    text = "".join(pieces)
    mapped = spanmap.document_map(raw, parts, redact) if getattr(raw, "source_text", None) is not None else None
    return CleanDocument(raw.doc_id, participant_id, text, segments, raw,
                         mapped if mapped is not None and mapped.text == text else None)
