"""The units inter-coder agreement compares (issue 15 split of :mod:`helpers.analysis.agreement`).

Which coders and documents are compared, which codes, and each coder's decision per unit
(turn, document or character) as a coders × units boolean table (``_Comparison.values``).
The counting rule is the module docstring of :mod:`helpers.analysis.agreement`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.counting import check_choice, check_coder, check_level, coding_spans, turn_range, turns_touched
from helpers.errors import InputError
from helpers.hierarchy import rollup

UNITS = ("segment", "document", "character")
TURNS = ("participant", "all")


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
    check_choice(unit, UNITS, "unit")


def _compare(study, unit: str, level: str | None, coders: list[str] | None,
             turns: str = "participant") -> _Comparison:
    _check_unit(unit)
    check_choice(turns, TURNS, "turns")
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
    check_coder(study, coders, "coders")   # counting: one message style, the study's coders listed
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
    first, last, usable = turn_range(codings)   # counting: the turns a coding touches, once
    low = np.where(usable, first, np.nan)
    high = np.where(usable, last, np.nan)
    base = codings["doc_id"].map(doc_number).to_numpy(dtype=float) * stride
    placed = codings[["code", "coder"]].copy()
    placed["first"] = _search(keys, base + low, "left")
    placed["last"] = _search(keys, base + high, "right")
    return segments, placed


def _participant_or_coded(segments: pd.DataFrame, codings: pd.DataFrame) -> np.ndarray:
    """Turns that are units: every non-interviewer turn, and an interviewer
    turn only where a compared coder's coding touches it."""
    role = segments["speaker_role"].astype("string").fillna("")
    touched = turns_touched(codings)
    coded = set(zip(touched["doc_id"].astype(str), touched["seg_no"].tolist()))
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
    start, end = coding_spans(study, codings)  # counting: a coding's span, once
    limit = lengths[number]
    placed = codings[["code", "coder"]].copy()
    placed["first"] = offsets[number] + np.clip(start, 0, limit)
    placed["last"] = offsets[number] + np.clip(end, 0, limit)
    # units are positions offsets[d] + i; no per-character frame is built
    return pd.DataFrame(index=pd.RangeIndex(int(offsets[-1]))), placed


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
