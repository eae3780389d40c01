"""Exact spans through cleaning: the clean text of a document as a ``MappedText`` over its source.

Another program's coded span is a pair of offsets into the *source* text (the text the
researcher coded in NVivo, ATLAS.ti, Taguette …). Cleaning changes that text: Unicode NFC,
line breaks and runs of spaces collapsed, leading and trailing spaces dropped, a speaker label
rewritten as ``<speaker>: ``, redacted names replaced by placeholders. Re-finding the quote by
its words would trim punctuation and emoji at its edges (a misquotation), so instead every
cleaning step is done as an edit of a :class:`~helpers.textmap.MappedText`, and an imported span
is carried across with ``MappedText.from_source`` — to the character.

A document can be mapped when its reader kept its source text (``RawDocument.source_text``) and,
for each turn, where the turn's text lies in it (``Turn.source_span``) and where its line starts
(``Turn.line_start``, so that a selection that starts on the speaker label keeps the label).
The map is checked against the clean text that ``cleaning.clean_document`` laid out; when they
differ (a reader or a cleaning rule this module does not know) the document is simply not
mapped and its spans fall back on quote alignment, which the import report counts.
"""
from __future__ import annotations

import re

import numpy as np

from helpers.textmap import MappedText

__all__ = ["LINE_BREAK_RE", "SPACE_RE", "document_map", "redaction_edits", "utterance_map"]

# The rules of cleaning.normalise, as patterns (kept equal to it: utterance_map checks the result).
LINE_BREAK_RE = re.compile(r"\r\n|[\r\n]")
SPACE_RE = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_EDGE_SPACE_RE = re.compile(r"^\s+|\s+$")


def redaction_edits(redact, text: str) -> list[tuple[int, int, str]] | None:
    """The (start, end, placeholder) edits that ``redact(text)`` makes, without counting them.

    Parameters
    ----------
    redact : cleaning.Redactor or callable
        A Redactor (its ``regex`` and ``replacement``; the same ``finditer`` that its ``sub``
        walks) or any ``str -> str``.
    text : str
        Normalised utterance text.

    Returns
    -------
    list of (int, int, str) or None
        Offsets into ``text``, end exclusive; None when ``redact`` is a plain callable that
        changes the text (its edits are unknown, so the caller replaces the text as one span).
    """
    if hasattr(redact, "edits"):  # cleaning.Redactor: normalised matching, its own edits
        return redact.edits(text, count=False)
    regex = getattr(redact, "regex", None)
    if hasattr(redact, "replacement"):
        if regex is None:
            return []
        return [(m.start(), m.end(), redact.replacement[redact._key(m.group(0))]) for m in regex.finditer(text)]
    return [] if redact(text) == text else None


def utterance_map(source: str, start: int, end: int, redact, expected: str) -> MappedText | None:
    """``source[start:end]`` normalised and redacted as ``clean_document`` does it, mapped.

    Parameters
    ----------
    source : str
        The document's whole source text.
    start, end : int
        Where the turn's text lies in ``source`` (code points, end exclusive).
    redact : cleaning.Redactor or callable
        The study's redaction.
    expected : str
        The clean utterance that ``clean_document`` produced (the map must give exactly it).

    Returns
    -------
    MappedText or None
        Text equal to ``expected`` whose characters map into ``source``; None when the edits
        here do not reproduce ``expected``.
    """
    idx = np.arange(start, end, dtype=np.int64)
    mapped = MappedText(source[start:end], idx, idx + 1, len(source))
    mapped = (mapped.normalize("NFC").sub(LINE_BREAK_RE, " ").sub(SPACE_RE, " ").sub(_EDGE_SPACE_RE, ""))
    edits = redaction_edits(redact, mapped.text)
    if edits is None:
        mapped = mapped.replace([(0, len(mapped.text), expected)]) if mapped.text else mapped
    else:
        mapped = mapped.replace(edits)
    return mapped if mapped.text == expected else None


def document_map(raw, pieces: list[tuple[str, str, str]], redact) -> MappedText | None:
    """The clean text of ``raw`` as a MappedText over ``raw.source_text``.

    Parameters
    ----------
    raw : transcripts.RawDocument
        With ``source_text`` and, on every turn, ``source_span`` (and ``line_start``).
    pieces : list of (prefix, utterance, end)
        Per turn, what ``clean_document`` laid out: ``"<speaker>: "`` (or ``""``), the clean
        utterance, and the line end ``"\\n"``.
    redact : cleaning.Redactor or callable

    Returns
    -------
    MappedText or None
        None when the document has no source text, a turn has no source span, or a turn's
        mapped text differs from its clean text.

    Notes
    -----
    The prefix stands for the source from the line's start to the turn's text (label,
    timestamp); the line end stands for the empty source point after the turn's text, so a
    selection ending at a line's end stops before it and one that takes the line break in the
    source takes it here too.
    """
    source = getattr(raw, "source_text", None)
    if source is None or len(pieces) != len(raw.turns):
        return None
    texts, starts, ends = [], [], []
    for turn, (prefix, utterance, line_end) in zip(raw.turns, pieces):
        span = getattr(turn, "source_span", None)
        if span is None or source[span[0]:span[1]] != turn.text:
            return None
        t0, t1 = span
        line_start = getattr(turn, "line_start", None)
        p0 = t0 if line_start is None else min(int(line_start), t0)
        body = utterance_map(source, t0, t1, redact, utterance)
        if body is None:
            return None
        texts += [prefix, body.text, line_end]
        starts += [np.full(len(prefix), p0, np.int64), body.src_start, np.full(len(line_end), t1, np.int64)]
        ends += [np.full(len(prefix), t0, np.int64), body.src_end, np.full(len(line_end), t1, np.int64)]
    if not texts:
        return MappedText("", np.zeros(0, np.int64), np.zeros(0, np.int64), len(source))
    start_arr, end_arr = np.concatenate(starts), np.concatenate(ends)
    # Turns are in source order in every reader that sets source spans; a map that goes back is refused.
    if len(start_arr) and (np.any(np.diff(start_arr) < 0) or np.any(np.diff(end_arr) < 0)):
        return None
    return MappedText("".join(texts), start_arr, end_arr, len(source))
