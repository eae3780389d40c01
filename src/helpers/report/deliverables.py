"""Deliverables a researcher sends on: Word and Excel files in reports/<study>/.

- ``summary.docx``: title page, contents, a methods paragraph generated from
  the run (sources, counts, coders, agreement, counting rules, software
  version), the codebook with definitions and counts, the participant × theme
  matrix, and a chapter per theme with its quotes by participant (as MAXQDA's
  Smart Publisher does for codes);
- ``codebook.docx`` / ``codebook.xlsx``: every code with level, parent,
  definition and counts (as NVivo's and MAXQDA's codebook exports);
- ``tables.xlsx``: every table the notebooks wrote to ``tables/*.csv`` and every table
  the pages show (``deliverables_tables``), one named sheet each, plus a "contents" sheet
  naming each sheet's file, page and table;
- ``framework_matrix.xlsx``: the Framework Method workbook, copied beside them;
- ``bundle_zip``: one zip of the shareable bundle (pages, evidence, figures,
  documents; not the executed notebooks), written only after the leak scan.

Written with python-docx and openpyxl (through ``atomic``); every file is
written atomically, so a failed run never leaves half a document.

The methods paragraph is ``deliverables_methods`` and the Word files (with the codebook table)
``deliverables_docx`` (issue 15 split); their names are importable from this module as before.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd

from helpers import atomic
from helpers.report.deliverables_docx import (
    CODEBOOK_DOCX,
    CODEBOOK_XLSX,
    SUMMARY,
    codebook_table,
    theme_level,
    write_codebook,
    write_summary_docx,
)
from helpers.report.deliverables_methods import (
    FORMAT_WORDS,
    SOURCE_WORDS,
    STAND_INS,
    coding_sources_in_words,
    counted,
    methods_paragraph,
    transcripts_in_words,
)
from helpers.report.deliverables_tables import page_sheets, unique_sheet_name

TABLES_XLSX, FRAMEWORK = "tables.xlsx", "framework_matrix.xlsx"
# tables.xlsx's first sheet: one row per sheet (page, table, how to read, note: issue 16 item 5)
CONTENTS_COLUMNS = ["sheet", "file", "rows", "page", "table", "how to read", "note"]
LISTED = [
    (SUMMARY, "Summary report (Word): methods, codebook, participant × theme matrix, a chapter per theme with quotes"),
    (CODEBOOK_DOCX, "Codebook (Word): every code with its level, parent, definition and counts"),
    (CODEBOOK_XLSX, "Codebook (Excel): the same as a sheet"),
    (TABLES_XLSX, "Every table of the reports, one named sheet each (Excel)"),
    (FRAMEWORK, "Framework matrix with exemplar quotes, one sheet per theme level (Excel)"),
]


# The public names, defined here (the list, tables.xlsx, the whole set, the zip) or in
# deliverables_methods and deliverables_docx; importable from this module as before the split.
__all__ = ["CODEBOOK_DOCX", "CODEBOOK_XLSX", "FORMAT_WORDS", "FRAMEWORK", "LISTED", "SOURCE_WORDS", "STAND_INS",
           "SUMMARY", "TABLES_XLSX", "bundle_zip", "codebook_table", "coding_sources_in_words", "counted",
           "methods_paragraph", "theme_level", "transcripts_in_words", "write_all", "write_codebook",
           "write_summary_docx", "write_tables_workbook"]


def _workbook_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A table read back from its CSV as the workbook should hold it: numbers as numbers
    (a column whose every filled cell is a number), text as text with the CSV's formula
    guard (a leading ' before = + - @) taken off, since ``atomic.write_excel`` writes text
    cells as strings, never formulas; flags as "yes"/"no" and headers in words, as the pages
    show them (``present_format``: "per_1000" -> "Per 1,000 words"; the CSV keeps its names)."""
    from helpers.report.present_format import TEXT_FLAGS, header

    out = frame.apply(lambda col: col.map(atomic.restore_cell))
    out = out.apply(lambda col: col.map(lambda v: TEXT_FLAGS.get(v.strip(), v) if isinstance(v, str) else v))
    for name in out.columns:
        filled = out[name][out[name] != ""]
        numbers = pd.to_numeric(filled, errors="coerce")
        if len(filled) and numbers.notna().all():
            out[name] = pd.to_numeric(out[name].replace("", None), errors="coerce")
    words = [header(name) for name in out.columns]
    return out.set_axis(words if len(set(words)) == len(words) else list(out.columns), axis=1)


def write_tables_workbook(study, folder: Path) -> Path | None:
    """Write ``tables.xlsx``: every ``tables/*.csv`` of the study, then every table the pages show,
    each on its own sheet.

    A first "contents" sheet has one row per sheet, with columns ``sheet``, ``file``
    (``tables/<name>.csv``, or the page: ``<stem>.html``), ``rows``, ``page`` (the page's title;
    blank for a CSV), ``table`` (the nearest heading above the table on the page), ``how to
    read`` (its reading guide) and ``note`` (rows left off). CSV sheets are named after the file;
    the pages' tables are read from the executed notebooks in ``folder/executed/``
    (``deliverables_tables.page_sheets``: one sheet per table of a study-wide page, one per kind
    of table of the participant profiles, stacked). Names are Excel-safe, cut to 31 characters, a
    ``~2``, ``~3`` … suffix keeping them unique. Cells are values: numbers as numbers, text
    without the CSV's formula guard.

    Parameters
    ----------
    study : Study
        The study (its ``paths.tables``).
    folder : Path
        The folder to write into: the bundle (or reports/<study>/), whose ``executed/``
        notebooks hold the pages' tables.

    Returns
    -------
    Path or None
        ``folder/tables.xlsx``; None (nothing written) when there is neither a tables folder
        (an in-memory study) nor an executed notebook.

    Raises
    ------
    OSError
        A CSV or notebook cannot be read or the workbook cannot be written.
    """
    tables = study.paths.tables if study.paths is not None else None
    executed = Path(folder) / "executed"
    if (tables is None or not tables.is_dir()) and not any(executed.glob("*.ipynb")):
        return None
    sheets: dict[str, pd.DataFrame] = {}
    contents = []
    for csv in sorted(tables.glob("*.csv")) if tables is not None and tables.is_dir() else []:
        try:
            frame = _workbook_frame(pd.read_csv(csv, dtype=str, keep_default_na=False))
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame()
        name = unique_sheet_name(csv.stem, sheets)
        sheets[name] = frame
        contents.append({"sheet": name, "file": f"tables/{csv.name}", "rows": len(frame)})
    shown, rows = page_sheets(executed, sheets)
    sheets.update(shown)
    contents.extend(rows)
    target = folder / TABLES_XLSX
    listing = pd.DataFrame([[row.get(c, "") for c in CONTENTS_COLUMNS] for row in contents], columns=CONTENTS_COLUMNS)
    atomic.write_excel(target, {"contents": listing, **sheets})
    return target


def write_all(study, folder: Path | None = None) -> list[Path]:
    """Write every deliverable into ``reports/<study>/`` (or ``folder``).

    ``summary.docx``, ``codebook.docx``, ``codebook.xlsx``, ``tables.xlsx`` (when the study
    has a tables folder) and a copy of ``tables/framework_matrix.xlsx`` (when a notebook wrote
    it).

    Parameters
    ----------
    study : Study
        The study.
    folder : Path, optional
        Where to write; default ``study.paths.reports``.

    Returns
    -------
    list of Path
        The files written, in the order above.

    Raises
    ------
    OSError
        A file cannot be read or written.
    """
    folder = Path(folder) if folder is not None else study.paths.reports
    written = [write_summary_docx(study, folder / SUMMARY), *write_codebook(study, folder)]
    tables = write_tables_workbook(study, folder)
    if tables is not None:
        written.append(tables)
    framework = study.paths.tables / FRAMEWORK if study.paths is not None else None
    if framework is not None and framework.is_file():
        atomic.write_bytes(folder / FRAMEWORK, framework.read_bytes())
        written.append(folder / FRAMEWORK)
    return written


def bundle_zip(folder: Path, name: str) -> Path:
    """Write one zip of the shareable bundle in ``folder``. Call only after the leak scan passed.

    Pages, evidence, figures, documents and workbooks, under a top folder ``<name>/``; not
    ``executed/``, hidden files, temporary files of atomic writes or zips.

    Parameters
    ----------
    folder : Path
        The bundle (reports/<study>/ or its staging folder).
    name : str
        The study's name: the zip's name and top folder.

    Returns
    -------
    Path
        ``folder/<name>-report.zip``, written atomically.

    Raises
    ------
    OSError
        A file cannot be read or the zip cannot be written.
    """
    target = folder / f"{name}-report.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if (not path.is_file() or relative.parts[0] == "executed" or path.suffix == ".zip"
                    or any(p.startswith(".") for p in relative.parts) or atomic.temp_writer(path) is not None):
                continue
            archive.write(path, f"{name}/{relative.as_posix()}")
    atomic.write_bytes(target, buffer.getvalue())
    return target
