"""Themes across participants: prevalence, recurrence, the Framework matrix,
negative cases, code lines and saturation (DESIGN §4).

Counting rules shared by every function here:

- Participant attribution is ``codings.participant_id``: a coding counts for
  the participant it is attributed to, whoever speaks the turns it touches.
  Codings attributed to no participant are left out.
- ``level`` defaults to ``"top"`` (``counting.TOP``): the study's top level,
  ``counting.default_level(study, "top")`` — the level notebooks 04 and 05 use
  when their ``level`` parameter is None. ``level=None`` means codes as
  applied; a level name means every coding is first rolled up to its ancestor
  at that level (``hierarchy.rollup``). Either way a participant "has" a code
  when any passage at or below it is attributed to them (DESIGN §4 "Theme
  prevalence"; ``counting.passages(..., at_or_below=True)``): a parent code
  counts its children's passages (merged with its own), also where parent and
  child sit at one level (a MAXQDA code tree). Codings with no ancestor at that
  level drop out.
- A coding touches the turns ``seg_first`` .. ``seg_last`` of its document
  (a coding spanning turns 3–5 touches 3, 4 and 5).
- Rows are every participant of ``study.participants`` in that order (one
  with no coding is all zeros), followed by any participant the codings name
  that the participants table lacks; columns are the codebook's codes at the
  level in codebook order (a code with no codings still appears), followed by
  applied codes the codebook lacks, by name.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

import numpy as np
import pandas as pd

from helpers.analysis.framework import (
    framework_html,
    framework_matrix,
    framework_rule,
    theme_levels,
    write_framework_workbook,
)
from helpers.analysis.saturation import SaturationResult, interview_order, saturation
from helpers.analysis.theme_matrix import (
    GROUP_MISSING,
    THEME_VALUE_RULES,
    VALUES,
    _code_order,
    theme_matrix,
)
from helpers.counting import TOP, attribute_groups, check_level, coding_turns, passages
from helpers.study import participant_labels

# The public names, defined here (recurrence, negative cases, codeline) or in theme_matrix
# (participants × codes), framework (the Framework matrix) and saturation; importable from this
# module as before the split.
__all__ = ["CODELINE_OWN_RULE", "CODELINE_RULE", "GROUP_MISSING", "MIN_RECURRENCE_GROUP", "MISSING_THEMES_RULE", "NEGATIVE_CASES_RULE",
           "THEME_VALUE_RULES", "VALUES", "SaturationResult", "codeline",
           "framework_html", "framework_matrix", "framework_rule", "interview_order", "missing_themes", "negative_cases", "recurrence", "recurrence_rule",
           "saturation", "theme_levels", "theme_matrix", "write_framework_workbook"]


# -- 2. recurrence --------------------------------------------------------------

NEGATIVE_CASES_RULE = ("Negative cases: per code, the participants without it (no passage of the code or of a "
                       "code below it is theirs); n_without counts them out of N, every participant.")
MISSING_THEMES_RULE = ("Per participant, the codes at the level they lack (no passage of the code or of a code below "
                       "it is theirs); n_missing counts them out of N_codes, every code at the level.")


def recurrence_rule(threshold: float, by: str | None = None) -> str:
    """The recurrence rule in words (``recurrence(...).attrs["rule"]`` after the presence rule).

    Parameters
    ----------
    threshold : float
        The share (0-1) at which a code is recurrent.
    by : str or None
        The participants attribute grouping the rows, if any.

    Returns
    -------
    str
        Two or three sentences: n, N, share and the threshold; groups of fewer
        than ``MIN_RECURRENCE_GROUP`` not computed; with ``by``, the groups.
    """
    where = "of the group" if by is not None else "of the study"
    text = (f"Recurrence: n = participants with the code, N = every participant {where}, share = n / N (0-1); "
            f"a code is recurrent when its share reaches {threshold:g}. Not computed for fewer than "
            f"{MIN_RECURRENCE_GROUP} participants.")
    if by is not None:
        text += f" Groups by {by}; a participant with no value is in the group \"{GROUP_MISSING}\"."
    return text


def recurrence(study: Study, level: str | None = TOP, threshold: float = 0.5, by: str | None = None) -> pd.DataFrame:
    """Per code at ``level``: how many participants have it (presence, as in
    ``theme_matrix``) out of how many, and whether that share reaches
    ``threshold``.

    Columns: [by,] code, n, N, share, names, recurrent, note. ``names`` are the
    pseudonyms of the participants with it, sorted, comma-separated.
    ``recurrent`` is <NA> and ``note`` reads "group too small" for a group
    (or study) of fewer than 3 participants (DESIGN §4).
    ``recurrent`` is ``share >= threshold`` ("reaches": with the default one
    half, 2 of 4 participants is recurrent). With ``by`` (a participants
    attribute) the same is computed within each attribute group (N = the
    group's participants; a missing value forms the group "(not given)").

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    level : str or None, default "top"
        The level of the codes (codings below rolled up): "top" the study's top level,
        a level name, or None for codes as applied.
    threshold : float, default 0.5
        The share (0–1) of participants at which a code is recurrent.
    by : str, optional
        A participants attribute: the same within each group.

    Returns
    -------
    DataFrame
        One row per code (per group with ``by``), columns as above; default RangeIndex.
        ``attrs["rule"]`` states the presence and recurrence rules.

    Raises
    ------
    ValueError
        ``by`` is not a participants attribute.
    InputError
        Unknown level.
    """
    presence = theme_matrix(study, level, "presence")
    labels = participant_labels(study, presence.index)
    if by is None:
        out = _recurrence_rows(presence, labels, threshold)
        out.attrs["rule"] = presence.attrs.get("rule", "") + " " + recurrence_rule(threshold)
        return out
    groups = attribute_groups(study, by).reindex(presence.index.astype(str)).fillna(GROUP_MISSING)
    groups.index = presence.index
    parts = []
    for group in sorted(groups.unique()):
        members = groups.index[groups == group]
        parts.append(_recurrence_rows(presence.loc[members], labels, threshold).assign(**{by: group}))
    out = pd.concat(parts, ignore_index=True)
    out = out[[by] + [c for c in out.columns if c != by]]
    out.attrs["rule"] = presence.attrs.get("rule", "") + " " + recurrence_rule(threshold, by)
    return out


MIN_RECURRENCE_GROUP = 3   # DESIGN §4: recurrence is not computed for groups under 3


def _recurrence_rows(presence: pd.DataFrame, labels: pd.Series, threshold: float) -> pd.DataFrame:
    n = presence.sum(axis=0).astype("int64")
    total = len(presence)
    share = n / total if total else pd.Series(np.nan, index=presence.columns)
    names = [", ".join(sorted(labels.loc[presence.index[presence[code] > 0]])) for code in presence.columns]
    # "reaches": a share equal to the threshold counts, even after float rounding.
    recurrent = (share >= threshold) | np.isclose(share.astype("float64"), threshold)
    recurrent = pd.array(recurrent.fillna(False).astype(bool).values, dtype="boolean")
    note = ""
    if total < MIN_RECURRENCE_GROUP:
        # one or two people cannot make a pattern "recurrent": not computed, and said so
        recurrent[:] = pd.NA
        note = f"group too small ({total} participant{'s' if total != 1 else ''}; recurrence needs {MIN_RECURRENCE_GROUP})"
    return pd.DataFrame({"code": list(presence.columns), "n": n.values, "N": total,
                         "share": share.astype("float64").values, "names": names,
                         "recurrent": recurrent, "note": note})


# -- 4. negative cases -------------------------------------------------------------

def negative_cases(study: Study, level: str | None = TOP) -> pd.DataFrame:
    """Per code at ``level``: the participants without it (no coding at or
    below it attributed to them). Columns: code, n_without, N,
    participant_ids (list, participants order), names (pseudonyms, sorted,
    comma-separated).

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    level : str or None, default "top"
        The level of the codes (codings below rolled up): "top" the study's top level,
        a level name, or None for codes as applied.

    Returns
    -------
    DataFrame
        One row per code at ``level`` (codebook order), columns as above; default RangeIndex.
        ``attrs["rule"]`` states the rule (``NEGATIVE_CASES_RULE`` after the presence rule).

    Raises
    ------
    InputError
        Unknown level.
    """
    presence = theme_matrix(study, level, "presence")
    labels = participant_labels(study, presence.index)
    without = [list(presence.index[presence[code] == 0]) for code in presence.columns]
    out = pd.DataFrame({
        "code": list(presence.columns),
        "n_without": [len(ids) for ids in without],
        "N": len(presence),
        "participant_ids": without,
        "names": [", ".join(sorted(labels.loc[ids])) for ids in without],
    })
    out.attrs["rule"] = presence.attrs.get("rule", "") + " " + NEGATIVE_CASES_RULE
    return out


def missing_themes(study: Study, level: str | None = TOP) -> pd.DataFrame:
    """Per participant: the codes at ``level`` they lack. Columns:
    participant_id, participant, n_missing, N_codes, missing (list, codebook
    order).

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    level : str or None, default "top"
        The level of the codes (codings below rolled up): "top" the study's top level,
        a level name, or None for codes as applied.

    Returns
    -------
    DataFrame
        One row per participant (participants order), columns as above; default RangeIndex.
        ``attrs["rule"]`` states the rule (``MISSING_THEMES_RULE`` after the presence rule).

    Raises
    ------
    InputError
        Unknown level.
    """
    presence = theme_matrix(study, level, "presence")
    labels = participant_labels(study, presence.index)
    missing = [list(presence.columns[presence.loc[pid] == 0]) for pid in presence.index]
    out = pd.DataFrame({
        "participant_id": list(presence.index),
        "participant": labels.to_numpy(),
        "n_missing": [len(codes) for codes in missing],
        "N_codes": presence.shape[1],
        "missing": missing,
    })
    out.attrs["rule"] = presence.attrs.get("rule", "") + " " + MISSING_THEMES_RULE
    return out


# -- 5. code line -----------------------------------------------------------------

def codeline(study: Study, doc_id: str, level: str | None = None, coder: str | list[str] | None = None,
             participant: str | None = None) -> pd.DataFrame:
    """One row per (turn, code) of a document: the turns each code's passages
    touch (a passage over turns 3–5 gives 3, 4 and 5), with the turn's speaker.

    Columns: doc_id, seg_no, code, speaker_role, speaker; sorted by code
    (codebook order) then turn. The document's passages (``counting.passages``
    at ``level``, the primary coder unless ``coder`` says otherwise) count
    here, attributed or not.

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    doc_id : str
        The document.
    level : str or None
        None: codes as applied; a level of ``study.levels`` (``"code"`` for the unnamed
        level): codings rolled up to it (``helpers.counting.check_level``).
    coder : None, "all", str or list of str
        Whose passages count: None the primary coder in each document, a name or list
        those coders merged, "all" every analysis coder (``counting.select_coders``).
    participant : str, optional
        Only this participant's own turns (speaker role participant): their code line in a
        focus group, where the document's line is everyone's.

    Returns
    -------
    DataFrame
        One row per (turn, code), columns as above; default RangeIndex.
        ``attrs["rule"]`` states the rule (``CODELINE_RULE`` after the passage rules;
        with ``participant``, ``CODELINE_OWN_RULE`` too).

    Raises
    ------
    ValueError
        No document ``doc_id``.
    InputError
        Unknown level or coder (the message lists the study's).
    """
    doc_id = str(doc_id)
    level = check_level(study, level)
    known = set(study.documents["doc_id"].astype(str)) | set(study.segments["doc_id"].astype(str))
    if doc_id not in known:
        raise ValueError(f"no document {doc_id!r}; documents are: " + ", ".join(sorted(known)[:20]))
    found = passages(study, level, coder)
    rolled = found.loc[found["doc_id"].astype(str) == doc_id]
    turns = coding_turns(rolled)[["doc_id", "seg_no", "code"]].drop_duplicates()
    speakers = study.segments.loc[study.segments["doc_id"].astype(str) == doc_id,
                                  ["seg_no", "speaker_role", "speaker"]]
    speakers = speakers.assign(seg_no=speakers["seg_no"].astype("int64")).drop_duplicates("seg_no")
    out = turns.merge(speakers, on="seg_no", how="left")
    if participant is not None:
        segs = study.segments
        own = segs.loc[(segs["doc_id"].astype(str) == doc_id) & (segs["participant_id"].astype(str) == str(participant))
                       & (segs["speaker_role"] == "participant"), "seg_no"].astype("int64")
        out = out.loc[out["seg_no"].isin(set(own))]
    order = {code: i for i, code in enumerate(_code_order(study, level, rolled))}
    out = out.assign(code_order=out["code"].map(order)).sort_values(["code_order", "seg_no"], kind="mergesort")
    out["doc_id"] = out["doc_id"].astype("string")
    out = out.drop(columns="code_order").reset_index(drop=True)
    out.attrs["rule"] = found.attrs.get("rule", "") + " " + CODELINE_RULE + (
        " " + CODELINE_OWN_RULE if participant is not None else "")
    return out


CODELINE_OWN_RULE = ("One participant's code line: only the turns they speak themselves are marked (in a focus "
                     "group, a passage over several speakers' turns marks only theirs).")


CODELINE_RULE = ("Code line: one row per (turn, code); a passage touches every turn from its first to its last, "
                 "and a turn carries a code once however many passages touch it. Every passage of the document "
                 "counts, whoever holds it (interviewer turns included).")


