"""The identifier scan: e-mail addresses, NHS and phone numbers, postcodes, dates and
name-like words left in the clean, redacted texts, listed (masked, with context) for the
researcher to review before sharing (``tables/identifier_review.csv``). Nothing is
changed by it; it says what redaction may have missed.
"""
from __future__ import annotations

import gzip
import hashlib
import hmac
import re
import unicodedata
from functools import lru_cache
from importlib import resources

import pandas as pd

from helpers import matching, textutil
from helpers.ingest.cleaning import MONTHS, CleanDocument

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
    """Up to ``width`` characters either side of masked[start:end], cut at word
    boundaries (never inside a word: a part word can be a part name), with … where cut.

    Parameters
    ----------
    masked : str
        The turn's text with every hit masked (``mask_all``).
    start, end : int
        The hit's marker in ``masked``.
    width : int
        Most characters kept on each side.

    Returns
    -------
    str
        The context: "…" + whole words before, the marker, whole words after + "…",
        each ellipsis only where text was left out.
    """
    left_from = max(0, start - width)
    if left_from > 0 and masked[left_from - 1].isalnum() and masked[left_from].isalnum():
        # the cut falls inside a word: start after it (none left when the word reaches the marker)
        space = next((i for i in range(left_from, start) if masked[i].isspace()), start)
        left_from = space
    right_to = min(len(masked), end + width)
    if right_to < len(masked) and masked[right_to - 1].isalnum() and masked[right_to].isalnum():
        space = next((i for i in range(right_to - 1, end - 1, -1) if masked[i].isspace()), None)
        right_to = end if space is None else space + 1
    left, right = masked[left_from:start], masked[end:right_to]
    return f"{'…' if left_from > 0 else ''}{left}{masked[start:end]}{right}{'…' if right_to < len(masked) else ''}"


def scan_identifiers(docs: list[CleanDocument], placeholders: set[str]) -> pd.DataFrame:
    """Possible identifiers left after redaction, for the researcher to review.

    The table never holds an identifier: only its kind, a short hash keyed by the
    study's texts (``identifier_hash``: repeats grouped, not undone by trying every number), its
    length and the masked context, cut between words (``context``).

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
    fingerprint = identifier_hash(docs)
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
                         "hash": fingerprint(text[start:end]),
                         "length": end - start, "masked_context": context(masked, m_start, m_end)})
    rows += _speaker_label_rows(docs, placeholders, lower_words, fingerprint)
    return pd.DataFrame(rows, columns=["doc_id", "seg_no", "kind", "hash", "length", "masked_context"])


def _speaker_label_rows(docs: list[CleanDocument], placeholders: set[str], lower_words: set[str],
                        fingerprint) -> list[dict]:
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
                             "hash": fingerprint(speaker),
                             "length": len(speaker), "masked_context": "⟨speaker label⟩: …"})
    return rows


def identifier_hash(docs: list[CleanDocument]):
    """The function giving each identifier its ``hash``: 8 hex digits of an HMAC-SHA256
    keyed by the study's clean texts.

    A plain sha256 of 8 hex digits of a phone number or postcode is undone by trying every
    number (the identifier in clear, to whoever holds the table); keyed by the texts, only
    someone who holds the transcripts (and so the identifiers) can. Repeats of an
    identifier (folded to lower case) within the study still get one hash, and the same
    texts the same hashes (deterministic).

    Parameters
    ----------
    docs : list of CleanDocument
        The study's redacted documents, in order.

    Returns
    -------
    callable
        str -> 8 hex digits.
    """
    key = hashlib.sha256()
    for doc in docs:
        key.update(doc.doc_id.encode() + b"\0" + doc.text.encode() + b"\0")
    secret = key.digest()
    return lambda value: hmac.new(secret, str(value).lower().encode(), hashlib.sha256).hexdigest()[:8]


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
