"""Shared test fixtures: paths, a tiny-study writer and a throw-away project home."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
TRANSCRIPTS = FIXTURES / "transcripts"
MINI = FIXTURES / "studies" / "mini"
DEMO = REPO / "data" / "raw" / "demo"
PEERS = REPO.parent / "shared" / "peers"

DEFAULT_YML = "title: Test study\n"


def make_study(tmp_path: Path, files: dict[str, str | bytes | None], name: str = "study") -> Path:
    """Write a study folder ``tmp_path/name`` holding ``files`` (relative path ->
    text or bytes) and return it. ``study.yml`` defaults to a bare title unless
    given; give ``"study.yml": None`` for a study without one."""
    root = tmp_path / name
    root.mkdir(parents=True, exist_ok=True)
    files = {"study.yml": DEFAULT_YML, **files}
    for rel, content in files.items():
        if content is None:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def project_home(tmp_path, monkeypatch) -> Path:
    """A throw-away project root (data/raw, notebooks/) so that nothing is
    written under the real repository's data/processed."""
    home = tmp_path / "home"
    (home / "data" / "raw").mkdir(parents=True)
    (home / "notebooks").mkdir()
    monkeypatch.setenv("TRANSCRIPT_THEMES_HOME", str(home))
    return home


def run_cli(*args: str, home: Path | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m helpers ARGS`` in a subprocess, with the project home set."""
    import os

    env = dict(os.environ)
    env.pop("TT_DEBUG", None)
    if home is not None:
        env["TRANSCRIPT_THEMES_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "helpers", *args], capture_output=True, text=True,
                          env=env, cwd=cwd or REPO, timeout=120)
