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

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .errors import InputError, ProblemList
from .hierarchy import DEFAULT_LEVELS, Hierarchy, normalise_level, rollup

CODE_LEVEL = "code"          # the name of the unnamed level
TOP = "top"                  # a level parameter meaning the study's top level (its themes)
ALL_CODERS = "all"
AGREEMENT_USE = "agreement"

PASSAGE_RULE = ("One passage, one application: codings of one document and one code whose coded text "
                "overlaps (after roll-up to the level) count once, as one passage covering their union; "
                "a code entered twice on the same text counts once.")
AT_OR_BELOW_RULE = ("A code's passages include those of the codes below it in the hierarchy, merged: a "
                     "quote coded with a code and with its own sub-code counts once for the code.")
HOLDER_RULE = ("A passage counts for every participant whose turn it touches; a passage only on "
               "interviewer turns gives no participant the code (it still counts in turn units).")


# -- levels ------------------------------------------------------------------------

def _configured(study) -> list[str]:
    config = getattr(study, "config", None)
    levels = getattr(config, "levels", None) or getattr(study, "configured_levels", None)
    return [str(lv) for lv in (levels or DEFAULT_LEVELS)]


def study_levels(codebook: pd.DataFrame, codings: pd.DataFrame, configured: list[str] | None = None) -> list[str]:
    """The levels a study has, most specific first, named as users write them.

    Parameters
    ----------
    codebook, codings : DataFrame
        The processed tables (their ``level`` columns; '' is the unnamed level).
    configured : list of str, optional
        ``levels:`` of study.yml (default ``DEFAULT_LEVELS``): the ranking.

    Returns
    -------
    list of str
        Every level used by the codebook or the codings, '' given as ``code``.
        Levels ``configured`` names rank as it says; a level it does not name
        is placed by the depth of its codes in the hierarchy (deeper = more
        specific), after the named ones of the same depth.
    """
    configured = [normalise_level(lv) or CODE_LEVEL for lv in (configured or DEFAULT_LEVELS)]
    # a coding without a level whose code the codebook names at one level is at that level
    # (a second coder's sheet with a plain "Codes" column), not at an unnamed level of its own
    hierarchy = Hierarchy(codebook, configured)
    pairs = codings[["code", "level"]].fillna("").astype(str).drop_duplicates()
    applied = [hierarchy.node(code, level)[1] for code, level in zip(pairs["code"], pairs["level"])]
    used = pd.concat([codebook["level"].fillna("").astype(str), pd.Series(applied, dtype=object)])
    present = list(dict.fromkeys(lv or CODE_LEVEL for lv in used))
    if not present:
        return []
    if all(lv in configured for lv in present):
        return sorted(present, key=configured.index)
    depth = _level_depths(codebook, configured)
    if CODE_LEVEL in present and CODE_LEVEL not in configured and not _unnamed_codes_are_parents(codebook):
        # codes at no named level that sit above nothing (a code applied but missing from the
        # codebook, a typo) are codes as applied: the most specific level, never the top one,
        # which would make them the study's "themes"
        depth[CODE_LEVEL] = float("inf")
    def key(lv):
        rank = configured.index(lv) if lv in configured else len(configured)
        return (-depth.get(lv, 0.0), rank, lv)
    return sorted(present, key=key)


def _unnamed_codes_are_parents(codebook: pd.DataFrame) -> bool:
    """Whether a code at the unnamed level is the parent of a code at a named level."""
    if codebook.empty:
        return False
    level = codebook["level"].fillna("").astype(str)
    unnamed = set(codebook.loc[level == "", "code"].astype(str))
    return bool(unnamed & set(codebook.loc[level != "", "parent"].fillna("").astype(str)))


def _level_depths(codebook: pd.DataFrame, configured: list[str]) -> dict[str, float]:
    """Mean number of ancestors of each level's codes."""
    hierarchy = Hierarchy(codebook, configured)
    depths: dict[str, list[int]] = {}
    for code, level in hierarchy.nodes:
        depths.setdefault(level or CODE_LEVEL, []).append(len(hierarchy.chain(code, level)) - 1)
    return {lv: float(np.mean(d)) for lv, d in depths.items()}


def levels_of(study) -> list[str]:
    """``study_levels`` of a Study (its codebook, codings and study.yml levels)."""
    return study_levels(study.codebook, study.codings, _configured(study))


def check_level(study, level, parameter: str = "level") -> str | None:
    """A level parameter as the codings spell it, or an error.

    Parameters
    ----------
    study : Study
    level : str or None
        None (codes as applied), ``"code"`` (the unnamed level) or a level
        name; case and the words "code"/"coding" are ignored ("Focused coding"
        is ``focused``). The string "None" (a command-line parameter) is None.
        ``"top"`` (``TOP``) is the study's top level (``default_level(study,
        "top")``), unless the study has a level named "top".
    parameter : str
        The parameter's name, for the message.

    Returns
    -------
    str or None
        None, '' for the unnamed level, or the level's name.

    Raises
    ------
    InputError
        The level is not one of the study's levels; the message lists them.
    """
    if level is None or (isinstance(level, str) and level.strip().lower() in ("none", "null")):
        return None
    if not isinstance(level, str):
        raise InputError.one(f"parameter {parameter}", f"level {level!r} is not a level name",
                             f"use None or one of the study's levels: {', '.join(levels_of(study)) or '(none)'}")
    levels = levels_of(study)
    name = normalise_level(level)
    wanted = name or CODE_LEVEL
    if wanted == TOP and TOP not in levels:
        return default_level(study, "top")
    if wanted not in levels:
        raise InputError.one(f"parameter {parameter}", f"unknown level '{level}'",
                             f"use None (codes as applied) or one of the study's levels: "
                             f"{', '.join(levels) or '(the study has no codes)'}")
    return "" if wanted == CODE_LEVEL else name


def level_label(level: str | None) -> str:
    """How a level is named in reports: 'codes as applied', 'code', 'theme'."""
    if level is None:
        return "codes as applied"
    return level or CODE_LEVEL


def default_level(study, which: str) -> str | None:
    """The study's own choice of level: ``"specific"`` the most specific level,
    ``"top"`` the most general; None when the study has no codes."""
    levels = levels_of(study)
    if not levels:
        return None
    chosen = levels[0] if which == "specific" else levels[-1]
    return "" if chosen == CODE_LEVEL else chosen


def resolve_level(study, level, which: str = "specific", parameter: str = "level") -> str | None:
    """A notebook's level parameter: None means the study's own choice
    (``default_level(study, which)``), anything else is ``check_level``'d."""
    if level is None or (isinstance(level, str) and level.strip().lower() in ("none", "null")):
        return default_level(study, which)
    return check_level(study, level, parameter)


# -- coders ------------------------------------------------------------------------

def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _use(codings: pd.DataFrame) -> pd.Series:
    if "use" in codings.columns:
        return codings["use"].fillna("analysis").astype(str)
    return pd.Series("analysis", index=codings.index)


def agreement_only_coders(study) -> list[str]:
    """Coders all of whose codings come from ``use: agreement`` entries."""
    codings = study.codings
    use = _use(codings)
    analysis = set(codings.loc[use != AGREEMENT_USE, "coder"].dropna().astype(str))
    return sorted(set(codings.loc[use == AGREEMENT_USE, "coder"].dropna().astype(str)) - analysis)


def coder_ranking(study) -> list[str]:
    """Analysis coders, the primary first: ``primary_coder:`` of study.yml, then
    by number of coded documents (most first), ties by name."""
    codings = study.codings.loc[_use(study.codings) != AGREEMENT_USE]
    codings = codings.loc[codings["coder"].notna()]
    n_docs = codings.groupby(codings["coder"].astype(str))["doc_id"].nunique()
    ranked = sorted(n_docs.index, key=lambda c: (-int(n_docs[c]), c))
    named = primary_coder_setting(study)
    if named is not None and named in ranked:
        ranked.remove(named)
        ranked.insert(0, named)
    return ranked


def primary_coder_setting(study) -> str | None:
    config = getattr(study, "config", None)
    named = getattr(config, "primary_coder", None)
    if named is None:
        named = (getattr(study, "manifest", None) or {}).get("parameters", {}).get("primary_coder")
    return None if named is None else str(named)


def primary_coder(study) -> str | None:
    """The coder counted where several analysis coders coded a document."""
    ranked = coder_ranking(study)
    return ranked[0] if ranked else None


def check_coder(study, coder) -> list[str] | None:
    """A coder parameter: None (the primary coder per document), ``"all"``, a
    name or a list of names. Returns None for per-document primary, else the
    coders to merge.

    Raises
    ------
    InputError
        A coder named who has no codings; the message lists the study's coders.
    """
    if coder is None or (isinstance(coder, str) and coder.strip().lower() in ("none", "null", "")):
        return None
    known = sorted(study.codings["coder"].dropna().astype(str).unique())
    if isinstance(coder, str) and coder.strip().lower() == ALL_CODERS:
        return coder_ranking(study)
    names = [str(c) for c in _as_list(coder)]
    unknown = [c for c in names if c not in known]
    if unknown:
        raise InputError.one("parameter coder", f"coder(s) {', '.join(unknown)} have no codings",
                             f"use None (the primary coder), \"all\", or among the study's coders: "
                             f"{', '.join(known) or '(none)'}")
    return list(dict.fromkeys(names))


def select_coders(study, coder=None) -> pd.DataFrame:
    """The codings counted for ``coder`` (see ``check_coder``), before roll-up.

    ``coder=None``: in each document, the codings of the highest-ranked
    analysis coder who coded it (``coder_ranking``); agreement-only codings
    never count unless their coder is named.
    """
    codings = study.codings
    chosen = check_coder(study, coder)
    if chosen is not None:
        named = coder is not None and not (isinstance(coder, str) and coder.strip().lower() == ALL_CODERS)
        keep = codings["coder"].astype("string").isin(chosen).fillna(False)
        if not named:
            keep &= _use(codings) != AGREEMENT_USE
        return codings.loc[keep]
    codings = codings.loc[_use(codings) != AGREEMENT_USE]
    ranked = coder_ranking(study)
    if len(ranked) <= 1:
        return codings
    rank = {c: i for i, c in enumerate(ranked)}
    coder_rank = codings["coder"].astype("string").map(rank).astype("float64").fillna(len(ranked))
    best = coder_rank.groupby(codings["doc_id"].astype(str)).transform("min")
    return codings.loc[coder_rank == best]


def coder_sentence(study, coder=None) -> str:
    """Which coders' codings are counted, in words, for every report."""
    chosen = check_coder(study, coder)
    ranked = coder_ranking(study)
    reliability = agreement_only_coders(study)
    tail = (f" {', '.join(reliability)} coded for agreement only (use: agreement) and "
            f"{'is' if len(reliability) == 1 else 'are'} not counted here." if reliability else "")
    if chosen is not None:
        if len(chosen) == 1:
            return f"Coder: {chosen[0]}'s codings only."
        return (f"Coders: {', '.join(chosen)} merged (a passage any of them coded counts once).")
    if not ranked:
        return "Coder: no coder named."
    if len(ranked) == 1:
        return f"Coder: {ranked[0]} (the only analysis coder).{tail}"
    why = "named primary_coder in study.yml" if primary_coder_setting(study) == ranked[0] else \
        "the coder with most coded documents"
    return (f"Coder: where several coders coded a document, only the primary coder {ranked[0]} ({why}) is "
            f"counted; other coders count only in documents {ranked[0]} did not code "
            f"(coder=\"all\" merges every coder).{tail}")


def coder_documents(study) -> pd.DataFrame:
    """Per coder: use (analysis / agreement), documents coded (names), and
    whether they are the primary coder. For ``check`` and the reports."""
    codings = study.codings.loc[study.codings["coder"].notna()]
    use = _use(codings)
    ranked = coder_ranking(study)
    rows = []
    for name in sorted(codings["coder"].astype(str).unique()):
        mine = codings["coder"].astype(str) == name
        docs = sorted(codings.loc[mine, "doc_id"].astype(str).unique())
        kind = AGREEMENT_USE if (use[mine] == AGREEMENT_USE).all() else "analysis"
        rows.append({"coder": name, "use": kind, "primary": bool(ranked and ranked[0] == name),
                     "n_documents": len(docs), "documents": ", ".join(docs)})
    return pd.DataFrame(rows, columns=["coder", "use", "primary", "n_documents", "documents"])


# -- passages ------------------------------------------------------------------------

def coding_spans(study, codings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) of each coding; a coding without offsets covers its turns
    (start of ``seg_first`` .. end of ``seg_last``); NaN when neither is known."""
    start = codings["start"].to_numpy(dtype="float64", na_value=np.nan).copy()
    end = codings["end"].to_numpy(dtype="float64", na_value=np.nan).copy()
    missing = np.isnan(start) | np.isnan(end)
    if missing.any() and len(study.segments):
        seg = study.segments
        index = pd.MultiIndex.from_arrays([seg["doc_id"].astype(str), seg["seg_no"].astype("float64")])
        sub = codings.loc[missing]
        first = sub["seg_first"].astype("float64")
        last = sub["seg_last"].astype("float64").fillna(first)
        at_first = index.get_indexer(pd.MultiIndex.from_arrays([sub["doc_id"].astype(str), first]))
        at_last = index.get_indexer(pd.MultiIndex.from_arrays([sub["doc_id"].astype(str), last]))
        seg_start = seg["start"].to_numpy(dtype="float64", na_value=np.nan)
        seg_end = seg["end"].to_numpy(dtype="float64", na_value=np.nan)
        start[missing] = np.where(at_first >= 0, seg_start[np.maximum(at_first, 0)], np.nan)
        end[missing] = np.where(at_last >= 0, seg_end[np.maximum(at_last, 0)], np.nan)
    return start, end


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
        ``attrs["rule"]`` states the rules applied.

    Raises
    ------
    InputError
        Unknown level or coder.
    """
    level = check_level(study, level)
    codings = select_coders(study, coder)
    rolled = rollup(codings, study.codebook, level, levels_of(study) or None)
    if at_or_below:
        rolled = with_descendants(study, rolled, level)
    merged = merge_passages(study, rolled)
    held = holders(study, merged)
    first_holder = held.drop_duplicates("row").set_index("row")["participant_id"]
    merged["participant_id"] = pd.array(first_holder.reindex(range(len(merged))).to_numpy(), dtype="string")
    merged.attrs["rule"] = rule_text(study, coder, at_or_below)
    merged.attrs["level"] = level
    return merged


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
    first = frame["seg_first"].to_numpy(dtype="float64", na_value=np.nan)
    last = frame["seg_last"].to_numpy(dtype="float64", na_value=np.nan)
    last = np.where(np.isnan(last), first, last)
    located = ~np.isnan(first)
    rows = np.flatnonzero(located)
    lengths = np.maximum(last[located] - first[located] + 1, 1).astype(np.int64)
    expanded = np.repeat(rows, lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    turns = pd.DataFrame({"row": expanded, "doc_id": frame["doc_id"].astype(str).to_numpy()[expanded],
                          "seg_no": (np.repeat(first[located], lengths) + offsets).astype(np.int64)})
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


def check_parameters(study, params: dict) -> None:
    """Refuse, before any notebook runs, a level or coder parameter the study
    does not have (one line each, listing the study's levels or coders).

    Parameters
    ----------
    study : Study
    params : dict
        Notebook parameters (``-p NAME=VALUE``): every name ending in "level"
        is a level (None and "as applied" allowed), "coder"/"coders" coders.

    Raises
    ------
    InputError
        One problem per bad parameter.
    """
    problems = ProblemList()
    for name, value in params.items():
        try:
            if name.endswith("level") and value != "as applied":
                check_level(study, value, name)
            elif name in ("coder", "coders") and value is not None:
                check_coder(study, value)
        except InputError as exc:
            problems.extend(exc)
    problems.raise_if_any()
