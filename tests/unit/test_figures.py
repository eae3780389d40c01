"""Figures for up to 60 codes and 40 participants (issue 16 point 3): no
overlapping labels, colour bars outside the cells, integer ticks on counts,
two colours for presence."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

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
    legends = [a.get_legend() for a in fig.axes if a.get_legend() is not None] + list(fig.legends)
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


# -- every figure at 60 codes x 40 participants: what it shows, how to read it, nothing overlapping ---------

def _every_figure():
    """One of each figure the reports draw, at the issue's size: 60 codes, 40 participants."""
    from types import SimpleNamespace

    from scipy.cluster.hierarchy import linkage

    rng = np.random.default_rng(3)
    codes, pids = _codes(60), [f"P{i:02d}" for i in range(40)]
    counts = rng.integers(0, 4, size=(60, 60))
    counts = np.triu(counts, 1) + np.triu(counts, 1).T
    np.fill_diagonal(counts, rng.integers(4, 12, size=60))
    counts = pd.DataFrame(counts, index=codes, columns=codes)
    counts.attrs["unit"] = "segment"
    presence = pd.DataFrame(rng.integers(0, 2, size=(40, 60)), index=pids, columns=codes)
    freq = pd.DataFrame({"code": codes, "applications": rng.integers(1, 50, 60), "segments": rng.integers(1, 50, 60),
                         "documents": rng.integers(1, 20, 60), "participants": rng.integers(1, 40, 60),
                         "participants_pct": rng.uniform(0, 100, 60), "words_coded": rng.integers(10, 500, 60)})
    by = pd.concat([freq.assign(gender=g) for g in ("man", "woman", "non-binary")], ignore_index=True)
    by = by[["gender"] + [c for c in by.columns if c != "gender"]]
    words = pd.DataFrame({"term": [f"word{i}" for i in range(40)], "n": rng.integers(1, 90, 40)})
    key = pd.DataFrame({"participant": "P01", "term": [f"word{i}" for i in range(15)],
                        "log_ratio": rng.normal(0, 2, 15), "g2": rng.uniform(0, 20, 15)})
    rec = pd.DataFrame({"code": codes, "n": rng.integers(0, 40, 60), "N": 40})
    rec = rec.assign(share=rec["n"] / 40, recurrent=rec["n"] >= 20)
    line = pd.DataFrame({"doc_id": "P01", "seg_no": rng.integers(1, 80, 200), "code": rng.choice(codes, 200),
                         "speaker_role": rng.choice(["participant", "interviewer"], 200)})
    sat = SimpleNamespace(table=pd.DataFrame({"interview": range(1, 41), "n_new": rng.integers(0, 5, 40)}),
                          summary={"base_size": 4, "reached": True, "at": 20, "threshold": 0.05},
                          sentence="Saturation reached at interview 20.", runs=pd.DataFrame())
    sat.table["cumulative"] = sat.table["n_new"].cumsum()
    usage = pd.DataFrame(rng.integers(0, 30, size=(2, 60)), index=["AK", "RB"], columns=codes)
    alpha = rng.uniform(0.3, 1, 61)
    agree = pd.DataFrame({"code": codes + ["overall"], "alpha": alpha, "alpha_low": alpha - 0.1,
                          "alpha_high": np.minimum(alpha + 0.1, 1)})
    share = pd.DataFrame({"doc_id": pids, "participant": 0.7, "interviewer": 0.25, "other": 0.05})
    xy = rng.normal(size=(40, 2))
    pmap = SimpleNamespace(coords=pd.DataFrame({"participant_id": pids, "pseudonym": [f"Name{i}" for i in range(40)],
                                                "x": xy[:, 0], "y": xy[:, 1], "gender": rng.choice(["m", "w"], 40)}),
                           level="theme", distances=pd.DataFrame(np.eye(40), index=pids, columns=pids))
    clusters = SimpleNamespace(order=list(range(40)), linkage=linkage(xy, method="average"))
    model = SimpleNamespace(alignment=pd.DataFrame(rng.uniform(0, 1, (8, 60)), index=range(8), columns=codes),
                            summary=pd.DataFrame({"topic": range(8), "label": [f"topic {i}" for i in range(8)],
                                                  "uncovered": [i % 3 == 0 for i in range(8)]}))
    scores = pd.DataFrame({"code": codes, "n_examples": rng.integers(5, 40, 60), "suggested": rng.random(60) > 0.5,
                           "note": "", "precision": rng.random(60), "recall": rng.random(60), "f1": rng.random(60)})
    result = SimpleNamespace(scores=scores, parameters={"precision_threshold": 0.7})
    curve = pd.DataFrame({"k": range(2, 11), "reconstruction_error": np.linspace(20, 15, 9),
                          "coherence_umass": np.linspace(-2, -3, 9)})
    return {
        "frequency_bars": lambda: plots.frequency.frequency_bars(freq, value="participants", top=60),
        "attribute_code_heatmap": lambda: plots.frequency.attribute_code_heatmap(by, top=60),
        "word_bars": lambda: plots.frequency.word_bars(words, top=40),
        "keyness_bars": lambda: plots.frequency.keyness_bars(key, "P01"),
        "cooccurrence_clustermap": lambda: plots.cooccurrence.cooccurrence_clustermap(counts),
        "cooccurrence_network": lambda: plots.cooccurrence.cooccurrence_network(counts, threshold=3),
        "presence_heatmap": lambda: plots.themes.theme_heatmap(presence, value="presence"),
        "presence_heatmap_unclustered": lambda: plots.themes.theme_heatmap(presence, value="presence", cluster=False),
        "count_heatmap": lambda: plots.themes.theme_heatmap(presence * 3, value="count"),
        "recurrence_bars": lambda: plots.themes.recurrence_bars(rec),
        "saturation_curve": lambda: plots.themes.saturation_curve(_saturation(sat)),
        "codeline": lambda: plots.themes.codeline(line, "P01"),
        "coder_heatmap": lambda: plots.agreement.coder_heatmap(usage),
        "agreement_forest": lambda: plots.agreement.agreement_forest(agree),
        "talk_share": lambda: plots.overview.talk_share(share),
        "participant_map": lambda: plots.discovery.participant_map_figure(pmap, clusters, colour_by="gender"),
        "topic_alignment": lambda: plots.discovery.topic_alignment_heatmap(model),
        "code_scores": lambda: plots.discovery.code_scores_figure(result),
        "topic_number": lambda: plots.discovery.topic_number_figure(curve),
    }


def _saturation(namespace):
    from helpers.analysis import themes

    return themes.SaturationResult(**{f: getattr(namespace, f) for f in themes.SaturationResult.__dataclass_fields__})


FIGURES = sorted(_every_figure())


def _texts(fig, renderer):
    """(kind, name, box) of every piece of text a reader must read: tick labels per axis, axis
    labels, titles, legends, the suptitle."""
    out = []
    for n, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        for which, labels in (("x", ax.get_xticklabels()), ("y", ax.get_yticklabels())):
            out += [(f"ticks{n}{which}", t.get_text(), t.get_window_extent(renderer)) for t in labels
                    if t.get_text() and t.get_visible()]
        for kind, label in (("xlabel", ax.xaxis.label), ("ylabel", ax.yaxis.label), ("title", ax.title)):
            if label.get_text() and label.get_visible():
                out.append((f"{kind}{n}", label.get_text(), label.get_window_extent(renderer)))
        if ax.get_legend() is not None:
            out.append((f"legend{n}", "legend", ax.get_legend().get_window_extent(renderer)))
    out += [(f"figlegend{i}", "legend", leg.get_window_extent(renderer)) for i, leg in enumerate(fig.legends)]
    if getattr(fig, "_suptitle", None) is not None and fig._suptitle.get_text():
        out.append(("suptitle", fig._suptitle.get_text(), fig._suptitle.get_window_extent(renderer)))
    return out


@pytest.mark.parametrize("name", FIGURES)
def test_no_label_legend_or_title_overlaps_another_at_60_codes_and_40_participants(name):
    """The presence legend sat on the clustered heatmap's row labels; every figure is checked: tick
    labels of one axis never overlap each other, and no legend, title or axis label overlaps any text."""
    fig = _every_figure()[name]()
    fig.canvas.draw()
    texts = _texts(fig, fig.canvas.get_renderer())
    clashes = []
    for i, (kind_a, a, box_a) in enumerate(texts):
        for kind_b, b, box_b in texts[i + 1:]:
            same_ticks = kind_a == kind_b and kind_a.startswith("ticks")
            other_kinds = kind_a != kind_b and (not kind_a.startswith("ticks") or not kind_b.startswith("ticks"))
            if (same_ticks or other_kinds) and box_a.overlaps(box_b):
                clashes.append(f"{kind_a} {a!r} overlaps {kind_b} {b!r}")
    plt.close(fig)
    assert clashes == [], clashes[:5]


@pytest.mark.parametrize("name", FIGURES)
def test_alt_text_and_guide_say_what_that_figure_shows(name):
    """The co-occurrence heatmap's guide described the network (its dendrograms are lines) and one alt
    text read "connecting lines; connecting lines; …": each figure says its own kind, once."""
    from helpers.report import present

    fig = _every_figure()[name]()
    alt, how = present.describe(fig), present.how_to_read(fig)
    plt.close(fig)
    kind = {"bars": "bar chart", "heatmap": "heatmap", "clustermap": "heatmap", "network": "network",
            "forest": "forest plot", "curve": "line chart", "codeline": "dot chart", "share": "bars",
            "map": "map", "alignment": "heatmap", "scores": "bar chart", "number": "line chart"}
    expected = next(v for k, v in kind.items() if k in name)
    assert expected in alt.lower(), alt
    assert "connecting lines" not in alt and "No description" not in alt
    parts = [p.strip() for p in alt.replace(";", ".").split(".") if p.strip()]
    assert len(parts) == len(set(parts)), f"a part said twice: {alt}"
    assert how and len(how) > 40
    if "network" not in name:
        assert "circle" not in how, f"{name}: the network's guide under another figure: {how}"


def test_recurrence_bars_of_a_table_with_a_note_column_are_not_grouped_by_the_note():
    """themes.recurrence gained a "note" column, which the figure took for a group column: the demo's
    recurrence chart was drawn "one bar per group of note"."""
    rec = pd.DataFrame({"code": ["a", "b"], "n": [3, 1], "N": [4, 4], "share": [0.75, 0.25], "names": ["", ""],
                        "recurrent": [True, False], "note": ["", ""]})
    fig = plots.themes.recurrence_bars(rec, level="theme")
    assert len([p for p in fig.axes[0].patches if p.get_width()]) == 2   # one bar per code
    assert "1 of 2 recurrent" in fig.alt_text and "group" not in fig.alt_text
    plt.close(fig)


def test_recurrence_bars_when_recurrence_is_not_computed():
    """Under 3 participants recurrence is NA: the pilot's page 04 failed with "boolean value of NA is
    ambiguous" once the chart stopped taking the note column for a group."""
    rec = pd.DataFrame({"code": ["a", "b"], "n": [1, 0], "N": [1, 1], "share": [1.0, 0.0], "names": ["", ""],
                        "recurrent": pd.array([pd.NA, pd.NA], dtype="boolean"), "note": ["too few", "too few"]})
    fig = plots.themes.recurrence_bars(rec, level="theme")
    assert "0 of 2 recurrent" in fig.alt_text
    plt.close(fig)


def test_network_labels_are_placed_the_same_on_a_slow_machine(monkeypatch):
    """adjustText stopped moving labels after one second by default, so the same study's
    network came out otherwise on a slower or busier machine (two demo runs differed).
    Here adjustText's clock runs 0.4 s per reading, as on a very slow machine: the same bytes."""
    import io

    import adjustText

    rng = np.random.default_rng(1)
    codes = _codes(30)
    values = rng.integers(0, 3, size=(30, 30))
    values = np.triu(values, 1) + np.triu(values, 1).T
    np.fill_diagonal(values, rng.integers(1, 9, size=30))
    counts = pd.DataFrame(values, index=codes, columns=codes)

    def drawn() -> bytes:
        fig = plots.cooccurrence.cooccurrence_network(counts, threshold=2)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        plt.close(fig)
        return buffer.getvalue()

    here = drawn()
    readings = iter(np.arange(0, 10_000, 0.4))
    monkeypatch.setattr(adjustText, "timer", lambda: float(next(readings)))
    assert drawn() == here
