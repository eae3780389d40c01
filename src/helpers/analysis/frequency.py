"""Code frequencies, word frequencies, keyness and concordance (DESIGN §4, §6).

Counting rules, stated once here and in each docstring:

- codes are counted as applied (``level=None``) or rolled up to a level of the
  hierarchy first (``hierarchy.rollup``);
- a coding touches every turn from ``seg_first`` to ``seg_last``;
- words are the tokens of ``textutil.tokens`` (annotations such as ``[laughs]``
  never count); word analyses read PARTICIPANT turns only and drop fillers and
  stop words.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

from functools import lru_cache

import numpy as np
import pandas as pd

from helpers import textutil
from helpers.analysis.selection import (
    MISSING_GROUP,
    _participant_groups,
    code_order,
    kept_participants,
    select_codings,
    select_segments,
)
from helpers.analysis.words import (
    MIN_EXPECTED,
    TURN_RULE,
    _masked,
    context_left,
    context_right,
    counted_turns,
    default_term,
    fillers,
    keyness,
    kwic,
    log_likelihood,
    log_ratio,
    stopwords,
    turns_rule,
    word_frequencies,
    word_rule,
)
from helpers.counting import check_level, coding_spans, holders, turns_touched

FREQUENCY_RULE = (
    "applications = passages of the code; segments = distinct turns the code touches (a passage "
    "counts in every turn from its first to its last); documents = those with at least one passage; "
    "participants = those holding a passage (their own turn touched); participants_pct = participants / "
    "all participants x 100; words_coded = words of the utterances in the union of the code's passages "
    "in each document (speaker labels between turns are not coded words)."
)

# The public names, defined here (code frequencies) or in selection (which codings and turns are
# counted) and words (word frequencies, keyness, KWIC); importable from this module as before the split.
__all__ = ["FREQUENCY_RULE", "MIN_EXPECTED", "MISSING_GROUP", "code_frequencies", "code_order", "context_left",
           "context_right", "default_term",
           "fillers", "keyness", "kept_participants", "kwic", "log_likelihood", "log_ratio", "select_codings",
           "select_segments", "stopwords", "word_frequencies", "word_rule", "words_coded",
           "counted_turns", "turns_rule", "TURN_RULE"]


# -- code frequencies ---------------------------------------------------------

def code_frequencies(study: Study, level: str | None = None, by: str | None = None, coder: str | list[str] | None = None) -> pd.DataFrame:
    """One row per code (per group of ``by``): how often and how widely it is applied.

    What is counted is ``counting.passages`` (DESIGN §4): codings rolled up to
    ``level``, of the primary coder per document unless ``coder`` says
    otherwise (a name, a list, or "all"), overlapping codings of one code in
    one document merged into one passage.

    Parameters
    ----------
    study : Study
    level : str or None
        None: codes as applied; a level of ``study.levels`` (``"code"`` for the
        unnamed level): codes at that level, codings below rolled up (codebook
        codes with no coding appear with zeros).
    by : str, optional
        A participants attribute: the result is LONG, one row per (group,
        code), every combination (zeros included). A passage counts in the
        group of each participant holding it; passages held by no participant
        (interviewer turns only) form the group "(not given)" (``counting.MISSING_GROUP``) with participants without a value.
    coder : None, "all", str or list of str
        See ``counting.select_coders``.

    Returns
    -------
    DataFrame
        Columns ``code``, ``applications`` (passages), ``segments`` (distinct
        turns touched; a passage counts in every turn from ``seg_first`` to
        ``seg_last``), ``documents``, ``participants`` (distinct participants
        holding a passage: those whose own turns it touches, never through an
        interviewer turn alone), ``participants_pct`` (of all participants, or
        of the group's with ``by``), ``words_coded`` (words of the union of the
        code's passages in each document, counting only the words of the
        utterances: speaker labels between turns are not coded words; a word
        counts when any of its characters is coded). With ``by``: the
        attribute column first and ``group_size``. Rows sorted by applications
        (descending), then code; by group first with ``by``.
        ``attrs["rule"]`` states the counting rules.

    Raises
    ------
    InputError
        Unknown level or coder.
    ValueError
        ``by`` is not a participants attribute.
    """
    level = check_level(study, level)
    found = select_codings(study, level, coder)
    rule = found.attrs.get("rule", "")
    codes = code_order(study, level) if level is not None else sorted(set(found["code"].astype(str)))
    n_participants = len(study.participants)
    held = _held(study, found)
    keys = ["code"]
    if by is not None:
        groups = _participant_groups(study, by)
        held["group"] = held["participant_id"].map(groups).fillna(MISSING_GROUP)
        keys = ["group", "code"]
    counts = _frequency_counts(study, held, keys)
    if by is None:
        out = counts.reindex(pd.Index(codes, name="code"), fill_value=0).reset_index()
        out["participants_pct"] = 100.0 * out["participants"] / n_participants if n_participants else np.nan
        out = out.sort_values(["applications", "code"], ascending=[False, True], kind="stable")
        out = out[["code", "applications", "segments", "documents", "participants", "participants_pct",
                   "words_coded"]].reset_index(drop=True)
        out.attrs["rule"] = rule + " " + FREQUENCY_RULE
        out.attrs["level"] = level
        return out
    sizes = groups.value_counts().rename("group_size")
    group_names = sorted(set(sizes.index) | set(held["group"]), key=str)
    grid = pd.MultiIndex.from_product([group_names, codes], names=["group", "code"])
    out = counts.reindex(grid, fill_value=0).reset_index()
    out["group_size"] = out["group"].map(sizes).fillna(0).astype("int64")
    out["participants_pct"] = np.where(out["group_size"] > 0,
                                       100.0 * out["participants"] / out["group_size"].where(out["group_size"] > 0, 1),
                                       np.nan)
    out = out.sort_values(["group", "applications", "code"], ascending=[True, False, True], kind="stable")
    out = out.rename(columns={"group": by})
    out = out[[by, "code", "applications", "segments", "documents", "participants", "group_size",
               "participants_pct", "words_coded"]].reset_index(drop=True)
    out.attrs["rule"] = rule + " " + FREQUENCY_RULE
    out.attrs["level"] = level
    return out


def _held(study, found: pd.DataFrame) -> pd.DataFrame:
    """One row per (passage, holder); a passage no participant holds keeps one
    row with no participant. Column ``passage`` is the passage's position."""
    held = holders(study, found)
    unheld = np.setdiff1d(np.arange(len(found)), held["row"].unique())
    rows = np.concatenate([held["row"].to_numpy(dtype=np.int64), unheld])
    pids = pd.array(list(held["participant_id"]) + [pd.NA] * len(unheld), dtype="string")
    out = found.iloc[rows].reset_index(drop=True)
    out["participant_id"] = pids
    out["passage"] = rows
    return out


def _frequency_counts(study, codings: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = codings.groupby(keys, sort=False)
    out = pd.DataFrame({
        "applications": grouped["passage"].nunique() if "passage" in codings else grouped.size(),
        "documents": grouped["doc_id"].nunique(),
        "participants": grouped["participant_id"].nunique(),
    })
    turns = turns_touched(codings)
    for key in keys:
        turns[key] = codings[key].to_numpy()[turns["row"].to_numpy()]
    out["segments"] = turns.drop_duplicates(keys + ["doc_id", "seg_no"]).groupby(keys, sort=False).size()
    out["words_coded"] = words_coded(study, codings, keys)
    return out.fillna(0).astype("int64")


def words_coded(study, codings: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Words coded per group of ``keys``: the words of the union of the coded spans.

    In each document the spans of a group are merged (overlapping or touching
    spans form one), then the words inside are counted: tokens of
    ``textutil`` with annotations masked, only the words of the turns'
    utterances (speaker labels and timestamps between turns are blanked), a
    word counting when any of its characters is inside. A coding without
    offsets covers its turns (start of ``seg_first`` to end of ``seg_last``).
    The ``words_coded`` column of ``code_frequencies``.

    Parameters
    ----------
    study : Study
        The study (its clean texts and segments).
    codings : DataFrame
        The codings or passages counted: columns ``doc_id``, ``start``, ``end``
        (character offsets into the clean text, end exclusive), ``seg_first``,
        ``seg_last`` and the ``keys`` columns.
    keys : list of str
        The columns to group by, e.g. ``["code"]`` or ``["group", "code"]``.

    Returns
    -------
    Series of int
        Words coded (count), indexed by ``keys`` (a MultiIndex for several
        keys), summed over documents; groups with no usable span are absent.
    """
    spans = codings[keys + ["doc_id"]].copy()
    spans["start"], spans["end"] = coding_spans(study, codings)   # counting: a coding's span, once
    spans = spans.dropna(subset=["start", "end"])
    spans = spans[spans["end"] > spans["start"]]
    if spans.empty:
        return pd.Series(0, index=pd.MultiIndex.from_tuples([], names=keys) if len(keys) > 1 else pd.Index([]),
                         dtype="int64")
    merged = _merge_spans(spans, keys + ["doc_id"])
    merged["words"] = 0
    turns = study.segments[["doc_id", "start", "end"]].dropna()
    turn_spans = {str(d): (g["start"].to_numpy(dtype=np.int64), g["end"].to_numpy(dtype=np.int64))
                  for d, g in turns.groupby(turns["doc_id"].astype(str), sort=False)}
    for doc_id, rows in merged.groupby("doc_id", sort=False).groups.items():
        starts, ends = _token_bounds(_utterances_only(_document_text(study, str(doc_id)),
                                                      turn_spans.get(str(doc_id))))
        block = merged.loc[rows]
        # tokens overlapping [s, e): those starting before e minus those ending at or before s
        inside = (np.searchsorted(starts, block["end"].to_numpy(), side="left")
                  - np.searchsorted(ends, block["start"].to_numpy(), side="right"))
        merged.loc[rows, "words"] = np.maximum(inside, 0)
    return merged.groupby(keys, sort=False)["words"].sum()


def _merge_spans(spans: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Union of [start, end) spans within each key group; touching spans merge."""
    spans = spans.sort_values(keys + ["start", "end"], kind="stable").reset_index(drop=True)
    group = spans.groupby(keys, sort=False).ngroup()
    reach = spans.groupby(group, sort=False)["end"].cummax()
    previous_reach = reach.groupby(group, sort=False).shift(1)
    new_block = previous_reach.isna() | (spans["start"] > previous_reach)
    block = new_block.cumsum()
    merged = spans.groupby(block, sort=False).agg({**{k: "first" for k in keys}, "start": "min", "end": "max"})
    return merged.reset_index(drop=True)


def _utterances_only(text: str, turn_spans) -> str:
    """``text`` with everything outside the turns' utterances blanked (speaker
    labels, timestamps between turns), keeping every character offset, so a
    passage over two turns counts the words of the two utterances only.
    Unchanged when the document has no turns with offsets."""
    if turn_spans is None or not len(turn_spans[0]):
        return text
    pieces, position = [], 0
    for start, end in sorted(zip(turn_spans[0].tolist(), turn_spans[1].tolist())):
        start, end = max(start, position), min(max(end, position), len(text))
        pieces.append(" " * (start - position))
        pieces.append(text[start:end])
        position = end
    pieces.append(" " * (len(text) - position))
    return "".join(pieces)


@lru_cache(maxsize=256)
def _token_bounds(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of the tokens of ``text`` (annotations masked).
    Kept for the last 256 texts: every code_frequencies call (one per level
    in a report) needs the same documents, and tokenizing is its main cost.
    The arrays are read-only, as they are shared."""
    spans = list(textutil._TOKENIZER.span_tokenize(_masked(text)))
    if not spans:
        starts, ends = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    else:
        bounds = np.asarray(spans, dtype=np.int64)
        starts, ends = bounds[:, 0].copy(), bounds[:, 1].copy()
    starts.flags.writeable = False
    ends.flags.writeable = False
    return starts, ends


def _document_text(study, doc_id: str) -> str:
    """The clean text; rebuilt from the turns (placed at their offsets) when not stored."""
    try:
        return study.text(doc_id)
    except (KeyError, OSError):
        pass
    seg = study.segments[study.segments["doc_id"] == doc_id]
    if seg.empty:
        return ""
    chars = [" "] * int(seg["end"].max())
    for start, text in zip(seg["start"].astype(int), seg["text"].fillna("").astype(str)):
        chars[start:start + len(text)] = list(text)
    return "".join(chars)


