"""The tables the pages show, for ``tables.xlsx`` (issue 16 item 5: every table on a named sheet).

Each table a notebook displays carries its data beside its page HTML (``present_data.TABLE_MIME``);
this module reads them from the executed notebooks of a bundle (``executed/<stem>.ipynb``: those
run and those carried over from the previous run alike) and lays them out as sheets:

- a study-wide page: one sheet per table, named "<page number> <heading>" after the nearest
  heading above it on the page (cut at a word to Excel's 31 characters; a second table under
  one heading "<heading> (2)", listed in the contents as "<heading> (table 2)");
- the per-participant profile pages: one sheet per kind of table, the participants' tables
  stacked with a "Participant" column first, rather than one sheet per participant.

Headers are the page's words; cells are values (numbers numeric).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from helpers import atomic
from helpers.report.present_data import TABLE_MIME
from helpers.report.registry import PROFILE
from helpers.textutil import plural

__all__ = ["PageTable", "page_sheets", "page_tables", "unique_sheet_name"]

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass
class PageTable:
    """One table shown on a page: the page (``stem``, ``title``), the nearest heading above it,
    its place under that heading (1, 2 …) and its data (``present_data.table_data``)."""

    stem: str
    title: str
    heading: str
    number: int
    data: dict
    participant: str = ""

    @property
    def label(self) -> str:
        """The table as the contents sheet names it: its heading, "(table 2)" for a second one."""
        return self.heading if self.number == 1 else f"{self.heading} (table {self.number})"

    def frame(self) -> pd.DataFrame:
        """The table's rows under its headers in words."""
        columns = [str(c) for c in self.data.get("columns", [])]
        return pd.DataFrame(self.data.get("rows", []), columns=columns)


def _text(source) -> str:
    return source if isinstance(source, str) else "".join(source or [])


def _headings(markdown: str) -> list[tuple[int, str]]:
    out, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(2))  # a link: its words
            out.append((len(match.group(1)), re.sub(r"[*_`]", "", text).strip()))
    return out


def page_tables(executed: Path) -> list[PageTable]:
    """The tables shown on one page, in page order, each with the nearest heading above it.

    Parameters
    ----------
    executed : Path
        An executed notebook (``reports/<study>/executed/<stem>.ipynb``).

    Returns
    -------
    list of PageTable
        Every display output carrying ``TABLE_MIME``. Headings are read from markdown cells and
        markdown outputs; the page title is the first level-1 heading (else the stem). For a
        profile page, ``participant`` is the papermill parameter ``participant`` (else the stem's
        end).

    Raises
    ------
    OSError, ValueError
        The notebook cannot be read or is not JSON.
    """
    nb = json.loads(executed.read_text(encoding="utf-8"))
    stem = executed.stem
    title, heading, counts, found = "", "", {}, []
    params = (nb.get("metadata", {}).get("papermill", {}) or {}).get("parameters") or {}
    participant = ""
    if stem.startswith(PROFILE[0]):
        participant = str(params.get("participant") or stem[len(PROFILE[0]):].lstrip("-"))

    def seen(markdown: str) -> None:
        nonlocal title, heading
        for level, text in _headings(markdown):
            if level == 1 and not title:
                title = text
            heading = text

    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            seen(_text(cell.get("source")))
        for output in cell.get("outputs", []) or []:
            data = output.get("data", {}) or {}
            if "text/markdown" in data:
                seen(_text(data["text/markdown"]))
            record = data.get(TABLE_MIME)
            if isinstance(record, dict):
                where = heading or title or stem
                counts[where] = counts.get(where, 0) + 1
                found.append(PageTable(stem, "", where, counts[where], record, participant))
    for table in found:
        table.title = title or stem
    return found


def unique_sheet_name(name: str, taken) -> str:
    """An Excel-safe sheet name (``atomic.safe_sheet_name``: at most 31 characters) not in ``taken``.

    Parameters
    ----------
    name : str
        The wanted name.
    taken : collection of str
        Names already used ("contents" is always taken); compared case-blind, as Excel does.

    Returns
    -------
    str
        ``name`` made safe, or with a ``~2``, ``~3`` … suffix (cut to fit) when that is taken.
    """
    safe = atomic.safe_sheet_name(name).strip().strip("'").strip() or "Sheet"  # no ' at either end (Excel)
    used = {str(t).lower() for t in taken} | {"contents"}  # Excel compares sheet names case-blind
    candidate, n = safe, 2
    while candidate.lower() in used:
        suffix = f"~{n}"
        candidate = safe[:31 - len(suffix)] + suffix
        n += 1
    return candidate


def _prefix(stem: str) -> str:
    number = stem.split("-", 1)[0]
    return f"{number} " if number.isdigit() else ""


def _sheet(table: PageTable) -> str:
    """The sheet name wanted for a table: "<page number> <heading>", cut at a word to fit 31
    characters with " (2)", " (3)" … for a second, third table under one heading."""
    prefix, suffix = _prefix(table.stem), "" if table.number == 1 else f" ({table.number})"
    text, room = prefix + table.heading, 31 - len(suffix)
    if len(text) > room:
        cut = text[:room + 1].rfind(" ")
        text = (text[:cut] if cut > len(prefix) else text[:room]).rstrip(" ,;:-–(")
    return text + suffix


def _note(tables: list[PageTable]) -> str:
    cut = [t for t in tables if t.data.get("cut")]
    if not cut:
        return ""
    kept = sum(len(t.data.get("rows", [])) for t in cut)
    whole = sum(int(t.data.get("n_rows", 0)) for t in cut)
    return f"cut: the first {kept:,} of {whole:,} rows are on the sheet"


def page_sheets(executed: Path, taken) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """The sheets of the tables shown on a bundle's pages, and their rows of the contents sheet.

    Parameters
    ----------
    executed : Path
        The bundle's ``executed/`` folder; every ``<stem>.ipynb`` is read in name order
        (``*.failed.ipynb`` and temporary files of unfinished writes are not).
    taken : collection of str
        Sheet names already used (the CSV sheets).

    Returns
    -------
    tuple of (dict, list of dict)
        Sheet name -> table; and per sheet ``sheet``, ``file`` (the page, ``<stem>.html``, or
        ``05-participant-profile-*.html``), ``rows``, ``page`` (its title), ``table`` (the nearest
        heading above it), ``how to read`` (the reading guide) and ``note`` (rows left off).

    Raises
    ------
    OSError, ValueError
        A notebook cannot be read.
    """
    taken = set(taken)
    sheets: dict[str, pd.DataFrame] = {}
    contents: list[dict] = []
    profiles: dict[tuple[str, int], list[PageTable]] = {}
    notebooks = sorted(p for p in executed.glob("*.ipynb") if not p.name.endswith(".failed.ipynb")
                       and atomic.temp_writer(p) is None) if executed.is_dir() else []
    for path in notebooks:
        for table in page_tables(path):
            if table.participant:
                profiles.setdefault((table.heading, table.number), []).append(table)
                continue
            name = unique_sheet_name(_sheet(table), taken | set(sheets))
            sheets[name] = table.frame()
            contents.append({"sheet": name, "file": f"{table.stem}.html", "rows": len(sheets[name]),
                             "page": table.title, "table": table.label,
                             "how to read": str(table.data.get("note", "")), "note": _note([table])})
    for tables in profiles.values():
        first = tables[0]
        column = "Participant" if "Participant" not in first.data.get("columns", []) else "Profile of participant"
        frames = [t.frame().assign(**{column: t.participant}) for t in tables]
        filled = [f for f in frames if len(f)] or frames[:1]  # an empty table adds no rows
        stacked = pd.concat(filled, ignore_index=True, sort=False)
        stacked = stacked[[column, *[c for c in stacked.columns if c != column]]]
        name = unique_sheet_name(_sheet(first), taken | set(sheets))
        sheets[name] = stacked
        contents.append({"sheet": name, "file": f"{PROFILE[0]}-*.html", "rows": len(stacked),
                         "page": f"{first.title} (one page per participant; {plural(len(tables), 'participant')} "
                                 f"stacked)", "table": first.label,
                         "how to read": str(first.data.get("note", "")), "note": _note(tables)})
    return sheets, contents
