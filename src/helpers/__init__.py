"""Transcript Themes: transcripts and a researcher's coding in, tidy tables,
counts with stated rules, and shareable HTML reports out.

The stable entry points (DESIGN §6) are importable from here; heavy modules
are imported on first use so that ``import helpers`` stays quick.
"""
from __future__ import annotations

import importlib
import sys
import types

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
    "missing_themes": "themes",
    "codeline": "themes",
    "Explorer": "explore",
    "topics": "discovery",
    "code_suggestions": "discovery",
    "participant_map": "discovery",
    "export_qdpx": "interop.refi",
    "audit_draft": "audit",
}

__all__ = sorted(_ENTRY_POINTS)


def __getattr__(name: str):
    module = _ENTRY_POINTS.get(name)
    if module is None:
        raise AttributeError(f"module 'helpers' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """Keeps ``helpers.agreement`` and ``helpers.cooccurrence`` the functions of
    DESIGN §6 when their submodules of the same name are imported (the import
    system would otherwise rebind the name to the submodule). Import the
    modules themselves with ``from helpers.cooccurrence import …`` or
    ``importlib.import_module("helpers.cooccurrence")``."""

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and _ENTRY_POINTS.get(name) == name and hasattr(value, name):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
