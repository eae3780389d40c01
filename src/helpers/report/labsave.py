"""JupyterLab saves notebooks without outputs (issue 19, item 2).

A notebook run in JupyterLab on a real study holds that study's text in its outputs; the
notebooks under ``notebooks/`` are tracked by git, so saving them with outputs would put
confidential text into a commit. ``make lab`` starts JupyterLab with
``etc/jupyter/jupyter_server_config.py``, which installs :func:`strip_outputs` as the
contents manager's pre-save hook: outputs stay on screen while the session is open but are
never written to disk. Executed copies with outputs live only under the ignored
``reports/<study>/executed/``.
"""
from __future__ import annotations

__all__ = ["strip_outputs"]


def strip_outputs(model: dict, path: str = "", contents_manager=None, **kwargs) -> None:
    """Jupyter pre-save hook: save a notebook without its outputs.

    Code cells lose their outputs and execution counts; every cell loses its
    ``execution`` metadata and its attachments; the notebook loses its ``widgets`` metadata.
    Any other model (a file, a folder) is left as it is.

    Parameters
    ----------
    model : dict
        The contents model being saved (``type``, ``content``); changed in place.
    path : str
        The notebook's path relative to the server root (unused).
    contents_manager : ContentsManager, optional
        Unused; part of the hook signature.
    **kwargs
        Unused; whatever else Jupyter passes to a pre-save hook.

    Returns
    -------
    None
    """
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    notebook = model["content"]
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
        cell.pop("attachments", None)
    notebook.get("metadata", {}).pop("widgets", None)
