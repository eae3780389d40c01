"""Word coding tables (.docx): a speaker column, an utterance column and code columns. A table
whose document has no transcript *is* the document (``coding_table_document``); otherwise each
coded row's utterance is found in the transcript like a quote.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helpers.hierarchy import normalise_level
from helpers.ingest.cleaning import normalise
from helpers.ingest.coding.common import (
    CODER_HEADERS,
    MEMO_HEADERS,
    SPEAKER_HEADERS,
    UTTERANCE_HEADERS,
    _aligned_span,
    _cached,
    _Context,
    _header_key,
    _turn_span,
    docx_doc_id,
    source_name,
    split_codes,
)
from helpers.ingest.coding.sheet import code_column_level
from helpers.ingest.config import CodingSource
from helpers.ingest.transcripts import RawDocument, SpeakerLabels, Turn, sha256_file
from helpers.textutil import plural

# -- Word coding tables -------------------------------------------------------------------

@dataclass
class TableTurn:
    """One turn of a Word coding table (a row plus its continuation rows)."""
    source: str
    table: int
    row: int
    speaker: str
    text: str
    codes: list[tuple[str, str, int]] = field(default_factory=list)  # (code, level, row)
    coder: str = ""
    memo: str = ""
    n_rows: int = 1

    @property
    def where(self) -> str:
        return f"table{self.table} row {self.row}"


def _docx_tables(path: Path) -> list[tuple[list[list[str]], list[tuple[int, str]]]]:
    """Each table of a Word coding table: its rows (one text per grid column;
    a cell merged across columns repeats, as python-docx gives it, so columns
    stay aligned) without its section-heading rows, and those heading rows
    as (row number, text). A heading row is one cell merged across the whole
    width ("Part 1: Getting referred"): it is neither a speaker nor a code.
    Cell text is read as Word shows it (content controls, fields, tracked
    insertions; see ``transcripts.docx_paragraph_text``)."""
    from helpers.ingest.transcripts import W, docx_paragraph_text, open_docx

    document = open_docx(path)
    out = []
    for table in document.tables:
        rows, headings = [], []
        for number, row in enumerate(table.rows, start=1):
            cells = row.cells
            texts = ["\n".join(docx_paragraph_text(p) for p in cell._tc.iter(W + "p")) for cell in cells]
            if len(cells) > 1 and len({id(c._tc) for c in cells}) == 1 and number > 1:
                headings.append((number, normalise(texts[0])))
                rows.append([""] * len(cells))  # keeps row numbers; an empty row is skipped
                continue
            rows.append(texts)
        out.append((rows, headings))
    return out


def _is_label(value: str, labels: SpeakerLabels) -> bool:
    value = value.strip().rstrip(":").strip()
    return bool(value) and len(value) <= 25 and (
        labels.role_of(value) != "other" or labels.canonical_participant(value) is not None)


def _speaker_header(header: str, labels: SpeakerLabels) -> bool:
    key = _header_key(header)
    if key in SPEAKER_HEADERS or "speaker" in key:
        return True
    # 'I / P' or 'I(nterviewer) / P(articipant)': the header lists speaker labels.
    parts = [p.strip() for p in re.sub(r"\([^)]*\)", "", header).split("/")]
    return len(parts) >= 2 and all(_is_label(p, labels) for p in parts)


@dataclass
class TableColumns:
    speaker: int | None = None
    utterance: int | None = None
    codes: list[tuple[int, str]] = field(default_factory=list)  # (column, level)
    coder: int | None = None
    memo: int | None = None
    header: list[str] | None = None


def table_columns(rows: list[list[str]], labels: SpeakerLabels, entry_level: str) -> TableColumns:
    """Columns by header; failing a header, inferred from the cells."""
    cols = TableColumns()
    if not rows:
        return cols
    first = [normalise(c) for c in rows[0]]
    width = max(len(r) for r in rows)
    for i, header in enumerate(first):
        key = _header_key(header)
        if not header:
            continue
        if cols.speaker is None and _speaker_header(header, labels):
            cols.speaker = i
        elif cols.utterance is None and key in UTTERANCE_HEADERS:
            cols.utterance = i
        elif key in CODER_HEADERS:
            cols.coder = i
        elif key in MEMO_HEADERS:
            cols.memo = i
        else:
            level = code_column_level(header)
            if level is not None:
                cols.codes.append((i, level or entry_level))
    has_header = cols.speaker is not None or cols.utterance is not None or bool(cols.codes)
    if has_header:
        cols.header = first
    body = rows[1:] if has_header else rows
    cells = [[normalise(r[i]) if i < len(r) else "" for r in body] for i in range(width)]
    taken = {cols.speaker, cols.utterance, cols.coder, cols.memo} | {c for c, _ in cols.codes}
    if cols.speaker is None:
        for i in range(width):
            filled = [c for c in cells[i] if c]
            if i not in taken and filled and sum(_is_label(c, labels) for c in filled) >= 0.8 * len(filled):
                cols.speaker = i
                taken.add(i)
                break
    if cols.utterance is None:
        lengths = [(sum(len(c) for c in cells[i]), -i) for i in range(width) if i not in taken]
        if lengths:
            cols.utterance = -max(lengths)[1]
            taken.add(cols.utterance)
    if not has_header:
        cols.codes = [(i, entry_level) for i in range(width) if i not in taken and any(cells[i])]
    return cols


def read_word_table_turns(entry: CodingSource, path: Path, config, labels: SpeakerLabels, redact
                          ) -> tuple[list[TableTurn], list[str], int]:
    """Turns of every usable table in a .docx, notes about skipped tables, rows read."""
    turns: list[TableTurn] = []
    notes: list[str] = []
    rows_read = 0
    entry_level = normalise_level(entry.level) if entry.level else ""
    default_coder = entry.coder or Path(path).stem
    for number, (rows, headings) in enumerate(_cached(path, "docx", _docx_tables), start=1):
        name = source_name(path, config.root, f"table{number}")
        if headings:
            shown = ", ".join(f"row {r}" for r, _ in headings)
            notes.append(f"{name}: {plural(len(headings), 'section-heading row')} merged across the table skipped "
                         f"({shown}): not turns, speakers or codes")
        cols = table_columns(rows, labels, entry_level)
        if cols.speaker is None or cols.utterance is None or not cols.codes:
            notes.append(f"{name}: skipped: no speaker, utterance and code columns")
            continue
        header_key = [normalise(c).lower() for c in cols.header] if cols.header else None
        current: TableTurn | None = None
        for row_no, cells in enumerate(rows, start=1):
            if cols.header is not None and row_no == 1:
                continue
            cells = [normalise(c) for c in cells] + [""] * 8
            if header_key is not None and [c.lower() for c in cells[:len(header_key)]] == header_key:
                continue  # header repeated on a later page
            if not any(cells):
                continue
            rows_read += 1
            speaker = redact(cells[cols.speaker].rstrip(":").strip())
            text = cells[cols.utterance]
            if speaker or current is None:
                current = TableTurn(name, number, row_no, speaker, text,
                                    coder=redact(cells[cols.coder]) if cols.coder is not None else "",
                                    memo=redact(cells[cols.memo]) if cols.memo is not None else "")
                current.coder = current.coder or default_coder
                turns.append(current)
            else:
                current.n_rows += 1
                current.text = f"{current.text} {text}".strip()
            for col, level in cols.codes:
                raw = rows[row_no - 1][col] if col < len(rows[row_no - 1]) else ""
                current.codes += [(redact(code), level, row_no) for code in split_codes(raw)]
    return turns, notes, rows_read


def coding_table_document(doc_id: str, path: Path, turns: list[TableTurn], labels: SpeakerLabels) -> RawDocument:
    raw_turns = [Turn(speaker=t.speaker, text=t.text, line=t.row,
                      role=labels.role_of(t.speaker) if t.speaker else "other",
                      participant_id=labels.canonical_participant(t.speaker) if t.speaker else None)
                 for t in turns]
    return RawDocument(doc_id=doc_id, source_file=Path(path), format="docx", kind="coding_table",
                       turns=raw_turns, sha256=sha256_file(path))


# -- Word tables -------------------------------------------------------------------------

def _import_word(ctx: _Context, entry: CodingSource, path: Path) -> None:
    config = ctx.config
    turns, notes, rows_read = read_word_table_turns(entry, path, config, ctx.labels, ctx.redact)
    name = source_name(path, config.root)
    doc_id = ctx.doc_by_lower.get(ctx.redact(docx_doc_id(path)).lower())
    stats_by_table: dict[str, dict] = {}
    for note in notes:
        stats = ctx.stats(note.split(":")[0], path, note.split(": ", 1)[1])
        if "section-heading" in note:
            ctx.warn(stats, note)
    if not turns:
        if not notes:
            stats = ctx.stats(name, path, "skipped: no tables")
        else:
            stats = ctx.sources[-1]
        ctx.warn(stats, f"{name}: no table with speaker, utterance and code columns — nothing imported")
        return
    if doc_id is None:
        ctx.problems.add(path, f"no document '{ctx.redact(docx_doc_id(path))}' for this coding table",
                         "name the file after its transcript, e.g. P09_coding_table.docx")
        return
    doc = ctx.docs[doc_id]
    stand_in = doc.raw.kind == "coding_table" and Path(doc.raw.source_file).resolve() == Path(path).resolve()
    hint_offset = None
    for seg_no, turn in enumerate(turns, start=1):
        stats = stats_by_table.get(turn.source) or stats_by_table.setdefault(turn.source, ctx.stats(turn.source, path))
        stats["rows_read"] += turn.n_rows
        if not turn.codes:
            continue
        if stand_in:
            start, end = _turn_span(doc, seg_no, seg_no)
            match, score = "table", np.nan
        else:
            found = _aligned_span(ctx, turn.text, [doc_id], entry, stats, turn.source, turn.row, path, turn.where,
                                  hint_offset=hint_offset)
            if found is None:
                continue
            _, start, end, match, score = found
            hint_offset = end
        for code, level, row in turn.codes:
            ctx.applications.append({"doc_id": doc_id, "code": code, "level": level, "coder": turn.coder,
                                     "start": start, "end": end, "source": turn.source, "memo": turn.memo,
                                     "match": match, "score": score, "source_row": row,
                                     "_group": f"{turn.source}\x00{turn.row}"})
            stats["codings"] += 1
