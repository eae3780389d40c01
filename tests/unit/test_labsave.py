"""`make lab` saves notebooks without outputs (issue 19, item 2): the server config in
etc/jupyter installs helpers.report.labsave.strip_outputs as the pre-save hook."""
from __future__ import annotations

import json

import nbformat
from support import REPO


def test_jupyter_config_strips_outputs_on_save(tmp_path, monkeypatch):
    from jupyter_server.serverapp import ServerApp
    from jupyter_server.services.contents.filemanager import FileContentsManager

    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(REPO / "etc" / "jupyter"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "no-user-config"))
    app = ServerApp()
    app.load_config_file()
    manager = FileContentsManager(root_dir=str(tmp_path), config=app.config)
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(text)", execution_count=3)
    cell.outputs = [nbformat.v4.new_output("stream", text="P03: my name is Quentin Marlowe\n")]
    notebook.cells = [cell, nbformat.v4.new_markdown_cell("notes")]
    manager.save({"type": "notebook", "format": "json", "content": notebook}, "nb.ipynb")
    saved = json.loads((tmp_path / "nb.ipynb").read_text())
    assert saved["cells"][0]["outputs"] == [] and saved["cells"][0]["execution_count"] is None
    assert "".join(saved["cells"][0]["source"]) == "print(text)" and "".join(saved["cells"][1]["source"]) == "notes"
    assert "Quentin" not in (tmp_path / "nb.ipynb").read_text()


def test_make_lab_uses_that_config():
    makefile = (REPO / "Makefile").read_text()
    assert 'JUPYTER_CONFIG_PATH="$(CURDIR)/etc/jupyter" $(VENV)/bin/jupyter lab' in makefile
