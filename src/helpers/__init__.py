"""Transcript Themes: transcripts and a researcher's coding in, tidy tables,
counts with stated rules, and shareable HTML reports out.

The stable entry points (DESIGN §6) are importable from here; heavy modules
are imported on first use so that ``import helpers`` stays quick.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_ENTRY_POINTS = {
    "load_study": "study",
    "Study": "study",
    "InputError": "errors",
    "code_frequencies": "frequency",
    "word_frequencies": "frequency",
    "keyness": "frequency",
    "kwic": "frequency",
    "cooccurrence": "cooccurrence",
    "theme_matrix": "themes",
    "recurrence": "themes",
    "framework_matrix": "themes",
    "negative_cases": "themes",
    "saturation": "themes",
    "agreement": "agreement",
    "export_qdpx": "interop.refi",
}

__all__ = sorted(_ENTRY_POINTS)


def __getattr__(name: str):
    module = _ENTRY_POINTS.get(name)
    if module is None:
        raise AttributeError(f"module 'helpers' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
