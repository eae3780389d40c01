"""The Framework matrix (issue 15 split of :mod:`helpers.analysis.themes`): participants × themes,
each cell the exemplar quotes of the participant's coded turns (typical ones first), as a table,
a workbook and HTML. Counting rules: :mod:`helpers.analysis.themes`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

import html
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import atomic
from helpers.analysis.theme_matrix import (
    THEME_VALUE_RULES,
    _code_order,
    _codings,
    _participant_order,
    _rolled,
    theme_matrix,
)
from helpers.counting import TOP, check_choice, check_level, coding_turns
from helpers.hierarchy import level_rank
from helpers.study import participant_labels
from helpers.textutil import study_analyzer


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

    analyzer = _analyzer(study)
    cache = _turn_counts_cache(study, texts, analyzer)
    if cache is not None:
        try:
            return sparse.load_npz(cache).tocsr()
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # absent or unreadable: recompute
            pass
    from sklearn.feature_extraction.text import CountVectorizer  # on a miss only: seconds to import

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
    from importlib.metadata import version

    from helpers import textutil

    if getattr(study, "paths", None) is None:
        return None
    try:
        tokenizer_source = inspect.getsource(textutil)
    except (OSError, TypeError):
        return None
    digest = hashlib.sha256()
    # The installed version read without importing scikit-learn (seconds: scipy.stats with it).
    for part in (version("scikit-learn"), tokenizer_source, "\x00".join(sorted(analyzer.keywords["stopwords"])),
                 "\x00".join(sorted(analyzer.keywords["fillers"])),
                 "\x00".join(sorted(analyzer.keywords.get("placeholders") or ()))):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x01")
    for text in texts:
        encoded = text.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "little") + encoded)
    return study.paths.processed / "cache" / f"turn_counts-{digest.hexdigest()[:32]}.npz"


def tfidf_rows(counts):
    """TF-IDF of a turns × words count matrix, each row scaled to unit length.

    The weighting of scikit-learn's ``TfidfTransformer()`` with its defaults (the
    scikit-learn user guide, "Tf–idf term weighting"): idf(t) = ln((1 + n) / (1 + df(t))) + 1
    for n rows and df(t) rows holding t; each row times idf, then divided by its
    Euclidean norm (a row of zeros stays zeros). Written out because importing
    scikit-learn costs the report process seconds for these few lines;
    tests/unit/test_framework_tfidf.py checks it equals ``TfidfTransformer`` to the bit.

    Parameters
    ----------
    counts : scipy.sparse matrix, shape (n_turns, n_words)
        Word counts, one stored entry per (turn, word), as ``_turn_counts`` returns.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n_turns, n_words), float64
    """
    from scipy import sparse

    weighted = sparse.csr_matrix(counts, dtype=np.float64, copy=True)  # the caller's matrix untouched
    n_rows, n_words = weighted.shape
    document_frequency = np.bincount(weighted.indices, minlength=n_words).astype(np.float64)
    idf = np.log((n_rows + 1.0) / (document_frequency + 1.0)) + 1.0
    weighted.data *= idf[weighted.indices]
    # Each row's sum of squares added left to right, as scikit-learn's loop does, so that
    # the result is the same to the last bit: a row's squares laid out in a zero-padded
    # block, where a running sum (np.cumsum, sequential) ends at the row's sum.
    lengths = np.diff(weighted.indptr)
    block = np.zeros((n_rows, int(lengths.max(initial=0)) + 1))
    block[np.repeat(np.arange(n_rows), lengths), np.arange(weighted.nnz) - np.repeat(weighted.indptr[:-1], lengths)] = (
        weighted.data ** 2)
    norms = np.sqrt(np.cumsum(block, axis=1)[:, -1])
    norms[norms == 0] = 1.0
    weighted.data /= np.repeat(norms, lengths)
    return weighted


def _typicality(study, theme_turns: pd.DataFrame) -> pd.DataFrame:
    """Per (code, doc_id, seg_no) of ``theme_turns``: the mean TF-IDF cosine
    similarity of the turn to the code's OTHER turns (0 when it has none).

    IDF is fitted on every turn of the study.
    """
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
    vectors = tfidf_rows(counts)
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
    turns = coding_turns(rolled)[["participant_id", "code", "doc_id", "seg_no"]].drop_duplicates()
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
    labels = participant_labels(study, picked["participant_id"].astype(str))
    n_docs = _codings(study).groupby("participant_id")["doc_id"].nunique()
    many = picked["participant_id"].map(n_docs).fillna(1).to_numpy() > 1
    base = labels.to_numpy().astype(object)
    doc = np.where(many, " " + picked["doc_id"].astype(str).to_numpy(), "")
    return pd.Series([f"{b}{d} t{s}" for b, d, s in zip(base, doc, picked["seg_no"].astype("int64"))],
                     index=picked.index, dtype="string")


def framework_rule(quotes_per_cell: int = 2, min_words: int = 8, max_words: int = 80) -> str:
    """The Framework matrix's counting and quote-selection rule in words (after the passage rules).

    Parameters
    ----------
    quotes_per_cell : int
        Exemplar quotes per cell.
    min_words, max_words : int
        Preferred length of a quote's turn, in words.

    Returns
    -------
    str
        What ``n_codings`` and ``n_turns`` count (``THEME_VALUE_RULES`` "count"
        and "segments") and how the quotes are chosen.
    """
    return (f"Framework matrix: n_codings = passages of the code or of a code below it held by the participant "
            f"({THEME_VALUE_RULES['count']}); n_turns = distinct turns those passages touch "
            f"({THEME_VALUE_RULES['segments']}). Quotes: up to {quotes_per_cell} per cell, from the turns carrying "
            f"the code that the participant's passages touch (their own turns first), turns of {min_words} to "
            f"{max_words} words preferred, the most typical first (highest mean TF-IDF cosine similarity to the "
            f"code's other turns); ties by document and turn.")


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

    ``attrs["rule"]`` states the counting rules (``counting.passages``,
    ``framework_rule``).

    Raises
    ------
    ValueError
        ``form`` is neither "wide" nor "long".
    InputError
        Unknown level.
    """
    check_choice(form, ("wide", "long"), "form")
    level = check_level(study, level)
    rolled = _rolled(study, level)
    codes = _code_order(study, level, rolled)
    pids = _participant_order(study, _codings(study))
    labels = participant_labels(study, pids)
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
    out = long if form == "long" else _wide(long, pids, labels, codes, quotes_per_cell)
    out.attrs["rule"] = (rolled.attrs.get("rule", "") + " "
                         + framework_rule(quotes_per_cell, min_words, max_words))
    return out


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
    """The codebook's levels that group codes (the themes), most general first.

    Parameters
    ----------
    study : Study
        The study (its codebook's ``level`` column and ``study.levels``).

    Returns
    -------
    list of str or None
        The named levels of the codebook ranked by ``study.levels`` (most
        general first; unknown levels rank as the most specific, then by name),
        without the most specific one; the one level when only one is named;
        ``[None]`` (codes as applied) when the codebook names none.
    """
    present = [lv for lv in dict.fromkeys(study.codebook["level"].fillna("").astype(str)) if lv]
    if not present:
        return [None]
    ranked = sorted(present, key=lambda lv: (-level_rank(lv, study.levels), lv))
    return ranked[:-1] if len(ranked) > 1 else ranked


def write_framework_workbook(study, path, levels=None, quotes_per_cell: int = 2) -> Path:
    """Write the Framework charts as an .xlsx workbook, one sheet per level.

    Each sheet is ``framework_matrix(study, level, quotes_per_cell,
    form="wide")``, named after the level ("codes" for codes as applied),
    header row frozen, text wrapped; written atomically
    (``atomic.write_excel``: text cells are never live formulas).

    Parameters
    ----------
    study : Study
        The study.
    path : str or Path
        Where the .xlsx goes (replaced when it exists).
    levels : list of (str or None), or None
        The levels, one sheet each; None: ``theme_levels(study)``.
    quotes_per_cell : int, default 2
        Exemplar quotes per cell.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        A level is not one of the study's levels.
    """
    levels = theme_levels(study) if levels is None else list(levels)
    sheets = {(level or "codes"): framework_matrix(study, level, quotes_per_cell, form="wide") for level in levels}
    atomic.write_excel(path, sheets, wrap=True)
    return Path(path)


def framework_html(frame: pd.DataFrame) -> str:
    """An HTML table of a framework frame (either form of ``framework_matrix``).

    Every header and cell is HTML-escaped, so transcript text such as
    ``<script>`` shows as text; line breaks in a cell become ``<br>``, a list
    or tuple in a cell one item a line, a missing value an empty cell.

    Parameters
    ----------
    frame : DataFrame
        Any table; its index is left out.

    Returns
    -------
    str
        ``<table class="framework">`` with a ``<thead>`` row of the columns and
        one ``<tbody>`` row per row of ``frame``.
    """
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
