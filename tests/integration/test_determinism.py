"""Determinism (issue 9, item 5): two runs of the batch on the same inputs give
byte-identical tables (Parquet, CSV, texts, workbooks), the same figures and
the same report pages.

The two runs are as different as they can be while the inputs stay the same:
separate project folders (so no absolute path may leak into an output),
different PYTHONHASHSEED (so no output may depend on set or dict-of-set
order), run one after the other (so no clock time may leak).
"""
from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest
from support import make_root

from helpers import atomic

STUDY = "mini"


def run_report(root: Path, hash_seed: str) -> None:
    env = {**os.environ, "TRANSCRIPT_THEMES_HOME": str(root), "PYTHONHASHSEED": hash_seed}
    env.pop(atomic.FAULT_VARIABLE, None)
    result = subprocess.run([sys.executable, "-m", "helpers", "report", STUDY, "--jobs", "2", "--force"],
                            cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="session")
def second_mini_report(tmp_path_factory) -> Path:
    second, _ = make_root(tmp_path_factory.mktemp("second"))
    run_report(second, "2")
    return second


@pytest.fixture
def runs(mini_report, second_mini_report) -> tuple[Path, Path]:
    """The first run: the fixture study's shared run (tests/conftest.py, PYTHONHASHSEED=1,
    in a project of its own, made before this one); the second: here, PYTHONHASHSEED=2."""
    return mini_report.root, second_mini_report


def files(root: Path, folder: str) -> dict[str, Path]:
    base = root / folder
    return {str(p.relative_to(base)): p for p in sorted(base.rglob("*")) if p.is_file()}


def processed(root: Path) -> dict[str, Path]:
    return files(root, f"data/processed/{STUDY}")


def executed_notebooks(root: Path) -> dict[str, nbformat.NotebookNode]:
    return {p.name: nbformat.read(str(p), as_version=4)
            for p in sorted((root / "reports" / STUDY / "executed").glob("*.ipynb"))}


@pytest.mark.notebook
def test_every_processed_table_and_text_is_byte_identical(runs):
    first, second = processed(runs[0]), processed(runs[1])
    assert set(first) == set(second)
    tables = [name for name in first if Path(name).suffix in (".parquet", ".csv", ".txt", ".xlsx")]
    # the five contract tables, the notebooks' CSVs and three workbooks at least
    assert sum(n.endswith(".parquet") for n in tables) == 5
    assert sum(n.startswith("tables/") and n.endswith(".csv") for n in tables) >= 10
    assert {"tables/framework_matrix.xlsx", "tables/disagreements.xlsx", "tables/code_suggestions.xlsx"} <= set(tables)
    differing = [n for n in tables if first[n].read_bytes() != second[n].read_bytes()]
    assert differing == []


@pytest.mark.notebook
def test_workbook_cell_values_are_identical(runs):
    for name in ("framework_matrix.xlsx", "disagreements.xlsx", "code_suggestions.xlsx"):
        books = [openpyxl.load_workbook(root / "data" / "processed" / STUDY / "tables" / name, read_only=True)
                 for root in runs]
        values = [{ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}
                  for book in books]
        for book in books:
            book.close()
        assert values[0] == values[1], name
        assert any(len(rows) > 1 for rows in values[0].values()), f"{name} has no data rows"


@pytest.mark.notebook
def test_manifest_differs_only_in_ingest_time(runs):
    first, second = (json.loads((root / "data" / "processed" / STUDY / "manifest.json").read_text()) for root in runs)
    first.pop("time"), second.pop("time")
    assert first == second


def figures(nb: nbformat.NotebookNode) -> list[bytes]:
    return [base64.b64decode(output["data"]["image/png"]) for cell in nb.cells
            for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]


@pytest.mark.notebook
def test_every_figure_is_the_same_png(runs):
    first, second = (executed_notebooks(root) for root in runs)
    assert set(first) == set(second) and len(first) == 9
    total = 0
    for name in first:
        pngs = figures(first[name]), figures(second[name])
        assert len(pngs[0]) == len(pngs[1]), name
        differing = [i for i, (a, b) in enumerate(zip(*pngs)) if a != b]
        assert differing == [], f"{name}: figures {differing} differ"
        total += len(pngs[0])
    assert total >= 10  # the batch draws figures in every main notebook


def outputs(nb: nbformat.NotebookNode) -> list[str]:
    """Every cell output as JSON, without execution counts and metadata
    (papermill's timings)."""
    return [json.dumps({k: v for k, v in output.items() if k not in ("execution_count", "metadata")},
                       sort_keys=True)
            for cell in nb.cells for output in cell.get("outputs", [])]


@pytest.mark.notebook
def test_every_notebook_output_is_the_same(runs):
    first, second = (executed_notebooks(root) for root in runs)
    for name in first:
        assert outputs(first[name]) == outputs(second[name]), name


@pytest.mark.notebook
def test_report_pages_are_byte_identical(runs):
    first, second = (files(root, f"reports/{STUDY}") for root in runs)
    pages = [n for n in first if n.endswith(".html") and "/" not in n and n != "index.html"]
    assert len(pages) == 9
    assert [n for n in pages if first[n].read_bytes() != second[n].read_bytes()] == []
    # evidence pages, figures (PNG and SVG) and the Word and Excel files to send, too
    shared = [n for n in first if n.split("/")[0] in ("evidence", "figures") or n.endswith((".docx", ".xlsx"))]
    assert set(shared) == {n for n in second if n in shared} and len(shared) > 20
    # notebook 02 counts codes as applied by default (issue 12: the study's own choice)
    assert {"summary.docx", "codebook.docx", "tables.xlsx", "evidence/codes-as-applied.html"} <= set(shared)
    assert [n for n in shared if first[n].read_bytes() != second[n].read_bytes()] == []
    # the index states when it was generated and when the inputs were ingested; nothing else differs
    when = re.compile(r"(Reports generated )[^<]*(?= by)|(\(ingested )[^)]*")
    index = [when.sub(lambda m: m.group(1) or m.group(2), first["index.html"].read_text(encoding="utf-8")),
             when.sub(lambda m: m.group(1) or m.group(2), second["index.html"].read_text(encoding="utf-8"))]
    assert index[0] == index[1]


def test_the_same_sheets_written_twice_give_the_same_workbook_bytes(tmp_path):
    # openpyxl stamps the save time into the file; two saves over two seconds
    # apart (zip times count in two-second steps) must still match byte for byte.
    sheets = {"matrix": pd.DataFrame({"participant": ["A01", "A02"], "Coping": ["walks", ""]}),
              "about": pd.DataFrame({"note": ["one row per participant"]})}
    atomic.write_excel(tmp_path / "one.xlsx", sheets)
    time.sleep(2.2)
    atomic.write_excel(tmp_path / "two.xlsx", sheets)
    assert (tmp_path / "one.xlsx").read_bytes() == (tmp_path / "two.xlsx").read_bytes()
    # and the cells are as written: header row, then the values (empty text reads back as None)
    book = openpyxl.load_workbook(tmp_path / "one.xlsx")
    assert [list(r) for r in book["matrix"].iter_rows(values_only=True)] == [
        ["participant", "Coping"], ["A01", "walks"], ["A02", None]]
    assert book.sheetnames == ["matrix", "about"]
