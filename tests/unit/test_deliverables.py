"""Deliverables (issue 16 point 5) and study-aware report settings (point 7)."""
from __future__ import annotations

import zipfile
from types import SimpleNamespace

import docx
import openpyxl
import pandas as pd
import pytest
from support import make_study

from helpers.errors import InputError
from helpers.ingest.config import load_config
from helpers.report import deliverables, reports
from helpers.study import Study

TEXT = "I: So?\nP: Hope came back slowly.\nI: And?\nP: The group and the walks.\n"


def _study() -> Study:
    starts, ends = [0, 7, 32, 40], [6, 31, 39, len(TEXT) - 1]
    segments = pd.DataFrame({"doc_id": ["d1"] * 4, "seg_no": [1, 2, 3, 4], "participant_id": [None, "P1", None, "P1"],
                             "speaker_role": ["interviewer", "participant"] * 2, "start": starts, "end": ends,
                             "text": [TEXT[s:e] for s, e in zip(starts, ends)]})
    segments2 = segments.assign(doc_id="d2", participant_id=[None, "P2", None, "P2"])
    codings = pd.DataFrame([
        {"doc_id": "d1", "participant_id": "P1", "code": "hope", "level": "initial", "seg_first": 2, "seg_last": 2},
        {"doc_id": "d1", "participant_id": "P1", "code": "company", "level": "initial", "seg_first": 4, "seg_last": 4},
        {"doc_id": "d2", "participant_id": "P2", "code": "hope", "level": "initial", "seg_first": 2, "seg_last": 2},
    ])
    codebook = pd.DataFrame({"code": ["recovery", "hope", "company"], "parent": ["", "recovery", "recovery"],
                             "level": ["theme", "initial", "initial"],
                             "description": ["Getting better", "Expecting things to improve", "Being with others"]})
    return Study.from_tables(segments=pd.concat([segments, segments2], ignore_index=True), codings=codings,
                             codebook=codebook, texts={"d1": TEXT, "d2": TEXT}, title="Recovery pilot",
                             participants=pd.DataFrame({"participant_id": ["P1", "P2"], "pseudonym": ["Ash", "Wren"]}))


def test_codebook_table_counts_each_code_with_what_is_below_it():
    book = deliverables.codebook_table(_study())
    assert book["code"].tolist() == ["recovery", "hope", "company"]
    assert book["applications"].tolist() == [3, 2, 1]       # recovery = hope (2) + company (1)
    assert book["participants"].tolist() == [2, 2, 1]
    assert book["description"].iloc[0] == "Getting better"


def test_methods_paragraph_is_generated_from_the_run():
    text = deliverables.methods_paragraph(_study())
    assert "2 participants" in text and "8 turns" in text
    assert "3 codings of 3 codes at the levels theme, initial" in text
    assert "Transcript Themes" in text and "one passage" in text


def test_methods_paragraph_says_transcripts_and_coding_sources_in_words():
    """It read "… (1 quote-bank, 3 txt) … from 6 input file(s)": study.yml counted as a source, formats as
    file extensions, a quote bank's stand-in documents as transcripts."""
    base = _study()
    docs = pd.DataFrame({"doc_id": ["d1", "d2", "d3", "P9"], "participant_id": ["P1", "P2", "P3", "P9"],
                         "format": ["txt", "txt", "txt", "quote-bank"],
                         "kind": ["interview", "interview", "interview", "quote_bank"],
                         "source_file": ["t/d1.txt", "t/d2.txt", "t/d3.txt", "codings/bank.xlsx"], "sha256": "",
                         "n_segments": 4, "n_words": 15})
    codings = pd.concat([base.codings.assign(source="codings/sheet.xlsx#Interviews"),
                         pd.DataFrame([{"doc_id": "P9", "participant_id": "P9", "code": "hope", "level": "initial",
                                        "seg_first": 1, "seg_last": 1, "source": "codings/bank.xlsx#Quotes"}])],
                        ignore_index=True)
    study = Study.from_tables(segments=base.segments, codings=codings, codebook=base.codebook, documents=docs,
                              texts=base.texts, participants=base.participants)
    study.manifest = {"inputs": [{"path": p} for p in ("study.yml", "codebook.csv", "a", "b", "c", "d")]}
    text = deliverables.methods_paragraph(study)
    assert text.startswith("3 plain-text transcripts and a quote-bank document (one per participant, a quote a turn)")
    assert "were imported from an Excel coding sheet and a quote bank." in text
    assert "study.yml" not in text and "input file" not in text and "txt" not in text


def test_summary_docx_contents_is_a_word_toc_field_updated_on_open(tmp_path):
    """The contents list had no page numbers: a real TOC field, w:updateFields in the settings, and the
    plain list after it for readers that do not update fields."""
    path = deliverables.write_summary_docx(_study(), tmp_path / "summary.docx")
    with zipfile.ZipFile(path) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
        settings = archive.read("word/settings.xml").decode("utf-8")
    assert '<w:fldChar w:fldCharType="begin"/>' in body and '<w:fldChar w:fldCharType="end"/>' in body
    assert 'TOC \\o "1-2" \\h \\z \\u</w:instrText>' in body
    assert '<w:updateFields w:val="true"/>' in settings
    texts = [p.text for p in docx.Document(str(path)).paragraphs]
    start = texts.index("The same chapters, without page numbers:")
    assert texts[start + 1:start + 4] == ["1. Methods", "2. Codebook", "3. Participants × theme"]


def test_summary_docx_reads_back_with_every_section(tmp_path):
    path = deliverables.write_summary_docx(_study(), tmp_path / "summary.docx")
    document = docx.Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:4] == ["Contents", "Methods", "Codebook", "Participants × theme"]
    assert "Theme: recovery" in headings and "Ash" in headings and "Wren" in headings
    assert document.paragraphs[0].text == "Recovery pilot"  # title page
    quotes = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    assert any("Hope came back slowly" in q and "(Ash t2)" in q for q in quotes)
    codebook, matrix = document.tables
    assert [c.text for c in codebook.rows[0].cells][:4] == ["code", "level", "parent", "description"]
    assert [c.text for c in matrix.rows[1].cells] == ["Ash", "✓"]


def test_codebook_and_tables_workbooks(tmp_path):
    study = _study()
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "code_frequencies_theme.csv").write_text("code,applications\nrecovery,3\n", encoding="utf-8")
    long = "a_very_long_table_name_that_excel_would_refuse_x"
    (tables / f"{long}1.csv").write_text("a\n1\n", encoding="utf-8")
    (tables / f"{long}2.csv").write_text("a\n2\n", encoding="utf-8")
    study.paths = SimpleNamespace(tables=tables, reports=tmp_path)
    docx_path, xlsx_path = deliverables.write_codebook(study, tmp_path)
    word = docx.Document(str(docx_path)).tables[0]
    assert word.rows[1].cells[0].text == "recovery"
    # the percent column in one format, as on the pages: P1 and P2 of 2 -> 100 %, P2 of 2 -> 50 %
    # (a fresh user's codebook.docx read "75" beside "62.50")
    heads = [c.text for c in word.rows[0].cells]
    pct = [row.cells[heads.index("Participants (%)")].text for row in word.rows[1:]]
    assert pct == ["100 %", "100 %", "50 %"]
    book = openpyxl.load_workbook(xlsx_path)["codebook"]
    assert [c.value for c in book[1]][:3] == ["code", "level", "parent"]
    workbook = openpyxl.load_workbook(deliverables.write_tables_workbook(study, tmp_path))
    assert len(workbook.sheetnames) == 4 and workbook.sheetnames[0] == "contents"
    assert len(set(workbook.sheetnames)) == 4 and all(len(n) <= 31 for n in workbook.sheetnames)
    contents = list(workbook["contents"].iter_rows(values_only=True))
    assert ("code_frequencies_theme", "tables/code_frequencies_theme.csv", 1) in [r[:3] for r in contents]


def test_bundle_zip_leaves_out_executed_notebooks_and_hidden_files(tmp_path):
    (tmp_path / "executed").mkdir()
    (tmp_path / "executed" / "01.ipynb").write_text("{}")
    (tmp_path / "executed" / ".01.key").write_text("k")
    (tmp_path / "index.html").write_text("<p>x</p>")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "a.svg").write_text("<svg/>")
    path = deliverables.bundle_zip(tmp_path, "pilot")
    assert sorted(zipfile.ZipFile(path).namelist()) == ["pilot/figures/a.svg", "pilot/index.html"]


def test_report_settings_and_min_group_size_in_study_yml(tmp_path):
    root = make_study(tmp_path, {"study.yml": "title: T\nmin_group_size: 5\nreport:\n"
                                              "  03-code-cooccurrence: {unit: overlap}\n"})
    config = load_config(root)
    assert config.min_group_size == 5 and config.report == {"03-code-cooccurrence": {"unit": "overlap"}}
    assert reports.study_settings(SimpleNamespace(config=config)) == {"03-code-cooccurrence": {"unit": "overlap"}}


@pytest.mark.parametrize("settings,message", [
    ("  09-nothing: {unit: overlap}\n", "report: unknown notebook '09-nothing'"),
    ("  03-code-cooccurrence: {colour: red}\n", "report: 03-code-cooccurrence: unknown parameter 'colour'"),
])
def test_report_settings_that_no_notebook_takes_are_refused(tmp_path, settings, message):
    root = make_study(tmp_path, {"study.yml": "title: T\nreport:\n" + settings})
    with pytest.raises(InputError) as caught:
        reports.study_settings(SimpleNamespace(config=load_config(root)))
    line = caught.value.problems[0].line()
    assert message in line and "study.yml" in line and " — use one of: " in line


def test_bad_min_group_size_is_a_one_line_error(tmp_path):
    root = make_study(tmp_path, {"study.yml": "title: T\nmin_group_size: 0\n"})
    with pytest.raises(InputError) as caught:
        load_config(root)
    assert "min_group_size 0 is below 1" in caught.value.problems[0].line()


def test_word_documents_are_the_same_bytes_when_written_twice(tmp_path):
    import time

    study = _study()
    deliverables.write_summary_docx(study, tmp_path / "a.docx")
    time.sleep(2.1)  # zip entry times count in two-second steps
    deliverables.write_summary_docx(study, tmp_path / "b.docx")
    assert (tmp_path / "a.docx").read_bytes() == (tmp_path / "b.docx").read_bytes()


def test_tables_workbook_keeps_numbers_as_numbers_and_text_as_text(tmp_path):
    """tables.xlsx read every CSV as text: 448 numbers of a keyness sheet were text cells,
    and the CSV's formula guard showed as part of a code name ('=cmd)."""
    study = _study()
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "scores.csv").write_text("code,applications,log_ratio\n'=cmd,3,-1.5\n'+ve experience,,2\n",
                                       encoding="utf-8")
    study.paths = SimpleNamespace(tables=tables, reports=tmp_path)
    sheet = openpyxl.load_workbook(deliverables.write_tables_workbook(study, tmp_path))["scores"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows == [("=cmd", 3, -1.5), ("+ve experience", None, 2)]
    # headers in words as on the pages, flags as yes/no (a fresh user found 'per_1000', 'False')
    (tables / "keyness_role.csv").write_text("word,per_1000,tested\nhope,2.5,False\n", encoding="utf-8")
    book = openpyxl.load_workbook(deliverables.write_tables_workbook(study, tmp_path))
    assert list(book["keyness_role"].iter_rows(values_only=True)) == [("word", "Per 1,000 words", "tested"),
                                                                     ("hope", 2.5, "no")]
    assert sheet["A2"].data_type == "s"  # a string cell, never a formula
