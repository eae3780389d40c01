"""Confidentiality end to end (issue 9, item 3).

The `planted` study (tests/fixtures/studies/planted, invented) puts every
redaction term where a leak could hide: at the start and end of turns, in
upper and lower case, with straight and curly possessives, split over a line
break, in a transcript file name and so in the document id, in a speaker
label, in participants.csv values and column names, in a pseudonym, in
the codebook's file name, code names and descriptions, in quotes and memos of a .csv and an .xlsx
coding sheet, in a coding sheet's file and sheet names, in a Word coding
table's turns, codes, memos and speaker labels, in study.yml's title,
speakers and stopwords. The .xlsx and .docx are written here (from the text
below) so that the fixture stays reviewable as plain text.

One batch run (`report --jobs 2`) and one `export --to qdpx`; then every file
under data/processed/<study>/ and reports/<study>/ and every member of the
.qdpx is decoded (parquet cells and column names, xlsx cells and sheet names,
text html-unescaped, file names) and searched for each term, whole word and
case-insensitive, with a pattern written here rather than the package's own
Redactor, so that a bug in the Redactor cannot hide itself.
"""
from __future__ import annotations

import html
import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from support import REPO, make_root, run_in

PLANTED = REPO / "tests" / "fixtures" / "studies" / "planted"
STUDY = "planted"

# The terms of planted/redactions.csv.
TERMS = ["Marlowe", "Quennell", "Ashcombe Ward", "Thistlebury", "Ferrars", "07700 900461", "dana.q@example.org"]
# Identifiers planted in Interview_Marlowe.txt turn 8 (the name also at a
# sentence start, where the scan would otherwise skip it) but NOT listed in
# redactions.csv: the identifier scan must flag each and its masked context must
# never show any of them. (kind, text); length = len(text) worked out by hand:
# "r.vantongeren@example.net" 1+1+11+1+7+1+3 = 25; "01632 960123" 5+1+6 = 12;
# "3rd March 2021" 3+1+5+1+4 = 14; "Belisarius" 10.
UNLISTED = [("email", "r.vantongeren@example.net", 25), ("phone number", "01632 960123", 12),
            ("date", "3rd March 2021", 14), ("possible name", "Belisarius", 10)]

# Sheet "Quennell notes" of codings/RB.xlsx: a second coder, with quotes,
# memos and a coder column. Turn numbers are P02.txt's turns.
XLSX_ROWS = [
    ["Participant", "Turn", "Quote", "Initial codes", "Coder", "Memo"],
    ["P02", 2, "Marlowe's group was where I met Quennell", "trust in Quennell", "RB", "Quennell again; check with Thistlebury team"],
    ["P02", 4, "Dr Ferrars moved me away from Ashcombe Ward", "loss", "RB", "“Ferrars” — ask Marlowe"],
    ["P01", 4, "Quennell's story was like mine", "trust in Quennell; hope; Ferrars’s advice", "RB", "QUENNELL's honesty"],
]
# codings/P03_coding_table.docx: a Word coding table standing in for P03's transcript.
DOCX_ROWS = [
    ["Speaker", "Transcript", "Initial coding", "Coder", "Memo"],
    ["I", "How are things in Thistlebury now?", "", "", ""],
    ["Marlowe", "Quennell’s visits kept me going, honestly.", "trust in Quennell", "RB", "Marlowe said the same on Ashcombe Ward"],
    ["I", "And Dr Ferrars?", "", "", ""],
    ["P", "He rang from 07700 900461 to say it was over. Ferrars", "loss", "RB", "call dana.q@example.org"],
]


def write_binaries(raw: Path) -> None:
    import docx
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Quennell notes"
    for row in XLSX_ROWS:
        sheet.append(row)
    book.save(raw / "codings" / "RB.xlsx")

    document = docx.Document()
    document.add_paragraph("Interview P03 (Marlowe) – coding")
    table = document.add_table(rows=0, cols=len(DOCX_ROWS[0]))
    for values in DOCX_ROWS:
        for cell, value in zip(table.add_row().cells, values):
            cell.text = value
    document.save(raw / "codings" / "P03_coding_table.docx")


def term_pattern() -> re.Pattern:
    """Each term as a whole word (no letter or digit either side), words of a
    term separated by any spaces, '_' or '-', case-insensitive."""
    parts = [r"[\s_\-]+".join(re.escape(w) for w in term.split()) for term in TERMS]
    return re.compile(rf"(?<![^\W_])(?:{'|'.join(parts)})(?![^\W_])", re.IGNORECASE)


def texts_of(name: str, data: bytes) -> list[str]:
    """Every string a reader of this file could see, decoded by its kind."""
    suffix = Path(name).suffix.lower()
    if suffix == ".parquet":
        frame = pd.read_parquet(io.BytesIO(data))
        out = [str(c) for c in frame.columns] + [str(i) for i in frame.index]
        for col in frame.columns:
            out += [v if isinstance(v, str) else json.dumps(v, default=str, ensure_ascii=False)
                    for v in frame[col].tolist()]
        return out
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        out = list(book.sheetnames)
        for sheet in book.worksheets:
            out += [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
        return out
    if suffix == ".qdpx":
        out = []
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for member in zf.namelist():
                out += [member] + texts_of(member, zf.read(member))
        return out
    if suffix in (".png", ".jpg", ".jpeg"):
        return []
    text = data.decode("utf-8", "replace")
    if suffix in (".json", ".ipynb"):
        # the strings themselves: in the raw JSON "\\nMarlowe" hides the word boundary
        strings = list(_json_strings(json.loads(text)))
        return strings + [html.unescape(s) for s in strings]
    # html.unescape twice: "&amp;#77;" in HTML that shows JSON-escaped text
    return [text, html.unescape(text), html.unescape(html.unescape(text))]


def _json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _json_strings(item)


def leaks_in(files: dict[str, bytes]) -> list[tuple[str, str]]:
    pattern = term_pattern()
    found = []
    for name, data in sorted(files.items()):
        for text in [name] + texts_of(name, data):
            for match in pattern.finditer(text):
                found.append((name, match.group(0)))
    return sorted(set(found))


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root, raw = make_root(tmp_path_factory.mktemp("planted"), PLANTED, STUDY)
    write_binaries(raw)
    report = run_in(root, "report", STUDY, "--jobs", "2")
    qdpx = root / "export" / "planted.qdpx"
    qdpx.parent.mkdir()
    export = run_in(root, "export", STUDY, "--to", "qdpx", str(qdpx))
    return root, report, export, qdpx


def output_files(root: Path, qdpx: Path) -> dict[str, bytes]:
    files = {}
    for folder in (root / "data" / "processed" / STUDY, root / "reports" / STUDY):
        for path in folder.rglob("*"):
            if path.is_file():
                files[str(path.relative_to(root))] = path.read_bytes()
    files[qdpx.name] = qdpx.read_bytes()
    return files


def test_scan_masks_a_flagged_name_where_it_starts_a_sentence_too():
    # "Belisarius" mid-sentence is a possible name; at the start of turn 2 it
    # would be skipped (sentence start), so turn 2's contexts would show it.
    # By hand: turn 1 flags "Belisarius" (titles such as "Dr" are not names);
    # turn 2 flags "Belisarius" (flagged elsewhere) but not "Then" (a sentence
    # start flagged nowhere).
    from helpers.ingest.cleaning import Redactor, clean_document
    from helpers.ingest.config import DEFAULT_SPEAKERS
    from helpers.ingest.identifiers import scan_identifiers
    from helpers.ingest.transcripts import RawDocument, SpeakerLabels, Turn

    raw = RawDocument("D1", Path("D1.txt"), "txt", "interview",
                      [Turn("P", "I saw Dr Belisarius today."), Turn("P", "Belisarius rang 01632 960123. Then nothing.")])
    clean = clean_document(raw, SpeakerLabels(DEFAULT_SPEAKERS), Redactor([]), "D1")
    review = scan_identifiers([clean], set())
    assert list(zip(review["seg_no"], review["kind"], review["length"])) == [
        (1, "possible name", 10), (2, "possible name", 10), (2, "phone number", 12)]
    turn2 = review[review["seg_no"] == 2]
    assert list(turn2["masked_context"]) == ["⟨possible name⟩ rang ⟨phone number⟩. Then nothing."] * 2


def test_the_term_pattern_finds_every_planting_style():
    # The scanner itself must catch what it is meant to (otherwise "no leaks" proves nothing).
    samples = ["Marlowe's", "marlowe’s", "QUENNELL", "Interview_Marlowe.txt", "Ashcombe\nWard",
               "Ashcombe-Ward", "ring 07700 900461.", "<td>Thistlebury</td>", "x dana.q@example.org y",
               "Ferrars"]
    pattern = term_pattern()
    assert all(pattern.search(s) for s in samples)
    # whole words only: a longer word containing a term is not a hit
    assert not pattern.search("Marlowesque Ferrarsville 107700 9004612")
    # inside JSON (executed notebooks, manifest), a line break before a term is
    # "\\n" in the raw file: the JSON strings themselves are searched
    notebook = json.dumps({"outputs": [{"text": ["x\nMarlowe said"]}]}).encode()
    assert leaks_in({"a.ipynb": notebook}) == [("a.ipynb", "Marlowe")]


@pytest.mark.notebook
def test_batch_and_export_succeed(planted):
    root, report, export, qdpx = planted
    assert report.returncode == 0, report.stderr[-3000:]
    assert export.returncode == 0, export.stderr[-3000:]
    assert qdpx.is_file()


@pytest.mark.notebook
def test_the_study_exercises_every_planting_place(planted):
    # Guard against a fixture that silently stops covering a place: the
    # stand-in Word table, both coders' sheets and the docs named in file names
    # all made it into the tables.
    root, report, *_ = planted
    processed = root / "data" / "processed" / STUDY
    docs = pd.read_parquet(processed / "documents.parquet")
    codings = pd.read_parquet(processed / "codings.parquet")
    participants = pd.read_parquet(processed / "participants.parquet")
    assert sorted(docs["doc_id"]) == ["Interview_(Name1)", "P02", "P03"]
    assert set(codings["doc_id"]) == {"Interview_(Name1)", "P02", "P03"}
    # .csv: 4 placed rows (3 exact, 1 fuzzy; the 5th quote is not in the
    # transcript and left out, strict: false); .xlsx: 3 rows with 5 codes; .docx: 2 coded turns
    assert len(codings) == 4 + 5 + 2
    tables = processed / "tables"
    assert len(pd.read_csv(tables / "quotes_fuzzy.csv")) == 1
    assert len(pd.read_csv(tables / "quotes_unmatched.csv")) == 1
    assert "(Doctor)’s advice" in set(pd.read_csv(tables / "codebook_added.csv")["code"])
    assert "(PSW) caseload" in participants.columns
    assert participants.set_index("participant_id").loc["P03", "pseudonym"] == "(Name1)"
    codebook = pd.read_parquet(processed / "codebook.parquet")
    assert set(codebook["source"]) >= {"codebook_(Doctor).csv"}
    assert set(codings["coder"]) == {"RB", "sheet_(PSW)"}  # the .csv's coder is its file name
    reports = root / "reports" / STUDY
    # one profile per participant, the agreement report (two coders), the index
    assert len(list(reports.glob("05-participant-profile-*.html"))) == 3
    assert (reports / "06-intercoder-agreement.html").is_file()


@pytest.mark.notebook
def test_no_term_in_any_output(planted):
    root, report, export, qdpx = planted
    assert report.returncode == 0 and export.returncode == 0, report.stderr[-2000:] + export.stderr[-2000:]
    files = output_files(root, qdpx)
    # processed tables, texts, tables/*.csv|xlsx, executed notebooks, HTML, the export
    kinds = {Path(n).suffix for n in files}
    assert {".parquet", ".txt", ".csv", ".xlsx", ".json", ".ipynb", ".html", ".qdpx"} <= kinds
    assert leaks_in(files) == []


@pytest.mark.notebook
def test_identifier_review_flags_unlisted_identifiers_without_showing_them(planted):
    root, *_ = planted
    review = pd.read_csv(root / "data" / "processed" / STUDY / "tables" / "identifier_review.csv",
                         dtype=str, keep_default_na=False)
    turn = review[(review["doc_id"] == "Interview_(Name1)") & (review["seg_no"] == "8")]
    flagged = set(zip(turn["kind"], turn["length"].astype(int)))
    for kind, text, length in UNLISTED:
        assert (kind, length) in flagged, f"{kind} '{text}' not flagged"
    for kind, text, _ in UNLISTED:
        hits = review[review["masked_context"].str.contains(text, case=False, regex=False)]
        assert hits.empty, f"masked context shows the {kind}"
    # the masked contexts of turn 8 carry the markers in place of the identifiers
    assert all("⟨" in c for c in turn["masked_context"])
