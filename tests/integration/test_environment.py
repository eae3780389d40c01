"""The project's own files: dependency lists agree, make targets, notebooks as committed."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib

import pytest
import yaml
from support import REPO, make_root

TARGETS = ["help", "setup", "report", "lab", "notebooks", "lint", "test", "test-unit", "bench", "clean"]
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def requirement(spec: str) -> tuple[str, str | None]:
    """'pandas>=2.1' -> ('pandas', '2.1'); names compared the PEP 503 way."""
    m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:>=\s*([^,;\s]+))?.*", spec)
    assert m, spec
    return re.sub(r"[-_.]+", "-", m.group(1)).lower(), m.group(2)


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = [d for d in env["dependencies"] if isinstance(d, dict)]
    python = [d for d in conda if requirement(d)[0] == "python"]
    assert python == ["python=3.11"]
    assert project["requires-python"] == ">=3.11"
    packages = dict(requirement(d) for d in conda if requirement(d)[0] not in ("python", "pip"))
    assert packages == dict(requirement(d) for d in project["dependencies"])
    # every dependency has a lower bound
    assert all(bound for bound in packages.values())
    # the package itself, with its dev extra, comes from pip
    assert pip == [{"pip": ["-e .[dev]"]}]


@needs_make
def test_make_help_lists_every_target_with_a_description():
    result = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    described = dict(re.findall(r"^\s+([a-z-]+)\s+(\S.*)$", plain, re.M))
    for target in TARGETS:
        assert len(described.get(target, "")) > 10, target
    # and the Makefile declares exactly these as phony targets
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert set(re.search(r"^\.PHONY:(.*)$", makefile, re.M).group(1).split()) == set(TARGETS)


def clean_in_copy(tmp_path, study: str) -> subprocess.CompletedProcess:
    """`make clean STUDY=...` in a throw-away copy of the Makefile's folder layout."""
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    for folder in ["data/raw/s1", "data/raw/s2", "data/processed/s1", "data/processed/s2", "reports/s1", "reports/s2"]:
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "file.txt").write_text("x", encoding="utf-8")
    return subprocess.run(["make", "-s", "clean", f"STUDY={study}"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)


@needs_make
@pytest.mark.parametrize("study", ["s1", "data/raw/s1", "{tmp}/data/raw/s1"])
def test_make_clean_removes_one_studys_outputs_and_never_raw(tmp_path, study):
    result = clean_in_copy(tmp_path, study.format(tmp=tmp_path))
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "data/processed/s1").exists() and not (tmp_path / "reports/s1").exists()
    for kept in ["data/raw/s1/file.txt", "data/raw/s2/file.txt", "data/processed/s2/file.txt", "reports/s2/file.txt"]:
        assert (tmp_path / kept).is_file(), kept


@needs_make
@pytest.mark.parametrize("study", ["", "/"])
def test_make_clean_without_a_study_name_removes_nothing(tmp_path, study):
    # STUDY= or STUDY=/ leave no folder name: "rm -rf data/processed/" would take every study
    clean_in_copy(tmp_path, study)
    for kept in ["data/raw/s1", "data/processed/s1", "data/processed/s2", "reports/s1", "reports/s2"]:
        assert (tmp_path / kept / "file.txt").is_file(), kept


NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_as_committed(path):
    assert re.fullmatch(r"\d\d-[a-z0-9]+(?:-[a-z0-9]+)*\.ipynb", path.name)
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert not [i for i, c in enumerate(code) if c.get("outputs") or c.get("execution_count") is not None], \
        "committed with outputs: clear them"
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one code cell tagged 'parameters'"
    for cell in code:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        assert not re.search(r"^\s*(?:async\s+)?(?:def|class)\s", source, re.M), "logic belongs in src/helpers"


def test_loadgroup_keeps_a_shared_run_on_one_worker(tmp_path):
    """`make test` relies on --dist loadgroup to build each shared report run once: with
    pytest 9.2 and pytest-xdist 3.8 the groups were silently ignored (xdist issue 1386) and
    both workers built the demo's run. A group set in a conftest hook, as tests/conftest.py
    sets them, must reach the scheduler: all four tests of the group on one worker."""
    import sys

    (tmp_path / "conftest.py").write_text(
        "import pytest\n"
        "@pytest.hookimpl(tryfirst=True)\n"
        "def pytest_collection_modifyitems(config, items):\n"
        "    for item in items:\n"
        "        if 'shared' in item.name:\n"
        "            item.add_marker(pytest.mark.xdist_group('run'))\n", encoding="utf-8")
    (tmp_path / "test_groups.py").write_text(
        "import os, time\n" + "".join(
            f"def test_{kind}_{i}():\n    time.sleep(0.2)\n    print(os.environ['PYTEST_XDIST_WORKER'])\n"
            for kind in ("shared", "free") for i in range(4)), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup", "-rA",
                             "-p", "no:cacheprovider", str(tmp_path)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:]
    # each passed test's section: "___ test_shared_0 ___", "[gw0] linux …", then what it printed
    workers = re.findall(r"_ test_shared_\d _+\n\[(gw\d)\]", result.stdout)
    assert len(workers) == 4, result.stdout[-2000:]
    assert len(set(workers)) == 1, workers
    assert len(re.findall(r"PASSED test_groups.py::test_shared_\d@run", result.stdout)) == 4


def test_check_and_ingest_import_neither_nltk_nor_scikit_learn(tmp_path):
    """textutil's tokenizer is nltk's regular expression without nltk, and the redaction check's
    common words are scikit-learn's list without scikit-learn: a command-line check paid 5 s
    importing the two (tests/unit/test_textutil_tokens.py: the same tokens and words)."""
    root, _ = make_root(tmp_path)
    for command in ("check", "ingest"):
        code = (f"import sys; from helpers.__main__ import run; code = run([{command!r}, 'mini']); "
                "print(code, sorted(m for m in ('nltk', 'sklearn') if m in sys.modules))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                             env={**os.environ, "TRANSCRIPT_THEMES_HOME": str(root)})
        assert out.stdout.strip().splitlines()[-1] == "0 []", (command, out.stdout[-500:], out.stderr[-2000:])


def test_the_report_process_imports_neither_scikit_learn_nor_scipy_stats(tmp_path):
    """Every `report` ran its deliverables in its own process: the framework workbook's
    TF-IDF and the summary's kappa imported scikit-learn (and scipy.stats with it), 2–3 s
    each run; both are now written out (tests/unit/test_framework_tfidf.py,
    test_agreement_kappa.py: the same values to the bit). The turn counts are read from
    the cache the themes page wrote, so no CountVectorizer either."""
    root, _ = make_root(tmp_path)
    code = ("import sys; from helpers.__main__ import run; "
            "code = run(['report', 'mini', '--only', '04-themes', '--jobs', '1']); "
            "print(code, sorted(m for m in ('sklearn', 'scipy.stats') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                         env={**os.environ, "TRANSCRIPT_THEMES_HOME": str(root)})
    assert out.stdout.strip().splitlines()[-1] == "0 []", (out.stdout[-500:], out.stderr[-2000:])
    assert (root / "reports" / "mini" / "framework_matrix.xlsx").is_file()  # the deliverables were written
