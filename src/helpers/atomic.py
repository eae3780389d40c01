"""Atomic writes: a reader never sees a half-written table or report.

Every output is written to a temporary file in the same folder and renamed
into place (``os.replace`` is atomic on POSIX), so a run killed at any point
leaves either the old file or the new one.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterator

import pandas as pd


@contextlib.contextmanager
def atomic_path(path: Path | str, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or ".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: Path | str, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path: Path | str, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json(path: Path | str, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n")


def write_parquet(path: Path | str, frame: pd.DataFrame) -> None:
    # No pandas index and no creation time in the metadata: identical inputs
    # give byte-identical files (determinism).
    with atomic_path(path, suffix=".parquet") as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow")


def write_csv(path: Path | str, frame: pd.DataFrame, index: bool = False) -> None:
    with atomic_path(path, suffix=".csv") as tmp:
        frame.to_csv(tmp, index=index, lineterminator="\n")


def write_excel(path: Path | str, sheets: dict[str, pd.DataFrame], wrap: bool = True) -> None:
    """One sheet per frame, header frozen, long text wrapped."""
    from openpyxl.styles import Alignment

    with atomic_path(path, suffix=".xlsx") as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                sheet_name = safe_sheet_name(name)
                frame.to_excel(writer, sheet_name=sheet_name, index=False)
                ws = writer.sheets[sheet_name]
                ws.freeze_panes = "A2"
                for col_cells in ws.columns:
                    longest = max((len(str(c.value)) for c in col_cells if c.value is not None), default=8)
                    ws.column_dimensions[col_cells[0].column_letter].width = min(max(10, longest + 2), 60)
                    if wrap:
                        for c in col_cells[1:]:
                            c.alignment = Alignment(wrap_text=True, vertical="top")


def safe_sheet_name(name: str) -> str:
    for ch in '[]:*?/\\':
        name = name.replace(ch, "-")
    return (name or "Sheet")[:31]
