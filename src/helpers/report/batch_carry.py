"""What a report run reuses from the previous bundle, and the snapshot its kernels read.

Split out of ``batch`` (issue 15: no module over ~500 lines); every name here is
re-exported from ``helpers.report.batch``, where the run that uses them lives.

- ``write_snapshot``: the run's snapshot for ``study.load_study`` in the kernels;
- ``outputs_of``, ``study_file``: a notebook run's files in the bundle and its
  recorded study key;
- ``carry_over``, ``carry_evidence``: link unchanged pages and evidence pages from the
  previous bundle when built from the same inputs (run key) or the same study
  (study key, evidence key);
- ``stale_pages``: pages of the previous bundle the new one does not have.
"""
from __future__ import annotations

import os
import pickle
import shutil
import threading
from pathlib import Path

from helpers import atomic
from helpers.study import StudyPaths

__all__ = ["EVIDENCE_KEY", "EVIDENCE_WRITERS", "carry_evidence", "carry_over", "outputs_of", "stale_pages",
           "study_file", "write_snapshot"]


# -- the snapshot the kernels read -----------------------------------------------------------

def write_snapshot(paths: StudyPaths, bundle: Path, config, manifest_file: Path, folder: Path,
                   tables: Path | None = None) -> Path:
    """Write the run's snapshot, for ``study.load_study`` in the batch's kernels.

    The snapshot records the processed folder, the sha256 of its manifest (a re-ingest during
    the run is detected), the study configuration as read at the start, the staging folder
    that stands for reports/<study>/ during the run, and the folder the tables are read from.

    Parameters
    ----------
    paths : StudyPaths
        The study's folders (``processed`` is recorded, resolved).
    bundle : Path
        The staging folder of reports/<study>/.
    config : StudyConfig
        The study configuration the run started with (pickled as it is).
    manifest_file : Path
        The manifest.json whose sha256 is recorded.
    folder : Path
        Where to write: the run lock's private folder (0700); the caller removes the file at
        the end of the run.
    tables : Path, optional
        The folder the tables are read from (the run's staged ingest); default
        ``paths.processed``.

    Returns
    -------
    Path
        ``folder/snapshot-<pid>-<thread id>.pickle``, written atomically: a pickled dict with
        keys ``processed``, ``reports``, ``tables`` (str), ``manifest_sha256`` and ``config``.

    Raises
    ------
    OSError
        ``manifest_file`` cannot be read or the snapshot cannot be written.
    """
    import hashlib

    target = folder / f"snapshot-{os.getpid()}-{threading.get_ident()}.pickle"
    record = {"processed": str(paths.processed.resolve()), "reports": str(bundle),
              "tables": str(tables or paths.processed),
              "manifest_sha256": hashlib.sha256(manifest_file.read_bytes()).hexdigest(), "config": config}
    atomic.write_bytes(target, pickle.dumps(record))
    return target


# -- carrying unchanged pages over -------------------------------------------------------------

# The notebooks that write evidence pages (evidence/*.html, linked from their
# tables): carried over only with evidence pages built from the same study.
EVIDENCE_WRITERS = ("02-code-frequencies", "03-code-cooccurrence", "04-themes-across-participants")
EVIDENCE_KEY = "executed/.evidence.key"


def outputs_of(stem: str) -> list[str]:
    """A notebook run's files in the bundle.

    Parameters
    ----------
    stem : str
        The run's output name (``NotebookRun.stem``).

    Returns
    -------
    list of str
        Paths relative to the bundle: ``<stem>.html``, ``executed/<stem>.ipynb`` and its key
        file ``executed/.<stem>.key``, in that order.
    """
    return [f"{stem}.html", f"executed/{stem}.ipynb", f"executed/.{stem}.key"]


def study_file(stem: str) -> str:
    """The file recording a run's study key (``runkeys.study_key``) in the bundle.

    Parameters
    ----------
    stem : str
        The run's output name.

    Returns
    -------
    str
        ``executed/.<stem>.study.key``, relative to the bundle.
    """
    return f"executed/.{stem}.study.key"


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)  # outputs are only ever replaced, never edited: a link is safe
    except OSError:
        shutil.copy2(source, target)


def _recorded(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def carry_over(previous: Path, bundle: Path, stem: str, key: str, study_key: str, selected: bool = True) -> bool:
    """Link a run's outputs (page, executed notebook, key, figures) from the
    previous bundle into the new one when they were built from the inputs of
    this run; else nothing is linked and False is returned.

    Parameters
    ----------
    previous, bundle : Path
        reports/<study>/ as the last run left it, and the staging folder.
    stem : str
        The run's output name.
    key : str
        The run's key in this run (``runkeys.run_key``: study, notebook, parameters, version).
    study_key : str
        The run's study key in this run (``runkeys.study_key``: the same without
        the parameters given on the command line or in study.yml).
    selected : bool
        The run is selected (``--only``): it is carried over only when its
        ``key`` is the recorded one. A run outside the selection is carried
        over when its ``study_key`` is the recorded one: built from this very
        study (its identity and data), notebook and package version, whatever
        parameters it was run with then. Otherwise its page is left out of the
        new bundle, never kept as "unchanged" (a withdrawn participant's quotes,
        another study's pages).

    Returns
    -------
    bool
        Whether the run's outputs were carried over.
    """
    files = [previous / name for name in outputs_of(stem)]
    if not all(f.is_file() for f in files):
        return False
    if _recorded(files[2]) != key and (selected or _recorded(previous / study_file(stem)) != study_key):
        return False
    for name, source in zip(outputs_of(stem), files):
        _link(source, bundle / name)
    atomic.write_text(bundle / study_file(stem), study_key)  # true of it either way
    for source in sorted((previous / "figures").glob(f"{stem}-figure-*")):  # its figures (PNG, SVG)
        _link(source, bundle / source.relative_to(previous))
    return True


def carry_evidence(previous: Path, bundle: Path, evidence_key: str) -> bool:
    """Link the previous bundle's evidence pages into the new one when built from this study as it is.

    They are carried over only when the previous bundle's recorded ``runkeys.evidence_key``
    (``EVIDENCE_KEY``) is ``evidence_key``; the notebooks that run rewrite theirs. Each
    evidence/*.html is hard-linked (copied where linking fails).

    Parameters
    ----------
    previous : Path
        reports/<study>/ as the last run left it.
    bundle : Path
        The new bundle's staging folder.
    evidence_key : str
        This run's ``runkeys.evidence_key``.

    Returns
    -------
    bool
        Whether the evidence pages were carried over (False also when no key is recorded).

    Raises
    ------
    OSError
        A page can be neither linked nor copied.
    """
    if _recorded(previous / EVIDENCE_KEY) != evidence_key:
        return False
    for source in sorted((previous / "evidence").glob("*.html")):
        _link(source, bundle / source.relative_to(previous))
    return True


def stale_pages(previous: Path, bundle: Path) -> list[str]:
    """Pages of the previous bundle that the new one does not have.

    A withdrawn participant, a document gone, an agreement page with one coder left.

    Parameters
    ----------
    previous : Path
        reports/<study>/ as the last run left it (absent: nothing is stale).
    bundle : Path
        The new bundle's staging folder.

    Returns
    -------
    list of str
        The stems of the previous top-level ``*.html`` pages (index.html aside) with no file of
        the same name in ``bundle``, sorted.
    """
    if not previous.is_dir():
        return []
    return sorted(p.stem for p in previous.glob("*.html") if p.name != "index.html"
                  and not (bundle / p.name).exists())
