"""Writes the bad-input cases that need binary content (run it, keep its outputs).

    .venv/bin/python tests/bad_inputs/make_cases.py

Plain-text cases are written by hand; this script makes the ones that are Word
documents, zips, workbooks, SQLite databases or bytes that are not text. Every
case is a small study folder: study.yml, two transcripts, participants.csv and
the one bad file. All text is invented. Each case's expected error lines are in
its expected.txt, written by hand (see README.md); this script never writes them.
"""
from __future__ import annotations

import io
import shutil
import sqlite3
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
YML = "title: Bad input case\n"
P01 = ("I: How did the peer support group start for you?\n"
       "P: A friend from the ward told me about it.\n"
       "I: What was the first meeting like?\n"
       "P: I was nervous, but people listened.\n")
P02 = ("I: What has changed since you joined?\n"
       "P: I sleep better and I go out more.\n")
PARTS = "participant_id,pseudonym\nP01,Robin\nP02,Sol\n"
BASE = {"study.yml": YML, "transcripts/P01.txt": P01, "transcripts/P02.txt": P02, "participants.csv": PARTS}

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<{root} name="&lol9;"/>
"""

# A REFI-QDA project with one text source (40 characters) and one code.
SOURCE_TEXT = "P: The group gave me a reason to get up."   # len 40
SOURCE = "C0000000-0000-4000-8000-000000000001"
CODE = "D0000000-0000-4000-8000-000000000001"


def project_qde(start: int, end: int, code_ref: str = CODE) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n'
            f'<Project xmlns="urn:QDA-XML:project:1.0" name="Peer support">'
            f'<CodeBook><Codes><Code guid="{CODE}" name="purpose" isCodable="true"/></Codes></CodeBook>'
            f'<Sources><TextSource guid="{SOURCE}" name="P05.txt" plainTextPath="internal://{SOURCE}.txt">'
            f'<PlainTextSelection guid="E0000000-0000-4000-8000-000000000001" startPosition="{start}" '
            f'endPosition="{end}"><Coding guid="F0000000-0000-4000-8000-000000000001">'
            f'<CodeRef targetGUID="{code_ref}"/></Coding></PlainTextSelection>'
            f'</TextSource></Sources></Project>\n')


def zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, data, compress_type=compression)
    return buffer.getvalue()


def qdpx(qde: str) -> bytes:
    return zip_bytes({"project.qde": qde.encode("utf-8"), f"Sources/{SOURCE}.txt": SOURCE_TEXT.encode("utf-8")})


def with_bomb(archive: bytes, member: str) -> bytes:
    """``archive`` plus a member of 20 MiB of zeros (about 20 KiB deflated:
    it expands some 1000 times, over the limit of 200)."""
    buffer = io.BytesIO(archive)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as out:
        out.writestr(zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)), b"\0" * (20 * 1024 * 1024),
                     compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def sqlite_bytes(tmp: Path) -> bytes:
    """An SQLite database that is not a Taguette export (one unrelated table)."""
    path = tmp / "tmp.sqlite3"
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        connection.execute("INSERT INTO notes (body) VALUES ('a note')")
    connection.close()
    data = path.read_bytes()
    path.unlink()
    return data


def cases() -> dict[str, dict[str, str | bytes]]:
    good_docx = docx_bytes(["I: Where did you hear about the group?", "P: From a poster at the clinic."])
    xlsx_like = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    return {
        # transcripts that are not text
        "transcript_binary": {**BASE, "transcripts/P03.txt": b"I: hello\x00\x01\x02\xff P: bye\n"},
        "transcript_pdf_renamed_txt": {**BASE, "transcripts/P03.txt": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"},
        "transcript_undecodable_bytes": {**BASE, "transcripts/P03.txt": b"I: How was it?\nP: caf\x81 and \x8d\n"},
        "transcript_utf16_truncated": {**BASE, "transcripts/P03.txt": b"\xff\xfeI\x00:\x00 \x00h\x00i\x00\n"},
        "transcript_bom_then_bad_utf8": {**BASE, "transcripts/P03.txt": b"\xef\xbb\xbfI: hello\n\xe9P: hi\n"},
        "transcript_zip_renamed_txt": {**BASE, "transcripts/P03.txt": good_docx},
        # Word transcripts that are not Word documents
        "docx_not_a_zip": {**BASE, "transcripts/P03.docx": b"I: this was saved as text, not Word\n"},
        "docx_broken_zip": {**BASE, "transcripts/P03.docx": good_docx[: len(good_docx) // 2]},
        "docx_zip_without_document": {**BASE, "transcripts/P03.docx": xlsx_like},
        "duplicate_doc_id_txt_docx": {**BASE, "transcripts/P01.docx": good_docx},
        "docx_zip_bomb": {**BASE, "transcripts/P03.docx": with_bomb(good_docx, "word/media/padding.bin")},
        "xlsx_zip_bomb": {**BASE, "codings/AK.xlsx": with_bomb(
            xlsx_bytes([["participant", "turn", "code"], ["P01", "2", "word of mouth"]]), "xl/media/padding.bin")},
        # coding files that are not what their extension says
        "coding_table_docx_not_a_zip": {**BASE, "codings/P01_coding_table.docx": b"Speaker\tUtterance\tCode\n"},
        "xlsx_not_a_zip": {**BASE, "codings/AK.xlsx": b"participant,turn,code\nP01,2,word of mouth\n"},
        "xlsx_broken_zip": {**BASE, "codings/AK.xlsx": xlsx_like[:40]},
        # REFI-QDA
        "refi_zip_slip": {**BASE, "codings/project.qdpx": zip_bytes({
            "project.qde": project_qde(3, 12).encode(), f"Sources/{SOURCE}.txt": SOURCE_TEXT.encode(),
            "../../evil.txt": b"written outside the folder"})},
        "refi_zip_bomb": {**BASE, "codings/project.qdpx": zip_bytes({
            "project.qde": project_qde(3, 12).encode(), f"Sources/{SOURCE}.txt": b"\0" * (20 * 1024 * 1024)})},
        "refi_billion_laughs": {**BASE, "codings/project.qdpx": zip_bytes({
            "project.qde": BILLION_LAUGHS.format(root="Project").encode()})},
        "qdc_billion_laughs": {**BASE, "codings/codebook.qdc": BILLION_LAUGHS.format(root="CodeBook").encode()},
        "refi_selection_end_before_start": {**BASE, "codings/project.qdpx": qdpx(project_qde(30, 10))},
        "refi_selection_outside_text": {**BASE, "codings/project.qdpx": qdpx(project_qde(20, 400))},
        "refi_unknown_code": {**BASE, "codings/project.qdpx": qdpx(project_qde(3, 12, "D0000000-0000-4000-8000-00000000ffff"))},
        "refi_not_a_zip": {**BASE, "codings/project.qdpx": project_qde(3, 12).encode()},
        "refi_no_qde": {**BASE, "codings/project.qdpx": zip_bytes({f"Sources/{SOURCE}.txt": SOURCE_TEXT.encode()})},
        "refi_malformed_xml": {**BASE, "codings/project.qdpx": zip_bytes({
            "project.qde": b'<Project name="x"><Sources></Project>'})},
        # Taguette project exports that are not
        "taguette_sqlite_not_sqlite": {**BASE, "codings/project.sqlite3": b"id,document,tag\n"},
        "taguette_sqlite_missing_tables": {**BASE, "codings/project.sqlite3": sqlite_bytes(HERE)},
        # study.yml not UTF-8
        "yml_not_utf8": {**BASE, "study.yml": "title: Caf\xe9 study\n".encode("latin-1")},
    }


def main() -> None:
    for name, files in cases().items():
        folder = HERE / name
        for old in sorted(folder.glob("*")) if folder.is_dir() else []:
            if old.name != "expected.txt":   # hand-written: kept
                shutil.rmtree(old) if old.is_dir() else old.unlink()
        for rel, content in files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")


if __name__ == "__main__":
    main()
