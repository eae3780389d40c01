"""Transcript Themes: transcripts and a researcher's coding in, tidy tables,
counts with stated rules, and shareable HTML reports out.

The stable entry points (docs/design.md §6) are importable from here and listed by
``dir(helpers)`` and ``help(helpers)``; their modules are imported on first use so
that ``import helpers`` stays quick.

The package follows the data (docs/architecture.md): shared modules at the top level
(``errors``, ``atomic``, ``tables``, ``hierarchy``, ``counting``, ``textutil``, ``textmap``,
``matching``, ``ids``, ``safety``, ``safezip``, ``leakscan``, ``paths``, ``study``), then
``helpers.ingest``, ``helpers.interop``, ``helpers.analysis``, ``helpers.plots`` and
``helpers.report``. ``helpers.cooccurrence`` and ``helpers.agreement`` are the functions;
their modules are ``helpers.analysis.cooccurrence`` and ``helpers.analysis.agreement``.

The flat module paths of 0.1 (``helpers.frequency``, ``helpers.coding``,
``helpers.reports`` …) still import, with a DeprecationWarning, for one release
(CHANGELOG.md).
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings

__version__ = "0.1.0"

# entry point -> the module (under helpers) that defines it
_ENTRY_POINTS = {
    "load_study": "study",
    "Study": "study",
    "InputError": "errors",
    "code_frequencies": "analysis.frequency",
    "word_frequencies": "analysis.frequency",
    "keyness": "analysis.frequency",
    "kwic": "analysis.frequency",
    "cooccurrence": "analysis.cooccurrence",
    "theme_matrix": "analysis.themes",
    "recurrence": "analysis.themes",
    "framework_matrix": "analysis.themes",
    "negative_cases": "analysis.themes",
    "saturation": "analysis.themes",
    "agreement": "analysis.agreement",
    "missing_themes": "analysis.themes",
    "codeline": "analysis.themes",
    "Explorer": "analysis.explore",
    "topics": "analysis.discovery",
    "code_suggestions": "analysis.discovery",
    "participant_map": "analysis.discovery",
    "export_qdpx": "interop.refi",
    "audit_draft": "analysis.audit",
}

__all__ = sorted(_ENTRY_POINTS)

# Old (0.1, flat) module path -> new one; kept importable for one release (issue 15).
_MOVED = {
    **{name: f"ingest.{name}" for name in (
        "config", "transcripts", "cleaning", "conservation", "spanmap", "codebook", "sheets", "quotes", "coding")},
    **{name: f"analysis.{name}" for name in (
        "frequency", "cooccurrence", "themes", "agreement", "discovery", "profile", "explore", "overview",
        "drafts", "audit", "audit_consistency", "claims")},
    **{name: f"report.{name}" for name in (
        "reports", "batch", "execution", "pages", "present", "evidence", "deliverables", "audit_page", "labsave")},
    "interop.safezip": "safezip",
}
# ``helpers.ingest`` was a module and is now a package exposing the same names
# (its content is ``helpers.ingest.pipeline``): not an alias, nothing to warn about.


def __getattr__(name: str):
    module = _ENTRY_POINTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value
        return value
    if name in _MOVED:  # ``import helpers; helpers.frequency`` of 0.1
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")


_LAYOUT = ["analysis", "atomic", "counting", "counting_coders", "counting_levels", "errors", "hierarchy", "ids", "ingest", "interop", "leakscan", "matching",
           "paths", "plots", "report", "safety", "safezip", "study", "tables", "textmap", "textutil"]


def __dir__() -> list[str]:
    """The entry points, the version and the modules and subpackages of the layout."""
    return sorted({*__all__, "__version__", "__doc__", "__name__", "__path__", *_LAYOUT})


def _warn_moved(old: str, new: str) -> None:
    # Point the warning at the importing code, past importlib's and this module's frames. The
    # warnings module itself skips importlib's bootstrap frames when it counts ``stacklevel``
    # (warnings._is_internal_frame), so only the other frames are counted here.
    frame, level = sys._getframe(1), 2  # stacklevel 2 is the caller of _warn_moved
    while frame is not None and (frame.f_code.co_filename == __file__
                                 or "importlib" in frame.f_code.co_filename):
        if not ("importlib" in frame.f_code.co_filename and "_bootstrap" in frame.f_code.co_filename):
            level += 1
        frame = frame.f_back
    warnings.warn(f"{old} moved to {new}; the old path works until the next release (CHANGELOG.md)",
                  DeprecationWarning, stacklevel=level)


class _MovedLoader(importlib.abc.Loader):
    """Loads an old module path as the module at its new path (the same module object)."""

    def __init__(self, old: str, new: str):
        self.old, self.new = old, new
        self.spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.new)
        self.spec = module.__spec__
        return module

    def exec_module(self, module):
        # importlib set the alias's spec on the shared module object: give it its own back.
        module.__spec__ = self.spec
        _warn_moved(self.old, self.new)


class _MovedFinder(importlib.abc.MetaPathFinder):
    """Finds the 0.1 module paths (``helpers.frequency`` …) and maps them to the new ones."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(f"{__name__}."):
            return None
        new = _MOVED.get(fullname[len(__name__) + 1:])
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _MovedLoader(fullname, f"{__name__}.{new}"))


class _FunctionModuleAlias(types.ModuleType):
    """``helpers.cooccurrence`` / ``helpers.agreement`` as *modules* (0.1 paths): a stand-in
    in ``sys.modules`` that forwards to ``helpers.analysis.<name>`` on first use. Being in
    ``sys.modules`` already, importing ``helpers.cooccurrence`` never rebinds the attribute
    ``helpers.cooccurrence``, which stays the function."""

    def __init__(self, old: str, new: str):
        super().__init__(old)
        object.__setattr__(self, "__spec__", None)
        object.__setattr__(self, "_alias_new", new)
        object.__setattr__(self, "_alias_warned", False)

    def _target(self):
        new = object.__getattribute__(self, "_alias_new")
        if not object.__getattribute__(self, "_alias_warned"):
            object.__setattr__(self, "_alias_warned", True)
            _warn_moved(self.__name__, new)
        return importlib.import_module(new)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(self._target(), name)

    def __setattr__(self, name, value):
        setattr(self._target(), name, value)

    def __delattr__(self, name):
        delattr(self._target(), name)

    def __dir__(self):
        return dir(self._target())


def _install_aliases() -> None:
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
    for name in ("cooccurrence", "agreement"):
        sys.modules.setdefault(f"{__name__}.{name}", _FunctionModuleAlias(f"{__name__}.{name}",
                                                                          f"{__name__}.{_MOVED[name]}"))


_install_aliases()
