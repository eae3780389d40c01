"""Codings in: coding sheets, Word coding tables, quote banks, REFI-QDA and
Taguette (through a hook), and the codebook (DESIGN §2–3).

Sources are the study.yml ``codings:`` entries, in order; a folder means every
file in it, sorted by name. By file type:

- ``.csv`` / ``.xlsx``: coding sheets. Every sheet that has a code column, a
  participant or document column, and a turn or quote column is read; other
  sheets are skipped with a note in ``import_sources``. Headers are matched
  case-insensitively (see the synonym sets below). A row is coded **by turn**
  (a turn number or range "12-14": the coding spans those whole turns) or **by
  quote** (the quote is found in the document's clean text, see
  ``helpers.ingest.quotes``; a turn given as well is the hint for a quote found twice).
- ``.docx``: Word coding tables (a speaker column, an utterance column and code
  columns). The document is the file's stem with a trailing ``_coding_table``,
  ``_coding`` or `` coding table`` removed (case-insensitive; space, ``_`` or
  ``-`` as separators), so ``P09_coding_table.docx`` codes document ``P09``. When
  that document has no transcript the table *is* the document: its rows are the
  turns (a row with no speaker continues the previous turn) and each coded row
  becomes a coding spanning its turn (``match='table'``); otherwise each coded
  row's utterance is found in the transcript like a quote.
- a coding sheet with a quote column and no turn column, whose participants or
  documents have no transcript, is a **quote bank**: one pseudo-document per
  participant (or per document/group value), one turn per distinct quote; each
  row's codes span its quote's turn (``match='turn'``).
- ``.qdc`` (REFI-QDA codebook), ``.qdpx`` (REFI-QDA project), ``.sqlite3`` /
  ``.taguette`` (Taguette): read through ``_import_external`` into
  ``ExternalCodings``; their quotes are aligned with ``hint_offset``.

Counting rules of the output: one codings row per application of a code (a
cell with "a; b" is two rows); a coding's ``participant_id`` is the participant
of the turn where it starts; ``seg_first``/``seg_last`` are the turns its span
touches. Exact duplicates (same document, code, level, coder, start and end)
are kept, and all but the first flagged ``duplicate=True``.

Parents come from the codebook; a code without one there takes as parent the
code of the next level up that every one of its rows (sheet row, table turn)
carries, when that is always exactly one and the same code; otherwise it has
no parent and a warning says why.
"""
from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import tables
from helpers.errors import InputError, ProblemList
from helpers.hierarchy import level_rank, normalise_level
from helpers.ingest.cleaning import normalise
from helpers.ingest.codebook import (
    depth_warnings,
    empty_codebook,
    near_duplicate_warnings,
    near_duplicates,
    read_codebook,
)
from helpers.ingest.config import CodingSource
from helpers.ingest.quotes import closest_passage, find_quote, index_document, miss_note
from helpers.ingest.transcripts import RawDocument, SpeakerLabels, Turn, sha256_file
from helpers.interop import RECORD_COLUMNS, ExternalCodings  # noqa: F401  (ExternalCodings: re-exported, where it was)

SHEET_SUFFIXES = {".csv", ".xlsx", ".xlsm"}
EXTERNAL_READERS = {  # suffix -> (module, function) returning ExternalCodings
    ".qdpx": ("helpers.interop.refi", "read_qdpx"),
    ".qde": ("helpers.interop.refi", "read_qdpx"),
    ".db": ("helpers.interop.taguette", "read_taguette"),
    ".sqlite3": ("helpers.interop.taguette", "read_taguette"),
    ".sqlite": ("helpers.interop.taguette", "read_taguette"),
    ".taguette": ("helpers.interop.taguette", "read_taguette"),
    # Taguette highlight, MAXQDA coded-segment and ATLAS.ti quotation exports; source_kind
    # sends only those here, other .csv/.xlsx files are coding sheets
    ".csv": ("helpers.interop.qdasheets", "read_table_export"),
    ".xlsx": ("helpers.interop.qdasheets", "read_table_export"),
    ".xlsm": ("helpers.interop.qdasheets", "read_table_export"),
}

# Header synonyms, compared lower-cased with spaces, '-' and '_' as '_'.
CASE_HEADERS = {"participant", "participant_id", "participants", "pseudonym", "case", "group", "respondent",
                "interviewee", "name", "pid"}
DOC_HEADERS = {"document", "doc", "doc_id", "document_id", "transcript", "file", "filename", "file_name", "interview"}
TURN_HEADERS = {"seg_no", "turn", "turns", "turn_no", "line", "lines", "line_no", "paragraph", "para"}
TEXT_HEADERS = {"quote", "quotes", "quotation", "extract", "excerpt", "text", "segment", "content", "utterance"}
CODER_HEADERS = {"coder", "coded_by", "rater", "analyst"}
MEMO_HEADERS = {"memo", "memos", "note", "notes", "comment", "comments"}
PLAIN_CODE_HEADERS = {"code", "codes", "tag", "tags", "node", "nodes", "coding", "codings"}
SPEAKER_HEADERS = {"speaker", "speakers", "who", "speaker_role", "role"}
UTTERANCE_HEADERS = {"transcript", "text", "utterance", "data", "speech", "quote", "extract"}
_DOCX_SUFFIX_RE = re.compile(r"[ _-]*coding(?:[ _-]*table)?$", re.IGNORECASE)
_TURN_RE = re.compile(r"^\s*(\d+)(?:\.0+)?\s*(?:(?:-|–|—|to)\s*(\d+)(?:\.0+)?)?\s*$", re.IGNORECASE)
_CODE_SPLIT_RE = re.compile(r"[;|\n\r]+")


@dataclass
class CodingImport:
    codings: pd.DataFrame
    codebook: pd.DataFrame
    participants: pd.DataFrame | None = None
    report_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


# -- small helpers --------------------------------------------------------------------

def _text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return normalise(str(value))


def _header_key(header) -> str:
    return re.sub(r"[\s_\-]+", "_", str(header).strip().lower()).strip("_")


def split_codes(cell, separator: str | None = None) -> list[str]:
    """Codes in one cell: separated by ';', '|' or line breaks, and by
    ``separator`` too when the codings entry gives one (``code_separator: ","``:
    a comma may belong to a code's name, so it splits only when asked); blanks dropped."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return []
    parts = _CODE_SPLIT_RE.split(str(cell))
    if separator:
        parts = [piece for part in parts for piece in str(part).split(separator)]
    return [c for c in (normalise(part) for part in parts) if c]


def parse_turns(value: str) -> tuple[int, int] | None:
    """'12' -> (12, 12); '12-14' -> (12, 14); anything else None."""
    m = _TURN_RE.match(value)
    if not m:
        return None
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) else first
    return (first, last) if last >= first else None


_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                        "nov", "dec"], start=1)}
_DATE_FORMS = [
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T]00:00(?::00)?)?$"),       # 2026-12-14 (xlsx cell)
    re.compile(r"^(?P<d>\d{1,2})[-/ .](?P<mon>[a-z]{3})[a-z]*(?:[-/ .]\d{2,4})?$", re.IGNORECASE),  # 14-Dec
    re.compile(r"^(?P<mon>[a-z]{3})[a-z]*[-/ .](?P<d>\d{1,2})(?:[-/ .]\d{2,4})?$", re.IGNORECASE),  # Dec-14
    re.compile(r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/\d{2,4}$"),                                    # 12/14/2026
]


def excel_date_range(value: str) -> str | None:
    """"12-14" as Excel may have turned it into a date ('14-Dec', '2026-12-14',
    '12/14/2026'): the range it probably was, smaller number first; None
    when ``value`` is not such a date."""
    value = value.strip()
    for form in _DATE_FORMS:
        m = form.match(value)
        if not m:
            continue
        groups = m.groupdict()
        if "a" in groups:
            first, second = int(groups["a"]), int(groups["b"])
        else:
            month = _MONTHS.get(groups["mon"][:3].lower()) if groups.get("mon") else int(groups["m"])
            if month is None:
                continue
            first, second = month, int(groups["d"])
        low, high = sorted((first, second))
        return f"{low}-{high}"
    return None


def docx_doc_id(path: Path) -> str:
    """'P09_coding_table.docx' -> 'P09' (see the module docstring)."""
    stem = _DOCX_SUFFIX_RE.sub("", Path(path).stem)
    return stem or Path(path).stem


def source_name(path: Path, root: Path, part: str = "") -> str:
    try:
        name = Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        name = Path(path).name
    return f"{name}#{part}" if part else name


def _where(sheet: str, row: int) -> str:
    return f"{sheet} row {row}" if sheet else f"row {row}"


def source_files(config) -> list[tuple[CodingSource, Path]]:
    """(entry, file) for every coding file, in config order; a folder's files sorted."""
    out = []
    for entry in config.codings:
        if entry.path.is_dir():
            files = sorted(p for p in entry.path.iterdir()
                           if p.is_file() and not p.name.startswith((".", "~$")))
        else:
            files = [entry.path]
        out += [(entry, f) for f in files]
    return out


def source_kind(path: Path) -> str:
    """'sheet', 'word', 'qdc', 'external' (REFI-QDA, Taguette) or 'other'."""
    suffix = Path(path).suffix.lower()
    if suffix in SHEET_SUFFIXES:
        if _interop_check("taguette", "is_taguette_codebook", path):
            return "qdc"   # a codebook export of Taguette, read like a REFI-QDA codebook
        return "external" if _is_taguette_sheet(path) or _is_qda_sheet(path) else "sheet"
    if suffix == ".docx":
        return "word"
    if suffix == ".qdc":
        return "qdc"
    return "external" if suffix in EXTERNAL_READERS else "other"


def _is_taguette_sheet(path: Path) -> bool:
    """A Taguette highlights export (.csv/.xlsx), when the Taguette reader is installed."""
    try:
        taguette = importlib.import_module("helpers.interop.taguette")
    except ImportError:
        return False
    check = getattr(taguette, "is_taguette_export", None)
    return bool(check and check(path))


def _interop_check(module: str, function: str, path: Path) -> bool:
    try:
        check = getattr(importlib.import_module(f"helpers.interop.{module}"), function, None)
    except ImportError:
        return False
    return bool(check and check(path))


def _is_qda_sheet(path: Path) -> bool:
    """A MAXQDA coded-segments or ATLAS.ti quotation export (helpers.interop.qdasheets)."""
    try:
        qdasheets = importlib.import_module("helpers.interop.qdasheets")
    except ImportError:
        return False
    return bool(qdasheets.is_qda_export(path))


_READ_CACHE: dict[tuple, object] = {}


def _cached(path: Path, kind: str, reader):
    stat = Path(path).stat()
    key = (str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size, kind)
    if key not in _READ_CACHE:
        if len(_READ_CACHE) > 128:
            _READ_CACHE.clear()
        _READ_CACHE[key] = reader(path)
    return _READ_CACHE[key]


# -- coding sheets ---------------------------------------------------------------------

@dataclass
class SheetColumns:
    case: str | None = None
    case_is_group: bool = False
    doc: str | None = None
    turn: str | None = None
    text: str | None = None
    coder: str | None = None
    memo: str | None = None
    codes: list[tuple[str, str]] = field(default_factory=list)   # (header, level)

    def missing(self) -> list[str]:
        out = []
        if not self.codes:
            out.append("code column")
        if not (self.case or self.doc):
            out.append("participant or document column")
        if not (self.turn or self.text):
            out.append("turn or quote column")
        return out


_NUMBERED_RE = re.compile(r"[\s_\-]*(?:#|no\.?|nr\.?)?\s*\(?\d+\)?$", re.IGNORECASE)


def code_column_level(header: str) -> str | None:
    """The level a code column names, '' when unnamed; None when not a code
    column. Numbered columns ("Code 1", "Code 2", "Theme #2") are several codes
    at one level: the number is not part of the level."""
    header = _NUMBERED_RE.sub("", str(header)) or str(header)
    key = _header_key(header)
    if key in PLAIN_CODE_HEADERS:
        return ""
    low = str(header).lower()
    # Only short headers: a long cell mentioning "theme" is text, not a header.
    if len(low.split()) <= 4 and ("code" in low or "coding" in low or "theme" in low):
        return normalise_level(header)
    return None


def sheet_columns(headers) -> SheetColumns:
    cols = SheetColumns()
    for header in headers:
        key = _header_key(header)
        for name, names in [("coder", CODER_HEADERS), ("memo", MEMO_HEADERS), ("case", CASE_HEADERS),
                            ("doc", DOC_HEADERS), ("turn", TURN_HEADERS), ("text", TEXT_HEADERS)]:
            if key in names:
                if getattr(cols, name) is None:
                    setattr(cols, name, header)
                    if name == "case":
                        cols.case_is_group = key == "group"
                break
        else:
            level = code_column_level(header)
            if level is not None:
                cols.codes.append((header, level))
    return cols


@dataclass
class SheetRow:
    """One data row of a coding sheet, redacted."""
    source: str
    path: Path
    sheet: str
    row: int
    case: str
    doc: str
    turn: str
    quote: str
    codes: list[tuple[str, str]]   # (code, level)
    coder: str
    memo: str
    has_turn_column: bool
    case_is_group: bool
    quote_bank: bool = False   # its codings entry says kind: quote_bank

    @property
    def where(self) -> str:
        return _where(self.sheet, self.row)


@dataclass
class SheetInfo:
    source: str
    path: Path
    rows: list[SheetRow]
    note: str = ""
    read_as: str = ""   # encoding, separator, merged cells filled


HIDDEN_NOTE = "skipped: {state} sheet"
_STATE_WORDS = {"veryHidden": "very hidden"}


def read_sheets(entry: CodingSource, path: Path, config, redact) -> list[SheetInfo]:
    """Every sheet of a coding-sheet file: its usable rows, or a note why it was skipped."""
    from helpers.ingest.sheets import read_table

    out = []
    encoding = getattr(entry, "encoding", None)
    separator = getattr(entry, "code_separator", None)
    sheets = _cached(path, f"table-{encoding}", lambda p: read_table(p, encoding))
    for sheet, state in sheets.hidden:  # an old draft hidden in Excel is not a coding source
        out.append(SheetInfo(source_name(path, config.root, sheet), path, [], HIDDEN_NOTE.format(state=_STATE_WORDS.get(state, state))))
    for sheet, frame in sheets.items():
        name = source_name(path, config.root, sheet)
        read_as = _read_as(frame)
        cols = sheet_columns(frame.columns)
        missing = cols.missing()
        if missing:
            out.append(SheetInfo(name, path, [], f"skipped: no {', no '.join(missing)}", read_as))
            continue
        default_coder = entry.coder or Path(path).stem
        entry_level = normalise_level(entry.level) if entry.level else ""
        rows = []
        empty = ProblemList()
        for index, record in zip(frame.index, frame.to_dict("records")):
            if all(_text(v) == "" for v in record.values()):
                continue
            if _empty_id(record, cols, path, _where(sheet, int(index) + 2), empty):
                continue
            codes = []
            for header, level in cols.codes:
                for code in split_codes(record.get(header), separator):
                    codes.append((redact(code), level or entry_level))
            rows.append(SheetRow(
                source=name, path=path, sheet=sheet, row=int(index) + 2,
                case=redact(_text(record.get(cols.case))) if cols.case else "",
                doc=redact(_text(record.get(cols.doc))) if cols.doc else "",
                turn=_text(record.get(cols.turn)) if cols.turn else "",
                quote=_text(record.get(cols.text)) if cols.text else "",
                codes=codes,
                coder=redact(_text(record.get(cols.coder))) if cols.coder else "",
                memo=redact(_text(record.get(cols.memo))) if cols.memo else "",
                has_turn_column=cols.turn is not None, case_is_group=cols.case_is_group,
                quote_bank=getattr(entry, "kind", None) == "quote_bank"))
            if not rows[-1].coder:
                rows[-1].coder = default_coder
        empty.raise_if_any()
        out.append(SheetInfo(name, path, rows, read_as=read_as))
    return out


def _empty_id(record: dict, cols: SheetColumns, path: Path, where: str, problems: ProblemList) -> bool:
    """A data row whose participant (or document, or group) cell is empty: one problem naming the row.

    Merged cells in Excel keep their value only in the first row, and "same as above" habits
    leave the cell blank; guessing the row above would be a silent re-interpretation.
    """
    if (cols.doc and _text(record.get(cols.doc))) or (cols.case and _text(record.get(cols.case))):
        return False
    kind = "document" if not cols.case else ("group" if cols.case_is_group else "participant")
    problems.add(path, f"empty {kind}", f"fill in the {kind} (cells merged in Excel keep the value only in "
                 "their first row)", where)
    return True


def _read_as(frame: pd.DataFrame) -> str:
    """How a sheet was read, for the import report: "cp1252, semicolon-separated"."""
    attrs = getattr(frame, "attrs", {}) or {}
    parts = []
    if attrs.get("encoding"):
        parts.append(str(attrs["encoding"]))
    if attrs.get("delimiter"):
        parts.append(f"{attrs['delimiter']}-separated")
    parts += list(attrs.get("notes") or [])
    return ", ".join(parts)


# -- Word coding tables -------------------------------------------------------------------

@dataclass
class TableTurn:
    """One turn of a Word coding table (a row plus its continuation rows)."""
    source: str
    table: int
    row: int
    speaker: str
    text: str
    codes: list[tuple[str, str, int]] = field(default_factory=list)  # (code, level, row)
    coder: str = ""
    memo: str = ""
    n_rows: int = 1

    @property
    def where(self) -> str:
        return f"table{self.table} row {self.row}"


def _docx_tables(path: Path) -> list[tuple[list[list[str]], list[tuple[int, str]]]]:
    """Each table of a Word coding table: its rows (one text per grid column;
    a cell merged across columns repeats, as python-docx gives it, so columns
    stay aligned) without its section-heading rows, and those heading rows
    as (row number, text). A heading row is one cell merged across the whole
    width ("Part 1: Getting referred"): it is neither a speaker nor a code.
    Cell text is read as Word shows it (content controls, fields, tracked
    insertions; see ``transcripts.docx_paragraph_text``)."""
    from helpers.ingest.transcripts import W, docx_paragraph_text, open_docx

    document = open_docx(path)
    out = []
    for table in document.tables:
        rows, headings = [], []
        for number, row in enumerate(table.rows, start=1):
            cells = row.cells
            texts = ["\n".join(docx_paragraph_text(p) for p in cell._tc.iter(W + "p")) for cell in cells]
            if len(cells) > 1 and len({id(c._tc) for c in cells}) == 1 and number > 1:
                headings.append((number, normalise(texts[0])))
                rows.append([""] * len(cells))  # keeps row numbers; an empty row is skipped
                continue
            rows.append(texts)
        out.append((rows, headings))
    return out


def _is_label(value: str, labels: SpeakerLabels) -> bool:
    value = value.strip().rstrip(":").strip()
    return bool(value) and len(value) <= 25 and (
        labels.role_of(value) != "other" or labels.canonical_participant(value) is not None)


def _speaker_header(header: str, labels: SpeakerLabels) -> bool:
    key = _header_key(header)
    if key in SPEAKER_HEADERS or "speaker" in key:
        return True
    # 'I / P' or 'I(nterviewer) / P(articipant)': the header lists speaker labels.
    parts = [p.strip() for p in re.sub(r"\([^)]*\)", "", header).split("/")]
    return len(parts) >= 2 and all(_is_label(p, labels) for p in parts)


@dataclass
class TableColumns:
    speaker: int | None = None
    utterance: int | None = None
    codes: list[tuple[int, str]] = field(default_factory=list)  # (column, level)
    coder: int | None = None
    memo: int | None = None
    header: list[str] | None = None


def table_columns(rows: list[list[str]], labels: SpeakerLabels, entry_level: str) -> TableColumns:
    """Columns by header; failing a header, inferred from the cells."""
    cols = TableColumns()
    if not rows:
        return cols
    first = [normalise(c) for c in rows[0]]
    width = max(len(r) for r in rows)
    for i, header in enumerate(first):
        key = _header_key(header)
        if not header:
            continue
        if cols.speaker is None and _speaker_header(header, labels):
            cols.speaker = i
        elif cols.utterance is None and key in UTTERANCE_HEADERS:
            cols.utterance = i
        elif key in CODER_HEADERS:
            cols.coder = i
        elif key in MEMO_HEADERS:
            cols.memo = i
        else:
            level = code_column_level(header)
            if level is not None:
                cols.codes.append((i, level or entry_level))
    has_header = cols.speaker is not None or cols.utterance is not None or bool(cols.codes)
    if has_header:
        cols.header = first
    body = rows[1:] if has_header else rows
    cells = [[normalise(r[i]) if i < len(r) else "" for r in body] for i in range(width)]
    taken = {cols.speaker, cols.utterance, cols.coder, cols.memo} | {c for c, _ in cols.codes}
    if cols.speaker is None:
        for i in range(width):
            filled = [c for c in cells[i] if c]
            if i not in taken and filled and sum(_is_label(c, labels) for c in filled) >= 0.8 * len(filled):
                cols.speaker = i
                taken.add(i)
                break
    if cols.utterance is None:
        lengths = [(sum(len(c) for c in cells[i]), -i) for i in range(width) if i not in taken]
        if lengths:
            cols.utterance = -max(lengths)[1]
            taken.add(cols.utterance)
    if not has_header:
        cols.codes = [(i, entry_level) for i in range(width) if i not in taken and any(cells[i])]
    return cols


def read_word_table_turns(entry: CodingSource, path: Path, config, labels: SpeakerLabels, redact
                          ) -> tuple[list[TableTurn], list[str], int]:
    """Turns of every usable table in a .docx, notes about skipped tables, rows read."""
    turns: list[TableTurn] = []
    notes: list[str] = []
    rows_read = 0
    entry_level = normalise_level(entry.level) if entry.level else ""
    default_coder = entry.coder or Path(path).stem
    for number, (rows, headings) in enumerate(_cached(path, "docx", _docx_tables), start=1):
        name = source_name(path, config.root, f"table{number}")
        if headings:
            shown = ", ".join(f"row {r}" for r, _ in headings)
            notes.append(f"{name}: {len(headings)} section-heading row(s) merged across the table skipped "
                         f"({shown}): not turns, speakers or codes")
        cols = table_columns(rows, labels, entry_level)
        if cols.speaker is None or cols.utterance is None or not cols.codes:
            notes.append(f"{name}: skipped: no speaker, utterance and code columns")
            continue
        header_key = [normalise(c).lower() for c in cols.header] if cols.header else None
        current: TableTurn | None = None
        for row_no, cells in enumerate(rows, start=1):
            if cols.header is not None and row_no == 1:
                continue
            cells = [normalise(c) for c in cells] + [""] * 8
            if header_key is not None and [c.lower() for c in cells[:len(header_key)]] == header_key:
                continue  # header repeated on a later page
            if not any(cells):
                continue
            rows_read += 1
            speaker = redact(cells[cols.speaker].rstrip(":").strip())
            text = cells[cols.utterance]
            if speaker or current is None:
                current = TableTurn(name, number, row_no, speaker, text,
                                    coder=redact(cells[cols.coder]) if cols.coder is not None else "",
                                    memo=redact(cells[cols.memo]) if cols.memo is not None else "")
                current.coder = current.coder or default_coder
                turns.append(current)
            else:
                current.n_rows += 1
                current.text = f"{current.text} {text}".strip()
            for col, level in cols.codes:
                raw = rows[row_no - 1][col] if col < len(rows[row_no - 1]) else ""
                current.codes += [(redact(code), level, row_no) for code in split_codes(raw)]
    return turns, notes, rows_read


def coding_table_document(doc_id: str, path: Path, turns: list[TableTurn], labels: SpeakerLabels) -> RawDocument:
    raw_turns = [Turn(speaker=t.speaker, text=t.text, line=t.row,
                      role=labels.role_of(t.speaker) if t.speaker else "other",
                      participant_id=labels.canonical_participant(t.speaker) if t.speaker else None)
                 for t in turns]
    return RawDocument(doc_id=doc_id, source_file=Path(path), format="docx", kind="coding_table",
                       turns=raw_turns, sha256=sha256_file(path))


# -- external readers (REFI-QDA, Taguette) --------------------------------------------------

def _import_external(path: Path, config=None, labels=None, redact=None) -> ExternalCodings:
    """Read a .qdpx / Taguette file with its interop module, imported only now.

    The reader is called as ``reader(path, **kwargs)`` with whichever of
    ``config``, ``labels``, ``redact`` it accepts, and must return ExternalCodings.
    """
    suffix = Path(path).suffix.lower()
    module_name, function = EXTERNAL_READERS.get(suffix, (None, None))
    reader = None
    if module_name:
        try:
            reader = getattr(importlib.import_module(module_name), function, None)
        except ImportError:
            reader = None
    if reader is None:
        raise InputError.one(path, f"unsupported file: {suffix} codings cannot be read by this version",
                             "export the coding as a coding sheet (.xlsx/.csv) or remove the file from codings")
    kwargs = {"config": config, "labels": labels, "redact": redact}
    accepted = inspect.signature(reader).parameters
    if not any(p.kind == p.VAR_KEYWORD for p in accepted.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in accepted}
    result = _cached(path, f"external-{id(redact)}", lambda p: reader(p, **kwargs))
    if not isinstance(result, ExternalCodings):
        raise TypeError(f"{module_name}.{function} returned {type(result).__name__}, not ExternalCodings")
    return result


def _import_qdc(path: Path) -> pd.DataFrame:
    module, function = (("refi", "read_qdc") if Path(path).suffix.lower() == ".qdc"
                        else ("taguette", "read_taguette_codebook"))
    try:
        reader = getattr(importlib.import_module(f"helpers.interop.{module}"), function)
    except (ImportError, AttributeError):
        raise InputError.one(path, "unsupported file: .qdc codebooks cannot be read by this version",
                             "give the codebook as codebook.csv instead") from None
    return _cached(path, "qdc", reader)


# -- stand-in documents -------------------------------------------------------------------

def _participant_lookup(participants: pd.DataFrame | None) -> dict[str, str]:
    """Lower-cased participant id or pseudonym -> participant_id."""
    out: dict[str, str] = {}
    if participants is None or not len(participants):
        return out
    pseudo = [c for c in participants.columns if str(c).strip().lower() == "pseudonym"]
    if pseudo:
        for pid, name in zip(participants["participant_id"], participants[pseudo[0]]):
            if _text(name):
                out.setdefault(_text(name).lower(), str(pid))
    for pid in participants["participant_id"]:
        out[str(pid).lower()] = str(pid)
    return out


def _transcript_speakers(config, labels: SpeakerLabels) -> set[str]:
    """Participants who speak in any transcript (focus groups): read only when needed."""
    from helpers.ingest.transcripts import read_transcript, transcript_files

    out: set[str] = set()
    for path in transcript_files(config.transcripts):
        try:
            doc = _cached(path, "transcript", lambda p: read_transcript(p, labels))
        except InputError:
            continue  # reported by the transcript reader itself
        out |= {labels.canonical_participant(t.speaker) for t in doc.turns if t.speaker} - {None}
    return out


def quote_bank_key(quote: str) -> str:
    return " ".join(quote.split())


def stand_in_documents(config, transcript_ids, participant_ids, labels: SpeakerLabels, redact) -> list[RawDocument]:
    """Documents made from codings because no transcript exists for them:
    Word coding tables, quote banks, and REFI-QDA/Taguette sources."""
    from helpers.ingest.participants import load_participants

    taken = {str(d).lower() for d in transcript_ids}
    out: list[RawDocument] = []
    bank_rows: list[SheetRow] = []
    for entry, path in source_files(config):
        kind = source_kind(path)
        if kind == "word":
            doc_id = redact(docx_doc_id(path))
            if doc_id.lower() in taken:
                continue
            turns, _, _ = read_word_table_turns(entry, path, config, labels, redact)
            if turns:
                out.append(coding_table_document(doc_id, path, turns, labels))
                taken.add(doc_id.lower())
        elif kind == "sheet":
            try:
                infos = read_sheets(entry, path, config, redact)
            except InputError:
                continue  # reported by import_codings
            for info in infos:
                bank_rows += [r for r in info.rows if r.quote and not r.has_turn_column]
        elif kind == "external":
            try:
                external = _import_external(path, config, labels, redact)
            except InputError:
                continue  # reported by import_codings
            for doc in external.documents:
                if doc.doc_id.lower() not in taken:
                    out.append(doc)
                    taken.add(doc.doc_id.lower())
    if bank_rows:
        out += _quote_banks(config, bank_rows, taken, labels, redact, load_participants(config, redact),
                            has_transcripts=bool(transcript_ids))
    return out


def _quote_banks(config, rows: list[SheetRow], taken: set[str], labels, redact, participants,
                 has_transcripts: bool = False) -> list[RawDocument]:
    """One pseudo-document per participant (or document/group value) whose quotes
    have no transcript to be found in; one turn per distinct quote.

    In a study that has transcripts, a row naming a document, group or
    participant that has no transcript makes no pseudo-document unless its codings
    entry says ``kind: quote_bank``: it is a typo, an id written differently (``P1``
    for P01) or a transcript whose file name carries more than the id, which the
    import matches by normalising or reports with the closest ids (issue 13, point 5).
    (A participant listed in participants.csv is no exception: that made a quote bank
    of a real interview's codings while its transcript stayed uncoded.)"""
    lookup = _participant_lookup(participants)
    own_transcript = set()
    if "doc_id" in participants.columns:  # participants.csv maps documents to participants
        own_transcript = {str(p) for p, d in zip(participants["participant_id"], participants["doc_id"])
                          if _text(d).lower() in taken}
    speakers: set[str] | None = None
    banks: dict[str, RawDocument] = {}
    seen: dict[str, set[str]] = {}
    for row in rows:
        pid = None if row.case_is_group or not row.case else lookup.get(row.case.lower(), row.case)
        if has_transcripts and not row.quote_bank:
            named = row.doc or (row.case if row.case_is_group else None)
            if named is not None and named.lower() not in taken:
                continue
            if named is None:
                # a participant without a transcript of their own (participants.csv may list
                # them, or a file name such as P02_followup.txt gave the transcript another id)
                # is reported by the import with the closest ids, not made a quote bank unsaid
                continue
        if row.doc:
            doc_id = row.doc
        elif row.case_is_group:
            doc_id = row.case
        else:
            doc_id = pid
            if pid in own_transcript:
                continue
            if pid.lower() not in taken and pid in lookup.values():
                speakers = _transcript_speakers(config, labels) if speakers is None else speakers
                if pid in speakers:
                    continue  # speaks in a focus-group transcript
        if not doc_id or (doc_id.lower() in taken and doc_id not in banks):
            continue
        bank = banks.get(doc_id)
        if bank is None:
            bank = banks[doc_id] = RawDocument(doc_id=doc_id, source_file=row.path, format="quote-bank",
                                               kind="quote_bank", turns=[], sha256=sha256_file(row.path),
                                               participant_id=pid)
            seen[doc_id] = set()
        elif bank.participant_id != pid:
            bank.participant_id = None  # several participants in one pseudo-document
        key = quote_bank_key(row.quote)
        if key not in seen[doc_id]:
            seen[doc_id].add(key)
            bank.turns.append(Turn(speaker=pid or "", text=row.quote, line=row.row, role="participant",
                                   participant_id=pid))
    return list(banks.values())


# -- import ----------------------------------------------------------------------------------

@dataclass
class _Context:
    config: object
    docs: dict
    redact: object
    labels: SpeakerLabels
    lookup: dict[str, str]
    doc_by_lower: dict[str, str]
    own_docs: dict[str, list[str]]
    spoken_docs: dict[str, list[str]]
    problems: ProblemList = field(default_factory=ProblemList)
    warnings: list[str] = field(default_factory=list)
    applications: list[dict] = field(default_factory=list)
    fuzzy: list[dict] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    matched_ids: dict = field(default_factory=dict)   # (file, written, id) -> rows matched by normalising

    def stats(self, source: str, path: Path, note: str = "") -> dict:
        row = {"source": source, "file": source.split("#")[0], "rows_read": 0, "codings": 0, "quotes_exact": 0,
               "quotes_elided": 0, "quotes_fuzzy": 0, "quotes_unmatched": 0, "warnings": 0, "note": note}
        self.sources.append(row)
        return row

    def warn(self, stats: dict, text: str) -> None:
        stats["warnings"] += 1
        self.warnings.append(text)

    def quietly(self, work):
        """Run ``work()`` without adding to the redaction counts (a second cleaning of a text
        that is already counted, or a look-up): redactions_summary counts each replacement once."""
        counts = getattr(self.redact, "counts", None)
        saved = dict(counts) if counts is not None else None
        try:
            return work()
        finally:
            if saved is not None:
                counts.clear()
                counts.update(saved)

    def quiet(self, text) -> str:
        """``text`` redacted, not counted."""
        return self.quietly(lambda: self.redact(_text(text)))


def _build_context(config, docs, participants, labels, redact) -> _Context:
    own: dict[str, list[str]] = {}
    spoken: dict[str, list[str]] = {}
    for doc_id, doc in docs.items():
        if doc.participant_id:
            own.setdefault(str(doc.participant_id), []).append(doc_id)
        for pid in pd.unique(doc.segments["participant_id"].dropna().astype(str)):
            spoken.setdefault(pid, []).append(doc_id)
    lookup = _participant_lookup(participants)
    return _Context(config=config, docs=docs, redact=redact, labels=labels, lookup=lookup,
                    doc_by_lower={d.lower(): d for d in docs}, own_docs=own, spoken_docs=spoken)


def import_codings(config, docs, participants: pd.DataFrame, labels: SpeakerLabels, redact) -> CodingImport:
    """Every coding source of the study -> codings, codebook and report tables.

    All problems are collected and raised together as one InputError.
    """
    ctx = _build_context(config, docs, participants, labels, redact)
    book_problems = ProblemList()
    book = read_codebook(config.codebook, redact, config.levels, book_problems,
                         source_name(config.codebook, config.root) if config.codebook else None, ctx.warnings)
    ctx.problems.extend(book_problems)
    extra_books: list[pd.DataFrame] = []
    new_participants: list[pd.DataFrame] = []
    for entry, path in source_files(config):
        suffix, kind = path.suffix.lower(), source_kind(path)
        try:
            if kind == "sheet":
                infos = read_sheets(entry, path, config, redact)
                for info in infos:
                    _import_sheet(ctx, entry, info)
                if all(info.note for info in infos) and entry.path.resolve() == path.resolve():
                    # named in study.yml as a coding source: importing nothing from it is an error
                    missing = "; ".join(f"{info.source.split('#', 1)[-1] + ': ' if '#' in info.source else ''}"
                                        f"{info.note.removeprefix('skipped: ')}" for info in infos)
                    ctx.problems.add(path, f"not a coding sheet ({missing or 'no sheets'})",
                                     "head its columns participant (or document), turn (or quote) and code, "
                                     "or remove it from 'codings:' in study.yml")
                elif all(info.note for info in infos):
                    ctx.warn(ctx.sources[-1], f"{source_name(path, config.root)}: no sheet has a code column, a "
                             "participant or document column and a turn or quote column — nothing imported")
            elif kind == "word":
                _import_word(ctx, entry, path)
            elif kind == "qdc":
                frame = _import_qdc(path)
                extra_books.append(frame.assign(source=source_name(path, config.root)))
                ctx.stats(source_name(path, config.root), path, "codebook")
            elif kind == "external":
                external = _import_external(path, config, labels, redact)
                _import_records(ctx, entry, path, external)
                extra_books.append(external.codebook.assign(source=source_name(path, config.root)))
                if external.participants is not None:
                    new_participants.append(external.participants)
            else:
                stats = ctx.stats(source_name(path, config.root), path, f"skipped: {suffix or 'no'} files are not coding sources")
                ctx.warn(stats, f"{source_name(path, config.root)}: skipped: not a coding sheet (.csv .xlsx), Word "
                                "coding table (.docx), REFI-QDA (.qdpx .qdc) or Taguette file")
        except InputError as exc:
            ctx.problems.extend(exc)
    ctx.problems.raise_if_any()
    ctx.warnings += _matched_id_warnings(ctx)
    ctx.warnings += _merge_spellings(ctx, book)
    ctx.warnings += _comma_list_warnings(ctx, book)

    codings = _codings_frame(ctx)
    book = _merge_codebooks(book, extra_books, redact)
    book, added, parent_warnings = complete_codebook(book, codings, config.levels)
    ctx.warnings += parent_warnings
    codings = codings.drop(columns="_group")
    if len(added):
        names = ", ".join(f"'{c}'" for c in added["code"][:10]) + (", …" if len(added) > 10 else "")
        where = ("are not in the codebook" if config.codebook is not None and config.codebook.is_file()
                 else "have no codebook entry (the study has no codebook)")
        ctx.warnings.append(f"{len(added)} code(s) used in the codings {where}, added from the codings "
                            f"(listed in tables/codebook_added.csv): {names}")
    counts = codings.groupby(["code", "level"]).size() if len(codings) else None
    dups = near_duplicates(book, counts)
    ctx.warnings += near_duplicate_warnings(dups)
    ctx.warnings += depth_warnings(book, config.levels)
    n_duplicate = int(codings["duplicate"].sum()) if len(codings) else 0
    if n_duplicate:
        ctx.warnings.append(f"{n_duplicate} coding(s) repeat an earlier one exactly (same document, code, level, "
                            f"coder and span): kept and flagged duplicate=True — {_duplicates_named(codings)}")
    report = {
        "import_sources": pd.DataFrame(ctx.sources, columns=["source", "file", "rows_read", "codings", "quotes_exact",
                                                             "quotes_elided", "quotes_fuzzy", "quotes_unmatched",
                                                             "warnings", "note"]),
        "quotes_fuzzy": pd.DataFrame(ctx.fuzzy, columns=["source", "row", "doc_id", "quote", "matched_text", "score"]),
        "quotes_unmatched": pd.DataFrame(ctx.unmatched, columns=["source", "row", "doc_id", "quote", "best_score",
                                                                  "closest_doc", "closest_turn", "threshold", "note"]),
        "codebook_near_duplicates": dups,
        "codebook_added": added,
    }
    # Source labels and default coders come from file and sheet names
    # ("codings/sheet_Mary.xlsx#Mary's notes"), which may hold a redaction term.
    codings = _redact_columns(codings, ["source", "coder"], redact)
    book = _redact_columns(book, ["source"], redact)
    report = {name: _redact_columns(frame, ["source", "file"], redact) for name, frame in report.items()}
    merged = _merge_participants(participants, new_participants, redact) if new_participants else None
    return CodingImport(codings=codings, codebook=book, participants=merged, report_tables=report,
                        warnings=[redact(w) for w in ctx.warnings])


def _matched_id_warnings(ctx: _Context) -> list[str]:
    """One line per file naming the ids matched by normalising."""
    by_file: dict[str, list[str]] = {}
    for (file, written, value), rows in ctx.matched_ids.items():
        by_file.setdefault(file, []).append(f"'{written}' -> {value} ({len(rows)} row{'s' if len(rows) > 1 else ''})")
    return [f"{file}: ids matched by normalising (case, leading zeros, file extension, surrounding words): "
            f"{', '.join(items)} — write the ids as the transcripts name them to silence this"
            for file, items in by_file.items()]


def code_key(code: str) -> str:
    """Codes are one code when they differ only in Unicode form, case,
    apostrophe or dash variants and spaces (the project's text-matching rule)."""
    import unicodedata

    text = unicodedata.normalize("NFC", str(code)).casefold()
    text = re.sub(r"[’‘ʼ`]", "'", text)
    text = re.sub(r"[‐‑‒–—−]", "-", text)
    return " ".join(text.split())


def _merge_spellings(ctx: _Context, book: pd.DataFrame) -> list[str]:
    """Codings whose code differs from another only as ``code_key`` ignores
    take one spelling: the codebook's, else the first met; reported."""
    canonical: dict[str, str] = {}
    for code in (book["code"] if len(book) else []):
        canonical.setdefault(code_key(code), code)
    merged: dict[str, tuple[str, list[str]]] = {}
    for app in ctx.applications:
        first = canonical.setdefault(code_key(app["code"]), app["code"])
        if first != app["code"]:
            entry = merged.setdefault(app["code"], (first, []))
            entry[1].append(f"{app['source']} row {app['source_row']}")
            app["code"] = first
    return [f"code '{spelling}' taken as '{first}' (same code, spelt differently in case, spaces, apostrophes "
            f"or dashes): {', '.join(rows[:5])}{', …' if len(rows) > 5 else ''} — spell it the same to silence this"
            for spelling, (first, rows) in merged.items()]


def _comma_list_warnings(ctx: _Context, book: pd.DataFrame) -> list[str]:
    """A code with commas whose parts include a known code (in the codebook,
    or applied alone elsewhere) looks like a list of codes in one cell: warn,
    naming every such cell of that source, unless the entry splits on commas."""
    known = {code_key(c) for c in (book["code"] if len(book) else [])}
    known |= {code_key(a["code"]) for a in ctx.applications if "," not in a["code"]}
    by_source: dict[str, list[tuple[str, str]]] = {}
    suspicious: set[str] = set()
    for app in ctx.applications:
        if "," not in app["code"]:
            continue
        parts = [code_key(p) for p in app["code"].split(",") if p.strip()]
        if len(parts) < 2 or any(len(p.split()) > 4 for p in parts):
            continue
        file = str(app["source"]).split("#")[0]
        by_source.setdefault(file, []).append((str(app["source_row"]), app["code"]))
        if any(p in known for p in parts):
            suspicious.add(file)
    out = []
    for file in sorted(suspicious):
        cells = list(dict.fromkeys(by_source[file]))
        rows = ", ".join(dict.fromkeys(r for r, _ in cells))
        codes = ", ".join(f"'{c}'" for c in dict.fromkeys(c for _, c in cells))
        out.append(f"{file} row(s) {rows}: cells look like comma-separated lists of codes ({codes}), imported as one "
                   f"code each — if they are lists, add code_separator: \",\" to this codings entry in study.yml")
    return out


def _redact_columns(frame: pd.DataFrame, columns: list[str], redact) -> pd.DataFrame:
    """``frame`` with the text of ``columns`` (those present) redacted."""
    present = [c for c in columns if c in frame.columns]
    if not present or not len(frame):
        return frame
    return frame.assign(**{c: frame[c].map(lambda v: redact(v) if isinstance(v, str) else v) for c in present})


# -- one sheet ----------------------------------------------------------------------

def _resolve_participant(ctx: _Context, row: SheetRow) -> str | None:
    return ctx.lookup.get(row.case.lower()) if row.case else None


def _id_candidates(ctx: _Context, documents_only: bool = False) -> dict[str, tuple[str, str]]:
    """Every id a sheet may name: participant ids, pseudonyms, document ids
    -> ("participant", pid) or ("document", doc_id)."""
    out: dict[str, tuple[str, str]] = {}
    for doc_id in ctx.docs:
        out[doc_id] = ("document", doc_id)
    if documents_only:
        return out
    pids = sorted(set(ctx.lookup.values()))
    for pid in pids:
        out[pid] = ("participant", pid)
    for name, pid in ctx.lookup.items():  # pseudonyms (keys are lower-cased ids and names)
        if name != pid.lower() and not any(name == other.lower() for other in out):
            out[name] = ("participant", pid)
    return out


def _normalised_id(ctx: _Context, row: SheetRow, written: str, documents_only: bool = False) -> tuple[str, str] | None:
    """The participant or document ``written`` names once ids are compared
    normalised (helpers.ids), recorded for the warning; None when none or several."""
    from helpers.ids import IdMatcher

    candidates = _id_candidates(ctx, documents_only)
    hit, how = IdMatcher(candidates).match(written)
    if hit is None:
        return None
    kind, value = candidates[hit]
    key = (source_name(row.path, ctx.config.root), written, value)
    ctx.matched_ids.setdefault(key, []).append(row.where)
    return kind, value


def _unknown_id(ctx: _Context, row: SheetRow, what: str, written: str) -> None:
    from helpers.ids import IdMatcher

    closest = IdMatcher(_id_candidates(ctx, what == "document")).closest(written)
    near = f"closest: {', '.join(closest)}" if closest else "no id is close"
    ctx.problems.add(row.path, f"unknown {what} '{written}': no transcript or participant matches it ({near})",
                     "correct the id to one of the study's documents or participants, or mark this codings entry "
                     "'kind: quote_bank' in study.yml if its quotes have no transcript", row.where)


def _row_documents(ctx: _Context, row: SheetRow, stats: dict, by_turn: bool) -> list[str] | None:
    """Documents a row may refer to; None after adding a problem."""
    file = row.path
    if row.doc:
        doc_id = ctx.doc_by_lower.get(row.doc.lower())
        if doc_id is None:
            found = _normalised_id(ctx, row, row.doc, documents_only=True)
            doc_id = found[1] if found is not None else None
        if doc_id is None:
            _unknown_id(ctx, row, "document", row.doc)
            return None
        if row.case and not row.case_is_group and _resolve_participant(ctx, row) is None:
            found = _normalised_id(ctx, row, row.case)
            if found is None or found[0] != "participant":
                ctx.problems.add(file, f"unknown participant '{row.case}'",
                                 "use an id from participants.csv (or a pseudonym listed there)", row.where)
                return None
        return [doc_id]
    pid = _resolve_participant(ctx, row)
    if pid is None:
        doc_id = ctx.doc_by_lower.get(row.case.lower())
        if doc_id is not None:
            return [doc_id]
        found = _normalised_id(ctx, row, row.case)
        if found is None:
            _unknown_id(ctx, row, "participant", row.case)
            return None
        kind, value = found
        if kind == "document":
            return [value]
        pid = value
    own = ctx.own_docs.get(pid, [])
    every = list(dict.fromkeys(own + ctx.spoken_docs.get(pid, [])))
    if not every:
        ctx.problems.add(file, f"participant '{pid}' has no transcript", "add the transcript, or a document column", row.where)
        return None
    if by_turn:
        options = own if len(own) == 1 else every
        if len(options) != 1:
            ctx.problems.add(file, f"participant '{pid}' has {len(options)} documents ({', '.join(options)}), so a turn "
                             "number is ambiguous", "add a document column naming the transcript", row.where)
            return None
        return options
    return every


def _import_sheet(ctx: _Context, entry: CodingSource, info: SheetInfo) -> None:
    stats = ctx.stats(info.source, info.path, "; ".join(x for x in (info.note, f"read as {info.read_as}" if info.read_as else "") if x))
    stats["rows_read"] = len(info.rows)
    if info.note.startswith("skipped: ") and info.note.endswith("hidden sheet"):
        ctx.warn(stats, f"{info.source}: skipped: a hidden sheet is not read (an old draft?) — unhide it in Excel "
                 "if it holds codings to count")
    for row in info.rows:
        if not row.codes:
            ctx.problems.add(row.path, "no code in any code column", "fill in the code(s) or delete the row", row.where)
            continue
        turns = None
        if row.turn:
            turns = parse_turns(row.turn)
            if turns is None:
                was = excel_date_range(row.turn)
                if was is not None:
                    ctx.problems.add(row.path, f"turn '{row.turn}' is a date: Excel turned the turn range "
                                     f"(probably {was}) into a date",
                                     "format the turn column as Text in Excel and type the range again "
                                     f"(e.g. {was})", row.where)
                    continue
                ctx.problems.add(row.path, f"turn '{row.turn}' is not a turn number or range",
                                 "write a number such as 12 or a range such as 12-14", row.where)
                continue
        elif not row.quote:
            ctx.problems.add(row.path, "neither a turn number nor a quote", "give the turn number or the quoted text", row.where)
            continue
        doc_ids = _row_documents(ctx, row, stats, by_turn=turns is not None and not row.quote)
        if doc_ids is None:
            continue
        if turns is not None and len(doc_ids) == 1:
            n = len(ctx.docs[doc_ids[0]].segments)
            if turns[1] > n:
                ctx.problems.add(row.path, f"turn {row.turn} is beyond the last turn ({n}) of document '{doc_ids[0]}'",
                                 "check the turn number against the transcript", row.where)
                continue
        span = _row_span(ctx, row, doc_ids, turns, entry, stats)
        if span is None:
            continue
        doc_id, start, end, match, score = span
        for code, level in row.codes:
            ctx.applications.append({"doc_id": doc_id, "code": code, "level": level, "coder": row.coder,
                                     "start": start, "end": end, "source": row.source, "memo": row.memo,
                                     "match": match, "score": score, "source_row": row.row,
                                     "_group": f"{row.source}\x00{row.row}"})
            stats["codings"] += 1


def _turn_span(doc, first: int, last: int) -> tuple[int, int]:
    seg = doc.segments
    return int(seg["start"].iloc[first - 1]), int(seg["end"].iloc[last - 1])


def _row_span(ctx: _Context, row: SheetRow, doc_ids: list[str], turns, entry: CodingSource, stats: dict):
    """(doc_id, start, end, match, score) for a sheet row, or None after a problem."""
    first_doc = ctx.docs[doc_ids[0]]
    if first_doc.raw.kind == "quote_bank" and row.quote:
        seg_no = _bank_turn(first_doc, row.quote)
        if seg_no is not None:
            return (doc_ids[0], *_turn_span(first_doc, seg_no, seg_no), "turn", np.nan)
    if not row.quote:
        return (doc_ids[0], *_turn_span(first_doc, *turns), "turn", np.nan)
    hint = turns[0] if turns else None
    return _aligned_span(ctx, row.quote, doc_ids, entry, stats, row.source, row.row, row.path, row.where,
                         hint_seg=hint)


def _bank_turn(doc, quote: str) -> int | None:
    key = quote_bank_key(quote)
    for seg_no, turn in enumerate(doc.raw.turns, start=1):
        if quote_bank_key(turn.text) == key:
            return seg_no
    return None


def _aligned_span(ctx: _Context, quote: str, doc_ids: list[str], entry: CodingSource, stats: dict,
                  source: str, row: int, path: Path, where: str, hint_seg=None, hint_offset=None):
    """Find ``quote`` in the candidate documents; the best match wins (exact, then
    elided, then the highest fuzzy score; ties: the first document)."""
    config = ctx.config
    best, best_doc, best_score = None, None, 0.0
    rank = {"exact": 3, "elided": 2, "fuzzy": 1}
    for doc_id in doc_ids:
        index = index_document(ctx.docs[doc_id], config.fillers)
        match, near = find_quote(quote, index, ctx.redact, config.fillers, config.quote_match_threshold,
                                 hint_seg, hint_offset)
        best_score = max(best_score, near)
        if match is not None and (best is None or (rank[match.method], match.score) > (rank[best.method], best.score)):
            best, best_doc = match, doc_id
    shown = ctx.redact(quote)
    if best is None:
        docs = ", ".join(doc_ids)
        closest = None
        for doc_id in doc_ids:  # where the quote nearly is, so the researcher can fix it
            near = closest_passage(quote, index_document(ctx.docs[doc_id], config.fillers), ctx.redact,
                                   config.fillers, hint_seg, hint_offset)
            if near is not None and (closest is None or near.score > closest[1].score):
                closest = (doc_id, near)
        note = miss_note(closest, config.quote_match_threshold)
        if entry.strict:
            ctx.problems.add(path, f"quote not found in {docs}: \"{_short(shown)}\"; {note}",
                             "correct the quote to match the transcript, or set "
                             "'strict: false' on this codings entry in study.yml to list it instead", where)
        else:
            stats["quotes_unmatched"] += 1
            ctx.unmatched.append({"source": source, "row": row, "doc_id": docs, "quote": shown,
                                  "best_score": round(best_score, 3),
                                  "closest_doc": closest[0] if closest else None,
                                  "closest_turn": closest[1].seg_first if closest else None,
                                  "threshold": config.quote_match_threshold, "note": note})
        return None
    stats[f"quotes_{best.method}"] += 1
    text = ctx.docs[best_doc].text
    if best.method == "fuzzy":
        ctx.fuzzy.append({"source": source, "row": row, "doc_id": best_doc, "quote": shown,
                          "matched_text": text[best.start:best.end], "score": round(best.score, 3)})
    if best.n_occurrences > 1:
        if hint_seg is None and hint_offset is None:
            ctx.warn(stats, f"{source} {where}: quote found {best.n_occurrences} times in {best_doc}; "
                            f"took the first (turn {best.seg_first}) — add a turn number to choose")
        elif hint_seg is not None and not (best.seg_first <= hint_seg <= best.seg_last):
            ctx.warn(stats, f"{source} {where}: quote found {best.n_occurrences} times in {best_doc}, none in turn "
                            f"{hint_seg}; took the nearest (turn {best.seg_first})")
    return best_doc, best.start, best.end, best.method, float(best.score)


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# -- Word tables -------------------------------------------------------------------------

def _import_word(ctx: _Context, entry: CodingSource, path: Path) -> None:
    config = ctx.config
    turns, notes, rows_read = read_word_table_turns(entry, path, config, ctx.labels, ctx.redact)
    name = source_name(path, config.root)
    doc_id = ctx.doc_by_lower.get(ctx.redact(docx_doc_id(path)).lower())
    stats_by_table: dict[str, dict] = {}
    for note in notes:
        stats = ctx.stats(note.split(":")[0], path, note.split(": ", 1)[1])
        if "section-heading" in note:
            ctx.warn(stats, note)
    if not turns:
        if not notes:
            stats = ctx.stats(name, path, "skipped: no tables")
        else:
            stats = ctx.sources[-1]
        ctx.warn(stats, f"{name}: no table with speaker, utterance and code columns — nothing imported")
        return
    if doc_id is None:
        ctx.problems.add(path, f"no document '{ctx.redact(docx_doc_id(path))}' for this coding table",
                         "name the file after its transcript, e.g. P09_coding_table.docx")
        return
    doc = ctx.docs[doc_id]
    stand_in = doc.raw.kind == "coding_table" and Path(doc.raw.source_file).resolve() == Path(path).resolve()
    hint_offset = None
    for seg_no, turn in enumerate(turns, start=1):
        stats = stats_by_table.get(turn.source) or stats_by_table.setdefault(turn.source, ctx.stats(turn.source, path))
        stats["rows_read"] += turn.n_rows
        if not turn.codes:
            continue
        if stand_in:
            start, end = _turn_span(doc, seg_no, seg_no)
            match, score = "table", np.nan
        else:
            found = _aligned_span(ctx, turn.text, [doc_id], entry, stats, turn.source, turn.row, path, turn.where,
                                  hint_offset=hint_offset)
            if found is None:
                continue
            _, start, end, match, score = found
            hint_offset = end
        for code, level, row in turn.codes:
            ctx.applications.append({"doc_id": doc_id, "code": code, "level": level, "coder": turn.coder,
                                     "start": start, "end": end, "source": turn.source, "memo": turn.memo,
                                     "match": match, "score": score, "source_row": row,
                                     "_group": f"{turn.source}\x00{turn.row}"})
            stats["codings"] += 1


# -- external records ------------------------------------------------------------------------

def _exact_position(text: str, rec: dict):
    """The record's own span when the document's clean text holds the quote
    exactly there (a project whose sources are already clean, such as our own
    export): keeps spans to the character, where quote alignment would trim
    them to whole words."""
    start, end = rec.get("start"), rec.get("end")
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        return None
    start, end = int(start), int(end)
    quote = rec.get("quote")
    if isinstance(quote, str) and 0 <= start < end <= len(text) and text[start:end] == quote:
        return None, start, end, "refi", 1.0
    return None

def _verbatim_position(doc, quote, hint_seg: int | None, hint_offset: int | None = None):
    """The span of ``quote`` where the clean text holds it verbatim (after cleaning's
    normalisation and redaction), so that punctuation at its edges is kept (word alignment trims
    it): the occurrence in turn ``hint_seg``, else the one nearest ``hint_offset`` (a position in
    the source, close to the clean one), else the only one. None when absent or still ambiguous
    (then the quote aligner decides and says so)."""
    text = normalise(_text(quote))
    if not text:
        return None
    # a line break in the quote may be a turn's end in the clean text: any white space matches any
    pattern = r"\s+".join(re.escape(part) for part in text.split(" "))
    hits = [(m.start(), m.end()) for m in re.finditer(pattern, doc.text)]
    if hint_seg is not None and len(hits) > 1:
        seg = doc.segments.loc[doc.segments["seg_no"] == hint_seg]
        if len(seg):
            s0, e0 = int(seg["start"].iloc[0]), int(seg["end"].iloc[0])
            hits = [h for h in hits if s0 <= h[0] and h[1] <= e0] or hits
    if hint_offset is not None and len(hits) > 1:
        hits = [min(hits, key=lambda h: (abs(h[0] - hint_offset), h))]
    return (None, hits[0][0], hits[0][1], "exact", 1.0) if len(hits) == 1 else None


def _external_maps(ctx, external: ExternalCodings) -> dict:
    """doc_id -> MappedText from the external source text to the study's clean text, for the
    study's documents that are *not* the external document itself (a transcript of the same
    interview) but clean to exactly the same text: then the spans map to the character too."""
    from helpers.ingest.cleaning import clean_document

    out = {}
    for raw in external.documents:
        doc = ctx.docs.get(ctx.doc_by_lower.get(str(raw.doc_id).lower(), ""))
        if doc is None or doc.raw is raw or getattr(raw, "source_text", None) is None:
            continue
        clean = ctx.quietly(lambda raw=raw, pid=doc.participant_id: clean_document(raw, ctx.labels, ctx.redact, pid))
        if clean.mapped is not None and clean.text == doc.text:
            out[doc.doc_id] = clean.mapped
    return out


def _paragraph_turn(doc, paragraph) -> int | None:
    """The turn (seg_no) holding source line/paragraph ``paragraph`` (MAXQDA and ATLAS.ti give
    paragraph numbers, which count the transcript's lines); None when unknown."""
    if paragraph is None or pd.isna(paragraph):
        return None
    lines = [t.line for t in doc.raw.turns]
    if not lines or any(line is None for line in lines):
        return None
    before = [i for i, line in enumerate(lines, start=1) if line <= int(paragraph)]
    return before[-1] if before else None


def _mapped_position(doc, rec: dict, source_texts: dict[str, str | None], other_map=None, match: str = "span"):
    """The record's source span carried through cleaning to the character (helpers.ingest.spanmap):
    when the record has start/end in its source text and the study's document was cleaned
    from that very text, or from a text that cleans to the same (``other_map``, see
    ``_external_maps``). None otherwise (then the quote is found in the text)."""
    start, end = rec.get("start"), rec.get("end")
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        return None
    source = source_texts.get(doc.doc_id)
    if doc.mapped is not None and source is not None and doc.raw.source_text == source:
        mapped = doc.mapped
    elif other_map is not None:
        mapped = other_map
    else:
        return None
    try:
        s, e = mapped.from_source(int(start), int(end))
    except ValueError:
        return None
    return (None, s, e, match, 1.0) if e > s else None


def _import_records(ctx: _Context, entry: CodingSource, path: Path, external: ExternalCodings) -> None:
    name = source_name(path, ctx.config.root)
    stats = ctx.stats(name, path)
    for note in external.notes:
        ctx.warn(stats, f"{name}: {note}")
    records = external.records
    missing = [c for c in RECORD_COLUMNS if c not in records.columns]
    if missing:
        raise TypeError(f"ExternalCodings.records from {name} lacks columns {missing}")
    stats["rows_read"] = len(records)
    default_coder = entry.coder or Path(path).stem
    entry_level = normalise_level(entry.level) if entry.level else ""
    source_texts = {d.doc_id: getattr(d, "source_text", None) for d in external.documents}
    maps = _external_maps(ctx, external)
    for raw in external.documents:
        doc = ctx.docs.get(raw.doc_id)
        if doc is not None and doc.raw is raw and getattr(raw, "source_text", None) is not None and doc.mapped is None:
            # never silent: these spans are found by their text instead, which may trim their edges
            ctx.warn(stats, f"{name}: document '{raw.doc_id}': its clean text could not be mapped to its source "
                            "character by character; its codings were found by their text (see match)")
    # match of a span carried by its offsets: 'refi' for REFI-QDA projects, 'span' for others (Taguette)
    mapped_match = "refi" if Path(path).suffix.lower() in (".qdpx", ".qde") else "span"
    for rec in records.to_dict("records"):
        # a row number, or the source's own name for the record ("highlight 7", a selection GUID)
        source_row = _text(rec.get("source_row"))
        where = f"row {source_row}" if source_row.isdigit() else source_row
        doc_id = ctx.doc_by_lower.get(str(rec["doc_id"]).lower())
        if doc_id is None:
            ctx.problems.add(path, f"unknown document '{ctx.redact(str(rec['doc_id']))}'",
                             "add its transcript, or rename the document in the source program to match one", where)
            continue
        hint = rec.get("hint_offset")
        hint = None if hint is None or pd.isna(hint) else int(hint)
        hint_seg = _paragraph_turn(ctx.docs[doc_id], rec.get("paragraph"))
        found = (_mapped_position(ctx.docs[doc_id], rec, source_texts, maps.get(doc_id), mapped_match)
                 or _exact_position(ctx.docs[doc_id].text, rec))
        if found is None:
            # the program's copy of the coded text: taken verbatim when the clean text has it, so
            # that its edge punctuation and emoji stay (word alignment would trim them)
            found = _verbatim_position(ctx.docs[doc_id], ctx.quiet(rec["quote"]), hint_seg, hint)
        if found is not None:
            stats["quotes_exact"] += 1
        found = found or _aligned_span(ctx, _text(rec["quote"]), [doc_id], entry, stats,
                                       _text(rec.get("source")) or name, rec.get("source_row"), path, where,
                                       hint_offset=hint, hint_seg=hint_seg)
        if found is None:
            continue
        _, start, end, match, score = found
        if match == "exact" and any(ctx.docs[doc_id].raw is d for d in external.documents):
            match = "refi"
        level = normalise_level(_text(rec.get("level"))) or entry_level
        ctx.applications.append({"doc_id": doc_id, "code": ctx.redact(_text(rec["code"])), "level": level,
                                 "coder": ctx.redact(_text(rec.get("coder"))) or default_coder,
                                 "start": start, "end": end, "source": _text(rec.get("source")) or name,
                                 "memo": ctx.redact(_text(rec.get("memo"))), "match": match, "score": score,
                                 "source_row": rec.get("source_row"), "_group": None})
        stats["codings"] += 1


# -- assembling the tables --------------------------------------------------------------------

def _codings_frame(ctx: _Context) -> pd.DataFrame:
    """The codings table: segments and participants attached per document, vectorised."""
    columns = tables.CONTRACT["codings"] + ["match", "score", "source_row", "duplicate", "_group"]
    if not ctx.applications:
        return pd.DataFrame(columns=columns).pipe(lambda f: f.assign(duplicate=f["duplicate"].astype(bool)))
    frame = pd.DataFrame(ctx.applications)
    frame["seg_first"] = pd.NA
    frame["seg_last"] = pd.NA
    frame["participant_id"] = None
    parts = []
    for doc_id, group in frame.groupby("doc_id", sort=False):
        seg = ctx.docs[doc_id].segments
        starts, ends = seg["start"].to_numpy(int), seg["end"].to_numpy(int)
        seg_nos = seg["seg_no"].to_numpy(int)
        s, e = group["start"].to_numpy(int), group["end"].to_numpy(int)
        first = np.clip(np.searchsorted(ends, s, side="right"), 0, len(seg) - 1)   # first turn ending after start
        last = np.clip(np.searchsorted(starts, e, side="left") - 1, 0, len(seg) - 1)  # last turn starting before end
        last = np.maximum(first, last)
        group = group.assign(seg_first=seg_nos[first], seg_last=seg_nos[last],
                             participant_id=seg["participant_id"].to_numpy(object)[first])
        parts.append(group)
    frame = pd.concat(parts).sort_index(kind="stable")
    frame["duplicate"] = frame.duplicated(["doc_id", "code", "level", "coder", "start", "end"], keep="first")
    return frame[columns].reset_index(drop=True)


def _duplicates_named(codings: pd.DataFrame, limit: int = 5) -> str:
    """Where the duplicate codings come from, for the warning: "codings/AK.csv
    row 3 ('hope', P01)", the first ``limit`` of them."""
    dups = codings.loc[codings["duplicate"]]
    named = []
    for source, row, code, doc_id in zip(dups["source"], dups["source_row"], dups["code"], dups["doc_id"]):
        row = _text(row)
        place = f"{source} row {row}" if row.isdigit() else f"{source} {row}".strip()
        named.append(f"{place} ('{code}', {doc_id})")
    more = f", and {len(named) - limit} more" if len(named) > limit else ""
    return ", ".join(named[:limit]) + more


def _merge_codebooks(book: pd.DataFrame, extra: list[pd.DataFrame], redact) -> pd.DataFrame:
    """codebook.csv first; codes from .qdc/.qdpx codebooks (redacted here) appended when not already there."""
    frames = [book]
    for frame in extra:
        if frame is None or not len(frame):
            continue
        frame = frame.copy()
        for col in ["code", "parent", "level", "description", "colour", "source"]:
            if col not in frame:
                frame[col] = ""
        frame = frame.astype(object).fillna("")
        for col in ["code", "parent", "description"]:
            frame[col] = frame[col].map(lambda v: redact(_text(v)))
        frame["level"] = frame["level"].map(normalise_level)
        frames.append(frame[["code", "level", "parent", "description", "colour", "source"]])
    merged = pd.concat(frames, ignore_index=True).fillna("")
    return merged.drop_duplicates(["code", "level"], keep="first").reset_index(drop=True)


def _in_codebook(book: pd.DataFrame) -> tuple[set[tuple[str, str]], dict[str, set[str]]]:
    pairs = set(zip(book["code"], book["level"]))
    by_name: dict[str, set[str]] = {}
    for code, level in pairs:
        by_name.setdefault(code, set()).add(level)
    return pairs, by_name


def complete_codebook(book: pd.DataFrame, codings: pd.DataFrame, levels: list[str]
                      ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Codes used but missing from the codebook added; empty parents inferred.

    A coding (code, level) is in the codebook when that pair is, or when the
    code name appears at one level only and one of the two levels is ''.
    """
    warnings: list[str] = []
    book = book.copy() if len(book) else empty_codebook()
    book = book.fillna("")
    pairs, by_name = _in_codebook(book)
    used = codings[["code", "level", "source"]].drop_duplicates(["code", "level"]) if len(codings) else \
        pd.DataFrame(columns=["code", "level", "source"])
    new_rows = []
    for code, level, source in used.itertuples(index=False):
        if (code, level) in pairs:
            continue
        names = by_name.get(code, set())
        if len(names) == 1 and ("" in names or level == ""):
            continue
        new_rows.append({"code": code, "level": level, "parent": "", "description": "", "colour": "", "source": source})
    added_keys = {(r["code"], r["level"]) for r in new_rows}
    if new_rows:
        book = pd.concat([book, pd.DataFrame(new_rows)], ignore_index=True)
    inferred, ambiguous = infer_parents(codings, levels)
    empty_parent = book["parent"] == ""
    for i in book.index[empty_parent]:
        key = (book.at[i, "code"], book.at[i, "level"])
        if key in inferred:
            book.at[i, "parent"] = inferred[key]
        elif key in ambiguous:
            warnings.append(ambiguous[key])
    counts = codings.groupby(["code", "level"]).size() if len(codings) else pd.Series(dtype=int)
    is_added = pd.Series([(c, lv) in added_keys for c, lv in zip(book["code"], book["level"])],
                         index=book.index, dtype=bool)
    added = book[is_added].copy()
    added["n_codings"] = [int(counts.get((c, lv), 0)) for c, lv in zip(added["code"], added["level"])]
    added = added[["code", "level", "parent", "source", "n_codings"]].reset_index(drop=True)
    return book.reset_index(drop=True), added, warnings


def infer_parents(codings: pd.DataFrame, levels: list[str]) -> tuple[dict, dict]:
    """Parents implied by co-coding within rows (DESIGN §3).

    For a code at level L, the next level up is the nearest level ranked above L
    among the codes in its rows. The code takes parent P when every one of its
    rows (sheet row, table turn) carries exactly one code at that level and it
    is always P. Returns ({(code, level): parent}, {(code, level): warning}).
    """
    inferred: dict = {}
    ambiguous: dict = {}
    if not len(codings) or "_group" not in codings:
        return inferred, ambiguous
    apps = codings.loc[codings["_group"].notna(), ["code", "level", "_group"]].drop_duplicates()
    if not len(apps):
        return inferred, ambiguous
    apps = apps.assign(rank=[level_rank(lv, levels) for lv in apps["level"]])
    for (code, level), own in apps.groupby(["code", "level"], sort=False):
        groups = set(own["_group"])
        rank = level_rank(level, levels)
        above = apps[apps["_group"].isin(groups) & (apps["rank"] > rank)]
        if not len(above):
            continue
        next_rank = above["rank"].min()
        at = above[above["rank"] == next_rank]
        per_row = at.groupby("_group")["code"].agg(lambda s: tuple(sorted(set(s))))
        per_row = per_row.reindex(sorted(groups), fill_value=())
        distinct = set(per_row)
        if len(distinct) == 1 and len(next(iter(distinct))) == 1:
            inferred[(code, level)] = next(iter(distinct))[0]
            continue
        tally = per_row.map(lambda t: " + ".join(f"'{c}'" for c in t) if t else "none").value_counts()
        shown = ", ".join(f"{k} ({v} row{'s' if v > 1 else ''})" for k, v in
                          sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])))
        next_level = at["level"].iloc[0] or "unnamed"
        ambiguous[(code, level)] = (f"code '{code}'{f' ({level})' if level else ''}: parent not inferred — its rows carry "
                                    f"different {next_level} codes: {shown}; give its parent in the codebook")
    return inferred, ambiguous


def _merge_participants(participants: pd.DataFrame, extra: list[pd.DataFrame], redact) -> pd.DataFrame:
    """participants.csv rows first; attributes from REFI cases for ids it lacks, or columns it lacks."""
    merged = participants.copy()
    for frame in extra:
        frame = frame.copy()
        frame["participant_id"] = frame["participant_id"].astype(str)
        for col in frame.columns:
            if col != "participant_id":
                frame[col] = frame[col].map(lambda v: redact(str(v)) if v is not None and not pd.isna(v) else None)
        known = set(merged["participant_id"].astype(str))
        new = frame[~frame["participant_id"].isin(known)]
        merged = pd.concat([merged, new], ignore_index=True)
        fill_cols = [c for c in frame.columns if c != "participant_id"]
        if fill_cols:
            lookup = frame.drop_duplicates("participant_id").set_index("participant_id")
            for col in fill_cols:
                values = merged["participant_id"].map(lookup[col]) if col in lookup else None
                if col not in merged:
                    merged[col] = values
                else:
                    merged[col] = merged[col].where(merged[col].notna(), values)
    return merged
