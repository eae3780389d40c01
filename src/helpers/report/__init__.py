"""The report layer: notebooks run, pages and files written (docs/architecture.md).

- ``reports``: one name for the modules below it, each name re-exported: ``registry`` (the
  notebooks and their parameters), ``runlock`` (one run per study), ``runkeys`` (run, study and
  evidence keys, input digests), ``notebook_run`` (parameters injected, the failing cell),
  ``rendering`` (HTML pages, the index), ``redaction_scan`` (outputs searched for redaction terms);
- ``batch``, ``execution``: the report run (one snapshot, kernels, Ctrl-C, withdrawal);
  ``batch_carry`` (what is reused) and ``batch_summary`` (the summary), re-exported by ``batch``;
- ``pages``: the page template and notebook rendering; ``present``: tables for people, with
  ``present_format`` (cells) and ``present_guides`` (reading guides), re-exported by ``present``;
- ``evidence``: the passages behind each number; ``deliverables``: summary.docx, tables.xlsx …;
- ``audit_page``: the write-up audit as HTML and the ``audit-draft`` command;
- ``labsave``: JupyterLab pre-save hook (notebooks saved without outputs).

The leak scan every written file passes is ``helpers.leakscan`` (shared: ingest uses it too).
"""

__all__ = ["audit_page", "batch", "deliverables", "evidence", "execution", "labsave", "pages", "present",
           "reports"]


def __getattr__(name: str):
    """Import a listed module on first use (PEP 562), so ``helpers.<package>.<module>`` works
    without importing every module when the package is imported."""
    if name in __all__:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
