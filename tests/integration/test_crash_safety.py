"""Crash safety (issue 9, item 2): a run killed with SIGKILL at any point never
leaves a truncated or half-written table or report, never leaves the study
locked, and the next run completes and clears the leftovers.

The kills: deterministic ones through the test-only hook TT_FAULT
(helpers.atomic.fault_point) — while ingesting (staging folder written; old
folder set aside), mid-notebook, mid-render — and one real SIGKILL of the
whole process group at a moment chosen by watching the run.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import psutil
import pytest
from support import make_root, run_in

from helpers import atomic
from helpers.errors import InputError
from helpers.report import reports
from helpers.study import resolve

STUDY = "mini"
ALL_PAGES = {"01-clean-transcripts", "02-code-frequencies", "03-code-cooccurrence", "04-themes-across-participants",
             "06-intercoder-agreement", "08-discovery", "05-participant-profile-A01",
             "05-participant-profile-A02", "05-participant-profile-A03"}


# -- running and killing ----------------------------------------------------------------

def run_killed(root: Path, *args: str, fault: str | None = None, kill_when=None, timeout: float = 600) -> int:
    """Run ``python -m helpers ARGS`` in its own session; with ``fault`` set as
    TT_FAULT it kills itself at that point, with ``kill_when`` the test sends
    SIGKILL to its process group once ``kill_when()`` is true. Waits until every
    process the run started (notebook kernels run in sessions of their own and
    stop when their parent dies) has gone, and returns the exit status."""
    env = {**os.environ, "TRANSCRIPT_THEMES_HOME": str(root)}
    env.pop(atomic.FAULT_VARIABLE, None)
    if fault:
        env[atomic.FAULT_VARIABLE] = fault
    with open(root.parent / "killed-run.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "helpers", *args], cwd=root, env=env,
                                stdout=log, stderr=log, start_new_session=True)
    runner = psutil.Process(proc.pid)
    started: dict[int, psutil.Process] = {}
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        try:
            started.update({child.pid: child for child in runner.children(recursive=True)})
        except psutil.NoSuchProcess:
            pass
        if (kill_when is not None and kill_when()) or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            break
        time.sleep(0.05)
    assert time.monotonic() <= deadline, "the run neither finished nor reached its kill point"
    _, still_running = psutil.wait_procs(list(started.values()), timeout=30)
    for orphan in still_running:  # started by this run: ours to stop
        orphan.kill()
    assert not still_running, f"processes outlived the killed run: {[p.pid for p in still_running]}"
    return proc.returncode


def report(root: Path, *args: str) -> subprocess.CompletedProcess:
    result = run_in(root, "report", STUDY, "--jobs", "2", *args)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


# -- what must hold after any kill -----------------------------------------------------------

def assert_nothing_half_written(root: Path) -> None:
    """Every table and report present reads completely: Parquet, CSV, xlsx and
    manifest parse; every executed notebook is valid, fully executed (each
    non-empty code cell has an execution count, papermill's end time is set)
    and has no error output; every HTML page ends with </html>."""
    processed = root / "data" / "processed"
    out = root / "reports" / STUDY
    for path in processed.rglob("*.parquet"):
        pd.read_parquet(path)
    for path in processed.rglob("*.csv"):
        pd.read_csv(path)
    for path in processed.rglob("*.xlsx"):
        openpyxl.load_workbook(path).close()
    for path in processed.rglob("manifest.json"):
        json.loads(path.read_text(encoding="utf-8"))
    for path in out.glob("executed/*.ipynb"):
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
        assert all(c.get("execution_count") is not None for c in code), f"{path.name}: not fully executed"
        assert nb.metadata["papermill"].get("end_time"), f"{path.name}: papermill never finished it"
        errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"{path.name}: error output"
    for path in out.glob("*.html"):
        assert path.read_text(encoding="utf-8").rstrip().endswith("</html>"), f"{path.name} is cut short"


def leftovers(root: Path) -> list[Path]:
    """Hidden files and folders a run leaves in data/processed/, data/processed/<study>/,
    reports/ (the bundle's staging folder) and reports/<study>/, except the keys that let a later run skip a notebook.
    (Independent of how helpers names its temporary files.)"""
    processed = root / "data" / "processed"
    found = [p for p in processed.glob(".*")] + [p for p in (root / "reports").glob(".*")]
    for folder in (processed / STUDY, root / "reports" / STUDY):
        found += [p for p in folder.rglob(".*") if not (p.parent.name == "executed" and p.suffix == ".key")]
    return sorted(found)


def recover(root: Path, *args: str) -> None:
    """The next normal run completes, writes the index, and clears every leftover."""
    report(root, *args)
    assert (root / "reports" / STUDY / "index.html").is_file()
    assert_nothing_half_written(root)
    assert leftovers(root) == []


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root, _ = make_root(tmp_path_factory.mktemp("crash"))
    return root


# -- fast tests: the pieces ---------------------------------------------------------------------

def test_atomic_write_killed_before_rename_leaves_the_old_file(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old\n", encoding="utf-8")
    code = "import sys; from helpers import atomic; atomic.write_text(sys.argv[1], 'new\\n')"
    env = {**os.environ, atomic.FAULT_VARIABLE: "replace:table.csv"}
    child = subprocess.run([sys.executable, "-c", code, str(target)], env=env, timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert target.read_text(encoding="utf-8") == "old\n"
    temps = [p for p in tmp_path.iterdir() if p != target]
    # the one temporary file: hidden, not a .csv, names the dead writer
    assert len(temps) == 1 and temps[0].name.startswith(".table.csv.") and not temps[0].name.endswith(".csv")
    assert temps[0].read_text(encoding="utf-8") == "new\n"
    assert atomic.remove_stale(tmp_path) == temps
    assert sorted(tmp_path.iterdir()) == [target]


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_leftovers_of_dead_runs_are_removed_under_the_lock_and_a_live_writers_kept(tmp_path, monkeypatch):
    root, raw = make_root(tmp_path)
    monkeypatch.setenv("TRANSCRIPT_THEMES_HOME", str(root))
    paths = resolve(str(raw))
    dead, alive = dead_pid(), os.getpid()
    processed_parent = paths.processed.parent
    (paths.processed / "tables").mkdir(parents=True)
    (paths.reports / "executed").mkdir(parents=True)
    planted = {
        processed_parent / f".{STUDY}.staging-{dead}": "dead ingest",
        processed_parent / f".{STUDY}.old-{dead}": "dead ingest",
        processed_parent / f".{STUDY}.staging-{alive}": "live ingest",
        paths.tables / f".word_frequencies.csv.{dead}.k2j4h5g1.tmp": "dead",
        paths.tables / f".word_frequencies.csv.{alive}.a1b2c3d4.tmp": "live",
        paths.reports / "executed" / f".01-clean-transcripts.ipynb.{dead}.x9y8z7w6.tmp": "dead",
        paths.reports / f".index.html.{dead}.q1w2e3r4.tmp": "dead",
        paths.reports / "executed" / ".01-clean-transcripts.key": "a key: not a leftover",
    }
    for path, what in planted.items():
        if ".staging-" in path.name or ".old-" in path.name:
            (path / "tables").mkdir(parents=True)
            (path / "tables" / "x.csv").write_text("a\n1\n")
        else:
            path.write_text(what)
    with reports.run_lock(paths):
        pass
    kept = {path for path in planted if path.exists()}
    assert kept == {path for path, what in planted.items() if what.startswith(("live", "a key"))}


def test_run_lock_is_outside_the_project_and_a_killed_holder_frees_it(tmp_path, monkeypatch):
    root, raw = make_root(tmp_path)
    monkeypatch.setenv("TRANSCRIPT_THEMES_HOME", str(root))
    paths = resolve(str(raw))
    holder_code = textwrap.dedent(f"""
        import sys, time
        from helpers.report import reports
        from helpers.study import resolve
        with reports.run_lock(resolve({str(raw)!r})):
            print("locked", flush=True)
            time.sleep(120)
    """)
    holder = subprocess.Popen([sys.executable, "-c", holder_code], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "TRANSCRIPT_THEMES_HOME": str(root)})
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(InputError) as caught:
            with reports.run_lock(paths):
                pass
        assert "another run on this study is in progress" in str(caught.value)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    with reports.run_lock(paths):  # the dead holder's lock is gone
        pass
    # nothing of the lock in the project: bad input must leave data/processed and reports empty
    assert list((root / "data" / "processed").iterdir()) == []
    assert not (root / "reports").exists()
    assert root not in reports.lock_file(paths).parents


def test_bad_input_leaves_nothing_in_processed_or_reports(tmp_path):
    root, raw = make_root(tmp_path)
    (raw / "participants.csv").write_text("name\nsomeone\n", encoding="utf-8")  # no participant_id column
    for command in ("report", "ingest"):
        result = run_in(root, command, str(raw))
        assert result.returncode == 2, result.stderr
        assert list((root / "data" / "processed").iterdir()) == []
        assert not (root / "reports").exists()


def touch_inputs(root: Path) -> None:
    """Change the study's inputs (a comment in study.yml), so the next run ingests."""
    study_yml = root / "data" / "raw" / STUDY / "study.yml"
    study_yml.write_text(study_yml.read_text(encoding="utf-8") + f"# touched {time.time_ns()}\n",
                         encoding="utf-8")


# -- the batch, killed at each point ---------------------------------------------------------------

@pytest.mark.notebook
def test_killed_with_the_staging_folder_written(root):
    processed = root / "data" / "processed"
    touch_inputs(root)
    status = run_killed(root, "report", STUDY, "--only", "01-clean", fault=f"staged:{STUDY}")
    assert status == -signal.SIGKILL
    staging = [p for p in processed.glob(f".{STUDY}.staging-*")]
    assert len(staging) == 1 and (staging[0] / "manifest.json").is_file()  # killed where intended
    assert_nothing_half_written(root)
    recover(root, "--only", "01-clean")


@pytest.mark.notebook
def test_killed_between_the_two_renames_of_the_swap(root):
    """The old processed folder is set aside and the new one not yet in place:
    the next run ingests again and, because tables/ was replaced, re-runs the
    notebooks that write there even though the inputs did not change."""
    processed = root / "data" / "processed"
    report(root, "--only", "02-code")  # 02 has run and written its tables
    table = processed / STUDY / "tables" / "code_frequencies_theme.csv"
    assert table.is_file()
    status = run_killed(root, "ingest", STUDY, fault=f"swap:{STUDY}")
    assert status == -signal.SIGKILL
    assert not (processed / STUDY).exists() and len(list(processed.glob(f".{STUDY}.old-*"))) == 1
    assert_nothing_half_written(root)
    recover(root, "--only", "02-code")
    assert table.is_file()


@pytest.mark.notebook
def test_killed_mid_notebook(root):
    executed = root / "reports" / STUDY / "executed"
    report(root, "--only", "01-clean")
    before = (executed / "01-clean-transcripts.ipynb").read_bytes()
    status = run_killed(root, "report", STUDY, "--only", "01-clean", "--force", fault="notebook")
    assert status == -signal.SIGKILL
    # the part-written notebook, under a temporary name in the new bundle's staging folder
    partial = list((root / "reports").glob(f".{STUDY}.staging-*/executed/.01-clean-transcripts.ipynb.*"))
    assert len(partial) == 1
    cells = json.loads(partial[0].read_text(encoding="utf-8"))["cells"]
    counts = [c.get("execution_count") for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert counts[0] is not None and counts[-1] is None  # killed part-way through
    assert (executed / "01-clean-transcripts.ipynb").read_bytes() == before  # the finished one untouched
    assert_nothing_half_written(root)
    recover(root, "--only", "01-clean")
    # the killed run never touched the bundle in place, whose notebook is still
    # complete and current: the next run keeps it
    assert (executed / "01-clean-transcripts.ipynb").read_bytes() == before


@pytest.mark.notebook
def test_killed_mid_render(root):
    out = root / "reports" / STUDY
    report(root, "--only", "01-clean")
    before = (out / "01-clean-transcripts.html").read_bytes()
    status = run_killed(root, "report", STUDY, "--only", "01-clean", "--force",
                        fault="replace:01-clean-transcripts.html")
    assert status == -signal.SIGKILL
    rendered = list((root / "reports").glob(f".{STUDY}.staging-*/.01-clean-transcripts.html.*"))
    assert len(rendered) == 1 and rendered[0].read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert (out / "01-clean-transcripts.html").read_bytes() == before
    assert_nothing_half_written(root)
    recover(root, "--only", "01-clean")


@pytest.mark.notebook
def test_process_group_killed_while_notebooks_run_in_parallel(root):
    """A real SIGKILL, not a hook: the whole batch is killed a second after a
    notebook of the parallel phase has started writing; the next plain run
    finishes every report."""
    executed = root / "reports" / STUDY / "executed"
    seen_at: list[float] = []

    def parallel_phase_running() -> bool:
        staging = root / "reports"
        if not seen_at and any(not p.name.startswith(".01-")
                               for p in staging.glob(f".{STUDY}.staging-*/executed/.*.ipynb.*.tmp")):
            seen_at.append(time.monotonic())
        return bool(seen_at) and time.monotonic() - seen_at[0] > 1.0

    status = run_killed(root, "report", STUDY, "--jobs", "2", "--force", kill_when=parallel_phase_running)
    assert status == -signal.SIGKILL and seen_at, "the run ended before the parallel phase"
    assert_nothing_half_written(root)
    recover(root)
    out = root / "reports" / STUDY
    assert {p.stem for p in out.glob("*.html")} == ALL_PAGES | {"index"}
    assert {p.stem for p in executed.glob("*.ipynb")} == ALL_PAGES
