"""Other qualitative-analysis programs in and out.

- ``refi``: REFI-QDA projects (.qdpx, or a bare .qde) and codebooks (.qdc) in,
  and a study out as a .qdpx;
- ``taguette``: Taguette project (.sqlite3) and highlight (.csv/.xlsx) exports in;
- ``safezip``: reading untrusted archives and XML;
- ``positions``: other programs' text positions -> code point offsets.

Importers return ``ExternalCodings`` (defined by ``helpers.coding``); the coding
importer aligns each record's quote onto the study's clean texts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..transcripts import RawDocument, SpeakerLabels, Turn

RECORD_COLUMNS = ["doc_id", "quote", "hint_offset", "code", "level", "coder", "memo", "source", "source_row"]
CODEBOOK_COLUMNS = ["code", "parent", "level", "description", "colour"]

# Only these are taken off a document name to make its doc_id: a name such as
# "Interview 2.5" keeps its dot.
DOCUMENT_SUFFIXES = {".txt", ".docx", ".doc", ".rtf", ".odt", ".pdf", ".md", ".html", ".htm", ".xhtml",
                     ".vtt", ".srt", ".epub"}


@dataclass
class _ExternalCodingsFallback:
    """Same fields as ``helpers.coding.ExternalCodings``, used until it exists."""

    documents: list[RawDocument]
    records: pd.DataFrame
    codebook: pd.DataFrame
    participants: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def external_codings(**fields):
    """An ``ExternalCodings`` from helpers.coding (imported when called, so that
    helpers.coding may import this package at its top without a cycle)."""
    try:
        from ..coding import ExternalCodings
    except ImportError:
        ExternalCodings = _ExternalCodingsFallback
    return ExternalCodings(**fields)


def document_id(name: str) -> str:
    """A document's name without a file extension (only known ones)."""
    name = name.strip()
    suffix = Path(name).suffix
    return name[: -len(suffix)] if suffix.lower() in DOCUMENT_SUFFIXES and len(name) > len(suffix) else name


def study_labels(config=None) -> SpeakerLabels:
    """The speaker labels of a StudyConfig, else the defaults of DESIGN §2."""
    from ..config import DEFAULT_SPEAKERS

    return SpeakerLabels(getattr(config, "speakers", None) or DEFAULT_SPEAKERS)


def source_name_of(path: Path, root: Path | None) -> str:
    """A coding file as records.source names it: relative to the study folder
    when it is inside it, else its file name."""
    if root is not None:
        try:
            return str(Path(path).resolve().relative_to(Path(root).resolve()))
        except ValueError:
            pass
    return Path(path).name


_LINE_RE = re.compile(r"[^\r\n]*")


def lines_with_offsets(text: str) -> list[tuple[int, str]]:
    """(start offset, line) for each line; line ends are CRLF, CR or LF."""
    out, pos, n = [], 0, len(text)
    while pos <= n:
        match = _LINE_RE.match(text, pos)
        out.append((pos, match.group(0)))
        pos = match.end()
        if pos >= n:
            break
        pos += 2 if text.startswith("\r\n", pos) else 1
    return out


def paragraph_turns(paragraphs: list[tuple[int, str]], labels: SpeakerLabels, participant: str | None,
                    participant_at=None) -> list[Turn]:
    """One turn per non-empty line or paragraph (offset, text).

    A paragraph that starts with a speaker label is that speaker's turn; any
    other is its own turn, spoken by the document's participant (role
    "participant"), since a coded source without labels is the participant's
    account. ``participant_at(offset, length)`` may name who speaks there
    (REFI cases attached to selections).
    """
    turns: list[Turn] = []
    for number, (offset, paragraph) in enumerate(paragraphs, start=1):
        if not paragraph.strip():
            continue
        label, rest, stamp = labels.split(paragraph)
        speaker = participant_at(offset, len(paragraph)) if participant_at else None
        if label is not None:
            is_participant = labels.role_of(label) == "participant"
            turns.append(Turn(label, rest.strip(), stamp, number,
                              participant_id=speaker if is_participant else None))
        else:
            turns.append(Turn("", rest.strip(), stamp, number, role="participant",
                              participant_id=speaker or participant))
    return turns
