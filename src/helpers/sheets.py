"""Reading researchers' tables (.csv, .xlsx) with one-line errors.

CSV files may come from Excel in Windows-1252 or UTF-8 with a BOM; every cell
is read as text so that ids like '007' keep their zeros.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd

from .errors import InputError
from .transcripts import decode


def read_csv_table(path: Path) -> pd.DataFrame:
    """Cells as text, empty cells None. Rows that are empty (a blank line, or
    only commas as Excel writes them) are dropped, but the index keeps each
    row's place, as for workbooks: the spreadsheet row is ``index + 2``."""
    path = Path(path)
    data = path.read_bytes()
    if not data.strip():  # before decode(), whose message speaks of transcripts
        raise InputError.one(path, "the file is empty", "add a header row and data, or remove the file")
    text, _ = decode(path, data)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True,
                            skip_blank_lines=False)
    except pd.errors.ParserError as exc:
        line = _line_of(str(exc))
        raise InputError.one(path, "not a well-formed CSV table", "check quotes and the number of commas on each row",
                             None if line is None else f"line {line}") from None
    except pd.errors.EmptyDataError:
        raise InputError.one(path, "the file is empty", "add a header row and data, or remove the file") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.replace({"": None})
    return frame[frame.notna().any(axis=1)]


def read_excel_sheets(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet of a workbook, cells as text, empty cells None."""
    from .interop.safezip import office_zip_problem

    path = Path(path)
    bomb = office_zip_problem(path)
    if bomb:
        raise InputError.one(path, f"not a readable Excel workbook: {bomb}",
                             "refused for safety: open it in Excel and save it again, or ask whoever sent it for a clean copy")
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError.one(path, f"not a readable Excel workbook ({type(exc).__name__})",
                             "open it in Excel and save it again as .xlsx") from None
    out = {}
    for name, frame in sheets.items():
        frame = frame.dropna(how="all")
        frame.columns = [str(c).strip() for c in frame.columns]
        out[str(name)] = frame.astype(object).where(frame.notna(), None)
    return out


def read_table(path: Path) -> dict[str, pd.DataFrame]:
    """{sheet name: frame}; a CSV file is one sheet named ''."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return {"": read_csv_table(path)}
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
