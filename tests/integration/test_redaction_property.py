"""Issue 19 "Done when": random names with random variants (NFC/NFD, apostrophes, dashes,
invisible characters, abbreviation dots, case) planted in a transcript, its file name and
participants.csv never reach an output file or file name, and the leak scan finds every
variant planted in the outputs after the run.

The redactor's property is checked with hypothesis on many names; the whole path (command
line ``ingest`` and ``export``) once on a seeded random study. Leaks are looked for with the
independent folding of test_confidentiality_cases.
"""
from __future__ import annotations

import random
import unicodedata

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from support import REPO, run_in
from test_confidentiality_cases import leaks

from helpers.ingest.cleaning import Redactor
from helpers.leakscan import scan_folders

SYLLABLES = ["ma", "ry", "zo", "ë", "si", "ân", "lu", "ka", "sz", "ch", "lo", "é", "ne", "ill", "bri", "en", "da",
             "ro", "ha", "ł", "øy", "ço", "ñe"]
APOSTROPHES = ["'", "\u2019", "\u2018", "\u02bc"]
DASHES = ["-", "\u2010", "\u2011", "\u2013", "\u2014", "\u2212"]
INVISIBLE = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


def make_name(rng: random.Random) -> str:
    """A capitalised invented name: one or two words, maybe O'…, maybe hyphenated, maybe 'Dr'."""
    def word() -> str:
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
        return w[0].upper() + w[1:]
    name = word()
    shape = rng.randrange(4)
    if shape == 1:
        name = f"O'{word()}"
    elif shape == 2:
        name = f"{word()}-{word()}"
    elif shape == 3:
        name = f"Dr {word()}"
    if rng.random() < 0.5:
        name += " " + word()
    return name


def variant(name: str, rng: random.Random) -> str:
    """The same name as a different keyboard, editor or operating system may write it."""
    out = name.replace("'", rng.choice(APOSTROPHES)).replace("-", rng.choice(DASHES))
    if out.startswith("Dr ") and rng.random() < 0.5:
        out = "Dr." + out[2:]
    if rng.random() < 0.5:
        out = unicodedata.normalize("NFD", out)
    if rng.random() < 0.3:
        out = out.upper()
    elif rng.random() < 0.3:
        out = out.lower()
    if rng.random() < 0.5:
        letters = [i for i, c in enumerate(out) if c.isalpha() and i > 0]
        i = rng.choice(letters)
        out = out[:i] + rng.choice(INVISIBLE) + out[i:]
    if rng.random() < 0.3:
        out = out.replace(" ", rng.choice(["\u00a0", "\u2009", "  "]))
    return out


@settings(max_examples=300, deadline=None)
@given(st.randoms(use_true_random=False))
def test_no_variant_of_a_listed_name_survives_the_redactor(rng):
    names = [make_name(rng) for _ in range(3)]
    redact = Redactor([(n, f"(N{i})") for i, n in enumerate(names)])
    planted = [variant(n, rng) for n in names]
    text = "Before " + ", then ".join(f"{v}’s turn" for v in planted) + "."
    out = redact(text)
    assert leaks_in_text(out, names) == [], (planted, out)
    assert out.startswith("Before ") and out.endswith("’s turn.")
    # and the scan of a text holding the variants finds every one of them
    for i, v in enumerate(planted):
        assert f"(N{i})" in redact.found_in(f"x {v} y") or any(
            f"(N{j})" in redact.found_in(f"x {v} y") for j in range(len(names)) if names[j] in names[i])


def leaks_in_text(text: str, names: list[str]) -> list[str]:
    from test_confidentiality_cases import fold, term_regex

    return [m.group(0) for m in term_regex(names).finditer(fold(text))]


def test_random_names_never_reach_an_output_and_the_scan_finds_them_after(tmp_path):
    rng = random.Random(19)
    names = sorted({make_name(rng) for _ in range(12)})
    root = tmp_path / "project"
    raw = root / "data" / "raw" / "prop"
    (raw / "transcripts").mkdir(parents=True)
    (root / "notebooks").symlink_to(REPO / "notebooks")
    (raw / "study.yml").write_text("title: Property study\n")
    (raw / "redactions.csv").write_text("term,replacement\n" + "".join(f"\"{n}\",(N{i})\n" for i, n in enumerate(names)),
                                        encoding="utf-8")
    rows = ["participant_id,pseudonym,keyworker"]
    for p in range(1, 4):
        pid = f"P0{p}"
        lines = [f"I: Who helped you, {variant(names[0], rng)}?"]
        for name in names:
            lines.append(f"P: {variant(name, rng)} helped, and {variant(name, rng)}’s friend too.")
            lines.append(f"I: And {variant(name, rng).lower()} again?")
        file_name = f"{pid} {variant(names[p], rng)}.txt"
        (raw / "transcripts" / file_name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        rows.append(f"{pid},{variant(names[p + 3], rng)},\"{variant(names[p + 6], rng)}\"")
    (raw / "participants.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    ingest = run_in(root, "ingest", "prop")
    assert ingest.returncode == 0, ingest.stderr
    export = tmp_path / "out" / "prop.qdpx"
    export.parent.mkdir()
    assert run_in(root, "export", "prop", "--to", "qdpx", str(export)).returncode == 0
    processed = root / "data" / "processed" / "prop"
    assert leaks([processed, export.parent], names) == []
    assert not any(n in (ingest.stdout + ingest.stderr) for n in names)
    participants = pd.read_parquet(processed / "participants.parquet")
    assert set(participants["keyworker"].dropna()) <= {f"(N{i})" for i in range(len(names))}

    # After the run: plant a variant in a text, a table cell, a file name; the scan finds each.
    redact = Redactor([(n, f"(N{i})") for i, n in enumerate(names)])
    assert scan_folders([processed], redact).leaks == []
    text_file = sorted((processed / "texts").iterdir())[0]
    text_file.write_text(text_file.read_text() + f"\nP: {variant(names[1], rng)}\n")
    frame = pd.read_parquet(processed / "participants.parquet")
    frame.loc[0, "pseudonym"] = variant(names[2], rng)
    frame.to_parquet(processed / "participants.parquet")
    (processed / "tables" / f"{variant(names[5], rng)}.csv").write_text("x\n")
    found = {(leak.path.name, leak.placeholder) for leak in scan_folders([processed], redact).leaks}
    assert (text_file.name, "(N1)") in found
    assert ("participants.parquet", "(N2)") in found
    assert any(placeholder == "(N5)" and path.endswith(".csv") for path, placeholder in found)
