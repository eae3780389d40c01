"""The building blocks every discovery analysis shares (issue 15 split of
:mod:`helpers.analysis.discovery`, whose docstring states the counting rules): the participant
turns, the words (``analyzer``), which turns carry which code.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.counting import coding_turns, ordered_codes, passages
from helpers.hierarchy import rollup
from helpers.study import Study
from helpers.textutil import study_analyzer

UNCOVERED_BELOW = 0.3
THEME = "theme"
MIN_PREDICTED = 5   # predicted turns needed before any precision claim (issue 12, point 9)


MAP_RULE = ("A participant's profile is the set of codes at the level they hold a passage of (or of a code below "
            "it); distance: Jaccard, 1 − shared codes ÷ codes of either; placement: metric MDS, where only "
            "distances mean something.")
TOPIC_RULE = ("Topics: NMF on the TF-IDF of participant turns (stop words and fillers removed); a turn belongs to "
              "its highest-weight topic; alignment: the share of a topic's turns carrying each code (a passage "
              "marks every turn from its first to its last).")
SUGGESTION_RULE = ("A code is suggested for uncoded participant turns by a classifier trained on the turns carrying "
                   "it, cross-validated by participant; only codes with enough predicted turns and a precision "
                   "at or above the threshold are suggested.")


def state_rule(rule: str, *frames) -> None:
    """Put ``rule`` in ``attrs["rule"]`` of each table of a result (the reports read it there).

    Parameters
    ----------
    rule : str
        The counting rule in words.
    *frames : DataFrame
        The result's tables (anything else is passed over).

    Returns
    -------
    None
    """
    for frame in frames:
        if isinstance(frame, pd.DataFrame):
            frame.attrs["rule"] = rule


def analyzer(study: Study):
    """The tokenizer every analysis here uses (see the module's rules).

    Parameters
    ----------
    study : Study
        The study (its fillers and stop words).

    Returns
    -------
    callable
        text -> list of words (``textutil.study_analyzer``).
    """
    return study_analyzer(study)


def _participant_turns(study) -> pd.DataFrame:
    """Participant turns in segments order: doc_id, seg_no, participant_id, group, text."""
    seg = study.segments
    turns = seg.loc[seg["speaker_role"].astype("string") == "participant",
                    ["doc_id", "seg_no", "participant_id", "text"]].reset_index(drop=True)
    turns["doc_id"] = turns["doc_id"].astype("string")
    turns["seg_no"] = turns["seg_no"].astype("int64")
    turns["text"] = turns["text"].fillna("").astype("string")
    # Cross-validation groups: the participant; a turn attributed to nobody is
    # its own document's group (never mixed with a named participant).
    turns["group"] = turns["participant_id"].astype("string").fillna("doc:" + turns["doc_id"])
    return turns


def _carried(study, turns: pd.DataFrame, level: str | None, every_coder: bool = False) -> tuple[np.ndarray, list[str]]:
    """Boolean matrix turns x codes (see "a turn carries a code") and the codes:
    the passages counted (``counting.passages``: the primary coder per
    document), or with ``every_coder`` every coding of anyone."""
    rolled = (rollup(study.codings, study.codebook, level, study.levels) if every_coder
              else passages(study, level))
    touched = coding_turns(rolled)[["code", "doc_id", "seg_no"]].drop_duplicates()
    codes = ordered_codes(study.codebook, level, touched["code"], keep_unapplied=False)
    row_of = pd.Series(np.arange(len(turns)),
                       index=pd.MultiIndex.from_arrays([turns["doc_id"].astype(str), turns["seg_no"]]))
    rows = row_of.reindex(pd.MultiIndex.from_arrays([touched["doc_id"].astype(str),
                                                     touched["seg_no"].astype("int64")])).to_numpy()
    cols = pd.Index(codes).get_indexer(touched["code"].astype(str))
    keep = ~np.isnan(rows) & (cols >= 0)
    matrix = np.zeros((len(turns), len(codes)), dtype=bool)
    matrix[rows[keep].astype("int64"), cols[keep]] = True
    return matrix, codes


