"""The one conftest of the suite: fixtures shared by tests/unit and
tests/integration. Plain helpers (paths, make_study, make_root, run_cli,
run_in, tree_hashes) live in tests/support.py, imported as ``support``.

tests/unit: no kernel, no subprocess, fast (`make test-unit`).
tests/integration: the command line, notebooks under papermill, the batch,
headless Chromium. Each test is marked ``unit`` or ``integration`` by its folder.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import DEMO, FIXTURES, MINI, make_root, run_in, tree_hashes

from helpers import atomic


def pytest_sessionstart(session):
    """A test file left directly under tests/ would never run (testpaths: tests/unit,
    tests/integration): say so instead of skipping it silently."""
    stray = sorted(p.name for p in Path(__file__).parent.glob("test_*.py"))
    if stray:
        raise pytest.UsageError(f"tests/{stray[0]}: a test file outside tests/unit and tests/integration is never run "
                                "— git mv it into tests/unit (no kernel, no subprocess) or tests/integration")


@pytest.hookimpl(tryfirst=True)   # before xdist's own hook, which turns the groups into node ids
def pytest_collection_modifyitems(config, items):
    """Mark each test ``unit`` or ``integration`` by its folder, and give xdist
    groups (``--dist loadgroup``, `make test`) so that what is built once is built
    on one worker: a test using a shared run (SHARED_RUNS) goes in the group of that
    run; every test of a module with a module- or class-scoped fixture goes in the
    module's group (its fixture built once, its tests in order). Every other test is
    free to run on any worker. An explicit xdist_group mark wins. It runs first: xdist
    reads the groups in its own hook, and when that ran first the groups set here were
    ignored, so each worker built the demo's shared run (about 2 minutes each)."""
    for item in items:
        folder = Path(str(item.fspath)).parent.name
        if folder in ("unit", "integration"):
            item.add_marker(getattr(pytest.mark, folder))
        defs = getattr(item, "_fixtureinfo", None)
        names = set(defs.name2fixturedefs) if defs else set()
        shared = sorted(names & set(SHARED_RUNS))
        if item.get_closest_marker("xdist_group") or not defs:
            continue
        if shared:
            item.add_marker(pytest.mark.xdist_group(shared[0]))
        elif any(d.scope in ("module", "class", "package") for fd in defs.name2fixturedefs.values() for d in fd):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


@pytest.fixture
def project_home(tmp_path, monkeypatch) -> Path:
    """A throw-away project root (data/raw, notebooks/) so that nothing is
    written under the real repository's data/processed."""
    home = tmp_path / "home"
    (home / "data" / "raw").mkdir(parents=True)
    (home / "notebooks").mkdir()
    monkeypatch.setenv("TRANSCRIPT_THEMES_HOME", str(home))
    return home


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """A throwaway project root holding a copy of the study under test:
    ``home(study=MINI, name=None) -> (root, raw)``, the project home set to root."""
    def make(study: Path = MINI, name: str | None = None):
        root, raw = make_root(tmp_path, study, name)
        monkeypatch.setenv("TRANSCRIPT_THEMES_HOME", str(root))
        return root, raw
    return make


# -- batch runs shared by several integration tests ------------------------------------------
# Each is built once per xdist worker and read-only: a test that changes the project
# works on support.copy_root(...). Every test using one is put in the xdist group of
# the fixture's name (pytest_collection_modifyitems below), so under --dist loadgroup
# one worker builds it once.

SHARED_RUNS = ("mini_report", "demo_report", "categories_report")


@dataclass(frozen=True)
class Run:
    """A finished `report` run in a throwaway project: its root, the raw study
    folder, the raw files' hashes taken before the run, and the completed process."""
    root: Path
    raw: Path
    raw_before: dict
    result: subprocess.CompletedProcess

    @property
    def reports(self) -> Path:
        return self.root / "reports" / self.raw.name


def _report_once(tmp_path_factory, study: Path, *args: str, env: dict | None = None) -> Run:
    root, raw = make_root(tmp_path_factory.mktemp(study.name), study)
    before = tree_hashes(raw)
    env = {"PYTHONHASHSEED": "1", atomic.FAULT_VARIABLE: None, **(env or {})}
    result = run_in(root, "report", str(raw), "--jobs", "2", *args, timeout=3000, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return Run(root, raw, before, result)


def _written(root: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of every file a run wrote (data/processed, reports)."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns)
            for folder in ("data/processed", "reports") for p in sorted((root / folder).rglob("*")) if p.is_file()}


@pytest.fixture(autouse=True)
def shared_runs_stay_as_built(request):
    """Fail a test that changes a shared run (SHARED_RUNS) instead of a copy_root of it:
    the next test reading that run would see another state (a second `report` in the
    shared mini run made test_determinism's index comparison fail, by test order)."""
    names = [n for n in SHARED_RUNS if n in request.fixturenames]
    if not names:
        yield
        return
    roots = {n: request.getfixturevalue(n).root for n in names}
    before = {n: _written(root) for n, root in roots.items()}
    yield
    changed = [n for n, root in roots.items() if _written(root) != before[n]]
    assert not changed, f"this test changed the shared run {changed[0]}: work on support.copy_root(...) instead"


@pytest.fixture(scope="session")
def mini_report(tmp_path_factory) -> Run:
    """`report <path of mini> --jobs 2` on a fresh copy of tests/fixtures/studies/mini,
    PYTHONHASHSEED=1 (tests/integration/test_determinism.py runs a second with 2)."""
    return _report_once(tmp_path_factory, MINI)


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory) -> Run:
    """`report <path of demo> --jobs 2 --zip` on a fresh copy of data/raw/demo."""
    if not DEMO.is_dir():
        pytest.skip(f"{DEMO} not present")
    return _report_once(tmp_path_factory, DEMO, "--zip")


@pytest.fixture(scope="session")
def categories_report(tmp_path_factory) -> Run:
    """`report <path> --jobs 2 --zip` on tests/fixtures/studies/categories (levels
    subcategory and category, no "theme"; report: settings in its study.yml)."""
    return _report_once(tmp_path_factory, FIXTURES / "studies" / "categories", "--zip")
