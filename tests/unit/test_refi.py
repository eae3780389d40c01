"""REFI-QDA in (.qdpx, bare .qde, .qdc) and out (export_qdpx).

Own fixtures: tests/fixtures/interop (made by make_fixtures.py, positions worked
out there with plain string arithmetic). Real files from other tools:
../shared/peers (skipped when absent).
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from helpers.errors import InputError
from helpers.ingest.cleaning import Redactor, clean_document
from helpers.ingest.config import DEFAULT_SPEAKERS
from helpers.ingest.transcripts import SpeakerLabels
from helpers.interop.refi import export_qdpx, read_qdc, read_qdpx
from helpers.study import Study

REPO = Path(__file__).resolve().parents[2]
FIX = REPO / "tests" / "fixtures" / "interop"
PEERS = REPO.parent / "shared" / "peers"
LABELS = SpeakerLabels(DEFAULT_SPEAKERS)


@pytest.fixture
def peers() -> Path:
    if not PEERS.is_dir():
        pytest.skip(f"../shared/peers not present: real files from other tools are expected at {PEERS}")
    return PEERS


def one_line(exc: InputError) -> str:
    text = str(exc)
    assert text.startswith("error: ") and "\n" not in text and " — " in text
    return text


def write_qdpx(path: Path, xml: str, members: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", xml.encode("utf-8"))
        for name, data in (members or {}).items():
            archive.writestr(name, data)
    return path


# -- own fixtures: positions --------------------------------------------------------------

# The five selections of make_fixtures.SELECTIONS, as (quote, codes), written out by hand.
EXPECTED = [
    ("The new group sessions help", {"group sessions"}),
    ("P: But sleep is still hard. Some nights I'm awake until 3am scrolling 📱.", {"sleep", "phone use"}),
    ("Texting my peer mentor. She always answers, even late 🌙, and that makes me feel less alone.", {"peer mentor"}),
    ("less alone", {"loneliness"}),
    ("Café walks with my sister too ☕.", {"family"}),
]


@pytest.mark.parametrize("name, convention", [
    ("emoji_nvivo.qdpx", "positions: utf-16 code units (NVivo-style)"),
    ("emoji_standard.qdpx", "positions: code points (REFI-QDA standard)"),
])
def test_positions_with_bom_crlf_and_emoji_come_out_as_code_points(name, convention):
    ext = read_qdpx(FIX / name)
    assert any(n.startswith(convention) for n in ext.notes)
    rec = ext.records
    got = [(g["quote"].iloc[0], set(g["code"])) for _, g in rec.groupby("hint_offset", sort=True)]
    assert got == EXPECTED
    # Line 1 "I: How have the last few weeks been for you?" is 44 characters + CRLF (2):
    # line 2 starts at 46; "P: Up and down, honestly " 25 + "😅" 1 + ". " 2 -> "The" at 46 + 28 = 74
    # code points (75 UTF-16 units: the emoji counts 2 there).
    first = rec.loc[rec["code"] == "group sessions"].iloc[0]
    assert (first["hint_offset"], first["start"], first["end"]) == (74, 74, 74 + len("The new group sessions help"))
    # Line 2 is 85 characters: 46 + 85 + 2 = 133 is where line 3 (the 2-code selection) starts.
    assert set(rec.loc[rec["start"] == 133, "code"]) == {"sleep", "phone use"}


def test_nvivo_fixture_project_parts():
    ext = read_qdpx(FIX / "emoji_nvivo.qdpx")
    (doc,) = ext.documents
    # The source is "P07 interview.docx": the extension goes, the Case gives the participant.
    assert doc.doc_id == "P07 interview" and doc.participant_id == "P07"
    assert doc.attributes == {"age_band": "25-34", "sessions": 6}
    # The BOM is gone (else line 1 would not start with the label "I").
    assert [t.speaker for t in doc.turns] == ["I", "P", "P", "I", "P", "P"]
    assert doc.turns[1].text == "Up and down, honestly 😅. The new group sessions help — I look forward to Tuesdays."
    assert set(ext.records["coder"]) == {"Researcher One"}
    memo = ext.records.set_index("code").loc["peer mentor", "memo"]
    assert memo == "Mentor contact is the turning point."
    assert set(ext.records["level"]) == {""}
    assert set(ext.records["doc_id"]) == {"P07 interview"}
    book = ext.codebook.set_index("code")
    assert book.loc["peer mentor", "parent"] == "support"
    assert book.loc["support", "parent"] == ""
    assert book.loc["loneliness", "parent"] == "strain"
    assert book.loc["support", "colour"] == "#1f77b4"
    assert book.loc["peer mentor", "description"] == "Contact with a peer support worker or mentor"
    assert list(ext.participants.columns) == ["participant_id", "age_band", "sessions"]
    assert ext.participants.iloc[0].tolist() == ["P07", "25-34", 6]


def test_utf8_byte_positions_focus_group_whole_source_coding_and_link_memo():
    ext = read_qdpx(FIX / "group_utf8.qdpx")
    assert any(n.startswith("positions: utf-8 bytes") for n in ext.notes)
    assert any("1 picture/PDF/audio/video source and their 1 coding skipped" in n for n in ext.notes)
    (doc,) = ext.documents
    assert doc.doc_id == "Group session 2" and doc.participant_id is None and doc.kind == "focus_group"
    # The project's cases are its participants, so "Sam:" and "Priya:" are speaker labels, as a
    # participant id from participants.csv is in a transcript; each labelled line is spoken by the
    # case whose selection covers it, else by the case its label names.
    assert [(t.speaker, t.participant_id, t.role) for t in doc.turns] == [
        ("Facilitator", None, "interviewer"), ("Sam", "Sam", "participant"), ("Priya", "Priya", "participant"),
        ("Sam", "Sam", "participant")]
    rec = ext.records.set_index("code")
    whole = rec.loc["group session"]
    # The whole-source coding spans the full text: four lines of 41, 66, 85 and 50 characters
    # joined by 3 LF = 245 characters.
    assert (whole["start"], whole["end"]) == (0, 245)
    assert whole["quote"].startswith("Facilitator:") and whole["quote"].endswith("rough.")
    # Line 2 starts at 41 + 1 = 42; "Sam: " (5) -> 47. Line 3 starts at 42 + 66 + 1 = 109;
    # "Priya: Honestly? " (17) -> 126. In UTF-8 bytes the "—", "“" and "”" (3 bytes each) would
    # put "A reason" 6 further on, at 132.
    assert rec.loc["routine", "start"] == 126
    assert ext.records.loc[ext.records["code"] == "safe space", "start"].tolist() == [47, 200]
    safe = ext.records.loc[ext.records["code"] == "safe space", "quote"].tolist()
    assert safe == ["Somewhere to say things out loud — no judgement, no “fixing”.",
                    "And people who get it when the week is rough."]
    assert rec.loc["routine", "quote"] == "A reason to leave the flat on Thursdays."
    assert rec.loc["routine", "memo"] == "selection 2 | Routine matters more than content."
    assert sorted(ext.participants["participant_id"]) == ["Priya", "Sam"]


def test_bare_qde_reads_sources_beside_it_and_skips_outside_sources():
    ext = read_qdpx(FIX / "bare_qde" / "project.qde")
    assert [d.doc_id for d in ext.documents] == ["P11"]
    assert ext.records["quote"].tolist() == ["The allotment."]
    # "I: Where do you go when it gets too much?" is 41 characters + LF -> line 2 at 42; "P: " -> 45.
    assert ext.records["start"].tolist() == [45]
    assert any("1 text source without their text" in n for n in ext.notes)
    assert ext.participants is None


def test_redact_applies_to_ids_not_quotes():
    redact = Redactor([("Priya", "(P2)"), ("Group session", "(Group)")])
    ext = read_qdpx(FIX / "group_utf8.qdpx", redact=redact)
    assert set(ext.records["doc_id"]) == {"(Group) 2"}
    assert ext.documents[0].doc_id == "(Group) 2"
    assert sorted(ext.participants["participant_id"]) == ["(P2)", "Sam"]
    assert [t.participant_id for t in ext.documents[0].turns] == [None, "Sam", "(P2)", "Sam"]
    # Quotes stay as written: the coding importer redacts them (redacting twice is unsafe).
    assert ext.records["quote"].str.contains("Priya").any()


def test_qdc_nested_with_empty_sets_and_other_version():
    book = read_qdc(FIX / "codebook_nested.qdc")
    # "other" appears under two parents: told apart by their parent path.
    assert book[["code", "parent"]].values.tolist() == [
        ["coping", ""], ["distraction", "coping"], ["coping/other", "coping"],
        ["services", ""], ["services/other", "services"]]
    assert book.loc[0, "description"] == "Ways of getting through" and book.loc[0, "colour"] == "#AA3300"
    assert set(book["level"]) == {""}


# -- own fixtures: errors ---------------------------------------------------------------------

PROJECT = """<Project xmlns="urn:QDA-XML:project:1.0" name="x">
<CodeBook><Codes><Code guid="A0000000-0000-4000-8000-000000000001" name="c" isCodable="true"/></Codes></CodeBook>
<Sources><TextSource guid="C0000000-0000-4000-8000-000000000001" name="{name}" {where}>{content}
<PlainTextSelection guid="50000000-0000-4000-8000-000000000001" startPosition="{start}" endPosition="{end}">
<Coding guid="D0000000-0000-4000-8000-000000000001"><CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>
</TextSource>{more}</Sources></Project>"""


def project(name="P1.txt", where="", content="<PlainTextContent>P: hello there</PlainTextContent>",
            start=3, end=8, code="A0000000-0000-4000-8000-000000000001", more="") -> str:
    return PROJECT.format(name=name, where=where, content=content, start=start, end=end, code=code, more=more)


def test_positions_counting_crlf_as_one_character(tmp_path):
    text = "I: First line here\r\nP: Second line says hello\r\nP: Third line again\r\n"
    # Counting CRLF as one: line 2 starts at 18 + 1 = 19, "Second" at 22, "says" at 22 + 12 = 34;
    # line 3 starts at 19 + 25 + 1 = 45, "Third" at 48. Read as code points of the raw text
    # (CRLF = 2) each would end mid-word, one or two characters early.
    spans = [(22, 33), (34, 44), (48, 64)]
    selections = "".join(
        f'<PlainTextSelection guid="50000000-0000-4000-8000-00000000000{i}" startPosition="{s}" endPosition="{e}">'
        f'<Coding guid="D0000000-0000-4000-8000-00000000000{i}"><CodeRef targetGUID="A0000000-0000-4000-8000-000000000001"/>'
        f'</Coding></PlainTextSelection>' for i, (s, e) in enumerate(spans, start=1))
    xml = ('<Project name="x"><CodeBook><Codes><Code guid="A0000000-0000-4000-8000-000000000001" name="c" '
           'isCodable="true"/></Codes></CodeBook><Sources><TextSource guid="C0000000-0000-4000-8000-000000000001" '
           f'name="P1" plainTextPath="internal://t.txt">{selections}</TextSource></Sources></Project>')
    ext = read_qdpx(write_qdpx(tmp_path / "crlf.qdpx", xml, {"Sources/t.txt": text.encode("utf-8")}))
    assert ext.records["quote"].tolist() == ["Second line", "says hello", "Third line again"]
    assert any(n.startswith("positions: code points with CRLF counted as one character") for n in ext.notes)


def test_inline_source_reads(tmp_path):
    ext = read_qdpx(write_qdpx(tmp_path / "ok.qdpx", project()))
    assert ext.records[["doc_id", "quote", "code"]].values.tolist() == [["P1", "hello", "c"]]


@pytest.mark.parametrize("xml, members, message", [
    (project(code="A0000000-0000-4000-8000-00000000FFFF"), {}, "not in the code book"),
    (project(start=3, end=99), {}, "do not fit its source"),
    (project(start="x"), {}, "not whole numbers"),
    (project(where='plainTextPath="internal://missing.txt"', content=""), {}, "its text is not in the project"),
    (project(more='<TextSource guid="C0000000-0000-4000-8000-000000000002" name="P1.docx">'
                  '<PlainTextContent>x</PlainTextContent></TextSource>'), {}, "two text sources are named"),
    ("<CodeBook><Codes/></CodeBook>", {}, "not a REFI-QDA project"),
    ("<Project><Sources>", {}, "not well-formed XML"),
])
def test_bad_projects_are_one_line_errors(tmp_path, xml, members, message):
    with pytest.raises(InputError) as info:
        read_qdpx(write_qdpx(tmp_path / "bad.qdpx", xml, members))
    assert message in one_line(info.value)


def test_project_xml_named_after_the_project_is_found(tmp_path):
    # ATLAS.ti 26 names the XML after the project ("Trial.qde", peers' SOURCES.md), with the text
    # in a lower-case sources/ folder; a second .qde deeper in the archive is not read, and said.
    path = tmp_path / "trial.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Trial.qde", project(where='plainTextPath="internal://t.txt"', content=""))
        archive.writestr("sources/t.txt", "P: hello there")
        archive.writestr("backup/Old.qde", "<Project/>")
    ext = read_qdpx(path)
    assert ext.records[["doc_id", "quote", "code"]].values.tolist() == [["P1", "hello", "c"]]
    assert any("several .qde files in the archive; read Trial.qde" in n for n in ext.notes)


def test_archive_without_qde_and_qdpx_that_is_not_a_zip(tmp_path):
    path = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Sources/a.txt", "x")
    with pytest.raises(InputError) as info:
        read_qdpx(path)
    assert "no project XML (.qde)" in one_line(info.value)
    (tmp_path / "text.qdpx").write_text("hello", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_qdpx(tmp_path / "text.qdpx")
    assert "not a readable zip archive" in one_line(info.value)


# -- real files from other tools -------------------------------------------------------------

def test_qc_demo(peers):
    ext = read_qdpx(peers / "qc" / "qc_demo.qdpx")
    rec = ext.records
    # README: 72 codes applied to 54 lines by one coder, ana; 16 lines carry 2-3 codes;
    # 3 lines carry a parent code directly; 4 parents with 2 children each.
    assert len(rec) == 72 and rec["source_row"].nunique() == 54
    assert set(rec["coder"]) == {"ana"}
    per_line = rec.groupby("source_row").size()
    assert int((per_line >= 2).sum()) == 16 and per_line.max() <= 3
    parents = set(ext.codebook.loc[ext.codebook["parent"] == "", "code"])
    assert len(parents) == 4 and len(ext.codebook) == 12
    assert (ext.codebook.loc[ext.codebook["parent"] != ""].groupby("parent").size() == 2).all()
    assert rec.loc[rec["code"].isin(parents), "source_row"].nunique() == 3
    assert sorted(d.doc_id for d in ext.documents) == ["interview_01", "interview_02", "interview_03"]
    # Each selection is exactly one line of the transcript (qc's unit), newline included.
    for doc in ext.documents:
        corpus = (peers / "qc" / "corpus" / f"{doc.doc_id}.txt").read_text(encoding="utf-8")
        lines = [line for line in corpus.splitlines() if line.strip()]
        assert len(doc.turns) == len(lines)
        quotes = rec.loc[rec["doc_id"] == doc.doc_id, "quote"]
        assert all(q.endswith("\n") and q.count("\n") == 1 and q[:-1] in lines for q in quotes)
    assert any(n.startswith("positions: code points") for n in ext.notes)


def test_atlas_ti_projects_and_codebook(peers):
    samples = peers / "refi-qda" / "samples"
    target = read_qdpx(samples / "atlasti23.2_ponte_target-atlas-project.qdpx")
    # One parent "Commits" with two child codes; no sources, no codings.
    assert target.codebook[["code", "parent"]].values.tolist() == [
        ["Commits", ""], ["2022-05-10T02:05:59Z 19e4dce", "Commits"], ["2022-02-11T10:39:25Z cdbfd92", "Commits"]]
    assert target.documents == [] and len(target.records) == 0
    blank = read_qdpx(samples / "atlasti23.2_ponte_blank-atlas-project.qdpx")
    assert len(blank.codebook) == 0 and len(blank.records) == 0 and blank.participants is None
    book = read_qdc(samples / "atlasti23.4_requal_codebook.qdc")   # schemaLocation names version 0:4
    assert book[["code", "parent", "description", "colour"]].values.tolist() == [["code1", "", "description", "#46AA00"]]


def test_maxqda_bare_qde(peers):
    ext = read_qdpx(peers / "refi-qda" / "samples" / "maxqda24_paper_themes_project.qde")
    book = ext.codebook
    # SOURCES.md: 307 codes in 2 levels, every one with a colour and a Description.
    assert len(book) == 307
    tops = set(book.loc[book["parent"] == "", "code"])
    assert book.loc[book["parent"] != "", "parent"].isin(tops).all()
    assert (book["colour"] != "").all() and (book["description"] != "").all()
    # 10 TextSources whose texts are not shipped, and no codings: skipped, said so.
    assert ext.documents == [] and len(ext.records) == 0
    assert any(n.startswith("10 text sources without their text") for n in ext.notes)


def test_ornio_kitchen_sink(peers):
    ext = read_qdpx(peers / "refi-qda" / "samples" / "ornio_hand_authored" / "project.qde")
    assert ext.codebook[["code", "parent"]].values.tolist() == [
        ["Topics", ""], ["Health", "Topics"], ["Diet", "Health"], ["Wellbeing", "Topics"]]
    rec = ext.records.set_index("code")
    # Code points from 0, end exclusive: [0:15] = "Diet and health"; [9:23] overlaps it.
    assert rec.loc["Health", "quote"] == "Diet and health"
    assert (rec.loc["Diet", "start"], rec.loc["Diet", "end"]) == (9, 23)
    assert rec.loc["Health", "coder"] == "Researcher A"
    # The note is linked to selection 1 by a <Link>.
    assert rec.loc["Health", "memo"] == "Remember to follow up on diet-related comments."
    (doc,) = ext.documents
    assert doc.doc_id == "Interview 1" and doc.participant_id == "Participant 1"
    assert ext.participants.iloc[0].tolist() == ["Participant 1", 34, True]
    # Picture, PDF, audio (with its transcript) and video: 4 sources, 5 codings, skipped.
    assert any(n.startswith("4 picture/PDF/audio/video sources and their 5 codings") for n in ext.notes)


def test_taguette_codebook_qdc_is_tolerated(peers):
    book = read_qdc(peers / "taguette" / "txt_upload" / "codebook.qdc")
    assert book["code"].tolist() == ["interesting", "workload", "wellbeing", "peer support", "boundaries"]
    assert set(book["parent"]) == {""} and set(book["description"]) == {""}


# -- export -------------------------------------------------------------------------------------

TEXTS = {
    "P01": "I: How are you sleeping? 🌙\nP: Badly 😴. I wake at 3am and scroll.\nP: My mentor says try a routine.\n",
    "P02": "I: Who helps?\nP: My sister, mostly ☕.\n",
}


def export_study() -> Study:
    rows = []
    for doc_id, text in TEXTS.items():
        offset = 0
        for seg_no, line in enumerate(text.splitlines(), start=1):
            speaker, utterance = line.split(": ", 1)
            rows.append({"doc_id": doc_id, "seg_no": seg_no, "participant_id": doc_id, "speaker": speaker,
                         "speaker_role": "interviewer" if speaker == "I" else "participant",
                         "start": offset + len(speaker) + 2, "end": offset + len(line), "text": utterance})
            offset += len(line) + 1

    def coding(doc_id, quote, code, coder="A", memo=""):
        start = TEXTS[doc_id].index(quote)
        return {"doc_id": doc_id, "code": code, "coder": coder, "start": start, "end": start + len(quote),
                "seg_first": 2, "memo": memo}

    codings = pd.DataFrame([coding("P01", "Badly 😴", "sleep"), coding("P01", "Badly 😴", "mood", "B", "felt low"),
                            coding("P01", "My mentor says try a routine.", "peer support"),
                            coding("P02", "My sister, mostly ☕.", "family"),
                            coding("P02", "Who helps?", "unlisted")])
    codebook = pd.DataFrame({"code": ["support", "peer support", "family", "sleep", "mood"],
                             "parent": ["", "support", "support", "", ""], "level": "",
                             "description": ["help from others", "", "", "", "feelings"],
                             "colour": ["#112233", "", "", "", "not a colour"]})
    participants = pd.DataFrame({"participant_id": ["P01", "P02"], "age": ["34", "51"], "gender": ["f", None]})
    return Study.from_tables(segments=pd.DataFrame(rows), codings=codings, codebook=codebook,
                             participants=participants, texts=TEXTS, title="Sleep")


def test_export_is_valid_against_the_project_schema(tmp_path, peers):
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(peers / "refi-qda" / "schemas" / "Project.xsd"))
    export_qdpx(export_study(), tmp_path / "out.qdpx")
    with zipfile.ZipFile(tmp_path / "out.qdpx") as archive:
        schema.validate(io.BytesIO(archive.read("project.qde")))
        names = archive.namelist()
    assert names[0] == "project.qde" and len(names) == 3
    assert all(n.startswith("Sources/") and n.endswith(".txt") for n in names[1:])


def test_export_round_trip(tmp_path):
    study = export_study()
    counts = export_qdpx(study, tmp_path / "out.qdpx")
    # 5 codings on 4 spans ("Badly 😴" carries two codes); 6 codebook codes (5 + "unlisted").
    assert counts["codings"] == 5 and counts["selections"] == 4 and counts["codes"] == 6
    ext = read_qdpx(tmp_path / "out.qdpx")
    assert any(n.startswith("positions: code points") for n in ext.notes)
    # Documents: the clean texts come back identical (through clean_document, as ingest does it).
    assert sorted(d.doc_id for d in ext.documents) == ["P01", "P02"]
    for doc in ext.documents:
        assert clean_document(doc, LABELS, Redactor([]), doc.participant_id).text == TEXTS[doc.doc_id]
    # Codebook: codes and parents; the code used but not listed comes in at the top.
    assert sorted(map(tuple, ext.codebook[["code", "parent"]].values.tolist())) == sorted([
        ("support", ""), ("peer support", "support"), ("family", "support"), ("sleep", ""), ("mood", ""),
        ("unlisted", "")])
    book = ext.codebook.set_index("code")
    assert book.loc["support", "colour"] == "#112233" and book.loc["mood", "colour"] == ""
    assert book.loc["mood", "description"] == "feelings"
    # Codings: (doc, code, start, end) as exported; "Badly 😴" starts after "I: How are you
    # sleeping? 🌙\n" (27 code points) + "P: " (3) = 30 and ends at 30 + 7 = 37.
    got = sorted(map(tuple, ext.records[["doc_id", "code", "start", "end", "coder", "memo"]].values.tolist()))
    want = sorted((c.doc_id, c.code, c.start, c.end, c.coder, c.memo) for c in study.codings.itertuples())
    assert got == want
    assert ("P01", "sleep", 30, 37, "A", "") in got
    people = ext.participants.set_index("participant_id")
    assert people["age"].to_dict() == {"P01": 34, "P02": 51}   # "34" exported as an Integer variable
    assert people.loc["P01", "gender"] == "f" and pd.isna(people.loc["P02", "gender"])
    assert {d.doc_id: d.participant_id for d in ext.documents} == {"P01": "P01", "P02": "P02"}


def test_export_is_reproducible_and_skips_unplaced_codings(tmp_path):
    study = export_study()
    export_qdpx(study, tmp_path / "a.qdpx")
    export_qdpx(study, tmp_path / "b.qdpx")
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()
    codings = study.codings.copy()
    codings.loc[0, ["start", "end"]] = pd.NA   # a quote that was never found
    study.codings = codings
    counts = export_qdpx(study, tmp_path / "c.qdpx")
    assert counts["codings"] == 4 and counts["codings_skipped"] == 1
    assert len(read_qdpx(tmp_path / "c.qdpx").records) == 4


def test_export_never_carries_the_redaction_key(tmp_path):
    # Texts go through the same redaction as ingest; the export sees only the study.
    from helpers.ingest.cleaning import load_redactions
    from helpers.ingest.transcripts import read_transcript

    (tmp_path / "P01.txt").write_text("I: Who helped?\nP: Zara did, and Zara's dog. Call 07700 900123.\n",
                                      encoding="utf-8")
    (tmp_path / "redactions.csv").write_text("term,replacement\nZara,(PSW)\n07700 900123,(Phone)\n",
                                             encoding="utf-8")
    redact = load_redactions(tmp_path / "redactions.csv")
    clean = clean_document(read_transcript(tmp_path / "P01.txt", LABELS), LABELS, redact, "P01")
    start = clean.text.index("(PSW) did")
    study = Study.from_tables(segments=clean.segments, texts={"P01": clean.text},
                              codings=pd.DataFrame([{"doc_id": "P01", "code": "help", "start": start,
                                                     "end": start + 9, "seg_first": 2, "memo": "(PSW) again"}]))
    export_qdpx(study, tmp_path / "out.qdpx")
    with zipfile.ZipFile(tmp_path / "out.qdpx") as archive:
        everything = b"".join(archive.read(n) for n in archive.namelist())
    assert b"Zara" not in everything and b"07700" not in everything
    assert "(PSW) did, and (PSW)'s dog. Call (Phone).".encode() in everything


def test_bad_selections_among_good_ones_are_warnings_naming_them(tmp_path):
    # One good selection ("hello", 3-8) and three that cannot be placed: out of range, end before
    # start, zero length (with a memo as a bare <Description>). The project imports; each bad one
    # is a note (a warning in check) naming its GUID and source, with its codes and memo.
    def selection(n: int, start, end, description: str = "") -> str:
        memo = f"<Description>{description}</Description>" if description else ""
        return (f'<PlainTextSelection guid="50000000-0000-4000-8000-00000000000{n}" startPosition="{start}" '
                f'endPosition="{end}">{memo}<Coding guid="D0000000-0000-4000-8000-00000000000{n}">'
                f'<CodeRef targetGUID="A0000000-0000-4000-8000-000000000001"/></Coding></PlainTextSelection>')
    xml = project(content="<PlainTextContent>P: hello there</PlainTextContent>"
                          + selection(2, 3, 99) + selection(3, 9, 4) + selection(4, 5, 5, "ask the second coder"))
    ext = read_qdpx(write_qdpx(tmp_path / "p.qdpx", xml))
    assert ext.records[["quote", "code"]].values.tolist() == [["hello", "c"]]
    left_out = [n for n in ext.notes if "left out" in n]
    assert len(left_out) == 3
    assert "selection 50000000-0000-4000-8000-000000000002 in 'P1.txt' left out: its positions 3–99 do not fit" in left_out[0]
    assert "selection 50000000-0000-4000-8000-000000000003" in left_out[1] and "9–4" in left_out[1]
    assert left_out[2] == ("selection 50000000-0000-4000-8000-000000000004 in 'P1.txt' left out: it has no text "
                           "(zero length at position 5); its 1 coding (c) not imported; its memo: "
                           "\"ask the second coder\"")


def group_project(variables: str = "", values: tuple[str, str] = ("", "")) -> str:
    """A focus group from another program: Cases P21 and P22 (ids), each referring to the
    selections of the turns it speaks; the turns are labelled with names, not ids."""
    text = "Facilitator: Welcome.\nMaya: I came for the tea.\nTom: Me too.\nMaya: And the people.\n"
    spans = [(text.index(t), text.index(t) + len(t)) for t in ("I came for the tea.", "Me too.", "And the people.")]
    selections = "".join(f'<PlainTextSelection guid="00000000-0000-0000-0000-00000000000{i}" '
                         f'startPosition="{s}" endPosition="{e}"/>' for i, (s, e) in enumerate(spans, start=1))
    coded = (f'<PlainTextSelection guid="00000000-0000-0000-0000-000000000009" startPosition="{spans[1][0]}" '
             f'endPosition="{spans[1][1]}"><Coding guid="00000000-0000-0000-0000-000000000010">'
             '<CodeRef targetGUID="00000000-0000-0000-0000-0000000000c1"/></Coding></PlainTextSelection>')
    cases = "".join(
        f'<Case guid="00000000-0000-0000-0000-0000000000a{n}" name="{pid}">{value}'
        + "".join(f'<SelectionRef targetGUID="00000000-0000-0000-0000-00000000000{i}"/>' for i in refs) + "</Case>"
        for n, (pid, refs, value) in enumerate([("P21", (1, 3), values[0]), ("P22", (2,), values[1])]))
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="g">
<CodeBook><Codes><Code guid="00000000-0000-0000-0000-0000000000c1" name="together" isCodable="true"/></Codes></CodeBook>
{variables}<Cases>{cases}</Cases>
<Sources><TextSource guid="00000000-0000-0000-0000-0000000000f1" name="FG05.txt">
<PlainTextContent>{text}</PlainTextContent>{selections}{coded}</TextSource></Sources></Project>"""


def test_focus_group_labelled_with_names_gives_each_turn_its_case(tmp_path):
    # The names stand before the turns each case's selections cover: read as that case's labels,
    # and said; the label leaves the turn's text (it used to stay in it, "Maya: I came …").
    ext = read_qdpx(write_qdpx(tmp_path / "g.qdpx", group_project()), LABELS)
    [doc] = ext.documents
    assert [(t.speaker, t.participant_id, t.text) for t in doc.turns] == [
        ("Facilitator", None, "Welcome."), ("Maya", "P21", "I came for the tea."), ("Tom", "P22", "Me too."),
        ("Maya", "P21", "And the people.")]
    assert doc.kind == "focus_group" and doc.participant_id is None
    assert any("speaker label 'Maya' read as case P21" in n for n in ext.notes)
    # the note names the label as the study's redactions leave it (a label may be a real name)
    ext = read_qdpx(tmp_path / "g.qdpx", LABELS, redact=lambda text: text.replace("Maya", "(PSW)"))
    assert any("speaker label '(PSW)' read as case P21" in n for n in ext.notes)
    assert not any("Maya" in n for n in ext.notes)


def test_focus_group_names_from_a_pseudonym_variable_are_not_a_guess(tmp_path):
    variables = ('<Variables><Variable guid="00000000-0000-0000-0000-0000000000b1" name="pseudonym" '
                 'typeOfVariable="Text"/></Variables>')
    value = ('<VariableValue><VariableRef targetGUID="00000000-0000-0000-0000-0000000000b1"/>'
             '<TextValue>{}</TextValue></VariableValue>')
    ext = read_qdpx(write_qdpx(tmp_path / "g.qdpx", group_project(variables, (value.format("Maya"),
                                                                              value.format("Tom")))), LABELS)
    assert [t.participant_id for t in ext.documents[0].turns] == [None, "P21", "P22", "P21"]
    assert not any("read as case" in n for n in ext.notes)
    assert ext.participants.set_index("participant_id")["pseudonym"].to_dict() == {"P21": "Maya", "P22": "Tom"}


def test_the_studys_pseudonyms_stay_labels_when_a_project_has_cases(tmp_path):
    # participants.csv gives Maya -> P21; the project has a case of its own (P23). Adding the
    # project's cases to the labels used to drop the study's pseudonyms, so "Maya:" stayed in
    # the turn's text. "I: Hello.\n" is 10 characters and "Maya: " 6: "hello" is 16-21.
    labels = SpeakerLabels(DEFAULT_SPEAKERS, {"P21", "P22"}, {"Maya": "P21"})
    xml = project(name="FG9.txt", content="<PlainTextContent>I: Hello.\nMaya: hello there</PlainTextContent>",
                  start=16, end=21).replace(
        "<Sources>", '<Cases><Case guid="E0000000-0000-4000-8000-000000000001" name="P23"/></Cases><Sources>', 1)
    ext = read_qdpx(write_qdpx(tmp_path / "p.qdpx", xml), labels)
    [doc] = ext.documents
    assert [(t.speaker, t.participant_id, t.text) for t in doc.turns] == [("I", None, "Hello."),
                                                                          ("Maya", "P21", "hello there")]
    assert ext.records["quote"].tolist() == ["hello"]
