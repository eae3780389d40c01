"""What is counted, before any unit (DESIGN §4 "Counting rules"): the one
place that turns the codings table into the passages every analysis counts.

Rules (the source of each is DESIGN §4 and issue 12):

- **Levels are the study's.** ``study_levels`` lists the levels the study's
  codebook and codings actually use, most specific first; the unnamed level
  is called ``code``. ``check_level`` turns a level parameter into the
  codings' own spelling ('' for ``code``) and rejects an unknown level with an
  ``InputError`` listing the study's levels.
- **Coders are explicit.** Codings from a ``use: agreement`` entry feed
  agreement only. With ``coder=None`` each document counts one coder: the
  highest-ranked analysis coder who coded it (``primary_coder:`` in study.yml
  first, then by most coded documents, ties by name). ``coder="all"`` merges
  every analysis coder; a name or a list merges those coders.
- **One passage, one application.** After roll-up to a level (and for codes as
  applied), codings of one document and one code (one coder, or the merged
  coders) whose character spans share at least one character are one passage
  covering their union; exact duplicates count once.
- **At or below.** Where a code's count is the count of a theme (theme
  prevalence, ``at_or_below=True``), a code's passages include those of every
  code below it at the same level (for codes as applied: every code below it),
  merged under the passage rule: a parent code coded on the same quote as its
  child (MAXQDA, NVivo) counts once, and a parent only its children were
  applied to still counts (DESIGN §4 "Theme prevalence").
- **Who has a code.** A passage belongs to every participant whose own
  (non-interviewer) turn it touches; a passage only on interviewer turns
  belongs to no participant (it still counts in turn units).
"""
from __future__ import annotations

import collections
import copy
import hashlib
import pickle

import numpy as np
import pandas as pd

from helpers.counting_checks import check_attribute, check_choice, check_parameters
from helpers.counting_coders import (
    AGREEMENT_USE,
    ALL_CODERS,
    _use,
    agreement_only_coders,
    check_coder,
    coder_documents,
    coder_ranking,
    coder_sentence,
    primary_coder,
    primary_coder_setting,
    select_coders,
)
from helpers.counting_levels import (
    CODE_LEVEL,
    TOP,
    check_level,
    default_level,
    level_label,
    levels_of,
    not_counted_at,
    not_counted_lines,
    not_counted_sentence,
    resolve_level,
    study_levels,
)
from helpers.counting_turns import coding_spans, coding_turns, expand_turns, turn_range, turns_touched

from .hierarchy import Hierarchy, codes_at, rollup

PASSAGE_RULE = ("One passage, one application: codings of one document and one code whose coded text "
                "overlaps (after roll-up to the level) count once, as one passage covering their union; "
                "a code entered twice on the same text counts once.")
AT_OR_BELOW_RULE = ("A code's passages include those of the codes below it in the hierarchy, merged: a "
                     "quote coded with a code and with its own sub-code counts once for the code.")
# The group of participants with no value for an attribute, in every table and figure.
MISSING_GROUP = "(not given)"

HOLDER_RULE = ("A passage counts for every participant whose turn it touches; a passage only on "
               "interviewer turns gives no participant the code (it still counts in turn units).")

# The public names, defined here (passages, holders, rule texts, parameter checks) or in counting_levels
# (level parameters), counting_coders (coder parameters) and counting_turns (the turns and span of a
# coding); importable from here.
__all__ = ["agreement_only_coders", "AGREEMENT_USE", "ALL_CODERS", "AT_OR_BELOW_RULE", "attribute_groups",
           "check_attribute", "check_choice", "check_coder",
           "check_level", "check_parameters", "CODE_LEVEL", "coder_documents", "coder_lines",
           "coder_ranking", "coder_sentence", "coding_counts", "coding_counts_sentence", "coding_spans",
           "coding_turns", "expand_turns", "MISSING_GROUP", "ordered_codes", "turn_range", "turns_touched",
           "default_level", "HOLDER_RULE", "holders", "level_label", "levels_of", "merge_passages", "not_counted_at",
           "not_counted_lines", "not_counted_sentence",
           "PASSAGE_RULE", "passages", "primary_coder", "primary_coder_setting", "resolve_level",
           "rule_text", "select_coders", "study_levels", "TOP", "uncounted_coder_warnings",
           "with_descendants"]


# -- passages ------------------------------------------------------------------------

def merge_passages(study, codings: pd.DataFrame) -> pd.DataFrame:
    """Codings of one document and one code whose spans share a character,
    merged into one passage (their union).

    Returns
    -------
    DataFrame
        The codings' columns, one row per passage: ``start``/``end`` the union,
        ``seg_first``/``seg_last`` the turns it touches, ``coder`` the coders
        merged (comma-separated), other columns from the passage's first
        coding; plus ``n_codings`` (codings merged). Codings with neither a
        span nor turns stay one passage each unless exact duplicates.
    """
    if codings.empty:
        out = codings.copy()
        out["n_codings"] = pd.Series(dtype="int64")
        return out.reset_index(drop=True)
    frame = codings.reset_index(drop=True).copy()
    start, end = coding_spans(study, frame)
    frame["_start"], frame["_end"] = start, end
    placed = ~np.isnan(start) & ~np.isnan(end)
    frame["_doc"] = frame["doc_id"].astype(str)
    frame["_code"] = frame["code"].astype(str)
    # unplaced codings: one passage each, exact repeats (same turns) once
    loose = frame.loc[~placed].copy()
    loose["_block"] = loose.groupby(["_doc", "_code", loose["seg_first"].astype("float64").fillna(-1),
                                     loose["seg_last"].astype("float64").fillna(-1),
                                     loose["start"].astype("float64").fillna(-1)], dropna=False, sort=False).ngroup()
    spans = frame.loc[placed].sort_values(["_doc", "_code", "_start", "_end"], kind="stable")
    group = spans.groupby(["_doc", "_code"], sort=False).ngroup().to_numpy()
    reach = spans.groupby(group, sort=False)["_end"].cummax()
    previous = reach.groupby(group, sort=False).shift(1)
    # a new passage starts where a span begins at or after everything before it ends
    new_block = previous.isna().to_numpy() | (spans["_start"].to_numpy() >= previous.to_numpy())
    spans = spans.assign(_block=np.cumsum(new_block) - 1 + (loose["_block"].max() + 1 if len(loose) else 0))
    both = pd.concat([spans, loose])
    blocks = both.groupby("_block", sort=False)
    first = blocks.head(1).set_index("_block")
    out = first.copy()
    out["start"] = blocks["_start"].min()
    out["end"] = blocks["_end"].max()
    out.loc[out["start"].isna(), "start"] = first.loc[out["start"].isna(), "start"]
    out.loc[out["end"].isna(), "end"] = first.loc[out["end"].isna(), "end"]
    out["seg_first"] = blocks["seg_first"].min()
    out["seg_last"] = blocks["seg_last"].max()
    # one coder per passage is the rule (the primary coder); join names only where coders merged
    many = blocks["coder"].nunique() > 1
    if many.any():
        merged_names = both.loc[both["_block"].isin(many.index[many])].groupby("_block")["coder"].agg(
            lambda s: ", ".join(sorted(set(s.dropna().astype(str)))))
        out.loc[merged_names.index, "coder"] = merged_names
    out["n_codings"] = blocks.size()
    out = out.drop(columns=["_start", "_end", "_doc", "_code"])
    for col in ["start", "end", "seg_first", "seg_last"]:
        out[col] = pd.to_numeric(out[col], errors="coerce").round().astype("Int64")
    return out.sort_values(["doc_id", "start", "seg_first", "code"], kind="stable").reset_index(drop=True)


def with_descendants(study, codings: pd.DataFrame, level: str | None) -> pd.DataFrame:
    """Each coding also as a coding of every ancestor of its code (DESIGN §4
    "Theme prevalence": a code is present where a code below it is).

    Parameters
    ----------
    study : Study
    codings : DataFrame
        Codings rolled up to ``level`` (``hierarchy.rollup``).
    level : str or None
        None (codes as applied): every ancestor; a level ('' the unnamed one):
        the ancestors at that same level only (a MAXQDA tree of unnamed codes),
        as codings above the level are not counted at it.

    Returns
    -------
    DataFrame
        ``codings`` followed by one copy per (coding, ancestor), ``code`` (and
        ``level``) set to the ancestor's; merge with ``merge_passages`` so a
        parent and its child on one quote count once.
    """
    if codings.empty or study.codebook.empty:
        return codings
    hierarchy = Hierarchy(study.codebook, levels_of(study) or None)
    if not hierarchy.parent:
        return codings
    pairs = codings[["code", "level"]].astype("string").fillna("").drop_duplicates()
    rows = []
    for code, lv in zip(pairs["code"], pairs["level"]):
        for name, above in hierarchy.chain(str(code), str(lv))[1:]:
            if level is None or above == level:
                rows.append((code, lv, name, above))
    if not rows:
        return codings
    table = pd.DataFrame(rows, columns=["code", "level", "_code", "_level"]).astype("string")
    keys = codings[["code", "level"]].astype("string").fillna("")
    joined = keys.reset_index().merge(table, on=["code", "level"], how="inner")
    extra = codings.loc[joined["index"].to_numpy()].copy()
    extra["code"] = joined["_code"].to_numpy()
    extra["level"] = joined["_level"].to_numpy()
    return pd.concat([codings, extra], ignore_index=True)


def passages(study, level=None, coder=None, at_or_below: bool = False) -> pd.DataFrame:
    """The passages every analysis counts: codings of the chosen coders,
    rolled up to ``level``, merged under the passage rule (module docstring).

    Parameters
    ----------
    study : Study
    level : str or None
        None: codes as applied; a level of ``study_levels`` (``"code"`` for the
        unnamed one): codes rolled up to it (codings above it, or in a branch
        without it, drop out).
    coder : None, "all", str or list of str
        See ``select_coders``.
    at_or_below : bool
        False: a code's own passages. True: a code's passages include those of
        the codes below it (``with_descendants``), as theme prevalence counts.

    Returns
    -------
    DataFrame
        One row per passage, the codings' columns plus ``n_codings``;
        ``participant_id`` is the first participant holding the passage (see
        ``holders``), <NA> for a passage only on interviewer turns.
        ``attrs["rule"]`` states the rules applied, and the codings the level cannot
        count (applied above it, or in a branch without it: ``not_counted_sentence``);
        ``attrs["not_counted"]`` lists them (``not_counted_at`` as records).

    Raises
    ------
    InputError
        Unknown level or coder.
    """
    return _remembered(study, (level, coder, bool(at_or_below)), lambda: _passages(study, level, coder, at_or_below))


def _passages(study, level, coder, at_or_below: bool) -> pd.DataFrame:
    level = check_level(study, level)
    codings = select_coders(study, coder)
    if not codings.index.is_unique:  # not_counted_at tells the rows rollup drops by their index
        codings = codings.reset_index(drop=True)
    rolled = rollup(codings, study.codebook, level, levels_of(study) or None)
    left_out = not_counted_at(study, codings, rolled, level)   # said, never dropped silently
    if at_or_below:
        rolled = with_descendants(study, rolled, level)
    merged = merge_passages(study, rolled)
    held = holders(study, merged)
    first_holder = held.drop_duplicates("row").set_index("row")["participant_id"]
    merged["participant_id"] = pd.array(first_holder.reindex(range(len(merged))).to_numpy(), dtype="string")
    note = not_counted_sentence(left_out, level)
    merged.attrs["rule"] = rule_text(study, coder, at_or_below) + (" " + note if note else "")
    merged.attrs["not_counted"] = left_out.to_dict("records")   # plain values: attrs are compared on concat
    merged.attrs["level"] = level
    return merged


# (tables fingerprint, parameters) -> passages, the most recent last. Keyed on content, not on the
# Study object: a report kernel reused from page to page loads the study afresh for each page
# (the profiles of 40 participants asked for the same passages 40 times).
_MEMO: collections.OrderedDict = collections.OrderedDict()
_MEMO_SIZE = 64


def _tables_fingerprint(study) -> tuple:
    """What ``passages`` reads, as a value: the content of the study's tables (the sha256 of
    each table pickled: its values, index, dtypes and attrs, rows in order, so the same rows in
    another order are another table), its levels and its configuration. A table changed in
    place changes it. Two equal tables whose bytes differ (arrow arrays chunked differently)
    only miss the memory; the pickle is about a tenth of the cost of pandas' row hashes, and
    a report page asks for the fingerprint a hundred times."""
    def content(frame):
        frame = getattr(study, frame, None)
        if not isinstance(frame, pd.DataFrame):
            return None
        return (frame.shape, hashlib.sha256(pickle.dumps(frame, protocol=5)).hexdigest())

    return (tuple(content(t) for t in ("codings", "segments", "codebook", "participants")),
            tuple(study.levels or ()), tuple(getattr(study, "configured_levels", None) or ()),
            repr(getattr(study, "config", None)))


def _remembered(study, key: tuple, compute) -> pd.DataFrame:
    """``compute()`` once per content of the study's tables and ``key``: a report page asks for
    the same passages tens of times (0.1–0.3 s each), and a reused kernel's next page again.
    Each caller gets its own copy (attrs too), so a caller changing it changes no one else's."""
    # a list parameter (several coders) as a tuple, so that the key can be hashed
    key = tuple(tuple(item) if isinstance(item, list) else item for item in key)
    try:
        memo_key = (_tables_fingerprint(study), key)
        hash(memo_key)
    except (TypeError, AttributeError, pickle.PicklingError):  # unpicklable cells, unhashable parameters:
        return compute()                                          # compute every time
    kept = _MEMO.get(memo_key)
    if kept is None:
        kept = _MEMO[memo_key] = compute()
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
    else:
        _MEMO.move_to_end(memo_key)
    out = kept.copy()
    out.attrs = copy.deepcopy(kept.attrs)
    return out


def coding_counts(study) -> dict[str, int]:
    """How the codings table's rows become the passages counted (codes as
    applied, the default coder selection): for the index and the import summary.

    Returns
    -------
    dict
        ``rows`` coding rows imported (every row of ``codings``);
        ``agreement`` rows from ``use: agreement`` entries (agreement only);
        ``other_coder`` rows of an analysis coder not counted where the primary
        coder coded the document; ``merged`` rows merged into another passage
        (overlapping codings of one code, exact duplicates);
        ``passages`` passages counted (``passages(study)``: codes as applied).
        ``rows == agreement + other_coder + merged + passages``.
    """
    codings = study.codings
    agreement = int((_use(codings) == AGREEMENT_USE).sum())
    counted = select_coders(study, None)
    found = len(merge_passages(study, counted))
    return {"rows": len(codings), "agreement": agreement, "other_coder": len(codings) - agreement - len(counted),
            "merged": len(counted) - found, "passages": found}


def coding_counts_sentence(counts: dict[str, int]) -> str:
    """``coding_counts`` in words, the counting rule stated (DESIGN §4)."""
    left = [(counts["agreement"], "for agreement only (use: agreement)"),
            (counts["other_coder"], "by a coder other than the document's primary coder"),
            (counts["merged"], "merged with another coding of the same code on overlapping text "
                               "(exact duplicates included)")]
    parts = [f"{n:,} {why}" for n, why in left if n]
    return (f"Coding rows imported: {counts['rows']:,}; passages counted: {counts['passages']:,} (codes as "
            f"applied; one passage counts once)." + (f" Not counted separately: {'; '.join(parts)}." if parts else ""))


def holders(study, passages_: pd.DataFrame) -> pd.DataFrame:
    """Who has each passage (DESIGN §4 "Who has a code").

    Returns
    -------
    DataFrame
        Columns ``row`` (position in ``passages_``) and ``participant_id``: one
        row per (passage, participant) for the participants whose own turns
        (any role but interviewer) the passage touches. A passage touching no
        known turn keeps its own ``participant_id``; one touching only
        interviewer turns has no row.
    """
    if passages_.empty:
        return pd.DataFrame({"row": pd.Series(dtype="int64"), "participant_id": pd.Series(dtype="string")})
    frame = passages_.reset_index(drop=True)
    turns = turns_touched(frame)
    turns["doc_id"] = turns["doc_id"].astype(str)
    seg = study.segments[["doc_id", "seg_no", "participant_id", "speaker_role"]].copy()
    seg["doc_id"] = seg["doc_id"].astype(str)
    seg["seg_no"] = seg["seg_no"].astype("int64")
    seg = seg.drop_duplicates(["doc_id", "seg_no"])
    joined = turns.merge(seg, on=["doc_id", "seg_no"], how="left")
    known = joined.loc[joined["speaker_role"].notna()]
    own = known.loc[(known["speaker_role"].astype(str) != "interviewer") & known["participant_id"].notna(),
                    ["row", "participant_id"]]
    unknown_rows = np.setdiff1d(np.arange(len(frame)), known["row"].unique())
    fallback = pd.DataFrame({"row": unknown_rows,
                             "participant_id": frame["participant_id"].to_numpy()[unknown_rows]}).dropna()
    out = pd.concat([own, fallback], ignore_index=True).drop_duplicates()
    out["participant_id"] = out["participant_id"].astype("string")
    return out.sort_values(["row"], kind="stable").reset_index(drop=True)


def rule_text(study, coder=None, at_or_below: bool = False) -> str:
    """The counting rules of ``passages`` as one paragraph for a report."""
    return " ".join([PASSAGE_RULE] + ([AT_OR_BELOW_RULE] if at_or_below else [])
                    + [coder_sentence(study, coder), HOLDER_RULE])


def coder_lines(codings: pd.DataFrame, config=None) -> list[str]:
    """For ``check``: one line per coder, "coder AK (primary): A1, A2, A3",
    marking the primary coder and reliability (agreement only) coders."""
    from types import SimpleNamespace

    table = coder_documents(SimpleNamespace(codings=codings, config=config, manifest={}))
    lines = []
    for row in table.itertuples(index=False):
        marks = [m for m, on in [("primary", row.primary), ("agreement only", row.use == AGREEMENT_USE)] if on]
        lines.append(f"coder {row.coder}{' (' + ', '.join(marks) + ')' if marks else ''}: {row.documents}")
    return lines


def uncounted_coder_warnings(codings: pd.DataFrame, config=None) -> list[str]:
    """Warnings for ``check``: documents coded by several analysis coders, where only the
    primary coder is counted (DESIGN §4 "Coders"), naming the codes that are therefore not
    counted there. Two coding files of one researcher with no coder column read as two
    coders (each named after its file): this says so instead of dropping codes unsaid.

    Parameters
    ----------
    codings : DataFrame
        The codings table (columns doc_id, code, coder, and use when present).
    config : StudyConfig, optional
        For ``primary_coder:``.

    Returns
    -------
    list of str
        One line per such document.
    """
    from types import SimpleNamespace

    study = SimpleNamespace(codings=codings, config=config, manifest={})
    ranked = coder_ranking(study)
    if len(ranked) < 2:
        return []
    analysis = codings.loc[(_use(codings) != AGREEMENT_USE) & codings["coder"].notna()]
    lines = []
    for doc_id, rows in analysis.groupby(analysis["doc_id"].astype(str), sort=True):
        coders = sorted(rows["coder"].astype(str).unique(), key=ranked.index)
        if len(coders) < 2:
            continue
        counted = set(rows.loc[rows["coder"].astype(str) == coders[0], "code"].astype(str))
        dropped = sorted(set(rows.loc[rows["coder"].astype(str) != coders[0], "code"].astype(str)) - counted)
        lost = f"; codes not counted there: {', '.join(dropped)}" if dropped else ""
        lines.append(f"{doc_id} is coded by {', '.join(coders)}: analyses count only the primary coder "
                     f"{coders[0]} there{lost} — if these are one researcher's files, give their codings entries "
                     f"one 'coder:' in study.yml; a reliability coder's entry takes 'use: agreement'")
    return lines


def attribute_groups(study, by: str, parameter: str = "by") -> pd.Series:
    """Each participant's group for attribute ``by``: its value as text, ``MISSING_GROUP`` where
    none is given.

    Parameters
    ----------
    study : Study
    by : str
        A participant attribute (``check_attribute``).
    parameter : str
        The parameter's name, for the message.

    Returns
    -------
    Series of str
        Indexed by participant_id (as text, each once), in participants order.

    Raises
    ------
    ValueError
        ``by`` is not a participant attribute.
    """
    check_attribute(study, by, parameter)
    table = study.participants
    values = table[by].astype("string").fillna(MISSING_GROUP)
    out = pd.Series(values.to_numpy(dtype=object), index=table["participant_id"].astype(str).to_numpy())
    return out[~out.index.duplicated()]


def ordered_codes(codebook: pd.DataFrame, level: str | None, applied=(), keep_unapplied: bool = True) -> list[str]:
    """The order codes are listed in: codebook order at ``level``, then the applied codes the
    codebook lacks, by name.

    Parameters
    ----------
    codebook : DataFrame
        The codebook (``code``, ``level``).
    level : str or None
        The level as the codings spell it ('' the unnamed one); None: every codebook code.
    applied : iterable of str
        The codes found in the codings counted.
    keep_unapplied : bool
        True: every codebook code at ``level``; False: only those in ``applied``.

    Returns
    -------
    list of str
        Each code once.
    """
    applied = {str(c) for c in applied if c is not None and not pd.isna(c)}
    book = codes_at(codebook, level)
    if not keep_unapplied:
        book = [c for c in book if c in applied]
    return book + sorted(applied - set(book))
