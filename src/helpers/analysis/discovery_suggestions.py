"""Code suggestions for uncoded participant turns (issue 15 split of :mod:`helpers.analysis.discovery`):
one cross-validated classifier per code (grouped by participant), a code suggested only where its
precision holds; the review workbook. Counting rules: :mod:`helpers.analysis.discovery`.
"""
from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from helpers import atomic
from helpers.analysis.discovery_turns import (
    MIN_PREDICTED,
    SUGGESTION_RULE,
    _carried,
    _participant_turns,
    analyzer,
    state_rule,
)
from helpers.counting import check_level
from helpers.study import Study, labels_of
from helpers.textutil import plural


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
                row["note"] = (f"only {plural(int(row['n_predicted']), 'predicted turn')} across folds: too few to "
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
    suggestions = _suggestion_table(suggestion_parts, codes, study)
    folds = (pd.concat(fold_parts, ignore_index=True) if fold_parts
             else pd.DataFrame(columns=["code", "fold", "split", "participant_id"]))
    parameters["n_splits_used"] = int(scores["n_splits"].max()) if scores["n_splits"].notna().any() else 0
    state_rule(SUGGESTION_RULE, scores, suggestions, folds)
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


def _suggestion_table(parts: list[pd.DataFrame], codes: list[str], study) -> pd.DataFrame:
    columns = ["doc_id", "seg_no", "participant_id", "code", "probability", "text", "pseudonym"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "probability" else "string") for c in columns})
    out = pd.concat(parts, ignore_index=True)
    out["pseudonym"] = labels_of(study, out["participant_id"])
    out["code_order"] = pd.Index(codes).get_indexer(out["code"])
    out = out.sort_values(["code_order", "probability", "doc_id", "seg_no"], ascending=[True, False, True, True],
                          kind="stable")
    return out[columns].reset_index(drop=True)


def write_suggestions(result: CodeSuggestions, path: str | os.PathLike) -> Path:
    """An .xlsx for review: 'suggestions' (with an empty 'decision' column to
    fill in), 'scores' and 'about' (the counting rule).

    Parameters
    ----------
    result : CodeSuggestions
        What ``code_suggestions`` returned.
    path : str or path
        The .xlsx to write (atomically).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    review = result.suggestions.assign(decision="")
    about = pd.DataFrame({"about": [result.describe()]})
    atomic.write_excel(path, {"suggestions": review, "scores": result.scores, "about": about})
    return path
