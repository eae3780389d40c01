"""Figures for inter-coder agreement: who used which code, and alpha per code."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from helpers.analysis.agreement import RELIABLE, TENTATIVE
from helpers.textutil import plural

from . import PALETTE, SEQUENTIAL, explain, figure_height


def coder_heatmap(usage: pd.DataFrame, title: str = "Codings per code and coder") -> Figure:
    """Heatmap of ``coder_code_usage(...)`` (coders × codes): codes down the
    side (readable with 40 codes), coders across, counts in the cells."""
    table = usage.T.sort_index(kind="stable")  # codes as rows
    n_codes, n_coders = table.shape
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * n_coders + 3.0), figure_height(n_codes)))
    values = table.to_numpy(dtype=float)
    image = ax.imshow(values, aspect="auto", cmap=SEQUENTIAL, vmin=0, vmax=max(1.0, np.nanmax(values, initial=0)))
    ax.set_xticks(range(n_coders), [str(c) for c in table.columns])
    ax.set_yticks(range(n_codes), [str(c) for c in table.index])
    ax.grid(False)
    if n_codes * n_coders <= 400:  # annotate while the numbers stay legible
        threshold = values.max(initial=0) / 2
        for (i, j), count in np.ndenumerate(values):
            ax.text(j, i, f"{count:.0f}", ha="center", va="center", fontsize=8,
                    color="white" if count < threshold else "black")
    fig.colorbar(image, ax=ax, label="codings", fraction=0.05, pad=0.02)
    ax.set_xlabel("coder")
    ax.set_ylabel("code")
    ax.set_title(title)
    fig.tight_layout()
    coders = ", ".join(str(c) for c in table.columns)
    one_sided = int(((values > 0).sum(axis=1) == 1).sum()) if n_coders > 1 else 0
    return explain(
        fig, f"Heatmap of codings per code ({n_codes} codes, rows) and coder ({n_coders}: {coders}, columns); the "
             f"colour and the number in each cell give how many codings that coder applied; {plural(one_sided, 'code')} "
             f"used by one coder only.",
        "Each row is a code and each column a coder; the number is how many times that coder applied the code. "
        "A 0 beside a large number marks a code only one coder uses: a difference to discuss before "
        "reading the agreement figures.")


def agreement_forest(table: pd.DataFrame,
                     title: str = "Krippendorff's alpha per code (95% bootstrap interval)") -> Figure:
    """Forest plot of ``agreement(...)``: alpha and its interval per code,
    "overall" last and in bold, dashed lines at 0.667 and 0.800 (Krippendorff's
    thresholds); a code whose alpha is undefined is marked "undefined"."""
    codes = table[table["code"] != "overall"]
    rows = pd.concat([codes, table[table["code"] == "overall"]], ignore_index=True)
    n = len(rows)
    y = np.arange(n)[::-1]  # first code at the top, overall at the bottom
    alpha = rows["alpha"].to_numpy(dtype=float, na_value=np.nan)
    low = rows["alpha_low"].to_numpy(dtype=float, na_value=np.nan)
    high = rows["alpha_high"].to_numpy(dtype=float, na_value=np.nan)
    is_overall = (rows["code"] == "overall").to_numpy()

    fig, ax = plt.subplots(figsize=(7.5, figure_height(n)))
    has_ci = ~np.isnan(low) & ~np.isnan(high) & ~np.isnan(alpha)
    ax.hlines(y[has_ci], low[has_ci], high[has_ci], color=PALETTE[0], linewidth=1.5)
    for overall, colour, marker, size in [(False, PALETTE[0], "o", 30), (True, PALETTE[5], "D", 55)]:
        pick = (is_overall == overall) & ~np.isnan(alpha)
        ax.scatter(alpha[pick], y[pick], color=colour, marker=marker, s=size, zorder=3)
    left = np.nanmin(np.concatenate([low, alpha, [0.0]]))
    left = min(0.0, np.floor(left * 10) / 10) if np.isfinite(left) else 0.0
    for yy in y[np.isnan(alpha)]:
        ax.text(left + 0.01, yy, "undefined", va="center", fontsize=8, color="grey")
    ax.axvline(TENTATIVE, color="grey", linestyle="--", linewidth=1)
    ax.axvline(RELIABLE, color="black", linestyle="--", linewidth=1)
    ax.set_xlim(left, 1.02)
    ax.set_yticks(y, [str(c) for c in rows["code"]])
    for label, overall in zip(ax.get_yticklabels(), is_overall):
        if overall:
            label.set_fontweight("bold")
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("Krippendorff's alpha (dashed: 0.667 tentative, 0.800 reliable)")
    ax.set_title(title)
    if is_overall.any() and n > 1:  # set the pooled row apart from the codes
        ax.axhline(0.5, color="grey", linewidth=0.8)
    fig.tight_layout()
    overall_alpha = alpha[is_overall]
    overall_text = (f"overall alpha {overall_alpha[0]:.2f}" if len(overall_alpha) and not np.isnan(overall_alpha[0])
                    else "overall alpha undefined")
    coded = alpha[~is_overall]
    return explain(
        fig, f"Forest plot of Krippendorff's alpha for {int((~is_overall).sum())} codes and overall, each a dot "
             f"with its 95% bootstrap interval as a horizontal line, dashed lines at 0.667 and 0.800; "
             f"{overall_text}; {plural(int((coded >= RELIABLE).sum()), 'code')} at or above 0.800, "
             f"{int(np.isnan(coded).sum())} undefined.",
        "Each row is a code, the pooled 'overall' last: the dot is its alpha, the line the range it would "
        "plausibly take with other units. Right of the black dashed line (0.800) agreement is reliable, between "
        "the two dashed lines tentative, left of the grey one poor; 'undefined' means too little variation to "
        "compute it.")
