"""Coding import through the path users take: a study folder -> ingest.build.

Fixtures: tests/fixtures/coding (made by make_fixtures.py). Transcript P01 has
eight turns (I, P alternating); its clean text, with redactions.csv (Mary -> (PSW)):

  1 I: How did you first meet your peer worker?
  2 P: Um, it was after hospital. My nurse said there’s this new thing – peer support.
  3 I: And the early meetings?
  4 P: Honestly I was quite flat. She didn't push, she'd just sit with me.
  5 I: Mm-hm.
  6 P: (PSW) came every Thursday [laughs] and that's what did it in the end.
  7 I: Thank you.
  8 P: She didn't push. She just kept coming back.

P02: 1 I: What helped most?  2 P: Being treated as an equal. We laughed a lot, honestly.
     3 I: Anything else?   4 P: Getting the bus into town again after three years. I nearly cried on the bus.
FG01: 1 Facilitator  2 P11: Someone who had been there.  3 P12: A friend with a job.
"""
from __future__ import annotations

import shutil
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

from helpers import study
from helpers.errors import InputError, display_path
from helpers.ingest import config as config_mod
from helpers.ingest import pipeline as ingest

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "coding"
BASE = {"transcripts/P01.txt": FIX / "transcripts" / "P01.txt",
        "transcripts/P02.txt": FIX / "transcripts" / "P02.txt",
        "participants.csv": FIX / "participants.csv"}


def make_study(tmp_path: Path, files: dict, codings: str = "[codings/]", extra_yml: str = "") -> Path:
    root = tmp_path / "study"
    root.mkdir()
    (root / "study.yml").write_text(f"title: Test\ncodings: {codings}\n{extra_yml}", encoding="utf-8")
    for rel, content in files.items():
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy(content, dest)
        else:
            dest.write_text(content, encoding="utf-8")
    return root


def build(root: Path):
    return ingest.build(study.resolve(root), config_mod.load_config(root))


def spans(built, doc_id=None) -> list[str]:
    c = built.codings if doc_id is None else built.codings[built.codings["doc_id"] == doc_id]
    return [built.texts[d][s:e] for d, s, e in zip(c["doc_id"], c["start"], c["end"])]


def segment_text(built, doc_id, seg_no) -> str:
    seg = built.segments
    return seg.loc[(seg["doc_id"] == doc_id) & (seg["seg_no"] == seg_no), "text"].item()


# -- coding sheets -----------------------------------------------------------------------

def test_xlsx_coding_sheet(tmp_path):
    root = make_study(tmp_path, {**BASE, "redactions.csv": FIX / "redactions.csv",
                                 "codings/coding_sheet_AK.xlsx": FIX / "coding_sheet_AK.xlsx"},
                      codings="[{path: codings/coding_sheet_AK.xlsx, coder: AK}]")
    b = build(root)
    c = b.codings
    # rows 2–6 carry 2 + 3 + 2 + 1 + 3 codes ("a; b" and "a\nb" cells are two codes)
    assert list(c["code"]) == ["referred after crisis", "access",
                               "low mood", "psw did not push", "relationship",
                               "psw kept coming", "relationship",
                               "getting out again",
                               "psw did not push", "equal footing", "power"]
    assert list(c["level"]) == ["initial", "theme", "initial", "initial", "theme", "initial", "theme",
                                "initial", "initial", "initial", "theme"]
    # source_row is text in every table (REFI/Taguette give GUIDs, sheets row numbers)
    assert list(c["source_row"]) == ["2", "2", "3", "3", "3", "4", "4", "5", "6", "6", "6"]
    # "Alex" is P01's pseudonym in participants.csv
    assert list(c["participant_id"]) == ["P01"] * 7 + ["P02"] * 4
    assert set(c["coder"]) == {"AK"} and set(c["source"]) == {"codings/coding_sheet_AK.xlsx#Interviews"}
    assert list(c["match"]) == ["exact"] * 5 + ["elided"] * 2 + ["turn"] + ["exact"] * 3
    assert spans(b)[0] == "it was after hospital"
    assert spans(b)[2] == "I was quite flat. She didn't push"             # curly ’ in the sheet
    assert spans(b)[5] == "(PSW) came every Thursday [laughs] and that's what did it in the end"  # Mary ... end
    assert spans(b)[7] == segment_text(b, "P02", 4)                        # by turn: the whole turn
    assert list(c["seg_first"]) == [2, 2, 4, 4, 4, 6, 6, 4, 2, 2, 2]
    assert c.at[0, "memo"] == "first contact"
    sources = b.report_tables["import_sources"].set_index("source")
    row = sources.loc["codings/coding_sheet_AK.xlsx#Interviews"]
    assert (row["rows_read"], row["codings"], row["quotes_exact"], row["quotes_elided"], row["quotes_fuzzy"]) == (5, 11, 3, 1, 0)
    # the Notes sheet's only header "Coding notes" reads as a code column; it lacks the rest
    assert sources.loc["codings/coding_sheet_AK.xlsx#Notes", "note"] == \
        "skipped: no participant or document column, no turn or quote column"


def test_parent_inference_and_added_codes(tmp_path):
    root = make_study(tmp_path, {**BASE, "codings/coding_sheet_AK.xlsx": FIX / "coding_sheet_AK.xlsx"})
    b = build(root)
    book = b.codebook.set_index(["code", "level"])["parent"]
    # each of these sits in rows that carry exactly one theme, always the same one
    assert book[("referred after crisis", "initial")] == "access"
    assert book[("low mood", "initial")] == "relationship"
    assert book[("psw kept coming", "initial")] == "relationship"
    assert book[("equal footing", "initial")] == "power"
    # 'psw did not push' is in row 3 (theme relationship) and row 6 (theme power): ambiguous
    assert book[("psw did not push", "initial")] == ""
    assert ("code 'psw did not push' (initial): parent not inferred — its rows carry different theme codes: "
            "'power' (1 row), 'relationship' (1 row); give its parent in the codebook") in b.warnings
    # row 5 has no theme: nothing to infer from, no warning
    assert book[("getting out again", "initial")] == ""
    assert not any(w.startswith("code 'getting out again'") for w in b.warnings)
    added = b.report_tables["codebook_added"]
    assert list(added["code"]) == ["referred after crisis", "access", "low mood", "psw did not push", "relationship",
                                   "psw kept coming", "getting out again", "equal footing", "power"]
    assert list(added["n_codings"]) == [1, 1, 1, 2, 2, 1, 1, 1, 1]


def test_codebook_parent_wins_over_inference(tmp_path):
    sheet = "Participant,Turn,Initial codes,Theme\nP01,2,psw kept coming,access\n"
    root = make_study(tmp_path, {**BASE, "codebook.csv": FIX / "codebook.csv", "codings/s.csv": sheet})
    b = build(root)
    book = b.codebook.set_index(["code", "level"])
    assert book.loc[("psw kept coming", "initial"), "parent"] == "relationship"   # codebook.csv says so
    assert book.loc[("relationship", "theme"), "colour"] == "#1f77b4"
    assert len(b.report_tables["codebook_added"]) == 0


@pytest.mark.parametrize("header,value", [("participant", "P01"), ("Participant_ID", "P01"), ("Pseudonym", "Alex"),
                                          ("case", "P01"), ("Respondent", "p01"), ("interviewee", "P01"),
                                          ("Name", "Alex")])
def test_case_column_synonyms(tmp_path, header, value):
    root = make_study(tmp_path, {**BASE, "codings/s.csv": f"{header},Turn,Code\n{value},4,x\n"})
    c = build(root).codings
    assert (c.at[0, "doc_id"], c.at[0, "participant_id"], c.at[0, "seg_first"]) == ("P01", "P01", 4)


def test_group_column_names_a_focus_group_and_the_turn_gives_the_participant(tmp_path):
    files = {**BASE, "transcripts/FG01.txt": FIX / "transcripts" / "FG01.txt",
             "codings/s.csv": "Group,Turn,Code\nFG01,3,friend\n"}
    c = build(make_study(tmp_path, files)).codings
    # turn 3 of FG01 is spoken by P12
    assert (c.at[0, "doc_id"], c.at[0, "seg_first"], c.at[0, "participant_id"]) == ("FG01", 3, "P12")


@pytest.mark.parametrize("header", ["document", "Doc", "Transcript", "file", "Interview"])
def test_document_column_synonyms(tmp_path, header):
    root = make_study(tmp_path, {**BASE, "codings/s.csv": f"{header},Quote,Code\nP02,we laughed a lot,x\n"})
    b = build(root)
    assert spans(b) == ["We laughed a lot"] and b.codings.at[0, "seg_first"] == 2


@pytest.mark.parametrize("header", ["seg_no", "Turn", "line", "Paragraph"])
def test_turn_column_synonyms(tmp_path, header):
    b = build(make_study(tmp_path, {**BASE, "codings/s.csv": f"Participant,{header},Code\nP02,2,x\n"}))
    assert spans(b) == ["Being treated as an equal. We laughed a lot, honestly."]


@pytest.mark.parametrize("header", ["quote", "Extract", "excerpt", "Text", "segment"])
def test_text_column_synonyms(tmp_path, header):
    b = build(make_study(tmp_path, {**BASE, "codings/s.csv": f"Participant,{header},Code\nP01,sit with me,x\n"}))
    assert spans(b) == ["sit with me"] and b.codings.at[0, "seg_first"] == 4


def test_code_column_forms_levels_coder_and_memo(tmp_path):
    sheet = ("Participant,Turn,Code,Initial codes,Theme,Sub-theme,Tags,Node,Focused coding,Coder,Notes\n"
             "P01,2,a,b,c,d,e,f,g,RB,a memo\n")
    b = build(make_study(tmp_path, {**BASE, "codings/s.csv": sheet}))
    c = b.codings
    assert list(zip(c["code"], c["level"])) == [("a", ""), ("b", "initial"), ("c", "theme"), ("d", "subtheme"),
                                                ("e", ""), ("f", ""), ("g", "focused")]
    assert set(c["coder"]) == {"RB"} and set(c["memo"]) == {"a memo"}


def test_entry_level_names_unnamed_code_columns_and_coder_defaults(tmp_path):
    sheet = "Participant,Turn,Codes,Theme\nP01,2,a,c\n"
    root = make_study(tmp_path, {**BASE, "codings/first.csv": sheet, "codings/second.csv": sheet},
                      codings="[{path: codings/first.csv, level: Initial Coding, coder: AK}, codings/second.csv]")
    c = build(root).codings
    assert list(zip(c["code"], c["level"], c["coder"])) == [
        ("a", "initial", "AK"), ("c", "theme", "AK"),   # entry level and coder
        ("a", "", "second"), ("c", "theme", "second")]  # no entry: unnamed level, coder = file stem


def test_several_codes_in_a_cell_and_turn_ranges(tmp_path):
    sheet = 'Participant,Turn,Code\nP01,2-4,"a; b\nc"\n'
    b = build(make_study(tmp_path, {**BASE, "codings/s.csv": sheet}))
    c = b.codings
    assert list(c["code"]) == ["a", "b", "c"]
    # turns 2–4: from the start of turn 2 to the end of turn 4
    seg = b.segments.set_index(["doc_id", "seg_no"])
    assert set(c["start"]) == {seg.loc[("P01", 2), "start"]} and set(c["end"]) == {seg.loc[("P01", 4), "end"]}
    assert set(c["seg_first"]) == {2} and set(c["seg_last"]) == {4}


def test_quote_found_twice_with_and_without_turn_hint(tmp_path):
    sheet = "Participant,Turn,Quote,Code\nP01,,She didn't push,x\nP01,8,She didn't push,y\n"
    b = build(make_study(tmp_path, {**BASE, "codings/q.csv": sheet}))
    assert list(b.codings["seg_first"]) == [4, 8]   # first occurrence; the one in the hinted turn
    assert spans(b) == ["She didn't push", "She didn't push"]
    assert [w for w in b.warnings if "found 2 times" in w] == [
        "codings/q.csv row 2: quote found 2 times in P01; took the first (turn 4) — add a turn number to choose"]


def test_fuzzy_quote_listed_for_review(tmp_path):
    sheet = "Participant,Quote,Code\nP02,Getting the bus into town agian after three years,x\n"
    b = build(make_study(tmp_path, {**BASE, "codings/q.csv": sheet}))
    assert spans(b) == ["Getting the bus into town again after three years"]
    fuzzy = b.report_tables["quotes_fuzzy"]
    assert list(fuzzy["matched_text"]) == ["Getting the bus into town again after three years"]
    assert 0.9 <= fuzzy.at[0, "score"] < 1 and b.codings.at[0, "match"] == "fuzzy"


def test_placeholder_in_quote_matches_redacted_text(tmp_path):
    sheet = "Participant,Quote,Code\nP01,(PSW) came every Thursday,x\nP01,Mary came every Thursday,y\n"
    b = build(make_study(tmp_path, {**BASE, "redactions.csv": FIX / "redactions.csv", "codings/q.csv": sheet}))
    assert spans(b) == ["(PSW) came every Thursday"] * 2


def test_near_duplicate_codes_warned_not_merged(tmp_path):
    # a hyphen for a space is punctuation, not a spelling variant: kept apart, warned
    sheet = ("Participant,Turn,Code\nP01,2,PSW as a means of social inclusion\n"
             "P01,4,PSW as a means of social-inclusion\n")
    b = build(make_study(tmp_path, {**BASE, "codings/s.csv": sheet}))
    assert len(b.codings) == 2 and b.codings["code"].nunique() == 2
    table = b.report_tables["codebook_near_duplicates"]
    assert list(table["code"]) == ["PSW as a means of social inclusion", "PSW as a means of social-inclusion"]
    assert list(table["n_codings"]) == [1, 1]
    assert any(w.startswith("codes differing only in case, spacing or punctuation: "
                            "'PSW as a means of social inclusion' / 'PSW as a means of social-inclusion'")
               for w in b.warnings)


def test_codes_differing_in_case_apostrophe_or_dash_are_one_code_said(tmp_path):
    # text is compared normalised: "PSw … Social", "carer’s" and "on–off" are the first spellings
    sheet = ("Participant,Turn,Code\nP01,2,PSW as a means of social inclusion\n"
             "P01,4,PSw as a means of Social inclusion\nP01,4,carer's role\nP01,6,Carer’s role\n"
             "P01,6,on-off\nP01,8,on–off\n")
    b = build(make_study(tmp_path, {**BASE, "codings/s.csv": sheet}))
    assert list(b.codings["code"]) == ["PSW as a means of social inclusion"] * 2 + ["carer's role"] * 2 + ["on-off"] * 2
    merged = [w for w in b.warnings if " taken as " in w]
    assert merged == [
        "code 'PSw as a means of Social inclusion' taken as 'PSW as a means of social inclusion' (same code, spelt "
        "differently in case, spaces, apostrophes or dashes): codings/s.csv row 3 — spell it the same to silence this",
        "code 'Carer’s role' taken as 'carer's role' (same code, spelt differently in case, spaces, apostrophes or "
        "dashes): codings/s.csv row 5 — spell it the same to silence this",
        "code 'on–off' taken as 'on-off' (same code, spelt differently in case, spaces, apostrophes or dashes): "
        "codings/s.csv row 7 — spell it the same to silence this"]


def test_exact_duplicates_kept_and_flagged(tmp_path):
    sheet = "Participant,Turn,Code\nP01,2,x\nP01,2,x\nP01,4,x\n"
    b = build(make_study(tmp_path, {**BASE, "codings/s.csv": sheet}))
    assert list(b.codings["duplicate"]) == [False, True, False]
    assert any(w.startswith("1 coding repeats an earlier one exactly") for w in b.warnings)


# -- refusals ----------------------------------------------------------------------------

def test_bad_rows_refused_one_line_each(tmp_path):
    bad = "Participant,Turn,Code\nP99,2,x\nP01,two,x\nP01,40,x\nP01,2,\n"
    quotes = "Participant,Quote,Code\nP01,this sentence is nowhere in that interview,x\n"
    root = make_study(tmp_path, {**BASE, "codings/a_bad.csv": bad, "codings/b_quotes.csv": quotes})
    with pytest.raises(InputError) as err:
        build(root)
    a, q = display_path(root / "codings" / "a_bad.csv"), display_path(root / "codings" / "b_quotes.csv")
    assert str(err.value).splitlines() == [
        # closest ids by their normalised keys (p99 against p1, p2, p11: the same ratio, listed in order)
        f"error: {a}:row 2: unknown participant 'P99': no transcript or participant matches it (closest: P01, P02, "
        "P11) — correct the id to one of the study's documents or participants, or mark this codings entry "
        "'kind: quote_bank' in study.yml if its quotes have no transcript",
        f"error: {a}:row 3: turn 'two' is not a turn number or range — write a number such as 12 or a range such "
        "as 12-14",
        f"error: {a}:row 4: turn 40 is beyond the last turn (8) of document 'P01' — check the turn number against "
        "the transcript",
        f"error: {a}:row 5: no code in any code column — fill in its codes or delete the row",
        f"error: {q}:row 2: quote not found in P01: \"this sentence is nowhere in that interview\"; no similar "
        "passage (similarity under 0.5) — correct the "
        "quote to match the transcript, or set 'strict: false' on this codings entry in study.yml to list it instead",
    ]


def test_xlsx_errors_name_the_sheet(tmp_path):
    import openpyxl

    root = make_study(tmp_path, BASE)
    wb = openpyxl.Workbook()
    wb.active.title = "Interviews"
    wb.active.append(["Participant", "Turn", "Initial codes"])
    wb.active.append(["P01", 2, "fine"])
    wb.active.append(["P77", 2, "x"])
    (root / "codings").mkdir()
    wb.save(root / "codings" / "sheet.xlsx")
    with pytest.raises(InputError) as err:
        build(root)
    assert str(err.value).splitlines() == [
        f"error: {display_path(root / 'codings' / 'sheet.xlsx')}:Interviews row 3: unknown participant 'P77': no "
        "transcript or participant matches it (closest: P01, P02, P11) — correct the id to one of the study's "
        "documents or participants, or mark this codings entry 'kind: quote_bank' in study.yml if its quotes have "
        "no transcript"]


def test_an_empty_coder_cell_is_said_with_its_rows(tmp_path):
    # rows 3 and 4 of the sheet leave Coder empty: counted as the file name's coder, and said
    sheet = "Participant,Turn,Code,Coder\nP01,2,a,Kim\nP01,2,b,\nP01,3,c,\n"
    root = make_study(tmp_path, {**BASE, "codings/sheet.csv": sheet})
    b = build(root)
    assert list(zip(b.codings["code"], b.codings["coder"])) == [("a", "Kim"), ("b", "sheet"), ("c", "sheet")]
    assert ("rows 3–4 of codings/sheet.csv: no coder given; counted as coder 'sheet' (the file name) — set "
            "'coder:' for this source in study.yml") in b.warnings
    # no coder column: the file name is the coder by design (sheet_Mary.csv), not warned about
    (tmp_path / "b").mkdir()
    root = make_study(tmp_path / "b", {**BASE, "codings/sheet.csv": "Participant,Turn,Code\nP01,2,a\n"})
    assert not [w for w in build(root).warnings if "no coder given" in w]


def test_strict_false_lists_unmatched_quotes(tmp_path):
    quotes = "Participant,Quote,Code\nP01,this sentence is nowhere in that interview,x\nP01,sit with me,y\n"
    root = make_study(tmp_path, {**BASE, "codings/q.csv": quotes}, codings="[{path: codings/q.csv, strict: false}]")
    b = build(root)
    assert list(b.codings["code"]) == ["y"]
    unmatched = b.report_tables["quotes_unmatched"]
    assert list(zip(unmatched["source"], unmatched["row"], unmatched["doc_id"], unmatched["quote"])) == [
        ("codings/q.csv", 2, "P01", "this sentence is nowhere in that interview")]
    assert b.report_tables["import_sources"].at[0, "quotes_unmatched"] == 1
    # never silent: check and ingest print it, with the first quote (issue fix14c, point 1)
    said = [w for w in b.warnings if "not found" in w]
    assert len(said) == 1 and said[0].startswith(
        "1 quote not found (listed in tables/quotes_unmatched.csv), not counted; the first: codings/q.csv row 2: "
        "\"this sentence is nowhere in that interview\" in P01 — ")


def test_unmatched_quote_names_the_closest_passage(tmp_path):
    # "sat with us" (a word changed) is nearest P01 turn 4 "... she'd just sit with me.": the best
    # 11-character window "sit with me" shares s,t,' ',w,i,t,h,' ' (8) with it, so the similarity
    # is 2*8 / (11 + 11) = 0.727, below the default threshold 0.9.
    quotes = "Participant,Quote,Code\nP01,sat with us,x\n"
    root = make_study(tmp_path, {**BASE, "codings/q.csv": quotes}, codings="[{path: codings/q.csv, strict: false}]")
    unmatched = build(root).report_tables["quotes_unmatched"]
    assert unmatched[["closest_doc", "closest_turn", "threshold"]].values.tolist() == [["P01", 4, 0.9]]
    assert unmatched.at[0, "note"] == "closest passage in P01 turn 4, similarity 0.73, below the threshold 0.9"
    (tmp_path / "strict").mkdir()
    strict = make_study(tmp_path / "strict", {**BASE, "codings/q.csv": quotes}, codings="[codings/q.csv]")
    with pytest.raises(InputError) as err:
        build(strict)
    assert ('quote not found in P01: "sat with us"; closest passage in P01 turn 4, similarity 0.73, below the '
            "threshold 0.9 — correct the quote") in str(err.value)


# -- Word coding tables ----------------------------------------------------------------------

def test_word_table_stands_in_for_missing_transcript(tmp_path):
    root = make_study(tmp_path, {**BASE, "codings/P09_coding_table.docx": FIX / "P09_coding_table.docx"})
    b = build(root)
    seg = b.segments[b.segments["doc_id"] == "P09"]
    # the header row repeated on "page 2" is skipped; the speaker-less row 4 continues turn 2
    assert list(seg["text"]) == ["Thanks for meeting me.", "I was on the ward when they offered it. I said yes straight away.",
                                 "What was it like?", "Like talking to a mate who gets it."]
    assert list(seg["speaker_role"]) == ["interviewer", "participant", "interviewer", "participant"]
    c = b.codings[b.codings["doc_id"] == "P09"]
    assert list(zip(c["code"], c["level"], c["seg_first"], c["source_row"])) == [
        ("referred at crisis point", "initial", 2, "3"), ("access and referral", "focused", 2, "3"),
        ("said yes quickly", "initial", 2, "4"),
        ("felt like a friend", "initial", 4, "7"), ("no need to explain myself", "initial", 4, "7"),
        ("relationship", "focused", 4, "7")]
    assert set(c["match"]) == {"table"} and set(c["source"]) == {"codings/P09_coding_table.docx#table1"}
    assert set(c["participant_id"]) == {"P09"} and set(c["coder"]) == {"P09_coding_table"}
    assert spans(b, "P09")[0] == "I was on the ward when they offered it. I said yes straight away."
    doc = b.documents.set_index("doc_id").loc["P09"]
    assert (doc["kind"], doc["format"], doc["source_file"]) == ("coding_table", "docx", "codings/P09_coding_table.docx")
    book = b.codebook.set_index(["code", "level"])["parent"]
    # each initial code's turn carries exactly one focused code
    assert book[("said yes quickly", "initial")] == "access and referral"
    assert book[("no need to explain myself", "initial")] == "relationship"


def test_word_table_without_header_infers_columns(tmp_path):
    root = make_study(tmp_path, {**BASE, "codings/P10_coding.docx": FIX / "P10_coding.docx"},
                      codings="[{path: codings/P10_coding.docx, level: initial}]")
    b = build(root)
    # speaker column: short cells 'I'/'P'; utterance: the longest text; the rest: codes
    assert list(b.segments.loc[b.segments["doc_id"] == "P10", "speaker"]) == ["I", "P", "I", "P"]
    c = b.codings
    assert list(zip(c["code"], c["level"], c["seg_first"])) == [("did not know what a psw was", "initial", 2),
                                                                 ("understanding grew", "initial", 4)]


def test_word_table_for_existing_transcript_aligns_utterances(tmp_path):
    root = make_study(tmp_path, {**BASE, "codings/P02_coding.docx": FIX / "P02_coding.docx"})
    b = build(root)
    assert sorted(b.documents["doc_id"]) == ["P01", "P02"]   # no stand-in document
    # a span runs from the first matched word to the last: the final full stop is not a word
    assert spans(b) == ["Being treated as an equal. We laughed a lot, honestly"]
    assert (b.codings.at[0, "match"], b.codings.at[0, "seg_first"], b.codings.at[0, "level"]) == ("exact", 2, "")


def test_load_study_from_a_single_word_table(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSCRIPT_THEMES_HOME", str(tmp_path / "home"))
    root = make_study(tmp_path, {"codings/P09_coding_table.docx": FIX / "P09_coding_table.docx"})
    from helpers import load_study

    s = load_study(root)
    assert list(s.segments["seg_no"]) == [1, 2, 3, 4] and set(s.segments["doc_id"]) == {"P09"}
    assert list(zip(s.codings["code"], s.codings["level"])) == [
        ("referred at crisis point", "initial"), ("access and referral", "focused"), ("said yes quickly", "initial"),
        ("felt like a friend", "initial"), ("no need to explain myself", "initial"), ("relationship", "focused")]


# -- quote banks ---------------------------------------------------------------------------

def test_quote_bank_makes_pseudo_documents(tmp_path):
    # P20 and P21 have no transcript and are not in participants.csv: in a study with
    # transcripts that is a quote bank only when the entry says so (issue 13, point 5)
    root = make_study(tmp_path, {**BASE, "codings/quote_bank.csv": FIX / "quote_bank.csv"},
                      codings="[{path: codings/quote_bank.csv, kind: quote_bank}]")
    b = build(root)
    docs = b.documents.set_index("doc_id")
    assert (docs.loc["P20", "kind"], docs.loc["P20", "format"], docs.loc["P20", "n_segments"]) == ("quote_bank", "quote-bank", 2)
    assert docs.loc["P21", "n_segments"] == 1
    # the repeated quote (rows 2 and 5) is one turn carrying both codes
    c = b.codings
    assert list(zip(c["doc_id"], c["seg_first"], c["code"], c["match"])) == [
        ("P20", 1, "hesitant start", "turn"), ("P20", 2, "self-referral", "turn"),
        ("P21", 1, "being heard", "turn"), ("P20", 1, "waiting", "turn")]
    assert spans(b)[0] == "I kept the leaflet for months."
    seg = b.segments[b.segments["doc_id"] == "P20"]
    assert set(seg["speaker_role"]) == {"participant"} and set(seg["participant_id"]) == {"P20"}
    assert {"P20", "P21"} <= set(b.participants["participant_id"])


# -- external readers (REFI-QDA / Taguette hook) ------------------------------------------------

def test_unsupported_external_file_is_refused(tmp_path, monkeypatch):
    from helpers.ingest import coding

    monkeypatch.setitem(coding.EXTERNAL_READERS, ".fakeqda", ("helpers.interop.no_such_module", "read"))
    root = make_study(tmp_path, {**BASE, "codings/project.fakeqda": "x"})
    with pytest.raises(InputError) as err:
        build(root)
    assert str(err.value) == (f"error: {display_path(root / 'codings' / 'project.fakeqda')}: unsupported file: "
                              ".fakeqda codings cannot be read by this version — export the coding as a coding "
                              "sheet (.xlsx/.csv) or remove the file from codings")


def test_external_records_are_aligned_with_offset_hints(tmp_path, monkeypatch):
    from helpers.ingest import coding
    from helpers.ingest.transcripts import RawDocument, Turn

    calls = []

    def read_fake(path, redact=None):
        calls.append(path)
        source = RawDocument("S1", Path(path), "fake", "refi",
                             [Turn("", "Alpha beta gamma. Alpha beta gamma again.", role="participant",
                                   participant_id="S1")])
        records = pd.DataFrame([
            # "Alpha beta gamma" twice in S1; the selection offset 18 points at the second
            {"doc_id": "S1", "quote": "Alpha beta gamma", "hint_offset": 18, "code": "greek", "level": "",
             "coder": "ZZ", "memo": None, "source": "project.fakeqda", "source_row": 1},
            {"doc_id": "P01", "quote": "sit with me", "hint_offset": None, "code": "company", "level": "Theme",
             "coder": None, "memo": "m", "source": "project.fakeqda", "source_row": 2},
        ])
        book = pd.DataFrame({"code": ["greek"], "parent": [""], "level": [""], "description": ["letters"],
                             "colour": ["#000000"]})
        people = pd.DataFrame({"participant_id": ["S1"], "gender": ["x"]})
        return coding.ExternalCodings(documents=[source], records=records, codebook=book, participants=people,
                                      notes=["one note"])

    module = types.ModuleType("fake_interop")
    module.read_fake = read_fake
    monkeypatch.setitem(sys.modules, "fake_interop", module)
    monkeypatch.setitem(coding.EXTERNAL_READERS, ".fakeqda", ("fake_interop", "read_fake"))
    root = make_study(tmp_path, {**BASE, "codings/project.fakeqda": "x"})
    b = build(root)
    assert len(calls) == 1   # read once, used for documents and records
    c = b.codings
    # S1's clean text has no speaker prefix: "Alpha beta gamma. Alpha beta gamma again." -> second at 18
    assert list(zip(c["doc_id"], c["code"], c["start"], c["match"])) == [("S1", "greek", 18, "refi"),
                                                                          ("P01", "company", c.at[1, "start"], "exact")]
    assert spans(b) == ["Alpha beta gamma", "sit with me"]
    assert list(c["level"]) == ["", "theme"] and list(c["coder"]) == ["ZZ", "project"]
    assert b.codebook.set_index("code").loc["greek", "description"] == "letters"
    assert b.participants.set_index("participant_id").loc["S1", "gender"] == "x"
    assert "codings/project.fakeqda: one note" in b.warnings


def test_a_row_naming_one_participant_with_a_quote_in_anothers_turn_is_said(tmp_path):
    """A sheet row said P11 while its quote lies in P12's turn of the focus group: the coding
    counted for P12 without a word (a fresh user's focus group, where a speaker label was not
    read, gave four such codings to the wrong person). Counted for the turn's speaker, and said."""
    files = {**BASE, "transcripts/FG01.txt": FIX / "transcripts" / "FG01.txt",
             "codings/s.csv": ("Participant,Document,Quote,Code\nP11,FG01,A friend with a job,friend\n"
                               "P12,FG01,A friend with a job,job\nP11,FG01,Someone who had been there,been\n")}
    built = build(make_study(tmp_path, files))
    c = built.codings.set_index("code")
    assert c.loc["friend", "participant_id"] == "P12" and c.loc["been", "participant_id"] == "P11"
    said = [w for w in built.warnings if "one participant while" in w]
    assert said == ["codings/s.csv: 1 row names one participant while the quote or turn is another participant's "
                    "(row 2 names P11, in P12's turn 3 of FG01); counted for the speaker of the turn — check the "
                    "participant column, the quote, and the speaker labels of the transcript"]


def test_a_transcript_named_otherwise_is_its_only_known_speakers(tmp_path):
    """interview_lee.txt, where Lee (P12 in participants.csv) is the only participant who
    speaks, became a participant "interview_lee" of its own (said only as "participants.csv
    lacks interview_lee"): a phantom participant. It is Lee's, and check says how it was mapped."""
    files = {**BASE, "transcripts/interview_lee.txt": "I: How was it?\nLee: A friend with a job.\nI: Thanks.\n",
             "codings/s.csv": "Document,Turn,Code\ninterview_lee,2,friend\n"}
    built = build(make_study(tmp_path, files))
    assert built.documents.set_index("doc_id").loc["interview_lee", "participant_id"] == "P12"
    assert "interview_lee" not in set(built.participants["participant_id"])
    assert not [w for w in built.warnings if "lacks" in w]
    assert built.codings.loc[0, "participant_id"] == "P12"
    # a transcript named after a participant stays theirs, whoever else speaks
    files = {**BASE, "codings/s.csv": "Document,Turn,Code\nP01,2,x\n"}
    (tmp_path / "b").mkdir()
    assert build(make_study(tmp_path / "b", files)).documents.set_index("doc_id").loc["P01", "participant_id"] == "P01"
