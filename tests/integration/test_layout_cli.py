"""The layout (issue 15) in a fresh interpreter: a module path printed, and the 0.1 module
paths still importable with a DeprecationWarning (the rest: tests/unit/test_layout.py)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import helpers

SRC = Path(helpers.__file__).resolve().parent


def test_cli_prints_the_module_path():
    out = subprocess.run([sys.executable, "-c", "import helpers.analysis.cooccurrence as m; print(m.__file__)"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == str(SRC / "analysis" / "cooccurrence.py")


# The 0.1 paths, in a fresh interpreter each (an import warns once per process).
OLD_PATHS = [
    ("import helpers.frequency as m; assert m.code_frequencies", "helpers.frequency", "helpers.analysis.frequency"),
    ("from helpers.coding import ExternalCodings", "helpers.coding", "helpers.ingest.coding"),
    ("from helpers.reports import BATCH, parse_params", "helpers.reports", "helpers.report.reports"),
    ("from helpers.cooccurrence import UNITS, count_matrix", "helpers.cooccurrence",
     "helpers.analysis.cooccurrence"),
    ("from helpers.agreement import agreement_by_document, disagreements", "helpers.agreement", "helpers.analysis.agreement"),
    ("from helpers.interop.safezip import SafeZip", "helpers.interop.safezip", "helpers.safezip"),
]


@pytest.mark.parametrize("statement, old, new", OLD_PATHS, ids=[o for _, o, _ in OLD_PATHS])
def test_old_paths_work_and_warn(statement, old, new):
    code = (f"import warnings\nwarnings.simplefilter('error', DeprecationWarning)\n"
            f"try:\n    {statement}\nexcept DeprecationWarning as w:\n    print(w)\nelse:\n    print('no warning')\n"
            f"warnings.simplefilter('ignore', DeprecationWarning)\n{statement}\n"
            "import helpers, sys\n"
            "print(callable(helpers.cooccurrence), callable(helpers.agreement))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    first, last = out.stdout.strip().splitlines()
    assert first == f"{old} moved to {new}; the old path works until the next release (CHANGELOG.md)"
    assert last == "True True"  # the entry points stay the functions


@pytest.mark.parametrize("statement", ["import helpers.frequency",
                                       "from helpers.cooccurrence import c_coefficient",
                                       "import importlib; importlib.import_module('helpers.reports')"])
def test_old_path_warning_points_at_the_users_line_and_shows_by_default(tmp_path, statement):
    """Python shows a DeprecationWarning by default only when it is attributed to __main__: the
    warning must name the user's script and line (it was attributed to 'sys:1', so hidden)."""
    script = tmp_path / "analysis.py"
    script.write_text(f"x = 1\n{statement}\n", encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"{script}:2: DeprecationWarning" in out.stderr, out.stderr
