"""Reports: the notebook registry, parameters, the run lock, the run keys, HTML pages, the
index page and the redaction scan, under one name.

Each concern has its own module (split for issue 15); every name is re-exported here, so
``from helpers.report.reports import plan`` keeps working:

- ``registry``: the notebooks run (``BATCH``, ``PROFILE``, ``NotebookRun``) and their
  parameters (``parse_params``, ``declared_parameters``, ``check_parameters``, ``plan``,
  ``study_settings``);
- ``runlock``: one run per study at a time (``run_lock``), killed runs' leftovers removed;
- ``runkeys``: what a page's reuse depends on (``run_key``, ``study_key``, ``evidence_key``,
  ``input_digests``, ``notebook_fingerprint``, ``NOTEBOOK_INPUTS``);
- ``notebook_run``: parameters injected (``parameterized``), the failing cell
  (``failed_position``, ``NotebookFailed``);
- ``rendering``: an executed notebook as HTML (``render_html``), the index (``write_index``);
  the page template itself is ``pages``;
- ``redaction_scan``: every output searched for every redaction term (``scan_outputs``).

The batch itself (snapshot, kernels, parallel runs, the bundle swapped in whole, the summary)
is ``helpers.report.batch``; running one notebook in a kernel is ``helpers.report.execution``.

    python -m helpers report STUDY [--jobs N] [--force]
"""
from __future__ import annotations

from helpers.report.notebook_run import NotebookFailed, failed_position, parameterized
from helpers.report.pages import COUNTING_RULES, PAGE_CSS, page
from helpers.report.redaction_scan import scan_for_terms, scan_outputs
from helpers.report.registry import (
    BATCH,
    PROFILE,
    NotebookRun,
    check_parameters,
    declared_parameters,
    drafts_digest,
    notebooks_dir,
    parse_params,
    plan,
    safe_name,
    study_parameter,
    study_settings,
)
from helpers.report.rendering import render_html, write_index
from helpers.report.runkeys import (
    EVERYTHING,
    IDENTITY_PARAMETERS,
    NOTEBOOK_INPUTS,
    evidence_key,
    ingest_stamp,
    input_digests,
    notebook_fingerprint,
    run_key,
    study_key,
)
from helpers.report.runlock import lock_file, remove_leftovers, run_lock

__all__ = ["BATCH", "COUNTING_RULES", "EVERYTHING", "IDENTITY_PARAMETERS", "NOTEBOOK_INPUTS", "PAGE_CSS", "PROFILE",
           "NotebookFailed", "NotebookRun", "check_parameters", "declared_parameters", "drafts_digest",
           "evidence_key", "failed_position", "ingest_stamp", "input_digests", "lock_file", "notebook_fingerprint",
           "notebooks_dir", "page", "parameterized", "parse_params", "plan", "remove_leftovers", "render_html",
           "run_key", "run_lock", "safe_name", "scan_for_terms", "scan_outputs", "study_key", "study_parameter",
           "study_settings", "write_index"]
