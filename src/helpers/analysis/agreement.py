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

import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import krippendorff
import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from helpers import atomic
from helpers.counting import check_level
from helpers.errors import InputError
from helpers.hierarchy import rollup

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

UNITS = ("segment", "document", "character")

# Above this many pooled decisions, alpha is computed with the closed form for
# binary data without missing values (identical to the package's result, see
# _alpha_closed_form) instead of the package, whose memory grows ~100 bytes per
# decision and ~0.2 s per million (a character-level "overall" row can hold tens
# of millions).
PACKAGE_ALPHA_MAX_UNITS = 1_000_000

RELIABLE = 0.800
TENTATIVE = 0.667
MIN_UNITS = 20     # below this many units no verdict is given (issue 12, point 8)
TURNS = ("participant", "all")
VERDICT_RULE = ("Verdict from the lower end of alpha's 95% interval, not the point estimate: reliable when it "
                "is at least 0.800, tentative when at least 0.667, else unreliable (Krippendorff 2004); "
                f"no verdict (\"too few units\") below {MIN_UNITS} units.")

FORMULAS: dict[str, str] = {
    "percent_agreement": "percent agreement = 100 × (units on which all coders made the same decision) / (units)",
    "kappa": ("Cohen's kappa = (po − pe) / (1 − pe), where po is the observed share of agreeing units and "
              "pe = Σ over values v of (share of coder 1's units with v) × (share of coder 2's units with v), "
              "the agreement expected by chance from each coder's own rates (Cohen 1960)"),
    "alpha": ("Krippendorff's alpha = 1 − Do / De, where Do is the observed disagreement (share of "
              "mismatching pairs of values within units) and De the disagreement expected when values "
              "are paired at random across all units; nominal: for binary data with n pairable values, "
              "alpha = 1 − (n − 1) × o01 / (n0 × n1) (Krippendorff 2004, 2011)"),
    "alpha_ci": ("95% interval: 2.5th and 97.5th percentiles of alpha over bootstrap resamples of the "
                 "units (with replacement, seeded)"),
    "interpretation": ("alpha ≥ 0.800: reliable; 0.667 ≤ alpha < 0.800: tentative conclusions only; "
                       "below 0.667: unreliable (Krippendorff 2004)"),
}

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


def agreement_by_document(study, unit: str = "segment", level: str | None = None,
                          coders: list[str] | None = None, n_boot: int = 200, seed: int = 0,
                          turns: str = "participant", min_units: int = MIN_UNITS) -> pd.DataFrame:
    """Agreement per code and per document (as NVivo's coding comparison
    reports it, per code and source), beside the pooled ``agreement``.

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


def disagreements(study, level: str | None = None, coders: list[str] | None = None) -> pd.DataFrame:
    """The turns where coders differ about a code, for a consensus meeting.

    Same documents and codes as ``agreement(unit="segment")``: one row per
    code and turn where some but not all compared coders applied the code.
    Columns ``doc_id, seg_no, participant_id, code, applied_by,
    not_applied_by`` (comma-separated coder names), ``text`` (the turn),
    ``speaker``; sorted by code, doc_id, seg_no.
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
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "seg_no" else "string") for c in columns})
    out = pd.concat(frames, ignore_index=True)[columns]
    for col in ["doc_id", "participant_id", "code", "applied_by", "not_applied_by", "text", "speaker"]:
        out[col] = out[col].astype("string")
    return out.sort_values(["code", "doc_id", "seg_no"], kind="stable").reset_index(drop=True)


def write_disagreements(study, path, level: str | None = None, coders: list[str] | None = None,
                        n_boot: int = 1000, seed: int = 0) -> Path:
    """Write the consensus-meeting workbook: sheet "disagreements" (the turns
    where coders differ) and sheet "agreement" (the segment-level table)."""
    path = Path(path)
    table = agreement(study, unit="segment", level=level, coders=coders, n_boot=n_boot, seed=seed)
    atomic.write_excel(path, {"disagreements": disagreements(study, level=level, coders=coders),
                              "agreement": table})
    return path


def coder_summary(study, level: str | None = None) -> pd.DataFrame:
    """Per coder: ``n_codings`` (applications), ``n_codes`` (distinct codes),
    ``n_documents`` (documents with at least one of their codings). Codings
    without a coder are left out; ``level`` rolls codes up first (codings
    with no ancestor at that level drop out)."""
    codings = _coded(study, level)
    grouped = codings.groupby("coder", sort=True)
    out = pd.DataFrame({
        "n_codings": grouped.size(),
        "n_codes": grouped["code"].nunique(),
        "n_documents": grouped["doc_id"].nunique(),
    }).reindex(study.coders(), fill_value=0)  # a coder whose codings all drop out at `level` shows 0
    out.index.name = "coder"
    return out.reset_index().astype({"coder": "string", "n_codings": "int64", "n_codes": "int64",
                                     "n_documents": "int64"})


def coder_code_usage(study, level: str | None = None) -> pd.DataFrame:
    """Coder × code table: how many codings each coder made of each code
    (rows coders, columns codes, both in name order; 0 where unused)."""
    codings = _coded(study, level)
    usage = pd.crosstab(codings["coder"], codings["code"]).astype("int64")
    usage = usage.sort_index(axis=0).sort_index(axis=1)
    usage.index.name, usage.columns.name = "coder", "code"
    return usage


def verdict(alpha: float, alpha_low: float, n_units: int, min_units: int = MIN_UNITS) -> str:
    """The reading of an agreement row (``VERDICT_RULE``): "undefined" without
    alpha; "too few units" below ``min_units``; "no interval" without a
    bootstrap; else from the LOWER end of alpha's 95% interval: "reliable"
    (≥ 0.800), "tentative" (≥ 0.667), "unreliable" (Krippendorff 2004)."""
    if alpha is None or pd.isna(alpha):
        return "undefined"
    if n_units < min_units:
        return "too few units"
    if alpha_low is None or pd.isna(alpha_low):
        return "no interval"
    if alpha_low >= RELIABLE:
        return "reliable"
    if alpha_low >= TENTATIVE:
        return "tentative"
    return "unreliable"


def interpretation(alpha: float) -> str:
    """Krippendorff's (2004) conventional reading of alpha: ≥ 0.800 reliable,
    ≥ 0.667 tentative conclusions only, below that unreliable; NaN undefined."""
    if alpha is None or pd.isna(alpha):
        return "undefined"
    if alpha >= RELIABLE:
        return "reliable"
    if alpha >= TENTATIVE:
        return "tentative conclusions only"
    return "unreliable"


def describe(unit: str = "segment") -> str:
    """The counting rule and formulas, as Markdown, for a report."""
    _check_unit(unit)
    lines = [f"**Unit: {unit}** — {UNIT_RULES[unit]}.",
             "Only documents that every compared coder coded (at least one coding) are compared; documents "
             "coded by one coder only are listed, not compared.",
             "\"overall\" pools every code × unit decision into one binary data set.", ""]
    lines += [f"- {text}" for text in FORMULAS.values()]
    return "\n".join(lines)


def krippendorff_alpha(reliability_data) -> float:
    """Krippendorff's alpha (nominal) of a coders × units array, NaN for
    missing values; NaN when undefined (fewer than two distinct values, or no
    unit with two values), without warnings."""
    data = np.asarray(reliability_data, dtype=float)
    present = data[~np.isnan(data)]
    pairable = (~np.isnan(data)).sum(axis=0) >= 2
    if np.unique(present).size < 2 or not pairable.any():
        return float("nan")
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


# -- the comparison: documents, codes, units ----------------------------------

@dataclass
class _Comparison:
    coders: list[str]
    unit: str
    documents: list[str]
    excluded: list[str]
    units: pd.DataFrame               # one row per unit (segment unit: the turns)
    n_units: int
    placed: pd.DataFrame              # code, coder_idx, first, last (unit positions, last exclusive)
    unplaced: int
    codes: list[str] = field(default_factory=list)
    doc_lengths: list[int] = field(default_factory=list)

    def values(self, code: str) -> np.ndarray:
        """Coders × units booleans: did the coder apply ``code`` to the unit."""
        rows = self.placed[self.placed["code"] == code]
        steps = np.zeros((len(self.coders), self.n_units + 1), dtype=np.int32)
        coder_idx = rows["coder_idx"].to_numpy(dtype=np.int64)
        np.add.at(steps, (coder_idx, rows["first"].to_numpy(dtype=np.int64)), 1)
        np.add.at(steps, (coder_idx, rows["last"].to_numpy(dtype=np.int64)), -1)
        return np.cumsum(steps[:, :-1], axis=1) > 0

    def describe(self) -> dict:
        return {"unit": self.unit, "coders": list(self.coders), "documents": list(self.documents),
                "excluded_documents": list(self.excluded), "single_coder_documents": list(self.excluded),
                "n_units_per_code": int(self.n_units), "unplaced_codings": int(self.unplaced)}

    def doc_bounds(self) -> list[tuple[int, int]]:
        """[first, last) unit positions of each compared document."""
        if self.unit == "segment":
            sizes = self.units.groupby("doc_id", sort=False).size().reindex(self.documents, fill_value=0)
        elif self.unit == "character":
            sizes = pd.Series(self.doc_lengths, index=self.documents)
        else:
            sizes = pd.Series(1, index=self.documents)
        ends = np.cumsum(sizes.to_numpy())
        return list(zip((ends - sizes.to_numpy()).tolist(), ends.tolist()))


def _check_unit(unit: str) -> None:
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}; got {unit!r}")


def _compare(study, unit: str, level: str | None, coders: list[str] | None,
             turns: str = "participant") -> _Comparison:
    _check_unit(unit)
    if turns not in TURNS:
        raise ValueError(f"turns must be one of {', '.join(TURNS)}; got {turns!r}")
    level = check_level(study, level)
    coders = _chosen_coders(study, coders)
    codings = study.codings[study.codings["coder"].isin(coders)]
    documents, excluded = _common_documents(study, codings, coders)
    rolled = rollup(codings, study.codebook, level, study.levels)
    rolled = rolled[rolled["doc_id"].isin(documents)]
    lengths = []
    if unit == "segment":
        units, placed = _segment_units(study, rolled, documents, turns)
    elif unit == "document":
        units, placed = _document_units(rolled, documents)
    else:
        units, placed = _character_units(study, rolled, documents)
        lengths = [_text_length(study, d) for d in documents]
    placed = placed.assign(coder_idx=pd.Categorical(placed["coder"].astype(str), categories=coders).codes)
    kept = placed.dropna(subset=["first", "last"])
    kept = kept[kept["last"] > kept["first"]]
    return _Comparison(coders=coders, unit=unit, documents=documents, excluded=excluded, units=units,
                       n_units=len(units), placed=kept, unplaced=len(placed) - len(kept),
                       codes=sorted(kept["code"].astype(str).unique()), doc_lengths=lengths)


def _chosen_coders(study, coders: list[str] | None) -> list[str]:
    known = study.coders()
    if coders is None:
        coders = known
    if isinstance(coders, str):
        coders = [coders]
    coders = list(dict.fromkeys(str(c) for c in coders))
    unknown = [c for c in coders if c not in known]
    if unknown:
        raise InputError.one("codings", f"coder(s) {', '.join(unknown)} have no codings",
                             f"choose among the study's coders: {', '.join(known) or '(none)'}")
    if len(coders) < 2:
        raise InputError.one("codings", f"agreement needs at least two coders; found {len(coders)}"
                             f" ({', '.join(coders) or 'none'})",
                             "add a second coder's coding sheet (a coder column, or {path:, coder:} "
                             "under codings: in study.yml)")
    return coders


def _common_documents(study, codings: pd.DataFrame, coders: list[str]) -> tuple[list[str], list[str]]:
    """Documents every coder has at least one coding in, and the other coded ones."""
    per_doc = codings.groupby("doc_id", sort=True)["coder"].nunique()
    common = sorted(str(d) for d in per_doc.index[per_doc == len(coders)])
    excluded = sorted(str(d) for d in per_doc.index[per_doc < len(coders)])
    if not common:
        raise InputError.one("codings", f"no document was coded by all of {', '.join(coders)}",
                             "agreement compares documents every coder coded: have each coder code at "
                             "least one common document, or choose fewer coders")
    return common, excluded


def _segment_units(study, codings: pd.DataFrame, documents: list[str], turns: str = "participant"):
    segments = study.segments[study.segments["doc_id"].isin(documents)]
    if turns == "participant":
        segments = segments[_participant_or_coded(segments, codings)]
    segments = segments.assign(_doc=segments["doc_id"].map({d: i for i, d in enumerate(documents)}))
    segments = segments.sort_values(["_doc", "seg_no"], kind="stable").drop(columns="_doc").reset_index(drop=True)
    doc_number = {d: i for i, d in enumerate(documents)}
    # keys (document number × stride + turn number) sort like the turns; the
    # stride exceeds any turn number, so a range never runs into the next document
    highest = pd.concat([segments["seg_no"], codings["seg_first"], codings["seg_last"]]).astype("Float64").max()
    stride = (0 if pd.isna(highest) else int(highest)) + 2
    keys = segments["doc_id"].map(doc_number).to_numpy(dtype=np.int64) * stride \
        + segments["seg_no"].to_numpy(dtype=np.int64)
    first_seg = codings["seg_first"].astype("Float64")
    last_seg = codings["seg_last"].astype("Float64").fillna(first_seg)
    low = np.fmin(first_seg.to_numpy(dtype=float, na_value=np.nan), last_seg.to_numpy(dtype=float, na_value=np.nan))
    high = np.fmax(first_seg.to_numpy(dtype=float, na_value=np.nan), last_seg.to_numpy(dtype=float, na_value=np.nan))
    base = codings["doc_id"].map(doc_number).to_numpy(dtype=float) * stride
    placed = codings[["code", "coder"]].copy()
    placed["first"] = _search(keys, base + low, "left")
    placed["last"] = _search(keys, base + high, "right")
    return segments, placed


def _participant_or_coded(segments: pd.DataFrame, codings: pd.DataFrame) -> np.ndarray:
    """Turns that are units: every non-interviewer turn, and an interviewer
    turn only where a compared coder's coding touches it."""
    role = segments["speaker_role"].astype("string").fillna("")
    first = codings["seg_first"].astype("Float64")
    last = codings["seg_last"].astype("Float64").fillna(first)
    coded = set()
    for doc, lo, hi in zip(codings["doc_id"].astype(str), first, last):
        if pd.notna(lo):
            coded.update((doc, n) for n in range(int(lo), int(hi if pd.notna(hi) else lo) + 1))
    keys = list(zip(segments["doc_id"].astype(str), segments["seg_no"].astype("int64")))
    touched = np.fromiter((k in coded for k in keys), dtype=bool, count=len(keys))
    return (role != "interviewer").to_numpy(dtype=bool) | touched


def _search(keys: np.ndarray, targets: np.ndarray, side: str) -> np.ndarray:
    """Positions of ``targets`` in sorted ``keys``; NaN targets stay NaN."""
    out = np.full(len(targets), np.nan)
    ok = ~np.isnan(targets)
    out[ok] = np.searchsorted(keys, targets[ok], side=side)
    return out


def _document_units(codings: pd.DataFrame, documents: list[str]):
    doc_number = {d: i for i, d in enumerate(documents)}
    placed = codings[["code", "coder"]].copy()
    placed["first"] = codings["doc_id"].map(doc_number).to_numpy(dtype=float)
    placed["last"] = placed["first"] + 1
    return pd.DataFrame({"doc_id": pd.array(documents, dtype="string")}), placed


def _character_units(study, codings: pd.DataFrame, documents: list[str]):
    lengths = np.array([_text_length(study, d) for d in documents], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    doc_number = {d: i for i, d in enumerate(documents)}
    number = codings["doc_id"].map(doc_number).to_numpy(dtype=np.int64)
    start, end = _spans(study, codings)
    limit = lengths[number]
    placed = codings[["code", "coder"]].copy()
    placed["first"] = offsets[number] + np.clip(start, 0, limit)
    placed["last"] = offsets[number] + np.clip(end, 0, limit)
    # units are positions offsets[d] + i; no per-character frame is built
    return pd.DataFrame(index=pd.RangeIndex(int(offsets[-1]))), placed


def _spans(study, codings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Character spans of codings; a coding without one takes its turns' span."""
    start = codings["start"].to_numpy(dtype=float, na_value=np.nan)
    end = codings["end"].to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(start) | np.isnan(end)
    if missing.any():
        turns = study.segments.set_index(["doc_id", "seg_no"])
        gap = codings[missing]
        last = gap["seg_last"].fillna(gap["seg_first"])
        first_keys = pd.MultiIndex.from_arrays([gap["doc_id"], gap["seg_first"]])
        last_keys = pd.MultiIndex.from_arrays([gap["doc_id"], last])
        start[missing] = turns["start"].reindex(first_keys).to_numpy(dtype=float, na_value=np.nan)
        end[missing] = turns["end"].reindex(last_keys).to_numpy(dtype=float, na_value=np.nan)
    return start, end


def _text_length(study, doc_id: str) -> int:
    """Length of the document's clean text; failing that, the furthest offset
    any turn or coding reaches."""
    try:
        return len(study.text(doc_id))
    except (KeyError, FileNotFoundError):
        ends = [study.segments.loc[study.segments["doc_id"] == doc_id, "end"],
                study.codings.loc[study.codings["doc_id"] == doc_id, "end"]]
        return int(max((s.max() for s in ends if s.notna().any()), default=0))


def _coded(study, level: str | None) -> pd.DataFrame:
    codings = study.codings[study.codings["coder"].notna()]
    return rollup(codings, study.codebook, level, study.levels)


# -- statistics ---------------------------------------------------------------

@dataclass
class _Tally:
    """What the statistics need from a coders × units boolean table.

    ``patterns[k]``: units on which exactly k coders applied the code;
    ``applied[i]``/``only[i]``: units coder i applied it to / alone;
    ``pairs``: for two coders, the 2×2 table [[neither, only 2], [only 1, both]].
    """
    patterns: np.ndarray
    applied: np.ndarray
    only: np.ndarray
    pairs: np.ndarray

    @classmethod
    def empty(cls, n_coders: int) -> "_Tally":
        return cls(np.zeros(n_coders + 1, dtype=np.int64), np.zeros(n_coders, dtype=np.int64),
                   np.zeros(n_coders, dtype=np.int64), np.zeros((2, 2), dtype=np.int64))

    @classmethod
    def of(cls, values: np.ndarray) -> "_Tally":
        n_coders = values.shape[0]
        n_applied = values.sum(axis=0)
        pairs = np.zeros((2, 2), dtype=np.int64)
        if n_coders == 2:
            first, second = values[0], values[1]
            pairs = np.array([[np.sum(~first & ~second), np.sum(~first & second)],
                              [np.sum(first & ~second), np.sum(first & second)]], dtype=np.int64)
        return cls(patterns=np.bincount(n_applied, minlength=n_coders + 1).astype(np.int64),
                   applied=values.sum(axis=1).astype(np.int64),
                   only=(values & (n_applied == 1)).sum(axis=1).astype(np.int64), pairs=pairs)

    def __add__(self, other: "_Tally") -> "_Tally":
        return _Tally(self.patterns + other.patterns, self.applied + other.applied,
                      self.only + other.only, self.pairs + other.pairs)

    @property
    def n_units(self) -> int:
        return int(self.patterns.sum())

    @property
    def n_coders(self) -> int:
        return len(self.patterns) - 1

    @property
    def all_same(self) -> bool:
        return self.patterns[0] == self.n_units or self.patterns[-1] == self.n_units


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
        row["alpha"] = _alpha(tally.patterns)
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


def _kappa(pairs: np.ndarray) -> float:
    """Cohen's kappa from the 2×2 table, via scikit-learn with the four
    distinct decision pairs weighted by their counts (exactly the same as
    passing every unit, without materialising millions of characters)."""
    first = np.array([0, 0, 1, 1])
    second = np.array([0, 1, 0, 1])
    weights = pairs.reshape(-1).astype(float)
    return float(cohen_kappa_score(first, second, labels=[0, 1], sample_weight=weights))


def _alpha(patterns: np.ndarray) -> float:
    """Krippendorff's nominal alpha of binary data without missing values,
    given ``patterns[k]`` = units on which k of the m coders said "applied"."""
    if patterns.sum() > PACKAGE_ALPHA_MAX_UNITS:
        return float(_alpha_closed_form(patterns[np.newaxis, :])[0])
    m = len(patterns) - 1
    applied = np.arange(m + 1)
    value_counts = np.repeat(np.column_stack([m - applied, applied]), patterns, axis=0)
    return float(krippendorff.alpha(value_counts=value_counts, level_of_measurement="nominal"))


def _alpha_closed_form(patterns: np.ndarray) -> np.ndarray:
    """Alpha for each row of ``patterns`` (resamples × (m+1)).

    With m values per unit, a unit with k "applied" adds k(m − k)/(m − 1) to
    the coincidence o01; n = m·N pairable values, n1 = Σ k·patterns[k],
    n0 = n − n1, and nominal alpha = 1 − (n − 1)·o01 / (n0·n1)
    (Krippendorff 2011, binary data). NaN where n0 or n1 is 0.
    """
    m = patterns.shape[1] - 1
    applied = np.arange(m + 1, dtype=float)
    n = m * patterns.sum(axis=1).astype(float)
    n1 = patterns @ applied
    n0 = n - n1
    o01 = patterns @ (applied * (m - applied)) / (m - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n - 1) * o01 / (n0 * n1)
    return np.where((n0 > 0) & (n1 > 0), alpha, np.nan)


def _bootstrap_interval(patterns: np.ndarray, n_boot: int, rng: np.random.Generator) -> tuple[float, float]:
    """95% percentile interval of alpha over resamples of the units.

    Drawing N units with replacement only changes how many units show each
    pattern, so a resample is one multinomial draw over the patterns (the same
    distribution as resampling units one by one, at a fraction of the cost).
    """
    if not n_boot:
        return np.nan, np.nan
    n = int(patterns.sum())
    draws = rng.multinomial(n, patterns / n, size=int(n_boot))
    alphas = _alpha_closed_form(draws)
    if np.isnan(alphas).all():
        return np.nan, np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanpercentile(alphas, [2.5, 97.5])
    return float(low), float(high)


def _rng(seed: int, code: str | None) -> np.random.Generator:
    """A stream per code, so a code's interval does not depend on which other
    codes are in the table."""
    key = [int(seed), 0] if code is None else [int(seed), 1, zlib.crc32(code.encode("utf-8"))]
    return np.random.default_rng(key)
