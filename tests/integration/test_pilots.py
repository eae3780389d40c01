"""Pilot studies of one and two interviews: the whole batch completes (issue 19 item 8).

A pilot is a valid study; an analysis that needs more (topic suggestions, keyness
between participants, the participant map) says "Too few to …" in its page and the
batch goes on to every other notebook, the index and the final redaction scan.
The two-interview study is the shape of ../shared/cases/robustness/tiny_study_report_fails
(4 and 2 turns, three quote codings), with its own invented text; the case itself runs
too when the shared folder is present. All text is invented.
"""
from __future__ import annotations

import os
import re

import nbformat
import papermill
import pytest
from support import REPO, make_root, make_study, run_in
from test_notebooks import outputs_text

pytestmark = pytest.mark.notebook
CASE = REPO.parent / "shared" / "cases" / "robustness" / "tiny_study_report_fails"

ONE = {
    "study.yml": "title: One-interview pilot\n",
    "participants.csv": "participant_id,pseudonym\nP01,Wren\n",
    "transcripts/P01.txt": ("I: How did you hear about the walking group?\n"
                            "P: A neighbour mentioned it after church.\n"
                            "I: What was the first walk like?\n"
                            "P: Muddy, honestly, though everyone chatted.\n"),
    "codings/AK.csv": ("participant,quote,code\n"
                       "P01,A neighbour mentioned it,word of mouth\n"
                       "P01,everyone chatted,belonging\n"),
}
TWO = {
    "study.yml": "title: Two-interview pilot\n",
    "participants.csv": "participant_id,pseudonym\nP01,Wren\nP02,Ash\n",
    "redactions.csv": "term,replacement\nMarigold,(PLACE)\n",
    "transcripts/P01.txt": ONE["transcripts/P01.txt"] + "P: We stopped at Marigold for tea.\n",
    "transcripts/P02.txt": "I: Anything changed since joining?\nP: Sleeping longer, calmer mornings.\n",
    "codings/AK.csv": ONE["codings/AK.csv"] + "P02,Sleeping longer,change\n",
}
BATCH_PAGES = {"01-clean-transcripts.html", "02-code-frequencies.html", "03-code-cooccurrence.html",
               "04-themes-across-participants.html", "08-discovery.html"}


def visible_text(page) -> str:
    return re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))


def run_pilot(tmp_path, files: dict | None = None, source=None):
    if files is not None:
        source = make_study(tmp_path / "src", files, name="pilot")
    root, raw = make_root(tmp_path, source, name="pilot")
    result = run_in(root, "report", "pilot", "--jobs", "1")
    return root, raw, result


@pytest.mark.parametrize("files, pids", [(ONE, ["P01"]), (TWO, ["P01", "P02"])], ids=["one", "two"])
def test_batch_completes_on_a_pilot(tmp_path, files, pids):
    root, _raw, result = run_pilot(tmp_path, files)
    assert result.returncode == 0, result.stderr[-3000:]
    reports = root / "reports" / "pilot"
    index = (reports / "index.html").read_text(encoding="utf-8")
    expected = BATCH_PAGES | {f"05-participant-profile-{pid}.html" for pid in pids}
    # the report's pages (the index also links the evidence pages under evidence/)
    assert {h for h in re.findall(r'href="([^"]+\.html)"', index) if "/" not in h} == expected
    assert all((reports / page).is_file() for page in expected)
    discovery = visible_text(reports / "08-discovery.html")
    assert "Too few to suggest topics:" in discovery and "too little text" in discovery
    if len(pids) == 1:  # keyness compares participants: one has no one to be compared with
        assert "Too few to compare participants" in visible_text(reports / "02-code-frequencies.html")
    for page in reports.rglob("*.html"):  # the redaction still holds on every page
        assert "Marigold" not in page.read_text(encoding="utf-8")


def test_case_tiny_study_report_completes(tmp_path):
    if not (CASE / "expected.md").is_file():
        pytest.skip(f"robustness case not present: expected at {CASE}")
    root, _raw, result = run_pilot(tmp_path, source=CASE)
    assert result.returncode == 0, result.stderr[-3000:]
    reports = root / "reports" / "pilot"
    assert (reports / "index.html").is_file()
    assert {"05-participant-profile-P01.html", "05-participant-profile-P02.html"} <= {
        p.name for p in reports.glob("*.html")}
    assert "Too few to suggest topics:" in visible_text(reports / "08-discovery.html")


@pytest.mark.parametrize("notebook", ["06-intercoder-agreement", "07-explore"])
def test_notebooks_outside_the_batch_complete_on_a_one_interview_pilot(tmp_path, notebook, monkeypatch):
    root, raw = make_root(tmp_path, make_study(tmp_path / "src", ONE, name="pilot"), name="pilot")
    monkeypatch.setitem(os.environ, "TRANSCRIPT_THEMES_HOME", str(root))  # the kernel inherits it
    out = tmp_path / f"{notebook}.ipynb"
    papermill.execute_notebook(str(REPO / "notebooks" / f"{notebook}.ipynb"), str(out),
                               parameters={"study": str(raw)}, kernel_name="python3", progress_bar=False,
                               cwd=str(REPO / "notebooks"))
    nb = nbformat.read(str(out), as_version=4)
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    assert outputs_text(nb)
