"""Deliverables a researcher sends on: Word and Excel files in reports/<study>/.

- ``summary.docx``: title page, contents, a methods paragraph generated from
  the run (sources, counts, coders, agreement, counting rules, software
  version), the codebook with definitions and counts, the participant × theme
  matrix, and a chapter per theme with its quotes by participant (as MAXQDA's
  Smart Publisher does for codes);
- ``codebook.docx`` / ``codebook.xlsx``: every code with level, parent,
  definition and counts (as NVivo's and MAXQDA's codebook exports);
- ``tables.xlsx``: every table the notebooks wrote to ``tables/*.csv``, one
  named sheet each, plus a "contents" sheet naming each sheet's file;
- ``framework_matrix.xlsx``: the Framework Method workbook, copied beside them;
- ``bundle_zip``: one zip of the shareable bundle (pages, evidence, figures,
  documents; not the executed notebooks), written only after the leak scan.

Written with python-docx and openpyxl (through ``atomic``); every file is
written atomically, so a failed run never leaves half a document.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd

from helpers import __version__, atomic

SUMMARY, CODEBOOK_DOCX, CODEBOOK_XLSX, TABLES_XLSX, FRAMEWORK = (
    "summary.docx", "codebook.docx", "codebook.xlsx", "tables.xlsx", "framework_matrix.xlsx")
LISTED = [
    (SUMMARY, "Summary report (Word): methods, codebook, participant × theme matrix, a chapter per theme with quotes"),
    (CODEBOOK_DOCX, "Codebook (Word): every code with its level, parent, definition and counts"),
    (CODEBOOK_XLSX, "Codebook (Excel): the same as a sheet"),
    (TABLES_XLSX, "Every table of the reports, one named sheet each (Excel)"),
    (FRAMEWORK, "Framework matrix with exemplar quotes, one sheet per theme level (Excel)"),
]


def codebook_table(study) -> pd.DataFrame:
    """The codebook with counts: one row per code, in codebook order.

    Each level's codes are counted by ``helpers.code_frequencies`` at that level (codes with
    everything below them rolled up to them, docs/design.md §4; a code without a level as
    applied); a level the analyses refuse gets zero counts rather than an error.

    Parameters
    ----------
    study : Study
        The study (its codebook, codings, segments and participants).

    Returns
    -------
    DataFrame
        RangeIndex; columns ``code``, ``level``, ``parent``, ``description`` (missing as ""),
        ``applications``, ``documents``, ``participants`` (int64 counts, 0 for a code never
        applied) and ``participants_pct`` (float, percent 0–100 of all participants).
    """
    book = study.codebook.fillna({"parent": "", "level": "", "description": ""}).copy()
    counted = []
    for level in dict.fromkeys(book["level"].astype(str)):
        freq = _frequencies(study, level or None)
        part = book[book["level"].astype(str) == level].merge(
            freq[["code", "applications", "documents", "participants", "participants_pct"]], on="code", how="left")
        counted.append(part)
    out = pd.concat(counted, ignore_index=True) if counted else book.assign(
        applications=0, documents=0, participants=0, participants_pct=0.0)
    for column in ("applications", "documents", "participants"):
        out[column] = out[column].fillna(0).astype("int64")
    out["participants_pct"] = out["participants_pct"].fillna(0.0)
    order = {code: i for i, code in enumerate(book["code"])}
    out = out.sort_values("code", key=lambda s: s.map(order), kind="stable")
    return out[["code", "level", "parent", "description", "applications", "documents", "participants",
                "participants_pct"]].reset_index(drop=True)


def _frequencies(study, level):
    import helpers

    try:
        return helpers.code_frequencies(study, level=level)
    except Exception:  # noqa: BLE001 - a level the analyses refuse gets no counts, said in the table
        return pd.DataFrame(columns=["code", "applications", "documents", "participants", "participants_pct"])


# Transcript formats and coding sources in words (methods paragraph).
FORMAT_WORDS = {"txt": "plain-text", "md": "Markdown", "docx": "Word", "odt": "OpenDocument", "rtf": "RTF",
                "vtt": "WebVTT caption", "srt": "SubRip caption", "taguette": "Taguette", "qdpx": "REFI-QDA",
                "qde": "REFI-QDA"}
SOURCE_WORDS = {".xlsx": "Excel coding sheet", ".xlsm": "Excel coding sheet", ".xls": "Excel coding sheet",
                ".csv": "CSV coding sheet", ".docx": "Word coding table", ".qdpx": "REFI-QDA project",
                ".qde": "REFI-QDA project", ".qdc": "REFI-QDA codebook", ".sqlite3": "Taguette project",
                ".html": "Taguette export", ".json": "Taguette export"}
STAND_INS = {"coding_table", "quote_bank"}   # documents made from a coding source, not a transcript


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """A count in words: "a quote bank", "an Excel coding sheet", "3 plain-text transcripts".

    Parameters
    ----------
    n : int
        The count.
    singular : str
        The noun (phrase) for one; "an" before a vowel letter, else "a".
    plural : str, optional
        The noun for other counts; default ``singular`` + "s".

    Returns
    -------
    str
        ``a/an <singular>`` when ``n`` is 1, else ``<n> <plural>`` (0 included).
    """
    if n == 1:
        return ("an " if singular[:1].lower() in "aeiou" else "a ") + singular
    return f"{n} {plural or singular + 's'}"


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def transcripts_in_words(documents: pd.DataFrame) -> str:
    """The documents by what they are and their format, in words: "9 transcripts (5 plain-text
    transcripts, a Word transcript, …) and 2 Word coding tables standing in for transcripts".

    Parameters
    ----------
    documents : DataFrame
        The documents table (``format``; ``kind`` where present).

    Returns
    -------
    str
    """
    kinds = documents["kind"].astype("string").fillna("") if "kind" in documents else pd.Series("", index=documents.index)
    fmt = documents["format"].astype("string").fillna("")
    real = documents[~kinds.isin(STAND_INS)]
    parts = []
    if len(real):
        by_format = fmt[real.index].value_counts()
        order = sorted(by_format.index, key=lambda f: (-by_format[f], str(f)))
        formats = [counted(int(by_format[f]), f"{FORMAT_WORDS.get(str(f), str(f))} transcript") for f in order]
        parts.append(f"{counted(len(real), 'transcript')} ({_listed(formats)})" if len(order) > 1 else formats[0])
    tables = int((kinds == "coding_table").sum())
    if tables:
        parts.append(counted(tables, "Word coding table") + " standing in for transcripts")
    banks = int((kinds == "quote_bank").sum())
    if banks:
        parts.append(counted(banks, "quote-bank document") + " (one per participant, a quote a turn)")
    return _listed(parts) if parts else "no documents"


def coding_sources_in_words(study) -> str:
    """Where the codings came from, in words: "2 Excel coding sheets and 2 Word coding tables".

    Counted by source file (the part of ``codings.source`` before "#"), by kind from the
    file's suffix (``SOURCE_WORDS``); a file whose codings made quote-bank documents is "a
    quote bank". Kinds are listed most files first, then by name.

    Parameters
    ----------
    study : Study
        The study (its codings' ``source`` and ``doc_id``, and the documents' ``kind``).

    Returns
    -------
    str
        "" when there are no codings (or no ``source`` column).
    """
    codings = study.codings
    if codings.empty or "source" not in codings:
        return ""
    docs = study.documents
    bank_docs = set(docs.loc[docs.get("kind", pd.Series("", index=docs.index)).astype(str) == "quote_bank", "doc_id"]
                    .astype(str))
    files: dict[str, str] = {}
    for source, doc_id in zip(codings["source"].astype("string").fillna(""), codings["doc_id"].astype(str)):
        file = str(source).split("#")[0]
        if not file:
            continue
        suffix = Path(file).suffix.lower()
        kind = "quote bank" if doc_id in bank_docs else SOURCE_WORDS.get(
            suffix, f"{suffix.lstrip('.')} coding file" if suffix else "coding file")
        files.setdefault(file, kind)
    by_kind = pd.Series(list(files.values()), dtype=object).value_counts()
    order = sorted(by_kind.index, key=lambda k: (-by_kind[k], k))
    return _listed([counted(int(by_kind[k]), k) for k in order]) if order else ""


def methods_paragraph(study) -> str:
    """The methods paragraph, generated from the run (nothing typed by hand).

    Parameters
    ----------
    study : Study
        The study (tables, coders, manifest time, config's ``min_group_size``).

    Returns
    -------
    str
        The documents by kind and format in words ("3 plain-text transcripts"), participants,
        the import date, turns, codings, codes and levels, the coding sources in words ("a
        quote bank"; never study.yml or other configuration counted as a source), coders (and
        Krippendorff's alpha over all codes when there are two or more, or why it is not
        given), the counting rules and the software and pandas versions.
    """
    docs = study.documents
    levels = [lv for lv in dict.fromkeys(study.codebook["level"].fillna("").astype(str)) if lv]
    coders = study.coders()
    manifest = getattr(study, "manifest", {}) or {}
    sources = coding_sources_in_words(study)
    documents = transcripts_in_words(docs)
    parts = [
        f"{documents[:1].upper() + documents[1:]}, from "
        f"{counted(len(study.participants), 'participant')}, were imported"
        f"{' on ' + str(manifest.get('time'))[:10] if manifest.get('time') else ''}, cleaned (fillers and "
        f"transcriber annotations kept apart from counted words) and redacted before analysis, giving "
        f"{len(study.segments)} turns.",
        f"{counted(len(study.codings), 'coding')} of {counted(len(study.codebook), 'code')}"
        f"{' at the levels ' + ', '.join(levels) if levels else ''} were imported"
        f"{' from ' + sources if sources else ''}.",
        f"Coders: {', '.join(coders) if coders else 'one, unnamed'}.",
    ]
    if len(coders) >= 2:
        parts.append(_agreement_sentence(study))
    parts.append("Counting rules: codings of one document, coder and code whose spans overlap count as one "
                 "passage; a participant has a theme when any passage at or below it in the code hierarchy is "
                 "theirs; co-occurrence is counted by turn unless stated; attribute groups smaller than "
                 f"{_min_group(study)} participants are not reported.")
    parts.append(f"Analysis: Transcript Themes {__version__} (pandas {pd.__version__}).")
    return " ".join(parts)


def _min_group(study) -> int:
    from helpers.report.present import min_group_size

    return min_group_size(study)


def _agreement_sentence(study) -> str:
    import helpers

    try:
        table = helpers.agreement(study)
    except Exception as exc:  # noqa: BLE001 - say why rather than leave it out silently
        return f"Inter-coder agreement could not be computed ({type(exc).__name__})."
    overall = table[table.iloc[:, 0].astype(str) == "overall"] if len(table) else table
    alpha = next((c for c in table.columns if "alpha" in str(c).lower()), None)
    if overall.empty or alpha is None or pd.isna(overall[alpha].iloc[0]):
        return "Inter-coder agreement: see the agreement report."
    return f"Inter-coder agreement over all codes: Krippendorff's alpha {float(overall[alpha].iloc[0]):.2f}."


def theme_level(study):
    """The most general level with codes (the themes): the first of ``framework.theme_levels``.

    Parameters
    ----------
    study : Study
        The study (its codebook and levels).

    Returns
    -------
    str or None
        The level's name; None when the codebook names no level.
    """
    from helpers.analysis.themes import theme_levels

    return theme_levels(study)[0]


# -- Word -----------------------------------------------------------------------------------

def _table(document, frame: pd.DataFrame) -> None:
    from helpers.report.present import format_value, header

    table = document.add_table(rows=1, cols=len(frame.columns))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, frame.columns):
        cell.text = header(name)
    for row in frame.itertuples(index=False):
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = format_value(value)


def _contents(document, headings: list[str]) -> None:
    """The contents: a real Word table-of-contents field (headings 1–2, with page numbers, which
    Word fills in when the document opens: ``w:updateFields`` is set in its settings), then
    the same list in plain text for readers that do not update fields (python-docx cannot
    compute page numbers)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document.add_heading("Contents", level=1)
    paragraph = document.add_paragraph()
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, 'TOC \\o "1-2" \\h \\z \\u'), ("separate", None),
                       (None, None), ("end", None)):
        if kind is not None:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
            run._r.append(field)
        elif text is not None:
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = text
            run._r.append(instruction)
        else:
            shown = OxmlElement("w:t")
            shown.text = "Contents with page numbers: Word fills them in on opening (or right-click, Update Field)."
            run._r.append(shown)
    settings = document.settings.element
    update = settings.find(qn("w:updateFields"))
    if update is None:
        update = OxmlElement("w:updateFields")
        settings.append(update)
    update.set(qn("w:val"), "true")
    document.add_paragraph("The same chapters, without page numbers:")
    for n, text in enumerate(headings, start=1):
        document.add_paragraph(f"{n}. {text}")


def _save(document, path: Path) -> Path:
    """Save atomically, without save times (same inputs, same bytes; as atomic.write_excel)."""
    with atomic.atomic_path(path) as tmp:
        document.save(str(tmp))
        atomic._without_times(tmp)
    return path


def write_summary_docx(study, path: Path, quotes_per_cell: int = 2) -> Path:
    """Write ``summary.docx``: the report a researcher sends on (see the module docstring).

    Title page; contents (a Word field filled in on opening, and the same list as text);
    Methods (``methods_paragraph``); the codebook with counts (``codebook_table`` without
    ``participants_pct``); the participant × theme presence matrix (✓) at ``theme_level``;
    then a chapter per theme: its definition, how many participants have it, and up to
    ``quotes_per_cell`` quotes of each participant who has it (``themes.framework_matrix``).
    Saved atomically and without save times (same inputs, same bytes).

    Parameters
    ----------
    study : Study
        The study.
    path : Path
        The file to write.
    quotes_per_cell : int
        Quotes per participant in each theme chapter.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OSError
        The file cannot be written.
    """
    import docx

    from helpers.analysis import themes
    from helpers.report.present import format_percent

    level = theme_level(study)
    book = codebook_table(study)
    matrix = themes.theme_matrix(study, level=level, value="presence")
    long = themes.framework_matrix(study, level, quotes_per_cell=quotes_per_cell, form="long")
    labels = study.participant_label()
    theme_codes = [str(c) for c in matrix.columns]
    document = docx.Document()
    document.core_properties.title = study.title
    document.add_heading(study.title, level=0)
    document.add_paragraph(f"Summary report · Transcript Themes {__version__}")
    document.add_page_break()
    chapters = ["Methods", "Codebook", f"Participants × {level or 'codes'}"] + [f"Theme: {c}" for c in theme_codes]
    _contents(document, chapters)
    document.add_page_break()
    document.add_heading("Methods", level=1)
    document.add_paragraph(methods_paragraph(study))
    document.add_heading("Codebook", level=1)
    document.add_paragraph("Each code with its definition and counts (a code's counts include the codes below it).")
    _table(document, book.drop(columns=["participants_pct"]))
    document.add_heading(f"Participants × {level or 'codes'}", level=1)
    document.add_paragraph("✓: the participant has the theme (a passage at or below it is theirs).")
    shown = matrix.astype(bool).replace({True: "✓", False: ""})
    shown.insert(0, "participant", [str(labels.get(p, p)) for p in matrix.index])
    _table(document, shown.reset_index(drop=True))
    definitions = dict(zip(book["code"].astype(str), book["description"].astype(str)))
    for code in theme_codes:
        document.add_heading(f"Theme: {code}", level=1)
        if definitions.get(code):
            document.add_paragraph(definitions[code])
        has = matrix.index[matrix[code].astype(bool)]
        document.add_paragraph(f"Present for {len(has)} of {len(matrix)} participants "
                               f"({format_percent(len(has) / max(len(matrix), 1), 100.0)}).")
        cells = long[(long["code"].astype(str) == code) & (long["n_codings"] > 0)]
        for row in cells.itertuples(index=False):
            document.add_heading(str(row.participant or row.participant_id), level=2)
            for rank in range(1, quotes_per_cell + 1):
                quote, ref = getattr(row, f"quote_{rank}"), getattr(row, f"ref_{rank}")
                if isinstance(quote, str) and quote:
                    document.add_paragraph(f"“{quote}” ({ref})", style="Quote")
    return _save(document, path)


def write_codebook(study, folder: Path) -> tuple[Path, Path]:
    """Write ``codebook.docx`` and ``codebook.xlsx`` (sheet "codebook") in ``folder``: ``codebook_table``.

    Parameters
    ----------
    study : Study
        The study.
    folder : Path
        An existing folder (reports/<study>/ or the run's bundle).

    Returns
    -------
    tuple of (Path, Path)
        The Word file and the Excel file, both written atomically.

    Raises
    ------
    OSError
        A file cannot be written.
    """
    import docx

    book = codebook_table(study)
    document = docx.Document()
    document.add_heading(f"{study.title}: codebook", level=0)
    document.add_paragraph("Each code with its level, the code above it, its definition and how widely it is "
                           "used (counts include the codes below it).")
    _table(document, book)
    docx_path = _save(document, folder / CODEBOOK_DOCX)
    xlsx_path = folder / CODEBOOK_XLSX
    atomic.write_excel(xlsx_path, {"codebook": book})
    return docx_path, xlsx_path


def _workbook_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A table read back from its CSV as the workbook should hold it: numbers as numbers
    (a column whose every filled cell is a number), text as text with the CSV's formula
    guard (a leading ' before = + - @) taken off, since ``atomic.write_excel`` writes text
    cells as strings, never formulas."""
    out = frame.apply(lambda col: col.map(atomic.restore_cell))
    for name in out.columns:
        filled = out[name][out[name] != ""]
        numbers = pd.to_numeric(filled, errors="coerce")
        if len(filled) and numbers.notna().all():
            out[name] = pd.to_numeric(out[name].replace("", None), errors="coerce")
    return out


def write_tables_workbook(study, folder: Path) -> Path | None:
    """Write ``tables.xlsx``: every ``tables/*.csv`` of the study on its own sheet.

    Sheets are named after the file (Excel-safe, cut to 31 characters, a ``~2``, ``~3`` …
    suffix keeping them unique), after a first "contents" sheet with columns ``sheet``,
    ``file`` (``tables/<name>.csv``) and ``rows``. Cells are read back as the workbook should
    hold them: numbers as numbers, text without the CSV's formula guard.

    Parameters
    ----------
    study : Study
        The study (its ``paths.tables``).
    folder : Path
        The folder to write into.

    Returns
    -------
    Path or None
        ``folder/tables.xlsx``; None (nothing written) for an in-memory study or one without a
        tables folder.

    Raises
    ------
    OSError
        A CSV cannot be read or the workbook cannot be written.
    """
    if study.paths is None or not study.paths.tables.is_dir():
        return None
    sheets: dict[str, pd.DataFrame] = {}
    contents = []
    for csv in sorted(study.paths.tables.glob("*.csv")):
        try:
            frame = _workbook_frame(pd.read_csv(csv, dtype=str, keep_default_na=False))
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame()
        name = atomic.safe_sheet_name(csv.stem)
        n = 2
        while name in sheets or name == "contents":
            suffix = f"~{n}"
            name = atomic.safe_sheet_name(csv.stem)[:31 - len(suffix)] + suffix
            n += 1
        sheets[name] = frame
        contents.append({"sheet": name, "file": f"tables/{csv.name}", "rows": len(frame)})
    target = folder / TABLES_XLSX
    atomic.write_excel(target, {"contents": pd.DataFrame(contents, columns=["sheet", "file", "rows"]), **sheets})
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
