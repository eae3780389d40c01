"""Reading guides: the "how to read this" sentence under every table (``guide``) and
figure (``how_to_read``), and the alt text of every figure (``describe``).

Split out of ``present`` (issue 15: no module over ~500 lines); every public name here is
re-exported from ``helpers.report.present``.
"""
from __future__ import annotations

import pandas as pd

from helpers.report.present_format import header
from helpers.textutil import plural

__all__ = ["GUIDES", "describe", "guide", "how_to_read"]


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
            kinds.append(plural(len(ax.get_lines()), "line"))
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
