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

import re
from dataclasses import dataclass, field
from pathlib import Path

from helpers.textutil import plural

__all__ = ["WARNINGS_PAGE", "WARNINGS_SHOWN", "WARNING_KINDS", "Summary", "notes", "suppressed_groups", "warning_lines"]


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
        """The terminal summary: the pages, the warnings that matter (``notes``), the index last.

        Returns
        -------
        list of str
            The first line counts the pages; the others are indented two spaces; the last
            is ``open: <index.html>``. Counts read "1 page", "2 pages" (never "page(s)").
        """
        pages = len(self.executed) + len(self.unchanged)
        out = [f"report {self.study}: {plural(pages, 'page')} ({len(self.executed)} run, "
               f"{len(self.unchanged)} unchanged) in {self.seconds:.0f} s"]
        if self.removed:
            out.append(f"  removed {plural(len(self.removed), 'page')} no longer in the study: {', '.join(self.removed)}")
        if self.outdated:
            out.append(f"  removed {plural(len(self.outdated), 'page')} built from an "
                       f"earlier version of the study: {', '.join(self.outdated)}; run without --only to rebuild them")
        out += [f"  {note}" for note in self.notes]
        out.append(f"  open: {self.index}")
        return out


# -- warnings that matter --------------------------------------------------------------------

def notes(study, inputs_changed: bool) -> list[str]:
    """The warnings worth a line in the terminal at the end of a run.

    In order: quotes matched fuzzily or not found (when there are any), the ingest warnings
    (``warning_lines``), the attribute groups suppressed (``suppressed_groups``), the codings
    a level cannot count (``counting.not_counted_lines``), the coders
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
    from helpers.counting import not_counted_lines

    out += not_counted_lines(study)   # codings a level cannot count (applied above it): said, never silent
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
    ``report:``) that is a column of the participants table, and the groups left out with
    them so that they cannot be worked out from the totals (``present.suppressed``:
    complementary suppression). Group values are named, never the people in them.

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
    from helpers.report.present import group_sizes, min_group_size, suppressed

    settings = getattr(getattr(study, "config", None), "report", None) or {}
    attributes = [default_attribute(study)] + [v for params in settings.values() if isinstance(params, dict)
                                               for k, v in params.items() if k in ("attribute", "colour_by")]
    least = min_group_size(study)
    parts, extra = [], []
    for attribute in dict.fromkeys(a for a in attributes if a and a in study.participants.columns):
        small, complement = suppressed(group_sizes(study, attribute), least)
        if small:
            parts.append(f"{attribute}: {', '.join(small)}")
        if complement:
            extra.append(f"{attribute}: {', '.join(complement)}")
    if not parts:
        return ""
    line = (f"groups suppressed: attribute groups of fewer than {least} participants are left out of the "
            f"breakdowns (min_group_size in study.yml) — {'; '.join(parts)}")
    if extra:
        line += (f"; also left out so that they cannot be worked out by subtraction from the totals "
                 f"(complementary suppression) — {'; '.join(extra)}")
    return line


WARNINGS_SHOWN = 4   # places named per kind of warning at the end of a run; the rest counted
WARNINGS_PAGE = "01-clean-transcripts.html ('Cleaning and import') and manifest.json"

# The kinds of ingest warning the end-of-run summary names, most consequential first (a
# speaker label not recognised changes who said what; a header kept out changes nothing):
# (pattern searched in the warning, singular, plural, what it means and what to do).
# Each warning is one item of its kind. The texts matched are those of ingest/ (readers.py,
# counting_coders.py, coding/importer.py, coding/common.py, coding/sheet.py, codebook.py,
# cleaning.py, pipeline.py, transcripts/word.py, transcripts/encoding.py).
WARNING_KINDS: list[tuple[str, str, str, str]] = [
    (r"is not a speaker label", "unknown speaker label", "unknown speaker labels",
     "their lines were joined to the turn before; add each real speaker to study.yml speakers:"),
    (r"names? one participant while the quote or turn is another", "sheet with rows naming another participant "
     "than the turn's speaker", "sheets with rows naming another participant than the turn's speaker",
     "counted for the turn's speaker; check the participant column, the quote and the speaker labels"),
    (r": no participant turns", "transcript with no participant turns", "transcripts with no participant turns",
     "add the participant's label to study.yml speakers:"),
    (r": no interviewer turns", "interview with no interviewer turns", "interviews with no interviewer turns",
     "add the interviewer's label to study.yml speakers:"),
    (r"^(?P<where>\S+) is coded by .*analyses count only", "document coded by more than one coder",
     "documents coded by more than one coder",
     "only the primary coder is counted there; one researcher's files take one 'coder:' in study.yml"),
    (r"quotes? (?:\(s\) )?not found", "warning about quotes not found", "warnings about quotes not found",
     "not counted; listed in tables/quotes_unmatched.csv"),
    (r"quote found \d+ times", "quote found more than once", "quotes found more than once",
     "check the turn each was placed in"),
    (r"no coder given", "sheet with rows naming no coder", "sheets with rows naming no coder",
     "give those rows a coder, or the entry a 'coder:' in study.yml"),
    (r"repeats? an earlier one exactly", "warning about duplicate codings", "warnings about duplicate codings",
     "kept and flagged duplicate=True"),
    (r"added from the codings", "warning about codes added from the codings",
     "warnings about codes added from the codings", "listed in tables/codebook_added.csv"),
    (r"differing only in case, spacing or punctuation", "set of near-duplicate code names",
     "sets of near-duplicate code names", "kept apart; spell a code the same everywhere"),
    (r"comma-separated lists of codes", "sheet with comma-separated code lists",
     "sheets with comma-separated code lists", "each cell imported as one code"),
    (r"declares level", "warning about study.yml levels no code is at",
     "warnings about study.yml levels no code is at", "counts at those levels fail"),
    (r"participants\.csv lacks", "warning about participants missing from participants.csv",
     "warnings about participants missing from participants.csv", "added with no attributes"),
    (r"hidden sheet", "hidden sheet skipped", "hidden sheets skipped", "unhide a sheet to read it"),
    (r"skipped: not a coding sheet", "file skipped in codings/", "files skipped in codings/",
     "move files that are not codings out of codings/"),
    (r"tracked changes accepted", "Word file with tracked changes", "Word files with tracked changes",
     "read as Word shows the final text"),
    (r"headers, footers, comments or notes hold", "Word file with headers, footers or comments",
     "Word files with headers, footers or comments", "not read as transcript text"),
    (r"not UTF-8 in a UTF-8 file", "file with bytes that are not UTF-8", "files with bytes that are not UTF-8",
     "save it as UTF-8"),
    (r"before the first speaker label kept out of the turns", "header kept out of the turns",
     "headers kept out of the turns", "a title or transcriber's note, not a turn"),
]


def _warning_kind(warning: str) -> tuple[int, re.Match | None]:
    """The index in ``WARNING_KINDS`` of a warning's kind (len(WARNING_KINDS) when none), and its match."""
    for i, (pattern, *_rest) in enumerate(WARNING_KINDS):
        found = re.search(pattern, warning)
        if found:
            return i, found
    return len(WARNING_KINDS), None


def _place(warning: str, found: re.Match | None) -> str:
    """Where a warning is: the kind's ``where`` group, else a file or document name before
    its first ": " ("transcripts/P03.txt"); "" when it names none."""
    if found is not None and "where" in found.groupdict():
        return found.group("where")
    head, sep, _ = warning.partition(": ")
    return head if sep and head and not re.search(r"\s", head) else ""


def _places(places: list[str], shown: int) -> str:
    """At most ``shown`` distinct places, then how many more: "P01, P02 and 3 more"."""
    distinct = list(dict.fromkeys(p for p in places if p))
    if not distinct:
        return ""
    if len(distinct) <= shown:
        return ", ".join(distinct)
    return f"{', '.join(distinct[:shown])} and {len(distinct) - shown} more"


def warning_lines(warnings: list[str], shown: int = WARNINGS_SHOWN) -> list[str]:
    """The ingest warnings for the end-of-run summary: a heading counting them by kind
    ("ingest: 12 warnings — 7 unknown speaker labels, 5 documents coded by more than one
    coder; all in …"), then one line per kind: how many, where (at most ``shown`` places,
    the rest counted), and what it means or what to do.

    Kinds are ``WARNING_KINDS``, most consequential first, so that many harmless notes
    never hide a warning that changes who said what (issue 16, the fresh user's read:
    eight header notes hid ten unknown speaker labels). A warning of no listed kind is
    grouped with those asking the same fix (the text after " — ") and its group's first
    warning is shown whole, never cut.

    Parameters
    ----------
    warnings : list of str
        The manifest's warnings, in ingest order.
    shown : int
        Places (files, documents) named per kind.

    Returns
    -------
    list of str
        The heading, then one line per kind indented two spaces; empty when there are no
        warnings.
    """
    if not warnings:
        return []
    kinds: dict[tuple, list[tuple[str, str]]] = {}
    for warning in map(str, warnings):
        index, found = _warning_kind(warning)
        what, sep, fix = warning.rpartition(" — ")
        what, fix = (what, fix) if sep else (warning, "")
        key = (index, "") if index < len(WARNING_KINDS) else (index, fix)
        kinds.setdefault(key, []).append((warning, _place(what, found)))
    known = sorted((k for k in kinds if k[0] < len(WARNING_KINDS)), key=lambda k: k[0])
    other = sorted((k for k in kinds if k[0] == len(WARNING_KINDS)), key=lambda k: (-len(kinds[k]), k[1]))
    n_other = sum(len(kinds[k]) for k in other)
    counted = [plural(len(kinds[k]), WARNING_KINDS[k[0]][1], WARNING_KINDS[k[0]][2]) for k in known]
    if n_other:
        counted.append(plural(n_other, "other warning"))
    out = [f"ingest: {plural(len(warnings), 'warning')} — {', '.join(counted)}; all in {WARNINGS_PAGE}"]
    for key in known:
        items = kinds[key]
        _pattern, one, many, means = WARNING_KINDS[key[0]]
        where = _places([p for _w, p in items], shown)
        out.append(f"  - {plural(len(items), one, many)}{f' ({where})' if where else ''}: {means}")
    for key in other:
        items = kinds[key]
        first = items[0][0].rpartition(" — ")[0] or items[0][0]
        more = f" (and {len(items) - 1} more like it)" if len(items) > 1 else ""
        out.append(f"  - {first}{more}{f' — {key[1]}' if key[1] else ''}")
    return out
