"""Ingestion: raw study folder -> processed tables, with every value worked out by hand.

Studies here have no codings/ folder (coding import is tested elsewhere), except the
whole-demo tests at the end, which need the coding importer.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from support import DEMO, make_study

from helpers.errors import InputError
from helpers.ingest.config import load_config
from helpers.ingest.pipeline import build
from helpers.study import load_study, resolve

A01 = "I: How did you meet Mary?\nP: Mary Jones came round [laughs].\nShe was kind.\n"
A02 = """1
00:00:01,000 --> 00:00:02,000
Interviewer: Hello.

2
00:00:02,500 --> 00:00:04,000
Participant: Hi, um, hello.
"""
PARTICIPANTS = "participant_id,pseudonym\nA01,Robin\nA02,Sol\n"
REDACTIONS = "term,replacement\nMary Jones,(PSW)\nMary,(PSW)\n"
TINY = {"transcripts/A01.txt": A01, "transcripts/A02.srt": A02,
        "participants.csv": PARTICIPANTS, "redactions.csv": REDACTIONS}


def build_study(root: Path):
    paths = resolve(root)
    return build(paths, load_config(paths.raw))


def problems_of(root: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        build_study(root)
    return [p.line() for p in info.value.problems]


# -- a tiny study, by hand ------------------------------------------------------------

def test_tiny_study_tables(tmp_path):
    root = make_study(tmp_path, TINY)
    built = build_study(root)
    docs = built.documents.set_index("doc_id")
    assert list(docs.index) == ["A01", "A02"]
    assert list(docs["participant_id"]) == ["A01", "A02"]
    assert list(docs["source_file"]) == ["transcripts/A01.txt", "transcripts/A02.srt"]
    assert list(docs["format"]) == ["txt", "srt"]
    assert docs.loc["A01", "sha256"] == hashlib.sha256(A01.encode()).hexdigest()
    # A01: "How did you meet (PSW)?" = 5 words; "(PSW) came round [laughs]. She was kind." = 6 words
    # A02: "Hello." = 1; "Hi, um, hello." = 3 (a filler is a spoken word)
    assert list(docs["n_segments"]) == [2, 2]
    assert list(docs["n_words"]) == [11, 4]
    assert list(docs["n_participant_words"]) == [6, 3]

    assert built.texts["A01"] == "I: How did you meet (PSW)?\nP: (PSW) came round [laughs]. She was kind.\n"
    segs = built.segments
    a01 = segs[segs["doc_id"] == "A01"]
    # "I: " -> 3; 3 + len("How did you meet (PSW)?") = 26; next line at 27, "P: " -> 30; 30 + 40 = 70
    assert list(zip(a01["start"], a01["end"])) == [(3, 26), (30, 70)]
    assert list(a01["speaker_role"]) == ["interviewer", "participant"]
    assert list(segs["seg_no"]) == [1, 2, 1, 2]
    assert list(segs.loc[segs["doc_id"] == "A02", "start_time"]) == [1.0, 2.5]
    assert list(built.participants["participant_id"]) == ["A01", "A02"]
    assert list(built.participants["pseudonym"]) == ["Robin", "Sol"]
    # Mary Jones (1) + Mary (1) in A01 -> 2 replacements by (PSW)
    assert built.redaction_counts == {"(PSW)": 2}
    assert built.warnings == []


def test_participants_doc_id_column_maps_documents(tmp_path):
    root = make_study(tmp_path, {**TINY, "participants.csv": "participant_id,doc_id\nX1,A01\nX2,A02\n"})
    built = build_study(root)
    assert list(built.documents["participant_id"]) == ["X1", "X2"]
    assert set(built.segments["participant_id"]) == {"X1", "X2"}


def test_focus_group_document_has_no_single_participant(tmp_path):
    fg = "Facilitator: Welcome.\nG01: Hello.\nG02: Hi.\nG03: Me too.\n"
    root = make_study(tmp_path, {"transcripts/FG1.txt": fg, "participants.csv": "participant_id\nG01\nG02\nG03\n"})
    built = build_study(root)
    doc = built.documents.iloc[0]
    assert doc["kind"] == "focus_group"
    assert pd.isna(doc["participant_id"])
    assert built.segments["participant_id"].fillna("-").tolist() == ["-", "G01", "G02", "G03"]


def test_participant_missing_from_participants_csv_is_added_with_a_warning(tmp_path):
    root = make_study(tmp_path, {**TINY, "participants.csv": "participant_id,pseudonym\nA01,Robin\n"})
    built = build_study(root)
    assert list(built.participants["participant_id"]) == ["A01", "A02"]
    assert built.warnings == ["participants.csv lacks A02: added with no attributes"]


def test_ids_keep_leading_zeros(tmp_path):
    root = make_study(tmp_path, {"transcripts/007.txt": "I: hi\nP: hello\n", "participants.csv": "participant_id,age\n007,30\n"})
    built = build_study(root)
    assert list(built.documents["participant_id"]) == ["007"]
    assert list(built.participants["participant_id"]) == ["007"]


# -- bad input --------------------------------------------------------------------------

def test_duplicate_document_ids_across_formats(tmp_path, ):
    import docx

    root = make_study(tmp_path, {"transcripts/P01.txt": "I: hi\nP: hello\n"})
    document = docx.Document()
    document.add_paragraph("I: hi")
    document.add_paragraph("P: hello")
    document.save(root / "transcripts" / "P01.docx")
    # files are read in name order: P01.docx first, then P01.txt is the second one
    assert problems_of(root) == [
        f"error: {root.resolve() / 'transcripts' / 'P01.txt'}: a second transcript for document 'P01' (also P01.docx) — "
        "keep one file per interview: remove or rename one of them"]


def test_every_bad_transcript_reported_at_once(tmp_path):
    root = make_study(tmp_path, {"transcripts/A.txt": b"", "transcripts/B.txt": "no labels here\n",
                                 "transcripts/C.txt": "I: fine\nP: fine\n"})
    lines = problems_of(root)
    t = root.resolve() / "transcripts"
    assert lines == [
        f"error: {t / 'A.txt'}: the file is empty — export the transcript again, or remove the file",
        f"error: {t / 'B.txt'}: no speaker labels found (e.g. 'I:' / 'P:' at line start) — "
        "label each turn, or add the labels used to 'speakers:' in study.yml",
    ]


def test_participants_without_participant_id_column(tmp_path):
    root = make_study(tmp_path, {**TINY, "participants.csv": "id,pseudonym\nA01,Robin\n"})
    assert problems_of(root) == [f"error: {root.resolve() / 'participants.csv'}: no 'participant_id' column — "
                                 "name the first column participant_id"]


def test_participants_duplicate_id_names_the_row(tmp_path):
    root = make_study(tmp_path, {**TINY, "participants.csv": "participant_id,pseudonym\nA01,Robin\nA02,Sol\nA01,Kit\n"})
    # header is row 1: A01 row 2, A02 row 3, the second A01 row 4
    assert problems_of(root) == [f"error: {root.resolve() / 'participants.csv'}:row 4: participant_id 'A01' appears "
                                 "more than once — give each participant one row"]


def test_participants_empty_id_names_the_row(tmp_path):
    root = make_study(tmp_path, {**TINY, "participants.csv": "participant_id,pseudonym\nA01,Robin\n,Sol\n"})
    assert problems_of(root) == [f"error: {root.resolve() / 'participants.csv'}:row 3: empty participant_id — "
                                 "fill in an id or delete the row"]


def test_participants_row_numbers_count_blank_lines_and_empty_rows_are_ignored(tmp_path):
    # row 1 header, 2 A01, 3 blank line, 4 A02, 5 only a comma (as Excel writes an empty row), 6 A01 again
    csv = "participant_id,pseudonym\nA01,Robin\n\nA02,Sol\n,\nA01,Kit\n"
    root = make_study(tmp_path, {**TINY, "participants.csv": csv})
    assert problems_of(root) == [f"error: {root.resolve() / 'participants.csv'}:row 6: participant_id 'A01' appears "
                                 "more than once — give each participant one row"]


def test_participants_trailing_empty_rows_are_not_participants(tmp_path):
    root = make_study(tmp_path, {**TINY, "participants.csv": "participant_id,pseudonym\nA01,Robin\nA02,Sol\n,\n,\n"})
    assert list(build_study(root).participants["participant_id"]) == ["A01", "A02"]


def test_participant_id_column_need_not_come_first(tmp_path):
    root = make_study(tmp_path, {**TINY, "participants.csv": "pseudonym,Participant_ID\nRobin,A01\nSol,A02\n"})
    participants = build_study(root).participants
    assert list(participants.columns[:2]) == ["participant_id", "pseudonym"]
    assert participants[["participant_id", "pseudonym"]].values.tolist() == [["A01", "Robin"], ["A02", "Sol"]]


def test_redactions_empty_term_names_the_row(tmp_path):
    # row 1 header, 2 Mary, 3 blank line, 4 a replacement without its term
    root = make_study(tmp_path, {**TINY, "redactions.csv": "term,replacement\nMary,(PSW)\n\n  ,(Town)\n"})
    assert problems_of(root) == [f"error: {root.resolve() / 'redactions.csv'}:row 4: empty term — "
                                 "fill in the term or delete the row"]


def test_study_with_no_documents(tmp_path):
    root = make_study(tmp_path, {"participants.csv": PARTICIPANTS})
    (root / "transcripts").mkdir()
    [line] = problems_of(root)
    assert line.startswith(f"error: {root.resolve() / 'transcripts'}: no documents in this study — put transcripts")


# -- redaction reaches names in file names and every output -------------------------------

def test_names_in_file_names_and_labels_are_redacted(tmp_path):
    root = make_study(tmp_path, {"study.yml": "title: T\nspeakers: {interviewer: [I], participant: [Mary]}\n",
                                 "transcripts/P01_Mary_Jones.txt": "I: Hi.\nMary: Hello, I'm Mary.\n",
                                 "redactions.csv": REDACTIONS})
    built = build_study(root)
    # "P01_Mary_Jones": "_" separates words, so the whole name "Mary Jones" goes
    assert list(built.documents["doc_id"]) == ["P01_(PSW)"]
    assert list(built.documents["source_file"]) == ["transcripts/P01_(PSW).txt"]
    assert list(built.segments["speaker"]) == ["I", "(PSW)"]
    assert built.texts == {"P01_(PSW)": "I: Hi.\n(PSW): Hello, I'm (PSW).\n"}


def term_pattern(term: str) -> re.Pattern:
    """A redaction term as a whole word, any case, any gap between its words."""
    gap = r"[\s_\-]+"
    return re.compile(r"(?<![^\W_])" + gap.join(map(re.escape, re.split(gap, term))) + r"(?![^\W_])", re.IGNORECASE)


def terms_of(redactions: Path) -> list[str]:
    return list(pd.read_csv(redactions, dtype=str)["term"])


def processed_text(folder: Path) -> str:
    """Every file name and every cell of every output, as one text."""
    chunks = [str(p.relative_to(folder)) for p in folder.rglob("*")]
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            chunks += list(map(str, frame.columns)) + [frame.astype(str).to_csv(index=False)]
        elif path.is_file():
            chunks.append(path.read_text(encoding="utf-8"))
    return "\n".join(chunks)


def test_no_redaction_term_left_anywhere_in_the_outputs(tmp_path, project_home):
    stopword_name = "stopwords: [mary]\n"
    make_study(project_home / "data" / "raw", {
        "study.yml": f"title: Talking with Mary\n{stopword_name}",
        "transcripts/Mary_Jones.txt": "I: Email mary.jones@example.org?\nP: Yes. Mary's dev@x.org, left.Mary said\n",
        "participants.csv": "participant_id,key worker\nMary_Jones,Mary\n",
        "redactions.csv": "term,replacement\nMary Jones,(PSW)\nMary,(PSW)\nDev,(PSW)\n"}, name="s1")
    load_study("s1")
    text = processed_text(project_home / "data" / "processed" / "s1")
    for term in ["Mary Jones", "Mary", "Dev"]:
        assert not term_pattern(term).search(text), term


# -- load_study: when it ingests, what it writes -----------------------------------------

def sha256_tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_load_study_ingests_then_reuses_then_reingests(project_home):
    root = make_study(project_home / "data" / "raw", TINY, name="tiny")
    raw_before = sha256_tree(root)
    processed = project_home / "data" / "processed" / "tiny"
    assert not processed.exists()

    study = load_study("tiny")
    assert (processed / "manifest.json").is_file()
    for name in ["documents", "segments", "codings", "codebook", "participants"]:
        assert (processed / f"{name}.parquet").is_file()
    assert (processed / "texts" / "A01.txt").read_text(encoding="utf-8") == \
        "I: How did you meet (PSW)?\nP: (PSW) came round [laughs]. She was kind.\n"
    assert list(study.documents["doc_id"]) == ["A01", "A02"]
    manifest = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["rows"]["segments"] == 4
    inputs = {i["path"]: i["sha256"] for i in manifest["inputs"]}
    assert inputs["transcripts/A01.txt"] == hashlib.sha256(A01.encode()).hexdigest()
    stamp = (processed / "manifest.json").stat().st_mtime_ns

    # nothing changed: nothing written
    load_study("tiny")
    assert (processed / "manifest.json").stat().st_mtime_ns == stamp
    assert json.loads((processed / "manifest.json").read_text(encoding="utf-8"))["time"] == manifest["time"]

    # an input changed: ingested again
    (root / "transcripts" / "A01.txt").write_text(A01 + "I: Thanks.\n", encoding="utf-8")
    again = load_study("tiny")
    assert int(again.documents.set_index("doc_id").loc["A01", "n_segments"]) == 3
    assert json.loads((processed / "manifest.json").read_text(encoding="utf-8"))["fingerprint"] != manifest["fingerprint"]

    # raw files are read, never written (A01 changed only by this test)
    raw_after = sha256_tree(root)
    raw_before["transcripts/A01.txt"] = hashlib.sha256((A01 + "I: Thanks.\n").encode()).hexdigest()
    assert raw_after == raw_before
    # the staging and old folders are gone
    assert sorted(p.name for p in processed.parent.iterdir()) == ["tiny"]


def test_load_study_without_ingest_refuses_stale_tables(project_home):
    make_study(project_home / "data" / "raw", TINY, name="tiny")
    with pytest.raises(InputError, match="processed tables are missing or out of date"):
        load_study("tiny", ingest=False)
    assert not (project_home / "data" / "processed" / "tiny").exists()


def test_bad_input_writes_nothing(project_home):
    make_study(project_home / "data" / "raw", {**TINY, "transcripts/A03.txt": b"\x00\x01"}, name="bad")
    with pytest.raises(InputError, match="binary data"):
        load_study("bad")
    processed = project_home / "data" / "processed"
    assert not processed.exists() or list(processed.iterdir()) == []


def test_bad_input_keeps_the_previous_tables(project_home):
    root = make_study(project_home / "data" / "raw", TINY, name="tiny")
    load_study("tiny")
    processed = project_home / "data" / "processed" / "tiny"
    before = sha256_tree(processed)
    (root / "transcripts" / "A02.srt").write_bytes(b"")
    with pytest.raises(InputError, match="the file is empty"):
        load_study("tiny")
    assert sha256_tree(processed) == before
    assert sorted(p.name for p in processed.parent.iterdir()) == ["tiny"]


def test_study_given_as_a_path_outside_data_raw(project_home, tmp_path):
    root = make_study(tmp_path / "elsewhere", TINY, name="field_study")
    study = load_study(str(root))
    assert study.name == "field_study"
    assert (project_home / "data" / "processed" / "field_study" / "manifest.json").is_file()


# -- the demo study --------------------------------------------------------------------------

def demo_copy_without_codings(dest: Path) -> Path:
    """The demo's transcripts, participants, redactions and study.yml, without any coding."""
    root = dest / "demo_nocodings"
    root.mkdir(parents=True)
    shutil.copytree(DEMO / "transcripts", root / "transcripts")
    shutil.copytree(DEMO / "drafts", root / "drafts")  # study.yml names the write-up draft
    for name in ["participants.csv", "redactions.csv"]:
        shutil.copy(DEMO / name, root / name)
    yml = (DEMO / "study.yml").read_text(encoding="utf-8")
    yml = re.sub(r"^codings:\n(?:[ \t]+.*\n)*", "", yml, flags=re.M)
    yml = re.sub(r"^drafts:.*\n(?:[ \t]+.*\n)*", "", yml, flags=re.M)  # the write-up audit is not ingest's
    assert "codings" not in yml
    (root / "study.yml").write_text(yml, encoding="utf-8")
    return root


def assert_offsets(built) -> None:
    for seg in built.segments.itertuples():
        assert built.texts[seg.doc_id][seg.start:seg.end] == seg.text, (seg.doc_id, seg.seg_no)


def test_demo_transcripts_offsets_and_formats(tmp_path):
    built = build_study(demo_copy_without_codings(tmp_path))
    assert_offsets(built)
    docs = built.documents.set_index("doc_id")
    # one document per transcript file in data/raw/demo/transcripts
    assert sorted(docs.index) == sorted(p.stem for p in (DEMO / "transcripts").iterdir())
    assert docs.loc["P06", "encoding"] == "cp1252" and docs.loc["P07", "encoding"] == "utf-8-sig"
    assert docs.loc["FG01", "kind"] == "focus_group" and pd.isna(docs.loc["FG01", "participant_id"])
    fg = built.segments[built.segments["doc_id"] == "FG01"]
    assert set(fg.loc[fg["speaker_role"] == "participant", "participant_id"]) == {"P11", "P12", "P13", "P14"}
    for text in built.texts.values():
        assert "\r" not in text and "\ufeff" not in text


def test_demo_outputs_hold_no_redaction_term(tmp_path, project_home):
    root = demo_copy_without_codings(project_home / "data" / "raw")
    load_study(root.name)
    text = processed_text(project_home / "data" / "processed" / root.name)
    for term in terms_of(DEMO / "redactions.csv"):
        assert not term_pattern(term).search(text), term


def test_whole_demo_with_codings(tmp_path):
    """Needs the coding importer: the demo's coding sheets and Word coding tables."""
    built = build_study(DEMO)
    assert_offsets(built)
    # P09 and P10 exist only as Word coding tables (no transcript): they become documents
    assert {"P09", "P10"} <= set(built.documents["doc_id"])
    assert len(built.codings) > 0
    for _, coding in built.codings.iterrows():
        assert 0 <= coding["start"] <= coding["end"] <= len(built.texts[coding["doc_id"]])
    cells = "\n".join(frame.astype(str).to_csv(index=False) for frame in
                      [built.documents, built.segments, built.codings, built.codebook, built.participants,
                       *built.report_tables.values()]) + "\n".join(built.texts.values())
    for term in terms_of(DEMO / "redactions.csv"):
        assert not term_pattern(term).search(cells), term
