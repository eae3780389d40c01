"""Conservation check: reading never loses or moves a researcher's words unsaid.

Every transcript reader reports the text it saw in the source, independently of
how it splits turns (``RawDocument.seen_text``: for .docx every text node of
the body in document order, for captions every cue's text, for text files the
decoded file), and what stated rules removed (``RawDocument.removed``: header
lines before the first turn, timestamps, a transcript table's header row).
``check_document`` compares the words of the first with the words of the
document's clean text plus the removed pieces, both redacted with the study's
redaction terms. Words are compared as the project compares text: Unicode NFC,
case-folded, apostrophe and dash variants alike; punctuation is not a word.

A word seen in the source that is in neither is lost: ingest reports it as a
``check`` warning naming the file and the first missing passage, and
``strict: true`` in study.yml makes it an error (issue 13, point 1).
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

_WORD_RE = re.compile(r"\w+")
_FOLD = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "–": "-", "—": "-", "‑": "-", "\u00ad": ""})


def words(text: str) -> list[str]:
    """The words of ``text``, normalised (NFC, case-folded, apostrophes and
    dashes alike); punctuation and spaces dropped."""
    return _WORD_RE.findall(unicodedata.normalize("NFC", text).translate(_FOLD).casefold())


@dataclass
class Loss:
    """Words of the source missing from the clean text and stated removals."""
    n_missing: int
    n_source: int
    first_passage: str

    def message(self, file: str) -> str:
        return (f"{file}: {self.n_missing} of {self.n_source} words read from the source are not in the clean "
                f"text and no stated rule removed them; first missing passage: \"{self.first_passage}\" — check "
                "the file in its own program (hidden or unusual text?) and report it if the words are there")


def missing_words(source: list[str], kept: list[str]) -> tuple[int, int | None]:
    """How many ``source`` words ``kept`` lacks (as multisets), and the index
    in ``source`` of the first one that is lacking (None when none is)."""
    available = Counter(kept)
    first = None
    n = 0
    for i, word in enumerate(source):
        if available[word] > 0:
            available[word] -= 1
        else:
            n += 1
            first = i if first is None else first
    return n, first


def check_document(seen_text: list[str] | None, clean_text: str, removed: list[tuple[str, str]],
                   redact=None, context: int = 8) -> Loss | None:
    """The words lost between a reader's source and a document's clean text.

    Parameters
    ----------
    seen_text : list of str or None
        Text pieces the reader saw, in source order (None: nothing to check,
        e.g. a quote bank made from a coding sheet).
    clean_text : str
        The document's clean, redacted text (``texts/<doc_id>.txt``).
    removed : list of (rule, text)
        Pieces stated rules removed (header, timestamp, table header).
    redact : callable, optional
        The study's redaction, applied to source and removed text so that a
        redacted name is not counted as lost; it must not count replacements.
    context : int
        Words of the first missing passage to show.

    Returns
    -------
    Loss or None
        None when every source word is accounted for.
    """
    if seen_text is None:
        return None
    redact = redact or (lambda text: text)
    source = [w for piece in seen_text for w in words(redact(piece))]
    kept = words(clean_text) + [w for _, piece in removed for w in words(redact(piece))]
    n, first = missing_words(source, kept)
    if not n:
        return None
    passage = " ".join(source[first:first + context])
    return Loss(n, len(source), passage)
