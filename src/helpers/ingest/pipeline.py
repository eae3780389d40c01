"""Raw study folder -> processed tables (DESIGN §1–3).

``build`` reads and checks everything and returns the tables in memory; it
writes nothing, so bad input never leaves a half-written output. ``run_ingest``
then writes the whole processed folder into a staging folder and swaps it into
place, so a reader sees either the old tables or the new ones.
"""
from __future__ import annotations

import hashlib
import time
import unicodedata
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from helpers import __version__, atomic, tables
from helpers.counting import uncounted_coder_warnings
from helpers.errors import InputError, ProblemList, display_path
from helpers.ids import check_ids, file_stem
from helpers.ingest.cleaning import (
    CleanDocument,
    Redactor,
    clean_document,
    load_redactions,
    normalise,
    redaction_warnings,
)
from helpers.ingest.config import StudyConfig
from helpers.ingest.identifiers import scan_identifiers
from helpers.ingest.participants import (  # noqa: F401  (re-exported: where they were before)
    PSEUDONYM_COLUMNS,
    document_participant,
    load_participants,
    participant_names,
)
from helpers.ingest.transcripts import RawDocument, SpeakerLabels, read_transcript, transcript_files
from helpers.leakscan import scan_folders
from helpers.paths import StudyPaths
from helpers.safety import check_inputs_inside

INGEST_VERSION = "2"  # bump when the processed tables change for the same inputs
PACKAGES = ["pandas", "numpy", "pyarrow", "scipy", "scikit-learn", "nltk", "matplotlib", "seaborn",
            "networkx", "papermill", "nbconvert", "python-docx", "openpyxl", "krippendorff", "rapidfuzz", "webvtt-py", "charset-normalizer", "striprtf", "odfpy"]


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
    notes: list[str] = field(default_factory=list)   # what check says it did (not problems)


# About 3 million words, a hundred times the longest interview; every text step is linear
# time, so this bounds memory and run time, and is said as an error when passed.
MAX_TRANSCRIPT_BYTES = 20 * 2**20


def fingerprint_inputs(config: StudyConfig) -> str:
    """What the processed tables were built from, as one hash.

    Parameters
    ----------
    config : StudyConfig
        The study's configuration (``config.input_files()`` are hashed, by path and content).

    Returns
    -------
    str
        SHA-256 hex digest of the package and ingest versions and every input file.
    """
    digest = hashlib.sha256(f"{__version__}/{INGEST_VERSION}".encode())
    for path in config.input_files():
        digest.update(str(path.relative_to(config.root)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


# -- build -------------------------------------------------------------------------

def read_transcripts(config: StudyConfig, labels: SpeakerLabels, redact: Redactor) -> list[RawDocument]:
    problems = ProblemList()
    docs: dict[str, RawDocument] = {}
    for path in transcript_files(config.transcripts):
        size = path.stat().st_size
        if size > MAX_TRANSCRIPT_BYTES:  # stated, rather than a run whose length depends on the machine
            problems.add(path, f"the transcript is {size / 2**20:.0f} MB; the limit for one transcript is "
                         f"{MAX_TRANSCRIPT_BYTES / 2**20:.0f} MB", "split it into one file per interview or session")
            continue
        try:
            doc = read_transcript(path, labels, getattr(config, "encoding", None))
        except InputError as exc:
            problems.extend(exc)
            continue
        # NFC first: a file name saved by macOS is decomposed (NFD)
        doc.doc_id = redact(normalise(doc.doc_id))
        if doc.doc_id in docs:
            problems.add(path, f"a second transcript for document '{doc.doc_id}' (also {docs[doc.doc_id].source_file.name})",
                         "keep one file per interview: remove or rename one of them")
            continue
        docs[doc.doc_id] = doc
    problems.raise_if_any()
    return list(docs.values())


def build(paths: StudyPaths, config: StudyConfig) -> Built:
    """Ingest a study in memory: raw files in, the processed tables out (nothing written).

    Parameters
    ----------
    paths : StudyPaths
        Where the study's folders are.
    config : StudyConfig
        The study's configuration (``ingest.config.load_config``).

    Returns
    -------
    Built
        The contract tables (documents, segments, codings, codebook, participants), the clean
        texts, the report tables, warnings, redaction counts and notes.

    Raises
    ------
    InputError
        Every problem found in the inputs, one line each (file, row, fix).
    """
    from helpers.ingest import coding
    from helpers.interop import with_participants

    check_inputs_inside(config)  # a link in transcripts/ may point at another study's file
    redact = load_redactions(config.redactions)
    participants = load_participants(config, redact)
    known_ids = set(participants["participant_id"].astype(str))
    labels = SpeakerLabels(config.speakers, known_ids, participant_names(participants))
    raw_docs = read_transcripts(config, labels, redact)
    # Other programs' cases are the study's participants by helpers.ids, like their documents:
    # those of participants.csv and those the transcripts are (P01.txt is P01 without a
    # participants.csv), so that a case "P1" is P01 (said), not a participant of its own.
    external_labels = with_participants(labels, {document_participant(d, participants, labels=labels)
                                                 for d in raw_docs} - {None})
    stand_ins = coding.stand_in_documents(config, {d.doc_id for d in raw_docs}, known_ids, labels, redact,
                                          external_labels)
    raw_docs += stand_ins
    clashes = ProblemList()  # 'P01.txt' and 'p01.docx' would be one document to a coding sheet
    check_ids(((d.doc_id, d.source_file, None) for d in raw_docs), "document id", clashes)
    clashes.raise_if_any()
    if not raw_docs:
        raise InputError.one(config.transcripts or config.root, "no documents in this study",
                             "put transcripts (.txt .md .docx .vtt .srt) in transcripts/, or a coding table or "
                             "REFI-QDA project in codings/")
    warnings: list[str] = []
    notes: list[str] = []
    docs: dict[str, CleanDocument] = {}
    mapping: list[str] = []
    losses = ProblemList()
    for raw in raw_docs:
        pid = document_participant(raw, participants, mapping, labels)
        docs[raw.doc_id] = clean_document(raw, labels, redact, pid)
        shown = _relative(raw.source_file, config.root)
        warnings += [redact(n.replace(display_path(raw.source_file), shown, 1)) for n in raw.notes]
        loss_problem = conservation_problem(docs[raw.doc_id], redact)
        if loss_problem is not None:
            if config.strict:
                losses.add(raw.source_file, *loss_problem)
            else:
                warnings.append(redact(f"{shown}: {loss_problem[0]} — {loss_problem[1]}"))
    losses.raise_if_any()
    if mapping:
        notes.append("documents mapped to participants by participants.csv doc_id: " + "; ".join(redact(m) for m in mapping))
    participants = add_missing_participants(participants, docs, stand_ins, warnings, redact)
    imported = coding.import_codings(config, docs, participants, labels, redact, external_labels)
    warnings += imported.warnings
    if imported.participants is not None:
        participants = imported.participants
    imported.codings["use"] = coding_use(config, imported.codings, redact, imported.recorded_use, warnings)
    warnings += [redact.quietly(w) for w in uncounted_coder_warnings(imported.codings, config)]
    # Every string of every table passes the redactor once more, so that what no reader
    # redacted itself (a level named from a column header, say) is redacted here.
    imported.codings = redact_frame(imported.codings, redact)
    imported.codebook = redact_frame(imported.codebook, redact)
    participants = redact_frame(participants, redact)
    segments = pd.concat([d.segments for d in docs.values()], ignore_index=True)
    documents = redact_frame(documents_table(docs, config, redact), redact)
    review = scan_identifiers(list(docs.values()) + side_documents(raw_docs, redact), redact.placeholders)
    report_tables = {name: redact_frame(frame, redact) for name, frame in imported.report_tables.items()}
    report_tables["identifier_review"] = review
    warnings += redaction_warnings(redact, imported.codebook.get("code", pd.Series([], dtype=object)).tolist())
    report_tables["redaction_summary"] = pd.DataFrame(
        sorted(redact.counts.items()), columns=["placeholder", "replacements"])
    return Built(config=config, documents=tables.conform("documents", documents),
                 segments=tables.conform("segments", segments),
                 codings=tables.conform("codings", imported.codings),
                 codebook=tables.conform("codebook", imported.codebook),
                 participants=tables.conform("participants", participants),
                 texts={d.doc_id: d.text for d in docs.values()}, report_tables=report_tables,
                 warnings=warnings, redaction_counts=dict(redact.counts), notes=notes)


def side_documents(raw_docs: list[RawDocument], redact: Redactor) -> list[CleanDocument]:
    """Word headers, footers and comments of each document as pseudo-turns
    (seg_no 0, one per paragraph), redacted, for the identifier scan only: they are not transcript
    text (issue 13, point 2), but a name in a header is still a name."""
    from helpers.ingest.cleaning import normalise

    out = []
    for raw in raw_docs:
        if not raw.side_text:
            continue
        pieces = [redact(normalise(piece)) for piece in raw.side_text]
        segments = pd.DataFrame([{"doc_id": raw.doc_id, "seg_no": 0, "text": piece, "speaker": "",
                                  "speaker_role": "other", "participant_id": None} for piece in pieces])
        out.append(CleanDocument(raw.doc_id, None, "\n".join(pieces), segments, raw))
    return out


def _relative(path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(path).name


def conservation_problem(doc: CleanDocument, redact: Redactor) -> tuple[str, str, str] | None:
    """(what, fix) when the document's reader saw words that its clean text
    lacks and no stated rule removed (helpers.ingest.conservation); else None."""
    from helpers.ingest.conservation import check_document

    # a fresh Redactor with the same terms: its replacements are not counted twice
    loss = check_document(doc.raw.seen_text, doc.text, doc.raw.removed, Redactor(redact.terms))
    if loss is None:
        return None
    return (f"{loss.n_missing} of {loss.n_source} words read from the source are not in the clean text and no "
            f"stated rule removed them; first missing: \"{loss.first_passage}\"",
            "check the file in its own program (hidden or unusual text?); 'strict: true' in study.yml makes this an error")


def redact_frame(frame: pd.DataFrame, redact) -> pd.DataFrame:
    """``frame`` with every string cell and column name redacted (NFC first).

    Parameters
    ----------
    frame : DataFrame
    redact : callable str -> str

    Returns
    -------
    DataFrame
        Same shape, index and dtypes; only strings changed.
    """
    if frame is None or not len(frame.columns):
        return frame
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: redact(normalise_keep_lines(v)) if isinstance(v, str) else v)
    out.columns = [redact(normalise_keep_lines(c)) if isinstance(c, str) else c for c in out.columns]
    return out


def normalise_keep_lines(text: str) -> str:
    """NFC only (a cell's line breaks and spacing are kept)."""
    return unicodedata.normalize("NFC", text)


def coding_use(config: StudyConfig, codings: pd.DataFrame, redact, recorded: list | None = None,
               warnings: list[str] | None = None) -> list[str]:
    """Per coding: "agreement" (a reliability coder: counted by agreement only) or "analysis"
    (DESIGN §4 "Coders").

    Parameters
    ----------
    config : StudyConfig
        Its codings entries: ``use: agreement`` makes every coding of the entry's files agreement.
    codings : pandas.DataFrame
        The imported codings (column ``source``: file, then ``#sheet``), one row per coding.
    redact : callable
        The study's redactor (``source`` is compared redacted).
    recorded : list of str or None, optional
        Per coding, the use its file records for its coder (a REFI-QDA project exported by
        Transcript Themes writes each coder's use), else None.
    warnings : list of str, optional
        Where a recorded use that study.yml overrides is said.

    Returns
    -------
    list of str
        One use per row of ``codings``, in order. An entry that writes ``use:`` wins over what
        its file records (said in ``warnings``); else a recorded use is kept; else "analysis".
    """
    from helpers.ingest.coding import source_files, source_name

    given = {redact(source_name(f, config.root)): getattr(entry, "use", "analysis")
             for entry, f in source_files(config) if getattr(entry, "use_given", False)}
    reliability = {redact(source_name(f, config.root)) for entry, f in source_files(config)
                   if getattr(entry, "use", "analysis") == "agreement"}
    files = codings["source"].astype("string").fillna("").str.split("#", n=1).str[0]
    recorded = list(recorded) if recorded is not None and len(recorded) == len(codings) else [None] * len(codings)
    out, overridden = [], {}
    for f, coder, own in zip(files, codings["coder"].astype("string").fillna(""), recorded):
        if f in given:
            if own is not None and own != given[f]:
                overridden.setdefault((f, given[f]), set()).add(coder)
            out.append(given[f])
        elif own is not None:
            out.append(own)
        else:
            out.append("agreement" if f in reliability else "analysis")
    for (f, use), coders in sorted(overridden.items()):
        if warnings is not None:
            warnings.append(f"{f}: study.yml says 'use: {use}', which wins over the use the file records for {'coder' if len(coders) == 1 else 'coders'} "
                            f"{', '.join(sorted(coders))}")
    return out


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
                  "stopwords": config.stopwords, "quote_match_threshold": config.quote_match_threshold,
                  "primary_coder": config.primary_coder}
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
        "tables": sorted(built.report_tables),  # the tables/*.csv ingest wrote (notebooks add more)
        "encodings": {redact_name(str(r)): e for r, e in zip(built.documents["source_file"], built.documents["encoding"])
                      if isinstance(e, str)},
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def write_processed(built: Built, paths: StudyPaths) -> None:
    """Write everything into a staging folder, then swap it into place
    (``atomic.atomic_folder``: a killed run never leaves a half-written folder).

    Parameters
    ----------
    built : Built
        What ``build`` returned.
    paths : StudyPaths
        Where to write (``paths.processed``).

    Returns
    -------
    None
        The processed folder is replaced as a whole.
    """
    with atomic.atomic_folder(paths.processed) as staging:
        write_processed_into(built, paths, staging)


def write_processed_into(built: Built, paths: StudyPaths, staging: Path) -> None:
    """The processed folder's files written into ``staging`` (an empty folder that
    will become ``paths.processed``), leak-scanned; the caller swaps it in
    (``write_processed``, or the report batch at the end of its run).

    Raises
    ------
    InputError
        A redaction term in a file written (nothing is swapped in).
    """
    (staging / "texts").mkdir()
    (staging / "tables").mkdir()
    for name in tables.CONTRACT:
        atomic.write_parquet(staging / f"{name}.parquet", getattr(built, name))
    for doc_id, text in built.texts.items():
        atomic.write_text(staging / "texts" / f"{file_stem(doc_id)}.txt", text)  # safe, unique (ids.py)
    for name, frame in built.report_tables.items():
        atomic.write_csv(staging / "tables" / f"{name}.csv", frame)
    redact = load_redactions(built.config.redactions)
    atomic.write_json(staging / "manifest.json", manifest(built, paths, redact))
    # The leak scan before the swap: a term that got through never reaches data/processed/.
    scan = scan_folders([staging], redact)
    if scan.leaks or scan.unreadable:
        raise scan.as_error(lambda p: paths.processed / p.relative_to(staging))


def run_ingest(paths: StudyPaths, config: StudyConfig) -> Built:
    """``build`` then ``write_processed``: the whole of ingestion.

    Parameters
    ----------
    paths, config : StudyPaths, StudyConfig
        As ``build``.

    Returns
    -------
    Built
        What was written.

    Raises
    ------
    InputError
        As ``build``.
    """
    built = build(paths, config)
    write_processed(built, paths)
    return built
