"""One transcript file -> ``RawDocument`` by its suffix (``READERS``; .doc .pdf .pages
refused, saying how to convert them), and the transcript files of a study.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from helpers.errors import InputError, display_path
from helpers.ingest.transcripts.captions import read_captions
from helpers.ingest.transcripts.model import RawDocument, Reading, Turn
from helpers.ingest.transcripts.speakers import SpeakerLabels
from helpers.ingest.transcripts.text import read_odt, read_rtf, read_text
from helpers.ingest.transcripts.word import read_docx

REFUSED = {
    ".doc": "an old Word .doc file cannot be read — open it in Word and save it as .docx (File > Save As > Word Document)",
    ".pdf": "a PDF cannot be read reliably (columns, headers and page numbers mix with the words) — export the "
            "transcript from its source as .docx or .txt",
    ".pages": "an Apple Pages file cannot be read — in Pages, File > Export To > Word (.docx)",
    ".wpd": "a WordPerfect file cannot be read — save it as .docx",
}
READERS = {".txt", ".md", ".docx", ".vtt", ".srt", ".rtf", ".odt"}


def read_transcript(path: Path, labels: SpeakerLabels, encoding: str | None = None) -> RawDocument:
    """One transcript file -> a RawDocument with its turns, the text its
    reader saw and what stated rules removed (for the conservation check),
    and notes for the import report.

    Raises
    ------
    InputError
        For a file it cannot read (with how to convert it), no text, or no
        speaker labels.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    fmt = suffix.lstrip(".")
    if suffix in REFUSED:
        what, fix = REFUSED[suffix].split(" — ", 1)
        raise InputError.one(path, what, fix)
    data = path.read_bytes()
    if fmt in ("txt", "md"):
        reading = read_text(path, data, labels, encoding)
    elif fmt == "docx":
        reading = read_docx(path, data, labels)
    elif fmt in ("vtt", "srt"):
        reading = read_captions(path, data, labels, fmt, encoding)
    elif fmt == "rtf":
        reading = read_rtf(path, data, labels)
    elif fmt == "odt":
        reading = read_odt(path, data, labels)
    else:
        raise InputError.one(path, f"unsupported transcript format .{fmt}",
                             "save it as .txt, .md, .docx, .odt, .rtf, .vtt or .srt, or move it out of transcripts/")
    turns = [t for t in reading.turns if t.text.strip() or t.speaker]
    if not turns and reading.header_lines:
        raise InputError.one(path, "no speaker labels found (e.g. 'I:' / 'P:' at line start)",
                             "label each turn, or add the labels used to 'speakers:' in study.yml")
    if not any(t.text.strip() for t in turns):
        raise InputError.one(path, "no text found in the transcript", "check the file holds the interview text")
    if not any(t.speaker for t in turns):
        raise InputError.one(path, "no speaker labels found (e.g. 'I:' / 'P:' at line start)",
                             "label each turn, or add the labels used to 'speakers:' in study.yml")
    speakers_seen = {labels.canonical_participant(t.speaker) for t in turns if t.speaker}
    group = len({s for s in speakers_seen if s}) > 1
    notes = list(reading.notes) + _speaker_notes(path, turns, reading, labels, group)
    return RawDocument(doc_id=path.stem, source_file=path, format=fmt,
                       kind="focus_group" if group else "interview", turns=turns,
                       encoding=reading.encoding, sha256=hashlib.sha256(data).hexdigest(),
                       seen_text=reading.seen_text, removed=reading.removed, notes=notes,
                       side_text=reading.side_text)


def _speaker_notes(path: Path, turns: list[Turn], reading: Reading, labels: SpeakerLabels, group: bool) -> list[str]:
    """Warnings about speakers: a header kept out, unknown recurring labels,
    no participant (or, in an interview, no interviewer) turns."""
    name = display_path(path)
    notes = []
    if reading.header_lines:
        lines = reading.header_lines
        span = f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]}–{lines[-1]}"
        notes.append(f"{name}: {span} before the first speaker label kept out of the turns as a header "
                     f"(a title or transcriber's note); turn 1 is line {turns[0].line or '?'}")
    for label, count in reading.unknown.items():
        lines = "1 line" if count == 1 else f"{count} lines"
        those = "that line was" if count == 1 else "those lines were"
        notes.append(f"{name}: '{label}:' starts {lines} but is not a speaker label, so {those} "
                     f"joined to the turn before — if it is a speaker, add it in study.yml: {labels.yml_fix(label)}")
    roles = {t.role or labels.role_of(t.speaker) for t in turns if t.speaker}
    if "participant" not in roles:
        notes.append(f"{name}: no participant turns (labels seen: {', '.join(sorted({t.speaker for t in turns if t.speaker}))}) "
                     f"— add the participant's label in study.yml: {labels.yml_fix('<label>')}")
    elif "interviewer" not in roles and not group:
        notes.append(f"{name}: no interviewer turns in this interview — if the interviewer has a label, "
                     f"add it in study.yml: {labels.yml_fix('<label>', 'interviewer')}")
    return notes


def transcript_files(folder: Path | None) -> list[Path]:
    """Every file under transcripts/ but hidden files and Office lock files
    (``~$…``): files of a format no reader takes are refused by
    ``read_transcript`` with how to convert them, never skipped silently."""
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith((".", "~$")) and p.name not in IGNORED_FILES)


# Files a transcripts folder may hold that are not transcripts.
IGNORED_FILES = {"Thumbs.db", "desktop.ini", ".DS_Store"}
