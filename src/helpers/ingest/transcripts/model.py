"""What a reader returns: ``RawDocument`` (turns, source text, encoding) of ``Turn``s, the
``Reading`` of one file, and the timestamp patterns every reader shares.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

TRANSCRIPT_SUFFIXES = {".txt", ".md", ".docx", ".vtt", ".srt", ".rtf", ".odt"}
TIMESTAMP = r"(?:[\[({#])?(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)(?:[\])}#])?"
# A timestamp alone at the start of an unlabelled line must be unmistakable
# (bracketed, or h:mm:ss): "12:30 we met" is speech, not a timestamp.
STAMP_ONLY = r"(?:[\[({#](\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)[\])}#]|(\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,3})?))"


@dataclass
class Turn:
    speaker: str              # the label as written ('I', 'Interviewer', 'P04'); '' when none
    text: str                 # raw utterance, lines joined by spaces
    start_time: float | None = None
    line: int | None = None   # where it starts in the source (for messages)
    role: str | None = None   # set by sources that know it (coding tables, REFI, quote banks)
    participant_id: str | None = None  # set by sources that know who speaks
    # Where ``text`` lies in RawDocument.source_text (code points, end exclusive) and where its
    # line starts (label included): set by readers of offset-coded sources (REFI-QDA, Taguette)
    # so that cleaning keeps a character map (helpers.ingest.spanmap).
    source_span: tuple[int, int] | None = None
    line_start: int | None = None


@dataclass
class RawDocument:
    doc_id: str
    source_file: Path
    format: str               # txt md docx vtt srt coding-table quote-bank qdpx …
    kind: str                 # interview, focus_group, coding_table, quote_bank, refi
    turns: list[Turn]
    encoding: str | None = None
    sha256: str = ""
    participant_id: str | None = None   # fixed by the source (quote banks, REFI cases)
    attributes: dict = field(default_factory=dict)
    # what the reader saw in the source, in order (None: not a transcript
    # reader's document), what stated rules removed (rule, text), and notes
    # for the import report; see helpers.ingest.conservation
    seen_text: list[str] | None = None
    removed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    side_text: list[str] = field(default_factory=list)  # Word headers, footers, comments, notes: not turns
    source_text: str | None = None      # the text other programs' offsets count in (spanmap)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def seconds(stamp: str | None) -> float | None:
    if not stamp:
        return None
    parts = stamp.replace(",", ".").split(":")
    value = 0.0
    for part in parts:
        value = value * 60 + float(part)
    return value


@dataclass
class Reading:
    """What a reader hands back: turns, plus what the conservation check and
    the import report need (the text it saw, what stated rules removed, notes)."""
    turns: list[Turn]
    encoding: str | None = None
    seen_text: list[str] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    header_lines: list[int] = field(default_factory=list)
    unknown: dict[str, int] = field(default_factory=dict)
    side_text: list[str] = field(default_factory=list)
