"""The cases of ../shared/cases/files/ (issue 13): transcripts and coding sheets as
researchers really have them, through the entry points users call
(``helpers.load_study``, ``python -m helpers check``).

Each case's expected.md gives the turns, speakers, texts and codings (or the one
error) below; every value was read off the case's own files by hand. The cases are
not copied into the repository: a test skips, saying why, when they are absent.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import REPO, run_cli

import helpers

CASES = REPO.parent / "shared" / "cases" / "files"


def case_study(name: str, home: Path, yml: str | None = None) -> Path:
    """A copy of case ``name`` under the throw-away project's data/raw/ (the
    case folder itself is never written to); ``yml`` replaces its study.yml."""
    source = CASES / name
    if not source.is_dir():
        pytest.skip(f"case {name} not found under {CASES} (the shared cases are not part of the repository)")
    root = home / "data" / "raw" / name
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("expected.md", "HOW.txt"))
    if yml is not None:
        (root / "study.yml").write_text(yml, encoding="utf-8")
    return root


def turns(study, doc_id: str) -> list[tuple[str, str, str]]:
    seg = study.segments[study.segments["doc_id"] == doc_id].sort_values("seg_no")
    return list(zip(seg["speaker"], seg["speaker_role"], seg["text"]))


def codings(study) -> list[tuple]:
    c = study.codings
    return sorted(zip(c["doc_id"], c["seg_first"].astype(int), c["code"], c["level"]))


def check(root: Path, home: Path):
    result = run_cli("check", str(root), home=home)
    return result.returncode, result.stderr


# -- Word transcripts ---------------------------------------------------------------------

def test_docx_content_controls_keep_every_turn(project_home):
    root = case_study("docx_content_controls", project_home)
    s = helpers.load_study(root)
    assert turns(s, "P01") == [
        ("Interviewer", "interviewer", "Can you tell me about your week?"),
        ("Participant", "participant", "It was busy, I saw my peer worker twice."),
        ("Interviewer", "interviewer", "How did that go?"),
        ("Participant", "participant", "Better than I expected. We met in the cafe by the station and just talked."),
    ]
    code, err = check(root, project_home)
    assert code == 0 and "not in the clean text" not in err


def test_docx_tracked_changes_accepted_and_said(project_home):
    root = case_study("docx_tracked_changes", project_home)
    s = helpers.load_study(root)
    texts = [t for _, _, t in turns(s, "P02")]
    assert "At first I didn't trust [PSW] at all, but she kept coming back even when I told her to go away." in texts
    assert turns(s, "P02")[-1] == ("P", "participant", "And that was what changed it for me.")
    assert "Mary" not in s.text("P02")
    code, err = check(root, project_home)
    # <w:del> "Mary"; <w:ins> "[PSW]", " even when I told her to go away" and the last paragraph
    assert code == 0 and ("warning: transcripts/P02.docx: tracked changes accepted, as Word shows the final text: "
                          "3 insertions kept, 1 deletion left out") in err


# -- captions -------------------------------------------------------------------------------

def test_vtt_two_voices_in_one_cue_are_two_turns(project_home):
    root = case_study("vtt_two_voices_one_cue", project_home)
    s = helpers.load_study(root)
    assert [(sp, t) for sp, _, t in turns(s, "P01")] == [
        ("Interviewer", "Did the group help you?"), ("Participant", "Yes, more than I expected."),
        ("Interviewer", "In what way?"), ("Participant", "I stopped feeling alone."),
        ("Interviewer", "Mm-hm."), ("Participant", "And I went back to work.")]
    # cue 3 starts at 00:00:07.500: both its turns start then
    assert list(s.segments["start_time"]) == [1.0, 1.0, 4.5, 7.5, 7.5, 11.5]


def test_srt_with_a_leading_blank_line_reads(project_home):
    root = case_study("srt_leading_blank_line", project_home)
    s = helpers.load_study(root)
    assert [(sp, t) for sp, _, t in turns(s, "P01")] == [
        ("Interviewer", "Thanks for coming in today."), ("Participant", "It was a long way on the bus."),
        ("Interviewer", "Why was that?")]


# -- speakers ---------------------------------------------------------------------------------

def test_interviewee_label_is_the_participant(project_home):
    root = case_study("interviewee_label", project_home)
    s = helpers.load_study(root)
    assert [role for _, role, _ in turns(s, "P01")] == ["interviewer", "participant"] * 2
    assert turns(s, "P01")[1][2] == "It was on the ward, she came over and just sat with me."


def test_focus_group_labelled_with_pseudonyms(project_home):
    root = case_study("focus_group_pseudonyms", project_home)
    s = helpers.load_study(root)
    seg = s.segments.sort_values("seg_no")
    assert list(seg["speaker"]) == ["Facilitator", "Dave", "Sue", "Ade", "Facilitator", "Sue"]
    assert list(seg["participant_id"].fillna("-")) == ["-", "P11", "P12", "P13", "-", "P12"]
    assert list(seg["speaker_role"]) == ["interviewer", "participant", "participant", "participant", "interviewer",
                                         "participant"]
    assert list(s.documents["doc_id"]) == ["FG1"] and s.documents["kind"].tolist() == ["focus_group"]
    assert sorted(s.participants["participant_id"]) == ["P11", "P12", "P13"]
    # Sue's quote is in turn 6, Dave's in turn 2, Ade's in turn 4
    assert codings(s) == [("FG1", 2, "lived experience", ""), ("FG1", 4, "lived experience", ""),
                          ("FG1", 6, "endings", "")]
    assert sorted(s.codings["participant_id"]) == ["P11", "P12", "P13"]


def test_title_lines_are_not_turns(project_home):
    root = case_study("transcript_title_lines", project_home)
    s = helpers.load_study(root)
    assert [role for _, role, _ in turns(s, "P01")] == ["interviewer", "participant"] * 2
    assert turns(s, "P01")[0][2] == "How did things start with your peer worker?"
    c = s.codings.set_index("code")
    assert (int(c.loc["mistrust", "seg_first"]), int(c.loc["persistence", "seg_first"])) == (2, 4)
    assert s.text("P01").startswith("I: How did things start")
    code, err = check(root, project_home)
    assert code == 0 and ("warning: transcripts/P01.txt: lines 1–2 before the first speaker label kept out of the "
                          "turns as a header (a title or transcriber's note); turn 1 is line 4") in err


# -- files it cannot read ---------------------------------------------------------------------

def test_doc_is_refused_by_name_and_rtf_is_read(project_home):
    root = case_study("unreadable_formats", project_home)
    code, err = check(root, project_home)
    assert code == 2
    assert err.strip().splitlines() == [
        f"error: {root}/transcripts/P04.doc: an old Word .doc file cannot be read — open it in Word and save it as "
        ".docx (File > Save As > Word Document)"]
    (root / "transcripts" / "P04.doc").unlink()
    s = helpers.load_study(root)
    assert sorted(s.documents["doc_id"]) == ["P01", "P02", "P03"]
    assert [(sp, t) for sp, _, t in turns(s, "P02")] == [("I", "How did you meet your peer worker?"),
                                                         ("P", "On the ward.")]
    assert len(turns(s, "P03")) == 6 and s.documents.set_index("doc_id").loc["P03", "format"] == "txt"


# -- coding sheets ----------------------------------------------------------------------------

def test_semicolon_sheet_from_excel_imports_every_coding(project_home):
    root = case_study("csv_semicolon_excel_locale", project_home)
    s = helpers.load_study(root)
    assert codings(s) == [("P01", 2, "access", ""), ("P01", 4, "fear", ""), ("P01", 4, "relief", ""),
                          ("P01", 6, "acceptance", ""), ("P02", 2, "access", ""), ("P02", 4, "delay", "")]
    sources = s.paths.tables / "import_sources.csv"
    import pandas as pd
    note = pd.read_csv(sources)["note"].iloc[0]
    # "participant;turn;code" has no byte above 127: ASCII is read as UTF-8
    assert note == "read as utf-8, semicolon-separated"


def test_codes_in_one_cell_split_on_the_entrys_separator(project_home):
    yml = 'title: Commas\ncodings:\n  - {path: codings/sheet.csv, code_separator: ","}\n'
    root = case_study("codes_in_one_cell", project_home, yml)
    s = helpers.load_study(root)
    c = s.codings[~s.codings["duplicate"]]
    assert sorted(zip(c["seg_first"], c["code"])) == [(2, "mistrust"), (4, "persistence"), (4, "turning point"),
                                                     (6, "disclosure"), (6, "mistrust")]
    # row 5 "Disclosure " is the same code as row 4's "disclosure", on the same turn: flagged, counted once
    dup = s.codings[s.codings["duplicate"]]
    assert list(zip(dup["code"], dup["source_row"].astype(int))) == [("disclosure", 5)]
    assert helpers.code_frequencies(s).set_index("code").loc["disclosure", "segments"] == 1
    code, err = check(root, project_home)
    assert "warning: code 'Disclosure' taken as 'disclosure'" in err


def test_codes_in_one_cell_without_the_setting_are_warned(project_home):
    root = case_study("codes_in_one_cell", project_home)
    code, err = check(root, project_home)
    assert code == 0
    assert ("warning: codings/sheet.csv rows 3, 4: cells look like comma-separated lists of codes ('persistence, "
            "turning point', 'disclosure, mistrust'), imported as one code each — if they are lists, add "
            "code_separator: \",\" to this codings entry in study.yml") in err


def test_participant_id_variants_match_the_transcripts(project_home):
    root = case_study("participant_id_variants", project_home)
    s = helpers.load_study(root)
    assert sorted(s.participants["participant_id"]) == ["P01", "P02"]
    assert sorted(s.documents["doc_id"]) == ["P01", "P02"]
    # quotes: P01 turn 2 "I didn't trust her…", P01 turn 4 "she kept coming back", P02 turn 6 "She told me…"
    assert codings(s) == [("P01", 2, "mistrust", ""), ("P01", 4, "persistence", ""), ("P02", 6, "disclosure", "")]
    code, err = check(root, project_home)
    assert ("warning: codings/sheet.csv: ids matched by normalising (case, leading zeros, file extension, "
            "surrounding words): 'P1' -> P01 (1 row), 'P2' -> P02 (1 row)") in err


def test_word_coding_table_heading_rows_are_skipped(project_home):
    root = case_study("word_coding_table_merged_heading_rows", project_home)
    s = helpers.load_study(root)
    assert [role for _, role, _ in turns(s, "P03")] == ["interviewer", "participant"] * 2
    assert codings(s) == [("P03", 2, "access", "focused"), ("P03", 2, "referred by nurse", "initial"),
                          ("P03", 4, "emotional shift", "focused"), ("P03", 4, "fear then relief", "initial")]
    code, err = check(root, project_home)
    assert ("warning: codings/P03_coding_table.docx#table1: 2 section-heading rows merged across the table "
            "skipped (row 2, row 5): not turns, speakers or codes") in err


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir()) if CASES.is_dir() else [])
def test_every_case_passes_the_conservation_check(project_home, case):
    """No case loses a word between its reader and the clean text (strict: an error)."""
    root = case_study(case, project_home)
    yml = (root / "study.yml").read_text(encoding="utf-8") + "strict: true\n"
    (root / "study.yml").write_text(yml, encoding="utf-8")
    if case == "unreadable_formats":
        (root / "transcripts" / "P04.doc").unlink()
    code, err = check(root, project_home)
    assert code == 0, err
    assert "not in the clean text" not in err
