"""The README lists every notebook parameter with its default (issue 16 point 7)."""
from __future__ import annotations

import re

import papermill
import pytest
from support import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_readme_lists_every_parameter_of_the_notebook(notebook):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = re.search(rf"^### {re.escape(notebook.stem)}\n(.*?)(?=^#|\Z)", readme, flags=re.S | re.M)
    assert section, f"README.md has no '### {notebook.stem}' under 'Notebook parameters'"
    rows = dict(re.findall(r"^\| `([^`]+)` \| `([^`]*)` \|", section.group(1), flags=re.M))
    declared = {k: str(v["default"]) for k, v in papermill.inspect_notebook(str(notebook)).items()}
    assert rows == declared, ("README.md 'Notebook parameters' is out of step with the notebook's "
                              f"parameters cell: update the table for {notebook.stem}")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_parameter_says_what_it_means(notebook):
    """The page appendix's "meaning" column comes from the parameter's comment: a fresh user
    found it empty for study (every page), new_information_threshold and seed."""
    declared = papermill.inspect_notebook(str(notebook))
    assert [name for name, v in declared.items() if not (v.get("help") or "").strip()] == []
