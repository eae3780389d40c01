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
import html
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from helpers.errors import InputError, display_path

TRANSCRIPT_SUFFIXES = {".txt", ".md", ".docx", ".vtt", ".srt", ".rtf", ".odt"}
TIMESTAMP = r"(?:[\[({#])?(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)(?:[\])}#])?"
# A timestamp alone at the start of an unlabelled line must be unmistakable
# (bracketed, or h:mm:ss): "12:30 we met" is speech, not a timestamp.
STAMP_ONLY = r"(?:[\[({#](\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)[\])}#]|(\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,3})?))"
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


# -- decoding -----------------------------------------------------------------

# How many undecodable bytes a file that is otherwise UTF-8 may hold before it
# is taken for another encoding; each is named in a warning.
MAX_STRAY_BYTES = 8


@dataclass
class Decoded:
    text: str
    encoding: str
    notes: list[str] = field(default_factory=list)


def decode(path: Path, data: bytes) -> tuple[str, str]:
    """Text and encoding (see ``decode_text``); notes are dropped."""
    decoded = decode_text(path, data)
    return decoded.text, decoded.encoding


def decode_text(path: Path, data: bytes, encoding: str | None = None) -> Decoded:
    """Text and encoding of a transcript or table, with notes for the researcher.

    Rules, in order: a byte-order mark decides (UTF-8, UTF-16); ``encoding``
    given in study.yml decides; valid UTF-8 is UTF-8; a file that is UTF-8
    except up to ``MAX_STRAY_BYTES`` bytes (it holds valid multi-byte UTF-8
    too) is UTF-8 with those bytes replaced by U+FFFD and named (line, byte
    offset) in a note, never re-decoded wholesale in another code page;
    otherwise Windows-1252 (what Excel and Word save on English Windows) for
    mostly-ASCII text, else charset-normalizer's detection when it is
    confident (see ``_detected``), else Windows-1252 when it decodes.
    Empty, binary, zip and PDF files are refused with a one-line error.

    Raises
    ------
    InputError
        For a file that is empty, binary, or decodable by none of these.
    """
    if not data.strip():
        raise InputError.one(path, "the file is empty", "export the transcript again, or remove the file")
    if data.startswith(b"%PDF"):
        raise InputError.one(path, "this is a PDF file, not text", "save the transcript as .txt or .docx and replace the file")
    if data.startswith(b"PK\x03\x04"):
        raise InputError.one(path, "this is a zip/Office file, not plain text", "give it the right extension (.docx) or save as plain text")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return Decoded(data[3:].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _undecodable(path, data, exc, skipped=3, what="UTF-8 text, though the file starts with a UTF-8 byte-order mark") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            raise _undecodable(path, data, exc, what="UTF-16 text, though the file starts with a UTF-16 byte-order mark") from None
    if b"\x00" in data:
        raise InputError.one(path, "the file holds binary data (NUL bytes), not text", "save the transcript as plain text (UTF-8)")
    if encoding:
        try:
            return Decoded(data.decode(encoding), encoding, [f"{display_path(path)}: read as {encoding}, as study.yml says"])
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError.one(path, f"not readable as {encoding}, the encoding study.yml gives ({type(exc).__name__})",
                                 "correct 'encoding:' in study.yml or remove it to detect the encoding") from None
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        first_error = exc
    stray = _stray_bytes(data)
    if stray is not None:
        places = ", ".join(f"line {line} byte {at}" for line, at in stray[:5]) + (", …" if len(stray) > 5 else "")
        note = (f"{display_path(path)}: {len(stray)} byte(s) that are not UTF-8 in a UTF-8 file ({places}): "
                "read as UTF-8 with each replaced by '\ufffd' — re-save the file as UTF-8 to check those places")
        return Decoded(data.decode("utf-8", errors="replace"), "utf-8", [note])
    detected = _detected(data)
    if detected is not None:
        return detected
    try:
        return Decoded(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError:
        raise _undecodable(path, data, first_error) from None


def _stray_bytes(data: bytes) -> list[tuple[int, int]] | None:
    """(line, byte offset) of each byte that breaks UTF-8, when the rest is
    UTF-8 with at least one multi-byte character; else None."""
    text = data.decode("utf-8", errors="surrogateescape")
    if not any(ord(ch) > 0x7F and not 0xDC80 <= ord(ch) <= 0xDCFF for ch in text):
        return None  # no UTF-8 multi-byte character at all: another encoding
    out, offset, line = [], 0, 1
    for ch in text:
        if 0xDC80 <= ord(ch) <= 0xDCFF:
            out.append((line, offset))
            offset += 1
        else:
            if ch == "\n":
                line += 1
            offset += len(ch.encode("utf-8"))
    return out if len(out) <= MAX_STRAY_BYTES else None


def _detected(data: bytes) -> Decoded | None:
    """charset-normalizer's guess for text that is not mostly English in
    Windows-1252: on short English text its guesses vary (cp775, cp1250…),
    so a file whose Windows-1252 reading has at least 90% ASCII letters is
    Windows-1252; otherwise (Cyrillic, Greek … in their code pages) the
    library decides when it recognises a language (coherence ≥ 0.5)."""
    from charset_normalizer import from_bytes

    try:
        as_1252 = data.decode("cp1252")
        letters = [ch for ch in as_1252 if ch.isalpha()]
        if letters and sum(ch.isascii() for ch in letters) >= 0.9 * len(letters):
            return None
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None or best.coherence < 0.5:
        return None
    return Decoded(str(best), best.encoding)


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
    """Matches labels at line start and gives each its role.

    A label is a configured label (study.yml ``speakers:``), a participant id,
    or a pseudonym or name from participants.csv (``pseudonyms``: name ->
    participant_id); all compared case-insensitively. Timestamps may stand
    before the label, between it and its colon, or right after the colon:
    ``[00:01:02] I: …``, ``I (00:01:02): …``, ``I: #00:01:02.500# …``; right
    after the colon only a bracketed stamp or h:mm:ss counts, since
    "P: 12:30 on the ward" is speech.
    """

    def __init__(self, speakers: dict[str, list[str]], participant_ids: set[str] | None = None,
                 pseudonyms: dict[str, str] | None = None):
        self.speakers = {role: list(labels) for role, labels in speakers.items()}
        self.role: dict[str, str] = {}
        for role, labels in speakers.items():
            for label in labels:
                self.role[_fold(label)] = role
        self.participant_ids = {_fold(p): p for p in (participant_ids or set())}
        self.pseudonyms = {_fold(name): pid for name, pid in (pseudonyms or {}).items()
                           if _fold(name) and _fold(name) not in self.role}
        labels = sorted(set(self.role) | set(self.participant_ids) | set(self.pseudonyms), key=len, reverse=True)
        alternatives = "|".join(re.escape(l) for l in labels) or r"(?!x)x"
        self.line_re = re.compile(
            rf"^\s*(?:{TIMESTAMP}\s*)?(?:\*\*|__)?({alternatives})(?:\*\*|__)?(?:\s*{TIMESTAMP})?\s*:(?:\*\*|__)?"
            rf"(?:\s*{STAMP_ONLY}(?=\s|$))?\s?(.*)$", re.IGNORECASE)
        # "Name  0:04" alone on a line, the words on the next (transcription services)
        self.name_stamp_re = re.compile(rf"^\s*(?:\*\*|__)?({alternatives})(?:\*\*|__)?\s+{TIMESTAMP}\s*$", re.IGNORECASE)
        self.stamp_only_re = re.compile(rf"^\s*{STAMP_ONLY}\s+(.*)$")

    def role_of(self, label: str) -> str:
        low = _fold(label)
        if low in self.participant_ids or low in self.pseudonyms:
            return "participant"
        return self.role.get(low, "other")

    def canonical_participant(self, label: str) -> str | None:
        low = _fold(label)
        return self.participant_ids.get(low) or self.pseudonyms.get(low)

    def is_label(self, label: str) -> bool:
        low = _fold(label)
        return low in self.role or low in self.participant_ids or low in self.pseudonyms

    def split(self, line: str) -> tuple[str | None, str, float | None]:
        """(label or None, rest of line, start_time) for one line of text."""
        m = self.line_re.match(line)
        if m:
            stamp = m.group(1) or m.group(3) or m.group(4) or m.group(5)
            return m.group(2), m.group(6), seconds(stamp)
        m = self.name_stamp_re.match(line)
        if m:
            return m.group(1), "", seconds(m.group(2))
        m = self.stamp_only_re.match(line)
        if m:
            return None, m.group(3), seconds(m.group(1) or m.group(2))
        return None, line, None

    def timestamps_in(self, line: str) -> list[str]:
        """The timestamps ``split`` takes out of ``line`` (for the conservation check)."""
        for regex in (self.line_re, self.name_stamp_re, self.stamp_only_re):
            m = regex.match(line)
            if m:
                rest = m.group(m.lastindex) if regex is not self.name_stamp_re else ""
                head = line[:len(line) - len(rest)] if rest else line
                stamps = re.findall(r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?", head)
                return [digits for stamp in stamps for digits in re.findall(r"\d+", stamp)]
        return []

    def yml_fix(self, label: str, role: str = "participant") -> str:
        """The study.yml line that makes ``label`` a label of ``role``."""
        labels = self.speakers.get(role, []) + [label]
        return f"speakers: {{{role}: [{', '.join(labels)}]}} (keep the other roles' lines)"


def _fold(label: str) -> str:
    """Labels compare NFC, case-folded, with curly apostrophes straight."""
    return unicodedata.normalize("NFC", str(label)).strip().casefold().replace("’", "'")


# A prefix that looks like a speaker label: up to three capitalised words (or
# "Speaker 2") and a colon, or such a name followed by a timestamp alone.
_LABEL_LIKE_RE = re.compile(rf"^\s*(?:{TIMESTAMP}\s*)?(?:\*\*|__)?(?P<label>[A-Z][\w'’.\-]*(?: [A-Z0-9][\w'’.\-]*){{0,2}})"
                            rf"(?:\*\*|__)?\s*(?::\s|:$|\s+{TIMESTAMP}\s*$)")


def unknown_labels(lines: list[str], labels: SpeakerLabels) -> dict[str, int]:
    """Label-like prefixes that are no known label: {label: lines}. Even once: a misspelt
    pseudonym ("Sabel:") or an unlisted speaker joins their words to the turn before, so
    another person's words would be counted as that speaker's without a word said."""
    counts: dict[str, int] = {}
    for line in lines:
        if labels.line_re.match(line) or labels.name_stamp_re.match(line):
            continue
        m = _LABEL_LIKE_RE.match(line)
        if m and not labels.is_label(m.group("label")):
            counts[m.group("label")] = counts.get(m.group("label"), 0) + 1
    return {label: n for label, n in counts.items() if n >= 1}


# -- readers --------------------------------------------------------------------

@dataclass
class LineTurns:
    """Turns read from lines, the header lines before the first turn, and
    the timestamps taken out."""
    turns: list[Turn]
    header_lines: list[int]
    removed: list[tuple[str, str]]


def turns_from_lines(lines: list[str], labels: SpeakerLabels) -> list[Turn]:
    return read_lines(lines, labels).turns


def read_lines(lines: list[str], labels: SpeakerLabels, first_line: int = 1) -> LineTurns:
    """Turns of a transcript's lines: a labelled line starts a turn, other
    lines continue it; lines before the first label are a header (a title,
    "Transcribed by …"), kept out of the turns and reported."""
    turns: list[Turn] = []
    header: list[int] = []
    removed: list[tuple[str, str]] = []
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        label, rest, stamp = labels.split(line)
        if stamp is not None:
            removed += [("timestamp", d) for d in labels.timestamps_in(line)]
        if label is not None:
            turns.append(Turn(label, rest.strip(), stamp, number))
        elif turns:
            turns[-1].text = f"{turns[-1].text} {rest.strip()}".strip()
        else:
            header.append(number)
            removed.append(("header", line))
    return LineTurns(turns, header, removed)


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


def read_text(path: Path, data: bytes, labels: SpeakerLabels, encoding: str | None = None) -> Reading:
    decoded = decode_text(path, data, encoding)
    return _reading_of_lines(decoded.text, labels, decoded.encoding, decoded.notes)


def _reading_of_lines(text: str, labels: SpeakerLabels, encoding: str | None, notes: list[str]) -> Reading:
    lines = text.splitlines()
    read = read_lines(lines, labels)
    return Reading(read.turns, encoding, [text], read.removed, list(notes), read.header_lines,
                   unknown_labels(lines, labels))


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

    from helpers.safezip import office_zip_problem

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


# -- Word: the body XML, in document order ------------------------------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Elements whose content is the document's text as Word shows it (changes
# accepted): content controls, custom XML, smart tags, hyperlinks, simple
# fields, tracked insertions and moves-to. Deleted and moved-from text is not.
_DOCX_TRANSPARENT = {W + t for t in ("sdt", "sdtContent", "customXml", "smartTag", "hyperlink", "fldSimple",
                                     "ins", "moveTo", "r", "bdo", "dir")}
_DOCX_DROPPED = {W + t for t in ("del", "moveFrom", "sdtPr", "sdtEndPr", "rPr", "pPr", "instrText",
                                 "delText", "delInstrText", "footnoteReference", "endnoteReference")}


def docx_paragraph_text(p) -> str:
    """A paragraph's text as Word shows it, changes accepted: runs inside
    content controls, smart tags, hyperlinks, fields and tracked insertions
    included; deletions and field codes left out; soft line breaks and
    carriage returns as "\\n", tabs as "\\t"."""
    out: list[str] = []

    def walk(element) -> None:
        for child in element:
            tag = child.tag
            if tag in _DOCX_DROPPED:
                continue
            if tag == W + "t":
                out.append(child.text or "")
            elif tag in (W + "br", W + "cr"):
                out.append("\n")
            elif tag == W + "tab":
                out.append("\t")
            elif tag == W + "noBreakHyphen":
                out.append("-")
            elif isinstance(tag, str):
                walk(child)

    walk(p)
    return "".join(out)


def docx_blocks(body):
    """("p", text) and ("tbl", rows) in body order, looking inside block-level
    content controls, custom XML and tracked insertions; rows are lists of
    cells (each cell once, however many grid columns it spans), each cell's
    paragraphs joined by "\\n"."""
    for child in body:
        tag = child.tag
        if tag == W + "p":
            yield "p", docx_paragraph_text(child)
        elif tag == W + "tbl":
            yield "tbl", docx_table_rows(child)
        elif tag in _DOCX_TRANSPARENT:
            yield from docx_blocks(child)


def docx_table_rows(tbl) -> list[list[str]]:
    rows = []
    for tr in tbl.iter(W + "tr"):
        if tr.getparent() is not None and _owning_table(tr) is not tbl:
            continue  # a row of a nested table: its text is in its cell's paragraphs
        cells = []
        for tc in tr.iter(W + "tc"):
            if _owning_table(tc) is not tbl:
                continue
            paragraphs = [docx_paragraph_text(p) for p in tc.iter(W + "p")]
            cells.append("\n".join(paragraphs))
        rows.append(cells)
    return rows


def _owning_table(element):
    parent = element.getparent()
    while parent is not None and parent.tag != W + "tbl":
        parent = parent.getparent()
    return parent


def docx_body_text(body) -> list[str]:
    """Every text node of the body in document order (for the conservation
    check), deleted text excluded: independent of how turns are split."""
    out = []
    for node in body.iter(W + "t"):
        if not any(a.tag in (W + "del", W + "moveFrom") for a in node.iterancestors()):
            out.append(node.text or "")
    return out


# Transcript-table headers (any column order).
_TIME_HEADERS = {"time", "timestamp", "time_stamp", "start", "start_time", "timecode", "time_code", "tc", "in"}
_SPEAKER_HEADERS = {"speaker", "speakers", "name", "who", "person", "role"}
_TEXT_HEADERS = {"text", "transcript", "transcription", "utterance", "speech", "words", "content", "dialogue",
                 "what_was_said"}


def _header_key(cell: str) -> str:
    return re.sub(r"[\s_\-]+", "_", cell.strip().lower()).strip("_:")


def transcript_table_columns(rows: list[list[str]], labels: SpeakerLabels) -> tuple[dict, bool] | None:
    """{'speaker': i, 'text': j, 'time': k or None} and whether row 1 is a
    header, for a table laid out as a transcript; None when it is not one."""
    if not rows:
        return None
    head = [_header_key(c) for c in rows[0]]
    cols = {"speaker": None, "text": None, "time": None}
    for i, key in enumerate(head):
        for name, keys in (("time", _TIME_HEADERS), ("speaker", _SPEAKER_HEADERS), ("text", _TEXT_HEADERS)):
            if key in keys and cols[name] is None:
                cols[name] = i
                break
    if cols["speaker"] is not None and cols["text"] is not None:
        return cols, True
    # No header: the speaker column is the one whose cells are mostly labels.
    width = max(len(r) for r in rows)
    cells = [[r[i].strip() if i < len(r) else "" for r in rows] for i in range(width)]
    cols = {"speaker": None, "text": None, "time": None}
    for i in range(width):
        filled = [c for c in cells[i] if c]
        if not filled:
            continue
        if cols["speaker"] is None and sum(labels.is_label(c.rstrip(":")) for c in filled) >= 0.6 * len(filled):
            cols["speaker"] = i
        elif cols["time"] is None and sum(bool(re.fullmatch(TIMESTAMP, c)) for c in filled) >= 0.8 * len(filled):
            cols["time"] = i
    if cols["speaker"] is None:
        return None
    rest = [(sum(len(c) for c in cells[i]), -i) for i in range(width) if i not in (cols["speaker"], cols["time"])]
    if not rest:
        return None
    cols["text"] = -max(rest)[1]
    return cols, False


def _table_turns(rows: list[list[str]], cols: dict, has_header: bool, first_row: int = 1) -> list[Turn]:
    turns: list[Turn] = []
    for number, row in enumerate(rows, start=first_row):
        if has_header and number == first_row:
            continue
        cell = lambda key: row[cols[key]].strip() if cols[key] is not None and cols[key] < len(row) else ""
        speaker, text = cell("speaker").rstrip(":").strip(), " ".join(cell("text").split())
        stamp = re.fullmatch(rf"\s*{TIMESTAMP}\s*", cell("time")) if cols["time"] is not None else None
        if speaker:
            turns.append(Turn(speaker, text, seconds(stamp.group(1)) if stamp else None, number))
        elif turns and text:
            turns[-1].text = f"{turns[-1].text} {text}".strip()
    return turns


def read_docx(path: Path, data: bytes, labels: SpeakerLabels) -> Reading:
    """Paragraphs and tables in body order (see ``docx_blocks``). A table laid
    out as a transcript (speaker and text columns, a time column optional, in
    any order, headed or not) gives one turn per row; any other table's cells
    are read as lines. Headers, footers and comments are not transcript text
    (the identifier scan is the researcher's check on them)."""
    document = open_docx(path, data)
    body = document.element.body
    turns: list[Turn] = []
    lines: list[str] = []
    removed: list[tuple[str, str]] = []
    header_lines: list[int] = []
    notes: list[str] = []
    all_lines: list[str] = []

    def flush() -> None:
        if not lines:
            return
        read = read_lines(lines, labels)
        removed.extend(read.removed)
        if turns and read.header_lines:
            # text between a table and the next label continues the table's last turn
            first = read.turns[0].line if read.turns else None
            extra = [lines[i - 1] for i in read.header_lines if first is None or i < first]
            turns[-1].text = " ".join([turns[-1].text] + [" ".join(x.split()) for x in extra]).strip()
            removed[:] = [r for r in removed if r[0] != "header" or r[1] not in extra]
        else:
            header_lines.extend(read.header_lines)
        turns.extend(read.turns)
        lines.clear()

    for kind, content in docx_blocks(body):
        if kind == "p":
            # A paragraph may hold line breaks (Shift+Enter): each line may start a turn.
            lines.extend(content.splitlines() or [""])
            all_lines.extend(content.splitlines())
            continue
        found = transcript_table_columns(content, labels)
        if found is None:
            for row in content:
                for cell in row:
                    lines.extend(cell.splitlines())
                    all_lines.extend(cell.splitlines())
            continue
        flush()
        cols, has_header = found
        if has_header:
            removed.append(("table header", " ".join(content[0])))
        table_turns = _table_turns(content, cols, has_header)
        for row in content[1 if has_header else 0:]:
            if cols["time"] is not None and cols["time"] < len(row):
                removed += [("timestamp", d) for d in re.findall(r"\d+", row[cols["time"]])]
        turns.extend(table_turns)
    flush()
    n_ins = sum(1 for _ in body.iter(W + "ins")) + sum(1 for _ in body.iter(W + "moveTo"))
    n_del = sum(1 for _ in body.iter(W + "del")) + sum(1 for _ in body.iter(W + "moveFrom"))
    if n_ins or n_del:
        notes.append(f"{display_path(path)}: tracked changes accepted, as Word shows the final text: "
                     f"{n_ins} insertion(s) kept, {n_del} deletion(s) left out — accept or reject them in Word "
                     "if that is not what you want")
    side = docx_side_text(document)
    if side:
        n_words = sum(len(t.split()) for t in side)
        notes.append(f"{display_path(path)}: headers, footers, comments or notes hold {n_words} word(s): not read as "
                     "transcript text, but scanned for identifiers (tables/identifier_review.csv, seg_no 0)")
    reading = Reading(turns, None, docx_body_text(body), removed, notes, header_lines,
                      unknown_labels(all_lines, labels))
    reading.side_text = side
    return reading


_SIDE_PARTS = re.compile(r"^/word/(?:header\d*|footer\d*|comments|commentsExtended|footnotes|endnotes)\.xml$")


def docx_side_text(document) -> list[str]:
    """Text of the parts that are not the body: headers, footers, comments,
    footnotes and endnotes (Word's separator notes are empty)."""
    from lxml import etree

    out = []
    for part in document.part.package.iter_parts():
        if not _SIDE_PARTS.match(str(part.partname)):
            continue
        try:
            root = etree.fromstring(part.blob, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            continue
        for paragraph in root.iter(W + "p"):
            text = docx_paragraph_text(paragraph).strip()
            if text:
                out.append(text)
    return out


# -- captions ------------------------------------------------------------------------

def check_cue_timings(path: Path, text: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if CUE_TIMING_ATTEMPT_RE.search(line) and not CUE_TIMING_RE.match(line):
            raise InputError.one(path, f"malformed cue timing '{line.strip()[:60]}'",
                                 "timings read like 00:01:02.500 --> 00:01:05.000 (.vtt) or 00:01:02,500 --> 00:01:05,000 (.srt)",
                                 f"line {number}")


@dataclass
class Cue:
    start: str
    lines: list[str]
    line: int


_VOICE_RE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>", re.IGNORECASE)
_TAG_RE = re.compile(r"</?[^>\s][^>]*>")


def parse_cues(path: Path, text: str, fmt: str) -> list[Cue]:
    """Cues of a WebVTT or SubRip file, tolerantly: a byte-order mark, blank
    lines before the first cue, cue numbers or ids, and missing blank lines
    between cues (a timing line always starts a cue) are all accepted. WebVTT
    needs its "WEBVTT" first line; its NOTE, STYLE and REGION blocks are skipped."""
    lines = text.lstrip("\ufeff").splitlines()
    if fmt == "vtt":
        first = next((l for l in lines if l.strip()), "")
        if not first.strip().startswith("WEBVTT"):
            raise InputError.one(path, "not a valid VTT file (it does not start with 'WEBVTT')",
                                 "export the captions again from the recording platform, or rename it .srt if it is SubRip")
    cues: list[Cue] = []
    current: Cue | None = None
    skipping = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if CUE_TIMING_RE.match(line):
            if current is not None and current.lines and re.fullmatch(r"\d+|[^\s].{0,40}", current.lines[-1].strip()) \
                    and number >= 2 and lines[number - 2].strip() == current.lines[-1].strip() and _is_cue_id(lines, number - 2):
                current.lines.pop()  # the next cue's number, not a blank line between
            current = Cue(stripped.split("-->")[0].strip(), [], number)
            cues.append(current)
            skipping = False
            continue
        if not stripped:
            current = None
            skipping = False
            continue
        if current is None:
            if fmt == "vtt" and (stripped.startswith(("NOTE", "STYLE", "REGION", "WEBVTT")) or skipping):
                skipping = True
            continue  # a cue number or id, or a header block
        current.lines.append(line)
    return cues


def vtt_cues(path: Path, text: str) -> list[Cue]:
    """Cues of a WebVTT file through webvtt-py (header, NOTE, STYLE and REGION
    blocks, cue settings), each with its raw lines so that every voice span
    can be read (webvtt-py's ``voice`` is the first span only)."""
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    first = next((l for l in text.lstrip("\ufeff").splitlines() if l.strip()), "")
    if not first.strip().startswith("WEBVTT"):
        raise InputError.one(path, "not a valid VTT file (it does not start with 'WEBVTT')",
                             "export the captions again from the recording platform, or rename it .srt if it is SubRip")
    try:
        captions = webvtt.from_string(text.lstrip("\ufeff").lstrip("\n\r \t")).captions
    except (MalformedCaptionError, MalformedFileError) as exc:
        raise InputError.one(path, f"not a valid VTT file ({exc})",
                             "export the captions again from the recording platform") from None
    starts = [n for n, line in enumerate(text.splitlines(), start=1) if CUE_TIMING_RE.match(line)]
    return [Cue(c.start, c.raw_text.splitlines(), starts[i] if i < len(starts) else None)
            for i, c in enumerate(captions)]


def _is_cue_id(lines: list[str], index: int) -> bool:
    """Line ``index`` (0-based) stands right before a timing line: a cue
    number such as "12" (a SubRip file without blank lines between cues)."""
    return bool(re.fullmatch(r"\s*\d+\s*", lines[index]))


def read_captions(path: Path, data: bytes, labels: SpeakerLabels, fmt: str, encoding: str | None = None) -> Reading:
    """Cues -> turns. In each cue, every line may change the speaker: a
    ``<v Name>`` voice span, or a label at its start (after a dialogue dash
    "- ", which is dropped); a line with neither continues the current
    speaker; consecutive lines and cues by the same speaker are one turn."""
    decoded = decode_text(path, data, encoding)
    text = decoded.text
    check_cue_timings(path, text)
    cues = vtt_cues(path, text) if fmt == "vtt" else parse_cues(path, text, fmt)
    if not cues:
        raise InputError.one(path, f"no captions found in this {fmt.upper()} file",
                             "check the file is a complete caption export")
    turns: list[Turn] = []
    source: list[str] = []
    removed: list[tuple[str, str]] = []
    for cue in cues:
        for raw in cue.lines:
            voice = _VOICE_RE.search(raw)
            # the cue's words: a voice tag's name stays (it is a label), other markup and entities are not words
            source.append(html.unescape(_TAG_RE.sub(" ", _VOICE_RE.sub(lambda m: f" {m.group(1)} ", raw))))
            body = html.unescape(_TAG_RE.sub("", raw)).strip()
            if body.startswith(("- ", "-\t", "– ")) or body == "-":
                body = body[1:].strip()
            speaker = voice.group(1).strip() if voice else None
            if speaker is None:
                label, rest, _ = labels.split(body)
                if label:
                    speaker, body = label, rest.strip()
            body = " ".join(body.split())
            named = speaker is not None
            if speaker is None:
                speaker = turns[-1].speaker if turns else ""
            if turns and speaker == turns[-1].speaker:
                if named:  # the same speaker again: one turn, the label written once
                    removed.append(("speaker label", speaker))
                turns[-1].text = f"{turns[-1].text} {body}".strip()
            else:
                turns.append(Turn(speaker, body, seconds(cue.start), cue.line))
    return Reading(turns, decoded.encoding, source, removed, list(decoded.notes), [],
                   unknown_labels([html.unescape(_TAG_RE.sub("", l)).lstrip("- ") for c in cues for l in c.lines], labels))


# -- other formats ----------------------------------------------------------------------

def read_rtf(path: Path, data: bytes, labels: SpeakerLabels) -> Reading:
    """Rich Text through striprtf (plain text, one paragraph a line)."""
    from striprtf.striprtf import rtf_to_text

    raw = data.decode("latin-1")  # RTF is 7-bit; \\'xx escapes carry the code page
    if not raw.lstrip().startswith("{\\rtf"):
        raise InputError.one(path, "not a Rich Text file (it does not start with '{\\rtf')",
                             "open it in Word and save it as .docx")
    try:
        text = rtf_to_text(raw, errors="replace")
    except Exception as exc:  # striprtf raises plain exceptions on broken files
        raise InputError.one(path, f"not a readable Rich Text file ({type(exc).__name__})",
                             "open it in Word and save it as .docx") from None
    reading = _reading_of_lines(text, labels, "rtf", [])
    return reading


def read_odt(path: Path, data: bytes, labels: SpeakerLabels) -> Reading:
    """OpenDocument text through odfpy: paragraphs and headings in order."""
    from odf import teletype
    from odf import text as odftext
    from odf.opendocument import load

    from helpers.safezip import office_zip_problem

    bomb = office_zip_problem(data)
    if bomb:
        raise InputError.one(path, f"not a readable OpenDocument file: {bomb}",
                             "open it in LibreOffice or Word and save it again as .docx")
    try:
        document = load(io.BytesIO(data))
    except Exception as exc:  # odfpy raises zip, XML and key errors alike
        raise InputError.one(path, f"not a readable OpenDocument file ({type(exc).__name__})",
                             "open it in LibreOffice or Word and save it again as .docx") from None
    paragraphs = [teletype.extractText(p) for p in document.getElementsByType(odftext.P)
                  + document.getElementsByType(odftext.H)]
    # document order: odfpy lists P before H, so sort by position in the tree
    order = {id(e): i for i, e in enumerate(_odf_walk(document.text))}
    nodes = sorted(document.getElementsByType(odftext.P) + document.getElementsByType(odftext.H),
                   key=lambda e: order.get(id(e), 0))
    paragraphs = [teletype.extractText(p) for p in nodes]
    return _reading_of_lines("\n".join(paragraphs), labels, None, [])


def _odf_walk(node):
    yield node
    for child in node.childNodes:
        yield from _odf_walk(child)


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
