"""Where a study's folders are: the project root and ``StudyPaths`` (DESIGN §1).

Shared by ingestion (which writes the processed folder) and ``helpers.study`` (which
reads it), so that neither imports the other for a path.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def project_root() -> Path:
    """The project folder: $TRANSCRIPT_THEMES_HOME, else the nearest folder up
    from the working directory that has data/raw/, else this checkout."""
    env = os.environ.get("TRANSCRIPT_THEMES_HOME")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for folder in [here, *here.parents]:
        if (folder / "data" / "raw").is_dir() and (folder / "notebooks").is_dir():
            return folder
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class StudyPaths:
    name: str
    raw: Path
    processed: Path
    reports: Path

    @property
    def tables(self) -> Path:
        return self.processed / "tables"

    @property
    def texts(self) -> Path:
        return self.processed / "texts"
