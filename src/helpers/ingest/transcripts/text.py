"""Plain-text readers: .txt and .md, .rtf (striprtf) and .odt (odfpy), all read as lines
and turned into turns by ``speakers.read_lines``.
"""
from __future__ import annotations

import io
from pathlib import Path

from helpers.errors import InputError
from helpers.ingest.transcripts.encoding import decode_text
from helpers.ingest.transcripts.model import Reading
from helpers.ingest.transcripts.speakers import SpeakerLabels, read_lines, unknown_labels


def read_text(path: Path, data: bytes, labels: SpeakerLabels, encoding: str | None = None) -> Reading:
    decoded = decode_text(path, data, encoding)
    return _reading_of_lines(decoded.text, labels, decoded.encoding, decoded.notes)


def _reading_of_lines(text: str, labels: SpeakerLabels, encoding: str | None, notes: list[str]) -> Reading:
    lines = text.splitlines()
    read = read_lines(lines, labels)
    return Reading(read.turns, encoding, [text], read.removed, list(notes), read.header_lines,
                   unknown_labels(lines, labels))


# -- other formats ----------------------------------------------------------------------

def read_rtf(path: Path, data: bytes, labels: SpeakerLabels) -> Reading:
    """Rich Text through striprtf (plain text, one paragraph a line)."""
    from striprtf.striprtf import rtf_to_text

    raw = data.decode("latin-1")  # RTF is 7-bit; \\'xx escapes carry the code page
    if not raw.lstrip().startswith("{\\rtf"):
        raise InputError.one(path, "not a Rich Text file (it does not start with '{\\rtf')",
                             "open it in Word and save it as .docx")
    try:
        text = rtf_to_text(raw, errors="replace")
    except Exception as exc:  # striprtf raises plain exceptions on broken files
        raise InputError.one(path, f"not a readable Rich Text file ({type(exc).__name__})",
                             "open it in Word and save it as .docx") from None
    reading = _reading_of_lines(text, labels, "rtf", [])
    return reading


def read_odt(path: Path, data: bytes, labels: SpeakerLabels) -> Reading:
    """OpenDocument text through odfpy: paragraphs and headings in order."""
    from odf import teletype
    from odf import text as odftext
    from odf.opendocument import load

    from helpers.safezip import office_zip_problem

    bomb = office_zip_problem(data)
    if bomb:
        raise InputError.one(path, f"not a readable OpenDocument file: {bomb}",
                             "open it in LibreOffice or Word and save it again as .docx")
    try:
        document = load(io.BytesIO(data))
    except Exception as exc:  # odfpy raises zip, XML and key errors alike
        raise InputError.one(path, f"not a readable OpenDocument file ({type(exc).__name__})",
                             "open it in LibreOffice or Word and save it again as .docx") from None
    paragraphs = [teletype.extractText(p) for p in document.getElementsByType(odftext.P)
                  + document.getElementsByType(odftext.H)]
    # document order: odfpy lists P before H, so sort by position in the tree
    order = {id(e): i for i, e in enumerate(_odf_walk(document.text))}
    nodes = sorted(document.getElementsByType(odftext.P) + document.getElementsByType(odftext.H),
                   key=lambda e: order.get(id(e), 0))
    paragraphs = [teletype.extractText(p) for p in nodes]
    return _reading_of_lines("\n".join(paragraphs), labels, None, [])


def _odf_walk(node):
    yield node
    for child in node.childNodes:
        yield from _odf_walk(child)
