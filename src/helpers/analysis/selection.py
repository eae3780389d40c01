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
    """Participant ids kept by the participant filters ``participants`` and ``where``.

    Parameters
    ----------
    study : Study
        The study whose ``participants`` table is filtered.
    participants : str, list of str or None
        Participant ids to keep (compared as text); None keeps every participant.
    where : dict or None
        Participant attribute -> wanted value or list of values; a participant is
        kept when its value equals one of them (as written or as text). Several
        attributes must all match. None or empty: no attribute filter.

    Returns
    -------
    list of str or None
        The kept participant ids, sorted; None when neither ``participants`` nor
        ``where`` filters (everyone is kept).

    Raises
    ------
    ValueError
        A ``where`` key is not a column of the participants table; the message
        lists the attributes.
    """
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
    """The passages an analysis counts, kept by the participant filters.

    The passages are ``counting.passages`` (docs/design.md §4): codings of the
    chosen coder(s), rolled up to ``level``, overlapping codings of one code in
    one document merged. With a participant filter a passage is kept when a
    kept participant holds it (``counting.holders``: their own turn is touched)
    or, for a passage no participant holds (interviewer turns only), when its
    document is a kept participant's.

    Parameters
    ----------
    study : Study
        The study.
    level : str or None
        None: codes as applied; a level name (``"code"`` for the unnamed level,
        ``"top"`` for the top level): codes rolled up to it.
    coder : None, "all", str or list of str
        Whose codings count; see ``counting.select_coders`` (None: the primary
        coder of each document).
    participants : str, list of str or None
        Participant ids to keep; see ``kept_participants``.
    where : dict or None
        Participant attribute -> value(s) to keep; see ``kept_participants``.
    at_or_below : bool
        True: a code's passages include those of the codes below it
        (``counting.AT_OR_BELOW_RULE``, theme prevalence); False: its own only.

    Returns
    -------
    DataFrame
        One row per passage (index 0..n-1), the columns of ``counting.passages``
        (the codings' columns plus ``n_codings``, the codings merged into it).
        ``attrs["rule"]`` is the counting rule of ``counting.passages``.

    Raises
    ------
    InputError
        Unknown level or coder.
    ValueError
        A ``where`` key is not a participant attribute.
    """
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
    """The turns kept by the participant filters.

    A turn is kept when it is attributed to a kept participant, or when it is
    not a participant's turn (interviewer or other; a missing role counts as
    not a participant's) in a document of a kept participant (the document's
    participant, or one who speaks in it).

    Parameters
    ----------
    study : Study
        The study whose ``segments`` are filtered.
    participants : str, list of str or None
        Participant ids to keep; see ``kept_participants``.
    where : dict or None
        Participant attribute -> value(s) to keep; see ``kept_participants``.

    Returns
    -------
    DataFrame
        The rows of ``study.segments`` kept, with its columns (one row per turn),
        index reset to 0..n-1; ``study.segments`` itself when nothing filters.

    Raises
    ------
    ValueError
        A ``where`` key is not a participant attribute.
    """
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
    """The order in which an analysis lists the codes of a level.

    Parameters
    ----------
    study : Study
        The study (its codebook, codings and levels).
    level : str or None
        None: codes as applied; a level name (``"code"`` for the unnamed level,
        ``"top"`` for the top level).
    codings : DataFrame or None
        The codings whose codes are listed (column ``code``), already at
        ``level``; None: ``study.codings`` rolled up to ``level``.

    Returns
    -------
    list of str
        For a level: the codebook's codes at that level in codebook order, then
        any applied code the codebook lacks, alphabetically. For
        ``level=None``: the applied codes, alphabetically.

    Raises
    ------
    InputError
        ``level`` is not one of the study's levels.
    """
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
