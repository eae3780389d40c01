"""The interop cases of ../shared/cases/interop, each through the entry point users call
(``python -m helpers check``), with the values of its expected.md worked out by hand.

The cases are read where they are (skipped when the shared folder is absent) and copied
to a temporary folder only because a check may not write beside its inputs.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers.__main__ import run
from helpers.ingest.config import load_config
from helpers.ingest.pipeline import build
from helpers.study import resolve

REPO = Path(__file__).resolve().parents[2]
CASES = REPO.parent / "shared" / "cases" / "interop"


def case(name: str, tmp_path: Path) -> Path:
    folder = CASES / name
    if not folder.is_dir():
        pytest.skip(f"../shared/cases/interop/{name} not present (expected at {folder})")
    shutil.copytree(folder, tmp_path / name)
    return tmp_path / name


def built(folder: Path):
    paths = resolve(folder)
    return build(paths, load_config(paths.raw))


def test_atlasti_qde_named_after_project_with_a_zero_length_selection(tmp_path, capsys):
    folder = case("atlasti_qde_named_after_project", tmp_path)
    assert run(["check", str(folder)]) == 0
    err = capsys.readouterr().err
    # The zero-length selection is a warning that names it, says it has no text and keeps its memo.
    line = next(w for w in err.splitlines() if "s0000000-0000-4000-8000-000000000003" in w)
    assert line.startswith("warning: ") and "no text (zero length at position 147)" in line
    assert "check this word with the second coder" in line and "emotional shift" in line
    b = built(folder)
    assert b.documents["doc_id"].tolist() == ["P05"] and len(b.segments) == 4
    got = sorted((c.code, c.seg_first, c.seg_last, c.memo) for c in b.codings.itertuples())
    assert got == [("access", 2, 2, "nurse as gatekeeper"), ("emotional shift", 4, 4, ""),
                   ("professional role", 2, 2, "nurse as gatekeeper")]
    # The selections' text as ATLAS.ti shows it. Line 1 "I: How did you come to the service?" is
    # 35 characters + LF, so line 2 starts at 36 and its utterance at 39: 39-59 is "My nurse
    # referred me"; line 2 (42) and line 3 (35) put line 4's utterance at 36 + 43 + 36 + 3 = 118.
    texts = {c.code: b.texts["P05"][c.start:c.end] for c in b.codings.itertuples()}
    assert texts == {"access": "My nurse referred me", "professional role": "My nurse referred me",
                     "emotional shift": "Frightening at first, then a relief."}


def test_maxqda_coded_segments_with_code_paths_and_creators(tmp_path):
    folder = case("maxqda_coded_segments", tmp_path)
    b = built(folder)
    text = b.texts["P01"]
    got = sorted((c.code, c.coder, c.seg_first, text[c.start:c.end]) for c in b.codings.itertuples())
    # The three rows of the export: code = the last part of the path, coder = "Created by" (AB),
    # the segment found in turn 2, 4 and 6 (MAXQDA's paragraphs = the transcript's lines).
    assert got == [
        ("Disclosure", "AB", 6, "She told me about her own time in hospital."),
        ("Initial mistrust", "AB", 2, "I didn't trust her at first, I thought she was just another member of staff."),
        ("Persistence", "AB", 4, "But she kept coming back, week after week"),
    ]
    book = b.codebook.set_index("code")["parent"].to_dict()
    assert book == {"Trust": "", "Lived experience": "", "Initial mistrust": "Trust", "Persistence": "Trust",
                    "Disclosure": "Lived experience"}
    assert any("MAXQDA coded segments export" in w for w in b.warnings)
