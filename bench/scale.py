"""Scale benchmark: a generated study of 200 interviews × 10,000 words with 50,000 codings
through ``python -m helpers report`` — wall time and peak memory.

    .venv/bin/python bench/scale.py                                    # full size (tens of minutes)
    .venv/bin/python bench/scale.py --interviews 20 --codings 5000     # a quick run

Writes a deterministic synthetic study (seeded) into a throwaway project root
(``TRANSCRIPT_THEMES_HOME``, notebooks symlinked from this checkout), runs
``python -m helpers ingest`` and then ``python -m helpers report --jobs N`` as
subprocesses, and measures each one's wall time, the largest single process
(``ru_maxrss`` of the children) and the peak total resident memory of the
process tree (sampled every 0.5 s: the runner and its parallel kernels
together). The last line printed is the summary line quoted in bench/README.md.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

# Function words are most of real talk; they are on the shipped stop list, so
# word analyses see the content words below them.
FUNCTION_WORDS = ("i the and to a it was that of you in my me they but so like just know she he it's "
                  "we what there with be not have for on all them about then when really because "
                  "would if do at one this get as were had think said could out your can don't "
                  "no yeah well more going people time").split()
QUESTION_WORDS = ("how did you feel about what was it like when can tell me more that did anything "
                  "change after then who helped you were your and how would describe").split()
SYLLABLES = ("ba be bi bo bu da de di do du fa fe fi fo ka ke ki ko ku la le li lo lu ma me mi mo mu "
             "na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo "
             "za ze zi zo").split()


# -- the generated study -----------------------------------------------------------------

def pseudo_words(rng: np.random.Generator, n: int, taken: set[str]) -> list[str]:
    """``n`` distinct made-up words of 2–4 syllables (none in ``taken``)."""
    out: list[str] = []
    while len(out) < n:
        word = "".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 5))))
        if word not in taken:
            taken.add(word)
            out.append(word)
    return out


def codebook_rows(rng: np.random.Generator, taken: set[str], n_themes: int = 4, n_focused: int = 15,
                  n_initial: int = 60) -> tuple[list[dict], dict[str, list[str]]]:
    """Three levels (initial → focused → theme), every code named by two made-up
    words; and per initial code its topic words (its own 6 words, its focused
    code's 4, its theme's 3)."""
    themes = [f"theme {w}" for w in pseudo_words(rng, n_themes, taken)]
    focused = [f"focused {w}" for w in pseudo_words(rng, n_focused, taken)]
    initial = [f"{a} {b}" for a, b in zip(pseudo_words(rng, n_initial, taken), pseudo_words(rng, n_initial, taken))]
    focused_theme = [themes[i * n_themes // n_focused] for i in range(n_focused)]
    initial_focused = [focused[i * n_focused // n_initial] for i in range(n_initial)]
    theme_words = {t: pseudo_words(rng, 3, taken) for t in themes}
    focused_words = {f: pseudo_words(rng, 4, taken) for f in focused}
    rows = [{"code": t, "parent": "", "level": "theme", "description": f"theme {i + 1}"} for i, t in enumerate(themes)]
    rows += [{"code": f, "parent": focused_theme[i], "level": "focused", "description": f"focused code {i + 1}"}
             for i, f in enumerate(focused)]
    rows += [{"code": c, "parent": initial_focused[i], "level": "initial", "description": f"initial code {i + 1}"}
             for i, c in enumerate(initial)]
    topic = {}
    for i, code in enumerate(initial):
        f = initial_focused[i]
        t = focused_theme[focused.index(f)]
        topic[code] = pseudo_words(rng, 6, taken) + focused_words[f] + theme_words[t]
    return rows, topic


def generate(root: Path, name: str = "scale", interviews: int = 200, words: int = 10_000, codings: int = 50_000,
             double_coded: int = 20, seed: int = 0) -> dict:
    """Write the study folder ``root/data/raw/<name>``; returns what was written.

    Interviews alternate interviewer (short questions) and participant turns,
    100–150 turns each, about ``words`` words each (participant turns ≈ 8× the
    interviewer's). Participant turns mix function words, a Zipf-skewed general
    vocabulary and the topic words of the codes applied to them, so topics and
    keyness find structure. Each participant leans towards a few themes. Coder A
    codes every interview; coder B codes the first ``double_coded`` again,
    agreeing with A on most codes; A and B together make about ``codings``
    applications of initial codes (by turn, 1–9 codes per coded turn).
    """
    rng = np.random.default_rng(seed)
    raw = root / "data" / "raw" / name
    (raw / "transcripts").mkdir(parents=True, exist_ok=True)
    (raw / "codings").mkdir(exist_ok=True)
    taken = set(FUNCTION_WORDS) | set(QUESTION_WORDS)
    book, topic = codebook_rows(rng, taken)
    codes = [r["code"] for r in book if r["level"] == "initial"]
    theme_of = {}
    parent = {r["code"]: r["parent"] for r in book}
    for code in codes:
        theme_of[code] = parent[parent[code]]
    themes = [r["code"] for r in book if r["level"] == "theme"]
    general = np.array(pseudo_words(rng, 3000, taken) + ["hope", "ward", "worker", "support", "family"], dtype=object)
    general_p = 1.0 / np.arange(1, len(general) + 1) ** 1.05
    general_p /= general_p.sum()
    function = np.array(FUNCTION_WORDS, dtype=object)
    question = np.array(QUESTION_WORDS, dtype=object)

    double = min(double_coded, interviews)
    per_doc_codings = codings / max(1, interviews + double)
    code_index = np.arange(len(codes))
    sheet_a: list[tuple[str, int, str]] = []
    sheet_b: list[tuple[str, int, str]] = []
    ids = [f"P{i + 1:03d}" for i in range(interviews)]
    for d, pid in enumerate(ids):
        n_turns = int(rng.integers(100, 151)) // 2 * 2
        n_pairs = n_turns // 2
        # words: interviewer turns ~ 1/8 of a participant turn
        p_words = words / (n_pairs * (1 + 1 / 8))
        # this participant's leaning: two favoured themes weigh 4x
        favoured = set(rng.choice(themes, size=2, replace=False))
        weights = np.array([4.0 if theme_of[c] in favoured else 1.0 for c in codes])
        weights *= 1.0 / np.arange(1, len(codes) + 1) ** 0.6     # some codes common, most rarer
        weights /= weights.sum()
        # codes per participant turn: coded turns ~80%, 1-9 codes; scaled to the target
        per_turn = rng.poisson(per_doc_codings / (0.8 * n_pairs), size=n_pairs).clip(1, 9)
        per_turn[rng.random(n_pairs) >= 0.8] = 0
        lines = []
        for t in range(n_pairs):
            n_i = max(4, int(rng.normal(p_words / 8, p_words / 24)))
            lines.append("I: " + " ".join(rng.choice(question, size=n_i)).capitalize() + "?")
            turn_codes = [codes[i] for i in sorted(rng.choice(code_index, size=per_turn[t], replace=False, p=weights))]
            n_p = max(6, int(rng.normal(p_words, p_words / 3)))
            kinds = rng.random(n_p)
            text = np.where(kinds < 0.5, rng.choice(function, size=n_p),
                            rng.choice(general, size=n_p, p=general_p))
            if turn_codes:
                pool = np.array([w for c in turn_codes for w in topic[c]], dtype=object)
                topical = kinds >= 0.85
                text[topical] = rng.choice(pool, size=int(topical.sum()))
            if rng.random() < 0.05:
                text[int(rng.integers(0, n_p))] = "[laughs]"
            if rng.random() < 0.1:
                text[0] = "um,"
            lines.append("P: " + " ".join(text).capitalize() + ".")
            seg_no = 2 * t + 2
            if turn_codes:
                sheet_a.append((pid, seg_no, "; ".join(turn_codes)))
                if d < double:
                    # B agrees on most codes, drops one now and then, adds one now and then
                    kept = [c for c in turn_codes if rng.random() < 0.85]
                    if rng.random() < 0.15:
                        kept.append(codes[int(rng.choice(code_index, p=weights))])
                    if kept:
                        sheet_b.append((pid, seg_no, "; ".join(sorted(set(kept)))))
        (raw / "transcripts" / f"{pid}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

    order = rng.permutation(interviews) + 1
    with open(raw / "participants.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["participant_id", "pseudonym", "gender", "age_group", "referral_source", "interview_order"])
        for i, pid in enumerate(ids):
            writer.writerow([pid, f"Person {i + 1}", rng.choice(["female", "male", "non-binary"], p=[0.5, 0.45, 0.05]),
                             rng.choice(["18-25", "26-40", "41-65", "65+"]), rng.choice(["GP", "CPN", "self", "ward"]),
                             int(order[i])])
    with open(raw / "codebook.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["code", "parent", "level", "description"])
        writer.writeheader()
        writer.writerows(book)
    for coder, rows in (("A", sheet_a), ("B", sheet_b)):
        with open(raw / "codings" / f"coder_{coder}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["document", "turn", "initial codes"])
            writer.writerows(rows)
    (raw / "study.yml").write_text(
        "title: Scale benchmark (generated)\n"
        "codings:\n"
        "  - {path: codings/coder_A.csv, coder: A}\n"
        "  - {path: codings/coder_B.csv, coder: B}\n", encoding="utf-8")
    n_codings = sum(len(r[2].split("; ")) for r in sheet_a + sheet_b)
    return {"raw": raw, "interviews": interviews, "codings": n_codings}


def make_root(parent: Path | None) -> Path:
    root = Path(tempfile.mkdtemp(prefix="tt-scale-", dir=parent))
    (root / "data" / "processed").mkdir(parents=True)
    (root / "notebooks").symlink_to(REPO / "notebooks")
    return root


# -- measuring -------------------------------------------------------------------------

def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (0 once it has gone)."""
    try:
        import psutil
    except ImportError:
        return _proc_tree_rss(pid)
    try:
        proc = psutil.Process(pid)
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def _proc_tree_rss(pid: int) -> int:
    """/proc fallback: every process whose ancestry reaches ``pid``."""
    parents, rss = {}, {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(stat[1])
            rss[int(entry.name)] = int((entry / "statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    total = 0
    for p in rss:
        q = p
        while q in parents and q != pid and q > 1:
            q = parents[q]
        if q == pid:
            total += rss[p]
    return total


def run_measured(cmd: list[str], env: dict, cwd: Path, log: Path) -> tuple[float, float]:
    """Run ``cmd``; (wall seconds, peak total RSS of its process tree in MB)."""
    peak = 0
    with open(log, "a") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample():
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss(proc.pid))
                done.wait(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc.wait()
        seconds = time.perf_counter() - t0
        done.set()
        sampler.join()
    if code != 0:
        sys.exit(f"{' '.join(cmd[2:])} failed with status {code}; see {log}")
    return seconds, peak / 2**20


def children_cpu_seconds() -> float:
    """User + system CPU time of every finished child process and its waited-for descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def children_maxrss_mb() -> float:
    scale = 1 if sys.platform == "darwin" else 1024   # ru_maxrss: bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale / 2**20


def notebook_durations(executed: Path) -> dict[str, float]:
    """Executed notebook stem -> papermill's recorded duration (s)."""
    out = {}
    for path in sorted(executed.glob("*.ipynb")):
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("papermill", {})
        if meta.get("duration") is not None:
            out[path.stem] = float(meta["duration"])
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=200)
    parser.add_argument("--words", type=int, default=10_000, help="words per interview")
    parser.add_argument("--codings", type=int, default=50_000, help="applications, both coders together")
    parser.add_argument("--double-coded", type=int, default=20, help="interviews coded by a second coder")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (report --jobs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tmp", type=Path, default=None, help="folder for the throwaway project root")
    parser.add_argument("--keep", action="store_true", help="keep the project root (its path is printed)")
    parser.add_argument("--generate-only", action="store_true", help="write the study and stop")
    args = parser.parse_args(argv)

    root = make_root(args.tmp)
    try:
        t0 = time.perf_counter()
        made = generate(root, interviews=args.interviews, words=args.words, codings=args.codings,
                        double_coded=args.double_coded, seed=args.seed)
        raw = made["raw"]
        size = sum(p.stat().st_size for p in raw.rglob("*") if p.is_file())
        print(f"generated {made['interviews']} interviews, {made['codings']:,} codings, "
              f"{size / 2**20:.1f} MB in {time.perf_counter() - t0:.1f} s -> {root}", flush=True)
        if args.generate_only:
            args.keep = True
            return
        env = {**os.environ, "TRANSCRIPT_THEMES_HOME": str(root)}
        log = root / "run.log"
        python = [sys.executable, "-m", "helpers"]
        t_ingest, peak_ingest = run_measured(python + ["ingest", str(raw)], env, root, log)
        cpu_ingest = children_cpu_seconds()
        print(f"ingest {t_ingest:.1f} s (CPU {cpu_ingest:.0f} s), peak {peak_ingest:.0f} MB", flush=True)
        t_report, peak_report = run_measured(python + ["report", str(raw), "--jobs", str(args.jobs)], env, root, log)
        cpu_report = children_cpu_seconds() - cpu_ingest
        largest = children_maxrss_mb()
        durations = notebook_durations(root / "reports" / raw.name / "executed")
        profiles = {k: v for k, v in durations.items() if k.startswith("05-")}
        for stem, seconds in durations.items():
            if not stem.startswith("05-"):
                print(f"  {stem:<34} {seconds:8.1f} s")
        if profiles:
            values = np.array(list(profiles.values()))
            print(f"  05-participant-profile x{len(values):<4}        {values.sum():8.1f} s in all "
                  f"(each: median {np.median(values):.1f} s, max {values.max():.1f} s)")
        print(f"notebooks after ingest: {t_report:.0f} s wall, {cpu_report:.0f} s CPU over all processes "
              f"(CPU time is the steadier figure on a busy machine)")
        print(f"largest single process {largest:.0f} MB; process tree peak: ingest {peak_ingest:.0f} MB, "
              f"report {peak_report:.0f} MB (jobs {args.jobs})")
        print(f"scale {args.interviews} interviews x {args.words} words, {made['codings']} codings: "
              f"report {t_ingest + t_report:.0f} s (ingest {t_ingest:.0f} s), "
              f"peak {max(peak_ingest, peak_report, largest):.0f} MB", flush=True)
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
