"""Transcript readers: .txt .md .docx .vtt .srt -> turns (DESIGN §2).

Turn rules:
- text formats: a line that starts (after an optional timestamp such as
  ``[00:01:23]``) with a speaker label and a colon starts a new turn, even when
  the same speaker spoke just before; lines without a label continue the turn;
- captions (.vtt, .srt): the speaker is the ``<v Name>`` voice tag or a label at
  the start of the caption; a caption without one continues the current
  speaker; consecutive captions by the same speaker merge into one turn;
- timestamps leave the text and are kept as ``start_time`` (seconds).

One module per reader family: ``text`` (.txt .md .rtf .odt), ``word`` (.docx), ``captions``
(.vtt .srt), with ``speakers`` (labels, lines -> turns), ``encoding`` (bytes -> text),
``model`` (``RawDocument``, ``Turn``) and ``readers`` (``read_transcript``: a file by its
suffix). Their public names are importable from ``helpers.ingest.transcripts``.
"""
from __future__ import annotations

from helpers.ingest.transcripts.captions import (
    CUE_TIMING_ATTEMPT_RE,
    CUE_TIMING_RE,
    Cue,
    check_cue_timings,
    parse_cues,
    read_captions,
    vtt_cues,
)
from helpers.ingest.transcripts.encoding import (
    MAX_STRAY_BYTES,
    Decoded,
    decode,
    decode_text,
)
from helpers.ingest.transcripts.model import (
    STAMP_ONLY,
    TIMESTAMP,
    TRANSCRIPT_SUFFIXES,
    RawDocument,
    Reading,
    Turn,
    seconds,
    sha256_file,
)
from helpers.ingest.transcripts.readers import (
    IGNORED_FILES,
    READERS,
    REFUSED,
    read_transcript,
    transcript_files,
)
from helpers.ingest.transcripts.speakers import (
    LineTurns,
    SpeakerLabels,
    read_lines,
    turns_from_lines,
    unknown_labels,
)
from helpers.ingest.transcripts.text import (
    read_odt,
    read_rtf,
    read_text,
)
from helpers.ingest.transcripts.word import (
    W,
    docx_blocks,
    docx_body_text,
    docx_paragraph_text,
    docx_side_text,
    docx_table_rows,
    open_docx,
    read_docx,
    transcript_table_columns,
)

__all__ = [
    "CUE_TIMING_ATTEMPT_RE",
    "CUE_TIMING_RE",
    "Cue",
    "Decoded",
    "IGNORED_FILES",
    "LineTurns",
    "MAX_STRAY_BYTES",
    "READERS",
    "REFUSED",
    "RawDocument",
    "Reading",
    "STAMP_ONLY",
    "SpeakerLabels",
    "TIMESTAMP",
    "TRANSCRIPT_SUFFIXES",
    "Turn",
    "W",
    "check_cue_timings",
    "decode",
    "decode_text",
    "docx_blocks",
    "docx_body_text",
    "docx_paragraph_text",
    "docx_side_text",
    "docx_table_rows",
    "open_docx",
    "parse_cues",
    "read_captions",
    "read_docx",
    "read_lines",
    "read_odt",
    "read_rtf",
    "read_text",
    "read_transcript",
    "seconds",
    "sha256_file",
    "transcript_files",
    "transcript_table_columns",
    "turns_from_lines",
    "unknown_labels",
    "vtt_cues",
]
