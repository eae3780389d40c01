"""One notebook's run as a file: parameters injected the way papermill does, and the failing
cell found and said in one line.

Running it in a kernel is ``execution``; the batch of runs is ``batch``. Split out of
``reports`` (issue 15), which re-exports every name.
"""
from __future__ import annotations

import functools
from pathlib import Path

from helpers.errors import InputError
from helpers.report.registry import notebooks_dir
from helpers.study import StudyPaths

__all__ = ["NotebookFailed", "failed_position", "parameterized"]


def parameterized(notebook: Path, params: dict):
    """The notebook with its parameters injected after the cell tagged ``parameters``.

    papermill's own injection, so the executed notebook reads as papermill's did; every code
    cell's outputs and execution count are cleared, and ``metadata.papermill`` holds the
    parameters and papermill's version (the times once run). No absolute path of this machine
    is recorded. The file's text is cached on path, modification time and size.

    Parameters
    ----------
    notebook : Path
        The ``.ipynb`` file.
    params : dict
        Parameter name -> value.

    Returns
    -------
    nbformat.NotebookNode
        The notebook (version 4), ready to run; the file is not changed.

    Raises
    ------
    OSError
        The notebook cannot be read.
    """
    import nbformat
    from papermill.parameterize import parameterize_notebook

    nb = nbformat.reads(_notebook_text(str(notebook), *_stamp(notebook)), as_version=4)
    nb.metadata["papermill"] = {"parameters": {}, "environment_variables": {}, "version": _papermill_version()}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.setdefault("tags", [])  # papermill looks cells up by tag
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return parameterize_notebook(nb, params, kernel_name="python3", language="python")


def _stamp(path: Path) -> tuple[int, int]:
    info = Path(path).stat()
    return info.st_mtime_ns, info.st_size


@functools.lru_cache(maxsize=16)
def _notebook_text(path: str, mtime_ns: int, size: int) -> str:
    return Path(path).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _papermill_version() -> str:
    import papermill

    return papermill.__version__


def failed_position(nb) -> int | None:
    """The 1-based position of the failing cell in the notebook as the researcher sees it.

    The cells papermill inserts (tagged ``injected-parameters`` or
    ``papermill-error-cell-tag``) are not counted.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook.

    Returns
    -------
    int or None
        The position of the first cell with an ``error`` output; None when no cell has one.
    """
    added = {"injected-parameters", "papermill-error-cell-tag"}  # cells papermill inserts
    cells = [c for c in nb.cells if not added & set(c.get("metadata", {}).get("tags", []))]
    for position, cell in enumerate(cells, start=1):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return position
    return None


class NotebookFailed(Exception):
    def __init__(self, notebook: str, stem: str, cell, ename: str, evalue: str):
        self.notebook, self.stem, self.cell, self.ename, self.evalue = notebook, stem, cell, ename, evalue
        super().__init__(f"{stem}: cell {cell}: {ename}: {evalue}")

    @staticmethod
    def as_input_error(failure: "NotebookFailed", paths: StudyPaths) -> InputError:
        evalue = str(failure.evalue).splitlines()[0] if failure.evalue else ""
        return InputError.one(notebooks_dir() / f"{failure.notebook}.ipynb",
                              f"failed in cell {failure.cell} ({failure.stem}): {failure.ename}: {evalue}",
                              f"see reports/{paths.name}/executed/{failure.stem}.failed.ipynb for the full error")
