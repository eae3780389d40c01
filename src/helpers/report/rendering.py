"""The report's HTML: an executed notebook as a page, and the study's index page.

Thin entry points over ``pages`` (the page template and the notebook renderer), with the
registry's profile notebook. Split out of ``reports`` (issue 15), which re-exports every name.
"""
from __future__ import annotations

from pathlib import Path

from helpers.report.registry import PROFILE, NotebookRun
from helpers.study import StudyPaths

__all__ = ["render_html", "write_index"]


def render_html(executed: Path, target: Path, title: str, defaults: dict | None = None,
                origins: dict | None = None) -> None:
    """Executed notebook -> one self-contained HTML page without JavaScript (``pages.render_notebook``).

    Parameters
    ----------
    executed : Path
        The executed ``.ipynb``.
    target : Path
        The HTML file to write (atomically).
    title : str
        The page's title.
    defaults : dict, optional
        The parameters cell's values as written, for the appendix.
    origins : dict, optional
        Parameter -> where the value passed came from (``NotebookRun.origins``).

    Returns
    -------
    None
        The page is written to ``target``.
    """
    from helpers.report.pages import render_notebook

    render_notebook(executed, target, title, defaults, origins)


def write_index(study, runs: list[NotebookRun], paths: StudyPaths, states: dict | None = None) -> Path:
    """Write reports/<study>/index.html (``index_page.write_index``, with the profile notebook's stem).

    Parameters
    ----------
    study : Study
        The study.
    runs : list of NotebookRun
        The runs of the batch, linked from the index.
    paths : StudyPaths
        The study's folders; the index is written under ``paths.reports``.
    states : dict, optional
        Page stem -> its state in this run ("run", "unchanged", "outdated"; ``index_page.PAGE_STATES``).

    Returns
    -------
    Path
        The index file written.
    """
    from helpers.report.index_page import write_index as write

    return write(study, runs, paths, PROFILE[0], states)
