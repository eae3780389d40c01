"""The batch runner: parameters, failures, HTML, the redaction scan, the lock."""
from __future__ import annotations

import os
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from support import make_root

from helpers.errors import InputError
from helpers.ingest.cleaning import Redactor
from helpers.report import reports
from helpers.study import resolve


def test_undeclared_parameter_is_refused_before_anything_runs(tmp_path):
    nb = tmp_path / "nb.ipynb"
    notebook = new_notebook(cells=[new_code_cell("study = 'x'", metadata={"tags": ["parameters"]})])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, str(nb))
    with pytest.raises(InputError) as caught:
        reports.check_parameters(nb, {"study": "x", "colour": "blue"})
    line = caught.value.problems[0].line()
    assert "parameter colour not declared in the parameters cell" in line
    assert line.startswith("error: ") and " — declare them" in line
    reports.check_parameters(nb, {"study": "y"})  # declared: accepted




def test_rendered_html_escapes_transcript_text_and_has_no_script(tmp_path):
    nb = new_notebook(cells=[
        new_code_cell("study = 'x'", metadata={"tags": ["parameters"]}),
        new_code_cell("df", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/html": "<table><tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr></table>",
                                    "text/plain": "x"}, execution_count=1)]),
        new_code_cell("print('<script>alert(2)</script>')", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="<script>alert(2)</script>\n")]),
    ])
    nb.metadata["papermill"] = {"parameters": {"study": "/somewhere/secret-folder/mystudy", "level": "theme"}}
    src, out = tmp_path / "in.ipynb", tmp_path / "out.html"
    nbformat.write(nb, str(src))
    reports.render_html(src, out, "Title <b>")
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "Title &lt;b&gt;" in page
    # the study parameter shows the study's name, not the researcher's folders
    assert "mystudy" in page and "secret-folder" not in page
    assert 'href="index.html"' in page


def paths_in(root, raw):
    """The study's paths as a run under ``root`` would see them."""
    os.environ["TRANSCRIPT_THEMES_HOME"] = str(root)
    try:
        return resolve(str(raw))
    finally:
        del os.environ["TRANSCRIPT_THEMES_HOME"]


def test_redaction_scan_finds_a_planted_term(tmp_path):
    root, raw = make_root(tmp_path)
    paths = paths_in(root, raw)
    (paths.reports).mkdir(parents=True)
    (paths.processed / "tables").mkdir(parents=True)
    (paths.processed / "tables" / "clean.csv").write_text("a,b\nthe (PSW) said,1\n", encoding="utf-8")
    (paths.reports / "leak.html").write_text("<p>and then Zara&#39;s friend</p>", encoding="utf-8")
    redactor = Redactor([("Zara", "(PSW)")])
    found = reports.scan_for_terms(paths, redactor)
    assert [(p.name, placeholder) for p, placeholder in found] == [("leak.html", "(PSW)")]


def test_run_lock_refuses_a_second_run_and_frees_itself(tmp_path):
    root, raw = make_root(tmp_path)
    os.environ["TRANSCRIPT_THEMES_HOME"] = str(root)
    try:
        paths = resolve(str(raw))
        with reports.run_lock(paths):
            with pytest.raises(InputError) as caught:
                with reports.run_lock(paths):
                    pass
            assert "another run on this study is in progress" in str(caught.value)
        with reports.run_lock(paths):  # released: a new run gets it
            pass
    finally:
        del os.environ["TRANSCRIPT_THEMES_HOME"]


def test_parse_params_reads_json_values():
    assert reports.parse_params(["level=theme", "window=2", "coders=[\"AK\", \"RB\"]", "x=null"]) == {
        "level": "theme", "window": 2, "coders": ["AK", "RB"], "x": None}
    with pytest.raises(InputError):
        reports.parse_params(["novalue"])


def test_redaction_scan_reads_strings_inside_notebooks(tmp_path):
    """A term just after a line break is stored as "\\nZara" in the notebook's
    JSON; the scan must still find it (it escaped a raw-text whole-word match)."""
    import json as _json

    root, raw = make_root(tmp_path)
    paths = paths_in(root, raw)
    (paths.reports / "executed").mkdir(parents=True)
    nb = {"cells": [{"cell_type": "code", "outputs": [{"output_type": "stream", "text": "first line\nZara said"}]}]}
    (paths.reports / "executed" / "x.ipynb").write_text(_json.dumps(nb), encoding="utf-8")
    found = reports.scan_for_terms(paths, Redactor([("Zara", "(PSW)")]))
    assert [(p.name, placeholder) for p, placeholder in found] == [("x.ipynb", "(PSW)")]


def test_page_has_title_question_contents_and_parameters_at_the_end(tmp_path):
    """Issue 16 point 2: a page for people, parameters in an appendix, not a box on top."""
    nb = new_notebook(cells=[
        new_code_cell("study = 'x'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_markdown_cell("# Code frequencies\n\n## Codes\n\ntext\n\n### Level: theme"),
    ])
    nb.metadata["papermill"] = {"parameters": {"study": "/a/mystudy", "level": None, "strict": True, "codes": []}}
    src, out = tmp_path / "in.ipynb", tmp_path / "02-code-frequencies.html"
    nbformat.write(nb, str(src))
    reports.render_html(src, out, "Code frequencies", {"level": {"default": "None", "help": "None: codes as applied"}})
    page = out.read_text(encoding="utf-8")
    assert "How often, and how widely" in page                       # the question the page answers
    assert '<nav class="toc"' in page and 'href="#Codes"' in page     # contents
    assert page.index('id="appendix"') > page.index('id="Codes"')     # parameters at the end
    assert "<td>codes as applied (not set)</td>" in page              # a parameter at None reads as its meaning
    assert "not set: codes as applied" in page and "None:" not in page  # and its meaning without "None"
    assert ">None<" not in page and ">True<" not in page and ">[]<" not in page
    assert "@media print" in page and "size:A4" in page


def test_figures_get_alt_text_and_png_and_svg_files(tmp_path):
    """Issue 16 point 3: every figure saved as PNG and SVG beside the page, with alt text."""
    import base64

    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 20).decode()
    nb = new_notebook(cells=[
        new_code_cell("study = 'x'", metadata={"tags": ["parameters"]}),
        new_code_cell("fig", outputs=[nbformat.v4.new_output(
            "display_data", data={"image/png": png, "image/svg+xml": "<svg></svg>", "text/plain": "<Figure>"},
            metadata={"image/png": {"alt": "Figure showing 3 bars", "how_to_read": "Longer bars mean more."}})]),
        new_code_cell("fig2", outputs=[nbformat.v4.new_output("display_data", data={"image/png": png})]),
    ])
    src, out = tmp_path / "in.ipynb", tmp_path / "03-x.html"
    nbformat.write(nb, str(src))
    reports.render_html(src, out, "T")
    page = out.read_text(encoding="utf-8")
    assert 'alt="Figure showing 3 bars"' in page and "No description has been provided" not in page
    assert (tmp_path / "figures" / "03-x-figure-01.svg").read_text() == "<svg></svg>"
    assert (tmp_path / "figures" / "03-x-figure-01.png").read_bytes().startswith(b"\x89PNG")
    assert 'href="figures/03-x-figure-01.svg"' in page
    assert "How to read this.</strong> Longer bars mean more." in page
    assert 'alt="Figure 2 of this page' in page  # a figure without a description still says what it is


def test_redaction_scan_reads_word_documents(tmp_path):
    """The Word deliverables are outputs too: a term inside one is found."""
    import docx

    root, raw = make_root(tmp_path)
    paths = paths_in(root, raw)
    paths.reports.mkdir(parents=True)
    document = docx.Document()
    document.add_paragraph("Quiet text.")
    document.add_table(rows=1, cols=1).rows[0].cells[0].text = "then Zara said"
    document.save(str(paths.reports / "summary.docx"))
    found = reports.scan_for_terms(paths, Redactor([("Zara", "(PSW)")]))
    assert [(p.name, placeholder) for p, placeholder in found] == [("summary.docx", "(PSW)")]


def test_reports_still_exports_every_name_from_the_module_of_its_concern():
    """Issue 15: reports.py split by concern; every name it had is still importable from it
    (listed in its __all__), the same object as in the module that defines it."""
    import importlib

    before_split = {
        "BATCH", "COUNTING_RULES", "EVERYTHING", "IDENTITY_PARAMETERS", "NOTEBOOK_INPUTS", "PAGE_CSS", "PROFILE",
        "NotebookFailed", "NotebookRun", "check_parameters", "declared_parameters", "drafts_digest", "evidence_key",
        "failed_position", "ingest_stamp", "input_digests", "lock_file", "notebook_fingerprint", "notebooks_dir",
        "page", "parameterized", "parse_params", "plan", "remove_leftovers", "render_html", "run_key", "run_lock",
        "safe_name", "scan_for_terms", "scan_outputs", "study_key", "study_parameter", "study_settings",
        "write_index"}
    assert set(reports.__all__) == before_split
    homes = {"registry": ["plan", "NotebookRun", "BATCH", "study_settings"], "runlock": ["run_lock", "lock_file"],
             "runkeys": ["run_key", "study_key", "evidence_key", "NOTEBOOK_INPUTS"],
             "notebook_run": ["parameterized", "NotebookFailed"], "rendering": ["render_html", "write_index"],
             "redaction_scan": ["scan_outputs"], "pages": ["page", "COUNTING_RULES"]}
    for module, names in homes.items():
        home = importlib.import_module(f"helpers.report.{module}")
        for name in names:
            assert getattr(reports, name) is getattr(home, name), f"{module}.{name}"
    # the functions and classes are defined in their own modules now, none in reports
    assert not [n for n in before_split if getattr(getattr(reports, n), "__module__", None) == reports.__name__]


def test_appendix_states_the_value_chosen_and_where_each_came_from(tmp_path):
    """The appendix said "(not set)" without the value the page chose, and never said whether a
    value came from the notebook, study.yml report: or the command line (issue 16 item 2)."""
    from helpers.report import pages

    nb = new_notebook(cells=[
        new_code_cell("study = 'x'", metadata={"tags": ["parameters"]}),
        new_code_cell("chosen(level=level)", outputs=[nbformat.v4.new_output(
            "display_data", data={pages.CHOSEN_MIME: {"level": "theme", "attribute": "gender"}, "text/plain": ""})]),
    ])
    nb.metadata["papermill"] = {"parameters": {"study": "mystudy", "unit": "overlap", "min_count": 3}}
    src, out = tmp_path / "in.ipynb", tmp_path / "03-code-cooccurrence.html"
    nbformat.write(nb, str(src))
    defaults = {"study": {"default": "'demo'", "help": ""},
                "level": {"default": "None", "help": "None: the study's top level; or one of its levels"},
                "unit": {"default": "'segment'", "help": "the main unit"},
                "min_count": {"default": "2", "help": "pairs seen fewer times are hidden"},
                "coder": {"default": "None", "help": "None: the primary coder of each document"},
                "window": {"default": "1", "help": "k turns"}}
    reports.render_html(src, out, "Co-occurrence", defaults,
                        {"study": "batch", "unit": "study.yml", "min_count": "command line"})
    import html as _html

    page = _html.unescape(out.read_text(encoding="utf-8"))
    found = re.findall(r"<tr><th>(\w+)</th><td>([^<]*)</td><td>([^<]*)</td>", page)
    values, rows = {k: v for k, v, _ in found}, {k: o for k, _, o in found}
    assert values["level"] == "theme (the study's top level)"          # chosen by the page, not "(not set)"
    assert rows["level"] == "notebook default: not set, so the page chose it"
    assert (values["unit"], rows["unit"]) == ("overlap", "study.yml report:")
    assert (values["min_count"], rows["min_count"]) == ("3", "command line (-p)")
    assert (values["study"], rows["study"]) == ("mystudy", "the report run")
    assert (values["window"], rows["window"]) == ("1", "notebook default")
    assert values["coder"] == "the primary coder of each document (not set)"   # nothing chosen: the meaning
    assert "attribute</th>" not in page          # a value chosen for a parameter the page lacks is not a row
    assert pages.CHOSEN_MIME not in page


def test_plan_records_where_each_parameter_came_from(monkeypatch):
    """study.yml report: settings, -p values and the batch's own parameters are told apart."""
    from types import SimpleNamespace

    import pandas as pd

    from helpers.report import registry

    study = SimpleNamespace(coders=lambda: ["AK"], participant_label=lambda: {"P1": "P1"},
                            participants=pd.DataFrame({"participant_id": ["P1"]}),
                            paths=SimpleNamespace(raw="/elsewhere/s", name="s"),
                            config=SimpleNamespace(report={"03-code-cooccurrence": {"unit": "overlap"}},
                                                   drafts=None, yml="study.yml"))
    runs = {r.stem: r for r in registry.plan(study, {"min_count": 5})}
    co = runs["03-code-cooccurrence"]
    assert co.params["unit"] == "overlap" and co.params["min_count"] == 5
    assert co.origins == {"study": "batch", "unit": "study.yml", "min_count": "command line"}
    assert runs["05-participant-profile-P1"].origins["participant"] == "batch"
    assert "unit" not in runs["02-code-frequencies"].origins


def test_index_lists_every_page_with_its_state_after_only(tmp_path):
    """After `report --only 05`, the index's Reports list was empty and did not say pages were
    left out: every page is listed, linked where it exists, with whether it was updated in this
    run, carried over, or left out (and how to rebuild it)."""
    import dataclasses
    from types import SimpleNamespace

    import pandas as pd

    from helpers.report import index_page
    from helpers.report.registry import NotebookRun
    from helpers.study import Study

    segments = pd.DataFrame({"doc_id": ["d"], "seg_no": [1], "participant_id": ["P1"],
                             "speaker_role": ["participant"], "start": [0], "end": [2], "text": ["hi"]})
    study = Study.from_tables(segments=segments, codings=pd.DataFrame(
        {"doc_id": ["d"], "participant_id": ["P1"], "code": ["x"], "seg_first": [1]}),
        participants=pd.DataFrame({"participant_id": ["P1", "P2"]}))
    study = dataclasses.replace(study, manifest={})
    folder = tmp_path / "reports"
    folder.mkdir()
    for stem in ("02-code-frequencies", "05-participant-profile-P1"):
        (folder / f"{stem}.html").write_text("<html></html>", encoding="utf-8")
    runs = [NotebookRun("01-clean-transcripts", "Cleaning and import", "d1"),
            NotebookRun("02-code-frequencies", "Code frequencies", "d2"),
            NotebookRun("08-discovery", "Discovery", "d8"),
            NotebookRun("05-participant-profile", "Profile: P1", "p", output="05-participant-profile-P1"),
            NotebookRun("05-participant-profile", "Profile: P2", "p", output="05-participant-profile-P2")]
    states = {"05-participant-profile-P1": "run", "01-clean-transcripts": "outdated"}
    page = index_page.write_index(study, runs, SimpleNamespace(reports=folder, name="s"),
                             states=states).read_text(encoding="utf-8")
    reports_list = page[page.index('id="reports"'):page.index('id="files"')]
    assert '<a href="02-code-frequencies.html">Code frequencies</a>' in reports_list   # not re-run: still linked
    assert "(unchanged: carried over from an earlier run" in reports_list
    assert "<li>Cleaning and import — " in reports_list and 'href="01-clean-transcripts.html"' not in page
    assert "its last version was built from an earlier version of the study; run the report without --only" \
        in reports_list
    assert "<li>Discovery — " in reports_list and "(not built yet: run the report without --only" in reports_list
    profiles = page[page.index('id="profiles"'):]
    assert '<a href="05-participant-profile-P1.html">Profile: P1</a> <span class="state">(updated in this run)' \
        in profiles
    assert "<li>Profile: P2 <span class=\"state\">(not built yet" in profiles
