"""The one conftest of the suite: fixtures shared by tests/unit and
tests/integration. Plain helpers (paths, make_study, make_root, run_cli,
run_in, tree_hashes) live in tests/support.py, imported as ``support``.

tests/unit: no kernel, no subprocess, fast (`make test-unit`).
tests/integration: the command line, notebooks under papermill, the batch,
headless Chromium. Each test is marked ``unit`` or ``integration`` by its folder.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from support import MINI, make_root


def pytest_collection_modifyitems(config, items):
    for item in items:
        folder = Path(str(item.fspath)).parent.name
        if folder in ("unit", "integration"):
            item.add_marker(getattr(pytest.mark, folder))


@pytest.fixture
def project_home(tmp_path, monkeypatch) -> Path:
    """A throw-away project root (data/raw, notebooks/) so that nothing is
    written under the real repository's data/processed."""
    home = tmp_path / "home"
    (home / "data" / "raw").mkdir(parents=True)
    (home / "notebooks").mkdir()
    monkeypatch.setenv("TRANSCRIPT_THEMES_HOME", str(home))
    return home


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """A throwaway project root holding a copy of the study under test:
    ``home(study=MINI, name=None) -> (root, raw)``, the project home set to root."""
    def make(study: Path = MINI, name: str | None = None):
        root, raw = make_root(tmp_path, study, name)
        monkeypatch.setenv("TRANSCRIPT_THEMES_HOME", str(root))
        return root, raw
    return make
