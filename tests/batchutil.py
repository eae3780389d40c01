"""A throwaway project root for tests that run the batch: its own data/ and
reports/, the repository's notebooks, so tests never write into the checkout."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MINI = REPO / "tests" / "fixtures" / "studies" / "mini"


def make_root(tmp_path: Path, study: Path = MINI, name: str | None = None) -> tuple[Path, Path]:
    """(root, raw study folder) with the study copied under root/data/raw/."""
    root = tmp_path / "project"
    (root / "data" / "processed").mkdir(parents=True)
    (root / "notebooks").symlink_to(REPO / "notebooks")
    raw = root / "data" / "raw" / (name or study.name)
    shutil.copytree(study, raw)
    return root, raw


def run_cli(root: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRANSCRIPT_THEMES_HOME": str(root)}
    return subprocess.run([sys.executable, "-m", "helpers", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=timeout)


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
