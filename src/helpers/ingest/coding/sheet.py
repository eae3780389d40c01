"""Coding sheets (.csv, .xlsx): every sheet with a code column, a participant or document
column and a turn or quote column, read (``read_sheets``) and imported row by row
(``_import_sheet``): ids matched to documents, turns and quotes to spans.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.errors import ProblemList
from helpers.hierarchy import normalise_level
from helpers.ingest.coding.common import (
    CASE_HEADERS,
    CODER_HEADERS,
    DOC_HEADERS,
    MEMO_HEADERS,
    PLAIN_CODE_HEADERS,
    TEXT_HEADERS,
    TURN_HEADERS,
    _aligned_span,
    _cached,
    _Context,
    _header_key,
    _text,
    _turn_span,
    _where,
    excel_date_range,
    parse_turns,
    quote_bank_key,
    row_ranges,
    source_name,
    split_codes,
)
from helpers.ingest.config import CodingSource

# -- coding sheets ---------------------------------------------------------------------

@dataclass
class SheetColumns:
    case: str | None = None
    case_is_group: bool = False
    doc: str | None = None
    turn: str | None = None
    text: str | None = None
    coder: str | None = None
    memo: str | None = None
    codes: list[tuple[str, str]] = field(default_factory=list)   # (header, level)

    def missing(self) -> list[str]:
        out = []
        if not self.codes:
            out.append("code column")
        if not (self.case or self.doc):
            out.append("participant or document column")
        if not (self.turn or self.text):
            out.append("turn or quote column")
        return out


_NUMBERED_RE = re.compile(r"[\s_\-]*(?:#|no\.?|nr\.?)?\s*\(?\d+\)?$", re.IGNORECASE)


def code_column_level(header: str) -> str | None:
    """The level a code column names, '' when unnamed; None when not a code
    column. Numbered columns ("Code 1", "Code 2", "Theme #2") are several codes
    at one level: the number is not part of the level."""
    header = _NUMBERED_RE.sub("", str(header)) or str(header)
    key = _header_key(header)
    if key in PLAIN_CODE_HEADERS:
        return ""
    low = str(header).lower()
    # Only short headers: a long cell mentioning "theme" is text, not a header.
    if len(low.split()) <= 4 and ("code" in low or "coding" in low or "theme" in low):
        return normalise_level(header)
    return None


def sheet_columns(headers) -> SheetColumns:
    cols = SheetColumns()
    for header in headers:
        key = _header_key(header)
        for name, names in [("coder", CODER_HEADERS), ("memo", MEMO_HEADERS), ("case", CASE_HEADERS),
                            ("doc", DOC_HEADERS), ("turn", TURN_HEADERS), ("text", TEXT_HEADERS)]:
            if key in names:
                if getattr(cols, name) is None:
                    setattr(cols, name, header)
                    if name == "case":
                        cols.case_is_group = key == "group"
                break
        else:
            level = code_column_level(header)
            if level is not None:
                cols.codes.append((header, level))
    return cols


@dataclass
class SheetRow:
    """One data row of a coding sheet, redacted."""
    source: str
    path: Path
    sheet: str
    row: int
    case: str
    doc: str
    turn: str
    quote: str
    codes: list[tuple[str, str]]   # (code, level)
    coder: str
    memo: str
    has_turn_column: bool
    case_is_group: bool
    quote_bank: bool = False   # its codings entry says kind: quote_bank
    coder_defaulted: bool = False   # its coder cell is empty: the file name stands in (said)

    @property
    def where(self) -> str:
        return _where(self.sheet, self.row)


@dataclass
class SheetInfo:
    source: str
    path: Path
    rows: list[SheetRow]
    note: str = ""
    read_as: str = ""   # encoding, separator, merged cells filled
    columns: list[str] = field(default_factory=list)   # the header row as read
    data_rows: int = 0   # rows with any cell filled


HIDDEN_NOTE = "skipped: {state} sheet"
_STATE_WORDS = {"veryHidden": "very hidden"}


def read_sheets(entry: CodingSource, path: Path, config, redact) -> list[SheetInfo]:
    """Every sheet of a coding-sheet file: its usable rows, or a note why it was skipped."""
    from helpers.ingest.sheets import read_table

    out = []
    encoding = getattr(entry, "encoding", None)
    separator = getattr(entry, "code_separator", None)
    sheets = _cached(path, f"table-{encoding}", lambda p: read_table(p, encoding))
    for sheet, state in sheets.hidden:  # an old draft hidden in Excel is not a coding source
        out.append(SheetInfo(source_name(path, config.root, sheet), path, [], HIDDEN_NOTE.format(state=_STATE_WORDS.get(state, state))))
    for sheet, frame in sheets.items():
        name = source_name(path, config.root, sheet)
        read_as = _read_as(frame)
        cols = sheet_columns(frame.columns)
        missing = cols.missing()
        if missing:
            out.append(SheetInfo(name, path, [], f"skipped: no {', no '.join(missing)}", read_as,
                                 columns=[str(c) for c in frame.columns], data_rows=int(len(frame))))
            continue
        default_coder = entry.coder or Path(path).stem
        entry_level = normalise_level(entry.level) if entry.level else ""
        rows = []
        empty = ProblemList()
        for index, record in zip(frame.index, frame.to_dict("records")):
            if all(_text(v) == "" for v in record.values()):
                continue
            if _empty_id(record, cols, path, _where(sheet, int(index) + 2), empty):
                continue
            codes = []
            for header, level in cols.codes:
                for code in split_codes(record.get(header), separator):
                    codes.append((redact(code), level or entry_level))
            rows.append(SheetRow(
                source=name, path=path, sheet=sheet, row=int(index) + 2,
                case=redact(_text(record.get(cols.case))) if cols.case else "",
                doc=redact(_text(record.get(cols.doc))) if cols.doc else "",
                turn=_text(record.get(cols.turn)) if cols.turn else "",
                quote=_text(record.get(cols.text)) if cols.text else "",
                codes=codes,
                coder=redact(_text(record.get(cols.coder))) if cols.coder else "",
                memo=redact(_text(record.get(cols.memo))) if cols.memo else "",
                has_turn_column=cols.turn is not None, case_is_group=cols.case_is_group,
                quote_bank=getattr(entry, "kind", None) == "quote_bank"))
            if not rows[-1].coder:
                rows[-1].coder = default_coder
                rows[-1].coder_defaulted = cols.coder is not None and not entry.coder
        empty.raise_if_any()
        out.append(SheetInfo(name, path, rows, read_as=read_as))
    return out


def _empty_id(record: dict, cols: SheetColumns, path: Path, where: str, problems: ProblemList) -> bool:
    """A data row whose participant (or document, or group) cell is empty: one problem naming the row.

    Merged cells in Excel keep their value only in the first row, and "same as above" habits
    leave the cell blank; guessing the row above would be a silent re-interpretation.
    """
    if (cols.doc and _text(record.get(cols.doc))) or (cols.case and _text(record.get(cols.case))):
        return False
    kind = "document" if not cols.case else ("group" if cols.case_is_group else "participant")
    problems.add(path, f"empty {kind}", f"fill in the {kind} (cells merged in Excel keep the value only in "
                 "their first row)", where)
    return True


def _read_as(frame: pd.DataFrame) -> str:
    """How a sheet was read, for the import report: "cp1252, semicolon-separated"."""
    attrs = getattr(frame, "attrs", {}) or {}
    parts = []
    if attrs.get("encoding"):
        parts.append(str(attrs["encoding"]))
    if attrs.get("delimiter"):
        parts.append(f"{attrs['delimiter']}-separated")
    parts += list(attrs.get("notes") or [])
    return ", ".join(parts)


# -- one sheet ----------------------------------------------------------------------

def _resolve_participant(ctx: _Context, row: SheetRow) -> str | None:
    return ctx.lookup.get(row.case.lower()) if row.case else None


def _id_candidates(ctx: _Context, documents_only: bool = False) -> dict[str, tuple[str, str]]:
    """Every id a sheet may name: participant ids, pseudonyms, document ids
    -> ("participant", pid) or ("document", doc_id)."""
    out: dict[str, tuple[str, str]] = {}
    for doc_id in ctx.docs:
        out[doc_id] = ("document", doc_id)
    if documents_only:
        return out
    pids = sorted(set(ctx.lookup.values()))
    for pid in pids:
        out[pid] = ("participant", pid)
    for name, pid in ctx.lookup.items():  # pseudonyms (keys are lower-cased ids and names)
        if name != pid.lower() and not any(name == other.lower() for other in out):
            out[name] = ("participant", pid)
    return out


def _normalised_id(ctx: _Context, row: SheetRow, written: str, documents_only: bool = False) -> tuple[str, str] | None:
    """The participant or document ``written`` names once ids are compared
    normalised (helpers.ids), recorded for the warning; None when none or several."""
    from helpers.ids import IdMatcher

    candidates = _id_candidates(ctx, documents_only)
    hit, how = IdMatcher(candidates).match(written)
    if hit is None:
        return None
    kind, value = candidates[hit]
    key = (source_name(row.path, ctx.config.root), written, value)
    ctx.matched_ids.setdefault(key, []).append(row.where)
    return kind, value


def _unknown_id(ctx: _Context, row: SheetRow, what: str, written: str) -> None:
    from helpers.ids import IdMatcher

    closest = IdMatcher(_id_candidates(ctx, what == "document")).closest(written)
    near = f"closest: {', '.join(closest)}" if closest else "no id is close"
    ctx.problems.add(row.path, f"unknown {what} '{written}': no transcript or participant matches it ({near})",
                     "correct the id to one of the study's documents or participants, or mark this codings entry "
                     "'kind: quote_bank' in study.yml if its quotes have no transcript", row.where)


def _row_documents(ctx: _Context, row: SheetRow, stats: dict, by_turn: bool) -> list[str] | None:
    """Documents a row may refer to; None after adding a problem."""
    file = row.path
    if row.doc:
        doc_id = ctx.doc_by_lower.get(row.doc.lower())
        if doc_id is None:
            found = _normalised_id(ctx, row, row.doc, documents_only=True)
            doc_id = found[1] if found is not None else None
        if doc_id is None:
            _unknown_id(ctx, row, "document", row.doc)
            return None
        if row.case and not row.case_is_group and _resolve_participant(ctx, row) is None:
            found = _normalised_id(ctx, row, row.case)
            if found is None or found[0] != "participant":
                ctx.problems.add(file, f"unknown participant '{row.case}'",
                                 "use an id from participants.csv (or a pseudonym listed there)", row.where)
                return None
        return [doc_id]
    pid = _resolve_participant(ctx, row)
    if pid is None:
        doc_id = ctx.doc_by_lower.get(row.case.lower())
        if doc_id is not None:
            return [doc_id]
        found = _normalised_id(ctx, row, row.case)
        if found is None:
            _unknown_id(ctx, row, "participant", row.case)
            return None
        kind, value = found
        if kind == "document":
            return [value]
        pid = value
    own = ctx.own_docs.get(pid, [])
    every = list(dict.fromkeys(own + ctx.spoken_docs.get(pid, [])))
    if not every:
        ctx.problems.add(file, f"participant '{pid}' has no transcript", "add the transcript, or a document column", row.where)
        return None
    if by_turn:
        options = own if len(own) == 1 else every
        if len(options) != 1:
            ctx.problems.add(file, f"participant '{pid}' has {len(options)} documents ({', '.join(options)}), so a turn "
                             "number is ambiguous", "add a document column naming the transcript", row.where)
            return None
        return options
    return every


def _import_sheet(ctx: _Context, entry: CodingSource, info: SheetInfo) -> None:
    stats = ctx.stats(info.source, info.path, "; ".join(x for x in (info.note, f"read as {info.read_as}" if info.read_as else "") if x))
    stats["rows_read"] = len(info.rows)
    no_coder: list[SheetRow] = []   # rows whose empty coder cell the file name stands in for
    if info.note.startswith("skipped: ") and info.note.endswith("hidden sheet"):
        ctx.warn(stats, f"{info.source}: skipped: a hidden sheet is not read (an old draft?) — unhide it in Excel "
                 "if it holds codings to count")
    for row in info.rows:
        if not row.codes:
            ctx.problems.add(row.path, "no code in any code column", "fill in its codes or delete the row", row.where)
            continue
        turns = None
        if row.turn:
            turns = parse_turns(row.turn)
            if turns is None:
                was = excel_date_range(row.turn)
                if was is not None:
                    ctx.problems.add(row.path, f"turn '{row.turn}' is a date: Excel turned the turn range "
                                     f"(probably {was}) into a date",
                                     "format the turn column as Text in Excel and type the range again "
                                     f"(e.g. {was})", row.where)
                    continue
                ctx.problems.add(row.path, f"turn '{row.turn}' is not a turn number or range",
                                 "write a number such as 12 or a range such as 12-14", row.where)
                continue
        elif not row.quote:
            ctx.problems.add(row.path, "neither a turn number nor a quote", "give the turn number or the quoted text", row.where)
            continue
        doc_ids = _row_documents(ctx, row, stats, by_turn=turns is not None and not row.quote)
        if doc_ids is None:
            continue
        if turns is not None and len(doc_ids) == 1:
            n = len(ctx.docs[doc_ids[0]].segments)
            if turns[1] > n:
                ctx.problems.add(row.path, f"turn {row.turn} is beyond the last turn ({n}) of document '{doc_ids[0]}'",
                                 "check the turn number against the transcript", row.where)
                continue
        span = _row_span(ctx, row, doc_ids, turns, entry, stats)
        if span is None:
            continue
        doc_id, start, end, match, score = span
        if row.coder_defaulted:
            no_coder.append(row)
        named = None if row.case_is_group else _resolve_participant(ctx, row)   # whom the row says spoke
        for code, level in row.codes:
            ctx.applications.append({"doc_id": doc_id, "code": code, "level": level, "coder": row.coder,
                                     "start": start, "end": end, "source": row.source, "memo": row.memo,
                                     "match": match, "score": score, "source_row": row.row,
                                     "_group": f"{row.source}\x00{row.row}", "_named": named})
            stats["codings"] += 1
    if no_coder:
        ctx.warn(stats, f"{row_ranges([f'row {r.row}' for r in no_coder])} of {info.source}: no coder given; counted "
                        f"as coder '{no_coder[0].coder}' (the file name) — set 'coder:' for this source in study.yml")


def _row_span(ctx: _Context, row: SheetRow, doc_ids: list[str], turns, entry: CodingSource, stats: dict):
    """(doc_id, start, end, match, score) for a sheet row, or None after a problem."""
    first_doc = ctx.docs[doc_ids[0]]
    if first_doc.raw.kind == "quote_bank" and row.quote:
        seg_no = _bank_turn(first_doc, row.quote)
        if seg_no is not None:
            return (doc_ids[0], *_turn_span(first_doc, seg_no, seg_no), "turn", np.nan)
    if not row.quote:
        return (doc_ids[0], *_turn_span(first_doc, *turns), "turn", np.nan)
    hint = turns[0] if turns else None
    return _aligned_span(ctx, row.quote, doc_ids, entry, stats, row.source, row.row, row.path, row.where,
                         hint_seg=hint)


def _bank_turn(doc, quote: str) -> int | None:
    key = quote_bank_key(quote)
    for seg_no, turn in enumerate(doc.raw.turns, start=1):
        if quote_bank_key(turn.text) == key:
            return seg_no
    return None
