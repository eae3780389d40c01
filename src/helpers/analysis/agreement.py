"""Inter-coder agreement: percent agreement, Cohen's kappa, Krippendorff's alpha.

Counting rule (the same for every statistic and every table here)
------------------------------------------------------------------
* **Which documents.** Only documents that *every* compared coder coded are
  compared; a coder has coded a document when they have at least one coding in
  it (any code, before any roll-up). A document one coder left untouched would
  otherwise count as "that coder disagrees everywhere". The table's
  ``attrs["documents"]`` and ``attrs["excluded_documents"]`` list both sets.
* **Which codes.** Every code (after roll-up to ``level``) that at least one
  compared coder applied in the compared documents, in name order.
* **Units**, each a yes/no decision per coder and code:

  - ``segment``: every turn of the compared documents (all speakers). A coder
    applied the code to a turn when one of their codings of it touches that
    turn (a coding spanning turns 3–5 marks turns 3, 4 and 5).
  - ``document``: every compared document; applied when the coder has any
    coding of the code in it.
  - ``character``: every character of the compared documents' clean texts
    (NVivo's unit); applied when the character lies inside one of the coder's
    codings of the code (``start`` to ``end``, end exclusive). A coding with no
    character span counts as the span of the turns it touches.

* **Statistics per code.** ``percent_agreement``: percent of units on which
  all compared coders made the same decision. ``kappa``: Cohen's kappa, only
  when exactly two coders are compared. ``alpha``: Krippendorff's alpha for
  nominal data (two or more coders). ``alpha_low``/``alpha_high``: the 2.5th and
  97.5th percentiles of alpha over ``n_boot`` bootstrap resamples of the units
  (with replacement, seeded). When every decision in a table is the same (all
  "applied" or all "not applied"), kappa and alpha are undefined (expected
  disagreement is zero): they are reported as NaN with a ``note``, and percent
  agreement is 100.
* **"overall".** All code × unit decisions pooled into one binary data set:
  ``n_units`` is the number of codes times the number of units; percent
  agreement, kappa and alpha are computed on that pooled data, and the
  bootstrap resamples pooled code × unit decisions.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import atomic
from helpers.analysis.agreement_stats import (
    FORMULAS,
    MIN_UNITS,
    PACKAGE_ALPHA_MAX_UNITS,
    RELIABLE,
    TENTATIVE,
    VERDICT_RULE,
    _alpha,
    _bootstrap_interval,
    _kappa,
    _rng,
    _Tally,
    interpretation,
    krippendorff_alpha,
    verdict,
)
from helpers.analysis.agreement_units import TURNS, UNITS, _check_unit, _coded, _compare
from helpers.study import Study

# The public names, defined here or in agreement_stats (statistics, verdict) and
# agreement_units (what is compared); importable from this module as before the split.
__all__ = ["FORMULAS", "MIN_UNITS", "PACKAGE_ALPHA_MAX_UNITS", "RELIABLE", "TENTATIVE", "TURNS", "UNITS", "UNIT_RULES",
           "VERDICT_RULE", "CODER_RULE", "agreement", "agreement_by_document", "coder_code_usage", "coder_summary", "describe",
           "disagreements", "interpretation", "krippendorff_alpha", "verdict", "write_disagreements"]

UNIT_RULES: dict[str, str] = {
    "segment": ("each participant turn of the compared documents, and any interviewer turn a compared coder "
                "coded (interviewer turns nobody coded would all count as agreed and inflate agreement); a code "
                "is applied to a turn by a coder when one of their codings of it touches the turn (a coding over "
                "turns 3–5 marks turns 3, 4 and 5)"),
    "document": "each compared document; a code is applied when the coder has any coding of it in the document",
    "character": ("each character of the compared documents' clean texts; a code is applied when the "
                  "character lies in one of the coder's codings of it. Like NVivo's coding comparison the unit "
                  "is the character; unlike it, the kappa and alpha here pool every compared document (NVivo "
                  "reports kappa per code and per source and averages), the clean text is the redacted, "
                  "normalised text (not the source file NVivo measures), and alpha and its interval are added: "
                  "see agreement_by_document for the per-source figures"),
}


# -- public -----------------------------------------------------------------

def agreement(study: Study, unit: str = "segment", level: str | None = None, coders: list[str] | None = None,
              n_boot: int = 1000, seed: int = 0, turns: str = "participant",
              min_units: int = MIN_UNITS) -> pd.DataFrame:
    """Agreement between coders, one row per code plus a final row "overall".

    See the module docstring for the counting rule. Columns: ``code``,
    ``n_units``, ``percent_agreement`` (0–100), ``kappa`` (two coders only,
    else NaN), ``alpha``, ``alpha_low``, ``alpha_high``, ``interpretation``
    (of alpha), then counts for a consensus meeting: ``n_applied_<coder>``
    (units the coder applied the code to), ``n_all`` (units every coder
    applied it to; with two coders, both), ``n_none``, ``n_disagree``,
    ``n_only_<coder>`` (units only that coder applied it to), and ``note``.

    ``interpretation`` and ``verdict`` (the same) read the LOWER end of
    alpha's interval: "reliable" (≥ 0.800), "tentative" (≥ 0.667),
    "unreliable", "undefined" (no alpha), or "too few units" below
    ``min_units`` units (``VERDICT_RULE``).

    ``coders=None`` compares every coder in the study (reliability coders of
    ``use: agreement`` included); ``level`` rolls codes up the hierarchy
    first (an unknown level is an ``InputError`` listing the study's levels).
    ``turns`` (segment unit): "participant" (default) compares participant
    turns and the interviewer turns some compared coder coded; "all" every
    turn. ``attrs`` holds ``unit``, ``coders``, ``documents``,
    ``excluded_documents``, ``single_coder_documents`` (coded by only one of
    the compared coders), ``n_units_per_code``, ``unplaced_codings`` and
    ``rule``. ``agreement_by_document`` gives the same per code and document.

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    unit : str, default "segment"
        The unit compared (see the module docstring).
    level : str or None
        None: codes as applied; a level of ``study.levels`` (``"code"`` for the unnamed
        level): codings rolled up to it (``helpers.counting.check_level``).
    coders : list of str, optional
        The coders compared; default every coder in the study.
    n_boot : int, default 1000
        Bootstrap resamples for alpha's interval.
    seed : int, default 0
        Seed of the bootstrap.
    turns : str, default "participant"
        "participant" or "all" (segment unit), as above.
    min_units : int, default 20
        Units below which a code's verdict is "too few units".

    Returns
    -------
    DataFrame
        One row per code plus "overall" (default RangeIndex), columns as above;
        ``percent_agreement`` in percent (0–100), kappa and alpha unitless.

    Raises
    ------
    InputError
        Unknown level (the message lists the study's levels).
    """
    comparison = _compare(study, unit, level, coders, turns)
    rows = []
    pooled = _Tally.empty(len(comparison.coders))
    for code in comparison.codes:
        tally = _Tally.of(comparison.values(code))
        pooled = pooled + tally
        rows.append(_row(code, tally, comparison.coders, n_boot, _rng(seed, code), min_units))
    overall = _row("overall", pooled, comparison.coders, n_boot, _rng(seed, None), min_units)
    if not comparison.codes:
        overall["note"] = "no code was applied in the compared documents"
    rows.append(overall)
    table = pd.DataFrame(rows, columns=_columns(comparison.coders))
    table["code"] = table["code"].astype("string")
    table["note"] = table["note"].astype("string")
    table["interpretation"] = table["interpretation"].astype("string")
    table["verdict"] = table["interpretation"]
    table.attrs.update(comparison.describe())
    table.attrs["rule"] = describe(unit) + "\n\n" + VERDICT_RULE
    return table


def agreement_by_document(study: Study, unit: str = "segment", level: str | None = None,
                          coders: list[str] | None = None, n_boot: int = 200, seed: int = 0,
                          turns: str = "participant", min_units: int = MIN_UNITS) -> pd.DataFrame:
    """Agreement per code and per document (as NVivo's coding comparison
    reports it, per code and source), beside the pooled ``agreement``.

    Parameters
    ----------
    study, unit, level, coders, n_boot, seed, turns, min_units
        As ``agreement`` (``unit`` segment or character).

    Returns
    -------
    DataFrame
        One row per (code, compared document): ``code``, ``doc_id``, then the
        columns of ``agreement`` (``n_units`` the document's units). Units and
        rules as ``agreement``; for ``unit="document"`` each cell would hold
        one unit, so it is refused.

    Raises
    ------
    ValueError
        ``unit="document"``.
    InputError
        As ``agreement``.
    """
    if unit == "document":
        raise ValueError("agreement_by_document needs a unit inside documents: segment or character")
    comparison = _compare(study, unit, level, coders, turns)
    bounds = comparison.doc_bounds()
    rows = []
    for code in comparison.codes:
        values = comparison.values(code)
        for doc_id, (lo, hi) in zip(comparison.documents, bounds):
            tally = _Tally.of(values[:, lo:hi])
            row = _row(code, tally, comparison.coders, n_boot, _rng(seed, f"{code}\x00{doc_id}"), min_units)
            row["doc_id"] = doc_id
            rows.append(row)
    columns = ["code", "doc_id"] + _columns(comparison.coders)[1:]
    table = pd.DataFrame(rows, columns=columns)
    table["verdict"] = table["interpretation"]
    table.attrs.update(comparison.describe())
    table.attrs["rule"] = describe(unit) + "\n\n" + VERDICT_RULE
    return table


def disagreements(study: Study, level: str | None = None, coders: list[str] | None = None) -> pd.DataFrame:
    """The turns where coders differ about a code, for a consensus meeting.

    Same documents and codes as ``agreement(unit="segment")``: one row per
    code and turn where some but not all compared coders applied the code.
    Columns ``doc_id, seg_no, participant_id, code, applied_by,
    not_applied_by`` (comma-separated coder names), ``text`` (the turn),
    ``speaker``; sorted by code, doc_id, seg_no.

    Parameters
    ----------
    study, level, coders
        As ``agreement``.

    Returns
    -------
    DataFrame
        One row per (code, turn) in dispute (RangeIndex), the columns above (``seg_no`` Int64, the
        others string). ``attrs["rule"]`` states the rule.

    Raises
    ------
    InputError
        As ``agreement``.
    """
    comparison = _compare(study, "segment", level, coders)
    units = comparison.units
    names = np.array(comparison.coders, dtype=object)
    frames = []
    for code in comparison.codes:
        values = comparison.values(code)
        n_applied = values.sum(axis=0)
        differ = np.flatnonzero((n_applied > 0) & (n_applied < len(names)))
        if not len(differ):
            continue
        picked = values[:, differ].T  # one row per disagreeing turn, one column per coder
        frame = units.iloc[differ][["doc_id", "seg_no", "participant_id", "text", "speaker"]].copy()
        frame["code"] = code
        frame["applied_by"] = [", ".join(names[row]) for row in picked]
        frame["not_applied_by"] = [", ".join(names[~row]) for row in picked]
        frames.append(frame)
    columns = ["doc_id", "seg_no", "participant_id", "code", "applied_by", "not_applied_by", "text", "speaker"]
    rule = ("Turns where some but not all compared coders applied the code; units: "
            + UNIT_RULES["segment"] + ". Only documents every compared coder coded are compared.")
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype="Int64" if c == "seg_no" else "string") for c in columns})
        empty.attrs["rule"] = rule
        return empty
    out = pd.concat(frames, ignore_index=True)[columns]
    for col in ["doc_id", "participant_id", "code", "applied_by", "not_applied_by", "text", "speaker"]:
        out[col] = out[col].astype("string")
    out = out.sort_values(["code", "doc_id", "seg_no"], kind="stable").reset_index(drop=True)
    out.attrs["rule"] = rule
    return out


def write_disagreements(study: Study, path: str | os.PathLike, level: str | None = None,
                        coders: list[str] | None = None, n_boot: int = 1000, seed: int = 0) -> Path:
    """Write the consensus-meeting workbook: sheet "disagreements" (the turns
    where coders differ) and sheet "agreement" (the segment-level table).

    Parameters
    ----------
    study, level, coders, n_boot, seed
        As ``agreement`` (unit segment).
    path : str or path
        The .xlsx to write (atomically; never inside a study folder).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        As ``agreement``.
    """
    path = Path(path)
    table = agreement(study, unit="segment", level=level, coders=coders, n_boot=n_boot, seed=seed)
    atomic.write_excel(path, {"disagreements": disagreements(study, level=level, coders=coders),
                              "agreement": table})
    return path


CODER_RULE = ("Codings without a coder are left out; with a level, codes are rolled up to it first (codings with "
              "no ancestor at that level drop out). Every coding counts, reliability coders' included (no passage "
              "merging, no primary coder).")


def coder_summary(study: Study, level: str | None = None) -> pd.DataFrame:
    """Per coder: ``n_codings`` (applications), ``n_codes`` (distinct codes),
    ``n_documents`` (documents with at least one of their codings). Codings
    without a coder are left out; ``level`` rolls codes up first (codings
    with no ancestor at that level drop out).

    Parameters
    ----------
    study : Study
        The study (``helpers.load_study``).
    level : str or None
        Roll codes up to this level first; None: codes as applied.

    Returns
    -------
    DataFrame
        One row per coder of the study (RangeIndex, name order): ``coder`` (string), ``n_codings``,
        ``n_codes``, ``n_documents`` (int64). ``attrs["rule"]`` states the rule.
    """
    codings = _coded(study, level)
    grouped = codings.groupby("coder", sort=True)
    out = pd.DataFrame({
        "n_codings": grouped.size(),
        "n_codes": grouped["code"].nunique(),
        "n_documents": grouped["doc_id"].nunique(),
    }).reindex(study.coders(), fill_value=0)  # a coder whose codings all drop out at `level` shows 0
    out.index.name = "coder"
    out = out.reset_index().astype({"coder": "string", "n_codings": "int64", "n_codes": "int64",
                                    "n_documents": "int64"})
    out.attrs["rule"] = ("Per coder: n_codings = their codings (applications), n_codes = distinct codes, "
                         "n_documents = documents with at least one of their codings. " + CODER_RULE)
    return out


def coder_code_usage(study: Study, level: str | None = None) -> pd.DataFrame:
    """Coder × code table: how many codings each coder made of each code
    (rows coders, columns codes, both in name order; 0 where unused).

    Parameters
    ----------
    study, level
        As ``coder_summary``.

    Returns
    -------
    DataFrame
        Coders × codes (index named ``coder``, columns named ``code``), int64 counts of codings.
        ``attrs["rule"]`` states the rule.
    """
    codings = _coded(study, level)
    usage = pd.crosstab(codings["coder"], codings["code"]).astype("int64")
    usage = usage.sort_index(axis=0).sort_index(axis=1)
    usage.index.name, usage.columns.name = "coder", "code"
    usage.attrs["rule"] = "Cells: codings (applications) of the code by the coder. " + CODER_RULE
    return usage


def describe(unit: str = "segment") -> str:
    """The counting rule and formulas, as Markdown, for a report.

    Parameters
    ----------
    unit : str
        One of ``UNITS``.

    Returns
    -------
    str
        Markdown: the unit's rule, which documents are compared, the formulas.

    Raises
    ------
    ValueError
        An unknown unit.
    """
    _check_unit(unit)
    lines = [f"**Unit: {unit}** — {UNIT_RULES[unit]}.",
             "Only documents that every compared coder coded (at least one coding) are compared; documents "
             "coded by one coder only are listed, not compared.",
             "\"overall\" pools every code × unit decision into one binary data set.", ""]
    lines += [f"- {text}" for text in FORMULAS.values()]
    return "\n".join(lines)


# -- the table's rows (the statistics: agreement_stats) -------------------------

def _row(code: str, tally: _Tally, coders: list[str], n_boot: int, rng: np.random.Generator,
         min_units: int = MIN_UNITS) -> dict:
    n = tally.n_units
    row: dict = {"code": code, "n_units": n}
    notes = []
    if n == 0:
        row.update(percent_agreement=np.nan, kappa=np.nan, alpha=np.nan, alpha_low=np.nan, alpha_high=np.nan)
    elif tally.all_same:
        row.update(percent_agreement=100.0, kappa=np.nan, alpha=np.nan, alpha_low=np.nan, alpha_high=np.nan)
        which = "applied" if tally.patterns[-1] == n else "not applied"
        notes.append(f"every unit {which} by every coder: kappa and alpha undefined (no variation)")
    else:
        row["percent_agreement"] = 100.0 * (tally.patterns[0] + tally.patterns[-1]) / n
        row["kappa"] = _kappa(tally.pairs) if tally.n_coders == 2 else np.nan
        # this module's PACKAGE_ALPHA_MAX_UNITS, read at call time (a test sets it to 0)
        row["alpha"] = _alpha(tally.patterns, PACKAGE_ALPHA_MAX_UNITS)
        row["alpha_low"], row["alpha_high"] = _bootstrap_interval(tally.patterns, n_boot, rng)
    row["interpretation"] = verdict(row["alpha"], row["alpha_low"], n, min_units)
    for name, count in zip(coders, tally.applied):
        row[f"n_applied_{name}"] = int(count)
    row.update(n_all=int(tally.patterns[-1]), n_none=int(tally.patterns[0]),
               n_disagree=int(n - tally.patterns[0] - tally.patterns[-1]))
    for name, count in zip(coders, tally.only):
        row[f"n_only_{name}"] = int(count)
    users = [name for name, count in zip(coders, tally.applied) if count > 0]
    if code != "overall" and len(users) == 1:
        notes.append(f"applied by {users[0]} only")
    row["note"] = "; ".join(notes)
    return row


def _columns(coders: list[str]) -> list[str]:
    return (["code", "n_units", "percent_agreement", "kappa", "alpha", "alpha_low", "alpha_high",
             "interpretation"] + [f"n_applied_{c}" for c in coders] + ["n_all", "n_none", "n_disagree"]
            + [f"n_only_{c}" for c in coders] + ["note"])
