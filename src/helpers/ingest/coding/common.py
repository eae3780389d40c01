"""What every coding source shares: the header synonyms, the file kinds (``source_kind``),
cell parsing (codes, turn ranges, dates Excel made of them), the import context (``_Context``)
and placing a quote in a document (``_aligned_span``).
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.errors import ProblemList
from helpers.ingest.cleaning import normalise
from helpers.ingest.config import CodingSource
from helpers.ingest.quotes import closest_passage, find_quote, index_document, miss_note
from helpers.ingest.transcripts import SpeakerLabels
from helpers.textutil import plural

SHEET_SUFFIXES = {".csv", ".xlsx", ".xlsm"}
EXTERNAL_READERS = {  # suffix -> (module, function) returning ExternalCodings
    ".qdpx": ("helpers.interop.refi", "read_qdpx"),
    ".qde": ("helpers.interop.refi", "read_qdpx"),
    ".db": ("helpers.interop.taguette", "read_taguette"),
    ".sqlite3": ("helpers.interop.taguette", "read_taguette"),
    ".sqlite": ("helpers.interop.taguette", "read_taguette"),
    ".taguette": ("helpers.interop.taguette", "read_taguette"),
    # Taguette highlight, MAXQDA coded-segment and ATLAS.ti quotation exports; source_kind
    # sends only those here, other .csv/.xlsx files are coding sheets
    ".csv": ("helpers.interop.qdasheets", "read_table_export"),
    ".xlsx": ("helpers.interop.qdasheets", "read_table_export"),
    ".xlsm": ("helpers.interop.qdasheets", "read_table_export"),
}

# Header synonyms, compared lower-cased with spaces, '-' and '_' as '_'.
CASE_HEADERS = {"participant", "participant_id", "participants", "pseudonym", "case", "group", "respondent",
                "interviewee", "name", "pid"}
DOC_HEADERS = {"document", "doc", "doc_id", "document_id", "document_name", "transcript", "file", "filename", "file_name",
               "interview"}
TURN_HEADERS = {"seg_no", "turn", "turns", "turn_no", "line", "lines", "line_no", "paragraph", "para"}
TEXT_HEADERS = {"quote", "quotes", "quotation", "extract", "excerpt", "text", "segment", "content", "utterance"}
CODER_HEADERS = {"coder", "coded_by", "rater", "analyst"}
MEMO_HEADERS = {"memo", "memos", "note", "notes", "comment", "comments"}
PLAIN_CODE_HEADERS = {"code", "codes", "tag", "tags", "node", "nodes", "coding", "codings"}
SPEAKER_HEADERS = {"speaker", "speakers", "who", "speaker_role", "role"}
UTTERANCE_HEADERS = {"transcript", "text", "utterance", "data", "speech", "quote", "extract"}
_DOCX_SUFFIX_RE = re.compile(r"[ _-]*coding(?:[ _-]*table)?$", re.IGNORECASE)
_TURN_RE = re.compile(r"^\s*(\d+)(?:\.0+)?\s*(?:(?:-|–|—|to)\s*(\d+)(?:\.0+)?)?\s*$", re.IGNORECASE)
_CODE_SPLIT_RE = re.compile(r"[;|\n\r]+")


@dataclass
class CodingImport:
    codings: pd.DataFrame
    codebook: pd.DataFrame
    participants: pd.DataFrame | None = None
    report_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    recorded_use: list[str | None] | None = None   # per coding: the use its source records, or None


# -- small helpers --------------------------------------------------------------------

def _text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return normalise(str(value))


def _header_key(header) -> str:
    return re.sub(r"[\s_\-]+", "_", str(header).strip().lower()).strip("_")


def split_codes(cell, separator: str | None = None) -> list[str]:
    """Codes in one cell: separated by ';', '|' or line breaks, and by
    ``separator`` too when the codings entry gives one (``code_separator: ","``:
    a comma may belong to a code's name, so it splits only when asked); blanks dropped."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return []
    parts = _CODE_SPLIT_RE.split(str(cell))
    if separator:
        parts = [piece for part in parts for piece in str(part).split(separator)]
    return [c for c in (normalise(part) for part in parts) if c]


def parse_turns(value: str) -> tuple[int, int] | None:
    """'12' -> (12, 12); '12-14' -> (12, 14); anything else None."""
    m = _TURN_RE.match(value)
    if not m:
        return None
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) else first
    return (first, last) if last >= first else None


_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                        "nov", "dec"], start=1)}
_DATE_FORMS = [
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T]00:00(?::00)?)?$"),       # 2026-12-14 (xlsx cell)
    re.compile(r"^(?P<d>\d{1,2})[-/ .](?P<mon>[a-z]{3})[a-z]*(?:[-/ .]\d{2,4})?$", re.IGNORECASE),  # 14-Dec
    re.compile(r"^(?P<mon>[a-z]{3})[a-z]*[-/ .](?P<d>\d{1,2})(?:[-/ .]\d{2,4})?$", re.IGNORECASE),  # Dec-14
    re.compile(r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/\d{2,4}$"),                                    # 12/14/2026
]


def excel_date_range(value: str) -> str | None:
    """"12-14" as Excel may have turned it into a date ('14-Dec', '2026-12-14',
    '12/14/2026'): the range it probably was, smaller number first; None
    when ``value`` is not such a date."""
    value = value.strip()
    for form in _DATE_FORMS:
        m = form.match(value)
        if not m:
            continue
        groups = m.groupdict()
        if "a" in groups:
            first, second = int(groups["a"]), int(groups["b"])
        else:
            month = _MONTHS.get(groups["mon"][:3].lower()) if groups.get("mon") else int(groups["m"])
            if month is None:
                continue
            first, second = month, int(groups["d"])
        low, high = sorted((first, second))
        return f"{low}-{high}"
    return None


def docx_doc_id(path: Path) -> str:
    """'P09_coding_table.docx' -> 'P09' (see the module docstring)."""
    stem = _DOCX_SUFFIX_RE.sub("", Path(path).stem)
    return stem or Path(path).stem


def source_name(path: Path, root: Path, part: str = "") -> str:
    try:
        name = Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        name = Path(path).name
    return f"{name}#{part}" if part else name


def _where(sheet: str, row: int) -> str:
    return f"{sheet} row {row}" if sheet else f"row {row}"


def source_files(config) -> list[tuple[CodingSource, Path]]:
    """(entry, file) for every coding file, in config order; a folder's files sorted."""
    out = []
    for entry in config.codings:
        if entry.path.is_dir():
            files = sorted(p for p in entry.path.iterdir()
                           if p.is_file() and not p.name.startswith((".", "~$")))
        else:
            files = [entry.path]
        out += [(entry, f) for f in files]
    return out


def source_kind(path: Path) -> str:
    """'sheet', 'word', 'qdc', 'external' (REFI-QDA, Taguette) or 'other'."""
    suffix = Path(path).suffix.lower()
    if suffix in SHEET_SUFFIXES:
        if _interop_check("taguette", "is_taguette_codebook", path):
            return "qdc"   # a codebook export of Taguette, read like a REFI-QDA codebook
        return "external" if _is_taguette_sheet(path) or _is_qda_sheet(path) else "sheet"
    if suffix == ".docx":
        return "word"
    if suffix == ".qdc":
        return "qdc"
    return "external" if suffix in EXTERNAL_READERS else "other"


def _is_taguette_sheet(path: Path) -> bool:
    """A Taguette highlights export (.csv/.xlsx), when the Taguette reader is installed."""
    try:
        taguette = importlib.import_module("helpers.interop.taguette")
    except ImportError:
        return False
    check = getattr(taguette, "is_taguette_export", None)
    return bool(check and check(path))


def _interop_check(module: str, function: str, path: Path) -> bool:
    try:
        check = getattr(importlib.import_module(f"helpers.interop.{module}"), function, None)
    except ImportError:
        return False
    return bool(check and check(path))


def _is_qda_sheet(path: Path) -> bool:
    """A MAXQDA coded-segments or ATLAS.ti quotation export (helpers.interop.qdasheets)."""
    try:
        qdasheets = importlib.import_module("helpers.interop.qdasheets")
    except ImportError:
        return False
    return bool(qdasheets.is_qda_export(path))


_READ_CACHE: dict[tuple, object] = {}


def _cached(path: Path, kind: str, reader):
    stat = Path(path).stat()
    key = (str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size, kind)
    if key not in _READ_CACHE:
        if len(_READ_CACHE) > 128:
            _READ_CACHE.clear()
        _READ_CACHE[key] = reader(path)
    return _READ_CACHE[key]


# -- stand-in documents -------------------------------------------------------------------

def _participant_lookup(participants: pd.DataFrame | None) -> dict[str, str]:
    """Lower-cased participant id or pseudonym -> participant_id."""
    out: dict[str, str] = {}
    if participants is None or not len(participants):
        return out
    pseudo = [c for c in participants.columns if str(c).strip().lower() == "pseudonym"]
    if pseudo:
        for pid, name in zip(participants["participant_id"], participants[pseudo[0]]):
            if _text(name):
                out.setdefault(_text(name).lower(), str(pid))
    for pid in participants["participant_id"]:
        out[str(pid).lower()] = str(pid)
    return out


def quote_bank_key(quote: str) -> str:
    return " ".join(quote.split())


# -- import ----------------------------------------------------------------------------------

@dataclass
class _Context:
    config: object
    docs: dict
    redact: object
    labels: SpeakerLabels
    lookup: dict[str, str]
    doc_by_lower: dict[str, str]
    own_docs: dict[str, list[str]]
    spoken_docs: dict[str, list[str]]
    problems: ProblemList = field(default_factory=ProblemList)
    warnings: list[str] = field(default_factory=list)
    applications: list[dict] = field(default_factory=list)
    fuzzy: list[dict] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    matched_ids: dict = field(default_factory=dict)   # (file, written, id) -> rows matched by normalising

    def stats(self, source: str, path: Path, note: str = "") -> dict:
        row = {"source": source, "file": source.split("#")[0], "rows_read": 0, "codings": 0, "quotes_exact": 0,
               "quotes_elided": 0, "quotes_fuzzy": 0, "quotes_unmatched": 0, "warnings": 0, "note": note}
        self.sources.append(row)
        return row

    def warn(self, stats: dict, text: str) -> None:
        stats["warnings"] += 1
        self.warnings.append(text)

    def quietly(self, work):
        """Run ``work()`` without adding to the redaction counts (a second cleaning of a text
        that is already counted, or a look-up): redactions_summary counts each replacement once."""
        counts = getattr(self.redact, "counts", None)
        saved = dict(counts) if counts is not None else None
        try:
            return work()
        finally:
            if saved is not None:
                counts.clear()
                counts.update(saved)

    def quiet(self, text) -> str:
        """``text`` redacted, not counted."""
        return self.quietly(lambda: self.redact(_text(text)))


def _turn_span(doc, first: int, last: int) -> tuple[int, int]:
    seg = doc.segments
    return int(seg["start"].iloc[first - 1]), int(seg["end"].iloc[last - 1])


def _aligned_span(ctx: _Context, quote: str, doc_ids: list[str], entry: CodingSource, stats: dict,
                  source: str, row: int, path: Path, where: str, hint_seg=None, hint_offset=None):
    """Find ``quote`` in the candidate documents; the best match wins (exact, then
    elided, then the highest fuzzy score; ties: the first document)."""
    config = ctx.config
    best, best_doc, best_score = None, None, 0.0
    rank = {"exact": 3, "elided": 2, "fuzzy": 1}
    for doc_id in doc_ids:
        index = index_document(ctx.docs[doc_id], config.fillers)
        match, near = find_quote(quote, index, ctx.redact, config.fillers, config.quote_match_threshold,
                                 hint_seg, hint_offset)
        best_score = max(best_score, near)
        if match is not None and (best is None or (rank[match.method], match.score) > (rank[best.method], best.score)):
            best, best_doc = match, doc_id
    shown = ctx.redact(quote)
    if best is None:
        docs = ", ".join(doc_ids)
        closest = None
        for doc_id in doc_ids:  # where the quote nearly is, so the researcher can fix it
            near = closest_passage(quote, index_document(ctx.docs[doc_id], config.fillers), ctx.redact,
                                   config.fillers, hint_seg, hint_offset)
            if near is not None and (closest is None or near.score > closest[1].score):
                closest = (doc_id, near)
        note = miss_note(closest, config.quote_match_threshold)
        if entry.strict:
            ctx.problems.add(path, f"quote not found in {docs}: \"{_short(shown)}\"; {note}",
                             "correct the quote to match the transcript, or set "
                             "'strict: false' on this codings entry in study.yml to list it instead", where)
        else:
            stats["quotes_unmatched"] += 1
            ctx.unmatched.append({"source": source, "row": row, "doc_id": docs, "quote": shown,
                                  "best_score": round(best_score, 3),
                                  "closest_doc": closest[0] if closest else None,
                                  "closest_turn": closest[1].seg_first if closest else None,
                                  "threshold": config.quote_match_threshold, "note": note})
        return None
    stats[f"quotes_{best.method}"] += 1
    text = ctx.docs[best_doc].text
    if best.method == "fuzzy":
        ctx.fuzzy.append({"source": source, "row": row, "doc_id": best_doc, "quote": shown,
                          "matched_text": text[best.start:best.end], "score": round(best.score, 3)})
    if best.n_occurrences > 1:
        if hint_seg is None and hint_offset is None:
            ctx.warn(stats, f"{source} {where}: quote found {best.n_occurrences} times in {best_doc}; "
                            f"took the first (turn {best.seg_first}) — add a turn number to choose")
        elif hint_seg is not None and not (best.seg_first <= hint_seg <= best.seg_last):
            ctx.warn(stats, f"{source} {where}: quote found {best.n_occurrences} times in {best_doc}, none in turn "
                            f"{hint_seg}; took the nearest (turn {best.seg_first})")
    return best_doc, best.start, best.end, best.method, float(best.score)


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def row_ranges(rows: list[str]) -> str:
    """Source rows named compactly: ['row 3', 'row 4', 'row 5', 'row 9'] -> 'rows 3–5, 9';
    a sheet's rows ('Sheet1 row 3') are grouped under the sheet's name."""
    groups: dict[str, list[int]] = {}
    other: list[str] = []
    for row in rows:
        match = re.fullmatch(r"(.*?)\s*(?:row\s+)?(\d+)", row)
        if match:
            groups.setdefault(match.group(1).removesuffix("row").strip(), []).append(int(match.group(2)))
        elif row:
            other.append(row)
    parts = []
    for sheet, numbers in groups.items():
        numbers = sorted(set(numbers))
        spans, start = [], numbers[0]
        for a, b in zip(numbers, numbers[1:] + [None]):
            if b != a + 1:
                spans.append(f"{start}" if start == a else f"{start}–{a}")
                start = b
        many = len(numbers) > 1
        parts.append(f"{sheet + ' ' if sheet else ''}row{'s' if many else ''} {', '.join(spans)}")
    parts += other
    return "; ".join(parts) or plural(len(rows), "row")
