"""The words the word analyses count (issue 15 split of :mod:`helpers.analysis.words`): which
turns are read (participant turns unless asked otherwise), fillers and stop words left out, and
the terms of each turn (words or two-word phrases), with the group each occurrence falls in.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from helpers import textutil
from helpers.analysis.selection import (
    MISSING_GROUP,
    _participant_groups,
)


def fillers(study) -> frozenset[str]:
    """The fillers the word analyses leave out (``textutil.study_fillers``).

    Parameters
    ----------
    study : Study
        The study; its ``config.fillers`` (study.yml ``fillers:``) when given, an
        empty list meaning none.

    Returns
    -------
    frozenset of str
        The study's fillers, else ``textutil.DEFAULT_FILLERS``; lower-cased.
    """
    return textutil.study_fillers(study)


def stopwords(study) -> frozenset[str]:
    """The stop words the word analyses leave out (``textutil.study_stopwords``).

    Parameters
    ----------
    study : Study
        The study; its ``config.stopwords`` (study.yml ``stopwords:``) are added.

    Returns
    -------
    frozenset of str
        The shipped English stop words plus the study's own, lower-cased.
    """
    return textutil.study_stopwords(study)


def _turn_terms(text: str, ngram: int, filler_words: frozenset[str], stop: frozenset[str],
                placeholders: frozenset[str] = frozenset()) -> list[str]:
    """Terms of one turn. Unigrams: tokens that are neither fillers nor stop words.
    Bigrams: adjacent tokens of the turn (fillers removed first), kept when
    neither word is a stop word; bigrams never cross turns. Redaction
    placeholders are no words and no bigram spans one (``textutil.PLACEHOLDER_RULE``)."""
    runs = textutil.word_runs(text, fillers=filler_words, placeholders=placeholders)
    if ngram == 1:
        return [w for run in runs for w in run if w not in stop]
    from nltk.util import ngrams as nltk_ngrams  # here: importing nltk costs a second or more

    return [" ".join(gram) for run in runs for gram in nltk_ngrams(run, ngram)
            if not any(w in stop for w in gram)]


TURN_RULE = ("Participant turns only: interviewer (and other non-participant) turns are neither counted "
             "nor listed, so every word is a participant's own.")


def counted_turns(study, roles: Iterable[str] | str | None = None) -> pd.DataFrame:
    """The turns the word analyses read (``word_frequencies``, ``kwic``): one
    definition for both.

    Parameters
    ----------
    study : Study
    roles : iterable of str, "all" or None
        None (default): participant turns only (``TURN_RULE``); "all": every
        turn; else the speaker roles given ("participant", "interviewer", "other").

    Returns
    -------
    DataFrame
        The rows of ``study.segments`` kept, in their order and with their index.
    """
    turns = study.segments
    if roles is None:
        return turns[turns["speaker_role"] == "participant"]
    if isinstance(roles, str):
        if roles == "all":
            return turns
        roles = [roles]
    return turns[turns["speaker_role"].isin(list(roles))]


def turns_rule(roles: Iterable[str] | str | None = None) -> str:
    """The turn selection of ``counted_turns`` in words, for a report.

    Parameters
    ----------
    roles : iterable of str, "all" or None
        As ``counted_turns``.

    Returns
    -------
    str
        One sentence (``TURN_RULE`` for the default).
    """
    if roles is None:
        return TURN_RULE
    if isinstance(roles, str) and roles == "all":
        return "Every turn, interviewer turns included."
    roles = [roles] if isinstance(roles, str) else list(roles)
    return "Turns of these speaker roles only: " + ", ".join(str(r) for r in roles) + "."


def _participant_turn_terms(study, ngram: int, remove_fillers: bool = True) -> pd.DataFrame:
    """One row per term occurrence in PARTICIPANT turns: participant_id, term."""
    if ngram not in (1, 2):
        raise ValueError("ngram must be 1 (words) or 2 (two-word phrases)")
    turns = counted_turns(study)
    filler_words = fillers(study) if remove_fillers else frozenset()
    stop = stopwords(study)
    placeholders = textutil.study_placeholders(study)
    terms = [_turn_terms(str(t), ngram, filler_words, stop, placeholders) for t in turns["text"].fillna("")]
    lengths = np.fromiter((len(t) for t in terms), dtype=np.int64, count=len(terms))
    return pd.DataFrame({
        "participant_id": np.repeat(turns["participant_id"].astype("string").to_numpy(), lengths),
        "term": pd.array([w for ts in terms for w in ts], dtype="string"),
    })


def _group_column(study, terms: pd.DataFrame, by: str) -> pd.Series:
    if by == "participant":
        return terms["participant_id"].fillna(MISSING_GROUP)
    groups = _participant_groups(study, by)
    return terms["participant_id"].map(groups).fillna(MISSING_GROUP)
