"""Co-occurrence's units, measures and their counting rules in words (issue 15 split of
:mod:`helpers.analysis.cooccurrence`): the constants, ``counting_rule``, ``measure_rule`` and the
checks of ``unit`` and ``measure``.
"""
from __future__ import annotations

from helpers.counting import check_choice
from helpers.textutil import plural

UNITS = ("segment", "overlap", "window", "document", "participant")
MEASURES = ("count", "c", "conditional", "ratio", "p", "q")
TESTED_UNITS = ("segment", "document", "participant")
IMBALANCE_FOLD = 5.0
MIN_TESTED_UNITS = 20      # documents / participants below which no p-value is shown (issue 12, point 9)
NESTING_CAVEAT = ("Caveat: turns are nested in interviews (one person's turns are not independent), so "
                  "p-values treat as independent what is not; read them as a screen, not as evidence.")
SAME_BRANCH_RULE = ("At the level of codes as applied, a code and its own ancestor (parent, grandparent) are "
                    "one branch: they are not paired.")


def counting_rule(unit: str, window: int = 1) -> str:
    """The counting rule of a co-occurrence unit as one plain-English paragraph for a report.

    The rules of the module docstring of :mod:`helpers.analysis.cooccurrence`
    (docs/design.md §4): what a cell, the diagonal and N count in ``unit``.

    Parameters
    ----------
    unit : str
        "segment", "overlap", "window", "document" or "participant".
    window : int, default 1
        Turns either side, named in the "window" paragraph only.

    Returns
    -------
    str
        One paragraph.

    Raises
    ------
    ValueError
        ``unit`` is not one of ``UNITS``.
    """
    _check_unit(unit)
    rules = {
        "segment": ("Co-occurrence by segment: a cell is the number of turns that carry both codes. A coding "
                    "that spans several turns carries its code in every turn it touches, and a code applied "
                    "twice in one turn counts once. The diagonal is the number of turns carrying the code; "
                    "N is the number of participant turns (plus any interviewer turn someone coded)."),
        "overlap": ("Co-occurrence by overlap: a cell is the number of pairs of an A passage and a B passage "
                    "whose coded text shares at least one character. One A passage overlapping two B passages "
                    "counts twice, so a cell can exceed the smaller code's number of passages (such cells are "
                    "flagged); P(B|A) is the share of A passages overlapping any B passage. The diagonal is the "
                    "number of passages of the code."),
        "window": (f"Co-occurrence within {plural(window, 'turn')}: a cell is the number of turns that carry one of the "
                   f"two codes and have a turn carrying the other no more than {plural(window, 'turn')} away in the same "
                   "document (interviewer turns count in the distance), a turn carrying both counted once. "
                   "The diagonal is the number of turns carrying the code; N is the number of participant turns. "
                   "A cell can exceed the smaller code's number of turns (such cells are flagged); P(B|A) is the "
                   "share of A turns with a B turn within range."),
        "document": ("Co-occurrence by document: a cell is the number of documents (interviews, focus groups) "
                     "in which both codes are applied. The diagonal is the number of documents with the code."),
        "participant": ("Co-occurrence by participant: a cell is the number of participants to whom both codes "
                        "are attributed. The diagonal is the number of participants with the code."),
    }
    return rules[unit]


def measure_rule(measure: str, unit: str) -> str:
    """What the cells of a co-occurrence measure are, in words, for a report.

    Parameters
    ----------
    measure : str
        "count", "c" (the c-coefficient n12 / (n1 + n2 − n12) of ATLAS.ti's
        manual), "conditional", "ratio", "p" (one-sided Fisher exact test) or
        "q" (Benjamini & Hochberg 1995 adjusted p).
    unit : str
        The unit the counts are of: it chooses the expected count the "ratio"
        sentence gives ("overlap" and "window" have their own) and the caveat
        of "c" for "overlap" and "window" (a cell can exceed 1).

    Returns
    -------
    str
        One or two sentences; "p" and "q" end with ``NESTING_CAVEAT``.

    Raises
    ------
    KeyError
        ``measure`` is not one of ``MEASURES`` (callers check it first with
        ``_check_measure``).
    """
    expected = {
        "overlap": ("expected = the sum over documents of nA,d x nB,d x (share of the document's pairs of "
                    "codings that overlap)"),
        "window": ("expected = (nA x mB + nB x mA − nA x nB) / N, with mX the turns within the window of an "
                   "X-turn: what random placement of the turns would give"),
    }.get(unit, "expected = n1 x n2 / N")
    return {
        "count": "Cells are counts; the diagonal is each code's own count.",
        "c": ("Cells are c-coefficients n12 / (n1 + n2 − n12) (0 = never together, 1 = always together); "
              "the diagonal is 1." + (" With overlap counts the coefficient can exceed 1 or be undefined "
                                     "(blank) for flagged cells." if unit in ("overlap", "window") else "")),
        "conditional": ("Cells are P(column code | row code): the share of the row code's units (turns, passages, "
                        "documents, participants) that have the column code in range, so never above 1; "
                        "the diagonal is 1."),
        "ratio": f"Cells are observed / expected co-occurrence, {expected}; the diagonal is blank.",
        "p": ("Cells are one-sided Fisher exact p-values (co-occurring more than chance) on the 2x2 table of "
              "units; the diagonal is blank. " + NESTING_CAVEAT),
        "q": ("Cells are Benjamini–Hochberg adjusted p-values (false discovery rate) over all pairs of codes; "
              "the diagonal is blank. " + NESTING_CAVEAT),
    }[measure]


def _check_unit(unit: str) -> None:
    check_choice(unit, UNITS, "unit")


def _check_measure(measure: str, unit: str) -> None:
    check_choice(measure, MEASURES, "measure")
    if measure in ("p", "q") and unit not in TESTED_UNITS:
        raise ValueError(f"measure {measure!r} (exact test) is defined for units {', '.join(TESTED_UNITS)} only; "
                         f"got unit {unit!r}")
