"""The end-of-run summary of a report run: what was done, and the warnings that matter.

Split out of ``batch`` (issue 15: no module over ~500 lines); every name here is
re-exported from ``helpers.report.batch``.

- ``Summary``: pages run, unchanged, removed and left out, and its terminal lines;
- ``notes``: the warnings worth a line (quotes matched fuzzily, ingest warnings,
  groups suppressed, coders, inputs changed during the run);
- ``warning_lines``, ``suppressed_groups``: the ingest warnings grouped by fix, and the
  attribute groups the breakdowns leave out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["WARNINGS_PAGE", "WARNINGS_SHOWN", "Summary", "notes", "suppressed_groups", "warning_lines"]


@dataclass
class Summary:
    """What a run did, for the terminal summary and for tests."""

    study: str
    index: Path
    executed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)      # page stems no longer in the study
    outdated: list[str] = field(default_factory=list)     # not selected (--only), built from other inputs: removed
    notes: list[str] = field(default_factory=list)        # warnings that matter
    seconds: float = 0.0
    kernels: int = 0

    def lines(self) -> list[str]:
        pages = len(self.executed) + len(self.unchanged)
        out = [f"report {self.study}: {pages} pages ({len(self.executed)} run, {len(self.unchanged)} unchanged) "
               f"in {self.seconds:.0f} s"]
        if self.removed:
            out.append(f"  removed {len(self.removed)} page(s) no longer in the study: {', '.join(self.removed)}")
        if self.outdated:
            out.append(f"  removed {len(self.outdated)} page{'s' if len(self.outdated) != 1 else ''} built from an "
                       f"earlier version of the study: {', '.join(self.outdated)}; run without --only to rebuild them")
        out += [f"  {note}" for note in self.notes]
        out.append(f"  open: {self.index}")
        return out


# -- warnings that matter --------------------------------------------------------------------

def notes(study, inputs_changed: bool) -> list[str]:
    """The warnings worth a line in the terminal at the end of a run.

    In order: quotes matched fuzzily or not found (when there are any), the ingest warnings
    (``warning_lines``), the attribute groups suppressed (``suppressed_groups``), the coders
    counted (and, with one coder, that there is no agreement page), and inputs changed during
    the run.

    Parameters
    ----------
    study : Study
        The study as ingested for the run (its import report tables, manifest and coders).
    inputs_changed : bool
        The inputs' fingerprint differs after the run from before it.

    Returns
    -------
    list of str
        The lines, without indentation.
    """
    from helpers.analysis.overview import report_table

    out = []
    fuzzy, unmatched = len(report_table(study, "quotes_fuzzy")), len(report_table(study, "quotes_unmatched"))
    if fuzzy or unmatched:
        out.append(f"quotes: {fuzzy} matched fuzzily, {unmatched} not found — check them in 'Cleaning and import'")
    out += warning_lines(study.manifest.get("warnings") or [])
    small = suppressed_groups(study)
    if small:
        out.append(small)
    coders = study.coders()
    out.append(f"coders: {', '.join(coders) if coders else 'none'}"
               + ("" if len(coders) != 1 else " (no agreement page: it needs two)"))
    if inputs_changed:
        out.append("inputs changed during the run: this report shows them as they were when it started; "
                   "run report again to include the change")
    return out


def suppressed_groups(study) -> str:
    """The line saying which attribute groups the breakdowns leave out.

    Groups smaller than ``present.min_group_size``, for each attribute the pages compare by
    (the study's default attribute, and any ``attribute``/``colour_by`` set in study.yml
    ``report:``) that is a column of the participants table. Group values are named, never
    the people in them.

    Parameters
    ----------
    study : Study
        The study (its participants table and ``config``).

    Returns
    -------
    str
        One line, or "" when no group is left out.
    """
    from helpers.analysis.overview import default_attribute
    from helpers.report.present import group_sizes, min_group_size

    settings = getattr(getattr(study, "config", None), "report", None) or {}
    attributes = [default_attribute(study)] + [v for params in settings.values() if isinstance(params, dict)
                                               for k, v in params.items() if k in ("attribute", "colour_by")]
    least = min_group_size(study)
    parts = []
    for attribute in dict.fromkeys(a for a in attributes if a and a in study.participants.columns):
        small = sorted(g for g, n in group_sizes(study, attribute).items() if n < least)
        if small:
            parts.append(f"{attribute}: {', '.join(small)}")
    if not parts:
        return ""
    return (f"groups suppressed: attribute groups of fewer than {least} participants are left out of the "
            f"breakdowns (min_group_size in study.yml) — {'; '.join(parts)}")


WARNINGS_SHOWN = 8   # whole warnings printed at the end of a run; the rest counted, with where to read them
WARNINGS_PAGE = "01-clean-transcripts.html ('Cleaning and import') and manifest.json"


def warning_lines(warnings: list[str], shown: int = WARNINGS_SHOWN) -> list[str]:
    """The ingest warnings for the end-of-run summary: grouped by what they
    ask the researcher to do (the fix after " — "), each shown whole (never
    cut), the fix said once per group; beyond ``shown`` warnings the rest are
    counted, with the page and file that list them all.

    Parameters
    ----------
    warnings : list of str
        The manifest's warnings, in ingest order.
    shown : int
        Warnings printed whole.

    Returns
    -------
    list of str
        Lines (the first a heading, the others indented two spaces more); empty
        when there are no warnings.
    """
    if not warnings:
        return []
    groups: dict[str, list[str]] = {}
    for warning in map(str, warnings):
        what, sep, fix = warning.rpartition(" — ")
        what, fix = (what, fix) if sep else (warning, "")
        groups.setdefault(fix, []).append(what)
    out = [f"ingest: {len(warnings)} warning(s), all listed in {WARNINGS_PAGE}:"]
    printed = unshown = 0
    for fix, items in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0])):
        room = shown - printed
        if room <= 0:
            unshown += len(items)
            continue
        out += [f"  - {what}" for what in items[:room]]
        printed += min(room, len(items))
        if len(items) > room:
            out.append(f"  - … and {len(items) - room} more like these")
        if fix:
            out.append(f"    fix{f' for these {len(items)}' if len(items) > 1 else ''}: {fix}")
    if unshown:
        out.append(f"  … and {unshown} other warning(s): read them in {WARNINGS_PAGE}")
    return out
