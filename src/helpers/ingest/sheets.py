"""Reading researchers' tables (.csv, .xlsx) with one-line errors.

CSV files may come from Excel in Windows-1252 or UTF-8 with a BOM; every cell
is read as text so that ids like '007' keep their zeros.
"""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pandas as pd

from helpers.errors import InputError
from helpers.ingest.transcripts import decode_text
from helpers.textutil import plural

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


def sniff_delimiter(text: str) -> str:
    """The separator of a CSV text: csv.Sniffer on its first lines, limited to
    comma, semicolon, tab and vertical bar (Excel writes ';' where the list
    separator of the locale is ';', e.g. German or French Windows); comma
    when the sniffer cannot tell."""
    import csv

    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        header = text.splitlines()[0] if text.strip() else ""
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _check_row_widths(path: Path, text: str, delimiter: str) -> None:
    """A row with more cells than the header is an error naming its line: pandas would
    otherwise take the first column as an index (a participant id becomes a row label, an
    internal error later) or drop the extra cell. A separator inside an unquoted cell (two codes
    joined by ';' in a ';'-separated file) is the usual cause."""
    header = None
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for fields in reader:
            if header is None:
                header = len(fields) if any(f.strip() for f in fields) else None
                continue
            if len(fields) > header and any(f.strip() for f in fields[header:]):
                shown = {"\t": "tab"}.get(delimiter, f"'{delimiter}'")
                raise InputError.one(path, f"this row has {len(fields)} cells but the header has {header}",
                                     f"put a cell that contains {shown} in double quotes, or join several codes "
                                     "in one cell with |", f"line {reader.line_num}")
    except csv.Error:
        return  # malformed quoting: pandas names the line below


def read_csv_table(path: Path, encoding: str | None = None) -> pd.DataFrame:
    """Cells as text, empty cells None. Rows that are empty (a blank line, or
    only commas as Excel writes them) are dropped, but the index keeps each
    row's place, as for workbooks: the spreadsheet row is ``index + 2``.

    The encoding is detected (``transcripts.decode_text``: UTF-8 with or
    without BOM, UTF-16 with BOM, Windows code pages) unless ``encoding``
    gives it; the separator is sniffed (``sniff_delimiter``). Both are in
    ``frame.attrs`` ("encoding", "delimiter", "notes") for the import report."""
    path = Path(path)
    data = path.read_bytes()
    if not data.strip():  # before decode(), whose message speaks of transcripts
        raise InputError.one(path, "the file is empty", "add a header row and data, or remove the file")
    decoded = decode_text(path, data, encoding)
    text = decoded.text
    delimiter = sniff_delimiter(text)
    _check_row_widths(path, text, delimiter)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True,
                            skip_blank_lines=False, sep=delimiter)
    except pd.errors.ParserError as exc:
        line = _line_of(str(exc))
        raise InputError.one(path, "not a well-formed CSV table", "check quotes and the number of commas on each row",
                             None if line is None else f"line {line}") from None
    except pd.errors.EmptyDataError:
        raise InputError.one(path, "the file is empty", "add a header row and data, or remove the file") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.replace({"": None})
    frame = frame[frame.notna().any(axis=1)].copy()
    frame.attrs.update(encoding=decoded.encoding, delimiter=DELIMITERS.get(delimiter, delimiter), notes=decoded.notes)
    return frame


class Sheets(dict):
    """{sheet name: frame} of the sheets to read, with ``hidden``: the sheets left out.

    ``hidden`` lists (sheet name, 'hidden' or 'veryHidden') in workbook order; callers
    say that they skipped them (researchers hide an old draft rather than delete it).
    """

    def __init__(self, *args, hidden: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.hidden = list(hidden or [])


def sheet_states(path: Path) -> list[tuple[str, str]]:
    """(name, state) of every worksheet: state 'visible', 'hidden' or 'veryHidden'."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [(str(ws.title), str(ws.sheet_state)) for ws in book.worksheets]
    finally:
        book.close()


def read_excel_sheets(path: Path) -> Sheets:
    """Every visible sheet of a workbook, cells as text, empty cells None.

    Hidden and very hidden sheets are not read; they are listed in ``.hidden``.
    """
    from openpyxl.utils.exceptions import InvalidFileException

    from helpers.safezip import office_zip_problem

    path = Path(path)
    bomb = office_zip_problem(path)
    if bomb:
        raise InputError.one(path, f"not a readable Excel workbook: {bomb}",
                             "refused for safety: open it in Excel and save it again, or ask whoever sent it for a clean copy")
    try:
        states = sheet_states(path)
        visible = [name for name, state in states if state == "visible"]
        sheets = pd.read_excel(path, sheet_name=visible, dtype=str, engine="openpyxl") if visible else {}
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, InvalidFileException) as exc:
        raise InputError.one(path, f"not a readable Excel workbook ({type(exc).__name__})",
                             "open it in Excel and save it again as .xlsx") from None
    merged = merged_ranges(path)
    out = Sheets(hidden=[(name, state) for name, state in states if state != "visible"])
    for name, frame in sheets.items():
        notes = []
        ranges = merged.get(str(name), [])
        if ranges:
            frame = fill_merged(frame, ranges)
            notes.append(f"{plural(len(ranges), 'merged cell range')} filled from their first cell")
        frame = frame.dropna(how="all")
        frame.columns = [str(c).strip() for c in frame.columns]
        frame = frame.astype(object).where(frame.notna(), None)
        frame.attrs.update(notes=notes)
        out[str(name)] = frame
    return out


def merged_ranges(path: Path) -> dict[str, list[tuple[int, int, int, int]]]:
    """{sheet: [(min_row, min_col, max_row, max_col), …]} of merged cells
    (1-based, as Excel numbers them); read only when a sheet has any."""
    with zipfile.ZipFile(path) as archive:
        if not any(n.startswith("xl/worksheets/") and b"<mergeCell " in archive.read(n)
                   for n in archive.namelist() if n.endswith(".xml")):
            return {}
    import openpyxl

    book = openpyxl.load_workbook(path, data_only=True)
    try:
        return {ws.title: [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
                for ws in book.worksheets}
    finally:
        book.close()


def fill_merged(frame: pd.DataFrame, ranges: list[tuple[int, int, int, int]]) -> pd.DataFrame:
    """Every cell of a merged range given its first cell's value, as the
    researcher sees it in Excel (a participant id merged down its rows).
    Row 1 is the header: frame row i is Excel row i + 2."""
    frame = frame.copy()
    for min_row, min_col, max_row, max_col in ranges:
        top, left = min_row - 2, min_col - 1
        if top < 0 or left >= frame.shape[1] or top >= len(frame):
            continue  # a merged header cell: pandas read it already
        value = frame.iat[top, left]
        for r in range(top, min(max_row - 1, len(frame))):
            for c in range(left, min(max_col, frame.shape[1])):
                frame.iat[r, c] = value
    return frame


def read_table(path: Path, encoding: str | None = None) -> Sheets:
    """{sheet name: frame} of the visible sheets (``.hidden`` names the others); a CSV file is one sheet named ''."""
    path = Path(path)
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return Sheets({"": read_csv_table(path, encoding)})
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_excel_sheets(path)
    raise InputError.one(path, f"unsupported table format {path.suffix}", "save it as .csv or .xlsx")


def _line_of(message: str) -> int | None:
    import re

    m = re.search(r"line (\d+)", message)
    if m:
        return int(m.group(1))
    # "EOF inside string starting at row 1": a 0-based row of the file
    m = re.search(r"starting at row (\d+)", message)
    return int(m.group(1)) + 1 if m else None
