"""Figures for up to 60 codes and 40 participants (issue 16 point 3): no
overlapping labels, colour bars outside the cells, integer ticks on counts,
two colours for presence."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from helpers import plots  # noqa: E402


def _codes(n):
    return [f"code number {i:02d}" for i in range(n)]


def _overlaps(boxes) -> int:
    hits = 0
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            if boxes[i].overlaps(boxes[j]):
                hits += 1
    return hits


def test_network_of_60_codes_has_no_overlapping_labels():
    rng = np.random.default_rng(1)
    codes = _codes(60)
    values = rng.integers(0, 3, size=(60, 60))
    values = np.triu(values, 1) + np.triu(values, 1).T
    np.fill_diagonal(values, rng.integers(1, 9, size=60))
    fig = plots.cooccurrence.cooccurrence_network(pd.DataFrame(values, index=codes, columns=codes), threshold=2)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_text().startswith("code number")]
    assert len(labels) == 60
    boxes = [t.get_window_extent(renderer) for t in labels]
    plt.close(fig)
    assert _overlaps(boxes) <= 3  # adjustText leaves at most a few touching corners


def test_presence_heatmap_has_two_colour_legend_and_no_colour_scale():
    pids = [f"P{i:02d}" for i in range(40)]
    rng = np.random.default_rng(2)
    matrix = pd.DataFrame(rng.integers(0, 2, size=(40, 12)), index=pids, columns=_codes(12))
    fig = plots.themes.theme_heatmap(matrix, value="presence")
    legends = [a.get_legend() for a in fig.axes if a.get_legend() is not None]
    colourbars = [a for a in fig.axes if a.get_label() == "<colorbar>"]
    assert colourbars == [] and len(legends) == 1
    assert [t.get_text() for t in legends[0].get_texts()] == ["present", "absent"]
    plt.close(fig)


def test_count_heatmap_colour_bar_sits_outside_the_cells():
    pids = [f"P{i:02d}" for i in range(10)]
    matrix = pd.DataFrame(np.arange(60).reshape(10, 6), index=pids, columns=_codes(6))
    fig = plots.themes.theme_heatmap(matrix, value="count")
    fig.canvas.draw()
    heat = max(fig.axes, key=lambda a: a.get_position().width * a.get_position().height)
    bars = [a for a in fig.axes if a is not heat and a.get_position().x0 >= heat.get_position().x1]
    assert bars, "the colour bar is not right of the heatmap"
    plt.close(fig)


def test_count_axes_have_integer_ticks():
    freq = pd.DataFrame({"code": ["a", "b"], "applications": [2, 1], "segments": [2, 1], "documents": [1, 1],
                         "participants": [2, 1], "participants_pct": [100.0, 50.0], "words_coded": [5, 3]})
    fig = plots.frequency.frequency_bars(freq, value="participants")
    ticks = fig.axes[0].get_xticks()
    plt.close(fig)
    assert all(float(t).is_integer() for t in ticks)
