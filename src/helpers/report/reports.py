"""Reports: the notebook registry, parameters, the run lock, HTML pages, the
index page and the redaction scan. The batch itself (snapshot, kernels,
parallel runs, the bundle swapped in whole, the summary) is ``helpers.report.batch``;
running one notebook in a kernel is ``helpers.report.execution``.

    python -m helpers report STUDY [--jobs N] [--force]
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from helpers import __version__, atomic
from helpers.errors import InputError
from helpers.study import StudyPaths, project_root


@dataclass
class NotebookRun:
    notebook: str                     # file stem in notebooks/
    title: str
    description: str
    params: dict = field(default_factory=dict)
    output: str | None = None         # executed stem; defaults to notebook

    @property
    def stem(self) -> str:
        return self.output or self.notebook


BATCH = [
    ("01-clean-transcripts", "Cleaning and import", "Turns, words, talk share, annotations, redaction summary, identifier review, and the import of every coding source."),
    ("02-code-frequencies", "Code frequencies", "How often each code is applied, in how many turns, documents and participants, and word frequencies and keyness."),
    ("03-code-cooccurrence", "Code co-occurrence", "Which codes occur together, under every counting unit, with c-coefficients, significance, heatmap and network."),
    ("04-themes-across-participants", "Themes across participants", "Participant × theme matrix, recurrence, negative cases, framework matrix with quotes, codelines and saturation."),
    ("06-intercoder-agreement", "Inter-coder agreement", "Per-code agreement (percent, kappa, Krippendorff's alpha with intervals) and the disagreements to settle."),
    ("08-discovery", "Discovery", "Topic suggestions, cross-validated code suggestions for uncoded turns, and the participant map."),
    ("09-write-up-audit", "Write-up audit", "The draft's quotations, attributions and claims about participants checked against the transcripts and the coding."),
]
PROFILE = ("05-participant-profile", "Participant profile", "One participant's talk, codes, themes, codeline and best quotes, against the group.")

from helpers.report.pages import COUNTING_RULES  # noqa: E402,F401  (one list, shown on every page and the index)


def notebooks_dir() -> Path:
    """The project's notebooks folder: ``<project root>/notebooks``.

    Returns
    -------
    Path
        The folder (not checked to exist).
    """
    return project_root() / "notebooks"


def parse_params(pairs: list[str]) -> dict:
    """The ``-p NAME=VALUE`` pairs of the command line as notebook parameters.

    Each value is read as JSON when it parses (``5`` an int, ``true`` a bool, ``["a"]`` a
    list), else kept as the string; ``None``, ``none`` and ``null`` give None (the notebook's
    default). Only the first ``=`` splits, so a value may contain ``=``.

    Parameters
    ----------
    pairs : list of str
        The ``NAME=VALUE`` texts, in the order given (a later name overrides an earlier one).

    Returns
    -------
    dict
        Name -> value.

    Raises
    ------
    InputError
        A pair without ``=`` (file "command line").
    """
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise InputError.one("command line", f"parameter '{pair}' is not NAME=VALUE", "write e.g. -p level=theme")
        name, value = pair.split("=", 1)
        if value.strip() in ("None", "none", "null"):
            out[name] = None   # -p level=None means the notebook's default (the study's own choice)
            continue
        try:
            out[name] = json.loads(value)
        except json.JSONDecodeError:
            out[name] = value
    return out


# -- locking ----------------------------------------------------------------------------

def lock_file(paths: StudyPaths) -> Path:
    """The path of the study's run lock.

    It lies in the system's temporary folder, not in data/ or reports/ (a run refused for bad
    input leaves nothing there), in ``transcript-themes-<uid>/`` (created, mode 0700), named by
    the first 20 hex digits of the sha256 of the processed folder's resolved path, so each
    study has its own. (A tiny empty file, left in place: deleting a lock file races with the
    next run opening it.)

    Parameters
    ----------
    paths : StudyPaths
        The study's folders (``paths.processed`` names the lock).

    Returns
    -------
    Path
        ``<tmp>/transcript-themes-<uid>/<key>.lock`` (the file itself is not created here).

    Raises
    ------
    InputError
        The ``transcript-themes-<uid>`` folder is not a real folder owned by this user.
    OSError
        The folder cannot be created.
    """
    folder = Path(tempfile.gettempdir()) / f"transcript-themes-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()  # the temporary folder is shared: it must be our own real folder
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise InputError.one(folder, "is not a folder of yours", "remove it; it holds only run locks")
    key = hashlib.sha256(str(paths.processed.resolve()).encode("utf-8")).hexdigest()[:20]
    return folder / f"{key}.lock"


@contextlib.contextmanager
def run_lock(paths: StudyPaths):
    """Hold the study's run lock for the ``with`` block: one run per study at a time.

    flock is released by the kernel when the process dies, so a killed run never leaves the
    study locked; once the lock is held, the leftovers of killed runs are removed
    (``remove_leftovers``). The lock file is opened without following links.

    Parameters
    ----------
    paths : StudyPaths
        The study's folders (``lock_file(paths)`` is the lock).

    Returns
    -------
    contextmanager
        A context manager yielding None while the lock is held.

    Raises
    ------
    InputError
        Another run holds the lock (file: the study's raw folder), or the lock folder is not
        the user's own (``lock_file``).
    OSError
        The lock file cannot be opened (a link planted in its place, for one).
    """
    path = lock_file(paths)
    # O_NOFOLLOW: the temporary folder is shared, never follow a planted link.
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError.one(paths.raw, "another run on this study is in progress",
                                 "wait for it to finish (the lock frees itself when that process ends)") from None
        remove_leftovers(paths)
        yield
    finally:
        os.close(fd)


def remove_leftovers(paths: StudyPaths) -> list[Path]:
    """Delete what killed runs left behind.

    Staging and set-aside copies of data/processed/<study> and of reports/<study> whose
    writer process is dead (``atomic.remove_dead_folders``), and temporary files of atomic
    writes under those two folders (executed/ included) whose writer is dead
    (``atomic.remove_stale``). None of them is ever an output, so nothing is lost; a live
    writer's files are left alone.

    Parameters
    ----------
    paths : StudyPaths
        The study's folders (``processed`` and ``reports`` are cleaned).

    Returns
    -------
    list of Path
        What was removed: leftover folders first, then temporary files.
    """
    removed = atomic.remove_dead_folders(paths.processed) + atomic.remove_dead_folders(paths.reports)
    for folder in (paths.processed, paths.reports):
        removed += atomic.remove_stale(folder)
    return removed


# -- parameters -------------------------------------------------------------------------

def declared_parameters(notebook: Path) -> dict:
    """The parameters a notebook's cell tagged ``parameters`` declares (``papermill.inspect_notebook``).

    Read once per notebook version (cached on path, modification time and size): the batch
    asks for each of its (up to hundreds of) runs.

    Parameters
    ----------
    notebook : Path
        An ``.ipynb`` file.

    Returns
    -------
    dict
        Parameter name -> papermill's description of it (a dict with ``name``,
        ``inferred_type_name``, ``default`` and ``help``); a fresh copy on each call.

    Raises
    ------
    OSError
        The notebook cannot be read (``FileNotFoundError`` when it is absent).
    """
    stat = Path(notebook).stat()
    return dict(_inspect(str(notebook), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=64)
def _inspect(notebook: str, mtime_ns: int, size: int) -> dict:
    import papermill

    return papermill.inspect_notebook(notebook)


def check_parameters(notebook: Path, params: dict) -> None:
    """Refuse parameters a notebook does not declare in its ``parameters`` cell.

    Parameters
    ----------
    notebook : Path
        The ``.ipynb`` file to be run.
    params : dict
        Parameter name -> value meant for it.

    Returns
    -------
    None

    Raises
    ------
    InputError
        A name in ``params`` the notebook does not declare (the line names the notebook and
        lists the declared ones).
    OSError
        The notebook cannot be read (``declared_parameters``).
    """
    declared = declared_parameters(notebook)
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise InputError.one(notebook, f"parameter(s) {', '.join(unknown)} not declared in the parameters cell",
                             f"declare them in the cell tagged 'parameters' or pass only: {', '.join(sorted(declared))}")


def plan(study, force_params: dict, only: list[str] | None = None) -> list[NotebookRun]:
    """The batch's notebook runs for this study, with their parameters.

    Each study-wide notebook of ``BATCH`` in order: the agreement page (06) only with two
    coders or more, the write-up audit (09) only when study.yml names drafts (each draft
    read first, and the digest of the drafts a parameter, ``drafts_sha256``); then one
    profile (05) per participant, in the participants table's order, titled by the
    participant's label and written as ``05-participant-profile-<safe_name(id)>``. ``only``
    keeps the runs whose output stem starts with one of its texts. Each run's parameters are,
    later winning: ``study`` (``study_parameter``), the study.yml ``report:`` settings of its
    notebook, the ``force_params`` its notebook declares, and the run's own (``participant``,
    ``drafts_sha256``).

    Parameters
    ----------
    study : Study
        A loaded study (with ``paths`` and ``config``).
    force_params : dict
        Parameters from the command line (``parse_params``); each goes to the notebooks that
        declare it.
    only : list of str, optional
        Prefixes of output stems to keep (``--only``); None or empty keeps every run.

    Returns
    -------
    list of NotebookRun
        The runs, in the order above.

    Raises
    ------
    InputError
        A parameter of ``force_params`` that no notebook of the (selected) batch declares (it
        would silently change nothing); a draft that cannot be read
        (``drafts.read_drafts_or_raise``); an unknown notebook or parameter under study.yml
        ``report:`` (``study_settings``).
    """
    runs = []
    for notebook, title, description in BATCH:
        if notebook == "06-intercoder-agreement" and len(study.coders()) < 2:
            continue
        if notebook == "09-write-up-audit":
            if not getattr(study.config, "drafts", None):
                continue  # only when study.yml names drafts
            from helpers.analysis.drafts import read_drafts_or_raise

            read_drafts_or_raise(study.config.drafts)  # an unreadable draft is bad input, refused before any run
            # The drafts are not ingest inputs (editing one re-runs this page only): their
            # digest is a parameter, so that it is part of this run's key.
            runs.append(NotebookRun(notebook, title, description, {"drafts_sha256": drafts_digest(study.config.drafts)}))
            continue
        runs.append(NotebookRun(notebook, title, description))
    labels = study.participant_label()
    for pid in study.participants["participant_id"].astype(str):
        label = labels.get(pid, pid)
        runs.append(NotebookRun(PROFILE[0], f"Profile: {label}", PROFILE[2], {"participant": pid},
                                output=f"{PROFILE[0]}-{safe_name(pid)}"))
    if only:
        runs = [r for r in runs if any(r.stem.startswith(o) for o in only)]
    declared: dict[str, dict] = {}
    if force_params:  # (reading the parameters cells costs papermill's import: only when needed)
        for name in {r.notebook for r in runs}:
            notebook = notebooks_dir() / f"{name}.ipynb"
            # a notebook missing here fails only if it is to be run, in check_parameters
            declared[name] = declared_parameters(notebook) if notebook.is_file() else {}
        unknown = sorted(set(force_params) - {k for d in declared.values() for k in d})
        if unknown:
            raise InputError.one("command line", f"parameter(s) {', '.join(unknown)} declared by no notebook of the batch",
                                 "check the spelling; the README lists every notebook parameter")
    settings = study_settings(study)  # study.yml report: (issue 16 point 7); the command line wins
    for run in runs:
        wanted = declared.get(run.notebook, {})
        run.params = {"study": study_parameter(study.paths), **settings.get(run.notebook, {}),
                      **{k: v for k, v in force_params.items() if k in wanted}, **run.params}
    return runs


def study_parameter(paths: StudyPaths) -> str:
    """The ``study`` parameter each notebook is given.

    The study's name when its raw folder is this project's data/raw/<name> (so no absolute
    path of this machine is written into executed notebooks or pages, issue 19 item 2), else
    the raw folder's resolved path (a study kept elsewhere).

    Parameters
    ----------
    paths : StudyPaths
        The study's folders.

    Returns
    -------
    str
        ``paths.name`` or an absolute path.
    """
    raw = Path(paths.raw).resolve()
    if raw.name == paths.name and raw == (project_root() / "data" / "raw" / raw.name).resolve():
        return paths.name
    return str(raw)


def drafts_digest(paths) -> str:
    """A digest of the write-up drafts: each one's file name and the sha256 of its bytes, in order.

    Parameters
    ----------
    paths : iterable of path-like
        The draft files, in study.yml's order (the order counts).

    Returns
    -------
    str
        The first 16 hex digits of the sha256.

    Raises
    ------
    OSError
        A draft cannot be read.
    """
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode() + b"\0" + hashlib.sha256(Path(path).read_bytes()).digest())
    return digest.hexdigest()[:16]


def study_settings(study) -> dict[str, dict]:
    """The study.yml ``report:`` settings (issue 16 point 7), checked against the notebooks.

    An unknown notebook or parameter is an error naming study.yml, never silently ignored; a
    ``study`` entry is dropped (the batch sets it). The command line's ``-p`` wins over these
    (``plan``).

    Parameters
    ----------
    study : Study
        The study; its ``config.report`` (a dict notebook -> parameters) is read, and a study
        without ``config`` has no settings.

    Returns
    -------
    dict
        Notebook stem (of ``BATCH`` or the profile) -> {parameter: value}.

    Raises
    ------
    InputError
        Every unknown notebook and every parameter its notebook does not declare, one line
        each, naming study.yml.
    OSError
        A named notebook's ``.ipynb`` cannot be read.
    """
    config = getattr(study, "config", None)
    settings = dict(getattr(config, "report", None) or {})
    known = {name for name, _, _ in BATCH} | {PROFILE[0]}
    problems = []
    yml = config.yml if config is not None else "study.yml"
    for notebook, params in settings.items():
        if notebook not in known:
            problems.append(InputError.one(yml, f"report: unknown notebook '{notebook}'",
                                           f"use one of: {', '.join(sorted(known))}").problems[0])
            continue
        declared = declared_parameters(notebooks_dir() / f"{notebook}.ipynb")
        for name in sorted(set(params) - set(declared) - {"study"}):
            problems.append(InputError.one(yml, f"report: {notebook}: unknown parameter '{name}'",
                                           f"use one of: {', '.join(sorted(set(declared) - {'study'}))}").problems[0])
        settings[notebook] = {k: v for k, v in params.items() if k != "study"}
    if problems:
        raise InputError(problems)
    return settings


def safe_name(value: str) -> str:
    """A unique, safe file name for an id (``ids.file_stem``: 'P 01' and 'P_01' get two pages).

    Parameters
    ----------
    value : str
        A participant id.

    Returns
    -------
    str
        The file stem, without extension.
    """
    from helpers.ids import file_stem

    return file_stem(value)


# -- execution --------------------------------------------------------------------------

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


# -- HTML -------------------------------------------------------------------------------

from helpers.report.pages import PAGE_CSS, page  # noqa: E402,F401  (the page template lives in pages.py)


def render_html(executed: Path, target: Path, title: str, defaults: dict | None = None) -> None:
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

    Returns
    -------
    None
        The page is written to ``target``.
    """
    from helpers.report.pages import render_notebook

    render_notebook(executed, target, title, defaults)


def write_index(study, runs: list[NotebookRun], paths: StudyPaths) -> Path:
    """Write reports/<study>/index.html (``pages.write_index``, with the profile notebook's stem).

    Parameters
    ----------
    study : Study
        The study.
    runs : list of NotebookRun
        The runs of the batch, linked from the index.
    paths : StudyPaths
        The study's folders; the index is written under ``paths.reports``.

    Returns
    -------
    Path
        The index file written.
    """
    from helpers.report.pages import write_index as write

    return write(study, runs, paths, PROFILE[0])


# -- redaction scan -------------------------------------------------------------------------

def scan_for_terms(paths: StudyPaths, redactor) -> list[tuple[Path, str]]:
    """Every output file in which a redaction term was found, with the term's placeholder.

    Parameters
    ----------
    paths : StudyPaths
        The study's folders: ``processed`` and ``reports`` are scanned (``scan_outputs``).
    redactor : Redactor
        The study's redactor (``helpers.ingest.cleaning.Redactor``).

    Returns
    -------
    list of tuple of (Path, str)
        (file, placeholder), each pair once, in the order found; empty when nothing leaks.
        ``scan_outputs`` also says where in each file.
    """
    return list(dict.fromkeys((leak.path, leak.placeholder) for leak in scan_outputs(paths, redactor).leaks))


def scan_outputs(paths: StudyPaths, redactor):
    """The leak scan of a study's processed tables and reports (``leakscan.scan_folders``).

    Parameters
    ----------
    paths : StudyPaths
        The study's folders: ``processed`` and ``reports`` are scanned (absent ones skipped).
    redactor : Redactor
        The study's redactor (``helpers.ingest.cleaning.Redactor``).

    Returns
    -------
    helpers.leakscan.LeakScan
        The leaks with their place, the files the scan could not read, and the count of files.
    """
    from helpers.leakscan import scan_folders

    return scan_folders([paths.processed, paths.reports], redactor)


# -- the batch ----------------------------------------------------------------------------

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
