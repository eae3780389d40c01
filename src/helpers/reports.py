"""The batch: run the notebooks with papermill, render HTML, write the index.

    python -m helpers report STUDY [--jobs N] [--force]

1. ingest (when the inputs changed) under a run lock;
2. run each batch notebook into reports/<study>/executed/ (in parallel where
   independent), skipping one whose inputs — study fingerprint, notebook file,
   parameters, package version — are unchanged since its last run;
3. render each executed notebook to self-contained HTML (figures embedded,
   code hidden, parameters shown, no JavaScript);
4. write reports/<study>/index.html;
5. scan every processed table and report for the redaction terms, and fail
   naming file and placeholder if one is found.
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import html
import json
import os
import re
import stat
import tempfile
import time
import warnings
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, atomic
from .errors import InputError
from .study import StudyPaths, project_root


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
]
PROFILE = ("05-participant-profile", "Participant profile", "One participant's talk, codes, themes, codeline and best quotes, against the group.")

COUNTING_RULES = [
    ("Applications", "one row per application of a code; a code applied to two turns is two applications."),
    ("Segments", "turns touched by a code; a coding spanning turns 3–4 counts in turns 3 and 4."),
    ("Documents / participants", "documents / participants with at least one coding of the code."),
    ("Roll-up", "at a level, each coding counts for its ancestor at that level; codings above that level drop out."),
    ("Co-occurrence, segment", "turns that carry both codes."),
    ("Co-occurrence, overlap", "pairs of an A coding and a B coding whose spans share at least one character (may exceed min(nA, nB), flagged)."),
    ("Co-occurrence, window k", "A and B within k turns of each other in the same document."),
    ("Co-occurrence, document / participant", "documents / participants that carry both codes."),
    ("c-coefficient", "n12 / (n1 + n2 − n12) on unit counts (ATLAS.ti; Jaccard)."),
    ("Theme prevalence", "a participant has a theme when any coding at or below it is attributed to them; recurrent when present in at least the set share of participants (default one half)."),
]


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def parse_params(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise InputError.one("command line", f"parameter '{pair}' is not NAME=VALUE", "write e.g. -p level=theme")
        name, value = pair.split("=", 1)
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
    data/processed/<study>, and temporary files of atomic writes under
    data/processed/<study> and reports/<study> (executed/ included) whose
    writer is dead. None of them is ever an output, so nothing is lost."""
    removed = atomic.remove_dead_folders(paths.processed)
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
    runs = []
    for notebook, title, description in BATCH:
        if notebook == "06-intercoder-agreement" and len(study.coders()) < 2:
            continue
        runs.append(NotebookRun(notebook, title, description))
    for pid in study.participants["participant_id"].astype(str):
        label = study.participant_label().get(pid, pid)
        runs.append(NotebookRun(PROFILE[0], f"Profile: {label}", PROFILE[2], {"participant": pid},
                                output=f"{PROFILE[0]}-{safe_name(pid)}"))
    if only:
        runs = [r for r in runs if any(r.stem.startswith(o) for o in only)]
    for run in runs:
        declared = declared_parameters(notebooks_dir() / f"{run.notebook}.ipynb")
        run.params = {"study": str(study.paths.raw), **{k: v for k, v in force_params.items() if k in declared},
                      **run.params}
    return runs


def safe_name(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", value)


# -- execution --------------------------------------------------------------------------

def run_key(run: NotebookRun, fingerprint: str) -> str:
    notebook = notebooks_dir() / f"{run.notebook}.ipynb"
    digest = hashlib.sha256()
    for part in (fingerprint, notebook.read_bytes().hex(), json.dumps(run.params, sort_keys=True), __version__):
        digest.update(str(part).encode())
    return digest.hexdigest()


def execute(run: NotebookRun, paths: StudyPaths, fingerprint: str, force: bool) -> bool:
    """Run one notebook; False when skipped because nothing changed.

    Crash safety: papermill writes the notebook as it runs into a temporary
    file (never read as a result); the HTML and then the notebook are renamed
    into place, and the key that lets a later run skip this one is removed
    before and written only after both, so a killed run is always redone."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    executed = paths.reports / "executed"
    out = executed / f"{run.stem}.ipynb"
    html_out = paths.reports / f"{run.stem}.html"
    failed = executed / f"{run.stem}.failed.ipynb"
    key_file = executed / f".{run.stem}.key"
    key = run_key(run, fingerprint)
    if not force and out.exists() and html_out.exists() and key_file.exists() and key_file.read_text() == key:
        return False
    notebook = notebooks_dir() / f"{run.notebook}.ipynb"
    check_parameters(notebook, run.params)
    key_file.unlink(missing_ok=True)
    # The temporary name deliberately does not end in .ipynb.
    warnings.filterwarnings("ignore", message=r"The specified file .* does not end in one of")
    with atomic.atomic_path(out) as tmp:
        try:
            papermill.execute_notebook(str(notebook), str(tmp), parameters=run.params, kernel_name="python3",
                                       progress_bar=False, cwd=str(notebooks_dir()), log_output=False,
                                       on_cell_start=_notebook_fault_hook)
        except PapermillExecutionError as exc:
            # Keep the failed notebook for the researcher to read, under a name
            # that no later step mistakes for a finished run.
            atomic.write_bytes(failed, tmp.read_bytes())
            raise NotebookFailed(run.notebook, run.stem, failed_cell(tmp), exc.ename, exc.evalue) from None
        render_html(tmp, html_out, run.title, declared_parameters(notebook))
    failed.unlink(missing_ok=True)  # an older failure of this notebook is now out of date
    atomic.write_text(key_file, key)
    return True


def _notebook_fault_hook(cell, cell_index: int, **_) -> None:
    """TEST-ONLY (see atomic.fault_point): with TT_FAULT=notebook the run is
    killed as the fourth cell starts, the first three saved in the partial
    notebook papermill is writing."""
    if cell_index >= 3:
        atomic.fault_point("notebook")


def failed_cell(executed: Path) -> int | None:
    """1-based position of the failing cell in the notebook as the researcher
    sees it (papermill's injected parameters cell not counted)."""
    import nbformat

    nb = nbformat.read(str(executed), as_version=4)
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

PAGE_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}
nav a{margin-right:1rem} table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.25rem .45rem;vertical-align:top;text-align:left} th{background:#f1f3f5}
img{max-width:100%;height:auto} pre{white-space:pre-wrap;background:#f8f9fa;padding:.5rem;font-size:.85rem}
.params{background:#eef4fb;border-left:4px solid #0072B2;padding:.5rem 1rem;font-size:.9rem}
.jp-InputPrompt,.jp-OutputPrompt,.prompt{display:none} .rule{font-style:italic;color:#444}
mark{background:#ffe08a} .jp-OutputArea-output,.output_html{overflow-x:auto;max-width:100%}
"""


def page(title: str, body: str, nav: str = "") -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{PAGE_CSS}</style></head>"
            f"<body>{nav}{body}</body></html>\n")


def render_html(executed: Path, target: Path, title: str, defaults: dict | None = None) -> None:
    """Executed notebook -> one self-contained HTML page without JavaScript."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed), as_version=4)
    meta = nb.metadata.get("papermill", {})
    # Every parameter in force: the notebook's defaults, overridden by those passed.
    params = {**{k: _Source(v.get("default", "")) for k, v in (defaults or {}).items()},
              **(meta.get("parameters") or {})}
    # Transcript text must never become markup: drop any output that carries
    # script, and keep the pandas/matplotlib outputs as they are (pandas escapes).
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.id = "injected-parameters"  # papermill's id is random: same run, same page
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            data.pop("application/javascript", None)
            data.pop("application/vnd.jupyter.widget-view+json", None)
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    # No sanitizer pass (it escapes our own headings and tables): transcript text
    # reaches the page only through pandas and helpers that escape it, and any
    # script element is dropped below.
    body, _ = exporter.from_notebook_node(nb)
    body = re.sub(r"<script\b.*?</script>", "", body, flags=re.S | re.I)
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_param_text(k, v))}</td></tr>"
                   for k, v in params.items())
    header = (f"<div class=\"params\"><strong>Parameters</strong>"
              f"<table>{rows}</table></div>")
    nav = '<nav><a href="index.html">← Index</a></nav>'
    atomic.write_text(target, page(title, header + body, nav))


class _Source(str):
    """A default as written in the parameters cell."""


def _param_text(name: str, value) -> str:
    if name == "study":
        return Path(str(value).strip("'\"")).name
    if isinstance(value, _Source):
        return str(value)
    return json.dumps(value) if not isinstance(value, str) else value


def write_index(study, runs: list[NotebookRun], paths: StudyPaths) -> Path:
    manifest = study.manifest
    numbers = [("Documents", len(study.documents)), ("Participants", len(study.participants)),
               ("Turns", len(study.segments)), ("Codes", len(study.codebook)), ("Codings", len(study.codings)),
               ("Coders", len(study.coders()))]
    headline = "".join(f"<tr><th>{n}</th><td>{v}</td></tr>" for n, v in numbers)
    main = [r for r in runs if not r.notebook.startswith(PROFILE[0])]
    profiles = [r for r in runs if r.notebook.startswith(PROFILE[0])]
    report_list = "".join(f"<li><a href=\"{html.escape(r.stem)}.html\">{html.escape(r.title)}</a> — "
                          f"{html.escape(r.description)}</li>" for r in main)
    profile_list = "".join(f"<li><a href=\"{html.escape(r.stem)}.html\">{html.escape(r.title)}</a></li>"
                           for r in profiles)
    params = manifest.get("parameters", {})
    param_rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(json.dumps(v, ensure_ascii=False))}</td></tr>"
                         for k, v in sorted(params.items()))
    inputs = "".join(f"<tr><td>{html.escape(i['path'])}</td><td><code>{i['sha256'][:16]}</code></td>"
                     f"<td>{i['bytes']}</td></tr>" for i in manifest.get("inputs", []))
    rules = "".join(f"<tr><th>{html.escape(n)}</th><td>{html.escape(t)}</td></tr>" for n, t in COUNTING_RULES)
    body = f"""
<h1>{html.escape(study.title)}</h1>
<p>Reports generated {html.escape(time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()))} by Transcript Themes {__version__}.</p>
<h2>Headline numbers</h2><table>{headline}</table>
<h2>Reports</h2><ul>{report_list}</ul>
<h2>Participant profiles</h2><ul>{profile_list}</ul>
<h2>Counting rules</h2><table>{rules}</table>
<h2>Parameters</h2><table>{param_rows}</table>
<h2>Inputs</h2><p>Fingerprint <code>{html.escape(manifest.get('fingerprint', ''))}</code>
 (ingested {html.escape(manifest.get('time', ''))})</p>
<table><tr><th>file</th><th>sha256</th><th>bytes</th></tr>{inputs}</table>
"""
    target = paths.reports / "index.html"
    atomic.write_text(target, page(f"{study.title} — reports", body))
    return target


# -- redaction scan -------------------------------------------------------------------------

def scan_for_terms(paths: StudyPaths, redactor) -> list[tuple[Path, str]]:
    """(file, placeholder) for every redaction term found in the outputs."""
    import pandas as pd

    if redactor.regex is None:
        return []
    found = []
    for folder in (paths.processed, paths.reports):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or atomic.temp_writer(path) is not None:
                continue  # temporary files are never outputs
            suffix = path.suffix.lower()
            if suffix == ".parquet":
                frame = pd.read_parquet(path)
                text = "\n".join([" ".join(map(str, frame.columns))] +
                                 [" ".join(map(str, frame[c].dropna().tolist())) for c in frame.columns])
            elif suffix == ".xlsx":
                sheets = pd.read_excel(path, sheet_name=None, dtype=str)
                text = "\n".join(f"{name} {' '.join(map(str, f.columns))} {f.to_csv(index=False)}" for name, f in sheets.items())
            elif suffix in (".png", ".jpg", ".svg", ".lock", ".key") or path.name.startswith(".") and suffix == ".key":
                continue
            else:
                raw = path.read_bytes()
                if b"\x00" in raw[:1024] and suffix not in (".qdpx",):
                    continue
                if suffix == ".qdpx":
                    import zipfile
                    with zipfile.ZipFile(path) as zf:
                        text = "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
                elif suffix in (".ipynb", ".json"):
                    # Search the strings themselves: in the raw JSON a term after a
                    # line break is stored as "\\nTerm" and would escape a whole-word match.
                    text = "\n".join(_json_strings(json.loads(raw.decode("utf-8", "replace"))))
                    text = html.unescape(text)
                else:
                    text = html.unescape(raw.decode("utf-8", "replace"))
            for placeholder in redactor.found_in(text + " " + path.name):
                found.append((path, placeholder))
    return found


def _json_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *_json_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return []


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


def run_batch(study_name, *, jobs: int = 1, force: bool = False, only: list[str] | None = None,
              params: dict | None = None, progress: bool = True) -> Path:
    from tqdm import tqdm

    from .cleaning import load_redactions
    from .config import load_config
    from .study import load_study, resolve

    paths = resolve(study_name)
    config = load_config(paths.raw)
    with run_lock(paths):
        study = load_study(paths.raw)
        runs = plan(study, params or {}, only)
        for run in runs:  # refuse undeclared parameters before anything runs
            check_parameters(notebooks_dir() / f"{run.notebook}.ipynb", run.params)
        (paths.reports / "executed").mkdir(parents=True, exist_ok=True)
        fingerprint = ingest_stamp(study)
        first, rest = runs[:1], runs[1:]
        bar = tqdm(total=len(runs), desc=f"report {paths.name}", unit="notebook", disable=not progress)
        try:
            for run in first:  # the cleaning report first: the others read the same tables
                execute(run, paths, fingerprint, force)
                bar.update()
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = {pool.submit(execute, run, paths, fingerprint, force): run for run in rest}
                done, pending = wait(futures, return_when=FIRST_EXCEPTION)
                for future in pending:
                    future.cancel()
                for future in done:
                    future.result()
                    bar.update()
        finally:
            bar.close()
        bar.close()
        index = write_index(study, runs, paths)
        leaks = scan_for_terms(paths, load_redactions(config.redactions))
        if leaks:
            raise InputError([InputError.one(path, f"a redaction term ({placeholder}) appears in an output",
                                             "report this as a bug; delete the file before sharing").problems[0]
                              for path, placeholder in leaks])
    return index
