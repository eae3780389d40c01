"""Other programs' document and case names matched to the study's transcripts and participants
by the id matching used everywhere else (helpers.ids: case, P1 and P01, dashes, words such as
"interview"), and said in the import report when matched loosely or not at all (issue 14,
leftover 2). Through a study's build, as ``python -m helpers check`` runs it.
"""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from support import PEERS

from helpers.ingest.config import load_config
from helpers.ingest.pipeline import build
from helpers.study import resolve

TEXT = "I: How are you?\nP: Tired, mostly!!! But the group helps 🙂\n"
CODE = "A0000000-0000-4000-8000-000000000001"


def qdpx(path: Path, sources: list[tuple[str, str]], cases: str = "") -> Path:
    """A REFI-QDA project: one TextSource per (name, text), each with one coded selection
    "Tired, mostly!!!" (code points, as the standard counts)."""
    start = TEXT.index("Tired")
    end = start + len("Tired, mostly!!!")
    parts, members = [], {}
    for i, (name, text) in enumerate(sources, start=1):
        parts.append(f'<TextSource guid="C0000000-0000-4000-8000-00000000000{i}" name="{name}" '
                     f'plainTextPath="internal://s{i}.txt"><PlainTextSelection '
                     f'guid="50000000-0000-4000-8000-00000000000{i}" startPosition="{start}" endPosition="{end}">'
                     f'<Coding guid="D0000000-0000-4000-8000-00000000000{i}"><CodeRef targetGUID="{CODE}"/>'
                     '</Coding></PlainTextSelection></TextSource>')
        members[f"Sources/s{i}.txt"] = text.encode("utf-8")
    xml = (f'<Project xmlns="urn:QDA-XML:project:1.0" name="x"><CodeBook><Codes><Code guid="{CODE}" '
           f'name="tired" isCodable="true"/></Codes></CodeBook>{cases}<Sources>{"".join(parts)}</Sources></Project>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", xml)
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def study(tmp_path: Path, transcripts: dict[str, str], participants: str | None = None) -> Path:
    root = tmp_path / "study"
    (root / "codings").mkdir(parents=True)
    if transcripts:
        (root / "transcripts").mkdir()
        for name, text in transcripts.items():
            (root / "transcripts" / name).write_text(text, encoding="utf-8")
    if participants:
        (root / "participants.csv").write_text(participants, encoding="utf-8")
    (root / "study.yml").write_text("title: ids\n", encoding="utf-8")
    return root


def built(root: Path):
    paths = resolve(root)
    return build(paths, load_config(paths.raw))


def test_a_refi_document_named_otherwise_is_its_transcript(tmp_path):
    # "Interview P1.txt" in the project is transcripts/P01.txt: one document, coded exactly there
    # (not a second document made from the project's copy), and the report says how it matched.
    root = study(tmp_path, {"P01.txt": TEXT})
    qdpx(root / "codings" / "project.qdpx", [("Interview P1.txt", TEXT)])
    b = built(root)
    assert list(b.documents["doc_id"]) == ["P01"]
    [coding] = b.codings.itertuples()
    assert (coding.doc_id, b.texts["P01"][coding.start:coding.end]) == ("P01", "Tired, mostly!!!")
    assert any("document 'Interview P1' matched to transcript 'P01' (ids compared as everywhere else" in w
               for w in b.warnings), b.warnings


def test_a_refi_document_that_matches_no_transcript_is_said(tmp_path):
    root = study(tmp_path, {"P01.txt": TEXT})
    qdpx(root / "codings" / "project.qdpx", [("Interview P1.txt", TEXT), ("P07.txt", TEXT)])
    b = built(root)
    assert sorted(b.documents["doc_id"]) == ["P01", "P07"]
    assert any("document 'P07' matches no transcript (closest: P01): imported as a document of its own" in w
               for w in b.warnings), b.warnings


def test_refi_cases_and_documents_are_the_participants_their_names_match(tmp_path):
    # No transcripts: the project's documents are the study's. participants.csv lists P01 and P02;
    # the case "p-1" refers to the first source, and the second source (no case) is "interview_P02".
    case = ('<Cases><Case guid="E0000000-0000-4000-8000-000000000001" name="p-1">'
            '<SourceRef targetGUID="C0000000-0000-4000-8000-000000000001"/></Case></Cases>')
    root = study(tmp_path, {}, "participant_id,age\nP01,34\nP02,51\n")
    qdpx(root / "codings" / "project.qdpx", [("S1.txt", TEXT), ("interview_P02.txt", TEXT)], case)
    b = built(root)
    assert b.documents.set_index("doc_id")["participant_id"].to_dict() == {"S1": "P01", "interview_P02": "P02"}
    assert sorted(b.participants["participant_id"]) == ["P01", "P02"]
    assert sorted(b.codings["participant_id"]) == ["P01", "P02"]
    assert any("case 'p-1' matched to participant P01" in w for w in b.warnings), b.warnings
    assert any("document 'interview_P02' matched to participant P02" in w for w in b.warnings), b.warnings


@pytest.mark.skipif(not PEERS.is_dir(), reason=f"../shared/peers not present: Taguette's export expected at {PEERS}")
def test_taguette_document_named_otherwise_is_its_transcript(tmp_path):
    # Taguette's document is "P01 interview"; the study's transcript of it is P01.txt.
    folder = PEERS / "taguette" / "txt_upload"
    root = study(tmp_path, {"P01.txt": (folder / "interview_p01.txt").read_text(encoding="utf-8")})
    shutil.copy(folder / "project.sqlite3", root / "codings" / "project.sqlite3")
    b = built(root)
    assert list(b.documents["doc_id"]) == ["P01"] and len(b.codings) == 9   # README: 9 (highlight, tag) rows
    assert any("document 'P01 interview' matched to transcript 'P01'" in w for w in b.warnings), b.warnings


@pytest.mark.skipif(not PEERS.is_dir(), reason=f"../shared/peers not present: Taguette's export expected at {PEERS}")
def test_taguette_document_is_the_participant_its_name_matches(tmp_path):
    root = study(tmp_path, {}, "participant_id,age\nP01,34\n")
    shutil.copy(PEERS / "taguette" / "txt_upload" / "project.sqlite3", root / "codings" / "project.sqlite3")
    b = built(root)
    assert b.documents.set_index("doc_id")["participant_id"].to_dict() == {"P01 interview": "P01"}
    assert list(b.participants["participant_id"]) == ["P01"]
    assert any("document 'P01 interview' matched to participant P01" in w for w in b.warnings), b.warnings


def test_a_refi_case_is_the_transcripts_participant_without_participants_csv(tmp_path):
    # No participants.csv: the study's one participant is P01, whose transcript is P01.txt. The
    # project names the document "Interview P1" and its case "P1": both are P01 (said), and no
    # participant "P1" is made (check would say 2 participants, the theme matrix an empty row).
    case = ('<Cases><Case guid="E0000000-0000-4000-8000-000000000001" name="P1">'
            '<SourceRef targetGUID="C0000000-0000-4000-8000-000000000001"/></Case></Cases>')
    root = study(tmp_path, {"P01.txt": TEXT})
    qdpx(root / "codings" / "project.qdpx", [("Interview P1.txt", TEXT)], case)
    b = built(root)
    assert list(b.documents["doc_id"]) == ["P01"]
    assert list(b.participants["participant_id"]) == ["P01"]
    assert list(b.codings["participant_id"]) == ["P01"]
    assert any("case 'P1' matched to participant P01 (ids compared as everywhere else" in w
               for w in b.warnings), b.warnings
    assert any("document 'Interview P1' matched to transcript 'P01'" in w for w in b.warnings), b.warnings
