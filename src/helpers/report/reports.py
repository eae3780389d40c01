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
    return project_root() / "notebooks"


def parse_params(pairs: list[str]) -> dict:
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
    """The study's lock: in the system's temporary folder, not in data/ or
    reports/ (a run refused for bad input leaves nothing there), named by the
    user and a hash of the processed folder, so each study has its own.
    (A tiny empty file, left in place: deleting a lock file races with the
    next run opening it.)"""
    folder = Path(tempfile.gettempdir()) / f"transcript-themes-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()  # the temporary folder is shared: it must be our own real folder
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise InputError.one(folder, "is not a folder of yours", "remove it; it holds only run locks")
    key = hashlib.sha256(str(paths.processed.resolve()).encode("utf-8")).hexdigest()[:20]
    return folder / f"{key}.lock"


@contextlib.contextmanager
def run_lock(paths: StudyPaths):
    """One run per study at a time. flock is released by the kernel when the
    process dies, so a killed run never leaves the study locked; once the lock
    is held, the leftovers of killed runs are removed (``remove_leftovers``)."""
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
    """Delete what killed runs left behind: staging and set-aside copies of
    data/processed/<study> and of reports/<study>, and temporary files of atomic writes under
    data/processed/<study> and reports/<study> (executed/ included) whose
    writer is dead. None of them is ever an output, so nothing is lost."""
    removed = atomic.remove_dead_folders(paths.processed) + atomic.remove_dead_folders(paths.reports)
    for folder in (paths.processed, paths.reports):
        removed += atomic.remove_stale(folder)
    return removed


# -- parameters -------------------------------------------------------------------------

def declared_parameters(notebook: Path) -> dict:
    """The parameters the notebook's tagged cell declares. Read once per
    notebook version: the batch asks for each of its (up to hundreds of) runs."""
    stat = Path(notebook).stat()
    return dict(_inspect(str(notebook), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=64)
def _inspect(notebook: str, mtime_ns: int, size: int) -> dict:
    import papermill

    return papermill.inspect_notebook(notebook)


def check_parameters(notebook: Path, params: dict) -> None:
    declared = declared_parameters(notebook)
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise InputError.one(notebook, f"parameter(s) {', '.join(unknown)} not declared in the parameters cell",
                             f"declare them in the cell tagged 'parameters' or pass only: {', '.join(sorted(declared))}")


def plan(study, force_params: dict, only: list[str] | None = None) -> list[NotebookRun]:
    """The batch's notebook runs for this study (each study-wide notebook, the
    agreement page only with two coders or more, one profile per participant),
    with their parameters: the study, the run's own, and those of
    ``force_params`` the notebook declares.

    Raises
    ------
    InputError
        A parameter of ``force_params`` that no batch notebook declares (it
        would silently change nothing).
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
    """The ``study`` parameter each notebook is given: the study's name when it lies under
    this project's data/raw/ (so no absolute path of this machine is written into executed
    notebooks or pages, issue 19 item 2), else its folder's path (a study kept elsewhere)."""
    raw = Path(paths.raw).resolve()
    if raw.name == paths.name and raw == (project_root() / "data" / "raw" / raw.name).resolve():
        return paths.name
    return str(raw)


def drafts_digest(paths) -> str:
    """sha256 (16 hex) of the drafts' names and bytes, in order."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).name.encode() + b"\0" + hashlib.sha256(Path(path).read_bytes()).digest())
    return digest.hexdigest()[:16]


def study_settings(study) -> dict[str, dict]:
    """study.yml ``report:`` settings, notebook -> parameters (issue 16 point 7),
    checked against the notebooks: an unknown notebook or parameter is an error
    naming study.yml, never silently ignored. The command line's ``-p`` wins."""
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
    """A unique, safe file name for an id (``ids.file_stem``: 'P 01' and 'P_01' get two pages)."""
    from helpers.ids import file_stem

    return file_stem(value)


# -- execution --------------------------------------------------------------------------

def run_key(run: NotebookRun, fingerprint: str) -> str:
    notebook = notebooks_dir() / f"{run.notebook}.ipynb"
    digest = hashlib.sha256()
    for part in (fingerprint, notebook.read_bytes().hex(), json.dumps(run.params, sort_keys=True), __version__):
        digest.update(str(part).encode())
    return digest.hexdigest()


# The parameters that say which study and which part of it a page is about
# (set by ``plan``, not by the command line or study.yml): part of a run's study key.
IDENTITY_PARAMETERS = ("study", "participant", "drafts_sha256")


def study_key(run: NotebookRun, fingerprint: str) -> str:
    """A run's key without the parameters given on the command line or in
    study.yml: the study (its identity, the ``study`` parameter, and the
    digests of what the notebook reads, ``fingerprint``), the part of it the
    run is about (participant, drafts), the notebook file and the package
    version. A page outside ``--only`` is kept only when its recorded study key
    is this run's (``batch.carry_over``).

    Returns
    -------
    str
        sha256, 64 hex digits.
    """
    notebook = notebooks_dir() / f"{run.notebook}.ipynb"
    identity = {k: run.params[k] for k in IDENTITY_PARAMETERS if k in run.params}
    digest = hashlib.sha256()
    for part in ("study", fingerprint, hashlib.sha256(notebook.read_bytes()).hexdigest(),
                 json.dumps(identity, sort_keys=True, default=str), __version__):
        digest.update(str(part).encode("utf-8") + b"\0")
    return digest.hexdigest()


def evidence_key(study, digests: dict[str, str]) -> str:
    """What the evidence pages of a bundle were built from: the study's
    identity (``study_parameter``), every input and the ingest
    (``notebook_fingerprint`` of a notebook that reads everything), and the
    package version. Recorded in the bundle; its evidence pages are carried
    over to the next bundle only when it is unchanged (``batch.carry_evidence``).

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
    """The notebook with its parameters injected after the cell tagged
    ``parameters`` (papermill's own injection, so the executed notebook reads
    as papermill's did); ``metadata.papermill`` holds the parameters and,
    once run, the times. No absolute path of this machine is recorded."""
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
    """1-based position of the failing cell in the notebook as the researcher
    sees it (the injected parameters cell not counted)."""
    added = {"injected-parameters", "papermill-error-cell-tag"}  # cells papermill inserts
    cells = [c for c in nb.cells if not added & set(c.get("metadata", {}).get("tags", []))]
    for position, cell in enumerate(cells, start=1):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return position
    return None


def failed_cell(executed: Path) -> int | None:
    """``failed_position`` of an executed notebook file."""
    import nbformat

    return failed_position(nbformat.read(str(executed), as_version=4))


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
    """Executed notebook -> one self-contained HTML page without JavaScript
    (see ``pages.render_notebook``)."""
    from helpers.report.pages import render_notebook

    render_notebook(executed, target, title, defaults)


def write_index(study, runs: list[NotebookRun], paths: StudyPaths) -> Path:
    """reports/<study>/index.html (see ``pages.write_index``)."""
    from helpers.report.pages import write_index as write

    return write(study, runs, paths, PROFILE[0])


# -- redaction scan -------------------------------------------------------------------------

def scan_for_terms(paths: StudyPaths, redactor) -> list[tuple[Path, str]]:
    """(file, placeholder) for every redaction term found in the outputs
    (:func:`helpers.leakscan.scan_folders`, which also says where in each file)."""
    return list(dict.fromkeys((leak.path, leak.placeholder) for leak in scan_outputs(paths, redactor).leaks))


def scan_outputs(paths: StudyPaths, redactor):
    """The leak scan of a study's processed tables and reports
    (:class:`helpers.leakscan.LeakScan`: leaks with their place, and unreadable files)."""
    from helpers.leakscan import scan_folders

    return scan_folders([paths.processed, paths.reports], redactor)


# -- the batch ----------------------------------------------------------------------------

def ingest_stamp(study) -> str:
    """What a notebook's results depend on from ingestion: the inputs'
    fingerprint and this particular ingest (the manifest's bytes and time
    written). A re-ingest of unchanged inputs (say, after a run killed while
    swapping the processed folder in) replaces tables/, so it must re-run the
    notebooks that write there."""
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

    Returns
    -------
    dict
        name (an item of ``EVERYTHING``, or ``ingest``) -> hex digest. The
        processed tables are hashed by content (their writer is deterministic),
        so a re-ingest that changes nothing a notebook reads leaves its key.
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
    """The part of a run's key that comes from the study: the digests of what
    ``notebook`` declares it reads (``NOTEBOOK_INPUTS``; everything, and the
    ingest itself, when it declares nothing)."""
    names = NOTEBOOK_INPUTS.get(notebook, EVERYTHING + ("ingest",))
    return "/".join(f"{name}={digests[name]}" for name in names)
