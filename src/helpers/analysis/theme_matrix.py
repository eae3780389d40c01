"""Participants × codes (issue 15 split of :mod:`helpers.analysis.themes`, whose docstring states the
counting rules): ``theme_matrix`` and the building blocks every theme analysis shares (who holds
a code, code and participant order).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

import numpy as np
import pandas as pd

from helpers.counting import (
    MISSING_GROUP,
    TOP,
    _remembered,
    check_choice,
    check_level,
    coding_turns,
    holders,
    ordered_codes,
    passages,
)

VALUES = ("presence", "count", "segments", "share")
GROUP_MISSING = MISSING_GROUP   # the name themes exported before counting.MISSING_GROUP


def _held(study, level, coder=None, at_or_below: bool = False) -> pd.DataFrame:
    """The passages at ``level`` (``counting.passages``: chosen coder, one
    passage one application), one row per (passage, participant holding it)
    (``counting.holders``); ``passage`` numbers the passage. Passages only on
    interviewer turns give no participant the code and are left out here.

    Remembered as ``counting.passages`` is (by the tables' content and the parameters):
    a page asks for the same holders several times, and each profile page again."""
    return _remembered(study, ("held", level, coder, bool(at_or_below)),
                       lambda: _held_computed(study, level, coder, at_or_below))


def _held_computed(study, level, coder, at_or_below: bool) -> pd.DataFrame:
    found = passages(study, level, coder, at_or_below=at_or_below)
    held = holders(study, found)
    out = found.iloc[held["row"].to_numpy()].reset_index(drop=True)
    out["participant_id"] = pd.array(held["participant_id"].to_numpy(), dtype="string")
    out["passage"] = held["row"].to_numpy()
    out.attrs["rule"] = found.attrs.get("rule", "")
    return out


def _codings(study, coder=None) -> pd.DataFrame:
    """Every passage of codes as applied attributed to a participant (see ``_held``)."""
    return _held(study, None, coder)


def _rolled(study, level, coder=None) -> pd.DataFrame:
    """Passages at ``level``, a code's including those of the codes below it
    (``counting.passages(..., at_or_below=True)``: theme prevalence)."""
    return _held(study, level, coder, at_or_below=True)


def _code_order(study, level, rolled: pd.DataFrame) -> list[str]:
    """Codebook codes at ``level`` in codebook order, then applied codes the
    codebook lacks, by name (``counting.ordered_codes``)."""
    return ordered_codes(study.codebook, level, rolled["code"])


def _participant_order(study, codings: pd.DataFrame) -> list[str]:
    ids = list(dict.fromkeys(study.participants["participant_id"].dropna().astype(str)))
    extra = sorted(set(codings["participant_id"].dropna().astype(str).unique()) - set(ids))
    return ids + extra


def _turn_words(study) -> pd.DataFrame:
    seg = study.segments[["doc_id", "seg_no", "n_words"]].copy()
    seg["seg_no"] = seg["seg_no"].astype("int64")
    seg["n_words"] = seg["n_words"].fillna(0).astype("int64")
    return seg.drop_duplicates(["doc_id", "seg_no"])


def theme_matrix(study: Study, level: str | None = TOP, value: str = "presence", coder: str | list[str] | None = None) -> pd.DataFrame:
    """Participants x codes at ``level`` (see the module's counting rules).

    ``level``: ``"top"`` (the default) is the study's top level
    (``counting.default_level(study, "top")``, the same level the notebooks'
    ``level=None`` parameter resolves to); None is codes as applied; or one of
    the study's levels. A code's column counts its passages and those of the
    codes below it (DESIGN §4 "Theme prevalence").

    ``value``:

    - ``presence``: 1 when at least one coding of the code (or of a code below
      it) is attributed to the participant, else 0.
    - ``count``: the number of such passages (``counting.passages``: codings
      of one code whose text overlaps, after roll-up, are one application;
      a theme and its own sub-theme on one quote count once).
    - ``segments``: the number of distinct turns (doc_id, seg_no) those codings
      touch, each coding touching ``seg_first`` .. ``seg_last``.
    - ``share``: words of the participant's turns carrying the code ÷ words of
      all the participant's coded turns, where the participant's coded turns
      are the distinct turns touched by any coding attributed to them (any
      code, any level, of the chosen coder), a turn carries the code when one
      of those codings of the code touches it, each turn counts once per code
      whatever the number of codings on it, and words are
      ``segments.n_words``. 0 for a participant with no coded words. Shares of
      one participant may add up to more than 1, as a turn can carry several
      codes.

    ``coder``: None counts the primary coder in each document (DESIGN §4
    "Coders"); a name or list counts those coders, "all" merges every coder
    passage by passage. A participant holds a passage when it touches one of
    their own turns (a passage over two speakers' turns counts for both; a
    passage only on interviewer turns counts for nobody).
    ``attrs["rule"]`` states these rules.

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    level : str or None, default "top"
        The level of the codes (codings below rolled up): "top" the study's top level,
        a level name, or None for codes as applied.
    value : str, default "presence"
        presence, count, segments or share (above).
    coder : None, "all", str or list of str
        Whose passages count: None the primary coder in each document, a name or list
        those coders merged, "all" every analysis coder (``counting.select_coders``).

    Returns
    -------
    DataFrame
        Index: participant_id (every participant, participants order); columns: the codes
        at ``level`` in codebook order; values 0/1, counts, or shares (0–1).

    Raises
    ------
    InputError
        Unknown level or coder (the message lists the study's).
    ValueError
        Unknown ``value``.
    """
    check_choice(value, VALUES, "value")
    level = check_level(study, level)
    rolled = _rolled(study, level, coder)
    matrix = _theme_values(study, rolled, level, value, coder)
    matrix.attrs["rule"] = rolled.attrs.get("rule", "") + " " + THEME_VALUE_RULES[value]
    matrix.attrs["level"] = level
    return matrix
THEME_VALUE_RULES = {
    "presence": "A participant has a code when they hold at least one passage of it or of a code below it.",
    "count": "Cells are passages (applications) held by the participant.",
    "segments": "Cells are distinct turns touched by the participant's passages of the code.",
    "share": "Cells are words of the participant's turns carrying the code / words of all their coded turns.",
}


def _theme_values(study, rolled: pd.DataFrame, level, value: str, coder) -> pd.DataFrame:
    codes = _code_order(study, level, rolled)
    pids = _participant_order(study, _codings(study, coder))
    if value in ("presence", "count"):
        counts = rolled.groupby(["participant_id", "code"])["passage"].nunique()
        matrix = _to_matrix(counts, pids, codes).astype("int64")
        return matrix.clip(upper=1) if value == "presence" else matrix
    turns = coding_turns(rolled)[["participant_id", "code", "doc_id", "seg_no"]].drop_duplicates()
    if value == "segments":
        counts = turns.groupby(["participant_id", "code"]).size()
        return _to_matrix(counts, pids, codes).astype("int64")
    words = _turn_words(study)
    carried = turns.merge(words, on=["doc_id", "seg_no"], how="left")
    numerator = carried.groupby(["participant_id", "code"])["n_words"].sum()
    coded = (coding_turns(_codings(study, coder))[["participant_id", "doc_id", "seg_no"]]
             .drop_duplicates().merge(words, on=["doc_id", "seg_no"], how="left"))
    denominator = coded.groupby("participant_id")["n_words"].sum().reindex(pids).fillna(0).astype("float64")
    matrix = _to_matrix(numerator, pids, codes).astype("float64")
    shares = matrix.div(denominator.replace(0, np.nan), axis=0).fillna(0.0)
    return shares


def _to_matrix(counts: pd.Series, pids: list[str], codes: list[str]) -> pd.DataFrame:
    if counts.empty:
        matrix = pd.DataFrame(0, index=pids, columns=codes)
    else:
        matrix = counts.unstack("code", fill_value=0).reindex(index=pids, columns=codes, fill_value=0)
    matrix = matrix.fillna(0)
    matrix.index = pd.Index(pids, name="participant_id")
    matrix.columns = pd.Index(codes, name="code")
    return matrix
