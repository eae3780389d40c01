"""Transcript readers: .txt .md .docx .vtt .srt -> turns (DESIGN §2).

Turn rules:
- text formats: a line that starts (after an optional timestamp such as
  ``[00:01:23]``) with a speaker label and a colon starts a new turn, even when
  the same speaker spoke just before; lines without a label continue the turn;
- captions (.vtt, .srt): the speaker is the ``<v Name>`` voice tag or a label at
  the start of the caption; a caption without one continues the current
  speaker; consecutive captions by the same speaker merge into one turn;
- timestamps leave the text and are kept as ``start_time`` (seconds).
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

TRANSCRIPT_SUFFIXES = {".txt", ".md", ".docx", ".vtt", ".srt"}
TIMESTAMP = r"(?:\[|\()?(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)(?:\]|\))?"
# A timestamp alone at the start of an unlabelled line must be unmistakable
# (bracketed, or h:mm:ss): "12:30 we met" is speech, not a timestamp.
STAMP_ONLY = r"(?:[\[(](\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)[\])]|(\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,3})?))"
CUE_TIMING_RE = re.compile(r"^\s*(\d{1,2}:)?\d{2}:\d{2}[.,]\d{3}\s+-->\s+(\d{1,2}:)?\d{2}:\d{2}[.,]\d{3}(\s.*)?$")
# A line that tries to be a cue timing: has the arrow, or starts with a time and an arrow-like "->".
CUE_TIMING_ATTEMPT_RE = re.compile(r"-->|^\s*\d{1,2}:\d{2}\S*\s*-+>")


@dataclass
class Turn:
    speaker: str              # the label as written ('I', 'Interviewer', 'P04'); '' when none
    text: str                 # raw utterance, lines joined by spaces
    start_time: float | None = None
    line: int | None = None   # where it starts in the source (for messages)
    role: str | None = None   # set by sources that know it (coding tables, REFI, quote banks)
    participant_id: str | None = None  # set by sources that know who speaks


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


# -- decoding -----------------------------------------------------------------

def decode(path: Path, data: bytes) -> tuple[str, str]:
    """Text and encoding: UTF-8 (with or without BOM), else cp1252; refuses
    empty, binary and PDF files with a one-line error."""
    if not data.strip():
        raise InputError.one(path, "the file is empty", "export the transcript again, or remove the file")
    if data.startswith(b"%PDF"):
        raise InputError.one(path, "this is a PDF file, not text", "save the transcript as .txt or .docx and replace the file")
    if data.startswith(b"PK\x03\x04"):
        raise InputError.one(path, "this is a zip/Office file, not plain text", "give it the right extension (.docx) or save as plain text")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _undecodable(path, data, exc, skipped=3, what="UTF-8 text, though the file starts with a UTF-8 byte-order mark") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise _undecodable(path, data, exc, what="UTF-16 text, though the file starts with a UTF-16 byte-order mark") from None
    if b"\x00" in data:
        raise InputError.one(path, "the file holds binary data (NUL bytes), not text", "save the transcript as plain text (UTF-8)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            raise _undecodable(path, data, exc) from None


def _undecodable(path: Path, data: bytes, exc: UnicodeDecodeError, skipped: int = 0,
                 what: str = "UTF-8 nor Windows-1252 text") -> InputError:
    """``skipped``: bytes (a byte-order mark) before the part that was decoded,
    so that the byte and line count from the start of the file."""
    at = skipped + exc.start
    line = data[:at].count(b"\n") + 1
    what = f"bytes that are neither {what}" if what.startswith("UTF-8 nor") else f"bytes that are not valid {what}"
    return InputError.one(path, f"{what} (byte {at})", "re-save the file as UTF-8 text", f"line {line}")


# -- speaker labels -------------------------------------------------------------

class SpeakerLabels:
    """Matches labels at line start and gives each its role."""

    def __init__(self, speakers: dict[str, list[str]], participant_ids: set[str] | None = None):
        self.role: dict[str, str] = {}
        for role, labels in speakers.items():
            for label in labels:
                self.role[label.lower()] = role
        self.participant_ids = {p.lower(): p for p in (participant_ids or set())}
        labels = sorted(set(self.role) | set(self.participant_ids), key=len, reverse=True)
        alternatives = "|".join(re.escape(l) for l in labels) or r"(?!x)x"
        self.line_re = re.compile(
            rf"^\s*(?:{TIMESTAMP}\s*)?(?:\*\*|__)?({alternatives})(?:\*\*|__)?\s*:(?:\*\*|__)?\s?(.*)$",
            re.IGNORECASE)
        self.stamp_only_re = re.compile(rf"^\s*{STAMP_ONLY}\s+(.*)$")

    def role_of(self, label: str) -> str:
        low = label.lower()
        if low in self.participant_ids:
            return "participant"
        return self.role.get(low, "other")

    def canonical_participant(self, label: str) -> str | None:
        return self.participant_ids.get(label.lower())

    def split(self, line: str) -> tuple[str | None, str, float | None]:
        """(label or None, rest of line, start_time) for one line of text."""
        m = self.line_re.match(line)
        if m:
            return m.group(2), m.group(3), seconds(m.group(1))
        m = self.stamp_only_re.match(line)
        if m:
            return None, m.group(3), seconds(m.group(1) or m.group(2))
        return None, line, None


# -- readers --------------------------------------------------------------------

def turns_from_lines(lines: list[str], labels: SpeakerLabels) -> list[Turn]:
    turns: list[Turn] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        label, rest, stamp = labels.split(line)
        if label is not None:
            turns.append(Turn(label, rest.strip(), stamp, number))
        elif turns:
            turns[-1].text = f"{turns[-1].text} {rest.strip()}".strip()
        else:
            # Text before the first label (a header): its own unlabelled turn.
            turns.append(Turn("", rest.strip(), stamp, number))
    return turns


def read_text(path: Path, data: bytes, labels: SpeakerLabels) -> tuple[list[Turn], str]:
    text, encoding = decode(path, data)
    return turns_from_lines(text.splitlines(), labels), encoding


def open_docx(path: Path, data: bytes | None = None):
    """A python-docx Document, or a one-line InputError for a file that is not
    a readable .docx: not a zip, a broken zip, or a zip without Word's parts.

    python-docx reports a damaged package with whatever its zip and XML layers
    raise (KeyError for a missing part, AttributeError or lxml's XMLSyntaxError
    for a malformed [Content_Types].xml, PackageNotFoundError for a path that
    is not a zip): all of them mean the file cannot be read as Word."""
    import zlib

    import docx
    from docx.opc.exceptions import OpcError
    from lxml.etree import LxmlError

    from .interop.safezip import office_zip_problem

    data = Path(path).read_bytes() if data is None else data
    bomb = office_zip_problem(data)
    if bomb:
        raise InputError.one(path, f"not a readable Word document: {bomb}",
                             "refused for safety: open it in Word and save it again, or ask whoever sent it for a clean copy")
    try:
        return docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, AttributeError, TypeError, SyntaxError, EOFError,
            NotImplementedError, zlib.error, OpcError, LxmlError) as exc:
        raise InputError.one(path, f"not a readable Word document ({type(exc).__name__})",
                             "open it in Word and save it again as .docx") from None


def read_docx(path: Path, data: bytes, labels: SpeakerLabels) -> list[Turn]:
    document = open_docx(path, data)
    # A paragraph may hold line breaks (Shift+Enter): each line may start a turn.
    lines = [line for p in document.paragraphs for line in p.text.splitlines()]
    turns = turns_from_lines(lines, labels)
    if any(t.speaker for t in turns) or not document.tables:
        return turns
    # A transcript laid out as a table (perhaps under a title paragraph):
    # speaker in the first cell, text in the second.
    turns = []
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if len(cells) >= 2 and cells[0] and labels.line_re.match(cells[0] + ": x"):
                turns.append(Turn(cells[0], " ".join(cells[1].split())))
            elif len(cells) >= 2 and not cells[0] and turns:
                turns[-1].text = f"{turns[-1].text} {' '.join(cells[1].split())}".strip()
    return turns


def check_cue_timings(path: Path, text: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if CUE_TIMING_ATTEMPT_RE.search(line) and not CUE_TIMING_RE.match(line):
            raise InputError.one(path, f"malformed cue timing '{line.strip()[:60]}'",
                                 "timings read like 00:01:02.500 --> 00:01:05.000 (.vtt) or 00:01:02,500 --> 00:01:05,000 (.srt)",
                                 f"line {number}")


def read_captions(path: Path, data: bytes, labels: SpeakerLabels, fmt: str) -> tuple[list[Turn], str]:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    text, encoding = decode(path, data)
    check_cue_timings(path, text)
    try:
        if fmt == "vtt":
            captions = webvtt.from_string(text).captions
        else:
            captions = _srt(text)
    except (MalformedCaptionError, MalformedFileError) as exc:
        raise InputError.one(path, f"not a valid {fmt.upper()} file ({exc})",
                             "export the captions again from the recording platform") from None
    if not captions:
        raise InputError.one(path, f"no captions found in this {fmt.upper()} file",
                             "check the file is a complete caption export")
    turns: list[Turn] = []
    for caption in captions:
        body = " ".join(caption.text.split())
        speaker = getattr(caption, "voice", None)
        if not speaker:
            label, rest, _ = labels.split(body)
            speaker, body = (label, rest.strip()) if label else (None, body)
        if speaker is None and turns:
            speaker = turns[-1].speaker
        if turns and speaker == turns[-1].speaker:
            turns[-1].text = f"{turns[-1].text} {body}".strip()
        else:
            # start_in_seconds drops the milliseconds (webvtt-py 0.6): read the stamp.
            turns.append(Turn(speaker or "", body, seconds(caption.start)))
    return turns, encoding


def _srt(text: str):
    import tempfile

    import webvtt

    # webvtt-py reads SubRip from a file path; the text was decoded already.
    with tempfile.NamedTemporaryFile("w", suffix=".srt", encoding="utf-8", delete=True) as handle:
        handle.write(text)
        handle.flush()
        return webvtt.from_srt(handle.name).captions


def read_transcript(path: Path, labels: SpeakerLabels) -> RawDocument:
    """One transcript file -> a RawDocument with its turns."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    data = path.read_bytes()
    encoding = None
    if fmt in ("txt", "md"):
        turns, encoding = read_text(path, data, labels)
    elif fmt == "docx":
        turns = read_docx(path, data, labels)
    elif fmt in ("vtt", "srt"):
        turns, encoding = read_captions(path, data, labels, fmt)
    else:
        raise InputError.one(path, f"unsupported transcript format .{fmt}", "use .txt, .md, .docx, .vtt or .srt")
    turns = [t for t in turns if t.text.strip() or t.speaker]
    if not any(t.text.strip() for t in turns):
        raise InputError.one(path, "no text found in the transcript", "check the file holds the interview text")
    if not any(t.speaker for t in turns):
        raise InputError.one(path, "no speaker labels found (e.g. 'I:' / 'P:' at line start)",
                             "label each turn, or add the labels used to 'speakers:' in study.yml")
    speakers_seen = {labels.canonical_participant(t.speaker) for t in turns if t.speaker}
    group = len({s for s in speakers_seen if s}) > 1
    return RawDocument(doc_id=path.stem, source_file=path, format=fmt,
                       kind="focus_group" if group else "interview", turns=turns,
                       encoding=encoding, sha256=hashlib.sha256(data).hexdigest())


def transcript_files(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in TRANSCRIPT_SUFFIXES and not p.name.startswith((".", "~$")))
