"""Code co-occurrence by unit, with its measures (DESIGN §4, §6).

Units (what "A and B together" means):

- ``segment``: turns carrying both codes; a coding spanning turns 3–4 carries
  its code in both turns; a code applied twice in one turn counts once.
- ``overlap``: pairs of an A coding and a B coding whose [start, end) character
  spans share at least one character (ATLAS.ti/MAXQDA "intersection"). One A
  coding overlapping two B codings counts twice, so a cell may exceed
  min(nA, nB); such cells are listed in ``attrs["out_of_range"]``.
- ``window`` (k): turns that carry one of the two codes and have a turn carrying
  the other within k turns (by turn number, same document, interviewer turns
  included in the distance), a turn carrying both counted once. That is
  |{A-turns with a B-turn within k}| + |{B-turns with an A-turn within k}| −
  |{turns carrying both}|: MAXQDA's "proximity" made symmetric. With k = 0 it is
  the segment count. A cell can exceed min(nA, nB) here too (one A-turn between
  two B-turns gives 3 with nA = 1); such cells are flagged as for overlap.
- ``document`` / ``participant``: documents / participants carrying both.

The diagonal of the count matrix is each code's own count in that unit: turns
carrying it (segment, window), its codings (overlap), documents, participants.

Measures (n12 the cell, n1, n2 the two diagonal values, N the number of units):
``count``; ``c`` = n12 / (n1 + n2 − n12) (ATLAS.ti c-coefficient); ``conditional``
= P(column | row) = n12 / n_row; ``ratio`` = n12 / expected; ``p`` one-sided
Fisher exact test (more co-occurrence than chance) on
[[n12, n1−n12], [n2−n12, N−n1−n2+n12]] (segment, document, participant only);
``q`` Benjamini–Hochberg adjusted p over the pairs above the diagonal.

Speed: every unit is a sparse incidence matrix and one or two sparse products
(segment, window, document, participant), or a sorted sweep with
``np.searchsorted`` (overlap); there is no Python loop over codings.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from helpers.analysis.cooccurrence_counts import (
    Counts,
    count_matrix,
    overlap_pairs,
    pair_members,
    positions_in,
    same_branch_pairs,
)
from helpers.analysis.cooccurrence_measures import (
    _flags,
    _measure,
    benjamini_hochberg_matrix,
    c_coefficient,
    fisher_greater,
    tests_withheld,
)
from helpers.analysis.cooccurrence_rules import (
    IMBALANCE_FOLD,
    MEASURES,
    MIN_TESTED_UNITS,
    NESTING_CAVEAT,
    SAME_BRANCH_RULE,
    TESTED_UNITS,
    UNITS,
    _check_measure,
    _check_unit,
    counting_rule,
    measure_rule,
)
from helpers.study import Study

# The public names, defined here or in cooccurrence_rules (units, measures, rules in words),
# cooccurrence_counts (the counts) and cooccurrence_measures (c, conditional, ratio, p, q);
# importable from this module as before the split.
__all__ = ["IMBALANCE_FOLD", "MEASURES", "MIN_TESTED_UNITS", "NESTING_CAVEAT", "SAME_BRANCH_RULE", "TESTED_UNITS",
           "UNITS", "Counts", "benjamini_hochberg_matrix", "c_coefficient", "cooccurrence", "cooccurrence_table", "count_matrix",
           "counting_rule", "fisher_greater", "measure_rule", "overlap_pairs", "pair_members", "positions_in", "same_branch_pairs",
           "tests_withheld"]


# -- public entry points ------------------------------------------------------------

def cooccurrence(study: Study, unit: str = "segment", level: str | None = None, window: int = 1, measure: str = "count",
                 coder: str | list[str] | None = None, participants: list[str] | None = None, where: dict | None = None,
                 min_tested_units: int = MIN_TESTED_UNITS) -> pd.DataFrame:
    """Codes x codes co-occurrence matrix (DESIGN §4).

    ``unit``: segment | overlap | window | document | participant (rules in the
    module docstring and ``counting_rule``). ``measure``: count | c | conditional |
    ratio | p | q. The count diagonal is each code's own unit count (turns,
    codings, documents, participants); c and conditional have 1 there, ratio, p
    and q NaN. ``p``/``q`` only for segment, document and participant units
    (ValueError otherwise).

    What is counted is ``counting.passages`` (one passage, one application;
    the primary coder per document unless ``coder`` is given; "all" merges
    coders). At ``level=None`` a code and its own ancestor are not paired
    (``attrs["same_branch"]`` lists the pairs left out).

    Filters: ``coder`` (None, "all", a coder or list), ``participants`` (ids),
    ``where`` ({attribute: value or list} on study.participants). N for ratio
    and p counts the filtered units: participant turns plus coded interviewer
    turns (segment), all turns (window), documents, the kept participants.
    ``p``/``q`` are NaN for document/participant units with fewer than
    ``min_tested_units`` units (``attrs["tests_withheld"]`` says why).
    ``conditional`` for overlap and window is the share of A passages
    (turns) with a B in range, never above 1.
    Rows and columns: codebook order at ``level``; alphabetical with ``level=None``
    (every code of the study, so filtered matrices line up).

    ``attrs``: rule, unit, measure, window, level, n_units, n_codings, dropped
    (codings without turn numbers or spans for this unit), out_of_range,
    frequency_imbalance.

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    unit : str, default "segment"
        segment, overlap, window, document or participant.
    level : str or None
        None: codes as applied; a level of ``study.levels`` (``"code"`` for the unnamed
        level): codings rolled up to it (``helpers.counting.check_level``).
    window : int, default 1
        Turns either side, for ``unit="window"``.
    measure : str, default "count"
        count, c, conditional, ratio, p or q.
    coder : None, "all", str or list of str
        Whose passages count: None the primary coder in each document, a name or list
        those coders merged, "all" every analysis coder (``counting.select_coders``).
    participants : list of str, optional
        Participant ids to keep.
    where : dict, optional
        {attribute: value or list of values} on ``study.participants``.
    min_tested_units : int, default 20
        Documents or participants below which no p-value is given.

    Returns
    -------
    DataFrame
        Square, codes x codes (index and columns the codes, same order); values are
        counts of units, or the measure (a share 0–1 for c and conditional, a ratio, a
        probability for p and q); ``attrs`` as above.

    Raises
    ------
    ValueError
        Unknown unit or measure, or p/q asked for an overlap or window unit.
    InputError
        Unknown level or coder (the message lists the study's).
    """
    _check_unit(unit)
    _check_measure(measure, unit)
    counts = count_matrix(study, unit, level, window, coder, participants, where,
                          with_expected=(measure == "ratio"))
    counts.min_tested_units = int(min_tested_units)
    values = _measure(counts, measure)
    frame = pd.DataFrame(values, index=pd.Index(counts.codes, name="code"), columns=pd.Index(counts.codes))
    out_of_range, imbalance = _flags(counts)
    frame.attrs.update({
        "rule": _rule(study, counts, coder) + " " + measure_rule(measure, unit),
        "same_branch": list(counts.same_branch or []), "tests_withheld": tests_withheld(counts),
        "unit": unit, "measure": measure, "window": window if unit == "window" else None, "level": level,
        "coder": coder, "n_units": int(counts.n_units), "n_codings": int(counts.n_codings),
        "dropped": int(counts.dropped), "out_of_range": out_of_range, "frequency_imbalance": imbalance,
    })
    return frame


def _rule(study, counts: Counts, coder) -> str:
    from helpers.counting import rule_text

    parts = [rule_text(study, coder), counting_rule(counts.unit, counts.window)]
    if counts.same_branch:
        shown = ", ".join(f"{a}–{b}" for a, b in counts.same_branch[:8])
        more = "" if len(counts.same_branch) <= 8 else f" and {len(counts.same_branch) - 8} more"
        parts.append(f"{SAME_BRANCH_RULE} Left out: {shown}{more}.")
    if tests_withheld(counts):
        parts.append(tests_withheld(counts))
    return " ".join(parts)


def cooccurrence_table(study: Study, unit: str = "segment", level: str | None = None, window: int = 1,
                       coder: str | list[str] | None = None, participants: Iterable[str] | None = None,
                       where: dict | None = None, min_count: int = 1,
                       min_tested_units: int = MIN_TESTED_UNITS) -> pd.DataFrame:
    """Long form, one row per pair of codes (a before b in code order) with
    n_ab >= ``min_count``: code_a, code_b, n_a, n_b, n_ab, c, conditional_ab
    (P(b | a)), conditional_ba, ratio, and p, q for segment/document/participant.
    q is adjusted over ALL pairs of codes, before ``min_count`` drops any.
    Sorted by n_ab descending, then code_a, code_b. attrs as ``cooccurrence``.

    Parameters
    ----------
    study, unit, level, window, coder, participants, where, min_tested_units
        As ``cooccurrence``.
    min_count : int
        Fewest co-occurrences (n_ab) a pair needs to be listed.

    Returns
    -------
    DataFrame
        One row per pair (RangeIndex): code_a, code_b (string), n_a, n_b, n_ab (int64), c,
        conditional_ab, conditional_ba, ratio (float64), and p, q for the tested units.
        ``attrs["rule"]`` states the rule.
    """
    counts = count_matrix(study, unit, level, window, coder, participants, where, with_expected=True)
    counts.min_tested_units = int(min_tested_units)
    i, j = np.triu_indices(len(counts.codes), k=1)
    codes = np.asarray(counts.codes, dtype=object)
    own = counts.own
    table = pd.DataFrame({
        "code_a": pd.array(codes[i], dtype="string"), "code_b": pd.array(codes[j], dtype="string"),
        "n_a": own[i], "n_b": own[j], "n_ab": counts.matrix[i, j],
        "c": _measure(counts, "c")[i, j],
        "conditional_ab": _measure(counts, "conditional")[i, j],
        "conditional_ba": _measure(counts, "conditional")[j, i],
        "ratio": _measure(counts, "ratio")[i, j],
    })
    if unit in TESTED_UNITS:
        table["p"] = _measure(counts, "p")[i, j]
        table["q"] = _measure(counts, "q")[i, j]
    table = table[table["n_ab"] >= min_count]
    table = table.sort_values(["n_ab", "code_a", "code_b"], ascending=[False, True, True], kind="stable")
    table = table.reset_index(drop=True)
    out_of_range, imbalance = _flags(counts)
    table.attrs.update({
        "rule": _rule(study, counts, coder), "unit": unit,
        "same_branch": list(counts.same_branch or []), "tests_withheld": tests_withheld(counts), "window": window if unit == "window" else None,
        "level": level, "coder": coder, "n_units": int(counts.n_units), "n_codings": int(counts.n_codings),
        "dropped": int(counts.dropped), "out_of_range": out_of_range, "frequency_imbalance": imbalance,
    })
    return table
