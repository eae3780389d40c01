"""tables.xlsx holds every table the pages show (issue 16 item 5), read from the executed notebooks."""
from __future__ import annotations

import json
from types import SimpleNamespace

import nbformat
import openpyxl
import pandas as pd
import pytest
from IPython.core.formatters import DisplayFormatter

from helpers.report import deliverables, pages, present
from helpers.report.present_data import TABLE_MIME, cell_value, frame_data


def _shown(obj) -> dict:
    """The display output a notebook gets for ``obj`` after ``present.setup()``."""
    formatter = DisplayFormatter()
    present.table_formatters(formatter)
    data, metadata = formatter.format(obj)
    return nbformat.v4.new_output("display_data", data=data, metadata=metadata)


def _notebook(path, cells, participant=None) -> None:
    nb = nbformat.v4.new_notebook()
    for kind, content in cells:
        if kind == "markdown":
            nb.cells.append(nbformat.v4.new_markdown_cell(content))
        else:
            cell = nbformat.v4.new_code_cell("x")
            cell.outputs = [_shown(content)]
            nb.cells.append(cell)
    nb.metadata["papermill"] = {"parameters": {"study": "s", **({"participant": participant} if participant else {})}}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def _rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


@pytest.fixture
def bundle(tmp_path):
    """A CSV table, a study-wide page with a DataFrame and a present.table, two profile pages."""
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "words.csv").write_text("term,n\nhope,4\n", encoding="utf-8")
    executed = tmp_path / "report" / "executed"
    recurrence = pd.DataFrame({"code": ["hope", "loss"], "participants_pct": [50.0, 25.0], "share": [0.5, 0.25],
                               "n_codings": [3, 1]})
    negative = pd.DataFrame({"missing": [["hope", "loss"], []], "flag": [True, False]},
                            index=pd.Index(["P1", "P2"], name="participant_id"))
    _notebook(executed / "04-themes-across-participants.ipynb", [
        ("markdown", "# Themes across participants\n\n## Recurrence"), ("code", recurrence),
        ("markdown", "## Negative cases\n\nFor each participant, the themes they lack."),
        ("code", present.table(negative, caption="Themes lacking")), ("code", negative.head(1))])
    for pid, words in (("P1", 120), ("P2", 80)):
        _notebook(executed / f"05-participant-profile-{pid}.ipynb", [
            ("markdown", "# Participant profile\n\n## Talk"),
            ("code", pd.DataFrame({"speaker_role": ["participant"], "n_words": [words]}))], participant=pid)
    (executed / "06-intercoder-agreement.failed.ipynb").write_text("not read", encoding="utf-8")
    study = SimpleNamespace(paths=SimpleNamespace(tables=tables))
    return study, tmp_path / "report"


def test_every_shown_table_is_a_sheet_with_headers_in_words_and_values(bundle):
    study, folder = bundle
    book = openpyxl.load_workbook(deliverables.write_tables_workbook(study, folder))
    assert book.sheetnames == ["contents", "words", "04 Recurrence", "04 Negative cases",
                               "04 Negative cases (2)", "05 Talk"]
    # the whole recurrence table: headers as on the page, a share on 0–100 as its "(%)" says, numbers numeric
    assert _rows(book["04 Recurrence"]) == [("code", "Participants (%)", "Share (%)", "Codings"),
                                            ("hope", 50, 50, 3), ("loss", 25, 25, 1)]
    # the index as a first column, lists joined, flags in words, an empty list blank
    assert _rows(book["04 Negative cases"]) == [("Participant", "Missing codes", "flag"),
                                                ("P1", "hope; loss", "yes"), ("P2", None, "no")]
    assert _rows(book["04 Negative cases (2)"])[1:] == [("P1", "hope; loss", "yes")]
    # the profiles: one sheet for the kind of table, the participants stacked
    assert _rows(book["05 Talk"]) == [("Participant", "Speaker role", "Words"),
                                      ("P1", "participant", 120), ("P2", "participant", 80)]
    contents = _rows(book["contents"])
    assert contents[0] == ("sheet", "file", "rows", "page", "table", "how to read", "note")
    assert [r[:5] for r in contents[1:]] == [
        ("words", "tables/words.csv", 1, None, None),
        ("04 Recurrence", "04-themes-across-participants.html", 2, "Themes across participants", "Recurrence"),
        ("04 Negative cases", "04-themes-across-participants.html", 2, "Themes across participants",
         "Negative cases"),
        ("04 Negative cases (2)", "04-themes-across-participants.html", 1, "Themes across participants",
         "Negative cases (table 2)"),
        ("05 Talk", "05-participant-profile-*.html", 2,
         "Participant profile (one page per participant; 2 participants stacked)", "Talk")]
    assert all(r[5] for r in contents[2:])  # every page table with its reading guide


def test_the_workbook_is_the_same_bytes_twice_and_the_page_never_shows_the_data(bundle, tmp_path):
    study, folder = bundle
    first = deliverables.write_tables_workbook(study, folder).read_bytes()
    assert deliverables.write_tables_workbook(study, folder).read_bytes() == first
    executed = folder / "executed" / "04-themes-across-participants.ipynb"
    nb = json.loads(executed.read_text(encoding="utf-8"))
    assert sum(TABLE_MIME in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", [])) == 3
    pages.render_notebook(executed, tmp_path / "with.html", "Themes")
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            output["data"].pop(TABLE_MIME, None)
    bare = tmp_path / "bare.ipynb"
    bare.write_text(json.dumps(nb), encoding="utf-8")
    pages.render_notebook(bare, tmp_path / "without.html", "Themes")
    shown = (tmp_path / "with.html").read_text(encoding="utf-8")
    assert shown == (tmp_path / "without.html").read_text(encoding="utf-8")
    assert "transcript-themes.table" not in shown and "Participants (%)" in shown


def test_a_long_table_is_kept_whole_up_to_the_cap_and_says_when_cut():
    frame = pd.DataFrame({"n": range(7)})
    record = frame_data(frame, max_rows=5)
    assert record["rows"] == [[0], [1], [2], [3], [4]] and record["n_rows"] == 7 and record["cut"]
    assert not frame_data(frame)["cut"] and len(frame_data(frame)["rows"]) == 7
    assert [cell_value(v) for v in (float("nan"), None, float("inf"), "nan", 2.5)] == [None, None, "∞", None, 2.5]


def test_no_executed_notebook_and_no_tables_folder_writes_nothing(tmp_path):
    study = SimpleNamespace(paths=None)
    assert deliverables.write_tables_workbook(study, tmp_path) is None


def test_a_heading_a_notebook_displays_names_the_tables_under_it(tmp_path):
    """Notebook 02 shows one table per level under a displayed "### Level: …" heading."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# Code frequencies\n\n## Each level of the [hierarchy](x.html)"))
    cell = nbformat.v4.new_code_cell("x")
    for level, n in (("theme", 2), ("subtheme", 5)):
        cell.outputs.append(nbformat.v4.new_output("display_data", data={"text/markdown": f"### Level: {level}"}))
        cell.outputs.append(_shown(pd.DataFrame({"code": ["a"], "applications": [n]})))
    nb.cells.append(cell)
    (tmp_path / "executed").mkdir()
    nbformat.write(nb, str(tmp_path / "executed" / "02-code-frequencies.ipynb"))
    book = openpyxl.load_workbook(deliverables.write_tables_workbook(SimpleNamespace(paths=None), tmp_path))
    # ":" is not allowed in a sheet name; the contents sheet keeps the heading as written
    assert book.sheetnames == ["contents", "02 Level- theme", "02 Level- subtheme"]
    assert [r[3:5] for r in _rows(book["contents"])[1:]] == [("Code frequencies", "Level: theme"),
                                                            ("Code frequencies", "Level: subtheme")]
    assert _rows(book["02 Level- subtheme"]) == [("code", "Applications"), ("a", 5)]


def test_a_long_heading_is_cut_at_a_word_for_the_sheet_name():
    from helpers.report.deliverables_tables import PageTable, _sheet

    long = PageTable("06-intercoder-agreement", "Inter-coder agreement", "Disagreements, for the consensus meeting",
                     1, {})
    assert _sheet(long) == "06 Disagreements, for the"  # "…, for the consensus" would be 32 characters
    second = PageTable("01-clean-transcripts", "Cleaning", "Import of coding sources", 3, {})
    assert _sheet(second) == "01 Import of coding sources (3)" and len(_sheet(second)) == 31
    word = PageTable("02-x", "X", "Supercalifragilisticexpialidociousness", 1, {})
    assert _sheet(word) == "02 Supercalifragilisticexpialid"  # no space to cut at: cut at 31


def test_the_leak_scan_finds_a_term_in_a_page_table_of_the_workbook(tmp_path):
    """A redaction term left in a shown table (only there: not in any CSV) is found in tables.xlsx."""
    from helpers.ingest.cleaning import Redactor
    from helpers.leakscan import scan_folders

    _notebook(tmp_path / "report" / "executed" / "04-themes.ipynb",
              [("markdown", "## Quotes"), ("code", pd.DataFrame({"quote": ["Marlowe said so"]}))])
    workbook = deliverables.write_tables_workbook(SimpleNamespace(paths=None), tmp_path / "report")
    (tmp_path / "report" / "executed" / "04-themes.ipynb").unlink()  # only the workbook holds it now
    leaks = scan_folders([tmp_path / "report"], Redactor([("Marlowe", "(P1)")])).leaks
    assert {(leak.path, leak.placeholder) for leak in leaks} == {(workbook, "(P1)")}
