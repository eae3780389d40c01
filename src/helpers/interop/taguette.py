"""Taguette exports in: the project database (.sqlite3) and highlight tables (.csv/.xlsx).

Counting rule: one record per (highlight, tag) — a highlight with two tags is
two codings, as in Taguette's own highlight exports.

- ``.sqlite3`` (``/export/project.sqlite3``): documents with Taguette's stored
  HTML, tags with descriptions, highlights with offsets. The offsets are UTF-8
  *bytes* into the concatenated text nodes of the stored HTML; they are turned
  into code points of that text, and the quote is the highlighted text with
  its whitespace runs made single spaces (Taguette puts a "\\n\\u00a0\\n"
  between paragraphs of an uploaded .txt). The coder is the user who added the
  highlight (Taguette's ``commands`` log), else ''. Each document also comes
  back as a stand-in (one turn per paragraph), to be used only when the study
  has no transcript of that name (``stand_ins_for``).
- ``.csv``/``.xlsx`` highlight exports (columns ``id, document, tag,
  content``): no offsets and no document text; ``hint_offset`` is missing
  (<NA>) and no stand-ins can be made.

``doc_id`` is the Taguette document *name* without a file extension;
``records.doc_file`` (sqlite only) is the uploaded file's name without its
extension, tried when the name matches no transcript.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from helpers.ingest.transcripts import RawDocument, SpeakerLabels
from helpers.safezip import DEFAULT_LIMITS, MiB
from helpers.textutil import plural

from ..errors import InputError, ProblemList
from . import (
    CODEBOOK_COLUMNS,
    RECORD_COLUMNS,
    document_id,
    external_codings,
    paragraph_turns,
    participant_note,
    source_name_of,
    study_labels,
    study_participant,
)
from . import positions as pos

SQLITE_SUFFIXES = {".sqlite3", ".sqlite", ".db"}
TABLE_SUFFIXES = {".csv", ".xlsx"}
HIGHLIGHT_COLUMNS = ["id", "document", "tag", "content"]
REQUIRED_TABLES = {"documents": {"id", "name", "filename", "contents"},
                   "tags": {"id", "path", "description"},
                   "highlights": {"id", "document_id", "start_offset", "end_offset", "snippet"},
                   "highlight_tags": {"highlight_id", "tag_id"}}
BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "th", "tr",
              "section", "article", "br", "hr"}
_TAG_LIKE = re.compile(r"<[A-Za-z/!]")


class _HtmlText(HTMLParser):
    """All text nodes of an HTML fragment in order (what Taguette's offsets
    count), and the paragraphs with their offsets into that text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0
        self.paragraphs: list[tuple[int, str]] = []
        self._open: tuple[int, list[str]] | None = None

    def _close(self) -> None:
        if self._open is not None:
            start, pieces = self._open
            self.paragraphs.append((start, "".join(pieces)))
            self._open = None

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self._close()

    def handle_endtag(self, tag):
        if tag in BLOCK_TAGS:
            self._close()

    def handle_data(self, data):
        if self._open is None:
            self._open = (self.length, [])
        self._open[1].append(data)
        self.parts.append(data)
        self.length += len(data)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def html_text(html: str) -> tuple[str, list[tuple[int, str]]]:
    """(text of all text nodes, [(offset, paragraph text)])."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    parser._close()
    return parser.text, parser.paragraphs


def _squash(text: str) -> tuple[str, int]:
    """Whitespace runs (incl. no-break spaces) -> one space, ends stripped; and
    how many characters were stripped at the start."""
    return " ".join(text.split()), len(text) - len(text.lstrip())


def _plain(content: str) -> str:
    return _squash(html_text(content)[0] if _TAG_LIKE.search(content) else content)[0]


# -- recognising -----------------------------------------------------------------------

def _header_cells(path: Path) -> list[list[str]]:
    """First row of a CSV, or of every sheet of a workbook (lower-cased)."""
    if path.suffix.lower() == ".csv":
        # decoded and split as the sheet reader does (helpers.ingest.sheets): UTF-16, code pages,
        # ';' or tab separators -- else a MAXQDA export saved by a German Excel is not recognised
        from helpers.ingest.sheets import sniff_delimiter
        from helpers.ingest.transcripts import decode_text

        text = decode_text(path, path.read_bytes()).text
        first = next(csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text)), [])
        return [[c.strip().lower() for c in first]]
    from openpyxl import load_workbook

    from helpers.safezip import office_zip_problem

    if office_zip_problem(path):   # not opened here: the sheet reader refuses it with the reason
        return []
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = []
        for sheet in book.worksheets:
            first = next(sheet.iter_rows(max_row=1, values_only=True), ())
            rows.append([str(c).strip().lower() for c in first if c is not None])
        return rows
    finally:
        book.close()


def _is_highlight_header(cells: list[str]) -> bool:
    return {"document", "tag", "content"} <= set(cells) <= set(HIGHLIGHT_COLUMNS)


CODEBOOK_TABLE_COLUMNS = {"tag", "description", "number of highlights", "number of documents"}


def is_taguette_codebook(path: Path | str) -> bool:
    """True for Taguette's codebook export (.csv/.xlsx: tag, description, number of highlights,
    number of documents); never raises."""
    path = Path(path)
    try:
        if not path.is_file() or path.suffix.lower() not in TABLE_SUFFIXES:
            return False
        return any({"tag", "description"} <= set(cells) <= CODEBOOK_TABLE_COLUMNS for cells in _header_cells(path))
    except Exception:   # unreadable: the sheet reader says why
        return False


def read_taguette_codebook(path: Path | str) -> pd.DataFrame:
    """Taguette's codebook export (.csv/.xlsx) -> codebook table (code, parent, level, description,
    colour): one flat code per tag, its description kept; the counts columns are Taguette's own
    tallies and are not read (the study counts its codings itself).

    Raises
    ------
    InputError
        When no sheet has the tag and description columns, or a row has no tag.
    """
    from helpers.ingest.sheets import read_table

    path = Path(path)
    rows = []
    for frame in read_table(path).values():
        cols = {str(c).strip().lower(): c for c in frame.columns}
        if not {"tag", "description"} <= set(cols):
            continue
        for index, row in frame.iterrows():
            tag = str(row[cols["tag"]] or "").strip()
            if not tag:
                raise InputError.one(path, "a codebook row without a tag", "fill in the tag or delete the row",
                                     f"row {int(index) + 2}")
            rows.append({"code": tag, "parent": "", "level": "", "description": str(row[cols["description"]] or "").strip(),
                         "colour": ""})
    if not rows:
        raise InputError.one(path, "not a Taguette codebook export (no tag and description columns)",
                             "export the codebook again from Taguette (Export codebook → .csv or .xlsx)")
    return _typed_codebook(pd.DataFrame(rows, columns=CODEBOOK_COLUMNS).drop_duplicates("code"))


def _is_sqlite(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


def is_taguette_export(path: Path | str) -> bool:
    """True for a Taguette highlights export (.csv/.xlsx with columns id,
    document, tag, content) or a Taguette project database; never raises."""
    path = Path(path)
    try:
        if not path.is_file():
            return False
        if path.suffix.lower() in TABLE_SUFFIXES:
            return any(_is_highlight_header(cells) for cells in _header_cells(path))
        if path.suffix.lower() in SQLITE_SUFFIXES and _is_sqlite(path):
            with _connect(path) as connection:
                return not _missing_tables(connection)
    except Exception:   # a file we cannot read is simply not a Taguette export
        return False
    return False


# -- the project database ------------------------------------------------------------

class _connect:
    """Read-only, immutable connection: nothing is ever written beside the file
    (no journal), and the schema's own SQL is not trusted."""

    def __init__(self, path: Path):
        uri = Path(path).resolve().as_uri() + "?mode=ro&immutable=1"
        self.connection = sqlite3.connect(uri, uri=True)
        try:
            self.connection.execute("PRAGMA trusted_schema = OFF")
        except sqlite3.DatabaseError:
            pass

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *exc) -> None:
        self.connection.close()


def _missing_tables(connection: sqlite3.Connection) -> list[str]:
    missing = []
    for table, columns in REQUIRED_TABLES.items():
        have = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if not columns <= have:
            missing.append(f"{table}({', '.join(sorted(columns - have))})" if have else table)
    return missing


def _frame(connection: sqlite3.Connection, sql: str) -> pd.DataFrame:
    cursor = connection.execute(sql)
    return pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])


def _coders(connection: sqlite3.Connection) -> dict[int, str]:
    """highlight id -> user who added it, from Taguette's command log."""
    have = {row[1] for row in connection.execute("PRAGMA table_info(commands)")}
    if not {"user_login", "payload"} <= have:
        return {}
    out = {}
    for login, payload in connection.execute("SELECT user_login, payload FROM commands ORDER BY id"):
        try:
            event = json.loads(payload) if payload and len(payload) < 1_000_000 else {}
        except (json.JSONDecodeError, TypeError):
            continue
        if isinstance(event, dict) and event.get("type") == "highlight_add" and "highlight_id" in event:
            out.setdefault(int(event["highlight_id"]), str(login or ""))
    return out


def _read_sqlite(path: Path, labels: SpeakerLabels, redact, source_name: str):
    size = path.stat().st_size
    if size > DEFAULT_LIMITS.max_total_bytes:
        raise InputError.one(path, f"the file is {size / MiB:.0f} MB, more than the limit of "
                             f"{DEFAULT_LIMITS.max_total_bytes / MiB:.0f} MB", "check this is the right file")
    if not _is_sqlite(path):
        raise InputError.one(path, "not an SQLite database", "export the project from Taguette again "
                             "(Project → Export project → .sqlite3)")
    try:
        with _connect(path) as connection:
            missing = _missing_tables(connection)
            if missing:
                raise InputError.one(path, f"not a Taguette project export (missing {', '.join(missing)})",
                                     "export the project from Taguette again (Export project → .sqlite3)")
            documents = _frame(connection, "SELECT id, name, filename, contents FROM documents ORDER BY id")
            tags = _frame(connection, "SELECT id, path, description FROM tags ORDER BY id")
            highlights = _frame(connection, "SELECT id, document_id, start_offset, end_offset, snippet "
                                            "FROM highlights ORDER BY id")
            links = _frame(connection, "SELECT highlight_id, tag_id FROM highlight_tags")
            coders = _coders(connection)
    except sqlite3.DatabaseError as exc:
        raise InputError.one(path, f"the database cannot be read ({exc})",
                             "export the project from Taguette again") from None

    problems = ProblemList()
    notes: list[str] = []
    texts, stand_ins, doc_ids = {}, [], {}
    for row in documents.itertuples(index=False):
        doc_id = redact(document_id(str(row.name)))
        if doc_id in doc_ids.values():
            problems.add(path, f"two Taguette documents are named '{row.name}'",
                         "rename one of them in Taguette and export again")
            continue
        doc_ids[row.id] = doc_id
        text, paragraphs = html_text(str(row.contents or ""))
        texts[row.id] = text
        # the document's participant: the study's participant its name matches (helpers.ids), else itself
        pid, how = study_participant(doc_id, labels)
        note = participant_note("document", doc_id, pid, how, path.name)
        turns = paragraph_turns(paragraphs, labels, pid or doc_id)
        if turns:
            if note:
                notes.append(note)
            stand_ins.append(RawDocument(
                doc_id=doc_id, source_file=path, format="taguette", kind="interview", turns=turns,
                encoding="utf-8", sha256=hashlib.sha256(str(row.contents).encode("utf-8")).hexdigest(),
                source_text=text, participant_id=pid))
    problems.raise_if_any()
    doc_file = {row.id: redact(document_id(str(row.filename or ""))) for row in documents.itertuples(index=False)}

    # Byte offsets -> code points of each document's text, one document at a time.
    highlights = highlights.loc[highlights["document_id"].isin(list(texts))].copy()
    highlights["start"], highlights["end"] = -1, -1
    for doc, index in highlights.groupby("document_id", sort=True).indices.items():
        part = highlights.iloc[index]
        highlights.iloc[index, highlights.columns.get_loc("start")] = pos.to_code_points(
            texts[doc], part["start_offset"].to_numpy(), pos.UTF8)
        highlights.iloc[index, highlights.columns.get_loc("end")] = pos.to_code_points(
            texts[doc], part["end_offset"].to_numpy(), pos.UTF8)
    rows = []
    unplaced = 0
    for h in highlights.itertuples(index=False):
        if h.start >= 0 and h.end > h.start:
            quote, lead = _squash(texts[h.document_id][h.start:h.end])
            hint, start, end = int(h.start) + lead, int(h.start), int(h.end)
        else:   # offsets that do not fit the text: fall back on the stored snippet
            quote, hint, start, end = _plain(str(h.snippet or "")), pd.NA, pd.NA, pd.NA
            unplaced += 1
        # start/end: code points of the stored text, carried through cleaning exactly (spanmap)
        rows.append({"highlight": int(h.id), "doc_id": doc_ids[h.document_id], "doc_file": doc_file[h.document_id],
                     "quote": quote, "hint_offset": hint, "coder": coders.get(int(h.id), ""),
                     "start": start, "end": end})
    if unplaced:
        notes.append(f"{plural(unplaced, 'highlight')} in {path.name} have offsets that do not fit their document: "
                     "their quote is Taguette's snippet")
    per_highlight = pd.DataFrame(rows, columns=["highlight", "doc_id", "doc_file", "quote", "hint_offset", "coder",
                                                "start", "end"])
    tag_path = dict(zip(tags["id"], tags["path"].astype(str)))
    joined = links.assign(code=links["tag_id"].map(tag_path)).dropna(subset=["code"])
    records = per_highlight.merge(joined.rename(columns={"highlight_id": "highlight"})[["highlight", "code"]],
                                  on="highlight", how="inner")
    untagged = len(set(per_highlight["highlight"]) - set(records["highlight"]))
    if untagged:
        notes.append(f"{plural(untagged, 'highlight')} in {path.name} carry no tag and were left out")
    records = records.sort_values(["doc_id", "highlight", "code"], kind="stable")
    records = records.assign(level="", memo="", source=source_name,
                             source_row="highlight " + records["highlight"].astype(str))
    records = _typed_records(records[RECORD_COLUMNS + ["doc_file", "start", "end"]])
    codebook = pd.DataFrame({"code": tags["path"].astype(str), "parent": "", "level": "",
                             "description": tags["description"].fillna("").astype(str), "colour": ""},
                            columns=CODEBOOK_COLUMNS).drop_duplicates("code")
    notes.append("positions: utf-8 bytes of Taguette's stored HTML text (Taguette)")
    notes.append("documents: stand-ins from Taguette's stored text; use one only when the study has no "
                 "transcript of that name (taguette.stand_ins_for)")
    return external_codings(documents=stand_ins, records=records, codebook=_typed_codebook(codebook),
                            participants=None, notes=notes)


# -- highlight tables ------------------------------------------------------------------

def _read_highlight_table(path: Path, redact, source_name: str):
    from helpers.ingest.sheets import read_table

    sheets = read_table(path)
    chosen = None
    for name, frame in sorted(sheets.items(), key=lambda kv: (kv[0] != "highlights", kv[0])):
        if _is_highlight_header([str(c).strip().lower() for c in frame.columns]):
            chosen = (name, frame)
            break
    if chosen is None:
        raise InputError.one(path, "no Taguette highlight columns (document, tag, content)",
                             "export highlights from Taguette (Highlights → Export → .csv or .xlsx) without "
                             "renaming the columns")
    sheet, frame = chosen
    frame = frame.rename(columns={c: str(c).strip().lower() for c in frame.columns})
    problems = ProblemList()
    rows = []
    for i, row in enumerate(frame.to_dict("records"), start=2):
        where = f"{sheet} row {i}" if sheet else f"row {i}"
        values = {c: ("" if row.get(c) is None or pd.isna(row.get(c)) else str(row.get(c)).strip())
                  for c in HIGHLIGHT_COLUMNS}
        if not any(values.values()):
            continue
        for column in ("document", "tag", "content"):
            if not values[column]:
                problems.add(path, f"empty '{column}'", "export the highlights from Taguette again", where)
        ident = values["id"]
        rows.append({"doc_id": redact(document_id(values["document"])), "quote": _plain(values["content"]),
                     "hint_offset": pd.NA, "code": values["tag"], "level": "", "coder": "", "memo": "",
                     "source": source_name,
                     "source_row": f"highlight {ident}" if ident else where, "doc_file": ""})
    problems.raise_if_any()
    records = pd.DataFrame(rows, columns=RECORD_COLUMNS + ["doc_file"])
    codes = list(dict.fromkeys(records["code"]))
    codebook = pd.DataFrame({"code": codes, "parent": "", "level": "", "description": "", "colour": ""},
                            columns=CODEBOOK_COLUMNS)
    notes = [f"positions: none in {path.name} (Taguette highlight table): quotes only"]
    return external_codings(documents=[], records=_typed_records(records), codebook=_typed_codebook(codebook),
                            participants=None, notes=notes)


def _typed_records(records: pd.DataFrame) -> pd.DataFrame:
    numeric = [c for c in ("hint_offset", "start", "end") if c in records.columns]
    records = records.astype({c: "string" for c in records.columns if c not in numeric})
    return records.astype({c: "Int64" for c in numeric}).reset_index(drop=True)


def _typed_codebook(codebook: pd.DataFrame) -> pd.DataFrame:
    return codebook.astype({c: "string" for c in CODEBOOK_COLUMNS}).reset_index(drop=True)


# -- entry points ------------------------------------------------------------------------

def read_taguette(path: Path | str, labels: SpeakerLabels | None = None, redact=None, *, config=None,
                  root: Path | None = None):
    """A Taguette export -> ExternalCodings.

    ``.sqlite3``/``.sqlite``/``.db``: the project database (offsets, tags with
    descriptions, stand-in documents); ``.csv``/``.xlsx``: a highlights export
    (quotes only). ``redact`` is applied to document ids (as transcript ids
    are); quotes, codes and coders are left for the coding importer to redact.
    ``root`` (the study folder, or ``config.root``) makes ``records.source``
    relative to it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError.one(path, "file not found", "check the path in study.yml 'codings:'")
    source_name = source_name_of(path, root or getattr(config, "root", None))
    redact = redact or (lambda s: s)
    suffix = path.suffix.lower()
    if suffix in SQLITE_SUFFIXES or (suffix == ".taguette" and _is_sqlite(path)):
        return _read_sqlite(path, labels or study_labels(config), redact, source_name)
    if suffix in TABLE_SUFFIXES:
        return _read_highlight_table(path, redact, source_name)
    raise InputError.one(path, f"not a Taguette export ({suffix or 'no extension'})",
                         "use Taguette's project export (.sqlite3) or highlights export (.csv, .xlsx)")


def stand_ins_for(external, known_doc_ids: set[str], path: Path | str) -> list[RawDocument]:
    """The Taguette documents the study lacks, as stand-ins (DESIGN §2); the
    others map onto transcripts by quote alignment.

    A record whose document name is not a transcript but whose uploaded file
    name is (``doc_file``) is re-pointed at that transcript (this updates
    ``external.records.doc_id``). A document with neither a transcript nor
    Taguette's text (highlight tables carry none) is an error naming it.
    """
    records = external.records
    known = set(known_doc_ids)
    stand_in = {d.doc_id: d for d in external.documents}
    aliased: set[str] = set()
    if "doc_file" in records.columns and len(records):
        alias = ~records["doc_id"].isin(list(known)) & records["doc_file"].isin(list(known))
        aliased = set(records.loc[alias, "doc_id"])
        records.loc[alias, "doc_id"] = records.loc[alias, "doc_file"]
    problems = ProblemList()
    for doc_id in sorted(set(records["doc_id"]) - known - set(stand_in)):
        problems.add(path, f"the Taguette export names document '{doc_id}', which is not in the study",
                     f"add its transcript as transcripts/{doc_id}.txt (or rename the document in Taguette to "
                     "match a transcript), or import Taguette's project export (.sqlite3), which carries the text")
    problems.raise_if_any()
    return [stand_in[d] for d in sorted(set(stand_in) - known - aliased)]
