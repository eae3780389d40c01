"""participants.csv (or .xlsx) -> the participants table; which participant a document
belongs to, and the pseudonyms that label a participant's turns (DESIGN §2).

Read by the pipeline and by the coding sources (a coding sheet's participant column),
so it lives on its own: neither imports the other for it.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers.errors import InputError, ProblemList
from helpers.ids import check_ids
from helpers.ingest.cleaning import Redactor, normalise
from helpers.ingest.config import StudyConfig
from helpers.ingest.transcripts import RawDocument


def load_participants(config: StudyConfig, redact: Redactor) -> pd.DataFrame:
    """participants.csv (or .xlsx, its first sheet) as the participants table.

    Parameters
    ----------
    config : StudyConfig
        The study's configuration (``config.participants``, the file, may be None).
    redact : Redactor
        The study's redactions, applied to the cells.

    Returns
    -------
    DataFrame
        One row per participant: ``participant_id`` (string) then the file's other columns;
        no rows (one column) when the study has no participants file.

    Raises
    ------
    InputError
        No participant_id column, or bad rows (each named).
    """
    from helpers.ingest.sheets import read_table

    path = config.participants
    if path is None or not path.is_file():
        return pd.DataFrame({"participant_id": pd.Series([], dtype="string")})
    # participants.xlsx is read like participants.csv: its first sheet
    frame = next(iter(read_table(path).values()))
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
    check_ids(((pid, path, f"row {row}") for row, pid in zip(rows, ids)), "participant_id", problems)
    problems.raise_if_any()
    frame["participant_id"] = ids
    # participant_id first, wherever the researcher put it
    frame = frame[["participant_id"] + [c for c in frame.columns if c != "participant_id"]]
    # NFC before redaction: a cell typed on a Mac may be decomposed (NFD)
    for col in frame.columns:
        frame[col] = frame[col].map(lambda v: redact(normalise(str(v))) if v is not None else None)
    frame.columns = ["participant_id"] + [redact(normalise(str(c))) for c in frame.columns[1:]]
    return frame.reset_index(drop=True)


PSEUDONYM_COLUMNS = {"pseudonym", "name", "alias"}


def participant_names(participants: pd.DataFrame) -> dict[str, str]:
    """Pseudonym (or name, alias) -> participant_id, from participants.csv:
    such a name is a speaker label that attributes its turn to that participant."""
    out: dict[str, str] = {}
    for col in participants.columns:
        if str(col).strip().lower() in PSEUDONYM_COLUMNS:
            for pid, name in zip(participants["participant_id"], participants[col]):
                if name is not None and not pd.isna(name) and str(name).strip():
                    out.setdefault(str(name).strip(), str(pid))
    return out


def document_participant(doc: RawDocument, participants: pd.DataFrame, mapping: list[str] | None = None,
                         labels=None) -> str | None:
    """The participant a document belongs to: fixed by its source, else the
    participants.csv row whose ``doc_id`` names it (ids compared normalised,
    see helpers.ids), else, when the document's id is no participant's and its turns
    name exactly one known participant (``labels``: a pseudonym or id as speaker label),
    that participant, else the document's own id. A focus group has none.
    ``mapping`` collects a line per document mapped through ``doc_id`` or its speaker."""
    from helpers.ids import IdMatcher

    if doc.participant_id:
        return doc.participant_id
    if doc.kind == "focus_group":
        return None
    if "doc_id" in participants.columns:
        hit = IdMatcher([doc.doc_id]).match
        for value, pid in zip(participants["doc_id"], participants["participant_id"]):
            if value is None or pd.isna(value) or not str(value).strip():
                continue
            found, how = hit(str(value))
            if found is not None:
                if mapping is not None:
                    via = "" if how == "exact" else f" (doc_id '{value}' matched by normalising)"
                    mapping.append(f"{Path(doc.source_file).name} -> participant {pid}{via}")
                return str(pid)
    speaker = _only_speaker(doc, participants, labels)
    if speaker is not None:
        if mapping is not None:
            mapping.append(f"{Path(doc.source_file).name} -> participant {speaker} (its only participant speaker)")
        return speaker
    return doc.doc_id


def _only_speaker(doc: RawDocument, participants: pd.DataFrame, labels) -> str | None:
    """The one known participant who speaks in ``doc`` when its id names no participant
    ("interview_tom.txt" with "Tom:" turns is Tom's, not a participant "interview_tom")."""
    from helpers.ids import IdMatcher

    if labels is None:
        return None
    known = [str(p) for p in participants["participant_id"]] if "participant_id" in participants else []
    if IdMatcher(known).match(doc.doc_id)[0] is not None:
        return None
    speakers = {labels.canonical_participant(t.speaker) for t in doc.turns if t.speaker} - {None}
    return next(iter(speakers)) if len(speakers) == 1 else None
