"""Every notebook is a jupytext pair: the py:percent script is the reviewed source,
the .ipynb (no outputs) is what JupyterLab and papermill open. They must agree."""
from __future__ import annotations

import shutil
import subprocess
import sys

import jupytext
import nbformat
import pytest
from support import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def cells(nb) -> list[tuple[str, str, list]]:
    return [(c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in nb.cells]


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_pair_in_sync_and_output_free(ipynb):
    script = ipynb.with_suffix(".py")
    assert script.exists(), f"{ipynb.name} has no paired {script.name}: run make notebooks"
    nb = nbformat.read(str(ipynb), as_version=4)
    assert cells(jupytext.read(str(script))) == cells(nb), (
        f"{ipynb.name} and {script.name} differ: edit the .py, then run make notebooks")
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, (
                f"{ipynb.name} is committed with outputs")
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{ipynb.name} needs exactly one cell tagged 'parameters'"


def test_every_notebook_script_has_its_notebook():
    scripts = sorted((REPO / "notebooks").glob("*.py"))
    assert [p.with_suffix(".ipynb") for p in scripts] == NOTEBOOKS


@pytest.mark.skipif(shutil.which("ruff") is None and not (REPO / ".venv/bin/ruff").exists(),
                    reason="ruff is not installed (pip install -e '.[dev]')")
def test_notebook_scripts_pass_the_linter():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "F",
                           *map(str, sorted((REPO / "notebooks").glob("*.py")))],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
