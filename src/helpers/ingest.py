"""Raw study folder -> processed tables (DESIGN §1–3).

``build`` reads and checks everything and returns the tables in memory; it
writes nothing, so bad input never leaves a half-written output. ``run_ingest``
then writes the whole processed folder into a staging folder and swaps it into
place, so a reader sees either the old tables or the new ones.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from . import __version__, atomic, tables
from .cleaning import CleanDocument, Redactor, clean_document, load_redactions, scan_identifiers
from .config import StudyConfig
from .errors import InputError, ProblemList
from .study import StudyPaths
from .transcripts import RawDocument, SpeakerLabels, read_transcript, transcript_files

INGEST_VERSION = "1"  # bump when the processed tables change for the same inputs
PACKAGES = ["pandas", "numpy", "pyarrow", "scipy", "scikit-learn", "nltk", "matplotlib", "seaborn",
            "networkx", "papermill", "nbconvert", "python-docx", "openpyxl", "krippendorff", "rapidfuzz", "webvtt-py"]


@dataclass
class Built:
    config: StudyConfig
    documents: pd.DataFrame
    segments: pd.DataFrame
    codings: pd.DataFrame
    codebook: pd.DataFrame
    participants: pd.DataFrame
    texts: dict[str, str]
    report_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    redaction_counts: dict[str, int] = field(default_factory=dict)


def fingerprint_inputs(config: StudyConfig) -> str:
    digest = hashlib.sha256(f"{__version__}/{INGEST_VERSION}".encode())
    for path in config.input_files():
        digest.update(str(path.relative_to(config.root)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


# -- participants ------------------------------------------------------------------

def load_participants(config: StudyConfig, redact: Redactor) -> pd.DataFrame:
    from .sheets import read_csv_table

    path = config.participants
    if path is None or not path.is_file():
        return pd.DataFrame({"participant_id": pd.Series([], dtype="string")})
    frame = read_csv_table(path)
    lower = {c.lower(): c for c in frame.columns}
    if "participant_id" not in lower:
        raise InputError.one(path, "no 'participant_id' column", "name the first column participant_id")
    frame = frame.rename(columns={lower["participant_id"]: "participant_id"})
    problems = ProblemList()
    rows = frame.index + 2  # the spreadsheet row: header is row 1 (read_csv_table keeps the index)
    ids = frame["participant_id"].fillna("").astype(str).str.strip()
    for row, pid in zip(rows, ids):
        if not pid:
            problems.add(path, "empty participant_id", "fill in an id or delete the row", f"row {row}")
    for row, pid, dup in zip(rows, ids, ids.duplicated(keep="first")):
        if dup and pid:
            problems.add(path, f"participant_id '{redact(pid)}' appears more than once",
                         "give each participant one row", f"row {row}")
    problems.raise_if_any()
    frame["participant_id"] = ids
    # participant_id first, wherever the researcher put it
    frame = frame[["participant_id"] + [c for c in frame.columns if c != "participant_id"]]
    for col in frame.columns:
        frame[col] = frame[col].map(lambda v: redact(str(v)) if v is not None else None)
    frame.columns = ["participant_id"] + [redact(c) for c in frame.columns[1:]]
    return frame.reset_index(drop=True)


def document_participant(doc: RawDocument, participants: pd.DataFrame) -> str | None:
    if doc.participant_id:
        return doc.participant_id
    if doc.kind == "focus_group":
        return None
    if "doc_id" in participants.columns:
        hit = participants.loc[participants["doc_id"].astype(str) == doc.doc_id, "participant_id"]
        if len(hit):
            return str(hit.iloc[0])
    return doc.doc_id


# -- build -------------------------------------------------------------------------

def read_transcripts(config: StudyConfig, labels: SpeakerLabels, redact: Redactor) -> list[RawDocument]:
    problems = ProblemList()
    docs: dict[str, RawDocument] = {}
    for path in transcript_files(config.transcripts):
        try:
            doc = read_transcript(path, labels)
        except InputError as exc:
            problems.extend(exc)
            continue
        doc.doc_id = redact(doc.doc_id)
        if doc.doc_id in docs:
            problems.add(path, f"a second transcript for document '{doc.doc_id}' (also {docs[doc.doc_id].source_file.name})",
                         "keep one file per interview: remove or rename one of them")
            continue
        docs[doc.doc_id] = doc
    problems.raise_if_any()
    return list(docs.values())


def build(paths: StudyPaths, config: StudyConfig) -> Built:
    from . import coding

    redact = load_redactions(config.redactions)
    participants = load_participants(config, redact)
    known_ids = set(participants["participant_id"].astype(str))
    labels = SpeakerLabels(config.speakers, known_ids)
    raw_docs = read_transcripts(config, labels, redact)
    stand_ins = coding.stand_in_documents(config, {d.doc_id for d in raw_docs}, known_ids, labels, redact)
    raw_docs += stand_ins
    if not raw_docs:
        raise InputError.one(config.transcripts or config.root, "no documents in this study",
                             "put transcripts (.txt .md .docx .vtt .srt) in transcripts/, or a coding table or "
                             "REFI-QDA project in codings/")
    warnings: list[str] = []
    docs: dict[str, CleanDocument] = {}
    for raw in raw_docs:
        pid = document_participant(raw, participants)
        docs[raw.doc_id] = clean_document(raw, labels, redact, pid)
    participants = add_missing_participants(participants, docs, stand_ins, warnings, redact)
    imported = coding.import_codings(config, docs, participants, labels, redact)
    warnings += imported.warnings
    if imported.participants is not None:
        participants = imported.participants
    segments = pd.concat([d.segments for d in docs.values()], ignore_index=True)
    documents = documents_table(docs, config, redact)
    review = scan_identifiers(list(docs.values()), redact.placeholders)
    report_tables = dict(imported.report_tables)
    report_tables["identifier_review"] = review
    report_tables["redaction_summary"] = pd.DataFrame(
        sorted(redact.counts.items()), columns=["placeholder", "replacements"])
    return Built(config=config, documents=tables.conform("documents", documents),
                 segments=tables.conform("segments", segments),
                 codings=tables.conform("codings", imported.codings),
                 codebook=tables.conform("codebook", imported.codebook),
                 participants=tables.conform("participants", participants),
                 texts={d.doc_id: d.text for d in docs.values()}, report_tables=report_tables,
                 warnings=warnings, redaction_counts=dict(redact.counts))


def add_missing_participants(participants: pd.DataFrame, docs: dict[str, CleanDocument],
                             stand_ins: list[RawDocument], warnings: list[str], redact: Redactor) -> pd.DataFrame:
    """Participants who speak in the documents but are not in participants.csv."""
    known = set(participants["participant_id"].astype(str))
    seen: list[str] = []
    for doc in docs.values():
        for pid in doc.segments.loc[doc.segments["speaker_role"] == "participant", "participant_id"].dropna():
            if pid not in known and pid not in seen:
                seen.append(pid)
        if doc.participant_id and doc.participant_id not in known and doc.participant_id not in seen:
            seen.append(doc.participant_id)
    if not seen:
        return participants
    if len(participants):
        warnings.append(f"participants.csv lacks {', '.join(seen)}: added with no attributes")
    extra_attrs = {d.participant_id: d.attributes for d in stand_ins if d.participant_id and d.attributes}
    rows = [{"participant_id": pid, **{k: redact(str(v)) for k, v in extra_attrs.get(pid, {}).items()}} for pid in seen]
    return pd.concat([participants, pd.DataFrame(rows)], ignore_index=True)


def documents_table(docs: dict[str, CleanDocument], config: StudyConfig, redact=None) -> pd.DataFrame:
    """One row per document; ``redact`` hides names in source file paths
    ("transcripts/P01_Mary.txt")."""
    redact = redact or (lambda text: text)
    rows = []
    for doc in docs.values():
        seg = doc.segments
        source = doc.raw.source_file
        try:
            source_name = str(Path(source).resolve().relative_to(config.root))
        except ValueError:
            source_name = Path(source).name
        rows.append({
            "doc_id": doc.doc_id, "participant_id": doc.participant_id,
            "source_file": redact(source_name), "format": doc.raw.format, "sha256": doc.raw.sha256,
            "n_segments": len(seg), "n_words": int(seg["n_words"].sum()),
            "kind": doc.raw.kind, "encoding": doc.raw.encoding,
            "n_participant_words": int(seg.loc[seg["speaker_role"] == "participant", "n_words"].sum()),
        })
    return pd.DataFrame(rows)


# -- write -------------------------------------------------------------------------

def package_versions() -> dict[str, str]:
    out = {"transcript-themes": __version__}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _redact_strings(value, redact):
    """Every string in a nest of lists and dicts, redacted (keys too)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_strings(v, redact) for v in value]
    if isinstance(value, dict):
        return {redact(str(k)): _redact_strings(v, redact) for k, v in value.items()}
    return value


def manifest(built: Built, paths: StudyPaths, redact_name) -> dict:
    """The run's record. Like every processed output it holds no redaction
    term: the title and parameters (e.g. a name added to stopwords) are redacted."""
    config = built.config
    parameters = {"levels": config.levels, "speakers": config.speakers, "fillers": config.fillers,
                  "stopwords": config.stopwords, "quote_match_threshold": config.quote_match_threshold}
    return {
        "study": redact_name(paths.name),
        "title": redact_name(config.title),
        "fingerprint": fingerprint_inputs(config),
        "inputs": [{"path": redact_name(str(p.relative_to(config.root))),
                    "sha256": hashlib.sha256(p.read_bytes()).hexdigest(), "bytes": p.stat().st_size}
                   for p in config.input_files()],
        "parameters": _redact_strings(parameters, redact_name),
        "versions": package_versions(),
        "rows": {"documents": len(built.documents), "segments": len(built.segments),
                 "codings": len(built.codings), "codebook": len(built.codebook),
                 "participants": len(built.participants)},
        "redactions": built.redaction_counts,
        "warnings": [redact_name(w) for w in built.warnings],
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def write_processed(built: Built, paths: StudyPaths) -> None:
    """Write everything into a staging folder, then swap it into place
    (``atomic.atomic_folder``: a killed run never leaves a half-written folder)."""
    with atomic.atomic_folder(paths.processed) as staging:
        (staging / "texts").mkdir()
        (staging / "tables").mkdir()
        for name in tables.CONTRACT:
            atomic.write_parquet(staging / f"{name}.parquet", getattr(built, name))
        for doc_id, text in built.texts.items():
            atomic.write_text(staging / "texts" / f"{doc_id}.txt", text)
        for name, frame in built.report_tables.items():
            atomic.write_csv(staging / "tables" / f"{name}.csv", frame)
        redact = load_redactions(built.config.redactions)
        atomic.write_json(staging / "manifest.json", manifest(built, paths, redact))


def run_ingest(paths: StudyPaths, config: StudyConfig) -> Built:
    built = build(paths, config)
    write_processed(built, paths)
    return built
