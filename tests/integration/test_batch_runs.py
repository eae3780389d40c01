"""The batch as a run (issues 18, 19 items 4 and 9, 16 item 8): a withdrawn
participant's pages leave the bundle, a run is one snapshot, Ctrl-C stops it
within seconds leaving the previous bundle, the terminal is quiet and ends
with a summary, and the profile pages made in one reused kernel are the pages
a fresh kernel per participant makes."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from support import REPO, copy_root, make_root, run_in, tree_hashes

pytestmark = pytest.mark.notebook
CASES = REPO.parent / "shared" / "cases"
WITHDRAWN = CASES / "confidentiality" / "withdrawn_participant_stale_profile"


def every_text(folder: Path) -> dict[Path, str]:
    """Each file under ``folder`` as text (tables as CSV), for searching."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix in (".png", ".npz"):
            continue
        if path.suffix == ".parquet":
            out[path] = pd.read_parquet(path).to_csv()
        elif path.suffix == ".xlsx":
            out[path] = "\n".join(f.to_csv() for f in pd.read_excel(path, sheet_name=None).values())
        else:
            out[path] = path.read_text(encoding="utf-8", errors="replace")
    return out


# -- withdrawal (issue 19 item 4) ------------------------------------------------------------

@pytest.fixture(scope="module")
def peer_first_run(tmp_path_factory):
    """A first complete run of the withdrawal case as study "peer" (P01–P04), shared by the
    withdrawal tests, each working on its own copy (support.copy_root): one run instead of one
    per test. Returns (root, the first run's result)."""
    if not WITHDRAWN.is_dir():
        pytest.skip(f"case folder absent: {WITHDRAWN}")
    root, _ = make_root(tmp_path_factory.mktemp("peer"), WITHDRAWN, name="peer")
    first = run_in(root, "report", "peer", "--jobs", "2")
    assert first.returncode == 0, first.stderr[-2000:]
    return root, first


@pytest.mark.skipif(not WITHDRAWN.is_dir(), reason=f"case folder absent: {WITHDRAWN}")
def test_withdrawn_participant_leaves_no_page_notebook_or_key(peer_first_run, tmp_path):
    root = copy_root(peer_first_run[0], tmp_path)
    raw = root / "data" / "raw" / "peer"
    out = root / "reports" / "peer"
    assert {p.stem for p in out.glob("05-participant-profile-*.html")} == {
        f"05-participant-profile-P0{i}" for i in (1, 2, 3, 4)}
    # P04 withdraws: transcript, participants row and codings go
    (raw / "transcripts" / "P04.txt").unlink()
    for rel in ("participants.csv", "codings/AK.csv"):
        lines = (raw / rel).read_text(encoding="utf-8").splitlines(keepends=True)
        (raw / rel).write_text("".join(l for l in lines if not l.startswith("P04,")), encoding="utf-8")
    second = run_in(root, "report", "peer", "--jobs", "2")
    assert second.returncode == 0, second.stderr[-2000:]
    assert {p.stem for p in out.glob("05-participant-profile-*.html")} == {
        f"05-participant-profile-P0{i}" for i in (1, 2, 3)}
    leftovers = [p for p in out.rglob("*") if "P04" in p.name]
    assert leftovers == []
    # nothing of P04 anywhere in what the run left: pseudonym, id, their quotes
    for folder in (out, root / "data" / "processed" / "peer"):
        for path, text in every_text(folder).items():
            for needle in ("P04", "Ash", "The meeting was friendly", "I go out more and I sleep better"):
                assert not re.search(rf"\b{needle}\b", text), f"{needle!r} in {path}"
    # said in the terminal summary
    assert "removed 1 page no longer in the study: 05-participant-profile-P04" in second.stdout
    # nothing but this run's outputs: no hidden staging or set-aside folder beside the bundle
    assert sorted(p.name for p in (root / "reports").iterdir()) == ["peer"]


@pytest.mark.skipif(not WITHDRAWN.is_dir(), reason=f"case folder absent: {WITHDRAWN}")
def test_a_second_study_with_the_same_folder_name_gets_none_of_the_first_ones_pages(tmp_path):
    """Outputs go to reports/<folder name>/: a different study in a folder of
    the same name must not inherit the first one's profile pages."""
    root, raw = make_root(tmp_path, WITHDRAWN, name="study")
    assert run_in(root, "report", "study", "--jobs", "2", "--only", "05-").returncode == 0
    other = tmp_path / "elsewhere" / "study"
    other.mkdir(parents=True)
    (other / "study.yml").write_text("title: Another study\n", encoding="utf-8")
    (other / "transcripts").mkdir()
    (other / "transcripts" / "Q01.txt").write_text("I: Hello?\nP: Fine thanks, the group helped.\n", encoding="utf-8")
    result = run_in(root, "report", str(other), "--jobs", "2", "--only", "05-")
    assert result.returncode == 0, result.stderr[-2000:]
    pages = {p.stem for p in (root / "reports" / "study").glob("05-*.html")}
    assert pages == {"05-participant-profile-Q01"}


def _withdraw_p04(raw: Path) -> None:
    """P04 withdraws: their transcript, participants row and coding rows go."""
    (raw / "transcripts" / "P04.txt").unlink()
    for rel in ("participants.csv", "codings/AK.csv"):
        lines = (raw / rel).read_text(encoding="utf-8").splitlines(keepends=True)
        (raw / rel).write_text("".join(l for l in lines if not l.startswith("P04,")), encoding="utf-8")


def _assert_absent(folder: Path, needles) -> None:
    for path, text in every_text(folder).items():
        for needle in needles:
            assert not re.search(rf"\b{needle}\b", text), f"{needle!r} in {path}"


@pytest.mark.skipif(not WITHDRAWN.is_dir(), reason=f"case folder absent: {WITHDRAWN}")
def test_a_partial_run_after_a_withdrawal_removes_every_page_built_with_the_withdrawn_participant(
        peer_first_run, tmp_path):
    """A full run, P04 withdraws, then ``--only 05``: the study-wide pages (and
    their executed notebooks, figures, evidence pages) built with P04 are not
    kept as "unchanged"; they leave the folder and the index, and the summary
    says so (the wd fault: they stayed, with P04's pseudonym and quotes)."""
    root = copy_root(peer_first_run[0], tmp_path)   # the full run
    raw = root / "data" / "raw" / "peer"
    out = root / "reports" / "peer"
    assert re.search(r"\bAsh\b", (out / "04-themes-across-participants.html").read_text(encoding="utf-8"))
    _withdraw_p04(raw)
    second = run_in(root, "report", "peer", "--only", "05", "--jobs", "1")
    assert second.returncode == 0, second.stderr[-2000:]
    # the profiles selected were rebuilt; every other page was built with P04: gone, not "unchanged"
    assert sorted(p.stem for p in out.glob("*.html")) == [
        "05-participant-profile-P01", "05-participant-profile-P02", "05-participant-profile-P03", "index"]
    assert sorted(p.name for p in (out / "executed").iterdir()) == sorted(
        [f"{prefix}05-participant-profile-P0{i}{suffix}" for i in (1, 2, 3)
         for prefix, suffix in (("", ".ipynb"), (".", ".key"), (".", ".study.key"))] + [".evidence.key"])
    assert not list(out.glob("evidence/*")) and not list(out.glob("figures/01-*")) \
        and not list(out.glob("figures/04-*"))
    _assert_absent(out, ("P04", "Ash", "The meeting was friendly", "I go out more and I sleep better",
                         "gave me a leaflet"))
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "04-themes-across-participants.html" not in index and "evidence/" not in index
    stale = ["01-clean-transcripts", "02-code-frequencies", "03-code-cooccurrence",
             "04-themes-across-participants", "08-discovery"]
    assert second.stdout.startswith("report peer: 3 pages (3 run, 0 unchanged)")
    assert (f"  removed {len(stale)} pages built from an earlier version of the study: {', '.join(stale)}; "
            "run without --only to rebuild them") in second.stdout.splitlines()
    assert "removed 1 page no longer in the study: 05-participant-profile-P04" in second.stdout
    # nothing changed since: everything kept, nothing removed
    third = run_in(root, "report", "peer", "--only", "05", "--jobs", "1")
    assert third.returncode == 0, third.stderr[-2000:]
    assert third.stdout.startswith("report peer: 3 pages (0 run, 3 unchanged)")
    assert "removed" not in third.stdout
    # tables.xlsx keeps the tables of the pages carried over (read from their executed notebooks):
    # the profiles' talk tables stacked, P01–P03, and no sheet of a page left out
    sheets = pd.read_excel(out / "tables.xlsx", sheet_name=None)
    assert sorted(sheets["05 Talk"]["Participant"].unique()) == ["P01", "P02", "P03"]
    assert not [name for name in sheets if name.startswith(("01 ", "04 "))]
    # a full run rebuilds them, without P04
    fourth = run_in(root, "report", "peer", "--jobs", "1")
    assert fourth.returncode == 0, fourth.stderr[-2000:]
    assert fourth.stdout.startswith("report peer: 8 pages (5 run, 3 unchanged)")
    assert {"04 Recurrence", "05 Talk"} <= set(pd.read_excel(out / "tables.xlsx", sheet_name=None))
    _assert_absent(out, ("P04", "Ash", "The meeting was friendly"))


@pytest.mark.skipif(not WITHDRAWN.is_dir(), reason=f"case folder absent: {WITHDRAWN}")
def test_a_partial_run_of_another_study_with_the_same_folder_name_keeps_nothing_of_the_first(tmp_path):
    """/a/study fully reported, then a different /b/study with ``--only 05-``:
    reports/study/ holds none of the first study's pages, quotes or pseudonyms."""
    root, _ = make_root(tmp_path, WITHDRAWN, name="unused")
    first_study = tmp_path / "a" / "study"
    import shutil

    shutil.copytree(WITHDRAWN, first_study)
    first = run_in(root, "report", str(first_study), "--jobs", "1")
    assert first.returncode == 0, first.stderr[-2000:]
    out = root / "reports" / "study"
    assert re.search(r"\bRobin\b", (out / "04-themes-across-participants.html").read_text(encoding="utf-8"))
    other = tmp_path / "b" / "study"
    (other / "transcripts").mkdir(parents=True)
    (other / "study.yml").write_text("title: Another study\n", encoding="utf-8")
    (other / "transcripts" / "Q01.txt").write_text("I: Hello?\nP: Fine thanks, the allotment helped.\n",
                                                   encoding="utf-8")
    second = run_in(root, "report", str(other), "--jobs", "1", "--only", "05-")
    assert second.returncode == 0, second.stderr[-2000:]
    assert sorted(p.stem for p in out.glob("*.html")) == ["05-participant-profile-Q01", "index"]
    _assert_absent(out, ("P01", "P04", "Robin", "Ash", "Kit", "Peer support study", "made tea for everyone",
                         "The meeting was friendly", "gave me a leaflet", "less alone"))
    assert "Another study" in (out / "index.html").read_text(encoding="utf-8")
    assert "run without --only to rebuild them" in second.stdout


# -- Ctrl-C (issue 19 item 9) ---------------------------------------------------------------

def ctrl_c_as_at_a_terminal() -> None:
    """In the child before it starts: SIGINT handled by default and not blocked, as a
    command typed at a terminal has it. A test run started in the background of a
    non-interactive shell (`make test &`) has SIGINT ignored, and children inherit that:
    Python then installs no KeyboardInterrupt handler and the Ctrl-C tests failed."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _children(pid: int) -> list[int]:
    import psutil

    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def test_ctrl_c_stops_within_seconds_and_leaves_the_previous_bundle(mini_report, tmp_path):
    import psutil

    root = copy_root(mini_report.root, tmp_path)  # a complete previous bundle: a copy of the shared run
    out = root / "reports" / "mini"
    before = tree_hashes(out)
    env = {**os.environ, "TRANSCRIPT_THEMES_HOME": str(root)}
    proc = subprocess.Popen([sys.executable, "-m", "helpers", "report", "mini", "--jobs", "2", "--force"],
                            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ctrl_c_as_at_a_terminal)
    try:
        # wait until notebooks are running in kernels (a partial notebook in the staging folder)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if list((root / "reports").glob(".mini.staging-*/executed/.*.ipynb.*.tmp")):
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        else:
            pytest.fail("no notebook started within 120 s")
        kernels = _children(proc.pid)
        assert kernels, "no kernel running"
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
        stopped = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    # A few seconds: ~1 s on a quiet machine; 10 s leaves room for a loaded one
    # (before, the batch ran on for ~50 s).
    assert stopped < 10, f"took {stopped:.1f} s to stop"
    assert proc.returncode == 130, (proc.returncode, stderr[-2000:])
    assert "error: interrupted" in stderr and "Traceback" not in stderr
    time.sleep(0.5)
    alive = [pid for pid in kernels if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert alive == [], "kernels left running"
    assert tree_hashes(out) == before  # the previous complete bundle, untouched
    assert sorted(p.name for p in (root / "reports").iterdir()) == ["mini"]  # no staging left


# -- one snapshot (issue 19 item 9) -----------------------------------------------------------

def test_inputs_edited_during_the_run_are_ignored_until_the_next_run_and_said(tmp_path):
    root, raw = make_root(tmp_path)
    env = {**os.environ, "TRANSCRIPT_THEMES_HOME": str(root)}
    proc = subprocess.Popen([sys.executable, "-m", "helpers", "report", "mini", "--jobs", "2"],
                            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not list((root / "reports").glob(".mini.staging-*/executed/.*.ipynb.*.tmp")):
            assert time.monotonic() < deadline and proc.poll() is None, "no notebook started"
            time.sleep(0.1)
        # the researcher edits a transcript and study.yml while the notebooks run
        transcript = sorted((raw / "transcripts").iterdir())[0]
        transcript.write_text(transcript.read_text(encoding="utf-8") + "P: Zebrafishlike words appear.\n",
                              encoding="utf-8")
        yml = raw / "study.yml"
        yml.write_text(yml.read_text(encoding="utf-8") + "stopwords: [group]\n", encoding="utf-8")
        stdout, stderr = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr[-2000:]
    assert "inputs changed during the run" in stdout
    out = root / "reports" / "mini"
    for path, text in every_text(out).items():
        assert "Zebrafishlike" not in text, f"a page of this run read the edited input: {path}"
    # the next run takes the change in (one page is enough: the ingest is the run's, whatever it runs)
    again = run_in(root, "report", "mini", "--jobs", "2", "--only", "01-clean")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "inputs changed during the run" not in again.stdout
    assert "Zebrafishlike" in (root / "data" / "processed" / "mini" / "texts" / f"{transcript.stem}.txt").read_text()


def test_a_kernel_of_the_batch_reads_the_snapshot_not_the_raw_folder(tmp_path, monkeypatch):
    """study.load_study in a batch kernel: the snapshot's configuration and
    tables, even when data/raw/ has changed since; a re-ingest under it is an error."""
    import pickle

    from helpers import errors
    from helpers import study as study_mod
    from helpers.ingest.config import load_config

    root, raw = make_root(tmp_path)
    monkeypatch.setenv("TRANSCRIPT_THEMES_HOME", str(root))
    first = study_mod.load_study("mini")
    paths = first.paths
    config = load_config(raw)
    record = tmp_path / "snap.pickle"
    import hashlib
    record.write_bytes(pickle.dumps({"processed": str(paths.processed.resolve()), "reports": str(tmp_path / "staging"),
                                     "config": config, "manifest_sha256": hashlib.sha256(
                                         (paths.processed / "manifest.json").read_bytes()).hexdigest()}))
    (raw / "study.yml").write_text((raw / "study.yml").read_text() + "stopwords: [zebra]\n", encoding="utf-8")
    monkeypatch.setenv(study_mod.SNAPSHOT_VARIABLE, str(record))
    snap = study_mod.load_study("mini")
    assert "zebra" not in snap.config.stopwords  # the configuration as the run started
    assert snap.manifest == first.manifest       # no re-ingest although the inputs changed
    assert snap.paths.reports == tmp_path / "staging"
    (paths.processed / "manifest.json").write_text("{}", encoding="utf-8")
    with pytest.raises(errors.InputError, match="replaced while the report was running"):
        study_mod.load_study("mini")


# -- a quiet, honest terminal (issue 16 item 8) ------------------------------------------------

def test_terminal_has_no_transport_warning_and_ends_with_a_summary(mini_report, tmp_path):
    # the first run in a fresh project: the fixture study's shared run (tests/conftest.py)
    root, result = mini_report.root, mini_report.result
    assert result.returncode == 0, result.stderr[-2000:]
    assert "TCP" not in result.stderr and "eavesdropping" not in result.stderr
    assert "warning" not in result.stderr.lower()
    lines = result.stdout.strip().splitlines()
    assert re.match(r"report mini: 9 pages \(9 run, 0 unchanged\) in \d+ s$", lines[0])
    assert "  coders: AK, RB" in lines
    assert lines[-1] == f"  open: {root / 'reports' / 'mini' / 'index.html'}"
    # the second run on a copy: the shared run stays as built (test_determinism compares its
    # index with another first run's; a second run here made every page "carried over", and
    # that test failed whenever it ran after this one)
    again = run_in(copy_root(root, tmp_path), "report", "mini", "--jobs", "2")
    assert again.stdout.startswith("report mini: 9 pages (0 run, 9 unchanged)")


def test_progress_bar_counts_notebooks_and_shows_an_estimate_only_after_three(capsys):
    from helpers.report import batch
    from helpers.study import StudyPaths

    paths = StudyPaths("x", Path("/nowhere"), Path("/nowhere/p"), Path("/nowhere/r"))
    runner = batch.Runner(paths, Path("/nowhere/b"), "f", jobs=1, progress=True)
    seen = []

    def fake(run):
        seen.append(runner.bar.format_meter(**runner.bar.format_dict))
        runner._tick()

    class NoKernel:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

    runner._kernel = NoKernel
    runner.execute = lambda kernel, run: fake(run)
    runs = [type("Run", (), {"notebook": f"0{i}-x", "stem": f"0{i}-x"})() for i in range(5)]
    runner.run_all(runs)
    assert seen[0].startswith("report x: 0/5 notebooks")
    assert all("left" not in s for s in seen[:3])
    assert "3/5 notebooks" in seen[3] and "left" in seen[3]


# -- kernel reuse gives the same pages (issue 18 item 1) ----------------------------------------

DEMO = REPO / "data" / "raw" / "demo"


def fresh_kernel_pages(runs, folder: Path) -> Path:
    """Today's other way to make the pages of ``runs``: papermill, a fresh kernel per run, then
    the batch's own HTML rendering (with the run's parameter origins); two at a time. The
    executed notebooks and pages go in ``folder``."""
    from concurrent.futures import ThreadPoolExecutor

    import papermill

    from helpers.report import reports

    folder.mkdir()

    def one(run):
        notebook = REPO / "notebooks" / f"{run.notebook}.ipynb"
        executed = folder / f"{run.stem}.ipynb"
        papermill.execute_notebook(str(notebook), str(executed), parameters=run.params, kernel_name="python3",
                                   progress_bar=False, cwd=str(REPO / "notebooks"), log_output=False)
        reports.render_html(executed, folder / f"{run.stem}.html", run.title, reports.declared_parameters(notebook),
                            run.origins)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one, runs))
    return folder


def test_demo_profile_pages_from_one_reused_kernel_equal_a_fresh_kernel_each(demo_report, tmp_path, monkeypatch):
    """Today's way (papermill, a fresh kernel per participant, then the same
    HTML rendering) against the batch's (one kernel per job, reused): every
    profile page of the demo byte-identical."""
    from helpers.report import reports
    from helpers.study import load_study

    # the batch's pages: the demo's shared run (tests/conftest.py), copied since the kernels here load the study
    root = copy_root(demo_report.root, tmp_path)
    monkeypatch.setenv("TRANSCRIPT_THEMES_HOME", str(root))
    study = load_study("demo", ingest=False)
    runs = [r for r in reports.plan(study, {}) if r.notebook == reports.PROFILE[0]]
    assert len(runs) >= 10
    fresh = fresh_kernel_pages(runs, tmp_path / "fresh")
    out = root / "reports" / "demo"
    for run in runs:
        batch_page = (out / f"{run.stem}.html").read_text(encoding="utf-8")
        fresh_page = (fresh / f"{run.stem}.html").read_text(encoding="utf-8")
        assert batch_page == fresh_page, run.stem


def test_every_page_from_reused_kernels_equals_a_fresh_kernel_each(mini_report, tmp_path, monkeypatch):
    """The batch runs every notebook of a study in one kernel per job, reset between
    runs (execution.RESET): every page of mini (study-wide notebooks and profiles) is
    byte-identical to the page papermill makes in a fresh kernel, whichever notebooks
    ran before it in the batch's kernel."""
    from helpers.report import reports
    from helpers.study import load_study

    root = copy_root(mini_report.root, tmp_path)
    monkeypatch.setenv("TRANSCRIPT_THEMES_HOME", str(root))
    study = load_study("mini", ingest=False)
    runs = reports.plan(study, {})
    assert {r.notebook for r in runs} >= {"01-clean-transcripts", "04-themes-across-participants",
                                          "06-intercoder-agreement", reports.PROFILE[0]}
    fresh = fresh_kernel_pages(runs, tmp_path / "fresh")
    out = root / "reports" / "mini"
    different = [run.stem for run in runs if (out / f"{run.stem}.html").read_bytes()
                 != (fresh / f"{run.stem}.html").read_bytes()]
    assert different == []


# -- only what changed (issue 18 item 3) ---------------------------------------------------------

def test_notebook_fingerprint_covers_only_what_the_notebook_declares():
    from helpers.report import reports

    digests = {name: "a" for name in reports.EVERYTHING + ("ingest",)}
    changed = {**digests, "ingest_tables": "b"}
    profile, cleaning, themes = reports.PROFILE[0], "01-clean-transcripts", "04-themes-across-participants"
    assert reports.notebook_fingerprint(profile, digests) == reports.notebook_fingerprint(profile, changed)
    assert reports.notebook_fingerprint(cleaning, digests) != reports.notebook_fingerprint(cleaning, changed)
    reingested = {**digests, "ingest": "b"}  # the same tables, ingested again
    assert reports.notebook_fingerprint(cleaning, digests) == reports.notebook_fingerprint(cleaning, reingested)
    assert reports.notebook_fingerprint(themes, digests) != reports.notebook_fingerprint(themes, reingested)
    for item in ("codings", "segments", "config", "participants"):
        other = {**digests, item: "b"}
        for name in (profile, cleaning, themes):
            assert reports.notebook_fingerprint(name, digests) != reports.notebook_fingerprint(name, other)


def test_declarations_match_what_the_notebooks_read():
    """The profile is declared not to read the import report (tables ingest
    writes); neither its notebook nor the helpers it calls may read one."""
    from helpers.report import reports

    assert "ingest_tables" not in reports.NOTEBOOK_INPUTS[reports.PROFILE[0]]
    for source in (REPO / "notebooks" / f"{reports.PROFILE[0]}.py", REPO / "src" / "helpers" / "analysis" / "profile.py"):
        assert "report_table" not in source.read_text(encoding="utf-8")
        assert "paths.tables" not in source.read_text(encoding="utf-8")


def test_a_reingest_that_changes_no_table_reruns_only_the_notebooks_that_write_tables(mini_report, tmp_path):
    root = copy_root(mini_report.root, tmp_path)  # a first complete run: a copy of the shared run
    raw = root / "data" / "raw" / "mini"
    executed = root / "reports" / "mini" / "executed"
    stamps = {p.stem: p.stat().st_mtime_ns for p in executed.glob("*.ipynb")}
    yml = raw / "study.yml"
    yml.write_text(yml.read_text(encoding="utf-8") + "# a comment: inputs changed, tables the same\n", encoding="utf-8")
    again = run_in(root, "report", "mini", "--jobs", "2")
    assert again.returncode == 0, again.stderr[-2000:]
    rerun = {p.stem for p in executed.glob("*.ipynb") if p.stat().st_mtime_ns != stamps[p.stem]}
    assert rerun == {"02-code-frequencies", "03-code-cooccurrence", "04-themes-across-participants",
                     "06-intercoder-agreement", "08-discovery"}
    assert again.stdout.startswith("report mini: 9 pages (5 run, 4 unchanged)")
    # a change to the codings re-runs the cleaning page (its import report and codebook counts read them)
    sheet = raw / "codings" / "sheet_AK.csv"
    lines = sheet.read_text(encoding="utf-8").splitlines(keepends=True)
    sheet.write_text("".join(lines[:-1]), encoding="utf-8")
    third = run_in(root, "report", "mini", "--jobs", "2")
    assert third.returncode == 0, third.stderr[-2000:]
    assert third.stdout.startswith("report mini: 9 pages (9 run, 0 unchanged)")


def test_ctrl_c_after_the_ingest_leaves_data_processed_as_it_was(tmp_path):
    """The run's ingest of changed inputs is swapped into data/processed/ only with the
    report, at the end: Ctrl-C while the notebooks run leaves both as they were, and says so."""
    root, raw = make_root(tmp_path)
    assert run_in(root, "ingest", "mini").returncode == 0
    processed = root / "data" / "processed" / "mini"
    before = tree_hashes(processed)
    transcript = sorted((raw / "transcripts").glob("*.txt"))[0]
    transcript.write_text(transcript.read_text(encoding="utf-8") + "I: One more thing?\nP: No, that's all.\n",
                          encoding="utf-8")
    env = {**os.environ, "TRANSCRIPT_THEMES_HOME": str(root)}
    proc = subprocess.Popen([sys.executable, "-m", "helpers", "report", "mini", "--jobs", "2"],
                            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ctrl_c_as_at_a_terminal)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the inputs re-ingested (staged) and notebooks running
            if list((root / "reports").glob(".mini.staging-*/executed/.*.ipynb.*.tmp")):
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        else:
            pytest.fail("no notebook started within 120 s")
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (proc.returncode, stderr[-2000:])
    assert "Traceback" not in stderr
    assert tree_hashes(processed) == before          # the previous ingest, untouched
    assert (f"error: interrupted — stopped; {processed} and {root / 'reports' / 'mini'} are as they were before "
            "the run (this run's ingest of the changed inputs was discarded) — run report again") in stderr
    assert not (root / "reports" / "mini").exists()  # there was no report before
    assert sorted(p.name for p in (root / "data" / "processed").iterdir()) == ["mini"]  # no staging left
    # the next run ingests and finishes: both swapped in (one page is enough to show it)
    done = run_in(root, "report", "mini", "--jobs", "2", "--only", "01-clean")
    assert done.returncode == 0, done.stderr[-2000:]
    assert tree_hashes(processed) != before and (root / "reports" / "mini" / "index.html").is_file()
