"""Saturation (issue 15 split of :mod:`helpers.analysis.themes`): new codes per interview in
interview order, the stopping point (base size, run length, threshold), and how it moves with
the order. Counting rules: :mod:`helpers.analysis.themes`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.analysis.theme_matrix import _code_order
from helpers.counting import check_level, coder_sentence, default_level, level_label, passages
from helpers.study import participant_labels
from helpers.textutil import plural


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
    """The documents in interview order, the order ``saturation`` counts new codes in.

    A document takes its participant's order (the lowest among the
    participants its documents row, turns and codings name); documents with
    none follow, in file order, as do ties.

    Parameters
    ----------
    study : Study
        The study (its documents, participants, segments and codings).
    order : list of str, str or None
        A list of doc_ids (the documents not named follow in file order); or
        the name of a participants column holding each participant's rank
        (numbers; other values count as missing); None: the participants'
        ``interview_order`` column when present, else the documents' file order.

    Returns
    -------
    list of str
        Every ``doc_id`` of ``study.documents`` once, in interview order.

    Raises
    ------
    ValueError
        ``order`` names a document the study lacks, or a participants column
        it lacks.
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
        ``table.attrs["rule"]`` states the counting and stopping rules.

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
    rule = (found.attrs.get("rule", "") + " Saturation: n_new = codes at the level first carried by a passage "
            "of that interview (interviews in the order used); cumulative = distinct codes so far. Stopping rule "
            f"of Guest, Namey & Chen (2020): base of {plural(base_size, 'interview')}, runs of {run_length}, "
            f"saturation when a run's new codes are at most {threshold:.0%} of the base's codes.")
    table.attrs["rule"] = runs.attrs["rule"] = rule
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
    labels = participant_labels(study, who["participant_id"].unique())
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
        return (f"Saturation was not reached: {_n(s['n_interviews'], 'interview')} "
                f"{'is' if s['n_interviews'] == 1 else 'are'} too few to assess it "
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
    return plural(count, noun)   # the one plural rule (textutil)


def _span(run: dict) -> str:
    if run["first"] == run["last"]:
        return f"interview {run['first']}"
    return f"interviews {run['first']}–{run['last']}"
