"""The Word deliverables (issue 15 split of :mod:`helpers.report.deliverables`): ``summary.docx``
(title page, contents, methods, codebook, participant × theme matrix, a chapter per theme with
its quotes) and ``codebook.docx`` with its Excel twin ``codebook.xlsx``, from the codebook with
counts (``codebook_table``). Saved atomically and without save times.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers import __version__, atomic
from helpers.report.deliverables_methods import methods_paragraph

SUMMARY, CODEBOOK_DOCX, CODEBOOK_XLSX = "summary.docx", "codebook.docx", "codebook.xlsx"


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
    """``frame`` as a Word table, its cells as the pages show them (``present.table``: headers
    in words, each column's numbers and percentages in one format, not "75" beside "62.50")."""
    import html

    from helpers.report.present import table as page_table

    shown = page_table(frame).frame
    table = document.add_table(rows=1, cols=len(shown.columns))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, shown.columns):
        cell.text = str(name)
    for row in shown.itertuples(index=False):
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = html.unescape(str(value))


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
