"""Ingestion: a study folder in, the processed tables out (docs/architecture.md).

- ``config``: study.yml -> StudyConfig;
- ``transcripts``: the readers (.txt .md .docx .odt .rtf .vtt .srt) -> RawDocument;
- ``cleaning``: normalisation, annotations, fillers, redaction -> CleanDocument;
- ``identifiers``: the identifier scan of the clean texts;
- ``conservation``: no word a reader saw lost unsaid;
- ``spanmap``: exact spans from other programs through cleaning;
- ``codebook``, ``sheets`` (CSV/xlsx dialects), ``quotes`` (quote alignment), ``participants``;
- ``coding``: every coding source -> the codings table;
- ``pipeline``: ``build``, ``run_ingest``: raw -> processed.

``helpers.ingest.build``, ``helpers.ingest.run_ingest`` and the other names of
``helpers.ingest.pipeline`` are importable from the package, as before the move
(imported on first use).
"""
from __future__ import annotations

import importlib

__all__ = ["Built", "build", "fingerprint_inputs", "load_participants", "run_ingest", "write_processed"]

_SUBMODULES = {"cleaning", "codebook", "coding", "config", "conservation", "identifiers", "participants", "pipeline", "quotes",
               "sheets", "spanmap", "transcripts"}


def __getattr__(name: str):
    if name.startswith("__") or name in _SUBMODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.pipeline"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
