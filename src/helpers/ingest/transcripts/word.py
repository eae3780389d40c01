"""Word (.docx) transcripts, read as Word shows them: content controls, fields, hyperlinks
and tracked insertions included, deletions left out (said); tables of speaker / text
(/ time) columns; comments, footnotes and text boxes reported as side text.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from helpers.errors import InputError, display_path
from helpers.ingest.transcripts.model import TIMESTAMP, Reading, Turn, seconds
from helpers.ingest.transcripts.speakers import SpeakerLabels, read_lines, unknown_labels
from helpers.textutil import plural


def open_docx(path: Path, data: bytes | None = None):
    """A python-docx Document, or a one-line InputError for a file that is not
    a readable .docx: not a zip, a broken zip, or a zip without Word's parts.

    python-docx reports a damaged package with whatever its zip and XML layers
    raise (KeyError for a missing part, AttributeError or lxml's XMLSyntaxError
    for a malformed [Content_Types].xml, PackageNotFoundError for a path that
    is not a zip): all of them mean the file cannot be read as Word."""
    import zlib

    import docx
    from docx.opc.exceptions import OpcError
    from lxml.etree import LxmlError

    from helpers.safezip import office_zip_problem

    data = Path(path).read_bytes() if data is None else data
    bomb = office_zip_problem(data)
    if bomb:
        raise InputError.one(path, f"not a readable Word document: {bomb}",
                             "refused for safety: open it in Word and save it again, or ask whoever sent it for a clean copy")
    try:
        return docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, AttributeError, TypeError, SyntaxError, EOFError,
            NotImplementedError, zlib.error, OpcError, LxmlError) as exc:
        raise InputError.one(path, f"not a readable Word document ({type(exc).__name__})",
                             "open it in Word and save it again as .docx") from None


# -- Word: the body XML, in document order ------------------------------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Elements whose content is the document's text as Word shows it (changes
# accepted): content controls, custom XML, smart tags, hyperlinks, simple
# fields, tracked insertions and moves-to. Deleted and moved-from text is not.
_DOCX_TRANSPARENT = {W + t for t in ("sdt", "sdtContent", "customXml", "smartTag", "hyperlink", "fldSimple",
                                     "ins", "moveTo", "r", "bdo", "dir")}
_DOCX_DROPPED = {W + t for t in ("del", "moveFrom", "sdtPr", "sdtEndPr", "rPr", "pPr", "instrText",
                                 "delText", "delInstrText", "footnoteReference", "endnoteReference")}


def docx_paragraph_text(p) -> str:
    """A paragraph's text as Word shows it, changes accepted: runs inside
    content controls, smart tags, hyperlinks, fields and tracked insertions
    included; deletions and field codes left out; soft line breaks and
    carriage returns as "\\n", tabs as "\\t"."""
    out: list[str] = []

    def walk(element) -> None:
        for child in element:
            tag = child.tag
            if tag in _DOCX_DROPPED:
                continue
            if tag == W + "t":
                out.append(child.text or "")
            elif tag in (W + "br", W + "cr"):
                out.append("\n")
            elif tag == W + "tab":
                out.append("\t")
            elif tag == W + "noBreakHyphen":
                out.append("-")
            elif isinstance(tag, str):
                walk(child)

    walk(p)
    return "".join(out)


def docx_blocks(body):
    """("p", text) and ("tbl", rows) in body order, looking inside block-level
    content controls, custom XML and tracked insertions; rows are lists of
    cells (each cell once, however many grid columns it spans), each cell's
    paragraphs joined by "\\n"."""
    for child in body:
        tag = child.tag
        if tag == W + "p":
            yield "p", docx_paragraph_text(child)
        elif tag == W + "tbl":
            yield "tbl", docx_table_rows(child)
        elif tag in _DOCX_TRANSPARENT:
            yield from docx_blocks(child)


def docx_table_rows(tbl) -> list[list[str]]:
    rows = []
    for tr in tbl.iter(W + "tr"):
        if tr.getparent() is not None and _owning_table(tr) is not tbl:
            continue  # a row of a nested table: its text is in its cell's paragraphs
        cells = []
        for tc in tr.iter(W + "tc"):
            if _owning_table(tc) is not tbl:
                continue
            paragraphs = [docx_paragraph_text(p) for p in tc.iter(W + "p")]
            cells.append("\n".join(paragraphs))
        rows.append(cells)
    return rows


def _owning_table(element):
    parent = element.getparent()
    while parent is not None and parent.tag != W + "tbl":
        parent = parent.getparent()
    return parent


def docx_body_text(body) -> list[str]:
    """Every text node of the body in document order (for the conservation
    check), deleted text excluded: independent of how turns are split."""
    out = []
    for node in body.iter(W + "t"):
        if not any(a.tag in (W + "del", W + "moveFrom") for a in node.iterancestors()):
            out.append(node.text or "")
    return out


# Transcript-table headers (any column order).
_TIME_HEADERS = {"time", "timestamp", "time_stamp", "start", "start_time", "timecode", "time_code", "tc", "in"}
_SPEAKER_HEADERS = {"speaker", "speakers", "name", "who", "person", "role"}
_TEXT_HEADERS = {"text", "transcript", "transcription", "utterance", "speech", "words", "content", "dialogue",
                 "what_was_said"}


def _header_key(cell: str) -> str:
    return re.sub(r"[\s_\-]+", "_", cell.strip().lower()).strip("_:")


def transcript_table_columns(rows: list[list[str]], labels: SpeakerLabels) -> tuple[dict, bool] | None:
    """{'speaker': i, 'text': j, 'time': k or None} and whether row 1 is a
    header, for a table laid out as a transcript; None when it is not one."""
    if not rows:
        return None
    head = [_header_key(c) for c in rows[0]]
    cols = {"speaker": None, "text": None, "time": None}
    for i, key in enumerate(head):
        for name, keys in (("time", _TIME_HEADERS), ("speaker", _SPEAKER_HEADERS), ("text", _TEXT_HEADERS)):
            if key in keys and cols[name] is None:
                cols[name] = i
                break
    if cols["speaker"] is not None and cols["text"] is not None:
        return cols, True
    # No header: the speaker column is the one whose cells are mostly labels.
    width = max(len(r) for r in rows)
    cells = [[r[i].strip() if i < len(r) else "" for r in rows] for i in range(width)]
    cols = {"speaker": None, "text": None, "time": None}
    for i in range(width):
        filled = [c for c in cells[i] if c]
        if not filled:
            continue
        if cols["speaker"] is None and sum(labels.is_label(c.rstrip(":")) for c in filled) >= 0.6 * len(filled):
            cols["speaker"] = i
        elif cols["time"] is None and sum(bool(re.fullmatch(TIMESTAMP, c)) for c in filled) >= 0.8 * len(filled):
            cols["time"] = i
    if cols["speaker"] is None:
        return None
    rest = [(sum(len(c) for c in cells[i]), -i) for i in range(width) if i not in (cols["speaker"], cols["time"])]
    if not rest:
        return None
    cols["text"] = -max(rest)[1]
    return cols, False


def _table_turns(rows: list[list[str]], cols: dict, has_header: bool, first_row: int = 1) -> list[Turn]:
    turns: list[Turn] = []
    for number, row in enumerate(rows, start=first_row):
        if has_header and number == first_row:
            continue
        cell = lambda key: row[cols[key]].strip() if cols[key] is not None and cols[key] < len(row) else ""
        speaker, text = cell("speaker").rstrip(":").strip(), " ".join(cell("text").split())
        stamp = re.fullmatch(rf"\s*{TIMESTAMP}\s*", cell("time")) if cols["time"] is not None else None
        if speaker:
            turns.append(Turn(speaker, text, seconds(stamp.group(1)) if stamp else None, number))
        elif turns and text:
            turns[-1].text = f"{turns[-1].text} {text}".strip()
    return turns


def read_docx(path: Path, data: bytes, labels: SpeakerLabels) -> Reading:
    """Paragraphs and tables in body order (see ``docx_blocks``). A table laid
    out as a transcript (speaker and text columns, a time column optional, in
    any order, headed or not) gives one turn per row; any other table's cells
    are read as lines. Headers, footers and comments are not transcript text
    (the identifier scan is the researcher's check on them)."""
    document = open_docx(path, data)
    body = document.element.body
    turns: list[Turn] = []
    lines: list[str] = []
    removed: list[tuple[str, str]] = []
    header_lines: list[int] = []
    notes: list[str] = []
    all_lines: list[str] = []

    def flush() -> None:
        if not lines:
            return
        read = read_lines(lines, labels)
        removed.extend(read.removed)
        if turns and read.header_lines:
            # text between a table and the next label continues the table's last turn
            first = read.turns[0].line if read.turns else None
            extra = [lines[i - 1] for i in read.header_lines if first is None or i < first]
            turns[-1].text = " ".join([turns[-1].text] + [" ".join(x.split()) for x in extra]).strip()
            removed[:] = [r for r in removed if r[0] != "header" or r[1] not in extra]
        else:
            header_lines.extend(read.header_lines)
        turns.extend(read.turns)
        lines.clear()

    for kind, content in docx_blocks(body):
        if kind == "p":
            # A paragraph may hold line breaks (Shift+Enter): each line may start a turn.
            lines.extend(content.splitlines() or [""])
            all_lines.extend(content.splitlines())
            continue
        found = transcript_table_columns(content, labels)
        if found is None:
            for row in content:
                for cell in row:
                    lines.extend(cell.splitlines())
                    all_lines.extend(cell.splitlines())
            continue
        flush()
        cols, has_header = found
        if has_header:
            removed.append(("table header", " ".join(content[0])))
        table_turns = _table_turns(content, cols, has_header)
        for row in content[1 if has_header else 0:]:
            if cols["time"] is not None and cols["time"] < len(row):
                removed += [("timestamp", d) for d in re.findall(r"\d+", row[cols["time"]])]
        turns.extend(table_turns)
    flush()
    n_ins = sum(1 for _ in body.iter(W + "ins")) + sum(1 for _ in body.iter(W + "moveTo"))
    n_del = sum(1 for _ in body.iter(W + "del")) + sum(1 for _ in body.iter(W + "moveFrom"))
    if n_ins or n_del:
        notes.append(f"{display_path(path)}: tracked changes accepted, as Word shows the final text: "
                     f"{plural(n_ins, 'insertion')} kept, {plural(n_del, 'deletion')} left out — accept or reject them in Word "
                     "if that is not what you want")
    side = docx_side_text(document)
    if side:
        n_words = sum(len(t.split()) for t in side)
        notes.append(f"{display_path(path)}: headers, footers, comments or notes hold {plural(n_words, 'word')}: not read as "
                     "transcript text, but scanned for identifiers (tables/identifier_review.csv, seg_no 0)")
    reading = Reading(turns, None, docx_body_text(body), removed, notes, header_lines,
                      unknown_labels(all_lines, labels))
    reading.side_text = side
    return reading


_SIDE_PARTS = re.compile(r"^/word/(?:header\d*|footer\d*|comments|commentsExtended|footnotes|endnotes)\.xml$")


def docx_side_text(document) -> list[str]:
    """Text of the parts that are not the body: headers, footers, comments,
    footnotes and endnotes (Word's separator notes are empty)."""
    from lxml import etree

    out = []
    for part in document.part.package.iter_parts():
        if not _SIDE_PARTS.match(str(part.partname)):
            continue
        try:
            root = etree.fromstring(part.blob, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            continue
        for paragraph in root.iter(W + "p"):
            text = docx_paragraph_text(paragraph).strip()
            if text:
                out.append(text)
    return out
