"""Taguette's project export as the only coding source of a study: through
ingestion and helpers.cooccurrence, the overlap counts its README states."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers.analysis.cooccurrence import cooccurrence
from helpers.ingest.config import load_config
from helpers.ingest.pipeline import build
from helpers.study import Study, resolve

PEERS = Path(__file__).resolve().parents[2].parent / "shared" / "peers"
PROJECT = PEERS / "taguette" / "txt_upload" / "project.sqlite3"


@pytest.mark.skipif(not PROJECT.is_file(), reason=f"../shared/peers not present: Taguette's export expected at {PROJECT}")
def test_taguette_overlaps_give_the_readme_counts(tmp_path):
    (tmp_path / "codings").mkdir()
    shutil.copy(PROJECT, tmp_path / "codings" / "project.sqlite3")
    (tmp_path / "study.yml").write_text("title: taguette\n", encoding="utf-8")
    built = build(resolve(str(tmp_path)), load_config(tmp_path))
    study = Study.from_tables(segments=built.segments, codings=built.codings, codebook=built.codebook,
                              participants=built.participants, documents=built.documents, texts=built.texts)
    # README: highlights per tag wellbeing 4, workload 2, boundaries 2, peer support 1
    assert built.codings.groupby("code").size().to_dict() == {
        "wellbeing": 4, "workload": 2, "boundaries": 2, "peer support": 1}
    m = cooccurrence(study, unit="overlap")
    # README, "overlapping spans OR same highlight": wellbeing–workload 1 (H2/H3),
    # peer support–wellbeing 1 (H4/H5), peer support–workload 1 (H4/H6),
    # boundaries–wellbeing 1 (H8, one highlight with both tags); every other pair 0.
    expected = {("wellbeing", "workload"): 1, ("peer support", "wellbeing"): 1,
                ("peer support", "workload"): 1, ("boundaries", "wellbeing"): 1}
    codes = list(m.index)
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            want = expected.get((a, b), expected.get((b, a), 0))
            assert m.loc[a, b] == want == m.loc[b, a], (a, b)


@pytest.mark.skipif(not PROJECT.is_file(), reason=f"../shared/peers not present: Taguette's export expected at {PROJECT}")
def test_taguette_highlights_keep_their_exact_text(tmp_path):
    # Each highlight's byte offsets are carried through cleaning (helpers.ingest.spanmap), not re-found
    # by words: the coded text is the highlighted text of Taguette's stored document with runs
    # of white space as one space (cleaning's rule), punctuation at its edges included.
    from helpers.interop.taguette import read_taguette

    (tmp_path / "codings").mkdir()
    shutil.copy(PROJECT, tmp_path / "codings" / "project.sqlite3")
    (tmp_path / "study.yml").write_text("title: taguette\n", encoding="utf-8")
    built = build(resolve(str(tmp_path)), load_config(tmp_path))
    ext = read_taguette(PROJECT)
    source = {d.doc_id: d.source_text for d in ext.documents}
    assert set(built.codings["match"]) == {"span"}
    want = sorted((r.doc_id, r.code, " ".join(source[r.doc_id][int(r.start):int(r.end)].split()))
                  for r in ext.records.itertuples())
    got = sorted((c.doc_id, c.code, " ".join(built.texts[c.doc_id][c.start:c.end].split()))
                 for c in built.codings.itertuples())
    assert got == want and len(got) == 9
