"""One presentation layer for every table and figure in every report.

Reports are read by supervisors, not programmers: a raw DataFrame shows a
0…n index, ``NaN``, ``<NA>``, ``None``, ``True``, ``[]``, ``78.571429``,
``5.2e-16`` and snake_case headers, and pandas cuts long text at 50
characters. ``table()`` turns any analysis table into a pandas ``Styler``
page table (pandas' own, maintained renderer) with:

- no index column (a meaningful index becomes an ordinary first column);
- headers in words, with units (``participants_pct`` -> "Participants (%)");
- integers as integers, percentages with sensible decimals, p-values as
  ``< 0.001``, other decimals to three significant places at most;
- blanks for missing values, lists joined with "; ", yes/no for flags;
- text escaped and wrapped, never truncated (a KWIC left context is
  right-aligned so the words next to the keyword stay next to it);
- optional links from numbers to the evidence pages that list what they count;
- a caption and a "how to read this" note.

``setup()`` (called once in each notebook) makes every matplotlib figure carry
alt text saying what it shows (``describe``) and be kept as PNG and SVG, which
the page renderer saves into the report's ``figures/`` folder.

Rules for formatting live here and nowhere else; the notebooks only call them. The
cell formatting is in ``present_format`` and the reading guides and alt text in
``present_guides`` (split for issue 15); their names are re-exported from here.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from helpers.report.present_data import TABLE_MIME, columns_of, frame_data, prepared, table_data
from helpers.report.present_format import (  # re-exported: split out of this module (issue 15)
    HEADERS,
    P_COLUMNS,
    PCT_COLUMNS,
    SHARE_COLUMNS,
    TEXT_FLAGS,
    TEXT_MISSING,
    format_number,
    format_p,
    format_percent,
    format_value,
    header,
    is_missing,
)
from helpers.report.present_groups import (  # re-exported: small attribute groups (issue 16 item 6)
    COMPLEMENTARY_WHY,
    MISSING_GROUP_NAMES,
    breakdown,
    frame_group_sizes,
    group_sizes,
    min_group_size,
    suppress_small_groups,
    suppressed,
)
from helpers.report.present_guides import (  # re-exported: split out of this module (issue 15)
    GENERIC,
    GUIDES,
    describe,
    guide,
    how_to_read,
    is_generic,
)

__all__ = ["GENERIC", "GUIDES", "HEADERS", "KEYNESS_HEADERS", "MAX_ROWS", "PCT_COLUMNS", "P_COLUMNS", "SHARE_COLUMNS",
           "TEXT_FLAGS", "TEXT_MISSING", "WIDE_COLUMNS", "Table", "breakdown", "describe", "figure_png",
           "figure_svg", "format_number", "format_p", "format_percent", "format_value", "group_sizes", "guide",
           "header", "how_to_read", "is_generic", "is_missing", "keyness_table", "min_group_size", "setup", "shown_rows",
           "suppress_small_groups", "suppressed", "table", "table_formatters", "frame_group_sizes",
           "MISSING_GROUP_NAMES", "COMPLEMENTARY_WHY"]

WIDE_COLUMNS = 10   # tables with more columns print on a landscape A4 page (pages.PAGE_CSS)


@dataclass
class Table:
    """A table ready for a page: ``frame`` holds the display text of each cell
    (HTML-escaped, links added), ``classes`` the CSS class of each cell."""

    frame: pd.DataFrame
    classes: pd.DataFrame
    caption: str = ""
    note: str = ""
    source: pd.DataFrame = field(default_factory=pd.DataFrame)
    # the source as laid out (present_data.prepared) and (header, kind) of each column (columns_of);
    # left out of the repr, so the notebook's text/plain of a table is as before
    prepared: pd.DataFrame | None = field(default=None, repr=False)
    columns: list | None = field(default=None, repr=False)

    def data(self) -> dict:
        """The table's data for the workbook (``present_data.table_data``): every row given, as values."""
        source = self.prepared if self.prepared is not None else prepared(self.source)
        return table_data(source, self.columns or columns_of(source), self.caption, self.note)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        # beside the page HTML (``_repr_html_``), the data under a type no page shows (issue 16 item 5)
        return {TABLE_MIME: self.data()}

    def to_html(self) -> str:
        styler = self.frame.style.hide(axis="index").set_td_classes(self.classes).set_uuid("tt")
        styler = styler.format_index(escape="html", axis=1)
        body = styler.to_html(table_attributes='class="tt"')
        body = re.sub(r"<style[^>]*>.*?</style>", "", body, flags=re.S)  # empty: the page CSS styles tables
        caption = f"<figcaption class=\"caption\">{html.escape(self.caption)}</figcaption>" if self.caption else ""
        note = (f"<p class=\"how-to-read\"><strong>How to read this.</strong> {html.escape(self.note)}</p>"
                if self.note else "")
        empty = "<p class=\"empty\">No rows.</p>" if self.frame.empty else ""
        wide = " wide" if len(self.frame.columns) > WIDE_COLUMNS else ""  # printed on a landscape page
        return f"<figure class=\"tt-table{wide}\">{caption}<div class=\"scroll\">{body}</div>{empty}{note}</figure>"

    def _repr_html_(self) -> str:
        return self.to_html()


def table(frame: pd.DataFrame, *, caption: str = "", note: str = "", headers: dict | None = None,
          percent: Iterable = (), shares: Iterable = (), pvalues: Iterable = (),
          links: Callable[[pd.Series, object], str | None] | None = None,
          index: bool | None = None, decimals: dict | None = None) -> Table:
    """An analysis table as a page table (see the module docstring).

    Parameters
    ----------
    frame : DataFrame
        Any table from ``helpers``; a MultiIndex in rows or columns is flattened.
    caption, note : str
        A caption above and a "how to read this" sentence below the table
        (default: ``guide(frame)``, so that no table goes without one).
    headers : dict, optional
        Column -> header text, overriding the automatic wording.
    percent, shares, pvalues : iterable of column names
        Columns to show as percentages (values 0–100), as percentages of a
        share (values 0–1), or as p-values. Columns named ``*_pct``, ``*share*``
        and ``p``/``q``/``p_adj`` are recognised without being listed.
    links : callable, optional
        ``links(row, column) -> href or None`` for numeric cells: the number
        becomes a link to the evidence that it counts. ``row`` is the source row
        (with the index column included).
    index : bool, optional
        Keep the index as the first column. Default: kept unless it is an
        unnamed integer index (row numbers, in any order).
    decimals : dict, optional
        Column -> a fixed number of decimals for its numbers and percentages, so that
        a column reads alike ("0.25", "1.50", "2.00" rather than "0.250", "1.50", "2").

    Returns
    -------
    Table
        ``frame`` (display text, one column per source column, header in
        words) and ``classes``; shows as HTML in a notebook.
    """
    source = prepared(frame, index)
    columns = columns_of(source, headers, percent, shares, pvalues)
    shown = {}
    classes = {}
    for position, (label, kind) in enumerate(columns):
        name = source.columns[position]
        series = source.iloc[:, position]
        fixed = (decimals or {}).get(name)
        if fixed is not None and kind in ("percent", "share", "number"):
            scale = 100.0 if kind == "share" else 1.0
            unit = " %" if kind != "number" else ""
            cells = ["" if is_missing(v) else f"{float(v) * scale:,.{int(fixed)}f}{unit}" for v in series]
        elif kind == "p":
            cells = [format_p(v) for v in series]
        elif kind == "percent":
            cells = [format_percent(v) for v in series]
        elif kind == "share":
            cells = [format_percent(v, 100.0) for v in series]
        elif kind == "number":
            cells = [format_number(v) for v in series]
        else:
            cells = [format_value(v) for v in series]
        cells = [html.escape(c) for c in cells]
        if links is not None and kind != "text":
            for i, (cell, (_, row)) in enumerate(zip(cells, source.iterrows())):
                href = links(row, name) if cell not in ("", "0") else None
                if href:
                    cells[i] = f"<a href=\"{html.escape(href)}\">{cell}</a>"
        shown[label] = cells
        css = "num" if kind != "text" else ("left-context" if str(name) == "left" else "text")
        classes[label] = [css] * len(cells)
    out = pd.DataFrame(shown, columns=list(shown))
    return Table(out, pd.DataFrame(classes, columns=list(shown)), caption, note or guide(frame), frame,
                 prepared=source, columns=columns)


KEYNESS_HEADERS = {"n_group": "Times said (group)", "n_rest": "Times said (rest)",
                   "per_1000_group": "Per 1,000 words (group)", "per_1000_rest": "Per 1,000 words (rest)",
                   "use": "Group says it", "expected": "Expected times (group)", "tested": "Tested"}


def keyness_table(key: pd.DataFrame, top: int = 30) -> Table:
    """The keyness table (``frequency.keyness``) for a page: the ``top`` terms
    by G², tested terms first, headers in words, "over"/"under" as "more" /
    "less", untested p-values blank and said so.

    Parameters
    ----------
    key : DataFrame
        ``frequency.keyness(...)``: first column the group, then ``term``,
        ``n_group``, ``n_rest``, ``per_1000_group``, ``per_1000_rest``,
        ``g2``, ``log_ratio``, ``p``, ``use``, ``expected``, ``tested``, ``q``.
    top : int
        Rows shown (the whole table is in tables/keyness_*.csv).

    Returns
    -------
    Table
    """
    frame = key.copy()
    if "tested" in frame:
        frame = frame.sort_values(["tested", "g2", "term"], ascending=[False, False, True], kind="stable")
    else:
        frame = frame.sort_values(["g2", "term"], ascending=[False, True], kind="stable")
    frame = frame.head(top).reset_index(drop=True)
    if "use" in frame:
        frame["use"] = frame["use"].map({"over": "more", "under": "less"}).fillna(frame["use"])
    order = [c for c in [frame.columns[0], "term", "use", "n_group", "n_rest", "per_1000_group", "per_1000_rest",
                         "g2", "log_ratio", "p", "q", "tested", "expected"] if c in frame.columns]
    order += [c for c in frame.columns if c not in order]
    group = str(frame.columns[0])
    note = (f"Each row is a word that one {header(group).lower()} says more (or less) than the other participants, strongest "
            f"difference (G²) first, tested words first. Per 1,000 words compares rates; a log ratio of 1 means "
            f"twice as often. p and q are blank where the word was not tested (expected count below 5): read "
            f"those rows as counts only. The first {len(frame)} of {len(key):,} rows are shown; the whole table is "
            f"in tables/keyness_{group}.csv and tables.xlsx.")
    return table(frame[order], headers=KEYNESS_HEADERS, note=note, index=False)


# -- figures ---------------------------------------------------------------------------

def figure_png(fig) -> tuple[bytes, dict]:
    """PNG bytes of a figure, with its alt text and reading guide as display metadata.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (saved with a tight bounding box).

    Returns
    -------
    tuple of (bytes, dict)
        The PNG, and ``{"alt": describe(fig), "how_to_read": how_to_read(fig)}`` (IPython's
        formatter form: data and metadata).
    """
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue(), {"alt": describe(fig), "how_to_read": how_to_read(fig)}


def figure_svg(fig) -> str:
    """SVG text of a figure: no date and fixed ids, so the same figure gives the same bytes on every run.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (saved with a tight bounding box).

    Returns
    -------
    str
        The SVG document.
    """
    import io

    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "transcript-themes"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def setup() -> None:
    """Call once at the top of a notebook: figures and tables shown as the pages want them.

    Every figure shown is kept as PNG (with alt text from ``describe`` and the reading guide
    as metadata, ``figure_png``) and SVG (``figure_svg``); the page renderer shows the PNG and
    saves both into ``reports/<study>/figures/``. Every DataFrame shown goes through ``table``
    (``shown_rows``), and its data (the whole frame) is emitted beside the page HTML under
    ``present_data.TABLE_MIME`` for tables.xlsx, as every ``Table`` does. Outside IPython it does nothing.

    Returns
    -------
    None
        The running IPython shell's display formatters are changed.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return
    shell = get_ipython()
    if shell is None:
        return
    from matplotlib.figure import Figure
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("png", "svg")
    formatters = shell.display_formatter.formatters

    formatters["image/png"].for_type(Figure, figure_png)
    formatters["image/svg+xml"].for_type(Figure, figure_svg)
    table_formatters(shell.display_formatter)


def table_formatters(display_formatter) -> None:
    """Show every DataFrame as ``setup`` wants: the page table (``shown_rows``) as text/html and,
    beside it, the whole frame's data (``present_data.frame_data``, up to ``MAX_DATA_ROWS`` rows)
    under ``TABLE_MIME`` for tables.xlsx.

    Parameters
    ----------
    display_formatter : IPython.core.formatters.DisplayFormatter
        The shell's display formatter (``get_ipython().display_formatter``); changed in place.

    Returns
    -------
    None
    """
    # Every DataFrame a notebook shows goes through ``table``: no raw pandas HTML on any page.
    display_formatter.formatters["text/html"].for_type(pd.DataFrame, lambda frame: shown_rows(frame).to_html())
    display_formatter.mimebundle_formatter.for_type(
        pd.DataFrame, lambda frame: {TABLE_MIME: frame_data(frame, guide(frame))})


MAX_ROWS = 500


def shown_rows(frame: pd.DataFrame, max_rows: int = MAX_ROWS) -> Table:
    """``table(frame)``, with at most ``max_rows`` rows on the page.

    Parameters
    ----------
    frame : DataFrame
        Any table from ``helpers``.
    max_rows : int
        Rows shown at most.

    Returns
    -------
    Table
        The page table; when rows were left off, its note (the reading guide) says how many
        were shown and that the full table is in the tables/ folder and tables.xlsx.
    """
    if len(frame) <= max_rows:
        return table(frame)
    return table(frame.head(max_rows), note=f"{guide(frame)} The first {max_rows} of {len(frame):,} rows are "
                                           "shown; the full table is in the study's tables/ folder and tables.xlsx.")
