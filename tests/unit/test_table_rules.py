"""Every table an analysis returns carries its counting rule in ``attrs["rule"]`` (issue 15, item 3):
the reports collect it from there, so a table without one would be shown without its rule.

Each public function of the analysis modules that takes only a study (other parameters left at
their defaults) is called on the fixture study ``mini``; a DataFrame it returns must carry a
non-empty ``attrs["rule"]``. ``PENDING`` lists the tables that do not yet (their modules are being
edited elsewhere); it may only shrink.
"""
from __future__ import annotations

import importlib
import inspect
import shutil
import warnings

import pandas as pd
import pytest
from support import MINI

from helpers.study import load_study

MODULES = ["frequency", "cooccurrence", "themes", "agreement", "discovery", "overview"]
# Not tables of counts: selections and look-ups the analyses build on.
NOT_COUNTS = {"frequency.select_codings", "frequency.select_segments", "frequency.counted_turns"}
PENDING: set[str] = set()


def table_functions() -> dict[str, object]:
    """Public functions whose only required parameter is the study, by ``module.name``."""
    found = {}
    for module_name in MODULES:
        module = importlib.import_module(f"helpers.analysis.{module_name}")
        names = getattr(module, "__all__", None) or [
            n for n, v in vars(module).items()
            if not n.startswith("_") and inspect.isfunction(v) and v.__module__ == module.__name__]
        for name in names:
            function = getattr(module, name)
            if not inspect.isfunction(function):
                continue
            params = list(inspect.signature(function).parameters.values())
            if not params or params[0].name != "study":
                continue
            required = [p for p in params[1:] if p.default is inspect.Parameter.empty
                        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
            if not required:
                found[f"{module_name}.{name}"] = function
    return found


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    root = tmp_path_factory.mktemp("rules") / "mini"
    shutil.copytree(MINI, root)
    return load_study(root)


def _tables(mini) -> dict[str, pd.DataFrame]:
    out = {}
    for name, function in table_functions().items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = function(mini)
            except (ValueError, LookupError) as exc:  # e.g. too few turns for six topics
                out[name] = exc
                continue
        if isinstance(result, pd.DataFrame):
            out[name] = result
    return out


@pytest.fixture(scope="module")
def tables(mini):
    return _tables(mini)


def test_the_tables_are_found(tables):
    assert {"cooccurrence.cooccurrence", "agreement.agreement", "agreement.coder_summary",
            "overview.talk_share"} <= set(tables)


def test_every_analysis_table_states_its_rule(tables):
    missing = sorted(name for name, table in tables.items()
                     if isinstance(table, pd.DataFrame) and name not in NOT_COUNTS | PENDING
                     and not str(table.attrs.get("rule") or "").strip())
    assert not missing, "tables without attrs['rule']: " + ", ".join(missing)


def test_pending_only_shrinks(tables):
    done = sorted(name for name in PENDING
                  if isinstance(tables.get(name), pd.DataFrame) and str(tables[name].attrs.get("rule") or "").strip())
    assert not done, "rule attached now (strike from PENDING): " + ", ".join(done)
