"""MAXQDA's coded-segments export and ATLAS.ti's quotation export (.xlsx / .csv) in.

Both programs export a table with one row per coded segment (MAXQDA) or per quotation
(ATLAS.ti), and neither carries character positions: each row's text is found in the
study's transcript like any quote (``helpers.ingest.quotes``), with the row's paragraph number as the
hint for a text found twice.

MAXQDA ("Retrieved Segments" / "Coded segments" → Export, English or German interface):
``Color, Document group, Document name, Code, Begin, End, Weight score, Segment, Comment,
Modified by, Modified, Created by, Created, Area, Coverage %`` (MAXQDA 2020–24; earlier versions
and the hand-made case write ``Beginning``; German: ``Dokumentgruppe, Dokumentname, Anfang,
Ende, Kommentar, Erstellt von, Bearbeitet von``). ``Code`` is the code's path in the code
system, parent and child separated by ``\\`` (MAXQDA's own separator) or ``>`` (its code
import's); ``Begin``/``End`` are paragraph numbers for text documents.

ATLAS.ti (Quotation Manager → Export → Excel): ``ID, Quotation Name, Document, Document Groups,
Quotation Content, Codes, Reference, Density, Start, End, Extent, Comment, Created by,
Modified by, Created, Modified``. ``Codes`` holds every code of the quotation, one per line;
ATLAS.ti has no code tree, so its documented convention of a category prefix ("category: code")
gives the hierarchy. ``Start``/``End`` are paragraph numbers for text documents.

Rules (said in the import report's notes):
- one record per (row, code): a quotation with three codes is three codings;
- coder = ``Created by`` (else ``Modified by``, else the study.yml entry's coder);
- a code path gives one codebook row per node with its parent; the record's code is the leaf.
  A leaf name used under two parents is qualified with its parent path (``Trust/other``);
- memo = ``Comment``;
- the document is the ``Document name`` (MAXQDA) / ``Document`` (ATLAS.ti) without a file
  extension; ATLAS.ti's ``D3: `` number prefix is dropped.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import InputError
from . import (
    CODEBOOK_COLUMNS,
    RECORD_COLUMNS,
    document_id,
    external_codings,
    source_name_of,
)

TABLE_SUFFIXES = {".csv", ".xlsx", ".xlsm"}

# Header names as the programs write them (compared lower-cased, spaces collapsed).
MAXQDA = {
    "doc": {"document name", "dokumentname", "document"},
    "group": {"document group", "dokumentgruppe"},
    "code": {"code"},
    "begin": {"begin", "beginning", "anfang", "start"},
    "end": {"end", "ende"},
    "text": {"segment"},
    "memo": {"comment", "kommentar"},
    "coder": {"created by", "erstellt von", "author", "autor"},
    "modifier": {"modified by", "bearbeitet von", "geändert von"},
}
ATLASTI = {
    "doc": {"document", "dokument"},
    "group": {"document groups", "dokumentgruppen"},
    "code": {"codes"},
    "begin": {"start", "anfang"},
    "end": {"end", "ende"},
    "text": {"quotation content", "content", "zitatinhalt", "inhalt"},
    "memo": {"comment", "kommentar"},
    "coder": {"created by", "erstellt von"},
    "modifier": {"modified by", "geändert von"},
    "id": {"id"},
}
_MAXQDA_PATH_RE = re.compile(r"\s*(?:\\|>)\s*")
_ATLAS_CATEGORY_RE = re.compile(r"\s*::?\s+|\s*::\s*")
_ATLAS_DOC_PREFIX_RE = re.compile(r"^D?\d+\s*:\s*")
_ATLAS_BULLET_RE = re.compile(r"^[●○◇◆•\s]+")


def _key(header) -> str:
    return " ".join(str(header).strip().lower().split())


def _columns(headers, names: dict[str, set[str]]) -> dict[str, str]:
    """Field -> the header that holds it (the first that matches)."""
    out: dict[str, str] = {}
    for header in headers:
        for field, options in names.items():
            if field not in out and _key(header) in options:
                out[field] = header
                break
    return out


def program_of(headers) -> str | None:
    """'maxqda', 'atlasti' or None, from a table's header row."""
    keys = {_key(h) for h in headers}
    atlas = _columns(headers, ATLASTI)
    if {"doc", "code", "text"} <= set(atlas) and keys & {"quotation content", "zitatinhalt"}:
        return "atlasti"
    maxqda = _columns(headers, MAXQDA)
    if {"doc", "code", "text"} <= set(maxqda) and ("begin" in maxqda or "end" in maxqda) and "segment" in keys:
        return "maxqda"
    return None


def is_qda_export(path: Path | str) -> bool:
    """True for a MAXQDA coded-segments or ATLAS.ti quotation export (.csv/.xlsx); never raises."""
    from .taguette import _header_cells

    path = Path(path)
    try:
        if not path.is_file() or path.suffix.lower() not in TABLE_SUFFIXES:
            return False
        return any(program_of(cells) for cells in _header_cells(path))
    except Exception:  # noqa: BLE001 -- a file we cannot read is not one of these exports: the sheet reader says why
        return False


def read_table_export(path: Path | str, labels=None, redact=None, *, config=None, root: Path | None = None):
    """A .csv/.xlsx coding export of another program -> ExternalCodings: MAXQDA or ATLAS.ti here,
    anything else (Taguette's highlights) by ``taguette.read_taguette``."""
    from .taguette import read_taguette

    if is_qda_export(path):
        return read_qda_export(path, redact=redact, config=config, root=root)
    return read_taguette(path, labels, redact, config=config, root=root)


def read_qda_export(path: Path | str, redact=None, *, config=None, root: Path | None = None):
    """A MAXQDA coded-segments or ATLAS.ti quotation export -> ExternalCodings.

    Parameters
    ----------
    path : Path
        The .xlsx (every sheet whose header row is such an export is read) or .csv.
    redact : callable, optional
        Applied to document ids (as transcript ids are); quotes, codes, coders and memos are
        redacted by the coding importer.
    config, root
        ``records.source`` is the file relative to the study folder.

    Returns
    -------
    ExternalCodings
        ``records``: doc_id, quote, hint_offset (None), code (the leaf), level (''), coder, memo,
        source, source_row ("<sheet> row N", N the spreadsheet row), and ``paragraph``
        (the row's first paragraph, Int64, a hint). ``codebook``: one row per code path node.
        No documents: the quotes are found in the study's transcripts.

    Raises
    ------
    InputError
        A row without a document or a code is named with its spreadsheet row.
    """
    from helpers.ingest.sheets import read_table

    path = Path(path)
    redact = redact or (lambda s: s)
    source = source_name_of(path, root or getattr(config, "root", None))
    records, paths, notes = [], [], []
    problems = []
    for sheet, frame in read_table(path).items():
        program = program_of(frame.columns)
        if program is None:
            continue
        names = MAXQDA if program == "maxqda" else ATLASTI
        cols = _columns(frame.columns, names)
        where_sheet = f"{sheet} " if sheet else ""
        for index, row in frame.iterrows():
            number = int(index) + 2   # the header is row 1
            cell = {f: _cell(row.get(h)) for f, h in cols.items()}
            doc = cell.get("doc", "")
            if program == "atlasti":
                doc = _ATLAS_DOC_PREFIX_RE.sub("", doc)
            codes = ([cell.get("code", "")] if program == "maxqda"
                     else [c for c in (_ATLAS_BULLET_RE.sub("", x).strip() for x in re.split(r"[\r\n;]+", cell.get("code", ""))) if c])
            if not doc or not [c for c in codes if c]:
                if not doc and not any(codes) and not cell.get("text"):
                    continue   # an empty row
                problems.append((number, "no document" if not doc else "no code"))
                continue
            for code in codes:
                parts = [p for p in (_MAXQDA_PATH_RE.split(code) if program == "maxqda"
                                     else _ATLAS_CATEGORY_RE.split(code, maxsplit=1)) if p]
                paths.append(tuple(parts))
                records.append({"doc_id": redact(document_id(doc)), "quote": cell.get("text", ""),
                                "hint_offset": None, "path": tuple(parts), "level": "",
                                "coder": cell.get("coder") or cell.get("modifier") or "",
                                "memo": cell.get("memo", ""), "source": source,
                                "source_row": f"{where_sheet}row {number}".strip(),
                                "paragraph": _paragraph(cell.get("begin"))})
        label = "MAXQDA coded segments" if program == "maxqda" else "ATLAS.ti quotations"
        split = "'\\' or '>'" if program == "maxqda" else "a category prefix 'category: code'"
        notes.append(f"{label} export{f' (sheet {sheet})' if sheet else ''}: code paths split at {split} into "
                     "parent and child; coder = 'Created by'; each text found in the transcript, its paragraph "
                     "number the hint")
    if problems:
        from ..errors import ProblemList

        found = ProblemList()
        for number, what in problems:
            found.add(path, f"a coded segment with {what}", "fill it in or delete the row in the export",
                      f"row {number}")
        found.raise_if_any()
    if not records:
        raise InputError.one(path, "no MAXQDA coded-segments or ATLAS.ti quotation sheet in this file",
                             "export the coded segments again from MAXQDA or ATLAS.ti (Excel)")
    names = _code_names(paths)
    frame = pd.DataFrame(records)
    frame["code"] = frame.pop("path").map(names)
    frame = frame[RECORD_COLUMNS + ["paragraph"]]
    frame = frame.astype({c: "string" for c in RECORD_COLUMNS if c != "hint_offset"})
    frame = frame.astype({"hint_offset": "Int64", "paragraph": "Int64"})
    return external_codings(documents=[], records=frame.reset_index(drop=True), codebook=_codebook(paths, names),
                            participants=None, notes=notes)


def _cell(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def _paragraph(value: str | None) -> int | None:
    match = re.match(r"^\s*(\d+)", value or "")
    return int(match.group(1)) if match else None


def _code_names(paths: list[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """Every node of every path -> its code name: the last part, qualified with the parent path
    when one name stands for two nodes."""
    nodes = {p[:i] for p in paths for i in range(1, len(p) + 1)}
    by_leaf: dict[str, set[tuple[str, ...]]] = {}
    for node in nodes:
        by_leaf.setdefault(node[-1], set()).add(node)
    return {node: node[-1] if len(by_leaf[node[-1]]) == 1 else "/".join(node) for node in nodes}


def _codebook(paths: list[tuple[str, ...]], names: dict[tuple[str, ...], str]) -> pd.DataFrame:
    nodes = sorted({p[:i] for p in paths for i in range(1, len(p) + 1)}, key=lambda n: (len(n), n))
    frame = pd.DataFrame({"code": [names[n] for n in nodes],
                          "parent": [names[n[:-1]] if len(n) > 1 else "" for n in nodes],
                          "level": "", "description": "", "colour": ""}, columns=CODEBOOK_COLUMNS)
    return frame.astype({c: "string" for c in CODEBOOK_COLUMNS}).reset_index(drop=True)
