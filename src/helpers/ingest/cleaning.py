"""Cleaning: normalisation, redaction, segments with offsets, identifier scan.

Everything is redacted before it is written anywhere. The clean text of a
document is one line per turn, ``<speaker>: <utterance>``; a segment's
``start``/``end`` cover the utterance only, so that
``clean_text[start:end] == segment text`` (DESIGN §3).
"""
from __future__ import annotations

import gzip
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from helpers import matching, textutil
from helpers.errors import InputError, ProblemList, set_redactor
from helpers.ingest import spanmap
from helpers.ingest.transcripts import RawDocument, SpeakerLabels
from helpers.textmap import MappedText

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
        out.append(f"redactions.csv: {len(unused)} term(s) were found nowhere in the study "
                   f"(replaced by {', '.join(sorted(set(unused)))}): check their spelling")
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    common = set(ENGLISH_STOP_WORDS) | {m.lower() for m in MONTHS.split("|")}
    for term, replacement in redact.terms:
        if matching.fold_text(term).strip(" .") in common and term not in redact.lower_counts:
            out.append(f"redactions.csv: the term replaced by {replacement} is also a common English word: "
                       "every use of the word is replaced; check that is meant")
    for term, n in sorted(redact.lower_counts.items()):
        out.append(f"redactions.csv: the term replaced by {placeholder_of[term]} is also an ordinary lower-case word "
                   f"({n} replacement(s) of the lower-case word): every use of it is replaced")
    placeholders = sorted(redact.placeholders, key=len, reverse=True)
    hit = sorted({c for c in codes if isinstance(c, str) and any(p in c for p in placeholders)})
    if hit:
        out.append(f"redactions.csv: {len(hit)} code name(s) hold a redaction placeholder ({', '.join(hit[:5])}): "
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


# -- identifier scan ---------------------------------------------------------------

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
# Patterns are matched case-insensitively on the NFKC text (full-width digits are digits).
IDENTIFIER_PATTERNS: list[tuple[str, re.Pattern]] = [
    # starts only where a run of address characters starts: tried at every position of a
    # long run, the pattern was quadratic (a 21 MB single-line transcript; issue 19 item 8)
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("nhs number", re.compile(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b")),
    # UK numbers: +44, 0, or a bracketed area code "(0117) 496 0125", spaces or dashes between groups
    ("phone number", re.compile(r"(?:\+44\s?\(?0?\)?\s?|\(0\d{2,4}\)\s?|\b0)\d{2,4}[ -]?\d{3,4}(?:[ -]?\d{3,4})?\b")),
    ("postcode", re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)),
    ("date", re.compile(
        rf"\b{_DAY}(?:\s+of)?\s+(?:{MONTHS})\b\.?(?:,?\s+\d{{4}})?"       # 5 March 1990, 5th of March
        rf"|\b(?:{MONTHS})\.?\s+{_DAY}\b(?:,?\s+\d{{4}})?"               # March 5th, 1990
        r"|\b\d{4}-\d{1,2}-\d{1,2}\b"                                    # 1990-03-05 (ISO 8601)
        r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b", re.IGNORECASE)),          # 05/03/1990, 5.3.90
]
# Capitalised words that are not names in these interviews.
COMMON_CAPITALISED = set("""I I'm I've I'd I'll OK Okay NHS CPN GP PSW PSWs A&E CBT DBT Mind Christmas Easter Monday Tuesday
Wednesday Thursday Friday Saturday Sunday God Facebook WhatsApp Zoom Teams English British Mental Health Trust
Recovery College Universal Credit Jobcentre Dr Mr Mrs Ms Miss Yeah Yes No Mm Mm-hm Um Er Erm Oh So And But Well Like Because""".split()) | set(MONTHS.split("|"))
# A name-like word: letters of any script, joined by an apostrophe or hyphen (O’Neill,
# Mary-Jane, Siân, Łukasz, McDonald); capitalised and with a lower-case letter (not "NHS").
_WORD_RE = re.compile(r"(?<![\w'’\-])([^\W\d_](?:[^\W\d_]|['’ʼ\-](?=[^\W\d_]))*)")
# Linear like the e-mail pattern above: an address starts only where a run of address characters starts.
_EMAIL_OR_URL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<!\S)(?:https?://|www\.)\S+")


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

    Kinds: e-mail, NHS number, phone number (bracketed area codes too), postcode (any case),
    date (ISO, numeric and written), possible name, mixed script (a word mixing Latin with
    look-alike letters of another script, Unicode TS #39), and speaker label (a speaker label
    or caption voice name that looks like a name).

    A capitalised word (any script; O’Neill, McDonald, Mary-Jane) is a possible name unless
    it is a common capitalised word, also appears lower-cased in the study (outside e-mail
    addresses and web addresses, so that ``dana.q@…`` does not hide ``Dana``), or is part of
    a placeholder. At a sentence start (or a turn's start) it is flagged only when it is not
    an English word (``english_words``: "Marta said …" is flagged, "Honestly, …" is not) or
    when the same word is flagged anywhere in the study, so that no context shows it
    ("Dr Belisarius said … . Belisarius rang.").

    Parameters
    ----------
    docs : list of CleanDocument
        Redacted documents.
    placeholders : set of str
        The redaction placeholders (never flagged).

    Returns
    -------
    DataFrame
        Columns doc_id, seg_no, kind, hash, length, masked_context; one row per hit.
    """
    lower_words: set[str] = set()
    for doc in docs:
        plain = _EMAIL_OR_URL.sub(" ", doc.text)
        lower_words.update(w.lower().replace("’", "'") for w in re.findall(r"\b[a-z][a-z'’]+\b", plain))
    names = [(doc, seg, _name_candidates(seg.text, placeholders, lower_words))
             for doc in docs for seg in doc.segments.itertuples(index=False)]
    flagged_words = {m.group(1) for _, _, found in names for m, sentence_start in found if not sentence_start}
    rows = []
    for doc, seg, found in names:
        text = seg.text
        hits: list[tuple[int, int, str]] = []
        folded_text = unicodedata.normalize("NFKC", text)
        same_length = len(folded_text) == len(text)
        for kind, pattern in IDENTIFIER_PATTERNS:
            hits += [(m.start(), m.end(), kind) for m in pattern.finditer(folded_text if same_length else text)]
        hits += [(s, e, "mixed script") for s, e in matching.mixed_script_words(text)]
        hits += [(m.start(), m.end(), "possible name") for m, sentence_start in found
                 if not sentence_start or m.group(1) in flagged_words]
        taken: list[tuple[int, int, str]] = []
        reach = 0  # hits come by start, so one overlaps a taken hit iff it starts before the furthest end
        for start, end, kind in sorted(hits, key=lambda h: (h[0], -(h[1] - h[0]))):
            if start < reach:
                continue
            if any(p in text[max(0, start - 1):end + 1] for p in placeholders):
                continue
            taken.append((start, end, kind))
            reach = max(reach, end)
        # Every hit is masked in every context, so that one hit's context
        # never shows its neighbour (an email next to a phone number).
        masked, spans = mask_all(text, taken)
        for (start, end, kind), (m_start, m_end) in zip(taken, spans):
            rows.append({"doc_id": doc.doc_id, "seg_no": seg.seg_no, "kind": kind,
                         "hash": hashlib.sha256(text[start:end].lower().encode()).hexdigest()[:8],
                         "length": end - start, "masked_context": context(masked, m_start, m_end)})
    rows += _speaker_label_rows(docs, placeholders, lower_words)
    return pd.DataFrame(rows, columns=["doc_id", "seg_no", "kind", "hash", "length", "masked_context"])


def _speaker_label_rows(docs: list[CleanDocument], placeholders: set[str], lower_words: set[str]) -> list[dict]:
    """Speaker labels and caption voice names that look like names (first turn of each)."""
    rows = []
    for doc in docs:
        seen = set()
        for seg in doc.segments.itertuples(index=False):
            speaker = str(seg.speaker or "")
            if not speaker or speaker in seen or seg.speaker_role == "interviewer":
                continue
            seen.add(speaker)
            if speaker == str(seg.participant_id or "") or any(p in speaker for p in placeholders):
                continue
            if _name_candidates(speaker, placeholders, lower_words):
                rows.append({"doc_id": doc.doc_id, "seg_no": seg.seg_no, "kind": "speaker label",
                             "hash": hashlib.sha256(speaker.lower().encode()).hexdigest()[:8],
                             "length": len(speaker), "masked_context": "⟨speaker label⟩: …"})
    return rows


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Lower-case English words shipped with the project (``data/english_words.txt.gz``,
    SCOWL british-english-small, about 40,000 words; no download)."""
    data = resources.files("helpers").joinpath("data/english_words.txt.gz").read_bytes()
    return frozenset(w for w in gzip.decompress(data).decode("utf-8").splitlines() if w and not w.startswith("#"))


_SUFFIXES = ("ily", "ly", "ing", "ed", "es", "s", "er", "est")


def _english_word(word: str) -> bool:
    """An English word (``english_words``), a filler (config.DEFAULT_FILLERS) or a regular
    inflection of one ("Texting", "Weirdly", "Stopped")."""
    from helpers.textutil import DEFAULT_FILLERS

    words = english_words()
    low = word.lower()
    if low in words or low in DEFAULT_FILLERS:
        return True
    for suffix in _SUFFIXES:
        stem = low[:-len(suffix)]
        if low.endswith(suffix) and len(stem) >= 3:
            forms = {stem, stem + "e", stem + "y" if suffix == "ily" else stem}
            if len(stem) > 3 and stem[-1] == stem[-2]:
                forms.add(stem[:-1])                 # "stopped" -> "stop"
            if forms & words:
                return True
    return False


def _is_english(base: str, parts: list[str]) -> bool:
    """Whether a capitalised word is an ordinary English word (each part of a hyphenated one)."""
    return all(_english_word(p) for p in parts or [base])


def _name_candidates(text: str, placeholders: set[str], lower_words: set[str]) -> list[tuple[re.Match, bool]]:
    """Capitalised words of ``text`` that may be names, each with whether it is
    only weakly name-like: an English word at a sentence start, flagged there only
    when flagged elsewhere (``scan_identifiers``)."""
    out = []
    # Annotations end -> start, found once: stripping the whole text before every word was
    # quadratic on a long turn (a single-line transcript; issue 19 item 8).
    annotation_start = {a.end(): a.start() for a in textutil.ANNOTATION_RE.finditer(text)}
    for m in _WORD_RE.finditer(text):
        word = m.group(1)
        if len(word) < 2 or not word[0].isupper() or not any(c.islower() for c in word):
            continue
        plain = word.replace("’", "'").replace("ʼ", "'")
        base = re.sub(r"'s$", "", plain)
        parts = [p for p in re.split(r"-", base) if p]
        if (base in COMMON_CAPITALISED or base.rstrip("s") in COMMON_CAPITALISED
                or base.lower() in lower_words or plain.lower() in lower_words
                or any(word in p for p in placeholders)
                or all(p.lower() in lower_words or p in COMMON_CAPITALISED for p in parts)
                or ("'" not in base and base.split("'")[0].lower() in lower_words)):
            continue
        before = _char_before(text, m.start(), annotation_start)
        sentence_start = not before or before in ".!?:;\"“‘(-–—…"
        out.append((m, sentence_start and _is_english(base, parts)))
    return out


def _char_before(text: str, pos: int, annotation_start: dict[int, int]) -> str:
    """The last character before ``pos`` that is neither space nor inside an annotation ('' if none)."""
    i = pos
    while i > 0:
        if i in annotation_start:
            i = annotation_start[i]
        elif text[i - 1].isspace():
            i -= 1
        else:
            return text[i - 1]
    return ""
