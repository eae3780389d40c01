"""Taguette exports in: project database (.sqlite3) and highlight tables (.csv/.xlsx).

The co-occurrence facts asserted on the real exports are the ones
../shared/peers/taguette/README.md states; they are computed here from the
records (spans in Taguette's text = hint_offset .. hint_offset + len(quote)).
"""
from __future__ import annotations

import csv
import sqlite3
from itertools import combinations
from pathlib import Path

import pandas as pd
import pytest

from helpers.errors import InputError
from helpers.interop.taguette import is_taguette_export, read_taguette, stand_ins_for

REPO = Path(__file__).resolve().parents[2]
FIX = REPO / "tests" / "fixtures" / "interop"
PEERS = REPO.parent / "shared" / "peers"


@pytest.fixture
def taguette_peers() -> Path:
    if not (PEERS / "taguette").is_dir():
        pytest.skip(f"../shared/peers not present: Taguette's exports are expected at {PEERS / 'taguette'}")
    return PEERS / "taguette"


def one_line(exc: InputError) -> str:
    text = str(exc)
    assert text.startswith("error: ") and "\n" not in text and " — " in text
    return text


def highlights(records) -> dict[str, dict]:
    """highlight -> {codes, start, end} (end exclusive, in Taguette's text)."""
    out: dict[str, dict] = {}
    for r in records.itertuples(index=False):
        h = out.setdefault(r.source_row, {"codes": set(), "start": None, "end": None})
        h["codes"].add(r.code)
        if not pd.isna(r.hint_offset):
            h["start"], h["end"] = int(r.hint_offset), int(r.hint_offset) + len(r.quote)
    return out


def pair_counts(found: dict[str, dict], overlap: bool) -> dict[tuple[str, str], int]:
    """Code pairs counted over pairs of highlights that overlap (when ``overlap``) or
    are the same highlight; one count per (highlight pair, code pair)."""
    counts: dict[tuple[str, str], int] = {}
    for h in found.values():
        for a, b in combinations(sorted(h["codes"]), 2):
            counts[(a, b)] = counts.get((a, b), 0) + 1
    if overlap:
        for x, y in combinations(sorted(found), 2):
            hx, hy = found[x], found[y]
            if hx["start"] < hy["end"] and hy["start"] < hx["end"]:
                for a in hx["codes"]:
                    for b in hy["codes"]:
                        if a != b:
                            key = tuple(sorted((a, b)))
                            counts[key] = counts.get(key, 0) + 1
    return counts


# -- the real Taguette 1.5.2 exports ------------------------------------------------------------

@pytest.mark.parametrize("upload", ["txt_upload", "html_upload"])
def test_project_database_facts(taguette_peers, upload):
    folder = taguette_peers / upload
    ext = read_taguette(folder / "project.sqlite3")
    rec = ext.records
    # 8 highlights, 9 highlight-tag rows, 1 document.
    assert len(rec) == 9 and rec["source_row"].nunique() == 8 and set(rec["doc_id"]) == {"P01 interview"}
    # Highlights per tag: wellbeing 4, workload 2, boundaries 2, peer support 1, interesting 0.
    per_tag = rec.groupby("code")["source_row"].nunique().to_dict()
    assert per_tag == {"wellbeing": 4, "workload": 2, "boundaries": 2, "peer support": 1}
    assert "interesting" in set(ext.codebook["code"])
    assert ext.codebook.set_index("code").loc["interesting", "description"] == "Further review required"
    found = highlights(rec)
    overlapping = {(x, y) for x, y in combinations(sorted(found), 2)
                   if found[x]["start"] < found[y]["end"] and found[y]["start"] < found[x]["end"]}
    assert overlapping == {("highlight 2", "highlight 3"), ("highlight 4", "highlight 5"), ("highlight 4", "highlight 6")}
    h = {k.split()[1]: v for k, v in found.items()}
    # H2 ∩ H3 partial (shared "the workload just piled up."); H4 ⊃ H5 and H4 ⊃ H6 nested.
    assert h["2"]["start"] < h["3"]["start"] < h["2"]["end"] < h["3"]["end"]
    assert h["4"]["start"] <= h["5"]["start"] and h["5"]["end"] <= h["4"]["end"]
    assert h["4"]["start"] <= h["6"]["start"] and h["6"]["end"] <= h["4"]["end"]
    # H1 and H2 are adjacent, one space apart.
    assert h["2"]["start"] - h["1"]["end"] == 1
    assert h["8"]["codes"] == {"boundaries", "wellbeing"}
    assert pair_counts(found, overlap=True) == {("wellbeing", "workload"): 1, ("peer support", "wellbeing"): 1,
                                                ("peer support", "workload"): 1, ("boundaries", "wellbeing"): 1}
    # Quotes and offsets agree with what the exporting script measured.
    with open(folder / "derived_highlight_offsets.csv", encoding="utf-8", newline="") as handle:
        derived = {f"highlight {r['taguette_highlight_id']}": r for r in csv.DictReader(handle)}
    for key, r in derived.items():
        assert h[key.split()[1]]["start"] == int(r["start_char"])
        assert rec.loc[rec["source_row"] == key, "quote"].iloc[0] == r["text"]
    assert set(rec["coder"]) == {"admin"}
    assert any(n.startswith("positions: utf-8 bytes") for n in ext.notes)


@pytest.mark.parametrize("upload", ["txt_upload", "html_upload"])
@pytest.mark.parametrize("name", ["all_tags.csv", "all_tags.xlsx"])
def test_highlight_tables_allow_only_same_highlight_cooccurrence(taguette_peers, upload, name):
    ext = read_taguette(taguette_peers / upload / name)
    rec = ext.records
    assert len(rec) == 9 and rec["source_row"].nunique() == 8
    assert rec["hint_offset"].isna().all() and ext.documents == []
    # The CSV alone allows only "same highlight": boundaries-wellbeing 1, all else 0.
    assert pair_counts(highlights(rec), overlap=False) == {("boundaries", "wellbeing"): 1}
    assert rec.loc[rec["source_row"] == "highlight 5", "quote"].tolist() == ["it made me feel less alone"]


def test_stand_in_from_the_project_database(taguette_peers):
    ext = read_taguette(taguette_peers / "txt_upload" / "project.sqlite3")
    (doc,) = ext.documents
    # Six <p> turns; Calibre's "&nbsp;" paragraphs between them are not turns.
    assert doc.doc_id == "P01 interview" and [t.speaker for t in doc.turns] == ["I", "P"] * 3
    assert doc.turns[5].text.startswith("I’d like to keep the flexibility")
    # The study has the transcript: no stand-in; under its uploaded file name: re-pointed.
    assert stand_ins_for(ext, {"P01 interview"}, "x") == []
    assert stand_ins_for(ext, {"interview_p01"}, "x") == []
    assert set(ext.records["doc_id"]) == {"interview_p01"}
    ext = read_taguette(taguette_peers / "txt_upload" / "project.sqlite3")
    assert [d.doc_id for d in stand_ins_for(ext, set(), "x")] == ["P01 interview"]


def test_a_table_naming_an_unknown_document_is_an_error(taguette_peers):
    ext = read_taguette(taguette_peers / "txt_upload" / "all_tags.csv")
    with pytest.raises(InputError) as info:
        stand_ins_for(ext, {"P02"}, "codings/all_tags.csv")
    assert "names document 'P01 interview', which is not in the study" in one_line(info.value)


def test_recognising_taguette_exports(taguette_peers):
    folder = taguette_peers / "txt_upload"
    for name in ["all_tags.csv", "all_tags.xlsx", "highlights_wellbeing.csv", "project.sqlite3"]:
        assert is_taguette_export(folder / name), name
    for name in ["codebook.csv", "codebook.xlsx", "derived_highlight_offsets.csv", "interview_p01.txt", "codebook.qdc"]:
        assert not is_taguette_export(folder / name), name


def test_reading_the_database_writes_nothing_beside_it(taguette_peers, tmp_path):
    source = taguette_peers / "txt_upload" / "project.sqlite3"
    copy = tmp_path / "project.sqlite3"
    copy.write_bytes(source.read_bytes())
    before = copy.stat().st_mtime_ns
    read_taguette(copy)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project.sqlite3"]
    assert copy.stat().st_mtime_ns == before


# -- own fixtures ---------------------------------------------------------------------------------

def test_own_database_utf8_offsets_emoji_and_paragraphs():
    ext = read_taguette(FIX / "taguette_small.sqlite3")
    rec = ext.records
    got = {(r.source_row, r.code): (r.quote, r.hint_offset) for r in rec.itertuples(index=False)}
    # Text nodes: "I: How was the first week back?" (31) "\n" "\u00a0" "\n" "P: " -> "Tiring" at
    # 31 + 3 + 3 = 37 code points (38 bytes: the no-break space is 2 bytes in UTF-8).
    assert got[("highlight 1", "fatigue")] == ("Tiring 😴 but good", 37)
    # "Tiring 😴 but good — " is 20 code points (23 + 4 - 1 bytes): "people" at 57.
    assert got[("highlight 2", "support")] == ("people were kind.", 57)
    # Across two paragraphs: the "\n\u00a0\n" between them becomes one space.
    assert got[("highlight 3", "coping")] == ("people were kind. P: I took breaks outside", 57)
    assert got[("highlight 3", "support")][0] == "people were kind. P: I took breaks outside"
    # Second document: "Would rather not use the phone." (31) then "Prefers email &amp; text." -> "&".
    assert got[("highlight 4", "contact")] == ("Prefers email & text.", 31)
    assert set(rec["coder"]) == {"rosa"}
    assert rec.set_index("source_row").loc["highlight 4", "doc_id"] == "P22 notes"   # ".docx" dropped
    assert rec.set_index("source_row").loc["highlight 4", "doc_file"] == "p22"
    book = ext.codebook.set_index("code")
    assert list(book.index) == ["interesting", "fatigue", "support", "coping", "contact"]
    assert book.loc["coping", "description"] == "about coping"
    p22 = {d.doc_id: d for d in ext.documents}["P22 notes"]
    # No speaker labels: each paragraph is the document's participant's turn.
    assert [(t.speaker, t.role, t.participant_id, t.text) for t in p22.turns] == [
        ("", "participant", "P22 notes", "Would rather not use the phone."),
        ("", "participant", "P22 notes", "Prefers email & text.")]


@pytest.mark.parametrize("name", ["taguette_highlights.csv", "taguette_highlights.xlsx"])
def test_own_highlight_tables(name):
    ext = read_taguette(FIX / name)
    rec = ext.records
    assert rec[["doc_id", "code", "quote"]].values.tolist() == [
        ["P21 interview", "fatigue", "Tiring 😴 but good"],
        ["P21 interview", "support", "people were kind."],
        ["P21 interview", "coping", "people were kind. P: I took breaks outside"],
        ["P21 interview", "support", "people were kind. P: I took breaks outside"],
        ["P22 notes", "contact", "Prefers email & text."]]
    assert ext.codebook["code"].tolist() == ["fatigue", "support", "coping", "contact"]
    assert is_taguette_export(FIX / name)


def test_redact_applies_to_document_ids():
    from helpers.ingest.cleaning import Redactor

    ext = read_taguette(FIX / "taguette_small.sqlite3", redact=Redactor([("P21", "(ID)")]))
    assert sorted(set(ext.records["doc_id"])) == ["(ID) interview", "P22 notes"]
    assert sorted(d.doc_id for d in ext.documents) == ["(ID) interview", "P22 notes"]


def test_bad_taguette_files(tmp_path):
    bad = tmp_path / "highlights.csv"
    bad.write_text("id,document,tag,content\n1,P1,,some text\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_taguette(bad)
    assert "empty 'tag'" in one_line(info.value) and ":row 2:" in str(info.value)
    other = tmp_path / "other.csv"
    other.write_text("speaker,code\nP,x\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_taguette(other)
    assert "no Taguette highlight columns" in one_line(info.value)
    assert not is_taguette_export(other)
    fake = tmp_path / "fake.sqlite3"
    fake.write_text("not a database", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_taguette(fake)
    assert "not an SQLite database" in one_line(info.value)
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(InputError) as info:
        read_taguette(empty)
    assert "not a Taguette project export (missing documents, tags, highlights, highlight_tags)" in one_line(info.value)
    with pytest.raises(InputError) as info:
        read_taguette(FIX / "codebook_nested.qdc")
    assert "not a Taguette export" in one_line(info.value)
