"""The report batch: one snapshot, notebooks in parallel, a bundle swapped in whole.

    python -m helpers report STUDY [--jobs N] [--force] [--only PREFIX…]

1. Under the study's run lock, **ingest once** (when the inputs changed) and
   take that as the run's snapshot: the kernels read the processed tables and
   the study's configuration as they were then (``study.load_study`` in a
   kernel started by the batch never reads data/raw/ nor ingests; issue 19
   item 9). An input edited while the run is going is ignored until the next
   run, and the summary says so.
2. Build the new bundle in a staging folder beside ``reports/<study>/``: the
   pages of notebooks whose inputs did not change are carried over from the
   previous bundle (hard links), the rest are executed in one kernel
   per job, reused from notebook to notebook (the study-wide notebooks first,
   then the per-participant profile; reset between runs: ``execution.RESET``;
   issue 18 items 1–2), at most ``--jobs`` at a time. With ``--only``, a page outside the selection
   is carried over only when it was built from this study as it is now (its
   study key: identity, data, notebook, package version); otherwise it is
   left out, with its executed notebook, figures and (for 02–04) evidence
   pages, and the summary says so: never kept as "unchanged" when the study
   changed (a withdrawn participant's quotes, another study's pages).
3. Write the index, scan every output for the redaction terms, then swap the
   staging folder in (``atomic.atomic_folder``). So the bundle holds only what
   this run produced: the page of a participant no longer in the study is gone
   (issue 19 item 4), and a run stopped by Ctrl-C or an error leaves the
   previous complete bundle in place. An ingest the run needed is written to a
   staging folder too and swapped into data/processed/ together with the bundle,
   Ctrl-C held back for those two renames (``atomic.deferred_interrupt``): a run
   stopped at any phase (ingest, notebooks) leaves data/processed/<study>/ and
   reports/<study>/ as they were, or both complete, and says which
   (``Interrupted``).
4. Print a short summary: pages written, warnings that matter, pages removed,
   the path of index.html (issue 16 item 8).
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
import sys
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path

from helpers import atomic
from helpers.errors import InputError
from helpers.report.batch_carry import (  # re-exported: split out of this module (issue 15)
    EVIDENCE_KEY,
    EVIDENCE_WRITERS,
    carry_evidence,
    carry_over,
    outputs_of,
    stale_pages,
    study_file,
    write_snapshot,
)
from helpers.report.batch_summary import (  # re-exported: split out of this module (issue 15)
    WARNINGS_PAGE,
    WARNINGS_SHOWN,
    Summary,
    notes,
    suppressed_groups,
    warning_lines,
)
from helpers.study import SNAPSHOT_VARIABLE, StudyPaths

__all__ = ["EVIDENCE_KEY", "EVIDENCE_WRITERS", "ORDER", "WARNINGS_PAGE", "WARNINGS_SHOWN", "Interrupted", "Runner",
           "Summary", "carry_evidence", "carry_over", "notes", "outputs_of", "run", "run_batch", "stale_pages",
           "study_file", "suppressed_groups", "warning_lines", "write_snapshot"]

# jsonschema (imported by nbformat) compiles 38 Lark grammars at import when
# the optional rfc3987_syntax is installed, only to check "iri" formats that
# notebook validation never uses: 1.5–7 s of every report run, most of a run
# where nothing changed. Make that optional import fail, in this process only.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)

# The study-wide notebooks, longest first at scale: a long one started last
# would leave the other cores idle at the end.
ORDER = ["04-themes-across-participants", "08-discovery", "02-code-frequencies", "01-clean-transcripts",
         "06-intercoder-agreement", "03-code-cooccurrence"]


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped the report run; the message says what was left (for the terminal)."""

    def __init__(self, paths: StudyPaths, complete: bool, ingested: bool):
        if complete:
            text = (f"the run had finished: {paths.processed} and {paths.reports} are this run's, complete")
        else:
            text = (f"stopped; {paths.processed} and {paths.reports} are as they were before the run"
                    + (" (this run's ingest of the changed inputs was discarded)" if ingested else "")
                    + " — run report again")
        super().__init__(text)


def _run_study(paths: StudyPaths, config, swaps):
    """The run's study: data/processed/<study>/ when current; else the inputs
    ingested into a staging folder beside it (entered on ``swaps``, so it is
    swapped in only when the run ends well). Returns (study, staged folder or None)."""
    from helpers.ingest.pipeline import build, fingerprint_inputs, write_processed_into
    from helpers.study import processed_is_current, read_processed

    if processed_is_current(paths, fingerprint_inputs(config)):
        return read_processed(paths, config), None
    staged = swaps.enter_context(atomic.atomic_folder(paths.processed))
    write_processed_into(build(paths, config), paths, staged)
    return read_processed(dataclasses.replace(paths, processed=staged), config), staged


# -- running the notebooks ---------------------------------------------------------------------

class Runner:
    """Executes a batch's notebook runs into ``bundle``, at most ``jobs`` at a time."""

    def __init__(self, paths: StudyPaths, bundle: Path, keys: dict[str, str], jobs: int,
                 progress: bool | None, study_keys: dict[str, str] | None = None):
        from helpers.report.execution import Cancel

        self.paths, self.bundle, self.keys, self.jobs = paths, bundle, keys, max(1, jobs)
        self.study_keys = study_keys or {}  # none: no page's study key is recorded (a bare runner)
        self.cancel = Cancel()
        self.progress = progress
        self.kernels = 0
        self._lock = threading.Lock()
        self.bar = None
        self.done = 0

    # one run, in a kernel given
    def execute(self, kernel, run) -> None:
        import nbformat

        from helpers.report.notebook_run import NotebookFailed, failed_position, parameterized
        from helpers.report.registry import declared_parameters, notebooks_dir
        from helpers.report.rendering import render_html

        executed = self.bundle / "executed" / f"{run.stem}.ipynb"
        notebook = notebooks_dir() / f"{run.notebook}.ipynb"
        nb = parameterized(notebook, run.params)
        with atomic.atomic_path(executed) as tmp:
            def saved(index: int) -> None:
                # The partial notebook, under its temporary name, for a reader
                # after a crash; and the test-only fault point as the fourth cell starts.
                nbformat.write(nb, str(tmp))
                if index + 1 >= 3:
                    atomic.fault_point("notebook")

            try:
                timing = kernel.run(nb, on_cell=saved)
            except Exception as exc:
                from helpers.report.execution import CellFailed

                if not isinstance(exc, CellFailed):
                    raise
                failed = self.paths.reports / "executed" / f"{run.stem}.failed.ipynb"
                failed.parent.mkdir(parents=True, exist_ok=True)
                atomic.write_text(failed, nbformat.writes(nb))
                raise NotebookFailed(run.notebook, run.stem, failed_position(nb), exc.ename, exc.evalue) from None
            nb.metadata["papermill"].update(
                start_time=_iso(timing.start), end_time=_iso(timing.end), duration=round(timing.seconds, 3),
                exception=None)
            nbformat.write(nb, str(tmp))
            render_html(tmp, self.bundle / f"{run.stem}.html", run.title, declared_parameters(notebook),
                        run.origins)
        atomic.write_text(self.bundle / "executed" / f".{run.stem}.key", self.keys[run.stem])
        if run.stem in self.study_keys:
            atomic.write_text(self.bundle / study_file(run.stem), self.study_keys[run.stem])
        self._tick()

    def _tick(self) -> None:
        with self._lock:
            self.done += 1
            if self.bar is not None:
                if self.done == 3:  # an estimate from fewer would be noise
                    self.bar.bar_format = ("{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} notebooks "
                                           "[{elapsed}, about {remaining} left]")
                self.bar.update()

    def _kernel(self):
        from helpers.report.execution import Kernel
        from helpers.report.registry import notebooks_dir

        with self._lock:
            self.kernels += 1
        return Kernel(notebooks_dir(), self.cancel)

    def series(self, queue: collections.deque) -> None:
        """One kernel, reused for run after run from the shared queue."""
        kernel = None
        try:
            while True:
                self.cancel.check()
                with self._lock:
                    if not queue:
                        return
                    run = queue.popleft()
                if kernel is None:
                    kernel = self._kernel().__enter__()
                self.execute(kernel, run)
        finally:
            if kernel is not None:
                kernel.__exit__(None, None, None)

    def run_all(self, runs: list) -> None:
        from tqdm import tqdm

        from helpers.report.registry import PROFILE

        if not runs:
            return
        rank = {name: i for i, name in enumerate(ORDER)}
        single = sorted((r for r in runs if r.notebook != PROFILE[0]), key=lambda r: rank.get(r.notebook, len(ORDER)))
        # every run from one queue, served by one reused kernel per job (execution.RESET between
        # runs): the study-wide notebooks first, in order, then the profiles
        queue = collections.deque(single + [r for r in runs if r.notebook == PROFILE[0]])
        self.bar = tqdm(total=len(runs), desc=f"report {self.paths.name}", unit="notebook", file=sys.stderr,
                        bar_format="{desc}: {n_fmt}/{total_fmt} notebooks [{elapsed}]",
                        disable={True: False, False: True}.get(self.progress), dynamic_ncols=True)
        pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="notebook")
        futures = [pool.submit(self.series, queue) for _ in range(min(self.jobs, len(queue)))]
        try:
            pending = set(futures)
            while pending:
                # A timeout, so that Ctrl-C in this (main) thread is seen at once.
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
                for future in done:
                    if future.exception() is not None:
                        raise future.exception()
        except BaseException:
            self.cancel.stop()   # no queued notebook starts; running kernels are killed
            pool.shutdown(wait=False, cancel_futures=True)
            # Their workers end within a second or two (a dead kernel is seen
            # at once): let them, so nothing writes into the staging folder
            # after it is removed. Bounded, so that Ctrl-C always stops.
            wait(futures, timeout=3)
            raise
        finally:
            self.bar.close()
        pool.shutdown(wait=True)


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1e6):06d}Z"


# -- the run -----------------------------------------------------------------------------------

def run(study_name, *, jobs: int = 1, force: bool = False, only: list[str] | None = None,
        params: dict | None = None, progress: bool | None = None, zip_bundle: bool = False) -> Summary:
    """Run the batch on one study; see the module docstring.

    Parameters
    ----------
    study_name : str or path
        A name under data/raw/ or a study folder.
    jobs : int
        Notebooks run at once (kernels alive at once).
    force : bool
        Re-run every selected notebook even when its inputs are unchanged.
    only : list of str, optional
        Run only notebooks whose output name starts with one of these; the
        other pages of the study are carried over from the previous bundle
        when built from this study as it is now (``carry_over``), else removed
        and named in ``Summary.outdated``.
    params : dict, optional
        Parameters passed to every notebook that declares them.
    progress : bool or None
        Show a progress bar on stderr: None (default) when it is a terminal.
    zip_bundle : bool
        Also write ``<study>-report.zip`` of the bundle, after the leak scan passed (issue 16 item 5).

    Returns
    -------
    Summary

    Raises
    ------
    InputError
        Bad input, a redaction term in an output, or inputs changed while being ingested.
    NotebookFailed
        A notebook raised; its executed copy is in reports/<study>/executed/<stem>.failed.ipynb.
    Interrupted
        Ctrl-C (a ``KeyboardInterrupt``): queued notebooks cancelled, kernels
        stopped, data/processed/<study>/ and the previous bundle untouched (or
        both this run's, complete, when the swap had begun); the message says which.
    """
    from helpers.ingest.cleaning import load_redactions
    from helpers.ingest.config import load_config
    from helpers.ingest.pipeline import fingerprint_inputs
    from helpers.report.redaction_scan import scan_outputs
    from helpers.report.registry import check_parameters, notebooks_dir, plan
    from helpers.report.rendering import write_index
    from helpers.report.runkeys import evidence_key, input_digests, notebook_fingerprint, run_key, study_key
    from helpers.report.runlock import lock_file, run_lock
    from helpers.study import resolve

    started = time.perf_counter()
    paths = resolve(study_name)
    config = load_config(paths.raw)
    with run_lock(paths):
        before = fingerprint_inputs(config)
        snapshot, staged, complete = None, None, False
        try:
            with contextlib.ExitStack() as swaps:  # processed (when ingested), then reports: swapped at the end
                study, staged = _run_study(paths, config, swaps)
                if study.manifest.get("fingerprint") != before:
                    raise InputError.one(paths.raw, "the inputs changed while they were being read",
                                         "save every file you are editing, then run report again")
                config = study.config  # the configuration this snapshot was ingested with
                from helpers.counting import check_parameters as check_study_parameters
                check_study_parameters(study, params or {})   # an unknown level or coder: one line, nothing run
                runs = plan(study, params or {})
                selected = [r for r in runs if not only or any(r.stem.startswith(o) for o in only)]
                absent = [r for r in selected if not (notebooks_dir() / f"{r.notebook}.ipynb").is_file()]
                if absent:
                    raise InputError.one(notebooks_dir() / f"{absent[0].notebook}.ipynb", "the notebook is missing",
                                         "restore it (git checkout -- notebooks/) or leave it out with --only")
                # a notebook outside --only that is not on disk cannot be keyed or rebuilt:
                # its earlier page, if any, is not carried over
                runs = [r for r in runs if r in selected or (notebooks_dir() / f"{r.notebook}.ipynb").is_file()]
                digests = input_digests(study)
                keys = {r.stem: run_key(r, notebook_fingerprint(r.notebook, digests)) for r in runs}
                study_keys = {r.stem: study_key(r, notebook_fingerprint(r.notebook, digests)) for r in runs}
                current_evidence = evidence_key(study, digests)
                summary = Summary(paths.name, paths.reports / "index.html")
                bundle = swaps.enter_context(atomic.atomic_folder(paths.reports))
                (bundle / "executed").mkdir()
                to_run, outdated = [], []
                evidence_kept = carry_evidence(paths.reports, bundle, current_evidence)
                for r in runs:
                    wanted = r in selected
                    if wanted and force:
                        to_run.append(r)
                    elif ((evidence_kept or r.notebook not in EVIDENCE_WRITERS)
                          and carry_over(paths.reports, bundle, r.stem, keys[r.stem], study_keys[r.stem], wanted)):
                        summary.unchanged.append(r.stem)
                    elif wanted:
                        to_run.append(r)
                    elif (paths.reports / f"{r.stem}.html").is_file():
                        outdated.append(r.stem)  # built from other inputs: left out, said in the summary
                for r in to_run:  # refuse undeclared parameters before anything runs
                    check_parameters(notebooks_dir() / f"{r.notebook}.ipynb", r.params)
                snapshot = write_snapshot(paths, bundle, config, study.paths.processed / "manifest.json",
                                          lock_file(paths).parent, tables=study.paths.processed)
                os.environ[SNAPSHOT_VARIABLE] = str(snapshot)
                runner = Runner(paths, bundle, keys, jobs, progress, study_keys=study_keys)
                runner.run_all(to_run)
                summary.executed = [r.stem for r in to_run]
                summary.kernels = runner.kernels
                bundle_paths = dataclasses.replace(study.paths, reports=bundle)  # this run's processed tables
                from helpers.report import deliverables

                atomic.write_text(bundle / EVIDENCE_KEY, current_evidence)  # what its evidence pages show
                # summary.docx, codebooks, tables.xlsx (issue 16 item 5): its page sheets are read from
                # bundle/executed/, the notebooks run now and those carried over with their pages
                deliverables.write_all(study, bundle)
                # every page of the study listed, linked where it is in the bundle, with its state
                states = {**dict.fromkeys(summary.unchanged, "unchanged"), **dict.fromkeys(summary.executed, "run"),
                          **dict.fromkeys(outdated, "outdated")}
                write_index(study, runs, bundle_paths, states)
                scan = scan_outputs(bundle_paths, load_redactions(config.redactions))
                if scan.leaks or scan.unreadable:  # each leak with its place; unreadable outputs listed
                    raise scan.as_error(lambda p: paths.reports / p.relative_to(bundle) if bundle in p.parents else
                                        paths.processed / p.relative_to(staged) if staged and staged in p.parents else p)
                if zip_bundle:  # only after the scan passed, inside the bundle swapped in whole
                    summary.notes.append(f"bundle: {deliverables.bundle_zip(bundle, paths.name).name}")
                summary.outdated = sorted(outdated)
                summary.removed = [s for s in stale_pages(paths.reports, bundle) if s not in outdated]
                with atomic.deferred_interrupt():  # both swaps or neither (a Ctrl-C waits for them)
                    swaps.close()              # reports/<study>/, then data/processed/<study>/
                    complete = True
        except KeyboardInterrupt:
            raise Interrupted(paths, complete, staged is not None) from None
        finally:
            os.environ.pop(SNAPSHOT_VARIABLE, None)
            if snapshot is not None:
                snapshot.unlink(missing_ok=True)
        study = dataclasses.replace(study, paths=paths)  # the tables now in place (the staged folder is gone)
        summary.notes = notes(study, fingerprint_inputs(config) != before) + summary.notes
    summary.seconds = time.perf_counter() - started
    return summary


def run_batch(study_name, *, jobs: int = 1, force: bool = False, only: list[str] | None = None,
              params: dict | None = None, progress: bool | None = None) -> Path:
    """Run the batch on one study (``run``) and give the path of its index page.

    Parameters
    ----------
    study_name : str or path
        A name under data/raw/ or a study folder.
    jobs : int
        Notebooks run at once (kernels alive at once).
    force : bool
        Re-run every selected notebook even when its inputs are unchanged.
    only : list of str, optional
        Run only notebooks whose output name starts with one of these (see ``run``).
    params : dict, optional
        Parameters passed to every notebook that declares them.
    progress : bool or None
        Show a progress bar on stderr: None (default) when it is a terminal.

    Returns
    -------
    Path
        reports/<study>/index.html.

    Raises
    ------
    InputError, NotebookFailed, Interrupted
        As ``run``.
    """
    return run(study_name, jobs=jobs, force=force, only=only, params=params, progress=progress).index
