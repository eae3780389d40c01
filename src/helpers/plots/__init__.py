"""Every figure of the project, in one style.

``style()`` sets the shared look (colour-blind-safe Okabe–Ito palette, a
readable base font, no top/right spines); figure functions live in the
submodules by concern and are re-exported here.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
SEQUENTIAL = "viridis"   # perceptually uniform, colour-blind safe
DIVERGING = "vlag"
BASE_FONT = 10
# Clustered heatmaps and networks beyond this many codes are skipped (with a note in the
# figure): clustering is quadratic in memory and cubic in time, 5,000 codes crashed it
# (issue 19 item 8), and a picture of more codes than this cannot be read anyway.
MAX_CLUSTERED_CODES = 150


def style() -> None:
    """Apply the project style to matplotlib and seaborn."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, font_scale=0.9)
    plt.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 110, "savefig.bbox": "tight",
        "axes.spines.top": False, "axes.spines.right": False,
        "axes.titleweight": "bold", "axes.titlesize": BASE_FONT + 2,
        "font.size": BASE_FONT, "figure.autolayout": False,
        # Code names and pseudonyms are data, not TeX: "$x$" in a label stays "$x$".
        "text.parse_math": False,
    })


def figure_height(n_rows: int, per_row: float = 0.28, minimum: float = 2.5, maximum: float = 18.0) -> float:
    """A height that keeps 40 labelled rows readable."""
    return float(min(max(minimum, n_rows * per_row + 1.2), maximum))


def explain(fig, alt: str, how: str):
    """Attach to ``fig`` what it shows and how to read it, for the report page.

    The figure function knows its figure: ``alt`` (the image's alt text: kind,
    axes, what colour or size encodes and the main reading) and ``how`` (the
    "how to read this" under it) are set there rather than guessed from the
    drawing (a clustered heatmap's dendrograms are lines, not a network).
    ``present.describe`` and ``present.how_to_read`` read them.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    alt : str
        One or two sentences: what the figure shows.
    how : str
        One or two sentences: how to read it.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` itself.
    """
    fig.alt_text = " ".join(str(alt).split())
    fig.how_to_read = " ".join(str(how).split())
    return fig


def top_items(names, values, n: int = 3, fmt=lambda v: f"{v:g}") -> str:
    """The first ``n`` of ``names`` with their values, for a figure's main reading:
    "a (5), b (4) and c (3)"."""
    pairs = [f"{name} ({fmt(value)})" for name, value in list(zip(names, values))[:n]]
    if len(pairs) <= 1:
        return "".join(pairs)
    return ", ".join(pairs[:-1]) + " and " + pairs[-1]


def colour_for(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


style()


def __getattr__(name: str):
    """Figure modules by concern (plots.overview, plots.cooccurrence, …), loaded on first use."""
    import importlib

    try:
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name == f"{__name__}.{name}":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        raise
