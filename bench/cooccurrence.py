"""Benchmark of helpers.analysis.cooccurrence against a straightforward pandas self-merge.

    .venv/bin/python bench/cooccurrence.py                      # 1,000,000 codings, 20,000 documents
    .venv/bin/python bench/cooccurrence.py --codings 100000 --documents 2000   # smaller

Builds a deterministic synthetic study (Zipf-skewed code frequencies, 1–4 codes
per coded turn, overlapping spans, some codings spanning two turns), times each
unit, records peak memory, times the self-merge baseline on a subsample of
documents (checking it gives the same matrix) and extrapolates it linearly per
document. The last line printed is the summary line quoted in the README.

``synthetic_study`` and ``baseline_cooccurrence`` are reused by
tests/unit/test_cooccurrence.py (the property test: vectorised == baseline).
"""
from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

TURN_CHARS = 200   # every synthetic turn is 200 characters, turns separated by one newline


# -- synthetic study -----------------------------------------------------------------

def synthetic_study(n_codings: int = 1_000_000, n_documents: int = 20_000, n_codes: int = 500,
                    turns_per_document: int = 60, seed: int = 0, zipf: float = 1.1, as_study: bool = True):
    """A deterministic synthetic study; a Study (``as_study``) or a dict of tables.

    Each document has ``turns_per_document`` turns alternating interviewer /
    participant, one participant per document. Coded turns are participant turns
    drawn at random; each gets 1–4 codings, code drawn with probability ∝ 1/rank^zipf;
    each span is a random stretch of its turn, so codings in a turn often overlap;
    one coding in ten runs on into the next turn (seg_last = seg_first + 1).
    """
    rng = np.random.default_rng(seed)
    doc_names = np.array([f"D{i:06d}" for i in range(n_documents)], dtype=object)
    person = np.array([f"P{i:06d}" for i in range(n_documents)], dtype=object)
    n_turns = turns_per_document
    # codings per coded turn: 1-4, enough turns to reach n_codings, the last one trimmed
    per_turn = rng.integers(1, 5, size=max(1, n_codings // 2 + 2))
    cut = int(np.searchsorted(np.cumsum(per_turn), n_codings)) + 1
    per_turn = per_turn[:cut].copy()
    per_turn[-1] -= int(per_turn.sum() - n_codings)
    per_turn = per_turn[per_turn > 0]
    n_coded_turns = len(per_turn)
    turn_doc = rng.integers(0, n_documents, size=n_coded_turns)
    turn_seg = 2 * rng.integers(1, n_turns // 2 + 1, size=n_coded_turns)     # even turns: participant
    turn_seg = np.minimum(turn_seg, n_turns)
    doc = np.repeat(turn_doc, per_turn)
    seg_first = np.repeat(turn_seg, per_turn)
    ranks = np.arange(1, n_codes + 1, dtype="float64")
    weights = ranks ** -zipf
    code = rng.choice(n_codes, size=len(doc), p=weights / weights.sum())
    turn_start = (seg_first - 1) * (TURN_CHARS + 1)
    offset = rng.integers(0, TURN_CHARS - 20, size=len(doc))
    length = rng.integers(10, 121, size=len(doc))
    runs_on = (rng.random(len(doc)) < 0.1) & (seg_first < n_turns)
    seg_last = seg_first + runs_on
    start = turn_start + offset
    end = np.where(runs_on, seg_first * (TURN_CHARS + 1) + length, np.minimum(start + length, turn_start + TURN_CHARS))
    code_names = np.array([f"c{i:03d}" for i in range(n_codes)], dtype=object)
    codings = pd.DataFrame({
        "doc_id": doc_names[doc], "participant_id": person[doc], "code": code_names[code], "level": "",
        "coder": "A", "start": start, "end": end, "seg_first": seg_first, "seg_last": seg_last,
    })
    seg_doc = np.repeat(np.arange(n_documents), n_turns)
    seg_no = np.tile(np.arange(1, n_turns + 1), n_documents)
    segments = pd.DataFrame({
        "doc_id": doc_names[seg_doc], "seg_no": seg_no, "participant_id": person[seg_doc],
        "speaker_role": np.where(seg_no % 2 == 0, "participant", "interviewer"),
        "speaker": np.where(seg_no % 2 == 0, "P", "I"),
        "start": (seg_no - 1) * (TURN_CHARS + 1), "end": (seg_no - 1) * (TURN_CHARS + 1) + TURN_CHARS,
        "text": "", "n_words": 0,
    })
    documents = pd.DataFrame({"doc_id": doc_names, "participant_id": person, "source_file": "", "format": "synthetic",
                              "sha256": "", "n_segments": n_turns, "n_words": 0})
    participants = pd.DataFrame({"participant_id": person, "group": np.where(np.arange(n_documents) % 2, "x", "y")})
    codebook = pd.DataFrame({"code": code_names, "level": "", "parent": "", "description": ""})
    tables = {"segments": segments, "codings": codings, "codebook": codebook, "participants": participants,
              "documents": documents}
    if not as_study:
        return tables
    from helpers.study import Study
    return Study.from_tables(**tables, name="synthetic", title="Synthetic")


# -- the straightforward baseline ----------------------------------------------------

def _turn_rows(codings: pd.DataFrame) -> pd.DataFrame:
    """(doc_id, seg_no, code) for every turn each coding touches."""
    first = codings["seg_first"].astype("int64")
    last = codings["seg_last"].fillna(codings["seg_first"]).astype("int64")
    lengths = (last - first + 1).clip(lower=1).to_numpy()
    rows = codings.loc[codings.index.repeat(lengths), ["doc_id", "code"]].reset_index(drop=True)
    offsets = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows["seg_no"] = np.repeat(first.to_numpy(), lengths) + offsets
    return rows


def baseline_cooccurrence(codings: pd.DataFrame, unit: str = "segment", window: int = 1,
                          codes: list[str] | None = None, dedupe_first: bool = False) -> pd.DataFrame:
    """Co-occurrence counts the plain way: merge codings with themselves on the
    document (participant), keep the pairs the unit's rule accepts, count each
    code pair's distinct units. Same rules as helpers.analysis.cooccurrence; diagonal =
    own counts. ``dedupe_first`` collapses codings to distinct (unit, code) rows
    before the merge (a smarter baseline for segment, window, document, participant)."""
    codings = codings.reset_index(drop=True)
    codings = codings.assign(code=codings["code"].astype(str), doc_id=codings["doc_id"].astype(str))
    codes = sorted(set(codings["code"])) if codes is None else list(codes)
    if unit in ("segment", "window"):
        turns = _turn_rows(codings)
        if dedupe_first:
            turns = turns.drop_duplicates()
        k = 0 if unit == "segment" else window
        pairs = turns.merge(turns, on="doc_id")
        pairs = pairs[((pairs["seg_no_x"] - pairs["seg_no_y"]).abs() <= k) & (pairs["code_x"] != pairs["code_y"])]
        # a turn takes part when it carries one code and the other is within k; once per code pair
        taking_part = pd.DataFrame({"a": np.minimum(pairs["code_x"], pairs["code_y"]),
                                    "b": np.maximum(pairs["code_x"], pairs["code_y"]),
                                    "doc_id": pairs["doc_id"], "seg_no": pairs["seg_no_x"]})
        off = taking_part.drop_duplicates().groupby(["a", "b"]).size()
        own = turns.drop_duplicates().groupby("code").size()
    elif unit == "overlap":
        spans = codings.assign(id=np.arange(len(codings)))
        spans = spans[spans["end"] > spans["start"]]
        pairs = spans.merge(spans, on="doc_id")
        pairs = pairs[(pairs["id_x"] < pairs["id_y"]) & (pairs["start_x"] < pairs["end_y"])
                      & (pairs["start_y"] < pairs["end_x"]) & (pairs["code_x"] != pairs["code_y"])]
        off = pd.DataFrame({"a": np.minimum(pairs["code_x"], pairs["code_y"]),
                            "b": np.maximum(pairs["code_x"], pairs["code_y"])}).groupby(["a", "b"]).size()
        own = spans.groupby("code").size()
    else:
        holder = "doc_id" if unit == "document" else "participant_id"
        held = codings.dropna(subset=[holder])[[holder, "code"]]
        if dedupe_first:
            held = held.drop_duplicates()
        pairs = held.merge(held, on=holder)
        pairs = pairs[pairs["code_x"] < pairs["code_y"]].drop_duplicates()
        off = pairs.groupby(["code_x", "code_y"]).size()
        off.index.names = ["a", "b"]
        own = held.drop_duplicates().groupby("code").size()
    half = off.unstack(fill_value=0).reindex(index=codes, columns=codes, fill_value=0)
    values = half.to_numpy(dtype="int64")
    values = values + values.T
    np.fill_diagonal(values, own.reindex(codes, fill_value=0).to_numpy(dtype="int64"))
    return pd.DataFrame(values, index=pd.Index(codes, name="code"), columns=pd.Index(codes))


# -- timing ---------------------------------------------------------------------------

def timed(fn, repeat: int = 1):
    best, value = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return best, value


def traced_peak_mb(fn) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def rss_peak_mb() -> float:
    scale = 1 if sys.platform == "darwin" else 1024   # ru_maxrss: bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codings", type=int, default=1_000_000)
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--codes", type=int, default=500)
    parser.add_argument("--turns", type=int, default=60, help="turns per document")
    parser.add_argument("--window", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per unit and baseline (best is kept)")
    parser.add_argument("--baseline-documents", type=int, default=400,
                        help="documents in the subsample the baseline runs on")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from helpers.analysis.cooccurrence import cooccurrence
    from helpers.study import Study

    t_build, tables = timed(lambda: synthetic_study(args.codings, args.documents, args.codes, args.turns,
                                                    args.seed, as_study=False))
    t_study, study = timed(lambda: Study.from_tables(**tables))
    print(f"built {len(study.codings):,} codings, {len(study.segments):,} turns, {args.documents:,} documents, "
          f"{args.codes} codes in {t_build:.1f} s (+ Study.from_tables {t_study:.1f} s)")

    units = ["segment", "overlap", "window", "document", "participant"]
    seconds, traced = {}, {}
    for unit in units:
        seconds[unit], result = timed(lambda: cooccurrence(study, unit=unit, window=args.window), args.repeat)
        traced[unit] = traced_peak_mb(lambda: cooccurrence(study, unit=unit, window=args.window))
        print(f"  {unit:<12} {seconds[unit]:7.3f} s   traced peak {traced[unit]:7.1f} MB   "
              f"n_units {result.attrs['n_units']:,}   off-diagonal sum {int(result.to_numpy().sum() - np.trace(result.to_numpy())):,}")
    peak = rss_peak_mb()
    print(f"process peak RSS after the timed units: {peak:.0f} MB (includes the study's tables)")

    sub_docs = min(args.baseline_documents, args.documents)
    keep_docs = set(tables["documents"]["doc_id"].iloc[:sub_docs])
    sub_tables = {name: (frame[frame["doc_id"].isin(keep_docs)] if "doc_id" in frame.columns else frame)
                  for name, frame in tables.items()}
    sub_tables["participants"] = tables["participants"][tables["participants"]["participant_id"].isin(
        set(sub_tables["documents"]["participant_id"]))]
    sub_study = Study.from_tables(**sub_tables)
    speedup = {}
    sub_codes = list(cooccurrence(sub_study, unit="document").index)
    speedup = {False: {}, True: {}}
    for dedupe_first in (False, True):
        name = "dedupe-first baseline" if dedupe_first else "self-merge baseline"
        for unit in units:
            t_base, slow = timed(lambda: baseline_cooccurrence(sub_study.codings, unit=unit, window=args.window,
                                                               codes=sub_codes, dedupe_first=dedupe_first),
                                 args.repeat)
            fast = cooccurrence(sub_study, unit=unit, window=args.window)
            assert np.array_equal(fast.to_numpy(), slow.to_numpy()), f"{name} and vectorised differ for {unit}"
            extrapolated = t_base * args.documents / sub_docs
            speedup[dedupe_first][unit] = extrapolated / seconds[unit]
            print(f"  {name} {unit:<12} {t_base:7.3f} s on {sub_docs} documents -> {extrapolated:8.1f} s "
                  f"extrapolated; speedup {speedup[dedupe_first][unit]:7.1f}x (same matrix on the subsample)")
    headline = ["segment", "overlap", "window", "document"]
    print(f"dedupe-first baseline speedup min {min(speedup[True][u] for u in headline):.0f} "
          f"(over {', '.join(headline)})")
    print(f"cooccurrence {args.codings} codings: segment {seconds['segment']:.2f} s, overlap {seconds['overlap']:.2f} s, "
          f"window {seconds['window']:.2f} s, document {seconds['document']:.2f} s; "
          f"baseline speedup min {min(speedup[False][u] for u in headline):.0f}; peak {peak:.0f} MB")

if __name__ == "__main__":
    main()
