"""The keys of a run: what must be unchanged for a page (or the evidence pages) to be reused.

``run_key`` (study, notebook, parameters, version), ``study_key`` (the same without the
parameters of the command line and study.yml), ``evidence_key``; the study's part of each is
``notebook_fingerprint``, from the digests of what the notebook declares it reads
(``NOTEBOOK_INPUTS``, ``input_digests``). Split out of ``reports`` (issue 15), which
re-exports every name; ``batch_carry`` decides from these keys what is carried over.
"""
from __future__ import annotations

import hashlib
import json

from helpers import __version__
from helpers.report.registry import NotebookRun, notebooks_dir, study_parameter

__all__ = ["EVERYTHING", "IDENTITY_PARAMETERS", "NOTEBOOK_INPUTS", "evidence_key", "ingest_stamp", "input_digests",
           "notebook_fingerprint", "run_key", "study_key"]


def run_key(run: NotebookRun, fingerprint: str) -> str:
    """A run's full key: what must be unchanged for its page to be reused.

    The sha256 of ``fingerprint``, the notebook file's bytes, the run's parameters (as sorted
    JSON) and the package version.

    Parameters
    ----------
    run : NotebookRun
        The run (its notebook and its parameters).
    fingerprint : str
        The study's part (``notebook_fingerprint``).

    Returns
    -------
    str
        sha256, 64 hex digits.

    Raises
    ------
    OSError
        The notebook's ``.ipynb`` cannot be read.
    """
    notebook = notebooks_dir() / f"{run.notebook}.ipynb"
    digest = hashlib.sha256()
    for part in (fingerprint, notebook.read_bytes().hex(), json.dumps(run.params, sort_keys=True), __version__):
        digest.update(str(part).encode())
    return digest.hexdigest()


# The parameters that say which study and which part of it a page is about
# (set by ``plan``, not by the command line or study.yml): part of a run's study key.
IDENTITY_PARAMETERS = ("study", "participant", "drafts_sha256")


def study_key(run: NotebookRun, fingerprint: str) -> str:
    """A run's key without the parameters given on the command line or in study.yml.

    The study (its identity, the ``study`` parameter, and the digests of what the notebook
    reads, ``fingerprint``), the part of it the run is about (participant, drafts), the
    notebook file and the package version. A page outside ``--only`` is kept only when its
    recorded study key is this run's (``batch.carry_over``).

    Parameters
    ----------
    run : NotebookRun
        The run (its notebook and the parameters of ``IDENTITY_PARAMETERS`` it has).
    fingerprint : str
        The study's part (``notebook_fingerprint``).

    Returns
    -------
    str
        sha256, 64 hex digits.

    Raises
    ------
    OSError
        The notebook's ``.ipynb`` cannot be read.
    """
    notebook = notebooks_dir() / f"{run.notebook}.ipynb"
    identity = {k: run.params[k] for k in IDENTITY_PARAMETERS if k in run.params}
    digest = hashlib.sha256()
    for part in ("study", fingerprint, hashlib.sha256(notebook.read_bytes()).hexdigest(),
                 json.dumps(identity, sort_keys=True, default=str), __version__):
        digest.update(str(part).encode("utf-8") + b"\0")
    return digest.hexdigest()


def evidence_key(study, digests: dict[str, str]) -> str:
    """What the evidence pages of a bundle were built from.

    The study's identity (``study_parameter``), every input and the ingest
    (``notebook_fingerprint`` of a notebook that reads everything), and the package version.
    Recorded in the bundle; its evidence pages are carried over to the next bundle only when
    it is unchanged (``batch.carry_evidence``).

    Parameters
    ----------
    study : Study
        The study (its ``paths``).
    digests : dict of str to str
        The study's input digests (``input_digests``).

    Returns
    -------
    str
        sha256, 64 hex digits.
    """
    digest = hashlib.sha256()
    for part in ("evidence", study_parameter(study.paths), notebook_fingerprint("", digests), __version__):
        digest.update(str(part).encode("utf-8") + b"\0")
    return digest.hexdigest()


def ingest_stamp(study) -> str:
    """What a notebook's results depend on from ingestion: the inputs' fingerprint and this ingest.

    A re-ingest of unchanged inputs (say, after a run killed while swapping the processed
    folder in) replaces tables/, so it must re-run the notebooks that write there: the stamp
    includes the manifest's bytes and its modification time.

    Parameters
    ----------
    study : Study
        A study loaded from disk (``paths.processed/manifest.json`` and ``manifest``).

    Returns
    -------
    str
        ``<manifest fingerprint>/<sha256 of manifest.json>/<its mtime in ns>``.

    Raises
    ------
    OSError
        manifest.json cannot be read.
    """
    manifest_file = study.paths.processed / "manifest.json"
    digest = hashlib.sha256(manifest_file.read_bytes()).hexdigest()
    return f"{study.manifest.get('fingerprint', '')}/{digest}/{manifest_file.stat().st_mtime_ns}"


# What each notebook reads (issue 18 item 3): it re-runs when one of these
# changed (or its file, its parameters, the package version). ``ingest`` is
# the ingest itself: a notebook that writes into data/processed/<study>/tables/
# re-runs after every ingest, which replaces that folder. A notebook not listed
# reads everything. Declare only what the notebook provably does not read
# away: a wrong declaration leaves a stale page.
EVERYTHING = ("documents", "segments", "codings", "codebook", "participants", "texts", "ingest_tables",
              "manifest", "config")
NOTEBOOK_INPUTS = {
    "01-clean-transcripts": EVERYTHING,                       # reads only; writes no table
    "05-participant-profile": tuple(x for x in EVERYTHING if x != "ingest_tables"),  # no import report
}


def input_digests(study) -> dict[str, str]:
    """A digest of each input a notebook may declare, for ``notebook_fingerprint``.

    Parameters
    ----------
    study : Study
        A study loaded from disk (its processed parquet tables, texts, ingest tables listed in
        the manifest, manifest and config are read).

    Returns
    -------
    dict of str to str
        Name (an item of ``EVERYTHING``, or ``ingest``) -> digest: sha256 hex digits, and for
        ``ingest`` the ``ingest_stamp``. The processed tables are hashed by content (their
        writer is deterministic), so a re-ingest that changes nothing a notebook reads leaves
        its key; ``manifest`` leaves out its time, inputs and fingerprint, and ``config`` has
        the study folder's path replaced by ``<study>``.

    Raises
    ------
    OSError
        A processed table, text or manifest cannot be read.
    """
    import dataclasses

    processed = study.paths.processed

    def digest(*parts) -> str:
        h = hashlib.sha256()
        for part in parts:
            h.update(part if isinstance(part, bytes) else str(part).encode("utf-8"))
            h.update(b"\0")
        return h.hexdigest()

    out = {name: digest((processed / f"{name}.parquet").read_bytes())
           for name in ("documents", "segments", "codings", "codebook", "participants")}
    out["texts"] = digest(*[x for p in sorted(study.paths.texts.glob("*.txt")) for x in (p.name, p.read_bytes())])
    tables = [study.paths.tables / f"{name}.csv" for name in study.manifest.get("tables", [])]
    out["ingest_tables"] = digest(*[x for p in tables if p.is_file() for x in (p.name, p.read_bytes())])
    kept = {k: v for k, v in study.manifest.items() if k not in ("time", "inputs", "fingerprint")}
    out["manifest"] = digest(json.dumps(kept, sort_keys=True, default=str))
    config = study.config
    root = str(getattr(config, "root", ""))
    settings = json.dumps(dataclasses.asdict(config), sort_keys=True, default=str) if config is not None else ""
    out["config"] = digest(settings.replace(root, "<study>") if root else settings)
    out["ingest"] = ingest_stamp(study)
    return out


def notebook_fingerprint(notebook: str, digests: dict[str, str]) -> str:
    """The part of a run's key that comes from the study.

    The digests of what ``notebook`` declares it reads (``NOTEBOOK_INPUTS``; everything, and
    the ingest itself, when it declares nothing).

    Parameters
    ----------
    notebook : str
        The notebook's stem (``""`` for "reads everything").
    digests : dict of str to str
        ``input_digests`` of the study.

    Returns
    -------
    str
        ``name=digest`` for each input read, joined by ``/``, in ``EVERYTHING``'s order.

    Raises
    ------
    KeyError
        ``digests`` lacks an input the notebook reads.
    """
    names = NOTEBOOK_INPUTS.get(notebook, EVERYTHING + ("ingest",))
    return "/".join(f"{name}={digests[name]}" for name in names)
