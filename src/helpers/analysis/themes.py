"""Themes across participants: prevalence, recurrence, the Framework matrix,
negative cases, code lines and saturation (DESIGN §4).

Counting rules shared by every function here:

- Participant attribution is ``codings.participant_id``: a coding counts for
  the participant it is attributed to, whoever speaks the turns it touches.
  Codings attributed to no participant are left out.
- ``level`` defaults to ``"top"`` (``counting.TOP``): the study's top level,
  ``counting.default_level(study, "top")`` — the level notebooks 04 and 05 use
  when their ``level`` parameter is None. ``level=None`` means codes as
  applied; a level name means every coding is first rolled up to its ancestor
  at that level (``hierarchy.rollup``). Either way a participant "has" a code
  when any passage at or below it is attributed to them (DESIGN §4 "Theme
  prevalence"; ``counting.passages(..., at_or_below=True)``): a parent code
  counts its children's passages (merged with its own), also where parent and
  child sit at one level (a MAXQDA code tree). Codings with no ancestor at that
  level drop out.
- A coding touches the turns ``seg_first`` .. ``seg_last`` of its document
  (a coding spanning turns 3–5 touches 3, 4 and 5).
- Rows are every participant of ``study.participants`` in that order (one
  with no coding is all zeros), followed by any participant the codings name
  that the participants table lacks; columns are the codebook's codes at the
  level in codebook order (a code with no codings still appears), followed by
  applied codes the codebook lacks, by name.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from helpers import atomic
from helpers.counting import TOP, check_level, coder_sentence, default_level, holders, level_label, passages
from helpers.hierarchy import codes_at, level_rank
from helpers.tables import coding_turns
from helpers.textutil import study_analyzer

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

VALUES = ("presence", "count", "segments", "share")
GROUP_MISSING = "(not given)"


# -- shared building blocks -------------------------------------------------

def _held(study, level, coder=None, at_or_below: bool = False) -> pd.DataFrame:
    """The passages at ``level`` (``counting.passages``: chosen coder, one
    passage one application), one row per (passage, participant holding it)
    (``counting.holders``); ``passage`` numbers the passage. Passages only on
    interviewer turns give no participant the code and are left out here."""
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
    codebook lacks, by name."""
    codes = codes_at(study.codebook, level)
    known = set(codes)
    extra = sorted(set(rolled["code"].dropna().astype(str).unique()) - known)
    return codes + extra


def _participant_order(study, codings: pd.DataFrame) -> list[str]:
    ids = list(dict.fromkeys(study.participants["participant_id"].dropna().astype(str)))
    extra = sorted(set(codings["participant_id"].dropna().astype(str).unique()) - set(ids))
    return ids + extra


def _labels(study, ids) -> pd.Series:
    """participant_id -> pseudonym (the id itself where none is given)."""
    known = study.participant_label()
    known = pd.Series(known.astype(str).values, index=known.index.astype(str))
    ids = pd.Index([str(i) for i in ids])
    return pd.Series(known.reindex(ids).fillna(pd.Series(ids, index=ids)).values, index=ids)


def _coding_turns(codings: pd.DataFrame) -> pd.DataFrame:
    return coding_turns(codings)


def _turn_words(study) -> pd.DataFrame:
    seg = study.segments[["doc_id", "seg_no", "n_words"]].copy()
    seg["seg_no"] = seg["seg_no"].astype("int64")
    seg["n_words"] = seg["n_words"].fillna(0).astype("int64")
    return seg.drop_duplicates(["doc_id", "seg_no"])


# -- 1. participants x codes ---------------------------------------------------

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
    if value not in VALUES:
        raise ValueError(f"value must be one of {', '.join(VALUES)}, not {value!r}")
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
    turns = _coding_turns(rolled)[["participant_id", "code", "doc_id", "seg_no"]].drop_duplicates()
    if value == "segments":
        counts = turns.groupby(["participant_id", "code"]).size()
        return _to_matrix(counts, pids, codes).astype("int64")
    words = _turn_words(study)
    carried = turns.merge(words, on=["doc_id", "seg_no"], how="left")
    numerator = carried.groupby(["participant_id", "code"])["n_words"].sum()
    coded = (_coding_turns(_codings(study, coder))[["participant_id", "doc_id", "seg_no"]]
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


# -- 2. recurrence --------------------------------------------------------------

def recurrence(study: Study, level: str | None = TOP, threshold: float = 0.5, by: str | None = None) -> pd.DataFrame:
    """Per code at ``level``: how many participants have it (presence, as in
    ``theme_matrix``) out of how many, and whether that share reaches
    ``threshold``.

    Columns: [by,] code, n, N, share, names, recurrent, note. ``names`` are the
    pseudonyms of the participants with it, sorted, comma-separated.
    ``recurrent`` is <NA> and ``note`` reads "group too small" for a group
    (or study) of fewer than 3 participants (DESIGN §4).
    ``recurrent`` is ``share >= threshold`` ("reaches": with the default one
    half, 2 of 4 participants is recurrent). With ``by`` (a participants
    attribute) the same is computed within each attribute group (N = the
    group's participants; a missing value forms the group "(not given)").

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    level : str or None, default "top"
        The level of the codes (codings below rolled up): "top" the study's top level,
        a level name, or None for codes as applied.
    threshold : float, default 0.5
        The share (0–1) of participants at which a code is recurrent.
    by : str, optional
        A participants attribute: the same within each group.

    Returns
    -------
    DataFrame
        One row per code (per group with ``by``), columns as above; default RangeIndex.

    Raises
    ------
    ValueError
        ``by`` is not a participants attribute.
    InputError
        Unknown level.
    """
    presence = theme_matrix(study, level, "presence")
    labels = _labels(study, presence.index)
    if by is None:
        out = _recurrence_rows(presence, labels, threshold)
        out.attrs["rule"] = presence.attrs.get("rule", "")
        return out
    if by not in study.participants.columns:
        raise ValueError(f"participants have no attribute {by!r}; they have: "
                         + ", ".join(map(str, study.participants.columns)))
    attribute = (study.participants.assign(participant_id=study.participants["participant_id"].astype(str))
                 .drop_duplicates("participant_id").set_index("participant_id")[by])
    groups = attribute.reindex(presence.index).astype("string").fillna(GROUP_MISSING)
    parts = []
    for group in sorted(groups.unique()):
        members = groups.index[groups == group]
        parts.append(_recurrence_rows(presence.loc[members], labels, threshold).assign(**{by: group}))
    out = pd.concat(parts, ignore_index=True)
    return out[[by] + [c for c in out.columns if c != by]]


MIN_RECURRENCE_GROUP = 3   # DESIGN §4: recurrence is not computed for groups under 3


def _recurrence_rows(presence: pd.DataFrame, labels: pd.Series, threshold: float) -> pd.DataFrame:
    n = presence.sum(axis=0).astype("int64")
    total = len(presence)
    share = n / total if total else pd.Series(np.nan, index=presence.columns)
    names = [", ".join(sorted(labels.loc[presence.index[presence[code] > 0]])) for code in presence.columns]
    # "reaches": a share equal to the threshold counts, even after float rounding.
    recurrent = (share >= threshold) | np.isclose(share.astype("float64"), threshold)
    recurrent = pd.array(recurrent.fillna(False).astype(bool).values, dtype="boolean")
    note = ""
    if total < MIN_RECURRENCE_GROUP:
        # one or two people cannot make a pattern "recurrent": not computed, and said so
        recurrent[:] = pd.NA
        note = f"group too small ({total} participant{'s' if total != 1 else ''}; recurrence needs {MIN_RECURRENCE_GROUP})"
    return pd.DataFrame({"code": list(presence.columns), "n": n.values, "N": total,
                         "share": share.astype("float64").values, "names": names,
                         "recurrent": recurrent, "note": note})


# -- 3. the Framework matrix ------------------------------------------------------

def _analyzer(study):
    """Tokens as every word analysis counts them (``textutil.study_analyzer``)."""
    return study_analyzer(study)


def _turn_counts(study, texts: pd.Series):
    """Word counts of ``texts`` (one row per turn; columns the sorted
    vocabulary of ``_analyzer``), or None when no word is left at all.

    Every framework matrix and every participant profile needs the counts of
    all the study's turns, and tokenizing them is most of the cost; so for a
    study on disk they are kept in ``processed/cache/`` (see
    ``_turn_counts_cache``). A cache that cannot be read or written is ignored.
    """
    import io
    import zipfile

    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer

    analyzer = _analyzer(study)
    cache = _turn_counts_cache(study, texts, analyzer)
    if cache is not None:
        try:
            return sparse.load_npz(cache).tocsr()
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # absent or unreadable: recompute
            pass
    try:
        counts = CountVectorizer(analyzer=analyzer, dtype=np.float64).fit_transform(texts)
    except ValueError:  # empty vocabulary
        return None
    if cache is not None:
        buffer = io.BytesIO()
        sparse.save_npz(buffer, counts, compressed=True)
        try:
            atomic.write_bytes(cache, buffer.getvalue())
        except OSError:  # a read-only study folder: compute each time
            pass
    return counts


def _turn_counts_cache(study, texts: pd.Series, analyzer) -> Path | None:
    """``processed/cache/turn_counts-<key>.npz``, the key a hash of the texts,
    the stop words and fillers, the tokenizer's source and the scikit-learn
    version, so that any change to them misses the cache (ingest also replaces
    the whole processed folder). Counts only: no word is stored. None for a
    study in memory, or when the tokenizer's source cannot be read."""
    import hashlib
    import inspect

    import sklearn

    from helpers import textutil

    if getattr(study, "paths", None) is None:
        return None
    try:
        tokenizer_source = inspect.getsource(textutil)
    except (OSError, TypeError):
        return None
    digest = hashlib.sha256()
    for part in (sklearn.__version__, tokenizer_source, "\x00".join(sorted(analyzer.keywords["stopwords"])),
                 "\x00".join(sorted(analyzer.keywords["fillers"])),
                 "\x00".join(sorted(analyzer.keywords.get("placeholders") or ()))):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x01")
    for text in texts:
        encoded = text.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "little") + encoded)
    return study.paths.processed / "cache" / f"turn_counts-{digest.hexdigest()[:32]}.npz"


def _typicality(study, theme_turns: pd.DataFrame) -> pd.DataFrame:
    """Per (code, doc_id, seg_no) of ``theme_turns``: the mean TF-IDF cosine
    similarity of the turn to the code's OTHER turns (0 when it has none).

    IDF is fitted on every turn of the study.
    """
    from sklearn.feature_extraction.text import TfidfTransformer

    segments = study.segments.reset_index(drop=True)
    position = pd.Series(np.arange(len(segments)),
                         index=pd.MultiIndex.from_arrays([segments["doc_id"].astype(str),
                                                          segments["seg_no"].astype("int64")]))
    turns = theme_turns[["code", "doc_id", "seg_no"]].drop_duplicates().reset_index(drop=True)
    keys = pd.MultiIndex.from_arrays([turns["doc_id"].astype(str), turns["seg_no"].astype("int64")])
    turns["row"] = position.reindex(keys).to_numpy()
    turns = turns.loc[turns["row"].notna()].copy()
    turns["row"] = turns["row"].astype("int64")
    turns["typicality"] = 0.0
    counts = _turn_counts(study, segments["text"].fillna("").astype(str))
    if counts is None:  # no word left in the whole study (all stop words): every turn equally typical
        return turns
    # The same as TfidfVectorizer(analyzer=...).fit_transform(texts): counts, then IDF and L2 rows.
    vectors = TfidfTransformer().fit_transform(counts)
    for code, idx in turns.groupby("code", sort=False).groups.items():
        rows = vectors[turns.loc[idx, "row"].to_numpy()]
        if rows.shape[0] < 2:
            continue
        # Rows are L2-normalised, so x·(sum of rows) is the sum of cosines,
        # self included; take the self term (|x|², 1 or 0) out.
        sums = np.asarray(rows @ np.asarray(rows.sum(axis=0)).ravel()).ravel()
        self_sim = np.asarray(rows.multiply(rows).sum(axis=1)).ravel()
        turns.loc[idx, "typicality"] = (sums - self_sim) / (rows.shape[0] - 1)
    return turns


def _exemplars(study, rolled: pd.DataFrame, k: int, min_words: int, max_words: int) -> pd.DataFrame:
    """Up to ``k`` quotes per (participant, code): see ``framework_matrix``."""
    turns = _coding_turns(rolled)[["participant_id", "code", "doc_id", "seg_no"]].drop_duplicates()
    columns = ["participant_id", "code", "rank", "doc_id", "seg_no", "text", "typicality"]
    if turns.empty or k <= 0:
        return pd.DataFrame(columns=columns)
    segments = study.segments[["doc_id", "seg_no", "participant_id", "speaker_role", "text", "n_words"]].rename(
        columns={"participant_id": "speaker_id"})
    segments = segments.assign(seg_no=segments["seg_no"].astype("int64")).drop_duplicates(["doc_id", "seg_no"])
    typical = _typicality(study, turns)[["code", "doc_id", "seg_no", "typicality"]]
    cand = turns.merge(segments, on=["doc_id", "seg_no"], how="inner").merge(
        typical, on=["code", "doc_id", "seg_no"], how="left")
    cand["typicality"] = cand["typicality"].fillna(0.0)
    # Tier 1: the participant's own participant-role turns, when the cell has any.
    cand["preferred"] = (cand["speaker_role"] == "participant").fillna(False) & (
        cand["speaker_id"].isna() | (cand["speaker_id"].astype("string") == cand["participant_id"].astype("string"))
    ).fillna(False)
    cand = _keep_tier(cand, "preferred")
    # Tier 2: within that, turns of a quotable length, when the cell has any.
    n_words = cand["n_words"].fillna(0)
    cand["in_range"] = (n_words >= min_words) & (n_words <= max_words)
    cand = _keep_tier(cand, "in_range")
    cand = cand.sort_values(["participant_id", "code", "typicality", "doc_id", "seg_no"],
                            ascending=[True, True, False, True, True], kind="mergesort")
    picked = cand.groupby(["participant_id", "code"], sort=False).head(k).copy()
    picked["rank"] = picked.groupby(["participant_id", "code"], sort=False).cumcount() + 1
    picked["text"] = picked["text"].fillna("").astype(str).str.strip()
    return picked[columns].reset_index(drop=True)


def _keep_tier(cand: pd.DataFrame, flag: str) -> pd.DataFrame:
    """Rows with ``flag``, except in cells where no row has it (fall back to all)."""
    any_in_cell = cand.groupby(["participant_id", "code"])[flag].transform("any")
    return cand.loc[cand[flag] | ~any_in_cell]


def _turn_refs(study, picked: pd.DataFrame) -> pd.Series:
    """'P03 t12' (pseudonym, turn number); 'P03 <doc_id> t12' for a
    participant coded in more than one document."""
    labels = _labels(study, picked["participant_id"].astype(str))
    n_docs = _codings(study).groupby("participant_id")["doc_id"].nunique()
    many = picked["participant_id"].map(n_docs).fillna(1).to_numpy() > 1
    base = labels.to_numpy().astype(object)
    doc = np.where(many, " " + picked["doc_id"].astype(str).to_numpy(), "")
    return pd.Series([f"{b}{d} t{s}" for b, d, s in zip(base, doc, picked["seg_no"].astype("int64"))],
                     index=picked.index, dtype="string")


def framework_matrix(study: Study, level: str | None = TOP, quotes_per_cell: int = 2, min_words: int = 8,
                     max_words: int = 80, form: str = "wide") -> pd.DataFrame:
    """The Framework Method chart: participants x codes at ``level``.

    Each cell gives the number of codings (applications) and of distinct turns
    they touch (as ``theme_matrix`` ``count`` and ``segments``), and up to
    ``quotes_per_cell`` exemplar quotes, chosen deterministically:

    1. candidates are the turns carrying the code that the participant's
       codings touch; the participant's own participant-role turns are used
       when the cell has any (else all candidates);
    2. of those, turns with ``min_words <= n_words <= max_words`` are used when
       the cell has any (else any length);
    3. the most typical come first: highest mean TF-IDF cosine similarity
       (scikit-learn TfidfVectorizer on the project's tokens, stop words and
       fillers removed, IDF over all the study's turns) to the code's OTHER
       turns across all participants; ties by (doc_id, seg_no).

    Each quote carries its turn reference, "P03 t12" (pseudonym and turn).

    ``form="long"``: one row per participant x code with participant_id,
    participant, code, n_codings, n_turns, quote_1, ref_1, … (every cell,
    empty ones included). ``form="wide"``: participant_id, participant, then
    one column per code whose cell reads "2 passages · 3 turns" followed by
    the quotes, one a line, “text” (ref); empty when the participant has no
    coding of it.

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    level : str or None, default "top"
        The level of the codes (codings below rolled up): "top" the study's top level,
        a level name, or None for codes as applied.
    quotes_per_cell : int, default 2
        Exemplar quotes per cell.
    min_words, max_words : int, default 8 and 80
        Preferred length of a quote's turn, in words.
    form : str, default "wide"
        "wide" or "long", as above.

    Returns
    -------
    DataFrame
        As above; default RangeIndex.

    Raises
    ------
    ValueError
        ``form`` is neither "wide" nor "long".
    InputError
        Unknown level.
    """
    if form not in ("wide", "long"):
        raise ValueError(f"form must be 'wide' or 'long', not {form!r}")
    level = check_level(study, level)
    rolled = _rolled(study, level)
    codes = _code_order(study, level, rolled)
    pids = _participant_order(study, _codings(study))
    labels = _labels(study, pids)
    n_codings = theme_matrix(study, level, "count").stack().rename("n_codings")
    n_turns = theme_matrix(study, level, "segments").stack().rename("n_turns")
    long = pd.concat([n_codings, n_turns], axis=1).reset_index()
    long.insert(1, "participant", labels.reindex(long["participant_id"].astype(str)).to_numpy())
    picked = _exemplars(study, rolled, quotes_per_cell, min_words, max_words)
    if not picked.empty:
        picked = picked.assign(ref=_turn_refs(study, picked))
    for rank in range(1, quotes_per_cell + 1):
        chosen = picked.loc[picked["rank"] == rank, ["participant_id", "code", "text", "ref"]] if not picked.empty \
            else pd.DataFrame(columns=["participant_id", "code", "text", "ref"])
        chosen = chosen.rename(columns={"text": f"quote_{rank}", "ref": f"ref_{rank}"})
        chosen = chosen.astype({"participant_id": "string", "code": "string"})
        long = long.astype({"participant_id": "string", "code": "string"}).merge(
            chosen, on=["participant_id", "code"], how="left")
    long = long.astype({f"quote_{r}": "string" for r in range(1, quotes_per_cell + 1)}
                       | {f"ref_{r}": "string" for r in range(1, quotes_per_cell + 1)})
    if form == "long":
        return long
    return _wide(long, pids, labels, codes, quotes_per_cell)


def _cell_texts(long: pd.DataFrame, quotes_per_cell: int) -> pd.Series:
    """'2 passages · 3 turns' then one “quote” (ref) a line; '' for an empty cell
    (``n_codings`` counts passages: one passage, one application)."""
    n_codings, n_turns = long["n_codings"].astype("int64"), long["n_turns"].astype("int64")
    text = (n_codings.astype(str) + np.where(n_codings == 1, " passage", " passages") + " · "
            + n_turns.astype(str) + np.where(n_turns == 1, " turn", " turns"))
    for rank in range(1, quotes_per_cell + 1):
        quote, ref = long[f"quote_{rank}"], long[f"ref_{rank}"]
        line = ("\n“" + quote + "” (" + ref + ")").fillna("")
        text = text + line.astype(str)
    return text.where(n_codings > 0, "")


def _wide(long: pd.DataFrame, pids, labels, codes, quotes_per_cell: int) -> pd.DataFrame:
    cells = long.assign(cell=_cell_texts(long, quotes_per_cell).to_numpy())
    wide = cells.pivot(index="participant_id", columns="code", values="cell").reindex(index=pids, columns=codes)
    wide = wide.fillna("").astype("string")
    wide.columns = pd.Index(codes, name=None)
    wide.insert(0, "participant", labels.reindex(pids).to_numpy())
    wide.insert(0, "participant_id", pids)
    return wide.reset_index(drop=True)


def theme_levels(study) -> list[str | None]:
    """The codebook's levels that group codes, most general first: every named
    level above the most specific one present (all of them when only one is
    named; [None] when the codebook names none)."""
    present = [lv for lv in dict.fromkeys(study.codebook["level"].fillna("").astype(str)) if lv]
    if not present:
        return [None]
    ranked = sorted(present, key=lambda lv: (-level_rank(lv, study.levels), lv))
    return ranked[:-1] if len(ranked) > 1 else ranked


def write_framework_workbook(study, path, levels=None, quotes_per_cell: int = 2) -> Path:
    """An .xlsx with one Framework chart (``framework_matrix`` wide form) per
    level, the sheet named after the level ("codes" for codes as applied);
    header row frozen, text wrapped. ``levels=None``: ``theme_levels(study)``."""
    levels = theme_levels(study) if levels is None else list(levels)
    sheets = {(level or "codes"): framework_matrix(study, level, quotes_per_cell, form="wide") for level in levels}
    atomic.write_excel(path, sheets, wrap=True)
    return Path(path)


def framework_html(frame: pd.DataFrame) -> str:
    """An HTML table of a framework frame (either form). Every header and cell
    is HTML-escaped, so transcript text such as ``<script>`` shows as text;
    line breaks in a cell become ``<br>``."""
    def cell(value) -> str:
        if isinstance(value, (list, tuple)):
            value = "\n".join(map(str, value))
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ""
        return html.escape(str(value)).replace("\n", "<br>")

    head = "".join(f"<th>{cell(c)}</th>" for c in frame.columns)
    body = "\n".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
                     for row in frame.itertuples(index=False, name=None))
    return (f'<table class="framework">\n<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody>\n</table>")


# -- 4. negative cases -------------------------------------------------------------

def negative_cases(study: Study, level: str | None = TOP) -> pd.DataFrame:
    """Per code at ``level``: the participants without it (no coding at or
    below it attributed to them). Columns: code, n_without, N,
    participant_ids (list, participants order), names (pseudonyms, sorted,
    comma-separated).

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    level : str or None, default "top"
        The level of the codes (codings below rolled up): "top" the study's top level,
        a level name, or None for codes as applied.

    Returns
    -------
    DataFrame
        One row per code at ``level`` (codebook order), columns as above; default RangeIndex.

    Raises
    ------
    InputError
        Unknown level.
    """
    presence = theme_matrix(study, level, "presence")
    labels = _labels(study, presence.index)
    without = [list(presence.index[presence[code] == 0]) for code in presence.columns]
    return pd.DataFrame({
        "code": list(presence.columns),
        "n_without": [len(ids) for ids in without],
        "N": len(presence),
        "participant_ids": without,
        "names": [", ".join(sorted(labels.loc[ids])) for ids in without],
    })


def missing_themes(study: Study, level: str | None = TOP) -> pd.DataFrame:
    """Per participant: the codes at ``level`` they lack. Columns:
    participant_id, participant, n_missing, N_codes, missing (list, codebook
    order).

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    level : str or None, default "top"
        The level of the codes (codings below rolled up): "top" the study's top level,
        a level name, or None for codes as applied.

    Returns
    -------
    DataFrame
        One row per participant (participants order), columns as above; default RangeIndex.

    Raises
    ------
    InputError
        Unknown level.
    """
    presence = theme_matrix(study, level, "presence")
    labels = _labels(study, presence.index)
    missing = [list(presence.columns[presence.loc[pid] == 0]) for pid in presence.index]
    return pd.DataFrame({
        "participant_id": list(presence.index),
        "participant": labels.to_numpy(),
        "n_missing": [len(codes) for codes in missing],
        "N_codes": presence.shape[1],
        "missing": missing,
    })


# -- 5. code line -----------------------------------------------------------------

def codeline(study: Study, doc_id: str, level: str | None = None, coder: str | list[str] | None = None) -> pd.DataFrame:
    """One row per (turn, code) of a document: the turns each code's passages
    touch (a passage over turns 3–5 gives 3, 4 and 5), with the turn's speaker.

    Columns: doc_id, seg_no, code, speaker_role, speaker; sorted by code
    (codebook order) then turn. The document's passages (``counting.passages``
    at ``level``, the primary coder unless ``coder`` says otherwise) count
    here, attributed or not.

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    doc_id : str
        The document.
    level : str or None
        None: codes as applied; a level of ``study.levels`` (``"code"`` for the unnamed
        level): codings rolled up to it (``helpers.counting.check_level``).
    coder : None, "all", str or list of str
        Whose passages count: None the primary coder in each document, a name or list
        those coders merged, "all" every analysis coder (``counting.select_coders``).

    Returns
    -------
    DataFrame
        One row per (turn, code), columns as above; default RangeIndex.

    Raises
    ------
    ValueError
        No document ``doc_id``.
    InputError
        Unknown level or coder (the message lists the study's).
    """
    doc_id = str(doc_id)
    level = check_level(study, level)
    known = set(study.documents["doc_id"].astype(str)) | set(study.segments["doc_id"].astype(str))
    if doc_id not in known:
        raise ValueError(f"no document {doc_id!r}; documents are: " + ", ".join(sorted(known)[:20]))
    found = passages(study, level, coder)
    rolled = found.loc[found["doc_id"].astype(str) == doc_id]
    turns = _coding_turns(rolled)[["doc_id", "seg_no", "code"]].drop_duplicates()
    speakers = study.segments.loc[study.segments["doc_id"].astype(str) == doc_id,
                                  ["seg_no", "speaker_role", "speaker"]]
    speakers = speakers.assign(seg_no=speakers["seg_no"].astype("int64")).drop_duplicates("seg_no")
    out = turns.merge(speakers, on="seg_no", how="left")
    order = {code: i for i, code in enumerate(_code_order(study, level, rolled))}
    out = out.assign(code_order=out["code"].map(order)).sort_values(["code_order", "seg_no"], kind="mergesort")
    out["doc_id"] = out["doc_id"].astype("string")
    return out.drop(columns="code_order").reset_index(drop=True)


# -- 6. saturation -----------------------------------------------------------------

@dataclass
class SaturationResult:
    """``table``: one row per interview in order; ``runs``: one row per run;
    ``summary``: the stopping-rule numbers; ``sentence``: them in words."""

    table: pd.DataFrame
    runs: pd.DataFrame
    summary: dict = field(default_factory=dict)
    sentence: str = ""

    def __str__(self) -> str:
        return self.sentence


def interview_order(study, order=None) -> list[str]:
    """Documents in interview order.

    ``order``: a list of doc_ids (those not named follow in file order), or
    the name of a participants column; ``None`` uses the participants'
    ``interview_order`` column when present, else the documents' file order.
    A document takes its participant's order (the lowest among the
    participants its codings and turns name); documents with none follow, in
    file order.
    """
    docs = list(dict.fromkeys(study.documents["doc_id"].astype(str)))
    if order is not None and not isinstance(order, str):
        named = [str(d) for d in order]
        unknown = [d for d in named if d not in docs]
        if unknown:
            raise ValueError(f"order names unknown documents: {', '.join(unknown)}")
        return list(dict.fromkeys(named)) + [d for d in docs if d not in set(named)]
    column = order or "interview_order"
    if column not in study.participants.columns:
        if order is not None:
            raise ValueError(f"participants have no column {order!r}")
        return docs
    rank = pd.to_numeric(study.participants[column], errors="coerce")
    rank.index = study.participants["participant_id"].astype(str)
    who = pd.concat([study.documents[["doc_id", "participant_id"]],
                     study.segments[["doc_id", "participant_id"]],
                     study.codings[["doc_id", "participant_id"]]]).dropna()
    who = who.assign(doc_id=who["doc_id"].astype(str), rank=who["participant_id"].astype(str).map(rank))
    doc_rank = who.groupby("doc_id")["rank"].min().reindex(docs)
    frame = pd.DataFrame({"doc_id": docs, "rank": doc_rank.to_numpy(), "file": np.arange(len(docs))})
    frame = frame.assign(missing=frame["rank"].isna()).sort_values(["missing", "rank", "file"], kind="mergesort")
    return list(frame["doc_id"])


def saturation(study: Study, level: str | None = None, order: list[str] | str | None = None, base_size: int = 4, run_length: int = 2,
               threshold: float = 0.05, coder: str | list[str] | None = None, n_orders: int = 200, seed: int = 0) -> SaturationResult:
    """Cumulative distinct codes by interview, and the Guest, Namey & Chen
    (2020, PLOS ONE 15(5): e0232076) stopping rule, with its spread over
    interview orders.

    Parameters
    ----------
    study : Study
    level : str or None
        The one level whose codes are counted: None means the study's most
        specific level (codes and their parents are never counted together,
        so a parent is not a "new code"); ``"code"`` the unnamed level.
    order : list of doc_ids or a participants column, optional
        See ``interview_order``.
    base_size, run_length, threshold : stopping rule parameters (below).
    coder : None, "all", str or list
        Whose passages count (``counting.select_coders``; None: the primary
        coder in each document).
    n_orders, seed : int
        The rule is also applied to ``n_orders`` random interview orders
        (numpy ``default_rng(seed)`` permutations): ``summary["spread"]`` gives
        how many reach saturation and the median, lowest and highest
        interview at which they do.

    Returns
    -------
    SaturationResult
        ``table``: one row per interview in order (interview, doc_id,
        participants, new_codes, n_new, cumulative); ``runs``; ``summary``
        (reached, at, order, level, spread, …); ``sentence``.

    Notes
    -----
    For each interview, ``new_codes`` are the codes at ``level`` its passages
    carry that no earlier interview's carry. The base is the distinct codes of
    the first ``base_size`` interviews (``base_count``). Runs of
    ``run_length`` consecutive interviews start right after the base and move
    one interview at a time; a run's new information is the number of codes
    first seen in that run ÷ ``base_count``. Saturation is reached at the first
    run whose ratio ≤ ``threshold``, reported as that run's last interview.
    It is not reached when no run qualifies, when there are too few
    interviews for one run after the base, or when the base carries no code.
    """
    level = check_level(study, level)
    if level is None:
        level = default_level(study, "specific")
    docs = interview_order(study, order)
    found = passages(study, level, coder)
    rolled = found.loc[found["doc_id"].astype(str).isin(docs)]
    codes = _code_order(study, level, rolled)
    rank = {doc: i for i, doc in enumerate(docs)}
    pairs = rolled[["doc_id", "code"]].dropna().astype(str).drop_duplicates()
    first_seen = pairs.assign(pos=pairs["doc_id"].map(rank)).groupby("code")["pos"].min()
    code_rank = {code: i for i, code in enumerate(codes)}
    new_by_doc = {doc: [] for doc in docs}
    for code in sorted(first_seen.index, key=lambda c: code_rank.get(c, len(codes))):
        new_by_doc[docs[first_seen[code]]].append(code)
    n_new = np.array([len(new_by_doc[d]) for d in docs], dtype="int64")
    people = _document_participants(study, docs)
    table = pd.DataFrame({
        "interview": np.arange(1, len(docs) + 1),
        "doc_id": pd.array(docs, dtype="string"),
        "participants": pd.array(people, dtype="string"),
        "new_codes": [new_by_doc[d] for d in docs],
        "n_new": n_new,
        "cumulative": np.cumsum(n_new),
    })
    at, base_count, runs = _stopping_point(n_new, base_size, run_length, threshold)
    reached = at is not None
    summary = {
        "reached": reached, "at": at, "base_size": base_size, "run_length": run_length,
        "threshold": threshold, "base_count": base_count, "n_interviews": len(docs),
        "total_codes": int(n_new.sum()), "added_after": int(n_new[at:].sum()) if reached else 0,
        "level": level_label(level), "coder": coder_sentence(study, coder),
        "order": _order_description(study, order),
        "spread": _order_spread(pairs, docs, base_size, run_length, threshold, n_orders, seed),
        "runs": runs.to_dict("records"),
    }
    return SaturationResult(table=table, runs=runs, summary=summary, sentence=_saturation_sentence(summary))


def _stopping_point(n_new: np.ndarray, base_size: int, run_length: int, threshold: float):
    """(interview where the rule is met or None, base_count, runs)."""
    base_count = int(n_new[:base_size].sum()) if len(n_new) >= base_size else int(n_new.sum())
    runs = _runs(n_new, base_size, run_length, base_count)
    hit = runs.loc[runs["ratio"].notna() & (runs["ratio"] <= threshold + 1e-12)]
    return (int(hit["last"].iloc[0]) if not hit.empty else None), base_count, runs


def _order_description(study, order) -> str:
    if order is not None and not isinstance(order, str):
        return "the order given"
    column = order or "interview_order"
    if column in study.participants.columns:
        return f"the participants' {column} column"
    return "file order (no interview_order column in participants.csv)"


def _order_spread(pairs: pd.DataFrame, docs: list[str], base_size: int, run_length: int, threshold: float,
                  n_orders: int, seed: int) -> dict:
    """The stopping rule over ``n_orders`` random interview orders (seeded):
    how many reach it, and the median / lowest / highest interview where."""
    out = {"n_orders": int(n_orders), "seed": int(seed), "n_reached": 0, "median": None, "min": None, "max": None}
    if not n_orders or not docs:
        return out
    code_names = sorted(pairs["code"].unique())
    carried = np.zeros((len(docs), len(code_names)), dtype=bool)
    if len(pairs):
        rows = pd.Index(docs).get_indexer(pairs["doc_id"])
        cols = pd.Index(code_names).get_indexer(pairs["code"])
        carried[rows, cols] = True
    present = carried.any(axis=0)
    rng = np.random.default_rng(seed)
    stops = []
    for _ in range(int(n_orders)):
        shuffled = carried[rng.permutation(len(docs))][:, present]
        first = shuffled.argmax(axis=0)
        n_new = np.bincount(first, minlength=len(docs)).astype("int64")
        at, _, _ = _stopping_point(n_new, base_size, run_length, threshold)
        if at is not None:
            stops.append(at)
    if stops:
        out.update(n_reached=len(stops), median=float(np.median(stops)), min=int(min(stops)), max=int(max(stops)))
    return out


def _runs(n_new: np.ndarray, base_size: int, run_length: int, base_count: int) -> pd.DataFrame:
    """Runs [first, last] (1-based interview numbers) after the base, one step apart."""
    cum = np.concatenate([[0], np.cumsum(n_new)])
    firsts = np.arange(base_size + 1, len(n_new) - run_length + 2)
    lasts = firsts + run_length - 1
    new = (cum[lasts] - cum[firsts - 1]).astype("int64") if len(firsts) else np.array([], dtype="int64")
    ratio = new / base_count if base_count else np.full(len(firsts), np.nan)
    return pd.DataFrame({"first": firsts.astype("int64"), "last": lasts.astype("int64"),
                         "n_new": new, "ratio": np.asarray(ratio, dtype="float64")})


def _document_participants(study, docs: list[str]) -> list[str]:
    """Per document: pseudonyms of the participants it names (documents table,
    then its turns' and codings' attribution), sorted, comma-separated."""
    who = pd.concat([study.documents[["doc_id", "participant_id"]],
                     study.segments[["doc_id", "participant_id"]],
                     study.codings[["doc_id", "participant_id"]]]).dropna().astype(str).drop_duplicates()
    labels = _labels(study, who["participant_id"].unique())
    who = who.assign(label=who["participant_id"].map(labels))
    joined = who.groupby("doc_id")["label"].agg(lambda s: ", ".join(sorted(set(s))))
    return [joined.get(d, "") for d in docs]


def _saturation_sentence(s: dict) -> str:
    return _saturation_verdict(s) + " " + _spread_sentence(s)


def _spread_sentence(s: dict) -> str:
    """Which order was used, what was counted, and the spread over random orders."""
    head = (f"Interviews in {s.get('order', 'file order')}; codes counted at one level "
            f"({s.get('level', 'codes as applied')}).")
    if s.get("added_after"):
        head += f" Interviews after that point still added {_n(s['added_after'], 'new code')}."
    spread = s.get("spread") or {}
    if not spread.get("n_orders"):
        return head
    n, hit = spread["n_orders"], spread["n_reached"]
    if not hit:
        return head + f" In {n} random interview orders (seed {spread['seed']}) it is never reached."
    where = (f"at interview {spread['min']}" if spread["min"] == spread["max"] else
             f"at interview {spread['median']:g} (median; range {spread['min']}–{spread['max']})")
    return (head + f" In {n} random interview orders (seed {spread['seed']}) it is reached in {hit}, "
            f"{where}: the point depends on the order.")


def _saturation_verdict(s: dict) -> str:
    rule = (f"base of {_n(s['base_size'], 'interview')}, runs of {s['run_length']}, "
            f"threshold {s['threshold']:.0%}; Guest, Namey & Chen 2020")
    needed = s["base_size"] + s["run_length"]
    if s["n_interviews"] < needed:
        return (f"Saturation was not reached: {s['n_interviews']} interviews are too few to assess it "
                f"(at least {needed} are needed; {rule}).")
    if s["base_count"] == 0:
        return (f"Saturation was not reached: the first {_n(s['base_size'], 'interview')} carry no code, "
                f"so new information cannot be measured against them ({rule}).")
    if s["reached"]:
        run = next(r for r in s["runs"] if r["last"] == s["at"])
        return (f"Saturation was reached at interview {s['at']}: {_span(run)} added "
                f"{_n(run['n_new'], 'new code')}, {run['ratio']:.0%} of the "
                f"{s['base_count']} codes in the base, at or below the threshold ({rule}).")
    last = s["runs"][-1]
    return (f"Saturation was not reached: no run of {s['run_length']} interviews after the base added "
            f"{s['threshold']:.0%} or less new information; the last run ({_span(last)}) added "
            f"{_n(last['n_new'], 'new code')}, "
            f"{last['ratio']:.0%} of the {s['base_count']} codes in the base ({rule}).")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _span(run: dict) -> str:
    if run["first"] == run["last"]:
        return f"interview {run['first']}"
    return f"interviews {run['first']}–{run['last']}"
