"""Word frequencies, keyness and keyword in context (issue 15 split of :mod:`helpers.analysis.frequency`,
whose docstring states the counting rules).

Word frequencies are defined here; the words counted (turns, fillers, stop words, terms) are
``words_terms``, keyness ``words_keyness`` and keyword in context ``words_kwic``, each name
importable from this module as before the split.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

import pandas as pd

from helpers import textutil
from helpers.analysis.words_keyness import MIN_EXPECTED, keyness, log_likelihood, log_ratio
from helpers.analysis.words_kwic import (
    _masked,  # noqa: F401 - frequency imports it from here
    context_left,
    context_right,
    kwic,
)
from helpers.analysis.words_terms import (
    TURN_RULE,
    _group_column,
    _participant_turn_terms,
    counted_turns,
    fillers,
    stopwords,
    turns_rule,
)

__all__ = ["MIN_EXPECTED", "TURN_RULE", "context_left", "context_right", "counted_turns", "default_term", "fillers",
           "keyness", "kwic", "log_likelihood", "log_ratio", "stopwords", "turns_rule", "word_frequencies",
           "word_rule"]


def word_frequencies(study: Study, by: str | None = "participant", ngram: int = 1,
                     remove_fillers: bool = True) -> pd.DataFrame:
    """How often each word (``ngram=1``) or two-word phrase (``ngram=2``) is said
    by participants.

    Counting rule: PARTICIPANT turns only; ``textutil.tokens`` words, lower-cased,
    annotations never counted; fillers removed (study.config.fillers, else
    config.DEFAULT_FILLERS) when ``remove_fillers``; stop words
    (textutil.default_stopwords() + study.config.stopwords) removed. A bigram is
    two adjacent words of one turn after fillers are removed, kept when neither
    word is a stop word. Redaction placeholders are not words and no bigram
    spans one (``textutil.PLACEHOLDER_RULE``); ``attrs["rule"]`` says so.

    ``by``: ``"participant"`` (one block per participant), a participants attribute,
    or None (whole study). Columns: [group column,] ``term``, ``n``, ``per_1000``
    (per 1,000 counted terms of the group), ``participants`` (distinct participants
    saying it). Sorted by group, then ``n`` descending, then term.

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    by : str or None, default "participant"
        "participant", a participants attribute, or None (the whole study).
    ngram : int, default 1
        1 for words, 2 for two-word phrases.
    remove_fillers : bool, default True
        Leave the study's fillers out before counting.

    Returns
    -------
    DataFrame
        One row per (group, term): [group column,] ``term``, ``n`` (count), ``per_1000``
        (per 1,000 counted terms of the group), ``participants``; default RangeIndex.

    Raises
    ------
    ValueError
        ``by`` is not a participants attribute.
    """
    terms = _participant_turn_terms(study, ngram, remove_fillers)
    if by is None:
        out = _frequency_table(terms, None)
    else:
        column = "participant_id" if by == "participant" else by
        terms = terms.assign(**{"group": _group_column(study, terms, by)})
        out = _frequency_table(terms, "group").rename(columns={"group": column})
    out.attrs["rule"] = word_rule(remove_fillers)
    return out


def word_rule(remove_fillers: bool = True) -> str:
    """The counting rule of the word analyses in words, for a report.

    Parameters
    ----------
    remove_fillers : bool
        Whether fillers were left out (``word_frequencies(remove_fillers=...)``):
        the sentence names them only then.

    Returns
    -------
    str
        ``TURN_RULE``, then: annotations never counted; fillers (when removed)
        and stop words left out; a two-word phrase is two adjacent words of one
        turn; then ``textutil.PLACEHOLDER_RULE``. The text of
        ``word_frequencies(...).attrs["rule"]``.
    """
    return (TURN_RULE + " Annotations never counted; "
            + ("fillers and " if remove_fillers else "")
            + "the shipped English stop words (plus the study's stopwords:) left out; a two-word phrase is "
              "two adjacent words of one turn. " + textutil.PLACEHOLDER_RULE)


def _frequency_table(terms: pd.DataFrame, group: str | None) -> pd.DataFrame:
    columns = ["term", "n", "per_1000", "participants"]
    if terms.empty:
        return pd.DataFrame(columns=([group] if group else []) + columns)
    from nltk import FreqDist  # here, not at import: nltk costs every page's kernel a second or more

    blocks = [(None, terms)] if group is None else list(terms.groupby(group, sort=True))
    out = []
    for name, block in blocks:
        counts = FreqDist(block["term"].tolist())
        table = pd.DataFrame({"term": list(counts.keys()), "n": list(counts.values())})
        table["per_1000"] = 1000.0 * table["n"] / counts.N()
        spread = block.groupby("term")["participant_id"].nunique()
        table["participants"] = table["term"].map(spread).astype("int64")
        if group is not None:
            table.insert(0, group, name)
        out.append(table.sort_values(["n", "term"], ascending=[False, True], kind="stable"))
    return pd.concat(out, ignore_index=True)


def default_term(study) -> str | None:
    """The KWIC term a notebook uses when none is given: the most frequent content word.

    Words as ``word_frequencies(study, by=None)`` counts them (participant turns,
    fillers and stop words out), kept when they start with a letter (no
    redaction placeholder, no number); ties broken by the word.

    Parameters
    ----------
    study : Study
        The study.

    Returns
    -------
    str or None
        The word; None when no word is left.
    """
    words = word_frequencies(study, by=None)
    # a content word starts with a letter: not a redaction placeholder such as "(psw)" or a number
    words = words[words["term"].astype(str).str.match(r"^[^\W\d_]")]
    return None if words.empty else str(words.iloc[0]["term"])
