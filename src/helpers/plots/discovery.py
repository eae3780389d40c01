"""Figures for machine-assisted discovery (helpers.analysis.discovery): the participant
map with its dendrogram, topic–code alignment, cross-validated code scores
and the topic-number curve."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from helpers.counting import MISSING_GROUP
from helpers.textutil import plural

from . import PALETTE, SEQUENTIAL, explain, figure_height

MISSING = MISSING_GROUP
NEUTRAL = "#999999"


HIDDEN = "small groups (not shown)"


def _attribute_colours(values: pd.Series, hidden=()) -> tuple[list[str], dict[str, str]]:
    """A PALETTE colour per distinct value (sorted), grey for missing; the values of
    ``hidden`` (groups too small to show, ``present.suppressed``) one grey entry."""
    text = values.astype("string").fillna(MISSING)
    hidden = {str(h) for h in hidden}
    text = text.where(~text.isin(hidden), HIDDEN)
    levels = sorted(v for v in set(text) if v not in (MISSING, HIDDEN))
    mapping = {v: PALETTE[i % len(PALETTE)] for i, v in enumerate(levels)}
    mapping[MISSING] = NEUTRAL
    mapping[HIDDEN] = "#CCCCCC"
    return [mapping[v] for v in text], {k: v for k, v in mapping.items() if k in set(text)}


def participant_map_figure(pmap, clusters, colour_by: str | None = None, title: str | None = None,
                           hidden_groups=()) -> plt.Figure:
    """Left: participants placed by MDS on Jaccard distances of their code
    sets, labelled by pseudonym, coloured by ``colour_by`` (a participants
    attribute). Right: the average-linkage dendrogram of the same distances.

    Parameters
    ----------
    pmap : ParticipantMap
        ``discovery.participant_map``; when it draws fewer than every participant, the
        alt text and the reading guide say how many of how many, and why (``shown_note``).
    clusters : ParticipantClusters
        ``discovery.participant_clusters`` of the same level.
    colour_by : str, optional
        A participants attribute colouring the points.
    title : str, optional
    hidden_groups : iterable of str
        Values of ``colour_by`` not to show (groups too small, and their complement:
        ``present.suppressed``): drawn in one light grey, "small groups (not shown)".

    Returns
    -------
    matplotlib.figure.Figure
    """
    from scipy.cluster.hierarchy import dendrogram

    coords = pmap.coords
    n = len(coords)
    fig, (ax_map, ax_tree) = plt.subplots(1, 2, figsize=(12, max(5.0, figure_height(n, per_row=0.25))),
                                          gridspec_kw={"width_ratios": [3, 2]})
    if colour_by is not None and colour_by in coords.columns:
        colours, legend = _attribute_colours(coords[colour_by], hidden_groups)
    else:
        colours, legend = [PALETTE[0]] * n, {}
    ax_map.scatter(coords["x"], coords["y"], c=colours, s=60, edgecolor="white", linewidth=0.8, zorder=3)
    for x, y, label in zip(coords["x"], coords["y"], coords["pseudonym"]):
        ax_map.annotate(str(label), (x, y), xytext=(4, 3), textcoords="offset points", fontsize=8)
    ax_map.set_xticks([])
    ax_map.set_yticks([])
    ax_map.set_xlabel("distance apart = how different the code sets are (axes have no meaning)")
    level = pmap.level or "codes as applied"
    ax_map.set_title(title or f"Participants by their codes ({level})")
    if legend:
        handles = [Line2D([], [], marker="o", linestyle="", color=c, label=v) for v, c in legend.items()]
        ax_map.legend(handles=handles, title=colour_by, loc="best", fontsize=8, frameon=False)

    if len(clusters.order) > 1:
        ids = list(pmap.distances.index.astype(str))
        labels = dict(zip(coords["participant_id"], coords["pseudonym"]))
        dendrogram(clusters.linkage, labels=[labels.get(i, i) for i in ids], orientation="left", ax=ax_tree,
                   color_threshold=0, above_threshold_color=PALETTE[0], leaf_font_size=8)
        if legend:
            colour_of = dict(zip(coords["pseudonym"].astype(str), colours))
            for tick in ax_tree.get_yticklabels():
                tick.set_color(colour_of.get(tick.get_text(), "black"))
    ax_tree.set_xlabel("Jaccard distance (average linkage)")
    ax_tree.set_title("Clusters")
    ax_tree.grid(False)
    fig.tight_layout()
    colour = f", coloured by {colour_by} ({len(legend)} values)" if legend else ""
    shown = pmap.shown_note() if hasattr(pmap, "shown_note") else ""
    small = (f" Groups of {colour_by} too small to show (and any that would let them be worked out) are drawn "
             f"in light grey as \"{HIDDEN}\"." if HIDDEN in legend else "")
    return explain(
        fig, f"Two panels. Left: a map of {n} participants as labelled points{colour}, placed so that participants "
             f"with similar sets of codes are close together (the axes have no meaning). Right: a tree "
             f"(dendrogram) joining the same participants by how alike their codes are (Jaccard distance)."
             + (f" {shown}" if shown else ""),
        "On the map, near means a similar set of codes and far a different one; only distances count. In the "
        "tree, participants joined further left (at a smaller distance) share more of their codes; a branch "
        "that splits off early is a group that differs from the rest." + (f" {shown}" if shown else "") + small)


def topic_alignment_heatmap(model, title: str | None = None) -> plt.Figure:
    """Topics (rows) x codes (columns): the share of each topic's turns that
    carry the code. Uncovered topics (no code reaches the threshold) are
    flagged in their row label."""
    shares = model.alignment
    summary = model.summary.set_index("topic")
    n_codes = max(1, shares.shape[1])
    fig, ax = plt.subplots(figsize=(min(4 + 0.32 * n_codes, 22), figure_height(len(shares), per_row=0.45)))
    image = ax.imshow(shares.to_numpy() if shares.size else np.zeros((len(shares), 1)), aspect="auto",
                      cmap=SEQUENTIAL, vmin=0, vmax=1)
    rows = [summary.loc[t, "label"] + ("  [uncovered]" if summary.loc[t, "uncovered"] else "") for t in shares.index]
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_xticks(range(shares.shape[1]), [str(c) for c in shares.columns], rotation=90, fontsize=8)
    if shares.size and shares.size <= 150:
        for (i, j), v in np.ndenumerate(shares.to_numpy()):
            ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=7, color="white" if v < 0.6 else "black")
    ax.grid(False)
    fig.colorbar(image, ax=ax, label="share of the topic's turns carrying the code", fraction=0.04)
    ax.set_title(title or "How existing codes cover each topic")
    fig.tight_layout()
    uncovered = int(summary["uncovered"].astype(bool).sum()) if "uncovered" in summary else 0
    return explain(
        fig, f"Heatmap of {len(shares)} topics (rows) by {shares.shape[1]} codes (columns): the colour (and the "
             f"percentage, where shown) gives the share of each topic's turns that carry the code; {plural(uncovered, 'topic')} "
             f"no code covers, marked [uncovered].",
        "Each row is a topic found in the words, each column a code: a bright cell means most of the topic's "
        "turns carry that code. A row with no bright cell ([uncovered]) is talk the coding may have missed.")


def code_scores_figure(result, title: str | None = None) -> plt.Figure:
    """Per code: cross-validated precision, recall and F1 as bars; the
    precision threshold as a dashed line; codes not scored are labelled why."""
    scores = result.scores
    threshold = result.parameters["precision_threshold"]
    n = len(scores)
    fig, ax = plt.subplots(figsize=(8, figure_height(n, per_row=0.5)))
    y = np.arange(n)
    height = 0.27
    for k, (metric, colour) in enumerate([("precision", PALETTE[0]), ("recall", PALETTE[1]), ("f1", PALETTE[2])]):
        values = scores[metric].astype("float64").fillna(0).to_numpy()
        ax.barh(y + (k - 1) * height, values, height=height, color=colour, label=metric)
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1, label=f"precision threshold {threshold:g}")
    labels = [f"{r.code} (n={r.n_examples})" + ("  ✓ suggests" if r.suggested else "")
              + (f"  — {r.note}" if r.note else "") for r in scores.itertuples()]
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.02)
    ax.set_xlabel("cross-validated score (grouped by participant)")
    # Above the bars, so it never hides one whatever the number of codes.
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=4, fontsize=8, frameon=False)
    ax.set_title(title or "Can a classifier find each code?", pad=24)
    fig.tight_layout()
    n_suggest = int(scores["suggested"].astype(bool).sum()) if "suggested" in scores else 0
    return explain(
        fig, f"Grouped horizontal bar chart of cross-validated precision (blue), recall (orange) and F1 (green) "
             f"for {n} codes, with the precision threshold {threshold:g} as a dashed line; {plural(n_suggest, 'code')} "
             f"precise enough to suggest uncoded turns.",
        "Each group of three bars is a code: precision is how often a turn the classifier picks really carries the "
        "code, recall how many of the code's turns it finds. Only codes whose precision reaches the dashed line "
        "get suggestions; a note after a code's name says why it was not scored.")


def topic_number_figure(curve: pd.DataFrame, title: str | None = None) -> plt.Figure:
    """Reconstruction error and UMass coherence against the number of topics."""
    fig, (ax_err, ax_coh) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax_err.plot(curve["k"], curve["reconstruction_error"], marker="o", color=PALETTE[0])
    ax_err.set_xlabel("number of topics k")
    ax_err.set_ylabel("reconstruction error (lower fits closer)")
    ax_coh.plot(curve["k"], curve["coherence_umass"], marker="o", color=PALETTE[1])
    ax_coh.set_xlabel("number of topics k")
    ax_coh.set_ylabel("UMass coherence (nearer 0 is better)")
    for ax in (ax_err, ax_coh):
        ax.set_xticks(list(curve["k"]))
    fig.suptitle(title or "Choosing the number of topics")
    fig.tight_layout(rect=(0, 0, 1, 0.92))  # room under the title for the top tick labels
    ks = list(curve["k"])
    span = f"{min(ks)} to {max(ks)}" if ks else "none"
    return explain(
        fig, f"Two line charts against the number of topics k ({span}): reconstruction error (left, lower fits "
             f"closer) and UMass coherence (right, nearer 0 is better).",
        "Each point is one number of topics tried. Error always falls as topics are added; look for where it "
        "stops falling much while coherence stays near 0.")
