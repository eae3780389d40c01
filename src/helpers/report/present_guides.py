"""Reading guides: the "how to read this" sentence under every table (``guide``) and
figure (``how_to_read``), and the alt text of every figure (``describe``).

Split out of ``present`` (issue 15: no module over ~500 lines); every public name here is
re-exported from ``helpers.report.present``.
"""
from __future__ import annotations

import re

import pandas as pd

from helpers.report.present_format import header
from helpers.textutil import plural

__all__ = ["GENERIC", "GUIDES", "describe", "guide", "how_to_read", "is_generic"]


# "How to read this" for the tables the reports show, recognised by their columns (first match wins).
GUIDES = [
    # page 01: documents, talk, annotations, redaction, identifiers, import, codebook
    ({"doc_id", "kind", "format", "encoding", "n_segments"},
     "Each row is a document (an interview or focus group): whose it is, its kind and file format, the text "
     "encoding it was read in, its turns and words, and how many of those words participants spoke."),
    ({"turns participant", "words participant"},
     "Each row is a document: the turns and words the interviewer and the participants each spoke there (words "
     "leave out transcriber annotations, and fillers when remove_fillers is set)."),
    ({"annotation"}, "Each row is a transcriber annotation (such as [laughs] or (inaudible)) and each column a "
                     "document: how many times the annotation appears there. Annotations stay in the text but are "
                     "never counted as words."),
    ({"placeholder", "replacements"}, "Each row is a placeholder put in place of redacted text and how many times "
                                      "it replaced something on ingest; the redacted words are never shown."),
    ({"hash", "masked_context"},
     "Each row is a possible identifier left after redaction: the document and turn it is in, what it looks like "
     "(a name, a date, a phone number…), a hash that is the same wherever the same text recurs, its length in "
     "characters and its context with the identifier masked. Add a real identifier to redactions.csv and run again."),
    ({"rows_read", "quotes_exact"},
     "Each row is a coding source (a coding sheet, or a sheet of a workbook): the rows read, the codings made, and "
     "how its quotes were placed in the transcripts — exactly, across an elision (…), only approximately (fuzzy) "
     "or not at all — with its warnings."),
    ({"matched_text", "score"},
     "Each row is a quote of a coding sheet placed only approximately: the sheet and row it came from, the "
     "document, the quote as typed, the transcript text it was matched to and their similarity (1: identical). "
     "Check each against the transcript."),
    ({"best_score", "closest_doc"},
     "Each row is a quote of a coding sheet not found in the transcripts and so not counted: where it came from, "
     "its best similarity (below the threshold; 1: identical) and the closest document and turn to look in."),
    ({"code", "level", "applied", "with_children"},
     "Each row is a code of the codebook, in codebook order, with its level: applied counts its own codings, with "
     "codes below adds the codings of every code under it."),
    # page 04: negative cases seen from each participant; the saturation table
    ({"n_missing", "missing"}, "Each row is a participant: how many of the codes at this level they do not have, "
                               "out of all the codes at the level, and which ones."),
    # page 05: one participant against the others; their quotes
    ({"code", "applications", "group mean"},
     "Each row is a code: applications are this participant's passages of it, group mean the average over the "
     "other participants, then how many of the others have it out of all the others."),
    ({"n_codings", "n_turns", "quote_1"},
     "Each row is a code this participant has: their passages (codings) and turns with it, then their most typical "
     "quotes, each followed by the document and turn it comes from."),
    # page 06: agreement
    ({"applied_by", "not_applied_by"},
     "Each row is a turn where the coders disagree on a code: who applied the code and who did not, with the "
     "turn's words — the list to go through in a consensus meeting."),
    ({"coder", "n_codings", "n_codes"}, "Each row is a coder: how many codings they applied, how many distinct codes "
                                        "they used and in how many documents."),
    # page 08: discovery
    ({"k", "reconstruction_error", "coherence_umass"},
     "Each row is a number of topics tried (k): how closely the topics rebuild the words of the turns (lower: "
     "closer) and how coherent their top words are (UMass coherence; nearer 0: more coherent)."),
    ({"topic", "top_terms", "best_code"},
     "Each row is a topic found in the words of participants' turns: its label and top words, the turns it leads, "
     "the code that covers most of those turns and the share it covers; uncovered marks a topic no code covers."),
    ({"topic", "rank", "weight"},
     "Each row is one of the turns most typical of a topic (rank 1 most typical): where it is, who said it, its "
     "weight in the topic (higher: more typical) and its words."),
    ({"n_examples", "precision", "recall"},
     "Each row is a code: the turns carrying it (examples) and not (negatives) the classifier learnt from, then "
     "its cross-validated precision, recall and F1 (0–1, higher: better), the turns it predicted, whether it is "
     "precise enough to suggest uncoded turns and the 95% interval of the precision."),
    ({"code", "probability", "text"},
     "Each row is an uncoded turn the classifier suggests for a code: where it is, who said it, the code, how sure "
     "the classifier is (probability 0–1) and the turn's words. A suggestion to read, not a coding."),
    # page 09: the write-up audit
    ({"quote", "attribution", "verdict", "differences"},
     "Each row is a quotation of the drafts that is not verbatim: where it is, the quote and who it is attributed "
     "to, the verdict, its similarity to the closest passage (1: identical), where that passage is and the "
     "differences (struck through: in the transcript, not the draft; marked: in the draft only)."),
    ({"quote", "attributed_name", "verdict", "match"},
     "Each row is a quotation in the drafts: where it is, its kind, the name it is attributed to, the verdict, "
     "how it was matched, its similarity (1: identical) and the document, turns and speaker where it was found."),
    ({"check", "location", "detail"},
     "Each row is one consistency problem: the check that found it (one participant under two names, one quote "
     "given to different participants, a leak in a quotation), where it is and who is involved."),
    ({"n_quotes", "share"}, "Each row is a participant: how many quotations the drafts give them and their share of "
                            "all quotations (0–1); a few voices quoted far more than others may dominate the write-up."),
    ({"claim", "n_with", "n_participants"},
     "Each row is a sentence of a draft that says how many participants share something (\"most\", \"a few\"): "
     "the claim word, the code it was read against, how many participants have that code out of all, and the "
     "verdict with its reason."),
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


# The fallbacks of ``guide`` and ``how_to_read``: what a table or figure gets when nothing more specific is
# known. Every table and figure of the notebooks' pages has its own (tests/integration/test_report_words.py).
GENERIC = (
    re.compile(r"^Each row is one [^;]*; read across for its "), re.compile(r"^Each row is one [^;.:,()]*\.$"),
    re.compile(r"^An empty table\.$"), re.compile(r"^Each cell is one row–column pair; its colour follows the scale"),
    re.compile(r"^Longer bars mean more; "), re.compile(r"^Each point is one item placed as the axis titles say"),
    re.compile(r"^Each line follows a value along the horizontal axis"),
    re.compile(r"^The figure's title and axis titles say what it shows\.$"),
    re.compile(r"Figure showing "),
)


def is_generic(text: str) -> bool:
    """Whether a reading guide or alt text is one of the generic fallbacks (``GENERIC``) rather than
    one written for its table or figure.

    Parameters
    ----------
    text : str
        A "how to read this" sentence or an alt text, as shown on a page.

    Returns
    -------
    bool
    """
    text = " ".join(str(text).split())
    return any(pattern.search(text) for pattern in GENERIC)


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
        return (f"{_sentence(title)} " if title and title.lower() not in own.lower() else "") + str(own)
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


def _sentence(title: str) -> str:
    """A title as a sentence: its own ?, ! or . kept, else a full stop ("Can a classifier find
    each code?" stays a question, never "…code?.")."""
    title = title.rstrip()
    return title if title.endswith(("?", "!", ".", "…")) else f"{title}."
