"""Figures for code and word frequencies (helpers.analysis.frequency)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from helpers.textutil import plural

from . import PALETTE, SEQUENTIAL, explain, figure_height, top_items

VALUE_LABELS = {
    "applications": "codings",
    "segments": "turns coded",
    "documents": "documents",
    "participants": "participants",
    "participants_pct": "% of participants",
    "words_coded": "words coded",
}


def _frequency_table(frequencies, level):
    if isinstance(frequencies, pd.DataFrame):
        return frequencies
    from helpers.analysis.frequency import code_frequencies
    return code_frequencies(frequencies, level=level)


def frequency_bars(frequencies, value: str = "participants", level: str | None = None, top: int = 40,
                   title: str | None = None) -> Figure:
    """Horizontal bars of one column of ``code_frequencies`` (or of a Study, at
    ``level``), largest at the top, ties by code name; at most ``top`` codes."""
    table = _frequency_table(frequencies, level)
    if value not in table.columns:
        raise ValueError(f"value must be a column of the frequency table: {list(table.columns)}")
    table = table.sort_values([value, "code"], ascending=[False, True], kind="stable").head(top)
    fig, ax = plt.subplots(figsize=(7.5, figure_height(len(table))))
    if table.empty:
        ax.text(0.5, 0.5, "no codings", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return explain(fig, "A note in place of a bar chart: no codings to count.",
                       "There is nothing to draw: no code was applied.")
    positions = np.arange(len(table))[::-1]
    ax.barh(positions, table[value].to_numpy(dtype=float), color=PALETTE[0])
    ax.set_yticks(positions, table["code"].astype(str).tolist())
    for y, v in zip(positions, table[value].to_numpy(dtype=float)):
        ax.text(v, y, f" {v:.0f}", va="center", fontsize=8)
    ax.set_xlabel(VALUE_LABELS.get(value, value))
    if value != "participants_pct":  # counts: whole-number ticks only
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", visible=False)
    level_text = f" ({level})" if level else ""
    ax.set_title(title or f"Codes by {VALUE_LABELS.get(value, value)}{level_text}")
    fig.tight_layout()
    label = VALUE_LABELS.get(value, value)
    total = len(_frequency_table(frequencies, level))
    shown = f"the {len(table)} codes" if len(table) == total else f"the top {len(table)} of {total} codes"
    return explain(
        fig, f"Horizontal bar chart of {shown}{level_text} by {label}, one bar per code, most first; "
             f"most: {top_items(table['code'].astype(str), table[value], fmt=lambda v: f'{v:.0f}')}.",
        f"Each bar is a code; its length and the number at its end are its {label}, so a longer bar is a code "
        f"used more widely. Codes run from most (top) to least.")


def attribute_code_heatmap(by_table: pd.DataFrame, value: str = "participants_pct", top: int = 40,
                           title: str | None = None) -> Figure:
    """Codes (rows, most frequent first) x attribute groups (columns) from
    ``code_frequencies(study, by=attribute)``, cells annotated."""
    group = by_table.columns[0]
    wide = by_table.pivot_table(index="code", columns=group, values=value, aggfunc="sum", fill_value=0,
                                observed=True)
    order = (by_table.groupby("code")["applications"].sum().reindex(wide.index)
             .sort_values(ascending=False, kind="stable"))
    wide = wide.loc[sorted(order.index, key=lambda c: (-order[c], str(c)))].head(top)
    import seaborn as sns
    width = 2.5 + 1.0 * max(len(wide.columns), 1)
    fig, ax = plt.subplots(figsize=(max(width, 5.0), figure_height(len(wide))))
    if wide.empty:
        ax.text(0.5, 0.5, "no codings", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return explain(fig, "A note in place of a heatmap: no codings to compare across groups.",
                       "There is nothing to draw: no code was applied in any group shown.")
    fmt = ".0f"
    sns.heatmap(wide, ax=ax, cmap=SEQUENTIAL, annot=True, fmt=fmt, annot_kws={"fontsize": 8},
                cbar_kws={"label": VALUE_LABELS.get(value, value)}, linewidths=0.5, linecolor="white")
    ax.set_xlabel(str(group))
    ax.set_ylabel("")
    ax.set_title(title or f"{VALUE_LABELS.get(value, value).capitalize()} by {group}")
    fig.tight_layout()
    label = VALUE_LABELS.get(value, value)
    stacked = wide.stack()
    high = stacked.idxmax() if len(stacked) else None
    unit = " %" if value.endswith("_pct") else ""
    peak = f"; highest: {high[0]} among {group} {high[1]} ({stacked.max():.0f}{unit})" if high is not None else ""
    return explain(
        fig, f"Heatmap of {len(wide)} codes (rows, most applied first) by {group} "
             f"({plural(len(wide.columns), 'group')}: {', '.join(str(c) for c in wide.columns)}); the colour and the number "
             f"in each cell give the {label}{peak}.",
        f"Each row is a code and each column a group of participants by {group}; the number in a cell is the "
        f"{label} of that group, and the colour follows the scale beside the grid (dark: low, yellow: high). "
        f"Compare along a row to see which group uses a code more.")


def word_bars(words: pd.DataFrame, top: int = 25, title: str | None = None) -> Figure:
    """Horizontal bars of the most frequent terms of ``word_frequencies(by=None)``."""
    table = words.sort_values(["n", "term"], ascending=[False, True], kind="stable").head(top)
    fig, ax = plt.subplots(figsize=(6.5, figure_height(len(table))))
    positions = np.arange(len(table))[::-1]
    ax.barh(positions, table["n"].to_numpy(dtype=float), color=PALETTE[2])
    ax.set_yticks(positions, table["term"].astype(str).tolist())
    ax.set_xlabel("times said by participants")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", visible=False)
    ax.set_title(title or "Most frequent words")
    fig.tight_layout()
    return explain(
        fig, f"Horizontal bar chart of the {len(table)} most frequent words in participants' turns, one bar per "
             f"word, most first; most: {top_items(table['term'].astype(str), table['n'], fmt=lambda v: f'{v:.0f}')}.",
        "Each bar is a word; its length is how many times participants said it (fillers, stop words and "
        "transcriber annotations are not counted).")


def keyness_bars(key: pd.DataFrame, group: str, top: int = 15, title: str | None = None) -> Figure:
    """Log ratio of the ``top`` terms by G² for one group of ``keyness`` (over-used
    right, under-used left)."""
    column = key.columns[0]
    table = key[key[column].astype(str) == str(group)].head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(6.5, figure_height(len(table))))
    colours = [PALETTE[0] if v >= 0 else PALETTE[5] for v in table["log_ratio"]]
    ax.barh(np.arange(len(table)), table["log_ratio"].to_numpy(dtype=float), color=colours)
    ax.set_yticks(np.arange(len(table)), table["term"].astype(str).tolist())
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("log ratio (log2 of relative frequency vs the rest)")
    ax.grid(axis="y", visible=False)
    ax.set_title(title or f"Key words: {group}")
    fig.tight_layout()
    ordered = table.iloc[::-1]
    return explain(
        fig, f"Horizontal bar chart of the log ratio of {len(table)} key words of {group} against the rest: bars "
             f"to the right (blue) are words {group} says more, to the left (orange) less; strongest: "
             f"{top_items(ordered['term'].astype(str), ordered['log_ratio'], fmt=lambda v: f'{v:.1f}')}.",
        f"Each bar is a word; a log ratio of 1 means {group} says it twice as often as the others (per word "
        f"spoken), −1 half as often.")
