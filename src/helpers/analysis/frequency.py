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

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from nltk import FreqDist
from nltk.util import ngrams as nltk_ngrams
from scipy import stats

from helpers import textutil
from helpers.counting import _as_list, check_level, holders, passages
from helpers.errors import TooFew
from helpers.hierarchy import codes_at, rollup

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

MISSING_GROUP = "(missing)"

FREQUENCY_RULE = (
    "applications = passages of the code; segments = distinct turns the code touches (a passage "
    "counts in every turn from its first to its last); documents = those with at least one passage; "
    "participants = those holding a passage (their own turn touched); participants_pct = participants / "
    "all participants x 100; words_coded = words of the utterances in the union of the code's passages "
    "in each document (speaker labels between turns are not coded words)."
)


# -- selecting codings (shared with cooccurrence) ---------------------------

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
        if attribute not in table.columns:
            raise ValueError(f"where: no participant attribute {attribute!r}; "
                             f"attributes are {[c for c in table.columns if c != 'participant_id']}")
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
    book = codes_at(study.codebook, level)
    known = set(book)
    return book + [c for c in applied if c not in known]


def turns_touched(codings: pd.DataFrame) -> pd.DataFrame:
    """One row per (coding, turn it touches): columns ``row`` (position in
    ``codings``), ``doc_id``, ``seg_no``. Codings without turn numbers are left out."""
    first = codings["seg_first"].to_numpy(dtype="float64", na_value=np.nan)
    last = codings["seg_last"].to_numpy(dtype="float64", na_value=np.nan)
    last = np.where(np.isnan(last), first, last)
    usable = ~np.isnan(first)
    rows = np.flatnonzero(usable)
    first_i = first[usable].astype(np.int64)
    lengths = np.maximum(last[usable].astype(np.int64) - first_i + 1, 1)
    expanded = np.repeat(rows, lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return pd.DataFrame({
        "row": expanded,
        "doc_id": codings["doc_id"].to_numpy()[expanded],
        "seg_no": np.repeat(first_i, lengths) + offsets,
    })


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
        (interviewer turns only) form the group "(missing)" with participants without a value.
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


def _participant_groups(study, by: str) -> pd.Series:
    """participant_id -> value of attribute ``by`` (as text; missing -> "(missing)")."""
    table = study.participants
    if by not in table.columns:
        raise ValueError(f"by: no participant attribute {by!r}; "
                         f"attributes are {[c for c in table.columns if c != 'participant_id']}")
    values = table[by].astype("string").fillna(MISSING_GROUP)
    return pd.Series(values.to_numpy(), index=table["participant_id"].astype(str).to_numpy())


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
    """Words of the union of coded spans per (keys, document); see code_frequencies."""
    spans = codings[keys + ["doc_id"]].copy()
    spans["start"] = codings["start"].to_numpy(dtype="float64", na_value=np.nan)
    spans["end"] = codings["end"].to_numpy(dtype="float64", na_value=np.nan)
    spans = _fill_spans_from_turns(study, codings, spans)
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


def _fill_spans_from_turns(study, codings: pd.DataFrame, spans: pd.DataFrame) -> pd.DataFrame:
    """A coding without offsets covers its turns: start of seg_first .. end of seg_last."""
    missing = spans["start"].isna() | spans["end"].isna()
    if not missing.any():
        return spans
    seg = study.segments
    seg_index = pd.MultiIndex.from_arrays([seg["doc_id"].astype(str), seg["seg_no"].astype("float64")])
    lookup_first = pd.MultiIndex.from_arrays([codings["doc_id"].astype(str),
                                              codings["seg_first"].astype("float64")])
    lookup_last = pd.MultiIndex.from_arrays([codings["doc_id"].astype(str),
                                             codings["seg_last"].fillna(codings["seg_first"]).astype("float64")])
    seg_start = seg["start"].to_numpy(dtype="float64", na_value=np.nan)
    seg_end = seg["end"].to_numpy(dtype="float64", na_value=np.nan)
    at_first, at_last = seg_index.get_indexer(lookup_first), seg_index.get_indexer(lookup_last)
    fill_start = np.where(at_first >= 0, seg_start[np.maximum(at_first, 0)], np.nan)
    fill_end = np.where(at_last >= 0, seg_end[np.maximum(at_last, 0)], np.nan)
    spans = spans.copy()
    spans["start"] = np.where(missing, fill_start, spans["start"])
    spans["end"] = np.where(missing, fill_end, spans["end"])
    return spans


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


def _masked(text: str) -> str:
    """``text`` with annotations blanked out, keeping every character offset."""
    return textutil.ANNOTATION_RE.sub(lambda m: " " * len(m.group()), text)


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


# -- word frequencies ---------------------------------------------------------

def fillers(study) -> frozenset[str]:
    """The study's fillers (``textutil.study_fillers``)."""
    return textutil.study_fillers(study)


def stopwords(study) -> frozenset[str]:
    """The shipped stop words plus the study's (``textutil.study_stopwords``)."""
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


def _participant_turn_terms(study, ngram: int, remove_fillers: bool = True) -> pd.DataFrame:
    """One row per term occurrence in PARTICIPANT turns: participant_id, term."""
    if ngram not in (1, 2):
        raise ValueError("ngram must be 1 (words) or 2 (two-word phrases)")
    turns = study.segments[study.segments["speaker_role"] == "participant"]
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
    """The counting rule of the word analyses, for a report."""
    return ("Participant turns only; annotations never counted; "
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


# -- keyness ------------------------------------------------------------------

def log_likelihood(a, b, c, d) -> np.ndarray:
    """Rayson & Garside (2000) log-likelihood G² of a term said ``a`` times in a
    corpus of ``c`` terms and ``b`` times in one of ``d``:
    E1 = c(a+b)/(c+d), E2 = d(a+b)/(c+d), G² = 2(a ln(a/E1) + b ln(b/E2)),
    with 0 ln 0 = 0."""
    a, b, c, d = (np.asarray(x, dtype="float64") for x in (a, b, c, d))
    total = a + b
    expected_a = c * total / (c + d)
    expected_b = d * total / (c + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        term_a = np.where(a > 0, a * np.log(a / expected_a), 0.0)
        term_b = np.where(b > 0, b * np.log(b / expected_b), 0.0)
    return 2.0 * (term_a + term_b)


def log_ratio(a, b, c, d) -> np.ndarray:
    """Hardie's log ratio: log2((a/c) / (b/d)), a zero count replaced by 0.5 so
    the ratio stays finite."""
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
    """The study's most frequent content word (``word_frequencies`` over all
    participant turns, stop words and fillers out, words starting with a
    letter only; ties by the word): the
    KWIC term a notebook uses when none is given. None when no word is left."""
    words = word_frequencies(study, by=None)
    # a content word starts with a letter: not a redaction placeholder such as "(psw)" or a number
    words = words[words["term"].astype(str).str.match(r"^[^\W\d_]")]
    return None if words.empty else str(words.iloc[0]["term"])


# -- concordance --------------------------------------------------------------

def _phrase_pattern(phrase: str) -> re.Pattern:
    """Case-insensitive, whole words, any run of spaces between the words of a phrase."""
    words = phrase.split()
    if not words:
        raise ValueError("kwic needs a word or phrase to look for")
    body = r"\s+".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![\w'’-]){body}(?![\w]|['’-]\w)", re.IGNORECASE)


def kwic(study: Study, phrase: str, width: int = 60, roles: Iterable[str] | None = None) -> pd.DataFrame:
    """Keyword in context: every occurrence of ``phrase`` (case-insensitive,
    whole words; a phrase matches its words separated by any spaces), with
    about ``width`` characters of the turn either side, in whole words: a word
    the width would cut is left out, except the word next to the keyword,
    which is always kept whole (``context_left``, ``context_right``). Text inside annotations
    ("[laughs]") is not searched. ``roles``: speaker roles to search (default all).

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
    roles : iterable of str, optional
        Speaker roles searched ("participant", "interviewer", "other"); default all.

    Returns
    -------
    DataFrame
        One row per occurrence, columns as above (``start``/``end``: character offsets);
        default RangeIndex.
    """
    pattern = _phrase_pattern(phrase)
    turns = study.segments
    if roles is not None:
        turns = turns[turns["speaker_role"].isin(list(roles))]
    rows = []
    for doc_id, seg_no, pid, role, offset, text in zip(
            turns["doc_id"], turns["seg_no"], turns["participant_id"], turns["speaker_role"],
            turns["start"], turns["text"].fillna("")):
        text = str(text)
        for m in pattern.finditer(_masked(text)):
            left, right = context_left(text, m.start(), width), context_right(text, m.end(), width)
            base = int(offset) if pd.notna(offset) else 0
            rows.append((doc_id, pid, seg_no, _one_line(left), text[m.start():m.end()], _one_line(right),
                         role, base + m.start(), base + m.end()))
    columns = ["doc_id", "participant_id", "seg_no", "left", "match", "right", "speaker_role", "start", "end"]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"seg_no": "Int64", "start": "int64", "end": "int64"}) if len(out) else out


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


def _one_line(text: str) -> str:
    return re.sub(r"\s", " ", text)
