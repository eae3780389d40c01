"""A study: where its folders are (``helpers.paths``), and its processed tables (DESIGN §2, §3, §6)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import tables
from .errors import InputError
from .hierarchy import DEFAULT_LEVELS, Hierarchy
from .ids import file_stem
from .paths import StudyPaths, project_root  # noqa: F401  (re-exported: where they were before)


def resolve(study: str | os.PathLike) -> StudyPaths:
    """A name under data/raw/, or a path to a study folder anywhere."""
    root = project_root()
    given = Path(study)
    if given.is_dir() or given.is_absolute() or len(given.parts) > 1:
        raw = given.resolve()
    else:
        raw = (root / "data" / "raw" / str(study)).resolve()
    if not raw.is_dir():
        raise InputError.one(given, "study folder not found",
                             f"put the study under {root / 'data' / 'raw'}/<name>/ or give the path to its folder")
    name = display_name(raw)
    return StudyPaths(name, raw, root / "data" / "processed" / name, root / "reports" / name)


def display_name(raw: Path) -> str:
    """The study folder's name as outputs show it: NFC, with the study's redaction terms
    replaced (a folder named after a site must not name the output folders).

    Parameters
    ----------
    raw : Path
        The study folder.

    Returns
    -------
    str
        The redacted name; the plain name when study.yml or redactions.csv cannot be read
        (``check`` then reports why).
    """
    import unicodedata

    from helpers.ingest.cleaning import load_redactions
    from helpers.ingest.config import load_config

    name = unicodedata.normalize("NFC", raw.name)
    try:
        return load_redactions(load_config(raw).redactions).quietly(name) or name
    except InputError:
        return name


@dataclass
class Study:
    """The processed tables of one study, as analysis functions take them."""

    name: str
    title: str
    documents: pd.DataFrame
    segments: pd.DataFrame
    codings: pd.DataFrame
    codebook: pd.DataFrame
    participants: pd.DataFrame
    texts: dict[str, str] = field(default_factory=dict)
    levels: list[str] = field(default_factory=lambda: list(DEFAULT_LEVELS))
    paths: StudyPaths | None = None
    manifest: dict = field(default_factory=dict)
    config: object | None = None  # StudyConfig when loaded from a folder
    configured_levels: list[str] | None = None  # study.yml levels: (the ranking); None = the default

    def __post_init__(self):
        # The levels the study actually has, most specific first ('code' = the unnamed level):
        # counting.study_levels over the codebook and codings, ranked by study.yml's levels.
        from .counting import study_levels

        if self.configured_levels is None:
            self.configured_levels = list(self.levels or DEFAULT_LEVELS)
        self.levels = study_levels(self.codebook, self.codings, self.configured_levels)

    @classmethod
    def from_tables(cls, *, segments: pd.DataFrame, codings: pd.DataFrame,
                    codebook: pd.DataFrame | None = None, participants: pd.DataFrame | None = None,
                    documents: pd.DataFrame | None = None, texts: dict[str, str] | None = None,
                    levels: list[str] | None = None, name: str = "fixture", title: str = "Fixture") -> "Study":
        """Build a study from in-memory tables (tests, users' own data).

        Missing optional columns are filled with sensible defaults, so a test
        can give only what it is about.
        """
        segments = segments.copy()
        for col, default in [("participant_id", None), ("speaker_role", "participant"), ("speaker", "P"),
                             ("text", ""), ("n_words", None)]:
            if col not in segments:
                segments[col] = default
        if segments["n_words"].isna().all():
            segments["n_words"] = segments["text"].fillna("").str.split().str.len()
        if "start" not in segments or "end" not in segments:
            # turns laid end to end, one character apart, as in a clean text (a turn's span must
            # not overlap its neighbours', or every turn would "overlap" every other)
            lengths = segments["text"].fillna("").astype(str).str.len()
            ends = (lengths + 1).groupby(segments["doc_id"], sort=False).cumsum() - 1
            segments["start"], segments["end"] = ends - lengths, ends
        codings = codings.copy()
        for col, default in [("level", ""), ("coder", "A"), ("source", "fixture"), ("memo", ""),
                             ("participant_id", None), ("start", None), ("end", None)]:
            if col not in codings:
                codings[col] = default
        if "seg_first" not in codings:
            codings["seg_first"] = codings["seg_no"] if "seg_no" in codings else None
        if "seg_last" not in codings:
            codings["seg_last"] = codings["seg_first"]
        if codings["participant_id"].isna().any():
            lookup = segments.set_index(["doc_id", "seg_no"])["participant_id"]
            keys = list(zip(codings["doc_id"], codings["seg_first"]))
            codings["participant_id"] = [lookup.get(k) if pd.isna(p) else p
                                         for k, p in zip(keys, codings["participant_id"])]
        if codebook is None:
            codebook = codings[["code", "level"]].drop_duplicates().assign(parent="", description="")
        codebook = codebook.copy()
        for col in ["level", "parent", "description"]:
            if col not in codebook:
                codebook[col] = ""
        if participants is None:
            ids = sorted(set(segments["participant_id"].dropna()) | set(codings["participant_id"].dropna()))
            participants = pd.DataFrame({"participant_id": ids})
        if documents is None:
            by_doc = segments.groupby("doc_id", sort=False)
            documents = pd.DataFrame({
                "doc_id": list(by_doc.groups),
                "participant_id": [g["participant_id"].dropna().iloc[0] if g["participant_id"].notna().any() else None
                                   for _, g in by_doc],
                "source_file": "", "format": "fixture", "sha256": "",
                "n_segments": by_doc.size().values, "n_words": by_doc["n_words"].sum().values,
            })
        return cls(name=name, title=title,
                   documents=tables.conform("documents", documents),
                   segments=tables.conform("segments", segments),
                   codings=tables.conform("codings", codings),
                   codebook=tables.conform("codebook", codebook),
                   participants=tables.conform("participants", participants),
                   texts=dict(texts or {}), levels=list(levels or DEFAULT_LEVELS))

    # -- conveniences used across analyses -------------------------------
    def text(self, doc_id: str) -> str:
        if doc_id not in self.texts and self.paths is not None:
            self.texts[doc_id] = (self.paths.texts / f"{file_stem(doc_id)}.txt").read_text(encoding="utf-8")
        return self.texts[doc_id]

    @property
    def hierarchy(self) -> Hierarchy:
        return Hierarchy(self.codebook, self.levels)

    def participant_label(self) -> pd.Series:
        """participant_id -> pseudonym where participants.csv gives one (``participant_labels``)."""
        return participant_labels(self)

    def coders(self) -> list[str]:
        return sorted(self.codings["coder"].dropna().astype(str).unique())


def participant_labels(study, ids=None) -> pd.Series:
    """How participants are named in every table, figure and page: the pseudonym participants.csv
    gives, else the participant id itself (the one definition; issue 15, item 3).

    Parameters
    ----------
    study : Study
        For ``study.participants`` (``participant_id``, optional ``pseudonym``).
    ids : iterable, optional
        The participant ids wanted; default every participant, in participants order.

    Returns
    -------
    Series of str
        Indexed by participant id (as text), the label of each; an id participants.csv lacks is
        its own label.
    """
    p = study.participants
    known_ids = p["participant_id"].astype(str).to_numpy(dtype=object)
    if "pseudonym" in p.columns:
        given = p["pseudonym"].astype("string")
        given = given.where(given.notna(), p["participant_id"].astype(str)).to_numpy(dtype=object)
    else:
        given = known_ids
    labels = pd.Series(given, index=known_ids, dtype=object)
    labels = labels[~labels.index.duplicated()]
    if ids is None:
        return labels.astype(str)
    wanted = pd.Index([str(i) for i in ids], dtype=object)
    return pd.Series(labels.reindex(wanted).fillna(pd.Series(wanted, index=wanted)).to_numpy(), index=wanted,
                     dtype=object).astype(str)


def labels_of(study, ids) -> list[str]:
    """The label (``participant_labels``) of each id, '' where the id is missing (a turn of nobody).

    Parameters
    ----------
    study : Study
    ids : iterable
        Participant ids, None or NA allowed.

    Returns
    -------
    list of str
        One label per id, in order.
    """
    labels = participant_labels(study).to_dict()
    return ["" if i is None or pd.isna(i) else labels.get(str(i), str(i)) for i in ids]


def read_processed(paths: StudyPaths, config=None) -> Study:
    folder = paths.processed
    frames = {t: pd.read_parquet(folder / f"{t}.parquet") for t in tables.CONTRACT}
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return Study(name=paths.name, title=manifest.get("title", paths.name), paths=paths, manifest=manifest,
                 levels=manifest.get("parameters", {}).get("levels", list(DEFAULT_LEVELS)), config=config,
                 **frames)


# Set by the report batch (helpers.report.batch) for the kernels it starts: the path
# of the run's snapshot record (issue 19 item 9).
SNAPSHOT_VARIABLE = "TRANSCRIPT_THEMES_SNAPSHOT"


def processed_folder(paths: StudyPaths) -> Path:
    """Where the study's processed tables are read from: in a report run, the
    run's own (its ingest, staged until the run ends: helpers.batch); else
    data/processed/<study>/."""
    import pickle

    record_file = os.environ.get(SNAPSHOT_VARIABLE)
    if record_file and Path(record_file).is_file():
        record = pickle.loads(Path(record_file).read_bytes())  # written by this user's batch, in a 0700 folder
        if Path(record["processed"]) == paths.processed.resolve():
            return Path(record.get("tables", paths.processed))
    return paths.processed


def from_snapshot(paths: StudyPaths) -> Study | None:
    """In a kernel of the report batch: the study as the run's snapshot holds
    it (processed tables ingested at the start of the run, the configuration
    read then, reports/<study>/ standing for the run's staging folder), never
    re-read from data/raw/. None outside the batch or for another study.

    Raises
    ------
    InputError
        The processed tables were replaced during the run (not by this batch).
    """
    import hashlib
    import pickle

    record_file = os.environ.get(SNAPSHOT_VARIABLE)
    if not record_file or not Path(record_file).is_file():
        return None
    record = pickle.loads(Path(record_file).read_bytes())  # written by this user's batch, in a 0700 folder
    if Path(record["processed"]) != paths.processed.resolve():
        return None
    # the run's tables: data/processed/<study>/, or the run's own ingest staged beside it,
    # swapped in with the report at the end of the run (helpers.batch)
    folder = Path(record.get("tables", paths.processed))
    manifest = folder / "manifest.json"
    if not manifest.is_file() or hashlib.sha256(manifest.read_bytes()).hexdigest() != record["manifest_sha256"]:
        raise InputError.one(paths.processed, "the processed tables were replaced while the report was running",
                             "run report again (and do not ingest the study while a report runs)")
    key = (record_file, record["manifest_sha256"])
    if key not in _SNAPSHOTS:
        # A reused kernel (one per job for the participant profiles) reads the
        # tables once, not once per participant.
        _SNAPSHOTS.clear()
        snap = StudyPaths(paths.name, paths.raw, folder, Path(record["reports"]))
        _SNAPSHOTS[key] = read_processed(snap, record["config"])
    return _fresh_copy(_SNAPSHOTS[key])


_SNAPSHOTS: dict[tuple, "Study"] = {}


def _fresh_copy(study: "Study") -> "Study":
    """A copy a notebook may change without reaching the next run's study."""
    import copy
    import dataclasses

    frames = {name: getattr(study, name).copy() for name in tables.CONTRACT}
    return dataclasses.replace(study, **frames, texts=dict(study.texts), levels=list(study.levels),
                               manifest=copy.deepcopy(study.manifest), config=copy.deepcopy(study.config))


def processed_is_current(paths: StudyPaths, fingerprint: str) -> bool:
    """Whether data/processed/<study>/ holds an ingest of inputs with this
    fingerprint (``ingest.fingerprint_inputs``)."""
    manifest_file = paths.processed / "manifest.json"
    if not manifest_file.is_file():
        return False
    try:
        return json.loads(manifest_file.read_text(encoding="utf-8")).get("fingerprint") == fingerprint
    except json.JSONDecodeError:
        return False


def load_study(study: str | os.PathLike | Study, *, ingest: bool = True) -> Study:
    """The study's processed tables, ingesting first when they are missing or
    older than the inputs (the manifest's fingerprint differs). In a kernel
    of the report batch, the run's snapshot (``from_snapshot``).

    Parameters
    ----------
    study : str, path or Study
        A study name under data/raw/, a path to a study folder, or a Study (returned as is).
    ingest : bool, default True
        Ingest when the processed tables are missing or out of date; False raises instead.

    Returns
    -------
    Study
        The processed tables (documents, segments, codings, codebook, participants as
        DataFrames with the contract columns, texts), levels, hierarchy and config.

    Raises
    ------
    InputError
        The study folder is not found, its input is bad (one line per problem), or, with
        ``ingest=False``, its processed tables are missing or out of date.
    """
    from helpers.ingest.config import load_config
    from helpers.ingest.pipeline import fingerprint_inputs, run_ingest

    if isinstance(study, Study):
        return study
    paths = resolve(study)
    snapshot = from_snapshot(paths)
    if snapshot is not None:
        return snapshot
    config = load_config(paths.raw)
    if not processed_is_current(paths, fingerprint_inputs(config)):
        if not ingest:
            raise InputError.one(paths.processed, "processed tables are missing or out of date",
                                 f"run: python -m helpers ingest {paths.raw}")
        run_ingest(paths, config)
    return read_processed(paths, config)
