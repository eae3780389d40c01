"""Figures for themes across participants: the participant x theme heatmap,
recurrence bars, the saturation curve and a document's code line."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from helpers.analysis import themes
from helpers.textutil import plural

from . import MAX_CLUSTERED_CODES, PALETTE, SEQUENTIAL, explain, figure_height, top_items

ROLE_STYLE = {  # colour and marker shape, so roles differ without colour too
    "participant": (PALETTE[0], "s"),
    "interviewer": (PALETTE[1], "o"),
    "other": (PALETTE[7], "^"),
}
INTEGER_VALUES = {"presence", "count", "segments"}


def _width(n_columns: int, per_column: float = 0.35, minimum: float = 6.0, maximum: float = 20.0) -> float:
    return float(min(max(minimum, n_columns * per_column + 3.0), maximum))


# -- participant x theme heatmap -------------------------------------------------

PRESENT, ABSENT = PALETTE[0], "#EEEEEE"


def _presence_legend(fig) -> None:
    """A two-entry legend (present / absent) in one row above the grid, under the title: right of
    the grid are the row labels (a clustered heatmap puts them there), below it the column labels."""
    fig.legend(handles=[Patch(facecolor=PRESENT, label="present"), Patch(facecolor=ABSENT, edgecolor="#999999",
                                                                         label="absent")],
               loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False, fontsize=8)


def _heatmap_text(fig, shown: pd.DataFrame, level, value: str, clustered: bool):
    n_rows, n_cols = shown.shape
    what = f"codes at level {level}" if level else "codes"
    order = " (clustered: similar rows and columns sit together, joined by the tree lines)" if clustered else ""
    if value == "presence":
        have = shown.astype(bool).sum(axis=0).sort_values(ascending=False, kind="stable")
        return explain(
            fig, f"Heatmap of {n_rows} participants (rows) by {n_cols} {what} (columns){order}: a blue cell means "
                 f"the participant has the code, a grey cell that they do not; most widespread: "
                 f"{top_items(have.index.astype(str), have, fmt=lambda v: f'{v:.0f} participants')}.",
            "Each row is a participant and each column a code at this level: blue means the participant has it "
            "(a passage at or below it is theirs), grey that they do not. A column mostly blue is a code most "
            "participants share" + ("; the tree lines at the edges group participants and codes that go together."
                                    if clustered else "."))
    peak = shown.stack().idxmax() if shown.size else None
    high = f"; highest: {peak[0]} × {peak[1]} ({shown.loc[peak]:g})" if peak is not None else ""
    return explain(
        fig, f"Heatmap of {n_rows} participants (rows) by {n_cols} {what} (columns){order}: the colour (and the "
             f"number, where shown) gives the {value} of each participant and code{high}.",
        f"Each row is a participant and each column a code at this level; the cell's colour follows the scale "
        f"right of the grid (dark: few, yellow: many) and the number in it is the {value}"
        + ("; the tree lines at the edges group participants and codes that go together." if clustered else "."))


def theme_heatmap(study_or_matrix, level: str | None = "top", value: str = "presence",
                  labels: pd.Series | dict | None = None, cluster: bool = True, title: str | None = None) -> Figure:
    """Participants (rows, labelled by pseudonym) x codes at ``level``, coloured by
    ``themes.theme_matrix`` ``value``. Rows and columns are clustered (seaborn
    clustermap, average linkage on Euclidean distance) when there are at least
    two of each and ``cluster``; else a plain heatmap in table order.

    ``study_or_matrix``: a Study (the matrix is computed, labels are its
    pseudonyms) or a matrix from ``theme_matrix`` (``labels`` maps its index to
    row labels; the index itself otherwise).
    """
    if isinstance(study_or_matrix, pd.DataFrame):
        matrix = study_or_matrix
        label_of = pd.Series(labels) if labels is not None else pd.Series(matrix.index, index=matrix.index)
    else:
        matrix = themes.theme_matrix(study_or_matrix, level, value)
        label_of = study_or_matrix.participant_label()
    shown = matrix.copy()
    shown.index = [str(label_of.get(i, i)) for i in matrix.index]
    n_rows, n_cols = shown.shape
    integer = value in INTEGER_VALUES and np.allclose(shown.to_numpy(dtype="float64") % 1, 0)
    annotate = n_rows * n_cols <= 300 and n_rows * n_cols > 0
    presence = value == "presence"
    options = dict(cmap=SEQUENTIAL, vmin=0, annot=annotate and not presence, fmt="d" if integer else ".2f",
                   xticklabels=True, yticklabels=True, linewidths=0.5, linecolor="white")
    if presence:  # 0/1 is two states, not a scale: two colours and a legend
        options.update(cmap=ListedColormap([ABSENT, PRESENT]), vmin=0, vmax=1, cbar=False)
    if integer:
        shown = shown.astype("int64")
    else:
        shown = shown.astype("float64")
    size = (_width(n_cols, 0.4), figure_height(n_rows, per_row=0.32) + 1.5)
    heading = title or f"Participants × {level or 'codes'} ({value})"
    if cluster and max(n_rows, n_cols) > MAX_CLUSTERED_CODES:  # said in the figure, not silently
        heading += f"\nnot clustered: more than {MAX_CLUSTERED_CODES} rows or columns (table order)"
        cluster = False
    if cluster and n_rows >= 2 and n_cols >= 2:
        grid = sns.clustermap(shown, method="average", metric="euclidean", figsize=size,
                              dendrogram_ratio=(0.12, 0.12),
                              cbar_pos=None if presence else (1.02, 0.3, 0.02, 0.4), **options)
        grid.ax_heatmap.set_xlabel(level or "code")
        grid.ax_heatmap.set_ylabel("participant")
        grid.ax_heatmap.tick_params(axis="x", labelrotation=90)
        grid.ax_heatmap.tick_params(axis="y", labelrotation=0)
        if presence:  # above the grid: right of it are the row labels
            _presence_legend(grid.figure)
            # the title a fixed 0.35 inch above the figure's top, the legend between them
            grid.figure.suptitle(heading, y=1.0 + 0.35 / grid.figure.get_figheight(), va="bottom",
                                 fontweight="bold")
        else:  # the colour bar sits right of the cells, never over them
            grid.ax_cbar.set_title(value, fontsize=9)
            grid.figure.suptitle(heading, y=1.02, fontweight="bold")
        return _heatmap_text(grid.figure, shown, level, value, True)
    fig, ax = plt.subplots(figsize=size)
    if n_rows and n_cols:
        sns.heatmap(shown, ax=ax, **({} if presence else {"cbar_kws": {"label": value}}), **options)
    ax.set_xlabel(level or "code")
    ax.set_ylabel("participant")
    ax.tick_params(axis="x", labelrotation=90)
    ax.tick_params(axis="y", labelrotation=0)
    ax.set_title(heading, pad=22 if presence else 6)
    fig.tight_layout()
    if presence and n_rows and n_cols:
        _presence_legend(fig)
    return _heatmap_text(fig, shown, level, value, False)


# -- recurrence -------------------------------------------------------------------

def recurrence_bars(study_or_table, level: str | None = "top", threshold: float = 0.5,
                    by: str | None = None, title: str | None = None) -> Figure:
    """Share of participants with each code (``themes.recurrence``), one bar per
    code, most widespread first, with the recurrence threshold as a dashed
    line. Recurrent codes (share reaches the threshold) are filled, the rest
    light. With ``by`` (or a table that has a group column), one bar per group."""
    if isinstance(study_or_table, pd.DataFrame):
        table = study_or_table
        group = next((c for c in table.columns
                      if c not in {"code", "n", "N", "share", "names", "recurrent", "note", "participant_ids"}), None)
    else:
        table = themes.recurrence(study_or_table, level, threshold, by)
        group = by
    overall = table.groupby("code", sort=False)["share"].mean()
    order = sorted(overall.index, key=lambda c: (-overall[c], str(c)))
    fig, ax = plt.subplots(figsize=(8, figure_height(len(order) * (1 if group is None else 1.6))))
    if group is None:
        rows = table.set_index("code").loc[order]
        y = np.arange(len(order))
        # recurrence is not computed for fewer than 3 participants (NA): such a bar is not filled
        recurrent = [bool(r) if pd.notna(r) else False for r in rows["recurrent"]]
        colours = [PALETTE[0] if r else "#BFD7EA" for r in recurrent]
        ax.barh(y, rows["share"], color=colours, edgecolor=PALETTE[0])
        for yi, (n, total) in zip(y, zip(rows["n"], rows["N"])):
            ax.text(min(n / total if total else 0, 1) + 0.01, yi, f"{n}/{total}", va="center", fontsize=8)
        ax.set_yticks(y, [str(c) for c in order])
        handles = [Patch(color=PALETTE[0], label="recurrent"),
                   Patch(facecolor="#BFD7EA", edgecolor=PALETTE[0], label="not recurrent")]
    else:
        sns.barplot(data=table, y="code", x="share", hue=group, order=order, orient="h", ax=ax,
                    palette=PALETTE[: table[group].nunique()] if table[group].nunique() <= len(PALETTE) else None)
        handles = list(ax.get_legend_handles_labels()[0])
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    ax.invert_yaxis()
    ax.axvline(threshold, color=PALETTE[5], linestyle="--", linewidth=1.2)
    handles.append(Line2D([0], [0], color=PALETTE[5], linestyle="--", label=f"threshold {threshold:.0%}"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.set_xlim(0, 1.1)
    ax.set_xlabel("share of participants")
    ax.set_ylabel(level or "code")
    ax.set_title(title or "Recurrence across participants")
    fig.tight_layout()
    if group is None:
        n_recurrent = sum(recurrent)
        main = (f"{n_recurrent} of {len(order)} recurrent (filled bars); most widespread: "
                f"{top_items([str(c) for c in order], [overall[c] for c in order], fmt=lambda v: f'{v:.0%}')}")
    else:
        main = f"one bar per group of {group} ({table[group].nunique()} groups, coloured as the legend says)"
    return explain(
        fig, f"Horizontal bar chart of the share of participants with each of {len(order)} "
             f"{f'codes at level {level}' if level else 'codes'}, most widespread first, with the recurrence threshold {threshold:.0%} as a "
             f"dashed line; {main}.",
        "Each bar is a code; its length is the share of participants who have it (the numbers at the end: how "
        "many of how many). A code whose bar reaches the dashed line is recurrent.")


# -- saturation -------------------------------------------------------------------

def saturation_curve(result_or_study, title: str | None = None, **saturation_args) -> Figure:
    """Cumulative distinct codes by interview (line) over the new codes each
    interview adds (bars); the base interviews shaded and, when the Guest,
    Namey & Chen stopping rule is met, the stopping interview marked.

    ``result_or_study``: a ``themes.SaturationResult`` or a Study (then
    ``saturation_args`` go to ``themes.saturation``)."""
    result = result_or_study if isinstance(result_or_study, themes.SaturationResult) \
        else themes.saturation(result_or_study, **saturation_args)
    table, summary = result.table, result.summary
    x = table["interview"].to_numpy()
    fig, ax = plt.subplots(figsize=(_width(len(x), 0.3, minimum=7.0), 4.5))
    base = min(summary["base_size"], len(x))
    if base:
        ax.axvspan(0.5, base + 0.5, color=PALETTE[4], alpha=0.12, label=f"base ({base} interviews)")
    ax.bar(x, table["n_new"], color=PALETTE[1], alpha=0.85, label="new codes")
    ax.plot(x, table["cumulative"], color=PALETTE[0], marker="o", linewidth=2, label="cumulative distinct codes")
    if summary["reached"]:
        at = summary["at"]
        ax.axvline(at, color=PALETTE[2], linestyle="--", linewidth=1.5,
                   label=f"saturation at interview {at} (≤{summary['threshold']:.0%} new)")
    ax.set_xticks(x, [str(i) for i in x], rotation=90 if len(x) > 30 else 0)
    ax.set_xlim(0.5, max(len(x), 1) + 0.5)
    ax.set_xlabel("interview (in interview order)")
    ax.set_ylabel("codes")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title or "Code saturation")
    ax.legend(loc="center right", fontsize=8, frameon=True)
    fig.text(0.01, -0.02, result.sentence, ha="left", va="top", fontsize=8, wrap=True)
    fig.tight_layout()
    final = int(table["cumulative"].iloc[-1]) if len(table) else 0
    return explain(
        fig, f"Line chart of the cumulative number of distinct codes over {len(x)} interviews in interview order "
             f"(reaching {final}), over bars of the new codes each interview adds; the first {base} interviews "
             f"shaded as the base. {result.sentence}",
        "Read left to right: the line climbs while interviews still bring new codes and flattens once they stop; "
        "each orange bar is how many codes that interview added. A dashed green line marks where the stopping "
        "rule is met, if it is.")


# -- code line --------------------------------------------------------------------

def codeline(study_or_table, doc_id: str | None = None, level: str | None = None,
             title: str | None = None, participant: str | None = None) -> Figure:
    """A document's codes (y, codebook order) along its turns (x): one mark per
    turn carrying the code (a coding of turns 3–5 marks 3, 4 and 5), its colour
    and shape telling the speaker's role (participant / interviewer / other).

    ``study_or_table``: a Study (with ``doc_id``) or a table from
    ``themes.codeline``. ``participant``: with a Study, only that participant's
    own turns are marked (``themes.codeline(participant=...)``), along all the
    document's turns."""
    if isinstance(study_or_table, pd.DataFrame):
        table = study_or_table
        n_turns = int(table["seg_no"].max()) if len(table) else 1
        doc_id = doc_id or (str(table["doc_id"].iloc[0]) if len(table) else "")
    else:
        if doc_id is None:
            raise ValueError("give doc_id: which document's code line to draw")
        table = themes.codeline(study_or_table, doc_id, level, participant=participant)
        segs = study_or_table.segments
        in_doc = segs.loc[segs["doc_id"].astype(str) == str(doc_id), "seg_no"]
        n_turns = int(in_doc.max()) if len(in_doc) else (int(table["seg_no"].max()) if len(table) else 1)
    codes = list(dict.fromkeys(table["code"].astype(str)))
    row = {code: i for i, code in enumerate(codes)}
    fig, ax = plt.subplots(figsize=(_width(n_turns, 0.12, minimum=7.0, maximum=18.0), figure_height(len(codes))))
    roles = table["speaker_role"].astype("string").fillna("other")
    roles = roles.where(roles.isin(list(ROLE_STYLE)), "other")
    handles = []
    for role, (colour, marker) in ROLE_STYLE.items():
        mine = table.loc[(roles == role).to_numpy()]
        if mine.empty:
            continue
        ax.scatter(mine["seg_no"].astype("int64"), mine["code"].astype(str).map(row), color=colour,
                   marker=marker, s=36, linewidths=0, zorder=3)
        handles.append(Line2D([0], [0], color=colour, marker=marker, linestyle="", label=f"{role} turn"))
    ax.set_yticks(range(len(codes)), codes)
    ax.set_ylim(max(len(codes), 1) - 0.5, -0.5)
    ax.set_xlim(0.5, n_turns + 0.5)
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.6)
    ax.set_xlabel("turn")
    ax.set_ylabel(level or "code")
    ax.set_title(title or (f"Code line: {participant}'s turns in {doc_id}" if participant else f"Code line: {doc_id}"))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    marks = table["code"].astype(str).value_counts()
    busiest = f"; most marked: {top_items(marks.index, marks, n=2, fmt=lambda v: plural(int(v), 'turn'))}" if len(marks) else ""
    return explain(
        fig, f"Dot chart of document {doc_id}: its {len(codes)} {f'codes at level {level}' if level else 'codes'} (rows) along its {n_turns} "
             f"turns (horizontal axis); blue squares mark participant turns, orange circles interviewer turns"
             f"{busiest}.",
        "Each row is a code and each mark a turn carrying it, read left to right through the conversation: a run "
        "of marks is a stretch of talk about that code, and the mark's shape says who was speaking.")
