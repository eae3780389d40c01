"""The batch runner on the command line: a failing notebook (the rest: tests/unit/test_reports.py)."""
from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook
from support import make_root, run_in


def test_failing_notebook_names_notebook_and_cell_and_exits_nonzero(tmp_path, monkeypatch):
    root, raw = make_root(tmp_path)
    notebooks = tmp_path / "nbs"
    notebooks.mkdir()
    (root / "notebooks").unlink()
    (root / "notebooks").symlink_to(notebooks)
    cells = [new_code_cell("study = 'demo'", metadata={"tags": ["parameters"]}),
             new_code_cell("x = 1"),
             new_code_cell("raise ValueError('planted failure')")]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(notebooks / "01-clean-transcripts.ipynb"))
    result = run_in(root, "report", str(raw), "--only", "01-clean")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    error_lines = [l for l in result.stderr.splitlines() if l.startswith("error:")]
    assert len(error_lines) == 1
    assert "01-clean-transcripts.ipynb: failed in cell 3" in error_lines[0]
    assert "ValueError: planted failure" in error_lines[0]
    assert (root / "reports" / raw.name / "executed" / "01-clean-transcripts.failed.ipynb").is_file()
    assert not (root / "reports" / raw.name / "executed" / "01-clean-transcripts.ipynb").exists()
