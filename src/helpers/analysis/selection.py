"""Which codings and turns an analysis counts (issue 15 split of :mod:`helpers.analysis.frequency`;
shared with co-occurrence): the participants kept by ``participants``/``where``, the codings
selected (coder, level, filters), the turns, code order, and the
attribute groups (a missing value is the group ``MISSING_GROUP``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.counting import (
    MISSING_GROUP,
    attribute_groups,
    check_attribute,
    check_level,
    holders,
    ordered_codes,
    passages,
)
from helpers.counting_coders import _as_list
from helpers.hierarchy import rollup

__all__ = ["MISSING_GROUP", "code_order", "kept_participants", "select_codings", "select_segments"]


def kept_participants(study, participants=None, where: dict | None = None) -> list[str] | None:
    """Participant ids kept by ``participants`` (a list of ids) and ``where``
    (attribute -> value or list of values); None when neither filters."""
    if participants is None and not where:
        return None
    table = study.participants
    keep = pd.Series(True, index=table.index)
    if participants is not None:
        keep &= table["participant_id"].isin([str(p) for p in _as_list(participants)])
    for attribute, wanted in (where or {}).items():
        check_attribute(study, attribute, "where")
        values = _as_list(wanted)
        column = table[attribute]
        keep &= column.isin(values) | column.astype("string").isin([str(v) for v in values])
    return sorted(table.loc[keep, "participant_id"].astype(str))


def select_codings(study, level: str | None = None, coder=None, participants=None,
                   where: dict | None = None, at_or_below: bool = False) -> pd.DataFrame:
    """The passages counted (``counting.passages``: rolled up to ``level``, the
    chosen coder(s), overlapping codings of one code merged), kept when a
    kept participant holds them (``counting.holders``) or, for passages on
    interviewer turns only, when their document is a kept participant's.
    ``at_or_below``: a code's passages include its descendants' (theme
    prevalence, ``counting.passages``)."""
    out = passages(study, level, coder, at_or_below=at_or_below)
    kept = kept_participants(study, participants, where)
    if kept is not None:
        held = holders(study, out)
        rows = set(held.loc[held["participant_id"].isin(kept), "row"])
        docs = set(study.documents.loc[study.documents["participant_id"].isin(kept), "doc_id"].astype(str))
        unheld = ~np.isin(np.arange(len(out)), held["row"].unique())
        keep = np.isin(np.arange(len(out)), list(rows)) | (unheld & out["doc_id"].astype(str).isin(docs).to_numpy())
        rule = out.attrs.get("rule")
        out = out.loc[keep].reset_index(drop=True)
        out.attrs["rule"] = rule
    return out


def select_segments(study, participants=None, where: dict | None = None) -> pd.DataFrame:
    """Turns kept by the participant filters: turns attributed to a kept participant,
    and unattributed turns (e.g. the interviewer's) of documents of kept participants."""
    segments = study.segments
    kept = kept_participants(study, participants, where)
    if kept is None:
        return segments
    docs = set(study.documents.loc[study.documents["participant_id"].isin(kept), "doc_id"])
    docs |= set(segments.loc[segments["participant_id"].isin(kept), "doc_id"])
    own = segments["participant_id"].isin(kept)
    interviewer = segments["speaker_role"].ne("participant").fillna(True) & segments["doc_id"].isin(docs)
    return segments[own | interviewer].reset_index(drop=True)


def code_order(study, level: str | None, codings: pd.DataFrame | None = None) -> list[str]:
    """Codebook order at ``level`` (then any applied code the codebook lacks,
    alphabetically); alphabetical over the applied codes for ``level=None``."""
    level = check_level(study, level)
    if codings is None:
        codings = rollup(study.codings, study.codebook, level, study.levels)
    applied = sorted(str(c) for c in codings["code"].dropna().unique())
    if level is None:
        return applied
    return ordered_codes(study.codebook, level, applied)


def _participant_groups(study, by: str) -> pd.Series:
    """participant_id -> value of attribute ``by`` (``counting.attribute_groups``)."""
    return attribute_groups(study, by)
