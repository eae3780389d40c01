"""Explore views (helpers.analysis.explore) on a small study whose answers are counted
by hand in the comments."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers.analysis.explore import Explorer, explorer_widgets, highlight, kwic_in_segments
from helpers.study import Study

# (doc_id, seg_no, participant_id, speaker_role, text)
TURNS = [
    ("d1", 1, "p1", "interviewer", "How was the ward?"),
    ("d1", 2, "p1", "participant", "It was <script>alert(1)</script> frightening at first."),
    ("d1", 3, "p1", "participant", "The nurses helped me feel safe."),
    ("d1", 4, "p1", "interviewer", "And your family?"),
    ("d1", 5, "p1", "participant", "My family visited every day."),
    ("d2", 1, "p2", "interviewer", "Tell me about support."),
    ("d2", 2, "p2", "participant", "Peer support saved me, honestly."),
    ("d2", 3, "p2", "participant", "The ward felt unsafe at night."),
]
SEPARATOR = "\n\n"


def build_texts():
    """Clean texts = turns joined by a blank line; segment offsets into them."""
    texts, rows = {}, []
    for doc in ["d1", "d2"]:
        position, pieces = 0, []
        for d, seg, pid, role, text in TURNS:
            if d != doc:
                continue
            if pieces:
                pieces.append(SEPARATOR)
                position += len(SEPARATOR)
            rows.append({"doc_id": d, "seg_no": seg, "participant_id": pid, "speaker_role": role,
                         "text": text, "start": position, "end": position + len(text)})
            pieces.append(text)
            position += len(text)
        texts[doc] = "".join(pieces)
    return texts, pd.DataFrame(rows)


TEXTS, SEGMENTS = build_texts()


def span(doc: str, phrase: str, through: str | None = None) -> tuple[int, int]:
    """Offsets of ``phrase`` (to the end of ``through`` when given) in a document."""
    start = TEXTS[doc].index(phrase)
    end = TEXTS[doc].index(through) + len(through) if through else start + len(phrase)
    return start, end


# (doc_id, seg_first, seg_last, code, level, coder, span)
CODINGS = [
    ("d1", 2, 2, "fear", "initial", "A", span("d1", "frightening")),                                  # c1
    ("d1", 2, 2, "fear", "initial", "B", span("d1", "<script>alert(1)</script>")),                    # c2
    ("d1", 2, 3, "safety", "initial", "A", span("d1", "frightening at first.", "feel safe")),         # c3
    ("d1", 5, 5, "family", "initial", "A", span("d1", "My family visited every day.")),               # c4
    ("d2", 2, 2, "support", "initial", "B", span("d2", "Peer support")),                              # c5
    ("d2", 3, 3, "fear", "initial", "A", span("d2", "unsafe at night")),                              # c6
    ("d2", 3, 3, "safety", "initial", "B", span("d2", "felt unsafe")),                                # c7
    ("d2", 3, 3, "support", "initial", "A", span("d2", "night")),                                     # c8
]
CODEBOOK = pd.DataFrame({
    "code": ["fear", "safety", "Safety", "support", "family", "Connection"],
    "level": ["initial", "initial", "theme", "initial", "initial", "theme"],
    "parent": ["Safety", "Safety", "", "Connection", "Connection", ""],
})
PARTICIPANTS = pd.DataFrame({"participant_id": ["p1", "p2"], "pseudonym": ["Robin", "Sol"],
                             "gender": ["female", "male"]})


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    codings = pd.DataFrame([{"doc_id": d, "seg_first": f, "seg_last": l, "code": c, "level": lv, "coder": who,
                             "start": s[0], "end": s[1]} for d, f, l, c, lv, who, s in CODINGS])
    study = Study.from_tables(segments=SEGMENTS, codings=codings, codebook=CODEBOOK, participants=PARTICIPANTS,
                              texts=TEXTS, levels=["initial", "theme"])
    # The fixture keeps the contract: every segment's text is its slice of the clean text.
    for r in study.segments.itertuples():
        assert TEXTS[r.doc_id][r.start:r.end] == r.text
    return Explorer(study)


def keys(frame: pd.DataFrame) -> list[tuple[str, int]]:
    return list(zip(frame["doc_id"], frame["seg_no"].astype(int)))


def test_code_turns_as_applied(explorer):
    # "fear" as applied: c1 and c2 on d1/2 (coders A and B), c6 on d2/3 (A): 2 turns.
    found = explorer.code_turns("fear")
    assert keys(found) == [("d1", 2), ("d2", 3)]
    assert found["coders"].tolist() == ["A, B", "A"]
    assert found["n_codings"].tolist() == [2, 1]
    assert found["pseudonym"].tolist() == ["Robin", "Sol"]
    # d1/2: c2's span "<script>alert(1)</script>" (offset 7 in the turn) and c1's "frightening",
    # separated by a space, so not merged.
    turn = TURNS[1][4]
    assert found.loc[0, "spans"] == ((7, 32), (33, 44))
    assert turn[7:32] == "<script>alert(1)</script>" and turn[33:44] == "frightening"


def test_code_turns_rolled_up_to_theme(explorer):
    # Safety = fear + safety: d1/2 (c1, c2, c3), d1/3 (c3 continues), d2/3 (c6, c7): 3 turns.
    found = explorer.code_turns("Safety", level="theme")
    assert keys(found) == [("d1", 2), ("d1", 3), ("d2", 3)]
    assert found["n_codings"].tolist() == [3, 1, 2]
    assert found["coders"].tolist() == ["A, B", "A", "A, B"]
    # c3 runs from "frightening at first." in turn 2 to "feel safe" in turn 3: turn 3's
    # part is its start up to "safe", without the full stop.
    assert found.loc[1, "coded_text"] == "The nurses helped me feel safe"
    # d2/3: "unsafe at night" (c6) and "felt unsafe" (c7) overlap -> one span "felt unsafe at night".
    assert found.loc[2, "coded_text"] == "felt unsafe at night"


def test_code_turns_coder_and_where_filters(explorer):
    # Coder B's fear: only c2 on d1/2, marking the script text only.
    by_b = explorer.code_turns("fear", coder="B")
    assert keys(by_b) == [("d1", 2)]
    assert by_b.loc[0, "coded_text"] == "<script>alert(1)</script>"
    # Safety turns of male participants: only Sol (p2) -> d2/3.
    male = explorer.code_turns("Safety", level="theme", where={"gender": "male"})
    assert keys(male) == [("d2", 3)]
    both = explorer.code_turns("Safety", level="theme", where={"gender": ["male", "female"]})
    assert len(both) == 3
    with pytest.raises(ValueError, match="no attribute 'age'"):
        explorer.code_turns("fear", where={"age": "30"})
    assert explorer.code_turns("no such code").empty


def test_code_turns_html_escapes_and_marks(explorer):
    page = explorer.code_turns_html("fear")
    assert "<script>" not in page
    assert "<mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark>" in page
    assert "<mark>frightening</mark>" in page
    assert "<b>2</b> turns" in page
    only_b = explorer.code_turns_html("fear", coder="B")
    assert "<mark>frightening</mark>" not in only_b and "frightening" in only_b


def test_highlight_escapes_outside_and_inside_marks():
    assert highlight("a<b>c & d", [(1, 4)]) == "a<mark>&lt;b&gt;</mark>c &amp; d"


def test_cooccurring_turns_counts(explorer):
    # Themes: Safety on {d1/2, d1/3, d2/3}; Connection (support, family) on {d1/5, d2/2, d2/3}.
    # Both: d2/3; only Safety: d1/2, d1/3; only Connection: d1/5, d2/2.
    pair = explorer.cooccurring_turns("Safety", "Connection", level="theme")
    assert pair.counts.to_dict() == {"both": 1, "only_a": 2, "only_b": 2}
    assert keys(pair.both) == [("d2", 3)]
    assert keys(pair.only_a) == [("d1", 2), ("d1", 3)]
    assert keys(pair.only_b) == [("d1", 5), ("d2", 2)]
    # As applied: fear {d1/2, d2/3}, safety {d1/2, d1/3, d2/3}: both 2, only fear 0, only safety 1.
    applied = explorer.cooccurring_turns("fear", "safety")
    assert applied.counts.to_dict() == {"both": 2, "only_a": 0, "only_b": 1}
    page = explorer.cooccurring_turns_html("fear", "safety")
    assert "<script>" not in page and "(2)" in page


def test_kwic_in_segments_whole_words_and_context(explorer):
    # "ward" as a word: d1/1 "How was the ward?" and d2/3 "The ward felt unsafe at night."
    hits = kwic_in_segments(explorer.study, "WARD", width=8)
    assert keys(hits) == [("d1", 1), ("d2", 3)]
    assert hits["left"].tolist() == ["was the ", "The "]      # 8 characters, or to the turn's start
    assert hits["match"].tolist() == ["ward", "ward"]
    assert hits["right"].tolist() == ["?", " felt un"]
    # "fam*" matches "family" in d1/4 and d1/5; "fam" alone matches nothing.
    assert keys(kwic_in_segments(explorer.study, "fam*")) == [("d1", 4), ("d1", 5)]
    assert kwic_in_segments(explorer.study, "fam").empty


def test_explorer_kwic_adds_pseudonyms(explorer):
    hits = explorer.kwic("ward")
    assert len(hits) == 2
    assert sorted(hits["pseudonym"]) == ["Robin", "Sol"]


def test_widgets_build_and_react_without_a_kernel(explorer):
    pytest.importorskip("ipywidgets")
    ui = explorer_widgets(explorer)
    # First applied code in codebook order is "fear": 2 turns (see test_code_turns_as_applied).
    assert "<b>2</b> turns carry <b>fear</b>" in ui.outputs["turns"].outputs[0]["data"]["text/html"]
    ui.controls["level"].value = "theme"
    assert ui.controls["code"].options == ("Safety", "Connection")
    shown = ui.outputs["turns"].outputs[0]["data"]["text/html"]
    assert "<b>3</b> turns carry <b>Safety</b>" in shown
    ui.controls["where:gender"].value = ("male",)
    assert "<b>1</b> turn carries <b>Safety</b>" in ui.outputs["turns"].outputs[0]["data"]["text/html"]
    ui.controls["term"].value = "ward"
    assert "<b>2</b> hits" in ui.outputs["kwic"].outputs[0]["data"]["text/html"]


def test_explorer_kwic_finds_what_the_shared_kwic_finds(explorer):
    frequency = pytest.importorskip("helpers.analysis.frequency")
    if not hasattr(frequency, "kwic"):
        pytest.skip("helpers.analysis.frequency has no kwic yet")
    # The quick candidate filter must not lose a hit: same rows as asking every turn.
    for term in ["ward", "WARD", "peer support", "family", "safe"]:
        ours = explorer.kwic(term)[["doc_id", "seg_no", "left", "match", "right"]].reset_index(drop=True)
        theirs = frequency.kwic(explorer.study, term, roles="all")[["doc_id", "seg_no", "left", "match", "right"]]
        pd.testing.assert_frame_equal(ours, theirs.reset_index(drop=True), check_dtype=False)
    # "safe" is a whole word in d1/3 only ("unsafe" in d2/3 is not a hit).
    assert keys(explorer.kwic("safe")) == [("d1", 3)]
