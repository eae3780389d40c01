"""Figures for code co-occurrence (helpers.analysis.cooccurrence)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import squareform

from helpers.analysis.cooccurrence_measures import c_coefficient
from helpers.textutil import plural

from . import MAX_CLUSTERED_CODES, PALETTE, SEQUENTIAL, explain, top_items


def c_coefficients(counts: pd.DataFrame) -> pd.DataFrame:
    """c = n12 / (n1 + n2 - n12) from a count matrix (diagonal = own counts); NaN where undefined."""
    values = counts.to_numpy(dtype="float64")
    own = np.diag(values)
    c = c_coefficient(values, own[:, None], own[None, :])
    return pd.DataFrame(c, index=counts.index, columns=counts.columns)


def _message_figure(text: str) -> Figure:
    fig, ax = plt.subplots(figsize=(5, 2.5))
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return explain(fig, f"A note in place of a figure: {text}.",
                   "This figure is only a note saying why there is nothing to draw; the tables on the page still "
                   "list every pair.")


def too_many_codes_note(n: int, what: str) -> str:
    """The note shown instead of a figure that would need to cluster or lay out ``n`` codes."""
    return (f"{n} codes applied: {what} skipped (more than {MAX_CLUSTERED_CODES} codes)\n"
            "choose a level (e.g. level='theme') to see it; the tables list every pair")


def cooccurrence_clustermap(counts: pd.DataFrame, title: str | None = None) -> Figure:
    """Clustered heatmap of c-coefficients, the counts written in the cells.

    ``counts``: ``cooccurrence(study, measure="count")``. Codes are ordered by
    average-linkage clustering on 1 − c, so codes that go together sit together.
    Codes never applied are left out. With fewer than two codes there is nothing
    to cluster, and beyond ``MAX_CLUSTERED_CODES`` codes clustering is skipped: the
    figure says so.
    """
    counts = counts.loc[np.diag(counts.to_numpy()) > 0, np.diag(counts.to_numpy()) > 0]
    if len(counts) < 2:
        return _message_figure("fewer than two codes applied: no co-occurrence to show")
    if len(counts) > MAX_CLUSTERED_CODES:
        return _message_figure(too_many_codes_note(len(counts), "clustered heatmap"))
    import seaborn as sns
    c = c_coefficients(counts)
    shown = c.clip(upper=1.0).fillna(0.0)
    distance = 1.0 - shown.to_numpy()
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(np.clip(distance, 0, None), checks=False), method="average")
    n = len(counts)
    labels = counts.to_numpy().astype(int).astype(str)
    labels[counts.to_numpy() == 0] = ""
    size = min(max(5.0, 0.32 * n + 3.0), 18.0)
    grid = sns.clustermap(shown, row_linkage=tree, col_linkage=tree, cmap=SEQUENTIAL, vmin=0, vmax=1,
                          annot=labels, fmt="", annot_kws={"fontsize": 8 if n <= 20 else 6},
                          figsize=(size, size), linewidths=0.3, linecolor="white",
                          cbar_kws={"label": "c-coefficient"}, dendrogram_ratio=0.12,
                          cbar_pos=(1.02, 0.3, 0.02, 0.4),  # right of the cells, never over them
                          xticklabels=True, yticklabels=True)
    grid.ax_heatmap.set_xlabel("")
    grid.ax_heatmap.set_ylabel("")
    unit = counts.attrs.get("unit")
    grid.figure.suptitle(title or f"Code co-occurrence{f' by {unit}' if unit else ''}: c-coefficient (cells: counts)",
                         y=1.01)
    return explain(grid.figure, *_clustermap_text(counts, c, unit))


def _pairs(values: pd.DataFrame) -> pd.Series:
    """Off-diagonal pairs (upper triangle) of a square matrix, largest first, ties by name."""
    codes = [str(c) for c in values.index]
    i, j = np.triu_indices(len(codes), k=1)
    flat = values.to_numpy(dtype="float64")[i, j]
    names = [f"{codes[a]} + {codes[b]}" for a, b in zip(i, j)]
    pairs = pd.Series(flat, index=names).dropna()
    pairs = pairs[pairs > 0]
    return pairs.iloc[sorted(range(len(pairs)), key=lambda k: (-pairs.iloc[k], pairs.index[k]))]


def _clustermap_text(counts: pd.DataFrame, c: pd.DataFrame, unit) -> tuple[str, str]:
    unit_word = unit or "unit"
    strongest = _pairs(c)
    top = (f"; strongest pairs: {top_items(strongest.index, strongest, n=2, fmt=lambda v: f'c = {v:.2f}')}"
           if len(strongest) else "; no two codes co-occur")
    alt = (f"Clustered heatmap of {len(counts)} codes by the same {len(counts)} codes: the colour of a cell gives "
           f"the c-coefficient of the pair (0 to 1) and the number in it how many {unit_word}s carry both; tree "
           f"lines at the edges group codes that co-occur{top}.")
    how = (f"Each cell is a pair of codes: the number is how many {unit_word}s carry both, the colour their "
           f"c-coefficient (dark: rarely together, yellow: nearly always together; scale right of the grid). The "
           f"diagonal holds each code's own count. Codes that go together are placed side by side, as the tree "
           f"lines show.")
    return alt, how


LABEL_STEPS = 100   # adjustText's label-moving steps in a network (a number, not a time: reproducible)


def cooccurrence_network(counts: pd.DataFrame, threshold: int = 1, seed: int = 0,
                         title: str | None = None) -> Figure:
    """Network of codes: node size = the code's own count (diagonal), edge width =
    co-occurrence count; edges below ``threshold`` are hidden. The spring layout
    is seeded and the labels are moved apart in ``LABEL_STEPS`` steps, so the picture
    is the same every run, on any machine."""
    values = counts.to_numpy()
    codes = [str(c) for c in counts.index]
    graph = nx.Graph()
    for code, own in zip(codes, np.diag(values)):
        if own > 0:
            graph.add_node(code, size=int(own))
    i, j = np.triu_indices(len(codes), k=1)
    keep = values[i, j] >= max(threshold, 1)
    for a, b, w in zip(np.asarray(codes, dtype=object)[i[keep]], np.asarray(codes, dtype=object)[j[keep]],
                       values[i, j][keep]):
        graph.add_edge(a, b, weight=int(w))
    if graph.number_of_nodes() == 0:
        return _message_figure("no codes applied")
    if graph.number_of_nodes() > MAX_CLUSTERED_CODES:
        return _message_figure(too_many_codes_note(graph.number_of_nodes(), "network"))
    size = min(max(6.0, 0.18 * graph.number_of_nodes() + 5.0), 14.0)
    fig, ax = plt.subplots(figsize=(size, size * 0.85))
    # unweighted forces with a wider spacing keep the frequent hubs from piling on top of each other
    position = nx.spring_layout(graph, seed=seed, weight=None, k=1.8 / np.sqrt(graph.number_of_nodes()))
    own = np.array([graph.nodes[n]["size"] for n in graph.nodes], dtype=float)
    node_sizes = 150 + 1850 * own / own.max()
    weights = np.array([graph.edges[e]["weight"] for e in graph.edges], dtype=float)
    widths = 0.5 + 5.5 * weights / weights.max() if len(weights) else []
    nx.draw_networkx_edges(graph, position, ax=ax, width=widths, edge_color="#888888", alpha=0.6)
    nx.draw_networkx_nodes(graph, position, ax=ax, node_size=node_sizes, node_color=PALETTE[0], alpha=0.85)
    texts = [ax.text(x, y, node, fontsize=8 if graph.number_of_nodes() <= 25 else 7, ha="center", va="center")
             for node, (x, y) in position.items()]
    ax.set_axis_off()
    ax.margins(0.12)  # room at the edges so no label is clipped
    if len(texts) > 1:
        from adjustText import adjust_text  # moves labels apart until none overlaps (maintained library)

        # A fixed number of steps: left to itself adjustText stops after one second, so the
        # labels sat elsewhere on a slower or busier machine and the same study's report
        # changed from run to run. 100 steps take about that second on a laptop.
        adjust_text(texts, ax=ax, iter_lim=LABEL_STEPS, time_lim=None,
                    arrowprops={"arrowstyle": "-", "color": "#555555", "lw": 0.5})
    unit = counts.attrs.get("unit")
    ax.set_title(title or f"Codes that co-occur{f' by {unit}' if unit else ''} (edges: at least {max(threshold, 1)})")
    fig.tight_layout()
    degree = pd.Series(dict(graph.degree())).sort_values(ascending=False, kind="stable")
    degree = degree.iloc[sorted(range(len(degree)), key=lambda k: (-degree.iloc[k], str(degree.index[k])))]
    hubs = (f"; most connected: {top_items(degree.index, degree, n=2, fmt=lambda v: plural(round(v), 'link'))}"
            if graph.number_of_edges() else "; no pair reaches the threshold, so no lines")
    return explain(
        fig, f"Network of {graph.number_of_nodes()} codes drawn as circles (larger: applied more often), with "
             f"{graph.number_of_edges()} lines joining codes that co-occur{f' by {unit}' if unit else ''} at least "
             f"{max(threshold, 1)} times (thicker: more often){hubs}.",
        "Each circle is a code, larger when applied more often; a line joins two codes that occur together, "
        "thicker when they do so more often. Positions only group related codes: distance and direction mean "
        "nothing else.")
