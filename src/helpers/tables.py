"""The processed tables of DESIGN §3: their contract columns and dtypes.

Contract columns come first, in this order; columns are only ever added
after them, never renamed or dropped (other tools read these files).
"""
from __future__ import annotations

import pandas as pd

CONTRACT: dict[str, list[str]] = {
    "documents": ["doc_id", "participant_id", "source_file", "format", "sha256", "n_segments", "n_words"],
    "segments": ["doc_id", "seg_no", "participant_id", "speaker_role", "speaker", "start", "end", "text", "n_words"],
    "codebook": ["code", "level", "parent", "description"],
    "codings": ["doc_id", "participant_id", "code", "level", "coder", "start", "end",
                "seg_first", "seg_last", "source", "memo"],
    "participants": ["participant_id"],
}

# Columns this project adds after the contract ones.
EXTRA: dict[str, list[str]] = {
    "documents": ["kind", "encoding", "n_participant_words"],
    "segments": ["start_time", "n_annotations"],
    "codebook": ["colour", "source"],
    "codings": ["match", "score", "source_row", "duplicate", "use"],
    "participants": [],
}

INT_COLUMNS = {
    "documents": ["n_segments", "n_words", "n_participant_words"],
    "segments": ["seg_no", "start", "end", "n_words", "n_annotations"],
    "codings": ["start", "end", "seg_first", "seg_last"],
}
FLOAT_COLUMNS = {"segments": ["start_time"], "codings": ["score"]}
BOOL_COLUMNS = {"codings": ["duplicate"]}
# Text even when a source gives numbers (sheet rows) and another text (REFI GUIDs).
STRING_COLUMNS = {"codings": ["source_row"], "segments": ["speaker"], "documents": ["encoding"]}


def columns(table: str) -> list[str]:
    return CONTRACT[table] + EXTRA[table]


def empty(table: str) -> pd.DataFrame:
    return conform(table, pd.DataFrame(columns=columns(table)))


def conform(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Contract columns first in order, extras after, dtypes fixed.

    Missing extra columns are filled (so older code paths still produce a
    full table); missing contract columns are a bug and raise.
    """
    frame = frame.copy()
    missing = [c for c in CONTRACT[table] if c not in frame.columns]
    if missing:
        raise ValueError(f"{table} table lacks contract columns {missing}")
    for col in EXTRA[table]:
        if col not in frame.columns:
            frame[col] = None
    rest = [c for c in frame.columns if c not in columns(table)]
    frame = frame[columns(table) + rest]
    for col in INT_COLUMNS.get(table, []):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    for col in FLOAT_COLUMNS.get(table, []):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    for col in BOOL_COLUMNS.get(table, []):
        frame[col] = frame[col].fillna(False).astype(bool)
    for col in STRING_COLUMNS.get(table, []):
        frame[col] = frame[col].map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)).astype("string")
    for col in frame.columns:
        if col in INT_COLUMNS.get(table, []) + FLOAT_COLUMNS.get(table, []) + BOOL_COLUMNS.get(table, []):
            continue
        if frame[col].dtype == object or str(frame[col].dtype).startswith("str"):
            frame[col] = frame[col].astype("string")
    return frame.reset_index(drop=True)
