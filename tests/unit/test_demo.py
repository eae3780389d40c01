"""The bundled demo study imports completely, with counts checked against the
source files themselves (read here with openpyxl and python-docx, not with the
importer), and its second coder is compared over the right documents."""
from __future__ import annotations

import re
from pathlib import Path

import docx
import openpyxl
import pytest

from helpers.ingest.config import load_config
from helpers.ingest.pipeline import build
from helpers.study import Study, resolve

DEMO = Path(__file__).resolve().parents[2] / "data" / "raw" / "demo"


@pytest.fixture(scope="module")
def demo():
    return build(resolve(str(DEMO)), load_config(DEMO))


def codes_in(cell) -> int:
    return len([c for c in re.split(r"[;\n]", str(cell or "")) if c.strip()])


def sheet_applications(path: Path, sheet: str, code_header: str) -> tuple[int, int]:
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    col = [str(h).strip() for h in rows[0]].index(code_header)
    data = [r for r in rows[1:] if any(v is not None for v in r)]
    return len(data), sum(codes_in(r[col]) for r in data)


def table_applications(path: Path) -> int:
    table = docx.Document(str(path)).tables[0]
    header = [c.text.strip() for c in table.rows[0].cells]
    total = 0
    for row in table.rows[1:]:
        cells = [c.text.strip() for c in row.cells]
        if cells == header:  # the header repeated on a later page
            continue
        for i, name in enumerate(header):
            if "coding" in name.lower():
                total += sum(1 for p in row.cells[i].paragraphs if p.text.strip())
    return total


def test_every_demo_coding_imports(demo):
    codings = demo.codings
    by_source = codings.groupby("source").size().to_dict()
    rows_interviews, apps_interviews = sheet_applications(DEMO / "codings/coding_sheet_AK.xlsx", "Interviews", "Initial codes")
    rows_group, apps_group = sheet_applications(DEMO / "codings/coding_sheet_AK.xlsx", "Focus group", "Initial codes")
    rows_rb, apps_rb = sheet_applications(DEMO / "codings/second_coder_RB.xlsx", "Coding", "Codes")
    # The data's author counted 171, 29 and 59 coded rows (data/raw/demo/README.md).
    assert (rows_interviews, rows_group, rows_rb) == (171, 29, 59)
    assert by_source["codings/coding_sheet_AK.xlsx#Interviews"] == apps_interviews
    assert by_source["codings/coding_sheet_AK.xlsx#Focus group"] == apps_group
    # RB's two turn ranges (P01 24-25, P06 22-23) each make one coding per code spanning two turns.
    assert by_source["codings/second_coder_RB.xlsx#Coding"] == apps_rb
    assert by_source["codings/P09_coding_table.docx#table1"] == table_applications(DEMO / "codings/P09_coding_table.docx")
    assert by_source["codings/P10_coding_table.docx#table1"] == table_applications(DEMO / "codings/P10_coding_table.docx")
    assert set(codings["coder"]) == {"AK", "RB"}
    assert set(codings.loc[codings["coder"] == "RB", "doc_id"]) == {"P01", "P02", "P06"}
    # every demo quote was found: nothing unmatched, and the deliberate fuzzy ones are listed
    assert demo.report_tables.get("quotes_unmatched") is None or len(demo.report_tables["quotes_unmatched"]) == 0
    assert set(codings["match"]) <= {"exact", "elided", "fuzzy", "turn", "table"}
    assert (codings["match"] == "fuzzy").sum() >= 2   # the two typo quotes (P04 t30, P08 t18)
    assert (codings["match"] == "elided").sum() >= 3  # the three "..." quotes


def test_demo_documents_and_codebook(demo):
    assert sorted(demo.documents["doc_id"]) == ["FG01"] + [f"P{i:02d}" for i in range(1, 11)]
    levels = demo.codebook.groupby("level").size().to_dict()
    assert levels == {"initial": 43, "focused": 13, "theme": 4}  # codebook.csv as written
    focus = demo.segments[demo.segments["doc_id"] == "FG01"]
    assert set(focus.loc[focus["speaker_role"] == "participant", "participant_id"]) == {"P11", "P12", "P13", "P14"}


def test_negative_case_for_hope(demo):
    """P07 is written as the negative case: no hope code at any level."""
    import helpers

    study = Study.from_tables(segments=demo.segments, codings=demo.codings, codebook=demo.codebook,
                              participants=demo.participants, documents=demo.documents, texts=demo.texts,
                              levels=demo.config.levels)
    matrix = helpers.theme_matrix(study, level="focused")
    # the focused code "hope from seeing recovery" (codebook.csv) with its four initial codes
    assert matrix.loc["P07", "hope from seeing recovery"] == 0
    assert matrix["hope from seeing recovery"].sum() >= 8  # while most others voice it
    negatives = helpers.negative_cases(study, level="focused").set_index("code")
    assert "P07" in list(negatives.loc["hope from seeing recovery", "participant_ids"])


def test_second_coder_agreement_over_the_double_coded_interviews(demo):
    import helpers

    study = Study.from_tables(segments=demo.segments, codings=demo.codings, codebook=demo.codebook,
                              participants=demo.participants, documents=demo.documents, texts=demo.texts,
                              levels=demo.config.levels)
    table = helpers.agreement(study, unit="segment", n_boot=200)
    assert table.attrs["documents"] == ["P01", "P02", "P06"]
    overall = table.set_index("code").loc["overall"]
    assert 0 < overall["alpha"] < 1 and overall["alpha_low"] <= overall["alpha"] <= overall["alpha_high"]
    # Units are participant turns plus interviewer turns a coder coded (issue 12): P01 has 25
    # participant turns, P02 31, P06 28 (counted in the transcripts: "P:" / "Participant:" lines)
    # = 84; the interviewer turns someone coded are added (none were, so 84 turns per code).
    codes = len(table) - 1
    interviewer_coded = table.attrs["n_units_per_code"] - 84
    assert interviewer_coded == INTERVIEWER_TURNS_CODED
    assert overall["n_units"] == (84 + interviewer_coded) * codes


# interviewer turns coded by AK or RB in P01, P02, P06 (see the test above)
INTERVIEWER_TURNS_CODED = 0


def demo_study(demo) -> Study:
    return Study.from_tables(segments=demo.segments, codings=demo.codings, codebook=demo.codebook,
                             participants=demo.participants, documents=demo.documents, texts=demo.texts,
                             levels=demo.config.levels)


def test_demo_double_coded_interviews_count_one_coder(demo):
    """Issue 12: P01, P02 and P06 are coded by AK and double-coded by RB for reliability; their
    theme counts are AK's alone (the primary coder, 10 coded documents against 3), not AK + RB."""
    import helpers

    study = demo_study(demo)
    default = helpers.theme_matrix(study, level="theme", value="count")
    ak = helpers.theme_matrix(study, level="theme", value="count", coder="AK")
    rb = helpers.theme_matrix(study, level="theme", value="count", coder="RB")
    double = ["P01", "P02", "P06"]
    assert (default.loc[double] == ak.loc[double]).all().all()
    assert rb.loc[double].to_numpy().sum() > 0   # RB's codings exist, and are not added in
    assert "primary coder AK" in default.attrs["rule"]


def test_demo_no_code_pairs_with_its_parent_and_saturation_says_its_order(demo):
    import helpers

    study = demo_study(demo)
    matrix = helpers.cooccurrence(study, unit="segment", level=None)
    hierarchy = study.hierarchy
    assert matrix.attrs["same_branch"]
    for code, ancestor in matrix.attrs["same_branch"]:
        assert matrix.loc[code, ancestor] == 0 and matrix.loc[ancestor, code] == 0
        assert ancestor in [name for name, _ in hierarchy.chain(code, "initial")] + \
            [name for name, _ in hierarchy.chain(code, "focused")]
    sat = helpers.saturation(study)
    assert sat.summary["level"] == "initial"     # the demo's most specific level
    assert "Interviews in the participants' interview_order column" in sat.sentence
    assert "200 random interview orders (seed 0)" in sat.sentence


def test_demo_exports_to_valid_qdpx_that_round_trips(demo, tmp_path):
    """Export the demo, import the .qdpx as the only input of a new study: the
    same texts, codings (document, code, span, coder) and code tree."""
    xmlschema = pytest.importorskip("xmlschema")
    import zipfile

    from helpers.interop.refi import export_qdpx

    study = Study.from_tables(segments=demo.segments, codings=demo.codings, codebook=demo.codebook,
                              participants=demo.participants, documents=demo.documents, texts=demo.texts,
                              levels=demo.config.levels)
    target = tmp_path / "study" / "codings" / "demo.qdpx"
    target.parent.mkdir(parents=True)
    export_qdpx(study, target)
    schema_file = DEMO.parents[3].parent / "shared" / "peers" / "refi-qda" / "schemas" / "Project.xsd"
    if schema_file.is_file():
        xmlschema.XMLSchema(str(schema_file)).validate(zipfile.ZipFile(target).read("project.qde").decode())
    (tmp_path / "study" / "study.yml").write_text("title: round trip\n", encoding="utf-8")
    back = build(resolve(str(tmp_path / "study")), load_config(tmp_path / "study"))
    assert back.texts == demo.texts

    def spans(codings):
        return sorted(zip(codings["doc_id"], codings["code"], codings["start"].astype(int),
                          codings["end"].astype(int), codings["coder"]))

    assert spans(back.codings) == spans(demo.codings)
    tree = lambda book: sorted(zip(book["code"], book["parent"].fillna("")))  # noqa: E731
    assert tree(back.codebook) == tree(demo.codebook)
