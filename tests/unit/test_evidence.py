"""Evidence behind every number (issue 16 point 4): the passages each count
counts, on static pages that the numbers link to."""
from __future__ import annotations

import re

import pandas as pd

from helpers.report import evidence, present
from helpers.study import Study
from helpers.textutil import plural

TEXT = "I: How was it?\nP: The group gave me hope and a place.\nI: And then?\nP: Hope again, <b>really</b>.\n"


def _study() -> Study:
    # turns: 1 interviewer, 2 participant, 3 interviewer, 4 participant
    starts = [0, 15, 54, 67]
    ends = [14, 53, 66, len(TEXT) - 1]
    segments = pd.DataFrame({"doc_id": "d1", "seg_no": [1, 2, 3, 4], "participant_id": [None, "P1", None, "P1"],
                             "speaker_role": ["interviewer", "participant", "interviewer", "participant"],
                             "start": starts, "end": ends, "text": [TEXT[s:e] for s, e in zip(starts, ends)]})
    hope_at = TEXT.index("hope and")
    codings = pd.DataFrame([
        # two overlapping codings of "hope" by one coder: one passage covering their union
        {"doc_id": "d1", "code": "hope", "seg_first": 2, "seg_last": 2, "start": hope_at, "end": hope_at + 4},
        {"doc_id": "d1", "code": "hope", "seg_first": 2, "seg_last": 2, "start": hope_at, "end": hope_at + 10},
        {"doc_id": "d1", "code": "hope", "seg_first": 4, "seg_last": 4, "start": 70, "end": 95},
        {"doc_id": "d1", "code": "group", "seg_first": 2, "seg_last": 2, "start": 18, "end": 27},
    ])
    codings["participant_id"] = "P1"
    return Study.from_tables(segments=segments, codings=codings, texts={"d1": TEXT},
                             participants=pd.DataFrame({"participant_id": ["P1"], "pseudonym": ["Ash"]}))


def test_overlapping_codings_are_one_passage_with_their_union_text():
    found = evidence.passages(_study())
    hope = found[found["code"] == "hope"].reset_index(drop=True)
    assert len(hope) == 2
    assert hope.loc[0, "text"] == "hope and a"   # union of "hope" and "hope and a"
    assert found[found["code"] == "group"]["text"].tolist() == ["The group"]  # TEXT[18:27]


def test_code_page_lists_passages_and_links_resolve(tmp_path):
    study = _study()
    page = evidence.write_code_pages(study, folder=tmp_path / "evidence").read_text(encoding="utf-8")
    assert page.count("<tr>") == 2 + 3  # a header row per code, 2 + 1 passages
    assert "Ash" in page and "&lt;b&gt;really&lt;/b&gt;" in page and "<b>really" not in page
    freq = pd.DataFrame({"code": ["group", "hope"], "applications": [1, 2]})
    shown = present.table(freq, links=evidence.code_links(None)).to_html()
    for href in re.findall(r'href="evidence/([^"]+)"', shown):
        name, anchor = href.split("#")
        assert name == "codes-as-applied.html" and f'id="{anchor}"' in page


def test_pair_page_lists_the_passages_on_shared_turns(tmp_path):
    study = _study()
    counts = pd.DataFrame([[2, 1], [1, 1]], index=pd.Index(["hope", "group"], name="code"), columns=["hope", "group"])
    page = evidence.write_pair_pages(study, counts, folder=tmp_path).read_text(encoding="utf-8")
    section = page.split(f'id="{evidence.pair_anchor("hope", "group")}"')[1]
    # turn 2 carries both: the hope passage there and the group passage, not the hope passage in turn 4
    assert "2 passages" in section and "really" not in section
    link = evidence.pair_links(None, "segment")
    row = present.table(counts).source.reset_index().iloc[1]
    assert link(row, "hope") == f"evidence/pairs-as-applied-segment.html#{evidence.pair_anchor('hope', 'group')}"


def test_cell_page_and_links_by_pseudonym(tmp_path):
    study = _study()
    page = evidence.write_cell_pages(study, level=None, folder=tmp_path).read_text(encoding="utf-8")
    assert "Ash × hope" in page and f'id="{evidence.anchor("P1", "hope")}"' in page
    matrix = pd.DataFrame({"group": [1], "hope": [1]}, index=pd.Index(["Ash"], name="participant"))
    html = present.table(matrix, links=evidence.cell_links(study, None)).to_html()
    assert f'cells-as-applied.html#{evidence.anchor("P1", "hope")}' in html


def test_anchor_keeps_codes_apart():
    assert evidence.anchor("self-care") != evidence.anchor("self care")


def test_codes_as_applied_and_the_unnamed_level_get_different_pages(tmp_path):
    """Found on the demo: notebook 03 at the unnamed level ('') overwrote notebook 02's
    page of codes as applied (None), and 02's links led to missing anchors."""
    study = _study()
    as_applied = evidence.write_code_pages(study, level=None, folder=tmp_path)
    unnamed = evidence.write_code_pages(study, level="", folder=tmp_path)
    assert as_applied != unnamed and as_applied.name == "codes-as-applied.html" and unnamed.name == "codes-code.html"
    assert evidence.code_links("")(pd.Series({"code": "hope"}), "applications").startswith("evidence/codes-code.html#")


def test_a_passage_on_an_interviewer_turn_only_gives_no_participant_and_no_crash(tmp_path):
    """A code on the interviewer's question has no participant (issue 12 point 7): the code
    page failed with "'float' object has no attribute 'split'" and stopped the report."""
    study = _study()
    question = pd.DataFrame([{"doc_id": "d1", "code": "asking", "seg_first": 1, "seg_last": 1, "start": 3,
                              "end": 14, "participant_id": None}])
    study = Study.from_tables(segments=study.segments, codings=pd.concat([study.codings, question]),
                              texts=study.texts, participants=study.participants)
    page = evidence.write_code_pages(study, folder=tmp_path / "evidence").read_text(encoding="utf-8")
    assert "from 0 participants" in page


def _window_study() -> Study:
    """d1 (P1): turns 1 I, 2 P1, 3 I, 4 P1, 5 I, 6 P1; d2 (P2): turns 1 I, 2 P2.
    Passages: calm@d1:2 "alpha", pain@d1:4 "bravo", calm@d1:6 "charlie delta" and
    pain@d1:6 "delta echo" (sharing "delta"), calm@d2:2 "foxtrot"."""
    turns = {"d1": ["I: one?", "P: alpha here.", "I: two?", "P: bravo here.", "I: three?",
                    "P: charlie delta echo."],
             "d2": ["I: four?", "P: foxtrot here."]}
    texts, rows = {}, []
    for doc, lines in turns.items():
        text, pos = "", 0
        for n, line in enumerate(lines, start=1):
            pid = None if line.startswith("I:") else ("P1" if doc == "d1" else "P2")
            rows.append({"doc_id": doc, "seg_no": n, "participant_id": pid,
                         "speaker_role": "interviewer" if pid is None else "participant",
                         "start": pos, "end": pos + len(line), "text": line})
            text += line + "\n"
            pos = len(text)
        texts[doc] = text

    def coding(doc, code, turn, words):
        at = texts[doc].index(words)
        return {"doc_id": doc, "code": code, "seg_first": turn, "seg_last": turn, "start": at, "end": at + len(words),
                "participant_id": "P1" if doc == "d1" else "P2"}
    codings = pd.DataFrame([coding("d1", "calm", 2, "alpha"), coding("d1", "pain", 4, "bravo"),
                            coding("d1", "calm", 6, "charlie delta"), coding("d1", "pain", 6, "delta echo"),
                            coding("d2", "calm", 2, "foxtrot")])
    return Study.from_tables(segments=pd.DataFrame(rows), codings=codings, texts=texts,
                             participants=pd.DataFrame({"participant_id": ["P1", "P2"]}))


# (unit, window) -> (the count worked out by hand, the passages it counts)
#  segment: only turn d1:6 carries both -> 1; its two passages.
#  overlap: "charlie delta" and "delta echo" share "delta" -> 1 pair; those two.
#  window 1: calm turns {2, 6}, pain turns {4, 6} in d1; within 1 turn only turn 6 -> 1 + 1 - 1 = 1.
#  window 2: calm@2 has pain@4 two turns away, pain@4 has calm@2 and calm@6, turn 6 both
#            -> |{2, 6}| + |{4, 6}| - |{6}| = 3 turns; all four d1 passages.
#  document: d1 only (d2 has no pain) -> 1; the four d1 passages, not "foxtrot".
#  participant: P1 only -> 1; the four d1 passages.
WINDOW_CASES = {
    ("segment", 1): (1, {"charlie delta", "delta echo"}),
    ("overlap", 1): (1, {"charlie delta", "delta echo"}),
    ("window", 1): (1, {"charlie delta", "delta echo"}),
    ("window", 2): (3, {"alpha", "bravo", "charlie delta", "delta echo"}),
    ("document", 1): (1, {"alpha", "bravo", "charlie delta", "delta echo"}),
    ("participant", 1): (1, {"alpha", "bravo", "charlie delta", "delta echo"}),
}


def test_pair_evidence_lists_exactly_what_the_count_counts_for_every_unit(tmp_path):
    import helpers

    study = _window_study()
    sections, listed = {}, {}
    for (unit, window), (count, _) in WINDOW_CASES.items():
        counts = helpers.cooccurrence(study, unit=unit, window=window)
        assert counts.loc["calm", "pain"] == count, (unit, window)
        # as notebook 03 calls it: the unit named, the window taken from the counts
        page = evidence.write_pair_pages(study, counts, unit=unit, folder=tmp_path / f"{unit}{window}").read_text(
            encoding="utf-8")
        sections[unit, window] = page.split(f'id="{evidence.pair_anchor("calm", "pain")}"')[1].split("</section>")[0]
        listed[unit, window] = set(re.findall(r'<td class="text">([^<]*)</td>', sections[unit, window]))
    assert listed == {key: texts for key, (_, texts) in WINDOW_CASES.items()}
    for key, (count, texts) in WINDOW_CASES.items():   # the page says what the count counts
        assert f"{plural(len(texts), 'passage')} of either code counted in {count} " in sections[key], key


def test_a_passage_over_two_speakers_turns_names_both_as_the_counts_do():
    """A focus-group passage from one participant's turn into another's counts for both
    (counting.HOLDER_RULE), but its evidence row named only the first: evidence.passages
    now takes the passages and their holders from counting (one rule), and still merges
    two coders' codings of the same words into one passage as the count does."""
    import helpers

    study = _study()
    segments = study.segments.assign(participant_id=[None, "P1", None, "P2"])
    span = pd.DataFrame([{"doc_id": "d1", "code": "hope", "seg_first": 2, "seg_last": 4, "start": 18, "end": 95,
                          "participant_id": "P1", "coder": "A"},
                         {"doc_id": "d1", "code": "hope", "seg_first": 2, "seg_last": 2, "start": 18, "end": 27,
                          "participant_id": "P1", "coder": "B"}])
    participants = pd.DataFrame({"participant_id": ["P1", "P2"], "pseudonym": ["Ash", "Bo"]})
    study = Study.from_tables(segments=segments, codings=span, texts={"d1": TEXT}, participants=participants)
    freq = helpers.code_frequencies(study, coder="all").set_index("code")
    found = evidence.passages(study, coder="all")
    assert int(freq.loc["hope", "applications"]) == 1 and int(freq.loc["hope", "participants"]) == 2
    assert found[["participant_id", "coder", "text"]].values.tolist() == [["P1; P2", "A, B", TEXT[18:95]]]
    # a passage without a span shows the turns it touches, whole
    no_span = span.iloc[[0]].assign(start=None, end=None, seg_last=2)
    study = Study.from_tables(segments=segments, codings=no_span, texts={"d1": TEXT}, participants=participants)
    assert evidence.passages(study)["text"].tolist() == [segments["text"].iloc[1]]


def test_pair_members_with_the_holders_given_once_equal_those_computed_per_pair(home):
    """An evidence page gives pair_members the holders of all its passages once (they were
    computed again for each of hundreds of pairs): every pair of the demo, the same rows and count."""
    import numpy as np
    from support import DEMO

    from helpers.analysis.cooccurrence_counts import pair_members
    from helpers.counting import holders, passages
    from helpers.study import load_study

    home(DEMO)
    study = load_study("demo")
    found = passages(study, "initial")   # the demo's most specific level: many pairs
    held = holders(study, found)
    codes = sorted(found["code"].astype(str).unique())
    pairs = [(a, b) for i, a in enumerate(codes) for b in codes[i + 1:]][::15]   # a spread of ~50 of ~780
    assert len(pairs) >= 40
    for a, b in pairs:
        given, n_given = pair_members(study, found, a, b, "participant", held=held)
        computed, n_computed = pair_members(study, found, a, b, "participant")
        assert n_given == n_computed and np.array_equal(given, computed), (a, b)
