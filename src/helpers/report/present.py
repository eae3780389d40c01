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

Rules for formatting live here and nowhere else; the notebooks only call them.
"""
from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Headers that need more than "snake_case -> Words" (units, field terms).
HEADERS = {
    "doc_id": "Document", "participant_id": "Participant", "seg_no": "Turn", "seg_first": "First turn",
    "seg_last": "Last turn", "n_words": "Words", "n_segments": "Turns", "speaker_role": "Speaker role",
    "participants_pct": "Participants (%)", "words_coded": "Words coded", "group_size": "Group size (participants)",
    "applications": "Applications", "segments": "Turns (segments)", "documents": "Documents",
    "participants": "Participants", "p": "p", "q": "q (BH-adjusted p)", "p_adj": "p (BH-adjusted)",
    "g2": "G² (log-likelihood)", "log_ratio": "Log ratio (log₂)", "c": "c-coefficient", "n12": "Both (n₁₂)",
    "n1": "First code (n₁)", "n2": "Second code (n₂)", "code_a": "Code A", "code_b": "Code B",
    "kappa": "Cohen's κ", "alpha": "Krippendorff's α", "left": "Before", "match": "Keyword", "right": "After",
    "start": "Start (character)", "end": "End (character)", "obs_exp": "Observed ÷ expected",
    "share": "Share (%)", "n_a": "Code A (n₁)", "n_b": "Code B (n₂)", "n_ab": "Both (n₁₂)",
}
# Columns holding p-values (formatted "< 0.001").
P_COLUMNS = re.compile(r"^(p|q|p_?adj|p_?value|q_?value|fisher_p|p_bh|pvalue)$", re.I)
# Columns holding percentages already scaled 0–100.
PCT_COLUMNS = re.compile(r"(_pct|pct|percent)$", re.I)
# Columns holding shares on 0–1, shown as percentages.
SHARE_COLUMNS = re.compile(r"(^|_)share($|_)", re.I)


WIDE_COLUMNS = 10   # tables with more columns print on a landscape A4 page (pages.PAGE_CSS)
TEXT_MISSING = {"nan", "NaN", "None", "<NA>", "NaT", "[]"}
TEXT_FLAGS = {"True": "yes", "False": "no"}


def header(name) -> str:
    """A column name as words with its unit: ``participants_pct`` -> "Participants (%)".

    Parameters
    ----------
    name : object
        A column label (tuples from a column MultiIndex are joined with " · ").

    Returns
    -------
    str
    """
    if isinstance(name, tuple):
        return " · ".join(header(n) for n in name if str(n) != "")
    text = str(name)
    if text in HEADERS:
        return HEADERS[text]
    if PCT_COLUMNS.search(text) and text.lower() not in ("pct", "percent"):
        return header(PCT_COLUMNS.sub("", text).rstrip("_ ")) + " (%)"
    if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", text):  # snake_case only: codes and names stay as written
        words = text.replace("_", " ")
        return words[:1].upper() + words[1:]
    return text


def is_missing(value) -> bool:
    """True for None, NaN, pd.NA, NaT and empty lists (shown blank)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return len(value) == 0
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_p(value) -> str:
    """A p-value: ``< 0.001`` below 0.001, else three decimals; blank when missing."""
    if is_missing(value):
        return ""
    value = float(value)
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def format_percent(value, scale: float = 1.0) -> str:
    """A percentage (``value * scale``): whole numbers without decimals, one
    decimal otherwise; blank when missing."""
    if is_missing(value):
        return ""
    pct = float(value) * scale
    return f"{pct:.0f} %" if abs(pct - round(pct)) < 0.05 else f"{pct:.1f} %"


def format_number(value) -> str:
    """Integers with thousands separators; decimals with at most three
    significant places (never scientific notation); blank when missing."""
    if is_missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    number = float(value)
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    if number == round(number) and abs(number) < 1e15:
        return f"{int(round(number)):,}"
    size = abs(number)
    if size >= 100:
        return f"{number:,.0f}"
    if size >= 1:
        return f"{number:.2f}"
    if size >= 0.001:
        return f"{number:.3f}"
    return "< 0.001" if number > 0 else "> −0.001"


def format_value(value) -> str:
    """Any other cell as plain text: lists joined with "; ", flags as yes/no."""
    if is_missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        return "; ".join(format_value(v) for v in items if not is_missing(v))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return format_number(value)
    text = str(value)
    # Tables read back from CSV as text carry pandas' own spellings of missing and flags.
    if text.strip() in TEXT_MISSING:
        return ""
    return TEXT_FLAGS.get(text.strip(), text)


def _column_kind(name, series: pd.Series, percent: Iterable, shares: Iterable, pvalues: Iterable) -> str:
    text = str(name[-1] if isinstance(name, tuple) else name)
    if name in pvalues or P_COLUMNS.match(text):
        return "p"
    if name in shares or (SHARE_COLUMNS.search(text) and pd.api.types.is_numeric_dtype(series)):
        return "share"
    if name in percent or PCT_COLUMNS.search(text):
        return "percent"
    if pd.api.types.is_bool_dtype(series):
        return "text"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    return "text"


@dataclass
class Table:
    """A table ready for a page: ``frame`` holds the display text of each cell
    (HTML-escaped, links added), ``classes`` the CSS class of each cell."""

    frame: pd.DataFrame
    classes: pd.DataFrame
    caption: str = ""
    note: str = ""
    source: pd.DataFrame = field(default_factory=pd.DataFrame)

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


# "How to read this" for the tables the reports show, recognised by their columns (first match wins).
GUIDES = [
    ({"left", "match", "right"}, "Each row is one occurrence of the keyword in a participant's turn, with the "
                                 "whole words before and after it; Document and Turn say where it is."),
    ({"g2", "log_ratio"}, "Each row is a word one group says more (or less) than the others: N group and N rest "
                          "count it, G² measures how surprising the difference is (higher: more), the log ratio its "
                          "size (1: twice as often), p and q whether it could be chance; rows not tested show counts "
                          "only."),
    ({"code_a", "code_b"}, "Each row is a pair of codes: how often each occurs on its own and together, and how "
                           "strongly they go together (c-coefficient 0–1; observed ÷ expected above 1: more often "
                           "than chance)."),
    ({"code", "applications"}, "Each row is a code: applications are its passages, turns the turns they touch, "
                               "documents and participants how many hold it; (%) columns are shares of all "
                               "participants."),
    ({"alpha"}, "Each row is a code (\"overall\" pools them): Krippendorff's α and Cohen's κ run from 0 (chance) "
                "to 1 (full agreement); 0.8 and above is reliable, 0.667–0.8 tentative."),
    ({"term", "n"}, "Each row is a word or phrase and how many times participants said it (fillers and stop "
                    "words left out)."),
    ({"n_without"}, "Each row is a code: the participants who do not have it (negative cases), how many of all "
                    "participants, and who they are; their talk is worth reading for why."),
    ({"interview", "n_new"}, "Each row is an interview in interview order: the codes it adds that no earlier "
                             "interview had, and the distinct codes so far."),
    ({"recurrent"}, "Each row is a code: n of the N participants have it, shown as a share; recurrent means "
                    "the share reaches the threshold."),
]


def guide(frame: pd.DataFrame) -> str:
    """A "how to read this" sentence for a table: by its columns for the tables
    the reports show (``GUIDES``), else what a row is and what its columns give.

    Parameters
    ----------
    frame : DataFrame
        The table as the analysis returned it (index included).

    Returns
    -------
    str
        One or two sentences; never empty.
    """
    columns = {str(c[-1] if isinstance(c, tuple) else c) for c in frame.columns}
    for needed, text in GUIDES:
        if needed <= columns:
            return text
    index_named = [n for n in frame.index.names if n is not None]
    if len(frame.columns) and list(map(str, frame.index)) == list(map(str, frame.columns)):
        return ("Each row and each column is a code: a cell gives the two codes together; the diagonal, the "
                "code on its own.")
    names = index_named + [c for c in frame.columns]
    if not names:
        return "An empty table."
    first, rest = header(names[0]).lower(), [header(n) for n in names[1:]]
    if not rest:
        return f"Each row is one {first}."
    shown = ", ".join(rest[:5]) + (" and the other columns" if len(rest) > 5 else "")
    return f"Each row is one {first}; read across for its {shown}."


def table(frame: pd.DataFrame, *, caption: str = "", note: str = "", headers: dict | None = None,
          percent: Iterable = (), shares: Iterable = (), pvalues: Iterable = (),
          links: Callable[[pd.Series, object], str | None] | None = None,
          index: bool | None = None) -> Table:
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

    Returns
    -------
    Table
        ``frame`` (display text, one column per source column, header in
        words) and ``classes``; shows as HTML in a notebook.
    """
    source = frame.copy()
    # An unnamed integer index (0…n-1, or what is left of it after sorting or filtering) is row numbers.
    plain = source.index.nlevels == 1 and source.index.name is None and pd.api.types.is_integer_dtype(source.index)
    keep_index = index if index is not None else not plain
    if keep_index:
        names = [n if n is not None else "" for n in source.index.names]
        if len(names) == 1 and names[0] == "" :
            source.index.name = "" if source.columns.nlevels == 1 else None
        source = source.reset_index()
    else:
        source = source.reset_index(drop=True)
    if isinstance(source.columns, pd.MultiIndex):
        source.columns = [" · ".join(str(x) for x in col if str(x) != "") for col in source.columns]
    percent, shares, pvalues = set(percent), set(shares), set(pvalues)
    shown = {}
    classes = {}
    for position, name in enumerate(source.columns):
        series = source.iloc[:, position]
        kind = _column_kind(name, series, percent, shares, pvalues)
        if kind == "p":
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
        label = (headers or {}).get(name, header(name))
        while label in shown:  # two columns with one header would merge
            label += " "
        shown[label] = cells
        css = "num" if kind != "text" else ("left-context" if str(name) == "left" else "text")
        classes[label] = [css] * len(cells)
    out = pd.DataFrame(shown, columns=list(shown))
    return Table(out, pd.DataFrame(classes, columns=list(shown)), caption, note or guide(frame), frame)


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
    note = (f"Each row is a word that one {group} says more (or less) than the other participants, strongest "
            f"difference (G²) first, tested words first. Per 1,000 words compares rates; a log ratio of 1 means "
            f"twice as often. p and q are blank where the word was not tested (expected count below 5): read "
            f"those rows as counts only. The first {len(frame)} of {len(key):,} rows are shown; the whole table is "
            f"in tables/keyness_{group}.csv and tables.xlsx.")
    return table(frame[order], headers=KEYNESS_HEADERS, note=note, index=False)


def suppress_small_groups(frame: pd.DataFrame, by: str, sizes: dict, min_group_size: int = 3
                          ) -> tuple[pd.DataFrame, str]:
    """Drop the rows of attribute groups with fewer than ``min_group_size``
    participants: a group of one or two people identifies them.

    Parameters
    ----------
    frame : DataFrame
        A breakdown with a column ``by`` naming each row's group.
    by : str
        The attribute column.
    sizes : dict
        Group -> number of participants in it.
    min_group_size : int
        Smallest group shown (study.yml ``min_group_size``, default 3; the
        usual small-cell rule of statistical disclosure control).

    Returns
    -------
    (DataFrame, str)
        The rows of groups large enough, and a sentence naming how many groups
        were suppressed (empty when none), never naming their members.
    """
    small = sorted(str(g) for g, n in sizes.items() if n < min_group_size)
    if not small or by not in frame:
        return frame, ""
    kept = frame[~frame[by].astype(str).isin(small)].reset_index(drop=True)
    sentence = (f"{len(small)} group(s) of '{by}' with fewer than {min_group_size} participants "
                f"({', '.join(small)}) not shown: groups that small identify the people in them "
                f"(min_group_size in study.yml).")
    return kept, sentence


def breakdown(study, frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """An attribute breakdown ready to show or write: groups smaller than the
    study's ``min_group_size`` removed, and, when any were, the sentence saying
    so displayed above it (never silent).

    Parameters
    ----------
    study : Study
    frame : DataFrame
        A table with a column ``by`` (e.g. ``code_frequencies(study, by=by)``).
    by : str
        The participant attribute.

    Returns
    -------
    DataFrame
        The rows of groups of at least ``min_group_size`` participants.
    """
    kept, sentence = suppress_small_groups(frame, by, group_sizes(study, by), min_group_size(study))
    if sentence:
        try:
            from IPython.display import Markdown, display

            display(Markdown(f"**Small groups not shown.** {html.escape(sentence)}"))
        except ImportError:  # pragma: no cover
            print(sentence)
    return kept


def group_sizes(study, by: str) -> dict:
    """Participants per value of attribute ``by`` (missing values as "(missing)")."""
    values = study.participants[by].astype("string").fillna("(missing)")
    return {str(k): int(v) for k, v in values.value_counts().items()}


def min_group_size(study) -> int:
    """The study's ``min_group_size`` (study.yml), default 3."""
    config = getattr(study, "config", None)
    return int(getattr(config, "min_group_size", 3) or 3)


# -- figures ---------------------------------------------------------------------------

def _title(fig) -> str:
    """The figure's title: its suptitle, else the first panel's title (one line)."""
    title = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    if not title:
        title = next((ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_title()), "")
    return " ".join(title.split())


def _is_tree(ax) -> bool:
    """A dendrogram's panel (a clustermap's margins): lines only, no tick labels."""
    from matplotlib.collections import LineCollection

    labelled = [t for t in ax.get_xticklabels() + ax.get_yticklabels() if t.get_text()]
    return (not labelled and not ax.patches and not ax.images
            and all(isinstance(c, LineCollection) for c in ax.collections) and bool(ax.collections))


def describe(fig) -> str:
    """Alt text saying what a matplotlib figure shows.

    The figure's own description first (``fig.alt_text``, set by every
    ``helpers.plots`` function through ``plots.explain``: kind, axes, what
    colour or size encodes and the main reading), after its title. A figure
    drawn elsewhere gets one guessed from its panels: each panel's kind (bars,
    heatmap, points, network, lines) and axis labels, a dendrogram's panels
    left out and no part said twice.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    str
        One or a few sentences; never empty.
    """
    from matplotlib.collections import LineCollection, PathCollection, QuadMesh
    from matplotlib.image import AxesImage
    from matplotlib.patches import Rectangle

    title = _title(fig)
    own = getattr(fig, "alt_text", "")
    if own:
        return (f"{title.rstrip('.')}. " if title and title.lower() not in own.lower() else "") + str(own)
    parts = []
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>" or not ax.get_visible() or _is_tree(ax):
            continue
        kinds = []
        bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() and p.get_height()]
        if bars:
            kinds.append(f"{len(bars)} bars")
        if any(isinstance(c, QuadMesh) for c in ax.collections) or any(isinstance(i, AxesImage) for i in ax.images):
            rows = len([t for t in ax.get_yticklabels() if t.get_text()])
            cols = len([t for t in ax.get_xticklabels() if t.get_text()])
            kinds.append(f"a heatmap of {rows} rows × {cols} columns" if rows and cols else "a heatmap")
        points = sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))
        if points:
            kinds.append(f"{points} points")
        if any(isinstance(c, LineCollection) for c in ax.collections) and points:
            kinds.append("lines joining them")
        lines = [line for line in ax.get_lines() if line.get_label() and not line.get_label().startswith("_")]
        if lines or (ax.get_lines() and not kinds):
            kinds.append(f"{len(ax.get_lines())} line(s)")
        text = ax.get_title() if ax.get_title() != title else ""
        axes = [label for label in (ax.get_xlabel(), ax.get_ylabel()) if label]
        piece = (text + ": " if text else "") + (", ".join(kinds) if kinds else "a chart")
        if axes:
            piece += f" ({' against '.join(reversed(axes)) if len(axes) == 2 else axes[0]})"
        if piece not in parts:
            parts.append(piece)
    sentence = "; ".join(parts) if parts else "a figure"
    return (f"{title}. " if title else "") + f"Figure showing {sentence}."


def how_to_read(fig) -> str:
    """A "how to read this" sentence for a figure: the figure's own
    (``fig.how_to_read``, set by a plot function that knows better), else one
    by its kind: bars, presence grid, heatmap with a colour bar, network,
    points or lines.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    str
        One sentence, or "" for a figure that is only a message.
    """
    from matplotlib.collections import LineCollection, PathCollection, QuadMesh
    from matplotlib.patches import Rectangle

    own = getattr(fig, "how_to_read", "")
    if own:
        return str(own)
    axes = [a for a in fig.axes if a.get_visible() and a.get_label() != "<colorbar>" and not _is_tree(a)]
    colourbar = any(a.get_label() == "<colorbar>" for a in fig.axes) or len(fig.axes) > len(axes)
    for ax in axes:
        if any(isinstance(c, QuadMesh) for c in ax.collections) or ax.images:
            legend = ax.get_legend() or next(iter(fig.legends), None)
            if legend is not None and [t.get_text() for t in legend.get_texts()] == ["present", "absent"]:
                return ("Each row is a participant and each column a code: a coloured cell means the participant "
                        "has the code, a grey cell that they do not.")
            return ("Each cell is one row–column pair; its colour follows the scale beside the grid"
                    + (" and any number in it is the count." if colourbar else "."))
        if any(isinstance(c, LineCollection) for c in ax.collections) and any(
                isinstance(c, PathCollection) for c in ax.collections):
            return ("Each circle is a code, larger when applied more often; a line joins two codes that occur "
                    "together, thicker when they do so more often. Positions only group related codes.")
        if [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() and p.get_height()]:
            return "Longer bars mean more; the number at the end of a bar is its value, and the axis title says what is counted."
        if any(isinstance(c, PathCollection) for c in ax.collections):
            return "Each point is one item placed as the axis titles say; the legend names the colours."
        if ax.get_lines():
            return "Each line follows a value along the horizontal axis; the legend names the lines."
    return "The figure's title and axis titles say what it shows." if axes else ""


def figure_png(fig) -> tuple[bytes, dict]:
    """PNG bytes of a figure, with its alt text and reading guide as display metadata."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue(), {"alt": describe(fig), "how_to_read": how_to_read(fig)}


def figure_svg(fig) -> str:
    """SVG text of a figure: no date and fixed ids, so the same figure gives the
    same bytes on every run."""
    import io

    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "transcript-themes"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def setup() -> None:
    """Call once at the top of a notebook: every figure shown is kept as PNG
    (with alt text from ``describe``) and SVG; the page renderer shows the
    PNG and saves both into ``reports/<study>/figures/``. Outside IPython it
    does nothing."""
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
    # Every DataFrame a notebook shows goes through ``table``: no raw pandas HTML on any page.
    formatters["text/html"].for_type(pd.DataFrame, lambda frame: shown_rows(frame).to_html())


MAX_ROWS = 500


def shown_rows(frame: pd.DataFrame, max_rows: int = MAX_ROWS) -> Table:
    """``table(frame)``, with at most ``max_rows`` rows on the page and a note
    saying how many were left off (the full table is in the CSV/xlsx files)."""
    if len(frame) <= max_rows:
        return table(frame)
    return table(frame.head(max_rows), note=f"{guide(frame)} The first {max_rows} of {len(frame):,} rows are "
                                           "shown; the full table is in the study's tables/ folder and tables.xlsx.")
