"""Machine-assisted discovery that stays honest: topic suggestions, code
suggestions for uncoded turns, and a map of participants by their codes.

Nothing here writes into the codings: every result is a suggestion for the
researcher to review, with the evidence for it (cross-validated scores, the
share of a topic's turns that existing codes already cover).

Counting rules shared by every function here
--------------------------------------------
* **Participant turns** are segments with ``speaker_role == 'participant'``.
  Interviewer and other turns never enter a topic model or a classifier.
* **Words** are ``helpers.textutil.tokens``: annotations (``[laughs]``,
  ``(pause)``) out, the study's fillers (``study.config.fillers``, else
  ``helpers.ingest.config.DEFAULT_FILLERS``) and stop words (the project list plus
  ``study.config.stopwords``) removed, and redaction placeholders are no words
  (``textutil.PLACEHOLDER_RULE``).
* **A turn carries a code** when a coding of it (any coder), rolled up to
  ``level`` first when a level is given, touches the turn: a coding touches
  turns ``seg_first`` .. ``seg_last`` of its document (DESIGN §4, unit
  ``segment``).
* **Codes** are the codebook's codes at ``level`` in codebook order that at
  least one coding carries, then applied codes the codebook lacks, by name.
"""
from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import sparse

from helpers import atomic
from helpers.counting import check_level, default_level, levels_of, passages
from helpers.errors import TooFew
from helpers.hierarchy import codes_at, rollup
from helpers.tables import coding_turns
from helpers.textutil import study_analyzer

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

UNCOVERED_BELOW = 0.3
THEME = "theme"
MIN_PREDICTED = 5   # predicted turns needed before any precision claim (issue 12, point 9)


# -- shared building blocks -----------------------------------------------------

def analyzer(study):
    """The tokenizer every analysis here uses (see the module's rules)."""
    return study_analyzer(study)


def _participant_turns(study) -> pd.DataFrame:
    """Participant turns in segments order: doc_id, seg_no, participant_id, group, text."""
    seg = study.segments
    turns = seg.loc[seg["speaker_role"].astype("string") == "participant",
                    ["doc_id", "seg_no", "participant_id", "text"]].reset_index(drop=True)
    turns["doc_id"] = turns["doc_id"].astype("string")
    turns["seg_no"] = turns["seg_no"].astype("int64")
    turns["text"] = turns["text"].fillna("").astype("string")
    # Cross-validation groups: the participant; a turn attributed to nobody is
    # its own document's group (never mixed with a named participant).
    turns["group"] = turns["participant_id"].astype("string").fillna("doc:" + turns["doc_id"])
    return turns


def _carried(study, turns: pd.DataFrame, level: str | None, every_coder: bool = False) -> tuple[np.ndarray, list[str]]:
    """Boolean matrix turns x codes (see "a turn carries a code") and the codes:
    the passages counted (``counting.passages``: the primary coder per
    document), or with ``every_coder`` every coding of anyone."""
    rolled = (rollup(study.codings, study.codebook, level, study.levels) if every_coder
              else passages(study, level))
    touched = coding_turns(rolled)[["code", "doc_id", "seg_no"]].drop_duplicates()
    applied = set(touched["code"].dropna().astype(str))
    book = [c for c in codes_at(study.codebook, level) if c in applied]
    codes = book + sorted(applied - set(book))
    row_of = pd.Series(np.arange(len(turns)),
                       index=pd.MultiIndex.from_arrays([turns["doc_id"].astype(str), turns["seg_no"]]))
    rows = row_of.reindex(pd.MultiIndex.from_arrays([touched["doc_id"].astype(str),
                                                     touched["seg_no"].astype("int64")])).to_numpy()
    cols = pd.Index(codes).get_indexer(touched["code"].astype(str))
    keep = ~np.isnan(rows) & (cols >= 0)
    matrix = np.zeros((len(turns), len(codes)), dtype=bool)
    matrix[rows[keep].astype("int64"), cols[keep]] = True
    return matrix, codes


def _labels(study) -> dict[str, str]:
    labels = study.participant_label()
    return {str(k): str(v) for k, v in zip(labels.index, labels.values)}


# -- 1. topic suggestions -----------------------------------------------------------

@dataclass
class TopicModel:
    """Topics found in participant turns, and how existing codes cover them.

    * ``summary``: one row per topic: topic (1 = the topic most turns are
      dominated by), label, top_terms, n_turns (turns whose dominant topic it
      is), best_code, best_share, uncovered.
    * ``terms``: topic, rank, term, weight (the NMF component loading).
    * ``typical``: topic, rank, doc_id, seg_no, participant_id, pseudonym,
      weight, text: the turns with the highest weight on the topic.
    * ``alignment``: topics x codes, the share of the topic's turns carrying
      each code.
    * ``turn_topics``: doc_id, seg_no, participant_id, topic, weight for every
      participant turn (topic NA for a turn with no word left).
    """

    summary: pd.DataFrame
    terms: pd.DataFrame
    typical: pd.DataFrame
    alignment: pd.DataFrame
    turn_topics: pd.DataFrame
    reconstruction_error: float
    parameters: dict = field(default_factory=dict)

    def describe(self) -> str:
        p = self.parameters
        return (f"{p['n_topics']} topics from NMF (init 'nndsvda', seed {p['seed']}) on TF-IDF of "
                f"{p['n_turns']} participant turns ({p['n_terms']} words used in at least {p['min_df']} turns; "
                "fillers, annotations and stop words removed). A turn belongs to the topic it weighs most on. "
                f"A topic's best code is the code carried by the largest share of its turns (level: "
                f"{p['level'] or 'codes as applied'}); a topic is 'uncovered' when that share is below "
                f"{p['uncovered_below']:g}: a candidate for new coding, not a finding.")


def _tfidf(study, min_df: int):
    """Participant turns, their TF-IDF matrix (rows L2-normalised) and vocabulary."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    turns = _participant_turns(study)
    if turns.empty:
        raise TooFew("the study has no participant turns (speaker_role 'participant') to model")
    vectorizer = TfidfVectorizer(analyzer=analyzer(study), min_df=min_df)
    try:
        matrix = vectorizer.fit_transform(turns["text"].astype(str).tolist())
    except ValueError as exc:  # sklearn: empty vocabulary / min_df prunes everything
        raise TooFew(f"too little text: no word is used in at least {min_df} participant turns once stop words "
                     f"and fillers are removed ({exc}); lower min_df") from exc
    return turns, matrix.tocsr(), np.asarray(vectorizer.get_feature_names_out(), dtype=object)


def _nmf(matrix, n_topics: int, seed: int):
    from sklearn.decomposition import NMF

    # 400 iterations: on real turns NMF converges well before; on structureless
    # text more iterations only polish the error in its fourth digit.
    model = NMF(n_components=n_topics, init="nndsvda", random_state=seed, max_iter=400)
    with warnings.catch_warnings():
        # A slow convergence is still a deterministic, usable factorisation.
        warnings.simplefilter("ignore", category=UserWarning)
        # sklearn's own reconstruction_err_ takes sqrt of a rounding-negative
        # number on an exact fit; we compute the error ourselves.
        warnings.filterwarnings("ignore", message="invalid value encountered in sqrt", category=RuntimeWarning)
        weights = model.fit_transform(matrix)
    return model, weights


def _reconstruction_error(matrix, weights: np.ndarray, components: np.ndarray) -> float:
    """Frobenius norm of (X − W·H) without forming W·H: ||X||² − 2·<X, WH> + ||WH||²,
    clipped at 0 (sklearn's own value turns NaN when rounding makes it negative)."""
    coo = matrix.tocoo()
    inner = float(np.sum(coo.data * np.einsum("ij,ji->i", weights[coo.row], components[:, coo.col])))
    fitted_squared = float(np.sum((weights.T @ weights) * (components @ components.T)))   # ||WH||²
    squared = float(coo.data @ coo.data) - 2 * inner + fitted_squared
    return math.sqrt(max(squared, 0.0))


def _check_k(n_topics: int, matrix) -> None:
    largest = min(matrix.shape)
    if not 1 <= n_topics <= largest:
        raise ValueError(f"n_topics must be between 1 and {largest} (the number of participant turns or of "
                         f"words kept, whichever is smaller), not {n_topics}")


def topics(study: Study, n_topics: int = 6, seed: int = 0, min_df: int = 2, top_terms: int = 10, typical_turns: int = 3,
           level: str | None = None, uncovered_below: float = UNCOVERED_BELOW) -> TopicModel:
    """Topics in participant turns (TF-IDF, then NMF), set against the codes.

    Counting rules: TF-IDF over participant turns (module rules for words),
    keeping words used in at least ``min_df`` turns; NMF with ``n_topics``
    components, ``init='nndsvda'``, ``random_state=seed`` (same inputs and
    seed, same topics). A turn's dominant topic is the one it weighs most on
    (the lower-numbered on a tie); turns with no word left have none. Topics
    are numbered by how many turns they dominate (most first; NMF order breaks
    ties). For each topic and code (at ``level``), the share is (its dominant
    turns carrying the code) / (its dominant turns); ``best_code`` has the
    largest share (name order on a tie; '' when no code is carried), and the
    topic is ``uncovered`` when ``best_share < uncovered_below``.

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    n_topics : int, default 6
        NMF components.
    seed : int, default 0
        ``random_state`` of NMF.
    min_df : int, default 2
        Words used in fewer turns are left out.
    top_terms : int, default 10
        Words listed per topic.
    typical_turns : int, default 3
        Turns listed per topic (those weighing most on it).
    level : str or None
        None: codes as applied; a level of ``study.levels`` (``"code"`` for the unnamed
        level): codings rolled up to it (``helpers.counting.check_level``).
    uncovered_below : float, default 0.3
        ``best_share`` (0–1) below which a topic is uncovered.

    Returns
    -------
    TopicModel
        ``summary`` (one row per topic), ``terms``, ``typical``, ``alignment`` (topics x
        codes, shares 0–1) and ``turn_topics``: see ``TopicModel``.

    Raises
    ------
    ValueError
        ``n_topics`` not between 1 and the number of participant turns or of words kept.
    InputError
        Unknown level.
    """
    turns, matrix, vocabulary = _tfidf(study, min_df)
    _check_k(n_topics, matrix)
    model, weights = _nmf(matrix, n_topics, seed)
    components = model.components_

    has_words = weights.sum(axis=1) > 0
    dominant = np.where(has_words, weights.argmax(axis=1), -1)
    n_turns = np.bincount(dominant[dominant >= 0], minlength=n_topics)
    order = np.lexsort((np.arange(n_topics), -n_turns))     # most turns first, NMF order on ties
    number = np.empty(n_topics, dtype="int64")
    number[order] = np.arange(1, n_topics + 1)

    terms = _topic_terms(components, vocabulary, order, top_terms)
    carried, codes = _carried(study, turns, level)
    alignment = _alignment(dominant, carried, codes, order)
    summary = _topic_summary(terms, alignment, n_turns[order], uncovered_below)
    labels = _labels(study)
    topic_of_turn = pd.array(number[np.maximum(dominant, 0)], dtype="Int64")
    topic_of_turn[dominant < 0] = pd.NA
    turn_topics = turns[["doc_id", "seg_no", "participant_id"]].assign(
        topic=topic_of_turn, weight=np.where(dominant >= 0, weights.max(axis=1), 0.0))
    typical = _typical(turns, weights, order, typical_turns, labels)
    parameters = {"n_topics": n_topics, "seed": seed, "min_df": min_df, "top_terms": top_terms,
                  "typical_turns": typical_turns, "level": level, "uncovered_below": uncovered_below,
                  "n_turns": int(len(turns)), "n_terms": int(len(vocabulary))}
    return TopicModel(summary, terms, typical, alignment, turn_topics,
                      _reconstruction_error(matrix, weights, components), parameters)


def _topic_terms(components: np.ndarray, vocabulary: np.ndarray, order: np.ndarray, top_terms: int) -> pd.DataFrame:
    rows = []
    for topic, component in enumerate(components[order], start=1):
        # Highest loading first; the word itself breaks ties (stable, by name).
        ranked = np.lexsort((vocabulary.astype(str), -component))[:top_terms]
        for rank, j in enumerate(ranked, start=1):
            if component[j] <= 0:
                break
            rows.append((topic, rank, str(vocabulary[j]), float(component[j])))
    return pd.DataFrame(rows, columns=["topic", "rank", "term", "weight"])


def _alignment(dominant: np.ndarray, carried: np.ndarray, codes: list[str], order: np.ndarray) -> pd.DataFrame:
    n_topics = len(order)
    member = np.zeros((len(dominant), n_topics))
    has = dominant >= 0
    member[np.flatnonzero(has), dominant[has]] = 1.0
    counts = member.T @ carried.astype(float)                     # topics x codes: dominant turns carrying
    sizes = member.sum(axis=0)
    shares = np.divide(counts, sizes[:, None], out=np.zeros_like(counts), where=sizes[:, None] > 0)
    return pd.DataFrame(shares[order], index=pd.Index(np.arange(1, n_topics + 1), name="topic"),
                        columns=pd.Index(codes, name="code"))


def _topic_summary(terms: pd.DataFrame, alignment: pd.DataFrame, n_turns: np.ndarray,
                   uncovered_below: float) -> pd.DataFrame:
    rows = []
    for topic in alignment.index:
        words = terms.loc[terms["topic"] == topic, "term"].tolist()
        shares = alignment.loc[topic]
        if len(shares) and shares.max() > 0:
            best = min(c for c, s in shares.items() if s == shares.max())
            best_share = float(shares.max())
        else:
            best, best_share = "", 0.0
        rows.append({"topic": int(topic), "label": f"{topic}: " + ", ".join(words[:3]),
                     "top_terms": ", ".join(words), "n_turns": int(n_turns[topic - 1]),
                     "best_code": best, "best_share": best_share,
                     "uncovered": bool(best_share < uncovered_below and not math.isclose(best_share, uncovered_below))})
    return pd.DataFrame(rows)


def _typical(turns: pd.DataFrame, weights: np.ndarray, order: np.ndarray, k: int, labels: dict) -> pd.DataFrame:
    doc = turns["doc_id"].astype(str).to_numpy()
    seg = turns["seg_no"].to_numpy()
    parts = []
    for topic, column in enumerate(order, start=1):
        w = weights[:, column]
        # Highest weight first; document and turn order break ties.
        ranked = [i for i in np.lexsort((seg, doc, -w)) if w[i] > 0][:k]
        picked = turns.iloc[ranked]
        parts.append(pd.DataFrame({
            "topic": topic, "rank": np.arange(1, len(ranked) + 1), "doc_id": picked["doc_id"].to_numpy(),
            "seg_no": picked["seg_no"].to_numpy(), "participant_id": picked["participant_id"].to_numpy(),
            "pseudonym": [labels.get(str(p), str(p)) if pd.notna(p) else "" for p in picked["participant_id"]],
            "weight": w[ranked], "text": picked["text"].to_numpy()}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def topic_number_curve(study, k_values=range(2, 11), seed: int = 0, min_df: int = 2,
                       top_terms: int = 10) -> pd.DataFrame:
    """For choosing the number of topics: one row per k.

    * ``reconstruction_error``: the Frobenius norm of (TF-IDF − W·H) of the NMF
      fitted as ``topics`` fits it. It always falls as k grows; look for the
      bend where it stops falling fast.
    * ``coherence_umass``: UMass coherence (Mimno et al. 2011) on document
      co-occurrence, a document being one participant turn: for each topic's
      top ``top_terms`` words w1..wM (by weight), the mean over pairs m > l of
      log((D(wm, wl) + 1) / D(wl)), where D counts the turns containing the
      word(s); averaged over topics. Nearer 0 is more coherent (words of a
      topic turn up in the same turns).

    k values larger than the number of participant turns or of words kept are
    skipped.
    """
    turns, matrix, vocabulary = _tfidf(study, min_df)
    present = (matrix > 0).astype(np.float64).tocsc()
    doc_freq = np.asarray(present.sum(axis=0)).ravel()
    rows = []
    for k in k_values:
        k = int(k)
        if not 1 <= k <= min(matrix.shape):
            continue
        model, weights = _nmf(matrix, k, seed)
        coherence = [_umass(component, present, doc_freq, top_terms) for component in model.components_]
        rows.append({"k": k, "reconstruction_error": _reconstruction_error(matrix, weights, model.components_),
                     "coherence_umass": float(np.nanmean(coherence)) if coherence else np.nan})
    if not rows:
        raise TooFew(f"no k in {list(k_values)} fits {min(matrix.shape)} turns/words")
    return pd.DataFrame(rows)


def _umass(component: np.ndarray, present, doc_freq: np.ndarray, top_terms: int) -> float:
    top = np.lexsort((np.arange(len(component)), -component))[:top_terms]
    top = top[component[top] > 0]
    if len(top) < 2:
        return np.nan
    block = present[:, top]
    together = (block.T @ block).toarray()                       # D(wi, wj)
    m, l = np.tril_indices(len(top), k=-1)                        # pairs m > l in rank order
    return float(np.mean(np.log((together[m, l] + 1.0) / doc_freq[top][l])))


# -- 2. code suggestions for uncoded turns ---------------------------------------------

@dataclass
class CodeSuggestions:
    """Suggested codes for uncoded participant turns, and the evidence.

    * ``scores``: one row per code: code, n_examples (coded participant turns
      carrying it), n_negatives, n_participants (with an example), n_splits,
      precision, recall, f1, n_predicted, suggested, note.
    * ``suggestions``: doc_id, seg_no, participant_id, code, probability, text,
      pseudonym; only codes with ``suggested``.
    * ``folds``: code, fold, split ('train' / 'test'), participant_id: which
      participants each cross-validation fold trained and tested on.
    """

    scores: pd.DataFrame
    suggestions: pd.DataFrame
    folds: pd.DataFrame
    parameters: dict = field(default_factory=dict)

    def describe(self) -> str:
        p = self.parameters
        return (f"For each code with at least {p['min_examples']} coded participant turns, a classifier "
                "(TF-IDF of the turn's words, logistic regression with balanced class weights) learns the "
                "code from the coded participant turns: those carrying it are positives, the other coded "
                "turns negatives; uncoded turns are never used as negatives. Its precision, recall and F1 "
                f"are measured by {p['n_splits']}-fold cross-validation grouped by participant (no participant "
                "is in both the training and the test part of a fold), pooling the out-of-fold predictions "
                "(probability ≥ 0.5 counts as predicted), with a 95% Wilson interval. Only codes whose precision "
                f"reaches {p['precision_threshold']:g} over at least {p.get('min_predicted', MIN_PREDICTED)} "
                "predicted turns make suggestions, for turns carrying no code at all, each "
                "with its probability (≥ 0.5). Nothing is written into the codings: review and code by hand.")


def code_suggestions(study: Study, level: str | None = None, min_examples: int = 8, precision_threshold: float = 0.7,
                     seed: int = 0, n_splits: int = 5, min_predicted: int = MIN_PREDICTED) -> CodeSuggestions:
    """Cross-validated classifiers that suggest codes for uncoded participant turns.

    Counting rules:

    * Labelled turns: participant turns carrying at least one code at
      ``level``. For code C, positives are labelled turns carrying C,
      negatives the other labelled turns.
    * Uncoded turns (the only ones that get suggestions): participant turns
      that no coding touches at all (any code, any level, any coder).
    * A code is scored when it has at least ``min_examples`` positives, at
      least one negative, and labelled turns from at least two participants.
    * Cross-validation: ``StratifiedGroupKFold`` (shuffled with ``seed``),
      groups = participants, ``min(n_splits, participants with labelled
      turns)`` folds. Words are counted once over all participant turns (no
      labels involved); IDF and the classifier are fitted on the training
      part of each fold only. Precision, recall and F1 are of the positive
      class over the pooled out-of-fold predictions (probability ≥ 0.5);
      precision is 0 when nothing is predicted positive. A turn sharing no
      word with the training turns gets no probability (NaN) and counts as
      not predicted, in cross-validation and in the suggestions alike.
    * Precision is only claimed from at least ``min_predicted`` predicted
      turns across the folds (default 5; 1 of 1 is no evidence): below that
      ``precision`` is still shown but the code makes no suggestion and the
      note says why. ``precision_low``/``precision_high``: the 95% Wilson
      interval of precision (scipy ``binomtest(...).proportion_ci``).
    * ``suggested`` is ``precision >= precision_threshold`` with enough
      predicted turns. Such a code is refitted on all labelled turns, and
      every uncoded turn with probability ≥ 0.5 is listed.

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    level : str or None
        None: codes as applied; a level of ``study.levels`` (``"code"`` for the unnamed
        level): codings rolled up to it (``helpers.counting.check_level``).
    min_examples : int, default 8
        Positive turns a code needs to be scored.
    precision_threshold : float, default 0.7
        Cross-validated precision (0–1) a code needs to make suggestions.
    seed : int, default 0
        Seed of the fold shuffle and the classifiers.
    n_splits : int, default 5
        Most folds.
    min_predicted : int, default 5
        Predicted turns below which no precision is claimed.

    Returns
    -------
    CodeSuggestions
        ``scores`` (one row per code; precision, recall and F1 as shares 0–1),
        ``suggestions`` (one row per suggested turn and code) and ``folds``: see
        ``CodeSuggestions``.

    Raises
    ------
    InputError
        Unknown level.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    level = check_level(study, level)
    turns = _participant_turns(study)
    carried, codes = _carried(study, turns, level)
    coded_any = _carried(study, turns, None, every_coder=True)[0].any(axis=1)
    labelled = np.flatnonzero(carried.any(axis=1))
    uncoded = np.flatnonzero(~coded_any)
    parameters = {"level": level, "min_examples": min_examples, "precision_threshold": precision_threshold,
                  "min_predicted": min_predicted,
                  "seed": seed, "n_splits": n_splits, "n_labelled": int(len(labelled)),
                  "n_uncoded": int(len(uncoded))}
    try:
        counts = CountVectorizer(analyzer=analyzer(study)).fit_transform(turns["text"].astype(str).tolist()).tocsr()
    except ValueError:  # no word at all in participant turns
        counts = sparse.csr_matrix((len(turns), 1))
    groups = turns["group"].astype(str).to_numpy()

    score_rows, fold_parts, suggestion_parts = [], [], []
    labels = _labels(study)
    labelled_counts = counts[labelled]
    with _one_blas_thread():
        for j, code in enumerate(codes):
            y = carried[labelled, j]
            row, folds = _score_code(code, labelled_counts, y, groups[labelled], min_examples, n_splits, seed)
            enough = pd.notna(row["n_predicted"]) and int(row["n_predicted"]) >= min_predicted
            row["suggested"] = bool(enough and not np.isnan(row["precision"]) and
                                    (row["precision"] >= precision_threshold
                                     or math.isclose(row["precision"], precision_threshold)))
            if pd.notna(row["n_predicted"]) and not enough:
                row["note"] = (f"only {int(row['n_predicted'])} predicted turn(s) across folds: too few to "
                               f"judge precision (needs {min_predicted})")
            score_rows.append(row)
            fold_parts.append(folds)
            if row["suggested"] and len(uncoded):
                model = _fit(labelled_counts, y)
                probability = model.predict_proba(counts[uncoded])
                keep = probability >= 0.5
                picked = turns.iloc[uncoded[keep]]
                suggestion_parts.append(pd.DataFrame({
                    "doc_id": picked["doc_id"].to_numpy(), "seg_no": picked["seg_no"].to_numpy(),
                    "participant_id": picked["participant_id"].to_numpy(), "code": code,
                    "probability": probability[keep], "text": picked["text"].to_numpy()}))
    scores = pd.DataFrame(score_rows, columns=SCORE_COLUMNS)
    suggestions = _suggestion_table(suggestion_parts, codes, labels)
    folds = (pd.concat(fold_parts, ignore_index=True) if fold_parts
             else pd.DataFrame(columns=["code", "fold", "split", "participant_id"]))
    parameters["n_splits_used"] = int(scores["n_splits"].max()) if scores["n_splits"].notna().any() else 0
    return CodeSuggestions(scores, suggestions, folds, parameters)


def _one_blas_thread():
    """The classifiers here are many (codes x folds) and small: a second BLAS
    thread per fit only adds synchronisation (four times the CPU time on two
    cores, with the batch's other notebooks competing for them), and one
    thread gives the same fits."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


SCORE_COLUMNS = ["code", "n_examples", "n_negatives", "n_participants", "n_splits", "precision", "recall", "f1",
                 "n_predicted", "suggested", "note", "precision_low", "precision_high"]


class _Constant:
    """Stands in for a classifier when the training part holds one class only."""

    def __init__(self, value: float):
        self.value = value

    def predict_proba(self, counts) -> np.ndarray:
        return np.full(counts.shape[0], self.value)


class _Classifier:
    """TF-IDF (IDF fitted here) + logistic regression with balanced class weights."""

    def __init__(self, counts, y: np.ndarray):
        from sklearn.feature_extraction.text import TfidfTransformer
        from sklearn.linear_model import LogisticRegression

        self.tfidf = TfidfTransformer().fit(counts)
        self.model = LogisticRegression(class_weight="balanced", max_iter=1000).fit(self.tfidf.transform(counts), y)
        self.known = np.asarray(counts.sum(axis=0)).ravel() > 0

    def predict_proba(self, counts) -> np.ndarray:
        """P(code); NaN for a turn with no word seen in training (its
        probability would be the intercept alone, a guess about nothing)."""
        probability = self.model.predict_proba(self.tfidf.transform(counts))[:, 1]
        seen = np.asarray(counts[:, self.known].sum(axis=1)).ravel() > 0
        return np.where(seen, probability, np.nan)


def _fit(counts, y: np.ndarray):
    if y.all() or not y.any():
        return _Constant(float(y.all()))
    return _Classifier(counts, y)


def _score_code(code: str, counts, y: np.ndarray, groups: np.ndarray, min_examples: int, n_splits: int,
                seed: int) -> tuple[dict, pd.DataFrame]:
    from sklearn.metrics import f1_score, precision_score, recall_score
    from sklearn.model_selection import StratifiedGroupKFold

    n_pos, n_neg = int(y.sum()), int((~y).sum())
    participants = np.unique(groups)
    row = {"code": code, "n_examples": n_pos, "n_negatives": n_neg,
           "n_participants": int(len(np.unique(groups[y]))), "n_splits": pd.NA, "precision": np.nan,
           "recall": np.nan, "f1": np.nan, "n_predicted": pd.NA, "note": "",
           "precision_low": np.nan, "precision_high": np.nan}
    empty = pd.DataFrame(columns=["code", "fold", "split", "participant_id"])
    if n_pos < min_examples:
        row["note"] = f"fewer than {min_examples} coded participant turns"
        return row, empty
    if n_neg == 0:
        row["note"] = "every coded participant turn carries it: nothing to contrast it with"
        return row, empty
    if len(participants) < 2:
        row["note"] = "coded turns of one participant only: cannot cross-validate by participant"
        return row, empty
    splits = min(n_splits, len(participants))
    splitter = StratifiedGroupKFold(n_splits=splits, shuffle=True, random_state=seed)
    out_of_fold = np.zeros(len(y))
    fold_rows = []
    with warnings.catch_warnings():
        # "least populated class has fewer members than n_splits": expected for
        # rare codes; the pooled out-of-fold scores stay valid.
        warnings.simplefilter("ignore", category=UserWarning)
        folds = list(splitter.split(np.zeros(len(y)), y.astype(int), groups))
    for fold, (train, test) in enumerate(folds, start=1):
        out_of_fold[test] = _fit(counts[train], y[train]).predict_proba(counts[test])
        for split, idx in (("train", train), ("test", test)):
            fold_rows.extend((code, fold, split, g) for g in np.unique(groups[idx]))
    predicted = out_of_fold >= 0.5       # NaN (no known word) is not predicted
    row.update(n_splits=splits, n_predicted=int(predicted.sum()),
               precision=float(precision_score(y, predicted, zero_division=0)),
               recall=float(recall_score(y, predicted, zero_division=0)),
               f1=float(f1_score(y, predicted, zero_division=0)))
    if predicted.sum():
        from scipy.stats import binomtest
        interval = binomtest(int((predicted & y).sum()), int(predicted.sum())).proportion_ci(method="wilson")
        row.update(precision_low=float(interval.low), precision_high=float(interval.high))
    return row, pd.DataFrame(fold_rows, columns=["code", "fold", "split", "participant_id"])


def _suggestion_table(parts: list[pd.DataFrame], codes: list[str], labels: dict) -> pd.DataFrame:
    columns = ["doc_id", "seg_no", "participant_id", "code", "probability", "text", "pseudonym"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "probability" else "string") for c in columns})
    out = pd.concat(parts, ignore_index=True)
    out["pseudonym"] = [labels.get(str(p), str(p)) if pd.notna(p) else "" for p in out["participant_id"]]
    out["code_order"] = pd.Index(codes).get_indexer(out["code"])
    out = out.sort_values(["code_order", "probability", "doc_id", "seg_no"], ascending=[True, False, True, True],
                          kind="stable")
    return out[columns].reset_index(drop=True)


def write_suggestions(result: CodeSuggestions, path) -> Path:
    """An .xlsx for review: 'suggestions' (with an empty 'decision' column to
    fill in), 'scores' and 'about' (the counting rule)."""
    path = Path(path)
    review = result.suggestions.assign(decision="")
    about = pd.DataFrame({"about": [result.describe()]})
    atomic.write_excel(path, {"suggestions": review, "scores": result.scores, "about": about})
    return path


# -- 3. participant map -------------------------------------------------------------

@dataclass
class ParticipantMap:
    """``coords``: participant_id, pseudonym, x, y, n_codes, then the
    participants' attributes; ``distances``: Jaccard distances (square);
    ``level`` the level used; ``stress`` of the MDS fit."""

    coords: pd.DataFrame
    distances: pd.DataFrame
    level: str | None
    stress: float
    method: str = "mds"


@dataclass
class ParticipantClusters:
    """Average-linkage clustering on Jaccard distances: ``linkage`` (scipy
    format), ``order`` (participant ids, dendrogram leaf order), ``labels``
    (their pseudonyms) and ``distances``."""

    linkage: np.ndarray
    order: list[str]
    labels: list[str]
    distances: pd.DataFrame
    level: str | None


def code_profiles(study, level: str | None = THEME) -> tuple[pd.DataFrame, str | None]:
    """Participants x codes presence (0/1, as ``themes.theme_matrix``), for
    participants with at least one code; and the level used.

    The default level 'theme' falls back to codes as applied (None) when no
    coding rolls up to a theme, so any study can be mapped.
    """
    from helpers.analysis.themes import theme_matrix

    if level == THEME and THEME not in levels_of(study):
        # the study's own top level (issue 12, point 3); codes as applied when it has one level
        level = default_level(study, "top") if len(levels_of(study)) > 1 else None
    presence = theme_matrix(study, level=level, value="presence")
    if level == THEME and presence.to_numpy().sum() == 0:
        level = None
        presence = theme_matrix(study, level=None, value="presence")
    presence = presence.loc[presence.sum(axis=1) > 0]
    if presence.empty:
        raise TooFew(f"no participant has a coding at level {level!r}; choose another level")
    return presence, level


def jaccard_distances(presence: pd.DataFrame) -> pd.DataFrame:
    """Jaccard distance between participants' code sets:
    1 − |A ∩ B| / |A ∪ B| (scipy.spatial.distance, 'jaccard')."""
    from scipy.spatial.distance import pdist, squareform

    values = presence.to_numpy().astype(bool)
    square = squareform(pdist(values, metric="jaccard")) if len(values) > 1 else np.zeros((len(values),) * 2)
    return pd.DataFrame(square, index=presence.index.copy(), columns=presence.index.copy())


def participant_map(study: Study, level: str | None = THEME, method: str = "mds", seed: int = 0,
                    n_init: int = 4) -> ParticipantMap:
    """Participants placed so that those with similar code sets sit close.

    Profile: presence of each code at ``level`` (see ``code_profiles``);
    distance: Jaccard on those sets; placement: metric MDS on the precomputed
    distances (sklearn, ``random_state=seed``, ``n_init`` starts, the best
    kept). Axes have no meaning of their own, only distances do.

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    level : str or None, default "theme"
        The level of the codes (codings below rolled up); None: codes as applied.
    method : str, default "mds"
        Only "mds".
    seed : int, default 0
        ``random_state`` of the MDS.
    n_init : int, default 4
        MDS starts.

    Returns
    -------
    ParticipantMap
        ``coords`` (one row per participant: x, y unitless, n_codes, attributes),
        ``distances`` (participants x participants, Jaccard 0–1), ``level``, ``stress``.

    Raises
    ------
    ValueError
        ``method`` other than "mds".
    """
    if method != "mds":
        raise ValueError(f"method must be 'mds', not {method!r}")
    presence, used = code_profiles(study, level)
    distances = jaccard_distances(presence)
    xy, stress = _mds(distances.to_numpy(), seed, n_init)
    ids = [str(i) for i in presence.index]
    labels = _labels(study)
    coords = pd.DataFrame({"participant_id": ids, "pseudonym": [labels.get(i, i) for i in ids],
                           "x": xy[:, 0], "y": xy[:, 1], "n_codes": presence.sum(axis=1).to_numpy()})
    attributes = study.participants.drop(columns=[c for c in ("pseudonym",) if c in study.participants])
    attributes = attributes.assign(participant_id=attributes["participant_id"].astype(str)).drop_duplicates(
        "participant_id")
    coords = coords.merge(attributes, on="participant_id", how="left")
    return ParticipantMap(coords, distances, used, stress, method)


def _mds(distances: np.ndarray, seed: int, n_init: int) -> tuple[np.ndarray, float]:
    from sklearn.manifold import MDS

    n = len(distances)
    if n and not distances.any():
        return np.zeros((n, 2)), 0.0          # identical code sets: one point
    if n < 3:
        # One point sits at 0; two sit their distance apart on the x axis.
        xy = np.zeros((n, 2))
        if n == 2:
            xy[1, 0] = distances[0, 1]
        return xy, 0.0
    params = inspect.signature(MDS).parameters
    kwargs = {"n_components": 2, "random_state": seed, "n_init": n_init, "max_iter": 1000}
    if "metric_mds" in params:      # scikit-learn >= 1.8 renamed the arguments
        kwargs.update(metric="precomputed", init="random", metric_mds=True)
    else:
        kwargs.update(dissimilarity="precomputed")
    model = MDS(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=FutureWarning)
        xy = model.fit_transform(distances)
    return xy, float(model.stress_)


def participant_clusters(study, level: str | None = THEME) -> ParticipantClusters:
    """Hierarchical clustering of participants: average linkage (UPGMA) on
    the Jaccard distances of their code sets (see ``participant_map``);
    leaves in scipy's optimal order (neighbours most alike)."""
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    presence, used = code_profiles(study, level)
    distances = jaccard_distances(presence)
    ids = [str(i) for i in presence.index]
    labels = _labels(study)
    if len(ids) < 2:
        return ParticipantClusters(np.zeros((0, 4)), ids, [labels.get(i, i) for i in ids], distances, used)
    tree = linkage(squareform(distances.to_numpy(), checks=False), method="average", optimal_ordering=True)
    order = [ids[i] for i in leaves_list(tree)]
    return ParticipantClusters(tree, order, [labels.get(i, i) for i in order], distances, used)
