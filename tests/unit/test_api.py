"""The entry points of docs/design.md §6 (``helpers.__all__``) keep the public API
conventions of issue 15 item 6: every parameter typed and named under a numpydoc
``Parameters`` section, and a ``Returns`` section saying what comes back."""
from __future__ import annotations

import inspect
import re

import pytest

import helpers

# Types users hold rather than call with parameters: Study (built by load_study or
# Study.from_tables) and InputError (raised, caught).
TYPES = {"Study", "InputError"}
CALLABLES = [name for name in helpers.__all__ if name not in TYPES]


def _section(doc: str, title: str) -> str | None:
    """The text of a numpydoc section (title, dashes underneath), or None."""
    match = re.search(rf"^{title}\n-{{3,}}\n(.*?)(?=^\w[\w ]*\n-{{3,}}\n|\Z)", doc, re.M | re.S)
    return match.group(1) if match else None


def _parameters(obj):
    signature = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)
    return [p for p in signature.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def test_section_reader():
    doc = "Summary.\n\nParameters\n----------\nx : int\n    A.\n\nReturns\n-------\nint\n"
    assert _section(doc, "Parameters") == "x : int\n    A.\n\n"
    assert _section(doc, "Returns") == "int\n"
    assert _section(doc, "Raises") is None


@pytest.mark.parametrize("name", CALLABLES)
def test_entry_point_parameters_are_typed_and_documented(name):
    obj = getattr(helpers, name)
    doc = inspect.getdoc(obj) or ""
    params = _section(doc, "Parameters")
    assert params is not None, f"helpers.{name}: no Parameters section"
    for parameter in _parameters(obj):
        assert parameter.annotation is not inspect.Parameter.empty, f"helpers.{name}: {parameter.name} untyped"
        # "name : type" or "a, b : type" at the start of a line of the section
        assert re.search(rf"^(?:\w+, )*{parameter.name}(?:, \w+)* :", params, re.M), \
            f"helpers.{name}: parameter {parameter.name} not under Parameters"


@pytest.mark.parametrize("name", [n for n in CALLABLES if not inspect.isclass(getattr(helpers, n))])
def test_entry_point_says_what_it_returns(name):
    obj = getattr(helpers, name)
    assert _section(inspect.getdoc(obj) or "", "Returns"), f"helpers.{name}: no Returns section"
    assert inspect.signature(obj).return_annotation is not inspect.Signature.empty, f"helpers.{name}: return untyped"
