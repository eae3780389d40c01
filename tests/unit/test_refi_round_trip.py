"""Export -> import gives the same study (issue 14, point 2): documents, participants, codings
(code, level, coder, span, memo) and codebook, on the demo (eight interviews and the focus group
FG01) and on a small focus-group study with two codes of one name at two levels and an exact
duplicate coding.

The re-import is a new study whose only input is the exported .qdpx (plus the same study.yml
levels and speakers: the study decides those), built with ``helpers.ingest.pipeline.build`` as
``python -m helpers check`` does.
"""
from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers.ingest.config import load_config
from helpers.ingest.pipeline import build
from helpers.interop.refi import export_qdpx, export_summary
from helpers.study import Study, resolve

REPO = Path(__file__).resolve().parents[2]
PEERS = REPO.parent / "shared" / "peers"


def built(folder: Path):
    paths = resolve(folder)
    return build(paths, load_config(paths.raw))


def as_study(b) -> Study:
    return Study.from_tables(segments=b.segments, codings=b.codings, codebook=b.codebook,
                             participants=b.participants, documents=b.documents, texts=b.texts,
                             title=b.config.title)


def reimport(b, tmp_path: Path) -> tuple:
    """Export ``b`` and build a new study from the .qdpx alone; returns (re-built, counts)."""
    folder = tmp_path / "again"
    (folder / "codings").mkdir(parents=True)
    counts = export_qdpx(as_study(b), folder / "codings" / "project.qdpx")
    config = {"title": b.config.title, "levels": list(b.config.levels), "speakers": b.config.speakers}
    (folder / "study.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return built(folder), counts


CODING_KEY = ["doc_id", "participant_id", "code", "level", "coder", "start", "end", "seg_first", "seg_last",
              "memo", "duplicate"]


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    part = frame[columns].astype(object).where(frame[columns].notna(), None)
    return sorted(map(tuple, part.values.tolist()), key=repr)


def assert_same_study(a, b) -> None:
    assert b.texts == a.texts
    # every column but where it was read from (source_file, sha256, encoding: now the .qdpx)
    docs = ["doc_id", "participant_id", "kind", "format", "n_segments", "n_words", "n_participant_words"]
    assert rows(b.documents, docs) == rows(a.documents, docs)
    seg = ["doc_id", "seg_no", "participant_id", "speaker_role", "speaker", "start", "end", "text", "n_words",
           "start_time"]
    assert rows(b.segments, seg) == rows(a.segments, seg)
    assert rows(b.codings, CODING_KEY) == rows(a.codings, CODING_KEY)
    book = ["code", "level", "parent", "description"]
    assert rows(b.codebook, book) == rows(a.codebook, book)
    people = sorted(a.participants.columns)
    assert sorted(b.participants.columns) == people
    assert rows(b.participants.astype(str), people) == rows(a.participants.astype(str), people)


def test_demo_round_trip(tmp_path):
    shutil.copytree(REPO / "data" / "raw" / "demo", tmp_path / "demo")
    original = built(tmp_path / "demo")
    again, counts = reimport(original, tmp_path)
    assert counts["codings"] == len(original.codings) and counts["codings_skipped"] == 0
    assert_same_study(original, again)


FOCUS_GROUP = """Facilitator: Welcome, everyone. What brought you here?
P11: My CPN said it might help!!! I wasn't sure 😬.
P12: Same for me... honestly, I was scared.
Facilitator: And now?
P11: Now I look forward to it.
P12: It's the best part of my week 🙂
"""
SHEET = """participant,turn,initial code,focused code,theme,code,coder,memo
FG02,2,hope,,,,AK,
FG02,2,hope,,,,AK,
FG02,2,,,hope,,AK,the theme of the same name
FG02,3,fear,,,,AK,
FG02,5-6,hope,,,,RB,both
FG02,6,,belonging,,,RB,
FG02,5,,,,fear,RB,
"""
CODEBOOK = """code,parent,level,description
hope,,theme,Looking forward
hope,hope,initial,Said hopeful things
fear,,initial,Said fearful things
belonging,hope,focused,
"""


def focus_group_study(tmp_path: Path) -> Path:
    root = tmp_path / "fg"
    (root / "transcripts").mkdir(parents=True)
    (root / "codings").mkdir()
    (root / "transcripts" / "FG02.txt").write_text(FOCUS_GROUP, encoding="utf-8")
    (root / "codings" / "sheet.csv").write_text(SHEET, encoding="utf-8")
    (root / "codebook.csv").write_text(CODEBOOK, encoding="utf-8")
    (root / "participants.csv").write_text("participant_id,age\nP11,34\nP12,51\n", encoding="utf-8")
    (root / "study.yml").write_text("title: focus group\nlevels: [initial, focused, theme]\n", encoding="utf-8")
    return root


def test_focus_group_round_trip_with_levels_same_names_and_duplicates(tmp_path):
    original = built(focus_group_study(tmp_path))
    # By hand: 7 codings, one an exact duplicate (row 3 of the sheet repeats row 2); "hope" at two
    # levels; "fear" applied once with no level (the codebook's one "fear"); P11 speaks turns 2 and 5.
    assert len(original.codings) == 7 and int(original.codings["duplicate"].sum()) == 1
    assert sorted(original.codebook.loc[original.codebook["code"] == "hope", "level"]) == ["initial", "theme"]
    assert sorted(original.codings.loc[original.codings["code"] == "fear", "level"]) == ["", "initial"]
    assert len(original.codebook) == 4
    again, counts = reimport(original, tmp_path)
    assert counts["codings"] == 7 and counts["levels"] == 3 and counts["turn_selections"] == 4
    assert_same_study(original, again)
    turns = again.segments.set_index("seg_no")["participant_id"].to_dict()
    assert turns == {1: None, 2: "P11", 3: "P12", 4: None, 5: "P11", 6: "P12"}


PSEUDONYM_GROUP = """Focus group 3, transcribed by the study team
Facilitator: Welcome, everyone. What brought you here?
[00:00:05] Maya: My CPN said it might help!!! I wasn't sure 😬.
[00:00:12] Tom O'Neill: Same for me... honestly,
I was scared.
Facilitator (00:00:40): And now?
Maya (00:01:02.500): Now I look forward to it.
Tom O'Neill: It's the best part of my week 🙂
"""
PSEUDONYM_SHEET = """document,turn,code,coder
FG03,2,hope,AK
FG03,3,fear,AK
FG03,5-6,hope,RB
"""


def pseudonym_group_study(tmp_path: Path) -> Path:
    """A focus group whose turns are labelled with pseudonyms (participants.csv 'pseudonym'), with
    timestamps before and after the labels, a header line and a turn over two lines."""
    root = tmp_path / "pseudonyms"
    (root / "transcripts").mkdir(parents=True)
    (root / "codings").mkdir()
    (root / "transcripts" / "FG03.txt").write_text(PSEUDONYM_GROUP, encoding="utf-8")
    (root / "codings" / "sheet.csv").write_text(PSEUDONYM_SHEET, encoding="utf-8")
    (root / "participants.csv").write_text("participant_id,pseudonym,age\nP21,Maya,34\nP22,Tom O'Neill,51\n",
                                           encoding="utf-8")
    (root / "study.yml").write_text("title: pseudonyms\n", encoding="utf-8")
    return root


def test_focus_group_labelled_with_pseudonyms_round_trips(tmp_path):
    original = built(pseudonym_group_study(tmp_path))
    # By hand: six turns; Maya (P21) speaks 2 and 5, Tom O'Neill (P22) 3 and 6; turn 3 runs over
    # two lines; start times 5 s, 12 s, 40 s, 62.5 s; a focus group read from a .txt.
    segments = original.segments.set_index("seg_no")
    assert segments["participant_id"].to_dict() == {1: None, 2: "P21", 3: "P22", 4: None, 5: "P21", 6: "P22"}
    assert segments["speaker"].to_dict() == {1: "Facilitator", 2: "Maya", 3: "Tom O'Neill", 4: "Facilitator",
                                             5: "Maya", 6: "Tom O'Neill"}
    assert segments["start_time"].dropna().to_dict() == {2: 5.0, 3: 12.0, 4: 40.0, 5: 62.5}
    assert original.documents[["kind", "format"]].values.tolist() == [["focus_group", "txt"]]
    assert len(original.codings) == 3
    again, counts = reimport(original, tmp_path)
    assert counts["codings"] == 3 and counts["turn_selections"] == 5   # 4 speakers' turns + the timed turn 4
    assert_same_study(original, again)
    assert not any("Maya:" in text for text in again.segments["text"])
    assert any("the kind and format of 1 document, the start times of 4 turns" in w for w in again.warnings)
    assert export_summary(counts) == (
        "1 document, 2 participants, 2 codes, 3 codings in 3 coded selections; 5 uncoded turn selections: "
        "4 for focus-group cases (who speaks each turn), 4 carrying turns' start times (a turn may be both)")


def test_round_trip_export_is_valid_against_the_project_schema(tmp_path):
    xmlschema = pytest.importorskip("xmlschema")
    if not PEERS.is_dir():
        pytest.skip(f"../shared/peers not present: the REFI-QDA schema is expected at {PEERS}")
    schema = xmlschema.XMLSchema(str(PEERS / "refi-qda" / "schemas" / "Project.xsd"))
    shutil.copytree(REPO / "data" / "raw" / "demo", tmp_path / "demo")
    export_qdpx(as_study(built(tmp_path / "demo")), tmp_path / "demo.qdpx")
    # and the focus group: uncoded turn selections, SelectionRefs, level sets, a code as applied
    export_qdpx(as_study(built(focus_group_study(tmp_path))), tmp_path / "fg.qdpx")
    export_qdpx(as_study(built(pseudonym_group_study(tmp_path))), tmp_path / "pseudonyms.qdpx")
    for name in ["demo.qdpx", "fg.qdpx", "pseudonyms.qdpx"]:
        with zipfile.ZipFile(tmp_path / name) as archive:
            schema.validate(io.BytesIO(archive.read("project.qde")))


def test_export_command_says_what_it_wrote_and_round_trips(tmp_path, monkeypatch, capsys):
    # python -m helpers export <study> --to qdpx <file>, then the file as a new study's codings.
    from helpers.__main__ import run

    monkeypatch.setenv("TRANSCRIPT_THEMES_HOME", str(tmp_path / "home"))
    root = focus_group_study(tmp_path)
    assert run(["export", str(root), "--to", "qdpx", str(tmp_path / "fg.qdpx")]) == 0
    out = capsys.readouterr().out
    # each number said for what it is: 7 codings on 5 spans (turns 2, 3, 5-6, 6, 5), and the 4
    # turns P11 and P12 speak as selections of their own, with no coding
    assert f"exported fg -> {tmp_path / 'fg.qdpx'}: 1 document, 2 participants, 4 codes, 7 codings in 5 coded " \
           "selections; 4 uncoded turn selections: 4 for focus-group cases (who speaks each turn)\n" in out
    again = tmp_path / "again"
    (again / "codings").mkdir(parents=True)
    shutil.copy(tmp_path / "fg.qdpx", again / "codings" / "fg.qdpx")
    (again / "study.yml").write_text("title: focus group\nlevels: [initial, focused, theme]\n", encoding="utf-8")
    assert_same_study(built(root), built(again))


INTERVIEW = """I: How has the group been?
P: Tired at first. Then hopeful, honestly.
I: And now?
P: I look forward to Tuesdays.
"""
PRIMARY_SHEET = """participant,turn,code
P05,2,hope
P05,4,hope
P05,2,fatigue
"""
RELIABILITY_SHEET = """participant,turn,code
P05,2,hope
P05,4,fatigue
"""


def test_an_agreement_coder_round_trips_as_agreement(tmp_path):
    # Two coders of one interview: AK (analysis) codes hope twice and fatigue once; RB
    # (use: agreement, a reliability coder) codes hope once and fatigue once. By hand, the
    # frequencies count AK only: hope 2, fatigue 1. Re-imported from the .qdpx alone, RB must
    # still be an agreement coder (else hope 3, fatigue 2).
    from helpers.analysis.frequency import code_frequencies

    root = tmp_path / "two"
    (root / "transcripts").mkdir(parents=True)
    (root / "codings").mkdir()
    (root / "transcripts" / "P05.txt").write_text(INTERVIEW, encoding="utf-8")
    (root / "codings" / "ak.csv").write_text(PRIMARY_SHEET, encoding="utf-8")
    (root / "codings" / "rb.csv").write_text(RELIABILITY_SHEET, encoding="utf-8")
    (root / "study.yml").write_text("title: two coders\ncodings:\n  - {path: codings/ak.csv, coder: AK}\n"
                                    "  - {path: codings/rb.csv, coder: RB, use: agreement}\n", encoding="utf-8")
    original = built(root)
    uses = ["coder", "code", "start", "end", "use"]
    assert sorted(original.codings.groupby("coder")["use"].unique().map(list).to_dict().items()) == [
        ("AK", ["analysis"]), ("RB", ["agreement"])]
    again, counts = reimport(original, tmp_path)
    assert rows(again.codings, uses) == rows(original.codings, uses)
    freq = code_frequencies(as_study(original))
    assert freq.set_index("code")["applications"].to_dict() == {"hope": 2, "fatigue": 1}
    pd.testing.assert_frame_equal(code_frequencies(as_study(again)), freq)
    assert counts["agreement_coders"] == 1
    assert any("coders for agreement only (RB)" in w for w in again.warnings), again.warnings


def test_study_yml_use_wins_over_the_use_the_project_records(tmp_path):
    root = tmp_path / "two"
    (root / "transcripts").mkdir(parents=True)
    (root / "codings").mkdir()
    (root / "transcripts" / "P05.txt").write_text(INTERVIEW, encoding="utf-8")
    (root / "codings" / "rb.csv").write_text(RELIABILITY_SHEET, encoding="utf-8")
    (root / "study.yml").write_text("title: one\ncodings:\n  - {path: codings/rb.csv, coder: RB, use: agreement}\n",
                                    encoding="utf-8")
    original = built(root)
    folder = tmp_path / "again"
    (folder / "codings").mkdir(parents=True)
    export_qdpx(as_study(original), folder / "codings" / "project.qdpx")
    (folder / "study.yml").write_text("title: again\ncodings:\n  - {path: codings/project.qdpx, use: analysis}\n",
                                      encoding="utf-8")
    again = built(folder)
    assert set(again.codings["use"]) == {"analysis"}
    assert any("study.yml says 'use: analysis', which wins over the use the file records for coder RB" in w
               for w in again.warnings), again.warnings
