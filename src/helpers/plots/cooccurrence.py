"""Figures for code co-occurrence (helpers.cooccurrence)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import squareform

from . import PALETTE, SEQUENTIAL


def c_coefficients(counts: pd.DataFrame) -> pd.DataFrame:
    """c = n12 / (n1 + n2 - n12) from a count matrix (diagonal = own counts); NaN where undefined."""
    values = counts.to_numpy(dtype="float64")
    own = np.diag(values)
    denominator = own[:, None] + own[None, :] - values
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(denominator > 0, values / denominator, np.nan)
    return pd.DataFrame(c, index=counts.index, columns=counts.columns)


def _message_figure(text: str) -> Figure:
    fig, ax = plt.subplots(figsize=(5, 2.5))
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return fig


def cooccurrence_clustermap(counts: pd.DataFrame, title: str | None = None) -> Figure:
    """Clustered heatmap of c-coefficients, the counts written in the cells.

    ``counts``: ``cooccurrence(study, measure="count")``. Codes are ordered by
    average-linkage clustering on 1 − c, so codes that go together sit together.
    Codes never applied are left out. With fewer than two codes there is nothing
    to cluster: the figure says so.
    """
    counts = counts.loc[np.diag(counts.to_numpy()) > 0, np.diag(counts.to_numpy()) > 0]
    if len(counts) < 2:
        return _message_figure("fewer than two codes applied: no co-occurrence to show")
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
                          xticklabels=True, yticklabels=True)
    grid.ax_heatmap.set_xlabel("")
    grid.ax_heatmap.set_ylabel("")
    unit = counts.attrs.get("unit")
    grid.figure.suptitle(title or f"Code co-occurrence{f' by {unit}' if unit else ''}: c-coefficient (cells: counts)",
                         y=1.01)
    return grid.figure


def cooccurrence_network(counts: pd.DataFrame, threshold: int = 1, seed: int = 0,
                         title: str | None = None) -> Figure:
    """Network of codes: node size = the code's own count (diagonal), edge width =
    co-occurrence count; edges below ``threshold`` are hidden. The spring layout
    is seeded, so the picture is the same every run."""
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
    nx.draw_networkx_labels(graph, position, ax=ax, font_size=8 if graph.number_of_nodes() <= 25 else 7)
    ax.set_axis_off()
    unit = counts.attrs.get("unit")
    ax.set_title(title or f"Codes that co-occur{f' by {unit}' if unit else ''} (edges: at least {max(threshold, 1)})")
    fig.tight_layout()
    return fig
