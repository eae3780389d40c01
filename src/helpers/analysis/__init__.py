"""Analyses: a ``Study`` in, a table out, no files written (docs/architecture.md).

- ``frequency``: code and word frequencies, keyness, KWIC;
- ``cooccurrence``: co-occurrence by segment, overlap, window, document or participant;
- ``themes``: theme matrix, recurrence, framework matrix, negative cases, codeline, saturation;
- ``agreement``: inter-coder agreement (kappa, alpha);
- ``discovery``: topics, code suggestions, participant map;
- ``profile``, ``explore``, ``overview``: one participant, interactive search, the study at a glance;
- ``drafts``, ``audit``, ``audit_consistency``, ``claims``: the write-up audit.

The counting model they share (passages, coders, levels, rule texts) is ``helpers.counting``.
Import the modules (``from helpers.analysis import frequency``); the entry points are
``helpers.code_frequencies`` etc.
"""

__all__ = ["agreement", "audit", "audit_consistency", "claims", "cooccurrence", "discovery", "drafts",
           "explore", "frequency", "overview", "profile", "themes"]


def __getattr__(name: str):
    """Import a listed module on first use (PEP 562), so ``helpers.analysis.<module>`` works
    after ``import helpers.analysis`` alone (it failed unless another import had loaded the
    module first: tests/unit/test_layout.py, run by itself)."""
    if name in __all__:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
