"""Keyword in context (issue 15 split of :mod:`helpers.analysis.words`): every occurrence of a
phrase with the words either side, cut in whole words; the turns searched are
``words_terms.counted_turns``' and a hit is ``matching.find_term``'s.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

import re
from collections.abc import Iterable

import pandas as pd

from helpers import textutil
from helpers.analysis.words_terms import counted_turns, turns_rule
from helpers.matching import find_term, term_pattern

_masked = textutil.mask_annotations   # the name frequency imports (through words)


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
