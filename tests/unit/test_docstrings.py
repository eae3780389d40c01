"""Public API conventions (issue 15, item 6): every public function has a numpydoc docstring
with a ``Parameters`` section naming each of its parameters and a ``Returns`` (or ``Yields``)
section, and the entry points are typed.

"Public" is what the package says it exports: the functions in ``helpers.__all__`` (the entry
points of docs/design.md §6), the functions in each subpackage's ``__all__`` and, where a
subpackage's ``__all__`` lists modules (``helpers.analysis``, ``helpers.report``), the functions
in each such module's ``__all__`` (or, without one, its public functions defined there).

``PENDING`` lists the public functions whose docstrings are not converted yet. It may only
shrink: a function in it that passes fails the test until it is struck from the list, so the
list says exactly what is left.
"""
from __future__ import annotations

import importlib
import inspect
import re
import types

import pytest

import helpers

SUBPACKAGES = ["helpers.ingest", "helpers.interop", "helpers.analysis", "helpers.plots", "helpers.report"]
_SECTION = re.compile(r"^(\w[\w ]*)\n-{3,}[ \t]*$", re.M)
_PARAM = re.compile(r"^(\*{0,2}\w+(?:\s*,\s*\*{0,2}\w+)*)\s*(?::|$)")


def sections(doc: str | None) -> dict[str, str]:
    """The numpydoc sections of ``doc``: title -> body (the text up to the next title)."""
    doc = inspect.cleandoc(doc or "")
    found = list(_SECTION.finditer(doc))
    return {m.group(1).strip(): doc[m.end(): found[i + 1].start() if i + 1 < len(found) else len(doc)]
            for i, m in enumerate(found)}


def documented_parameters(body: str) -> set[str]:
    """Names of a Parameters section: unindented lines ``name : type`` (or ``a, b : type``)."""
    names = set()
    for line in body.splitlines():
        if line[:1].strip() and (m := _PARAM.match(line)):
            names |= {n.strip().lstrip("*") for n in m.group(1).split(",")}
    return names


def problems(function) -> list[str]:
    """What ``function``'s docstring lacks, in words (empty when it is complete)."""
    if not function.__doc__:
        return ["no docstring"]
    found = sections(function.__doc__)
    wrong = []
    params = [n for n in inspect.signature(function).parameters if n not in ("self", "cls")]
    if params:
        if "Parameters" not in found:
            wrong.append("no Parameters section")
        else:
            missing = [n for n in params if n not in documented_parameters(found["Parameters"])]
            if missing:
                wrong.append("Parameters does not name " + ", ".join(missing))
    if "Returns" not in found and "Yields" not in found:
        wrong.append("no Returns section")
    return wrong


def _module_functions(module: types.ModuleType) -> dict[str, object]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items()
                 if not n.startswith("_") and inspect.isfunction(v) and v.__module__ == module.__name__]
    return {f"{module.__name__}.{n}": getattr(module, n) for n in names}


def public_functions() -> dict[str, object]:
    """Every public function, by the dotted name it is exported under."""
    found = {f"helpers.{n}": getattr(helpers, n) for n in helpers.__all__}
    for package_name in SUBPACKAGES:
        package = importlib.import_module(package_name)
        for name in getattr(package, "__all__", []):
            value = getattr(package, name, None)
            if value is None:
                value = importlib.import_module(f"{package_name}.{name}")
            if isinstance(value, types.ModuleType):
                found.update(_module_functions(value))
            else:
                found[f"{package_name}.{name}"] = value
    return {k: v for k, v in sorted(found.items()) if inspect.isfunction(v)}


# Not converted yet (issue 15, item 6): strike a name when its docstring is done.
PENDING = set("""
""".split())


def test_the_checker_reads_numpydoc():
    def good(study, level: str | None = None, *, width: int = 60):
        """One line.

        Parameters
        ----------
        study : Study
            The study.
        level, width : str or None, int
            Two at once.

        Returns
        -------
        DataFrame
            One row per code.
        """

    def bad(study, level=None):
        """One line.

        Parameters
        ----------
        study : Study

        Notes
        -----
        level : not a parameter here
        """

    assert problems(good) == []
    assert problems(bad) == ["Parameters does not name level", "no Returns section"]
    assert problems(lambda: None) == ["no docstring"]


def test_public_functions_are_found():
    found = public_functions()
    assert "helpers.theme_matrix" in found and "helpers.load_study" in found
    assert "helpers.analysis.agreement.agreement_by_document" in found
    assert "helpers.ingest.build" in found


@pytest.mark.parametrize("name", sorted(set(public_functions()) - PENDING))
def test_public_function_has_a_numpydoc_docstring(name):
    wrong = problems(public_functions()[name])
    assert not wrong, f"{name}: " + "; ".join(wrong)


def test_pending_only_shrinks():
    found = public_functions()
    unknown = sorted(PENDING - set(found))
    done = sorted(n for n in PENDING & set(found) if not problems(found[n]))
    assert not unknown, "no such public function (strike from PENDING): " + ", ".join(unknown)
    assert not done, "docstring complete (strike from PENDING): " + ", ".join(done)


def untyped(function) -> list[str]:
    """The parameters of ``function`` without an annotation, and "return" when it has none."""
    signature = inspect.signature(function)
    missing = [n for n, p in signature.parameters.items()
               if p.annotation is inspect.Parameter.empty and n not in ("self", "cls")]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


# Entry points not fully typed yet (their modules are being edited elsewhere): strike when done.
UNTYPED_PENDING: set[str] = set()
ENTRY_FUNCTIONS = sorted(n for n in helpers.__all__ if inspect.isfunction(getattr(helpers, n)))


@pytest.mark.parametrize("name", sorted(set(ENTRY_FUNCTIONS) - UNTYPED_PENDING))
def test_entry_points_are_typed(name):
    missing = untyped(getattr(helpers, name))
    assert not missing, f"helpers.{name}: no annotation for {', '.join(missing)}"


def test_untyped_pending_only_shrinks():
    done = sorted(n for n in UNTYPED_PENDING if not untyped(getattr(helpers, n)))
    assert not done, "typed now (strike from UNTYPED_PENDING): " + ", ".join(done)
