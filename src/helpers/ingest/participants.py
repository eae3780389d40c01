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


def document_participant(doc: RawDocument, participants: pd.DataFrame, mapping: list[str] | None = None) -> str | None:
    """The participant a document belongs to: fixed by its source, else the
    participants.csv row whose ``doc_id`` names it (ids compared normalised,
    see helpers.ids), else the document's own id. A focus group has none.
    ``mapping`` collects a line per document mapped through ``doc_id``."""
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
    return doc.doc_id
