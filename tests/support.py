"""Helpers shared by every test (unit and integration): paths, a tiny-study
writer, throwaway project roots and the command line in a subprocess.

Imported as ``support`` (pyproject's pytest ``pythonpath`` puts tests/ on the
path); fixtures built on these live in tests/conftest.py.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
TRANSCRIPTS = FIXTURES / "transcripts"
MINI = FIXTURES / "studies" / "mini"
DEMO = REPO / "data" / "raw" / "demo"
PEERS = REPO.parent / "shared" / "peers"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

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


def run_cli(*args: str, home: Path | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m helpers ARGS`` in a subprocess, with the project home set."""
    env = dict(os.environ)
    env.pop("TT_DEBUG", None)
    if home is not None:
        env["TRANSCRIPT_THEMES_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "helpers", *args], capture_output=True, text=True,
                          env=env, cwd=cwd or REPO, timeout=120)


# -- a throwaway project root for tests that run the batch: its own data/ and
#    reports/, the repository's notebooks, so tests never write into the checkout

def make_root(tmp_path: Path, study: Path = MINI, name: str | None = None) -> tuple[Path, Path]:
    """(root, raw study folder) with the study copied under root/data/raw/."""
    root = tmp_path / "project"
    (root / "data" / "processed").mkdir(parents=True)
    (root / "notebooks").symlink_to(REPO / "notebooks")
    raw = root / "data" / "raw" / (name or study.name)
    shutil.copytree(study, raw)
    return root, raw


def run_in(root: Path, *args: str, timeout: int = 900, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m helpers ARGS`` in a subprocess run in the project ``root``
    (its home), with ``env`` added to the environment (a variable given None: removed)."""
    env = {**os.environ, "TRANSCRIPT_THEMES_HOME": str(root), **(env or {})}
    env = {name: value for name, value in env.items() if value is not None}
    return subprocess.run([sys.executable, "-m", "helpers", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=timeout)


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def copy_root(root: Path, tmp_path: Path) -> Path:
    """A copy of the project ``root`` (raw study, processed tables, reports,
    file times kept) under ``tmp_path``, for a test that changes what a shared
    run left: the shared run itself stays read-only."""
    copy = tmp_path / "project"
    shutil.copytree(root, copy, symlinks=True)
    return copy
