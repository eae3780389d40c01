"""Topic suggestions (issue 15 split of :mod:`helpers.analysis.discovery`): NMF topics of the
participant turns' TF-IDF, how existing codes cover each topic, and the choice of the number
of topics (reconstruction error, UMass coherence). Counting rules: :mod:`helpers.analysis.discovery`.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.analysis.discovery_turns import (
    TOPIC_RULE,
    UNCOVERED_BELOW,
    _carried,
    _participant_turns,
    analyzer,
    state_rule,
)
from helpers.errors import TooFew
from helpers.study import Study, labels_of


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
    topic_of_turn = pd.array(number[np.maximum(dominant, 0)], dtype="Int64")
    topic_of_turn[dominant < 0] = pd.NA
    turn_topics = turns[["doc_id", "seg_no", "participant_id"]].assign(
        topic=topic_of_turn, weight=np.where(dominant >= 0, weights.max(axis=1), 0.0))
    typical = _typical(turns, weights, order, typical_turns, study)
    parameters = {"n_topics": n_topics, "seed": seed, "min_df": min_df, "top_terms": top_terms,
                  "typical_turns": typical_turns, "level": level, "uncovered_below": uncovered_below,
                  "n_turns": int(len(turns)), "n_terms": int(len(vocabulary))}
    state_rule(TOPIC_RULE, summary, terms, typical, alignment, turn_topics)
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


def _typical(turns: pd.DataFrame, weights: np.ndarray, order: np.ndarray, k: int, study) -> pd.DataFrame:
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
            "pseudonym": labels_of(study, picked["participant_id"]),
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

    Parameters
    ----------
    study : Study
        The study (``helpers.load_study``).
    k_values : iterable of int
        The numbers of topics tried.
    seed, min_df, top_terms : int
        As ``topics``.

    Returns
    -------
    DataFrame
        One row per k tried (RangeIndex): ``k`` (int), ``reconstruction_error``,
        ``coherence_umass`` (float64). ``attrs["rule"]`` states both measures.

    Raises
    ------
    TooFew
        No k fits, or too little text (as ``topics``).
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
    curve = pd.DataFrame(rows)
    curve.attrs["rule"] = (
        f"One NMF per number of topics k, fitted as the topics are (TF-IDF of participant turns, words in at least "
        f"{min_df} turns, seed {seed}). reconstruction_error: the Frobenius norm of TF-IDF − W·H; it always falls "
        f"as k grows. coherence_umass: UMass coherence (Mimno et al. 2011) of each topic's top {top_terms} words, "
        "a document being one participant turn, averaged over topics; nearer 0 is more coherent.")
    return curve


def _umass(component: np.ndarray, present, doc_freq: np.ndarray, top_terms: int) -> float:
    top = np.lexsort((np.arange(len(component)), -component))[:top_terms]
    top = top[component[top] > 0]
    if len(top) < 2:
        return np.nan
    block = present[:, top]
    together = (block.T @ block).toarray()                       # D(wi, wj)
    m, l = np.tril_indices(len(top), k=-1)                        # pairs m > l in rank order
    return float(np.mean(np.log((together[m, l] + 1.0) / doc_freq[top][l])))
