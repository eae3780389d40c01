"""The notebook registry and the parameters of each run.

Which notebooks the report runs (``BATCH``, ``PROFILE``), for a study with which parameters
(``plan``: the command line's ``-p``, study.yml ``report:``, the run's own), each checked
against the notebook's cell tagged ``parameters``. Split out of ``reports`` (issue 15), which
re-exports every name.
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from helpers.errors import InputError
from helpers.study import StudyPaths, project_root

__all__ = ["BATCH", "PROFILE", "NotebookRun", "check_parameters", "declared_parameters", "drafts_digest",
           "notebooks_dir", "parse_params", "plan", "safe_name", "study_parameter", "study_settings"]


@dataclass
class NotebookRun:
    notebook: str                     # file stem in notebooks/
    title: str
    description: str
    params: dict = field(default_factory=dict)
    output: str | None = None         # executed stem; defaults to notebook
    # parameter -> where its value came from: "study.yml" (report:), "command line" (-p) or
    # "batch" (study, participant, drafts_sha256); said in the page's appendix. Not in run keys.
    origins: dict = field(default_factory=dict, compare=False)

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
        raise InputError.one(notebook, f"{'parameter' if len(unknown) == 1 else 'parameters'} {', '.join(unknown)} not declared in the parameters cell",
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
            raise InputError.one("command line", f"{'parameter' if len(unknown) == 1 else 'parameters'} {', '.join(unknown)} declared by no notebook of the batch",
                                 "check the spelling; the README lists every notebook parameter")
    settings = study_settings(study)  # study.yml report: (issue 16 point 7); the command line wins
    for run in runs:
        wanted = declared.get(run.notebook, {})
        given = {k: v for k, v in force_params.items() if k in wanted}
        run.origins = {"study": "batch", **dict.fromkeys(settings.get(run.notebook, {}), "study.yml"),
                       **dict.fromkeys(given, "command line"), **dict.fromkeys(run.params, "batch")}
        run.params = {"study": study_parameter(study.paths), **settings.get(run.notebook, {}), **given, **run.params}
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
