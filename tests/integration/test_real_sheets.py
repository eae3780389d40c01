"""Coding sheets and participants as researchers really have them (issue 13, points
5 and 6): other dialects, encodings, Excel's merged cells and dates, numbered code
columns, ids written differently. Through ``ingest.build`` and ``python -m helpers
check``; expected codings worked out by hand from the texts below.
"""
from __future__ import annotations

import datetime

import openpyxl
import pandas as pd
import pytest
from support import make_study, run_cli

from helpers import study
from helpers.errors import InputError
from helpers.ingest import config as config_mod
from helpers.ingest import pipeline as ingest

P01 = "I: How did you hear about it?\nP: A nurse told me.\nI: And the first meeting?\nP: Frightening, then a relief.\n"
P02 = "I: How did you hear about it?\nP: A leaflet.\n"
BASE = {"transcripts/P01.txt": P01, "transcripts/P02.txt": P02}


def build(root):
    return ingest.build(study.resolve(root), config_mod.load_config(root))


def codings(built) -> list[tuple]:
    c = built.codings
    return list(zip(c["doc_id"], c["seg_first"].astype(int), c["code"], c["level"]))


def read_as(built) -> list[str]:
    return list(built.report_tables["import_sources"]["note"])


@pytest.mark.parametrize("data, how", [
    ("participant\tturn\tcode\nP01\t2\taccess\nP01\t4\tfear\n".encode("utf-8"), "read as utf-8, tab-separated"),
    ("participant;turn;code\r\nP01;2;access\r\nP01;4;fear\r\n".encode("utf-16"), "read as utf-16, semicolon-separated"),
    ("\ufeffparticipant,turn,code\nP01,2,access\nP01,4,fear\n".encode("utf-8"), "read as utf-8-sig, comma-separated"),
    ("participant|turn|code\nP01|2|access\nP01|4|fear\n".encode("cp1252"), "read as utf-8, vertical bar-separated"),
])
def test_sheet_dialects_and_encodings_are_detected_and_stated(tmp_path, data, how):
    root = make_study(tmp_path, {**BASE, "codings/s.csv": data})
    built = build(root)
    assert codings(built) == [("P01", 2, "access", ""), ("P01", 4, "fear", "")]
    assert read_as(built) == [how]


def test_windows_code_page_sheet_and_the_entry_encoding_override(tmp_path):
    data = "participant;turn;code\nP01;2;café culture\n".encode("cp1252")
    root = make_study(tmp_path, {**BASE, "codings/s.csv": data})
    built = build(root)
    assert codings(built) == [("P01", 2, "café culture", "")] and read_as(built) == ["read as cp1252, semicolon-separated"]
    # the same bytes said to be Latin-9 (é is 0xE9 there too); a wrong encoding is an error, not a guess
    (root / "study.yml").write_text("title: T\ncodings: [{path: codings/s.csv, encoding: iso-8859-15}]\n", encoding="utf-8")
    assert codings(build(root)) == [("P01", 2, "café culture", "")]
    (root / "study.yml").write_text("title: T\ncodings: [{path: codings/s.csv, encoding: utf-8}]\n", encoding="utf-8")
    with pytest.raises(InputError, match="not readable as utf-8, the encoding study.yml gives"):
        build(root)


def test_codes_split_on_semicolons_bars_and_line_breaks(tmp_path):
    sheet = 'participant,turn,code\nP01,2,"access | fear"\nP01,4,"relief\nhope; trust"\n'
    built = build(make_study(tmp_path, {**BASE, "codings/s.csv": sheet}))
    assert [c for _, _, c, _ in codings(built)] == ["access", "fear", "relief", "hope", "trust"]


def test_numbered_code_columns_are_one_level(tmp_path):
    sheet = "participant,turn,Code 1,Code 2,Theme 1\nP01,2,access,fear,getting in\n"
    built = build(make_study(tmp_path, {**BASE, "codings/s.csv": sheet}))
    assert codings(built) == [("P01", 2, "access", ""), ("P01", 2, "fear", ""), ("P01", 2, "getting in", "theme")]


def _workbook(path, rows, merge=None, sheet="Codes"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    for cells in merge or []:
        ws.merge_cells(cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def test_excel_merged_cells_are_filled_from_their_range(tmp_path):
    root = make_study(tmp_path, BASE)
    # A2:A3 merged: "P01" belongs to both rows, as Excel shows it
    _workbook(root / "codings" / "s.xlsx", [["participant", "turn", "code"], ["P01", 2, "access"], [None, 4, "fear"],
                                            ["P02", 2, "leaflet"]], merge=["A2:A3"])
    built = build(root)
    assert codings(built) == [("P01", 2, "access", ""), ("P01", 4, "fear", ""), ("P02", 2, "leaflet", "")]
    assert read_as(built) == ["read as 1 merged cell range filled from their first cell"]


@pytest.mark.parametrize("cell, shown", [("14-Dec", "14-Dec"), ("12/14/2026", "12/14/2026")])
def test_turn_range_excel_made_a_date_is_named_in_csv(tmp_path, cell, shown):
    root = make_study(tmp_path, {**BASE, "codings/s.csv": f"participant,turn,code\nP01,{cell},access\n"})
    with pytest.raises(InputError) as err:
        build(root)
    assert str(err.value).endswith(f":row 2: turn '{shown}' is a date: Excel turned the turn range (probably 12-14) "
                                   "into a date — format the turn column as Text in Excel and type the range again "
                                   "(e.g. 12-14)")


def test_turn_range_excel_made_a_date_is_named_in_xlsx(tmp_path):
    root = make_study(tmp_path, BASE)
    _workbook(root / "codings" / "s.xlsx", [["participant", "turn", "code"], ["P01", datetime.datetime(2026, 3, 4), "x"]])
    with pytest.raises(InputError) as err:
        build(root)
    assert "Codes row 2: turn '2026-03-04 00:00:00' is a date: Excel turned the turn range (probably 3-4)" in str(err.value)


def test_participants_xlsx_is_read_like_participants_csv(tmp_path):
    root = make_study(tmp_path, BASE)
    _workbook(root / "participants.xlsx", [["participant_id", "gender"], ["P01", "woman"], ["P02", "man"]],
              sheet="People")
    built = build(root)
    assert built.participants.set_index("participant_id")["gender"].to_dict() == {"P01": "woman", "P02": "man"}


# -- ids -----------------------------------------------------------------------------------------

def test_document_ids_written_differently_are_matched_and_said(tmp_path):
    sheet = "document,turn,code\nP01.txt,2,access\nInterview p1,4,fear\nP2,2,leaflet\n"
    built = build(make_study(tmp_path, {**BASE, "codings/s.csv": sheet}))
    assert codings(built) == [("P01", 2, "access", ""), ("P01", 4, "fear", ""), ("P02", 2, "leaflet", "")]
    assert ("codings/s.csv: ids matched by normalising (case, leading zeros, file extension, surrounding words): "
            "'P01.txt' -> P01 (1 row), 'Interview p1' -> P01 (1 row), 'P2' -> P02 (1 row) — write the ids as the "
            "transcripts name them to silence this") in built.warnings


def test_an_id_matching_nothing_is_an_error_with_the_closest_unless_a_quote_bank(tmp_path):
    sheet = "participant,quote,code\nP03,A nurse told me.,access\n"
    root = make_study(tmp_path, {**BASE, "codings/s.csv": sheet})
    with pytest.raises(InputError) as err:
        build(root)
    assert str(err.value).endswith(":row 2: unknown participant 'P03': no transcript or participant matches it "
                                   "(closest: P01, P02) — correct the id to one of the study's documents or "
                                   "participants, or mark this codings entry 'kind: quote_bank' in study.yml if its "
                                   "quotes have no transcript")
    (root / "study.yml").write_text("title: T\ncodings: [{path: codings/s.csv, kind: quote_bank}]\n", encoding="utf-8")
    built = build(root)
    assert built.documents.set_index("doc_id").loc["P03", "kind"] == "quote_bank"


def test_transcript_names_mapped_by_doc_id_and_check_prints_the_mapping(tmp_path):
    files = {"transcripts/Interview_7.txt": P02, "participants.csv": "participant_id,doc_id\nP07,Interview_7\n",
             "codings/s.csv": "participant,turn,code\nP07,2,leaflet\n"}
    root = make_study(tmp_path, files)
    built = build(root)
    assert codings(built) == [("Interview_7", 2, "leaflet", "")]
    assert built.documents.set_index("doc_id").loc["Interview_7", "participant_id"] == "P07"
    result = run_cli("check", str(root), home=tmp_path)
    assert result.returncode == 0
    assert "note: documents mapped to participants by participants.csv doc_id: Interview_7.txt -> participant P07" \
        in result.stderr


def test_the_manifest_records_each_files_encoding(tmp_path, project_home):
    files = {"transcripts/P01.txt": P01.encode("utf-16"), "transcripts/P02.txt": "I: Où?\nP: Là.\n".encode("cp1252")}
    make_study(project_home / "data" / "raw", files, name="enc")
    result = run_cli("ingest", "enc", home=project_home)
    assert result.returncode == 0, result.stderr
    manifest = pd.read_json(project_home / "data" / "processed" / "enc" / "manifest.json", typ="series")
    assert manifest["encodings"] == {"transcripts/P01.txt": "utf-16", "transcripts/P02.txt": "cp1252"}


def test_a_row_wider_than_its_header_is_an_error_naming_its_line(tmp_path):
    """Two codes joined by ';' in a ';'-separated sheet: pandas took the first column as the
    index and the import died with an internal error ('P1' is not an int)."""
    from helpers.errors import InputError
    from helpers.ingest.sheets import read_csv_table

    sheet = tmp_path / "sheet.csv"
    sheet.write_text("participant;quote;code\nP01;a quote here;one\nP02;another quote;Light exposure; Sleep\n",
                     encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_csv_table(sheet)
    assert [p.line() for p in caught.value.problems] == [
        f"error: {sheet}:line 3: this row has 4 cells but the header has 3 — put a cell that contains ';' "
        "in double quotes, or join several codes in one cell with |"]
    sheet.write_text("participant,code,\nP01,one,\n", encoding="utf-8")  # a trailing separator is fine
    assert list(read_csv_table(sheet)["code"]) == ["one"]


def test_a_listed_participant_without_a_transcript_is_an_error_not_a_quote_bank(tmp_path):
    """P02's transcript is saved as P02_followup.txt (id 'P02_followup'); participants.csv
    lists P02. The sheet's P02 rows became a quote-bank document of their own, the real
    transcript stayed uncoded and the study had a phantom fifth participant, with exit 0."""
    root = make_study(tmp_path, {
        "transcripts/P01.txt": "I: How was it?\nP: The group gave me hope.\n",
        "transcripts/P02_followup.txt": "I: And you?\nP: I found the phased hours helped.\n",
        "participants.csv": "participant_id\nP01\nP02\n",
        "codings/sheet.csv": "participant,quote,code\nP01,gave me hope,hope\nP02,phased hours helped,hours\n"})
    result = run_cli("check", str(root))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {root / 'codings' / 'sheet.csv'}:row 3: participant 'P02' has no transcript — "
        "add the transcript, or a document column"]
    # marked as a quote bank, the same sheet is one
    (root / "study.yml").write_text("title: T\ncodings:\n  - {path: codings/sheet.csv, kind: quote_bank}\n",
                                    encoding="utf-8")
    assert run_cli("check", str(root)).returncode == 0
