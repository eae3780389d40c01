"""Benchmark the explore views (helpers.analysis.explore) on a synthetic study the size
the issue names: 40 interviews of ~400 turns each, ~10,000 codings by two
coders, 40 codes under 8 themes.

    .venv/bin/python bench/explore.py [--interviews 40] [--turns 400] [--codings 10000] [--repeat 20]

Prints the one-off preparation time of ``Explorer(study)`` and the mean
seconds per interaction (each view called ``--repeat`` times with varying
arguments). The target is < 0.2 s per interaction. Not part of the test run.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from helpers.analysis.explore import Explorer
from helpers.study import Study

WORDS = [f"word{i}" for i in range(2000)] + ["stigma", "stigmatised", "ward", "family", "peer", "support"]


def synthetic_study(n_interviews: int, n_turns: int, n_codings: int, seed: int = 0) -> Study:
    rng = np.random.default_rng(seed)
    texts, segments = {}, []
    for d in range(n_interviews):
        doc, pid = f"int{d:02d}", f"P{d:02d}"
        position, pieces = 0, []
        for seg in range(1, n_turns + 1):
            role = "interviewer" if seg % 2 else "participant"
            label = "I: " if role == "interviewer" else "P: "
            words = rng.choice(WORDS, size=int(rng.integers(8, 60)))
            text = " ".join(words) + "."
            start = position + len(label)
            pieces.append(label + text + "\n")
            segments.append((doc, seg, pid, role, text, start, start + len(text)))
            position += len(label) + len(text) + 1
        texts[doc] = "".join(pieces)
    seg = pd.DataFrame(segments, columns=["doc_id", "seg_no", "participant_id", "speaker_role", "text", "start", "end"])

    themes = [f"Theme {t}" for t in range(8)]
    codes = [f"code {c:02d}" for c in range(40)]
    codebook = pd.DataFrame({"code": codes + themes, "level": ["initial"] * 40 + ["theme"] * 8,
                             "parent": [themes[c % 8] for c in range(40)] + [""] * 8})
    # Codings land on participant turns (even seg_no), a tenth spanning into the next turn.
    picked = rng.integers(0, len(seg) // 2, size=n_codings) * 2 + 1
    rows = seg.iloc[picked].reset_index(drop=True)
    length = (rows["end"] - rows["start"]).to_numpy()
    offset = (rng.random(n_codings) * length * 0.5).astype(int)
    spans_two = (rng.random(n_codings) < 0.1) & (rows["seg_no"].to_numpy() < n_turns)
    codings = pd.DataFrame({
        "doc_id": rows["doc_id"], "seg_first": rows["seg_no"],
        "seg_last": rows["seg_no"] + spans_two.astype(int),
        "code": rng.choice(codes, size=n_codings), "level": "initial",
        "coder": rng.choice(["A", "B"], size=n_codings),
        "start": rows["start"].to_numpy() + offset,
        "end": np.where(spans_two, rows["end"].to_numpy() + 10, rows["end"].to_numpy() - offset // 2)})
    participants = pd.DataFrame({"participant_id": [f"P{d:02d}" for d in range(n_interviews)],
                                 "pseudonym": [f"Name{d}" for d in range(n_interviews)],
                                 "gender": rng.choice(["female", "male", "non-binary"], size=n_interviews),
                                 "age_band": rng.choice(["18-25", "26-40", "41-65"], size=n_interviews)})
    return Study.from_tables(segments=seg, codings=codings, codebook=codebook, participants=participants,
                             texts=texts, levels=["initial", "theme"])


def mean_seconds(call, arguments) -> float:
    times = []
    for args in arguments:
        started = time.perf_counter()
        call(*args)
        times.append(time.perf_counter() - started)
    return float(np.mean(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=40)
    parser.add_argument("--turns", type=int, default=400)
    parser.add_argument("--codings", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    started = time.perf_counter()
    study = synthetic_study(args.interviews, args.turns, args.codings)
    print(f"study: {len(study.segments)} turns, {len(study.codings)} codings "
          f"(built in {time.perf_counter() - started:.2f} s)")
    started = time.perf_counter()
    explorer = Explorer(study)
    print(f"Explorer(study): {time.perf_counter() - started:.3f} s once")

    rng = np.random.default_rng(1)
    codes = explorer.codes(None)
    themes = explorer.codes("theme")
    n = args.repeat
    some = lambda options: [options[i] for i in rng.integers(0, len(options), size=n)]  # noqa: E731
    cases = {
        "code_turns(code)": (lambda c: explorer.code_turns(c), [(c,) for c in some(codes)]),
        "code_turns(theme, level='theme')": (lambda c: explorer.code_turns(c, level="theme"),
                                             [(c,) for c in some(themes)]),
        "code_turns(theme, coder, where)": (
            lambda c: explorer.code_turns(c, level="theme", coder="A", where={"gender": ["female", "male"]}),
            [(c,) for c in some(themes)]),
        "code_turns_html(theme, limit=50)": (lambda c: explorer.code_turns_html(c, level="theme", limit=50),
                                             [(c,) for c in some(themes)]),
        "code_turns_html(theme) all turns": (lambda c: explorer.code_turns_html(c, level="theme"),
                                             [(c,) for c in some(themes)]),
        "kwic(term)": (lambda t: explorer.kwic(t), [(t,) for t in some(["stigma*", "ward", "family", "peer support"])]),
        "cooccurring_turns(a, b, theme)": (lambda a, b: explorer.cooccurring_turns(a, b, level="theme"),
                                           list(zip(some(themes), some(themes)))),
        "cooccurring_turns_html(a, b, limit=50)": (
            lambda a, b: explorer.cooccurring_turns_html(a, b, level="theme", limit=50),
            list(zip(some(themes), some(themes)))),
    }
    print(f"mean seconds per interaction ({n} calls each; target < 0.2 s):")
    for name, (call, arguments) in cases.items():
        seconds = mean_seconds(call, arguments)
        print(f"  {name:<42} {seconds:.4f}  {'ok' if seconds < 0.2 else 'SLOW'}")


if __name__ == "__main__":
    main()
