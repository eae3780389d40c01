"""Every file under ../shared/peers (real exports of other programs) re-imported (issue 14,
point 5), through a study's build as ``python -m helpers check`` runs it.

Each file is classified below by hand; a file that is not listed fails the first test, so a new
export added to the folder is never silently skipped. Counts come from the folders' README and
SOURCES notes.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers.ingest.cleaning import normalise
from helpers.ingest.config import load_config
from helpers.ingest.pipeline import build
from helpers.study import resolve

REPO = Path(__file__).resolve().parents[2]
PEERS = REPO.parent / "shared" / "peers"

# Files that are not coding inputs, and why (checked to exist, and skipped with a warning when
# put among a study's codings).
NOT_INPUTS = {
    ".md": "notes about the folder", ".pdf": "the REFI-QDA specification", ".xsd": "REFI-QDA schemas",
    ".yaml": "qc's codebook (qc's own format)", ".log": "Taguette's server log",
    ".json": "Taguette API responses captured by the folder's script",
    ".html": "Taguette's HTML views: the same highlights as its .csv/.xlsx exports (document_highlighted.html "
             "flattens overlaps), and the uploaded HTML",
}
NOT_INPUT_FILES = {
    "qc/corpus": "the texts qc coded (they are inside qc_demo.qdpx)",
    "refi-qda/samples/ornio_hand_authored/sources": "the source beside project.qde",
    "taguette/txt_upload/interview_p01.txt": "the uploaded transcript (used as the transcript below)",
    "taguette/txt_upload/derived_document_text.txt": "derived by the folder's script, not an export",
    "taguette/html_upload/derived_document_text.txt": "derived by the folder's script, not an export",
    "taguette/txt_upload/derived_highlight_offsets.csv": "derived by the folder's script, not an export",
    "taguette/html_upload/derived_highlight_offsets.csv": "derived by the folder's script, not an export",
}
TRANSCRIPT = "I: Did you have a good week?\nP: A good week, mostly.\n"


@pytest.fixture(scope="module")
def peers() -> Path:
    if not PEERS.is_dir():
        pytest.skip(f"../shared/peers not present: real files from other tools are expected at {PEERS}")
    return PEERS


def built_with(tmp_path: Path, files: dict[str, Path], transcripts: dict[str, str] | None = None):
    root = tmp_path / "study"
    (root / "codings").mkdir(parents=True)
    for name, source in files.items():
        target = root / "codings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    if transcripts:
        (root / "transcripts").mkdir()
        for name, text in transcripts.items():
            (root / "transcripts" / name).write_text(text, encoding="utf-8")
    (root / "study.yml").write_text("title: peers\n", encoding="utf-8")
    paths = resolve(root)
    return build(paths, load_config(paths.raw))


IMPORTS = {
    "qc/qc_demo.qdpx", "refi-qda/samples/atlasti23.2_ponte_blank-atlas-project.qdpx",
    "refi-qda/samples/atlasti23.2_ponte_target-atlas-project.qdpx", "refi-qda/samples/atlasti23.4_requal_codebook.qdc",
    "refi-qda/samples/maxqda24_paper_themes_project.qde", "refi-qda/samples/ornio_hand_authored/project.qde",
    *(f"taguette/{u}/{n}" for u in ("txt_upload", "html_upload")
      for n in ("project.sqlite3", "all_tags.csv", "all_tags.xlsx", "highlights_wellbeing.csv", "codebook.qdc",
                "codebook.csv", "codebook.xlsx")),
}


def test_every_file_is_imported_or_classified(peers):
    for path in sorted(p for p in peers.rglob("*") if p.is_file()):
        rel = path.relative_to(peers).as_posix()
        known = rel in IMPORTS or path.suffix in NOT_INPUTS or any(
            rel == k or rel.startswith(k + "/") for k in NOT_INPUT_FILES)
        assert known, f"{rel}: a new file in ../shared/peers — add an import test for it or say why it is not an input"
    # and every file the tests below import is there (a renamed export is not silently untested)
    assert sorted(rel for rel in IMPORTS if not (peers / rel).is_file()) == []


def test_qc_project_every_selection_exactly(peers, tmp_path):
    b = built_with(tmp_path, {"qc_demo.qdpx": peers / "qc" / "qc_demo.qdpx"})
    # qc README: 72 codes applied to 54 lines of 3 transcripts by one coder; 12 codes.
    assert len(b.codings) == 72 and len(b.codebook) == 12 and set(b.codings["coder"]) == {"ana"}
    assert set(b.codings["match"]) == {"refi"}
    corpus = {p.stem: p.read_text(encoding="utf-8") for p in (peers / "qc" / "corpus").glob("*.txt")}
    lines = {d: {normalise(line) for line in t.splitlines()} for d, t in corpus.items()}
    # Each selection is one whole line, newline included: its clean text is that line, cleaned.
    for c in b.codings.itertuples():
        span = b.texts[c.doc_id][c.start:c.end]
        assert span.endswith("\n") and normalise(span) in lines[c.doc_id]
    # and exactly the line qc selected: qc names each selection "line:N" (0-based line of its source)
    import zipfile
    from xml.etree import ElementTree

    ns = {"q": "urn:QDA-XML:project:1.0"}
    with zipfile.ZipFile(peers / "qc" / "qc_demo.qdpx") as archive:
        root = ElementTree.fromstring(archive.read("project.qde"))
    line_of = {}
    for source in root.iterfind("q:Sources/q:TextSource", ns):
        for selection in source.iterfind("q:PlainTextSelection", ns):
            line_of[selection.get("guid").lower()] = (source.get("name").removesuffix(".txt"),
                                                      int(selection.get("name").removeprefix("line:")))
    assert len(line_of) == 54   # README: 54 lines coded
    for c in b.codings.itertuples():
        doc_id, number = line_of[c.source_row.lower()]
        assert c.doc_id == doc_id
        assert b.texts[c.doc_id][c.start:c.end] == normalise(corpus[doc_id].splitlines()[number]) + "\n"


@pytest.mark.parametrize("name, codes", [
    ("atlasti23.2_ponte_blank-atlas-project.qdpx", 0),
    ("atlasti23.2_ponte_target-atlas-project.qdpx", 3),       # "Commits" and its 2 children
    ("atlasti23.4_requal_codebook.qdc", 1),
    ("maxqda24_paper_themes_project.qde", 307),               # 10 sources not in the file: said so
])
def test_projects_and_codebooks_without_texts(peers, tmp_path, name, codes):
    b = built_with(tmp_path, {name: peers / "refi-qda" / "samples" / name}, {"P01.txt": TRANSCRIPT})
    assert len(b.codings) == 0 and len(b.codebook) == codes
    if name.startswith("maxqda"):
        assert any("10 text sources without their text" in w for w in b.warnings)


def test_ornio_hand_authored_project(peers, tmp_path):
    folder = peers / "refi-qda" / "samples" / "ornio_hand_authored"
    b = built_with(tmp_path, {"project.qde": folder / "project.qde",
                              "sources/11111111-1111-1111-1111-111111111111.txt":
                                  folder / "sources" / "11111111-1111-1111-1111-111111111111.txt"})
    source = (folder / "sources" / "11111111-1111-1111-1111-111111111111.txt").read_text(encoding="utf-8")
    # SOURCES.md: two overlapping selections, 0-15 ("Diet and health") and 9-23, code points.
    [doc_id] = b.texts
    got = sorted(b.texts[doc_id][c.start:c.end] for c in b.codings.itertuples())
    assert got == sorted([normalise(source[0:15]), normalise(source[9:23])]) and got[0] == "Diet and health"
    assert any("picture/PDF/audio/video source" in w for w in b.warnings)


@pytest.mark.parametrize("upload", ["txt_upload", "html_upload"])
def test_taguette_exports(peers, tmp_path, upload):
    folder = peers / "taguette" / upload
    transcript = {"P01 interview.txt": (peers / "taguette" / "txt_upload" / "interview_p01.txt").read_text(encoding="utf-8")}
    # README: 8 highlights, H8 with two tags -> 9 (highlight, tag) rows; 4 wellbeing highlights
    # (the filtered export still lists H8's other tag: 5 rows).
    database = built_with(tmp_path / "db", {"project.sqlite3": folder / "project.sqlite3"})
    assert len(database.codings) == 9 and set(database.codings["match"]) == {"span"}
    for name, rows in [("all_tags.csv", 9), ("all_tags.xlsx", 9), ("highlights_wellbeing.csv", 5)]:
        b = built_with(tmp_path / name, {name: folder / name}, transcript)
        assert len(b.codings) == rows, name
        assert sorted(b.codings["code"]) == sorted(
            database.codings["code"] if rows == 9 else ["wellbeing"] * 4 + ["boundaries"]), name
    # Codebooks: 5 tags (one, "interesting", unused), with descriptions in .csv/.xlsx, none in .qdc.
    for name in ["codebook.qdc", "codebook.csv", "codebook.xlsx"]:
        b = built_with(tmp_path / name, {name: folder / name}, transcript)
        assert len(b.codebook) == 5, name
        described = b.codebook.set_index("code")["description"].to_dict()
        if name != "codebook.qdc":
            assert described["interesting"] == "Further review required", name


@pytest.mark.parametrize("upload", ["txt_upload", "html_upload"])
@pytest.mark.parametrize("name", ["project.sqlite3", "all_tags.csv", "all_tags.xlsx"])
def test_taguette_every_highlight_is_the_text_taguette_shows(peers, tmp_path, upload, name):
    # README: derived_highlight_offsets.csv gives each highlight's text as Taguette shows it (the
    # same as the README's table). The database's offsets and the tables' quotes (matched in the
    # transcript) must each give that text, cleaned, to the character: nothing trimmed or widened.
    import csv

    folder = peers / "taguette" / upload
    with open(folder / "derived_highlight_offsets.csv", encoding="utf-8", newline="") as handle:
        shown = {f"highlight {row['taguette_highlight_id']}": normalise(row["text"]) for row in csv.DictReader(handle)}
    assert len(shown) == 8
    transcript = None if name == "project.sqlite3" else {
        "P01 interview.txt": (peers / "taguette" / "txt_upload" / "interview_p01.txt").read_text(encoding="utf-8")}
    b = built_with(tmp_path, {name: folder / name}, transcript)
    got = {}
    for c in b.codings.itertuples():
        got.setdefault(c.source_row, set()).add(b.texts[c.doc_id][c.start:c.end])
    assert got == {h: {text} for h, text in shown.items()}


def test_files_that_are_not_inputs_are_skipped_with_a_warning(peers, tmp_path):
    b = built_with(tmp_path, {"all_tags.html": peers / "taguette" / "txt_upload" / "all_tags.html"},
                   {"P01.txt": TRANSCRIPT})
    assert any("all_tags.html: skipped" in w for w in b.warnings) and len(b.codings) == 0


def test_a_project_and_its_codebook_together(peers, tmp_path):
    # Taguette's database and its own codebook export: one codebook of 5 tags, with the export's
    # descriptions (the database's tags carry the same ones).
    folder = peers / "taguette" / "txt_upload"
    b = built_with(tmp_path, {"project.sqlite3": folder / "project.sqlite3", "codebook.csv": folder / "codebook.csv"})
    assert len(b.codebook) == 5 and len(b.codings) == 9
    assert b.codebook.set_index("code").loc["workload", "description"] == \
        "Amount or pace of work; meetings, volume, piling up"
