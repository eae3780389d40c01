"""Word frequencies, keyness and keyword in context (issue 15 split of :mod:`helpers.analysis.frequency`,
whose docstring states the counting rules).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
from nltk import FreqDist
from nltk.util import ngrams as nltk_ngrams
from scipy import stats

from helpers import textutil
from helpers.analysis.selection import (
    MISSING_GROUP,
    _participant_groups,
)
from helpers.errors import TooFew
from helpers.matching import find_term, term_pattern

_masked = textutil.mask_annotations   # the name frequency imports


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


def log_likelihood(a, b, c, d) -> np.ndarray:
    """Log-likelihood G² of a term's frequency in two corpora (Rayson & Garside 2000).

    The two-cell form: E1 = c(a+b)/(c+d), E2 = d(a+b)/(c+d),
    G² = 2(a ln(a/E1) + b ln(b/E2)), with 0 ln 0 = 0. Element-wise over arrays.

    Parameters
    ----------
    a : int, float or array-like
        Occurrences of the term in the first corpus (counts).
    b : int, float or array-like
        Occurrences of the term in the second corpus (counts).
    c : int, float or array-like
        All terms of the first corpus (count, > 0).
    d : int, float or array-like
        All terms of the second corpus (count, > 0).

    Returns
    -------
    ndarray of float
        G² (>= 0; compared with chi-square on 1 degree of freedom), the
        broadcast shape of the inputs; 0 for a term said in neither corpus,
        NaN where ``c + d`` is 0 (numpy warns; nothing is raised).
    """
    a, b, c, d = (np.asarray(x, dtype="float64") for x in (a, b, c, d))
    total = a + b
    expected_a = c * total / (c + d)
    expected_b = d * total / (c + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        term_a = np.where(a > 0, a * np.log(a / expected_a), 0.0)
        term_b = np.where(b > 0, b * np.log(b / expected_b), 0.0)
    return 2.0 * (term_a + term_b)


def log_ratio(a, b, c, d) -> np.ndarray:
    """Log ratio, the effect size of keyness (Hardie 2014): log2((a/c) / (b/d)).

    A zero count ``a`` or ``b`` is replaced by 0.5 so the ratio stays finite.
    Element-wise over arrays.

    Parameters
    ----------
    a : int, float or array-like
        Occurrences of the term in the first corpus (counts).
    b : int, float or array-like
        Occurrences of the term in the second corpus (counts).
    c : int, float or array-like
        All terms of the first corpus (count, > 0).
    d : int, float or array-like
        All terms of the second corpus (count, > 0).

    Returns
    -------
    ndarray of float
        Binary log of the ratio of relative frequencies (1 = twice as frequent
        in the first corpus, 0 = as frequent, -1 = half), the broadcast shape
        of the inputs.
    """
    a, b, c, d = (np.asarray(x, dtype="float64") for x in (a, b, c, d))
    a = np.where(a == 0, 0.5, a)
    b = np.where(b == 0, 0.5, b)
    return np.log2((a / c) / (b / d))
MIN_EXPECTED = 5.0   # keyness: no test where the expected count in the group is below this (issue 12)


def keyness(study: Study, by: str = "participant", ngram: int = 1, min_count: int = 1,
            remove_fillers: bool = True, min_expected: float = MIN_EXPECTED) -> pd.DataFrame:
    """Words each group says more (or less) than everyone else: each group
    against the rest of the participants' words.

    Terms as in ``word_frequencies`` (participant turns, fillers and stop words
    out). For group g and term w: a = w in g, b = w in the rest, c = all terms of
    g, d = all terms of the rest. ``g2``: log-likelihood (Rayson & Garside 2000,
    two-cell form, see ``log_likelihood``); ``p``: chi-square(1 df) upper tail of
    G²; ``log_ratio``: log2 of the ratio of relative frequencies (Hardie 2014),
    0.5 put in for a zero count; ``use``: "over" or "under". Rows: every term with
    a + b >= ``min_count``, for every group; sorted by group, then G² descending,
    then term. ``by``: "participant" or a participants attribute.

    Many tests on small counts: ``expected`` is E1 = c(a+b)/(c+d), the count
    the group would have at the rest's rate; ``tested`` is E1 >= ``min_expected``
    (default 5, the usual floor for a chi-square approximation); ``p`` and
    ``q`` are NaN for untested rows. ``q`` is the Benjamini–Hochberg adjusted
    p over every tested row of the table (all groups, all terms: every test
    run). ``attrs["rule"]`` states this.

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    by : str, default "participant"
        "participant" or a participants attribute: the groups compared.
    ngram : int, default 1
        1 for words, 2 for two-word phrases.
    min_count : int, default 1
        Terms said fewer times than this in all (a + b) are left out.
    remove_fillers : bool, default True
        Leave the study's fillers out before counting.
    min_expected : float, default 5
        The expected count (E1) below which no test is run.

    Returns
    -------
    DataFrame
        One row per (group, term): the group column, ``term``, ``n_group`` (a), ``n_rest``
        (b), ``per_1000_group``, ``per_1000_rest``, ``g2``, ``log_ratio`` (log2 units),
        ``p``, ``use``, ``expected``, ``tested``, ``q``; default RangeIndex; ``attrs["rule"]``.

    Raises
    ------
    TooFew
        Fewer than two groups with words to compare.
    ValueError
        ``by`` is not a participants attribute.
    """
    terms = _participant_turn_terms(study, ngram, remove_fillers)
    column = "participant_id" if by == "participant" else by
    groups = _group_column(study, terms, by)
    # pd.crosstab(groups, terms) by a grouped count (crosstab counts each cell in Python: 20x slower)
    every_term = (pd.DataFrame({"group": groups, "term": terms["term"]})
                  .groupby(["group", "term"]).size().unstack("term", fill_value=0))
    if every_term.shape[0] < 2:
        raise TooFew(f"keyness compares groups of {by!r}: it needs at least two groups with words")
    totals = every_term.sum(axis=1).to_numpy(dtype="float64")
    counts = every_term.loc[:, every_term.sum(axis=0) >= min_count]
    counts = counts.reindex(columns=sorted(counts.columns))
    matrix = counts.to_numpy(dtype="float64")
    a = matrix
    b = matrix.sum(axis=0)[None, :] - matrix
    c = totals[:, None] * np.ones_like(matrix)
    d = totals.sum() - c
    g2 = log_likelihood(a, b, c, d)
    out = pd.DataFrame({
        column: np.repeat(counts.index.to_numpy(), matrix.shape[1]),
        "term": np.tile(counts.columns.to_numpy(), matrix.shape[0]),
        "n_group": a.ravel().astype("int64"),
        "n_rest": b.ravel().astype("int64"),
        "per_1000_group": (1000.0 * a / c).ravel(),
        "per_1000_rest": (1000.0 * b / d).ravel(),
        "g2": g2.ravel(),
        "log_ratio": log_ratio(a, b, c, d).ravel(),
        "p": stats.chi2.sf(g2, df=1).ravel(),
    })
    out["use"] = np.where(out["per_1000_group"] >= out["per_1000_rest"], "over", "under")
    out["expected"] = (c * (a + b) / (c + d)).ravel()
    out["tested"] = out["expected"] >= min_expected
    out.loc[~out["tested"], "p"] = np.nan
    out["q"] = np.nan
    if out["tested"].any():
        out.loc[out["tested"], "q"] = stats.false_discovery_control(out.loc[out["tested"], "p"].to_numpy(),
                                                                     method="bh")
    out = out.sort_values([column, "g2", "term"], ascending=[True, False, True], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs["rule"] = (f"Each group against the rest of the participants' words (log-likelihood G², Rayson & "
                         f"Garside 2000). A term is tested only where its expected count in the group is at "
                         f"least {min_expected:g}; p-values of the {int(out['tested'].sum())} tests run are "
                         f"corrected for false discoveries (Benjamini–Hochberg q). Untested rows show counts only. "
                         + textutil.PLACEHOLDER_RULE)
    return out


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


def context_left(text: str, start: int, width: int) -> str:
    """The turn's text before ``start``: at most ``width`` characters in whole
    words (a word the width cuts is left out), but always the whole word next
    to the keyword however long.

    Parameters
    ----------
    text : str
        The turn.
    start : int
        Where the keyword starts in ``text``.
    width : int
        Characters wanted (at least 0).

    Returns
    -------
    str
        ``text[cut:start]`` for the cut described.
    """
    cut = max(0, start - width)
    near = start                     # where the word next to the keyword begins
    while near > 0 and text[near - 1].isspace():
        near -= 1
    while near > 0 and not text[near - 1].isspace():
        near -= 1
    if cut > near:
        cut = near                   # keep the neighbouring word whole, however long
    elif cut > 0 and not text[cut - 1].isspace() and not text[cut].isspace():
        while cut < start and not text[cut].isspace():
            cut += 1                 # the width falls inside a word: leave that word out
    return text[cut:start].lstrip()


def context_right(text: str, end: int, width: int) -> str:
    """The turn's text after ``end``: at most ``width`` characters in whole
    words, but always the whole word next to the keyword (see ``context_left``).

    Parameters
    ----------
    text : str
    end : int
        Where the keyword ends in ``text`` (exclusive).
    width : int

    Returns
    -------
    str
        ``text[end:cut]``.
    """
    cut = min(len(text), end + width)
    near = end                       # where the word next to the keyword ends
    while near < len(text) and text[near].isspace():
        near += 1
    while near < len(text) and not text[near].isspace():
        near += 1
    if cut < near:
        cut = near
    elif cut < len(text) and not text[cut - 1].isspace() and not text[cut].isspace():
        while cut > end and not text[cut - 1].isspace():
            cut -= 1
    return text[end:cut].rstrip()



def kwic(study: Study, phrase: str, width: int = 60, roles: Iterable[str] | str | None = None) -> pd.DataFrame:
    """Keyword in context: every occurrence of ``phrase`` (``matching.term_pattern``, the one
    definition of a hit: whole words, any case, accents, apostrophe and dash variants alike,
    ``*`` for any letters; a phrase matches its words separated by any spaces), with
    about ``width`` characters of the turn either side, in whole words: a word
    the width would cut is left out, except the word next to the keyword,
    which is always kept whole (``context_left``, ``context_right``). Text inside annotations
    ("[laughs]") is not searched. Turns searched: as ``word_frequencies`` counts
    them (``counted_turns``: participant turns only) unless ``roles`` asks
    otherwise; ``attrs["rule"]`` says which.

    Columns: doc_id, participant_id, seg_no, left, match, right, speaker_role,
    start, end (the match's offsets in the document's clean text). Line breaks
    in the context are shown as spaces. Rows in document and turn order.

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    phrase : str
        One or more words.
    width : int, default 60
        Characters of context either side.
    roles : iterable of str, "all" or None
        None (default): participant turns only, as ``word_frequencies``; "all":
        every turn, interviewer turns included; else the speaker roles searched
        ("participant", "interviewer", "other").

    Returns
    -------
    DataFrame
        One row per occurrence, columns as above (``start``/``end``: character offsets);
        default RangeIndex.
    """
    term_pattern(phrase)   # a term with no word: ValueError before any turn is read
    turns = counted_turns(study, roles)
    rows = []
    for doc_id, seg_no, pid, role, offset, text in zip(
            turns["doc_id"], turns["seg_no"], turns["participant_id"], turns["speaker_role"],
            turns["start"], turns["text"].fillna("")):
        text = str(text)
        for start, end in find_term(_masked(text), phrase):
            left, right = context_left(text, start, width), context_right(text, end, width)
            base = int(offset) if pd.notna(offset) else 0
            rows.append((doc_id, pid, seg_no, _one_line(left), text[start:end], _one_line(right),
                         role, base + start, base + end))
    columns = ["doc_id", "participant_id", "seg_no", "left", "match", "right", "speaker_role", "start", "end"]
    out = pd.DataFrame(rows, columns=columns)
    out = out.astype({"seg_no": "Int64", "start": "int64", "end": "int64"}) if len(out) else out
    out.attrs["rule"] = (turns_rule(roles) + " Each row is one occurrence of the phrase (whole words; case, accents, "
                         "apostrophe and dash variants alike; annotations not searched) with its context "
                         "in the same turn.")
    return out


def _one_line(text: str) -> str:
    return re.sub(r"\s", " ", text)
