"""Co-occurrence: every unit and measure against matrices worked out by hand.

The fixture (three documents, codes a b c d under a 3-level codebook):

    doc D1 (P1)   t1 I  "How are you?"
                  t2 P  "I feel hope and fear about work."   a "hope and fear", b "fear about work",
                                                              a "about work"   (a twice in t2)
                  t3 I  "Tell me more."                      c "Tell me more.\\nHope ... every day." (t3-t4)
                  t4 P  "Hope keeps me going every day."     d "every day"  (nested in c)
    doc D2 (P2)   t1 I  "What helped?"
                  t2 P  "My sister helped me find hope."     a "find hope" nested in c "My sister ... hope"
                  t3 P  "Work was hard but fine."            b "Work was hard"
    doc D3 (P3)   t1 I  "Start anywhere."
                  t2 P  "Fear came first."                   b "Fear came first"
                  t3 I  "And then?"
                  t4 P  "Then hope and work together."       a "Then hope", d "hope and work together"
                  t5 P  "Hope again."                        a "Hope again"

Turns carrying each code:  a: D1t2 D2t2 D3t4 D3t5 (4)   b: D1t2 D2t3 D3t2 (3)
                           c: D1t3 D1t4 D2t2 (3)         d: D1t4 D3t4 (2)        N = 12 turns
Codebook: a, b -> F1; c -> F2; d -> F3 (focused); F1, F2 -> T1; F3 -> T2 (theme).
Participants P1 F, P2 M, P3 F, P4 M (P4 has no interview): N = 4 participants.
"""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact

from helpers.analysis.cooccurrence import benjamini_hochberg_matrix, cooccurrence, cooccurrence_table, counting_rule
from helpers.counting import passages
from helpers.study import Study

LEVELS = ["code", "focused", "theme"]
TURNS = {
    "D1": [("interviewer", "How are you?"), ("participant", "I feel hope and fear about work."),
           ("interviewer", "Tell me more."), ("participant", "Hope keeps me going every day.")],
    "D2": [("interviewer", "What helped?"), ("participant", "My sister helped me find hope."),
           ("participant", "Work was hard but fine.")],
    "D3": [("interviewer", "Start anywhere."), ("participant", "Fear came first."), ("interviewer", "And then?"),
           ("participant", "Then hope and work together."), ("participant", "Hope again.")],
}
OWNER = {"D1": "P1", "D2": "P2", "D3": "P3"}
# (doc, code, quoted text, first turn, last turn)
CODINGS = [
    ("D1", "a", "hope and fear", 2, 2), ("D1", "b", "fear about work", 2, 2), ("D1", "a", "about work", 2, 2),
    ("D1", "c", "Tell me more.\nHope keeps me going every day.", 3, 4), ("D1", "d", "every day", 4, 4),
    ("D2", "a", "find hope", 2, 2), ("D2", "c", "My sister helped me find hope", 2, 2),
    ("D2", "b", "Work was hard", 3, 3),
    ("D3", "b", "Fear came first", 2, 2), ("D3", "a", "Then hope", 4, 4),
    ("D3", "d", "hope and work together", 4, 4), ("D3", "a", "Hope again", 5, 5),
]
CODEBOOK = pd.DataFrame({
    "code": ["T1", "T2", "F1", "F2", "F3", "a", "b", "c", "d"],
    "level": ["theme", "theme", "focused", "focused", "focused", "code", "code", "code", "code"],
    "parent": ["", "", "T1", "T1", "T2", "F1", "F1", "F2", "F3"],
})


def three_document_study() -> Study:
    segments, texts = [], {}
    for doc, turns in TURNS.items():
        text = "\n".join(t for _, t in turns)
        texts[doc] = text
        offset = 0
        for seg_no, (role, words) in enumerate(turns, start=1):
            segments.append({"doc_id": doc, "seg_no": seg_no, "participant_id": OWNER[doc], "speaker_role": role,
                             "speaker": "I" if role == "interviewer" else "P", "start": offset,
                             "end": offset + len(words), "text": words})
            offset += len(words) + 1
    segments = pd.DataFrame(segments)
    rows = []
    for doc, code, quote, first, last in CODINGS:
        turn_start = int(segments[(segments.doc_id == doc) & (segments.seg_no == first)]["start"].iloc[0])
        start = texts[doc].index(quote, turn_start)
        rows.append({"doc_id": doc, "participant_id": OWNER[doc], "code": code, "level": "code", "coder": "A",
                     "start": start, "end": start + len(quote), "seg_first": first, "seg_last": last})
    participants = pd.DataFrame({"participant_id": ["P1", "P2", "P3", "P4"], "gender": ["F", "M", "F", "M"]})
    return Study.from_tables(segments=segments, codings=pd.DataFrame(rows), codebook=CODEBOOK,
                             participants=participants, texts=texts, levels=LEVELS)


@pytest.fixture(scope="module")
def study() -> Study:
    return three_document_study()


# -- counts by unit ---------------------------------------------------------------

def test_segment_counts(study):
    # pairs by turn: a-b D1t2; a-c D2t2; a-d D3t4; c-d D1t4; b-c, b-d none.
    # diagonal: turns carrying the code (a's two codings in D1t2 count once; c counts in t3 and t4).
    result = cooccurrence(study, unit="segment")
    expected = [[4, 1, 1, 1],
                [1, 3, 0, 0],
                [1, 0, 3, 1],
                [1, 0, 1, 2]]
    assert list(result.index) == ["a", "b", "c", "d"] and list(result.columns) == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(result.to_numpy(), expected)
    # N = participant turns (D1t2 D1t4 D2t2 D2t3 D3t2 D3t4 D3t5 = 7) plus the coded interviewer
    # turn D1t3 = 8 (issue 12, point 9: uncoded interviewer turns are not units)
    assert result.attrs["n_units"] == 8
    assert result.attrs["unit"] == "segment" and result.attrs["measure"] == "count"
    assert "diagonal" in result.attrs["rule"]


def test_overlap_counts(study):
    # sharing a character: a"hope and fear" & b"fear about work" (fear); b & a"about work" (nested);
    # c(D1 t3-t4) & d"every day" (nested); a"find hope" & c"My sister..." (nested);
    # a"Then hope" & d"hope and work together" (hope). a"hope and fear" / a"about work" do not touch.
    # diagonal: codings per code a 5, b 3, c 2, d 2.
    result = cooccurrence(study, unit="overlap")
    expected = [[5, 2, 1, 1],
                [2, 3, 0, 0],
                [1, 0, 2, 1],
                [1, 0, 1, 2]]
    np.testing.assert_array_equal(result.to_numpy(), expected)
    assert result.attrs["out_of_range"] == []


def test_window_counts(study):
    # k=1: cell = A-turns with a B-turn within 1 + B-turns with an A-turn within 1 - turns with both.
    # a-b: a-turns D1t2 (itself), D2t2 (t3 has b) = 2; b-turns D1t2, D2t3 (t2 has a) = 2; both D1t2 -> 3
    # a-c: a-turns D1t2 (t3 c), D2t2 = 2; c-turns D1t3 (t2 a), D2t2 = 2; both D2t2 -> 3
    # a-d: a-turns D3t4, D3t5 (t4 d) = 2; d-turns D3t4 = 1; both D3t4 -> 2
    # b-c: b-turns D1t2 (t3 c), D2t3 (t2 c) = 2; c-turns D1t3 (t2 b), D2t2 (t3 b) = 2; both none -> 4
    # b-d: none -> 0;  c-d: c-turns D1t3, D1t4 = 2; d-turns D1t4 = 1; both D1t4 -> 2
    result = cooccurrence(study, unit="window", window=1)
    expected = [[4, 3, 3, 2],
                [3, 3, 4, 0],
                [3, 4, 3, 2],
                [2, 0, 2, 2]]
    np.testing.assert_array_equal(result.to_numpy(), expected)
    # b-c = 4 exceeds min(3, 3): flagged
    assert result.attrs["out_of_range"] == [("b", "c", 4, 3)]
    assert result.attrs["window"] == 1


def test_window_zero_is_segment(study):
    np.testing.assert_array_equal(cooccurrence(study, unit="window", window=0).to_numpy(),
                                  cooccurrence(study, unit="segment").to_numpy())


def test_document_and_participant_counts(study):
    # documents: a D1 D2 D3; b D1 D2 D3; c D1 D2; d D1 D3.
    # a-b 3, a-c 2, a-d 2, b-c 2, b-d 2, c-d 1 (D1). One document per participant, so the same.
    expected = [[3, 3, 2, 2],
                [3, 3, 2, 2],
                [2, 2, 2, 1],
                [2, 2, 1, 2]]
    by_document = cooccurrence(study, unit="document")
    by_participant = cooccurrence(study, unit="participant")
    np.testing.assert_array_equal(by_document.to_numpy(), expected)
    np.testing.assert_array_equal(by_participant.to_numpy(), expected)
    assert by_document.attrs["n_units"] == 3      # three documents
    assert by_participant.attrs["n_units"] == 4   # P4 has no interview but is a participant


@pytest.mark.parametrize("unit", ["segment", "overlap", "window", "document", "participant"])
@pytest.mark.parametrize("measure", ["count", "c", "conditional", "ratio"])
def test_symmetric_where_the_measure_is(study, unit, measure):
    result = cooccurrence(study, unit=unit, measure=measure).to_numpy(dtype="float64")
    if measure == "conditional" and unit in ("overlap", "window"):
        # the share of A passages / turns with a B in range: not n12 / n_row, so not
        # symmetric once multiplied out, but a probability (issue 12, point 5)
        assert np.nanmax(result) <= 1
        return
    if measure == "conditional":
        # P(col | row) x n_row = n12 is symmetric
        own = np.diag(cooccurrence(study, unit=unit).to_numpy()).astype(float)
        result = result * own[:, None]
    np.testing.assert_allclose(result, result.T, equal_nan=True)


# -- measures ----------------------------------------------------------------------

def test_c_coefficient_segment(study):
    # n12 / (n1 + n2 - n12): a-b 1/(4+3-1) = 1/6; a-c 1/6; a-d 1/(4+2-1) = 1/5; c-d 1/(3+2-1) = 1/4
    result = cooccurrence(study, unit="segment", measure="c")
    expected = [[1, 1 / 6, 1 / 6, 1 / 5],
                [1 / 6, 1, 0, 0],
                [1 / 6, 0, 1, 1 / 4],
                [1 / 5, 0, 1 / 4, 1]]
    np.testing.assert_allclose(result.to_numpy(), expected)


def test_conditional_segment(study):
    # P(col | row) = n12 / n_row; rows a (4 turns), b (3), c (3), d (2)
    result = cooccurrence(study, unit="segment", measure="conditional")
    expected = [[1, 1 / 4, 1 / 4, 1 / 4],
                [1 / 3, 1, 0, 0],
                [1 / 3, 0, 1, 1 / 3],
                [1 / 2, 0, 1 / 2, 1]]
    np.testing.assert_allclose(result.to_numpy(), expected)


def test_ratio_segment(study):
    # N = 8 (participant turns plus the coded interviewer turn D1t3; see test_segment_counts)
    # expected = n1 n2 / 8: a-b 4*3/8 = 1.5 -> 1/1.5 = 2/3; a-c 2/3; a-d 4*2/8 = 1 -> 1;
    # c-d 3*2/8 = 0.75 -> 4/3; b-c, b-d 0
    result = cooccurrence(study, unit="segment", measure="ratio").to_numpy()
    nan = np.nan
    expected = [[nan, 2 / 3, 2 / 3, 1],
                [2 / 3, nan, 0, 0],
                [2 / 3, 0, nan, 4 / 3],
                [1, 0, 4 / 3, nan]]
    np.testing.assert_allclose(result, expected)


def test_ratio_window(study):
    # m_X = real turns within 1 of an X-turn: m_a = D1t1-3, D2t1-3, D3t3-5 = 9; m_d = D1t3-4, D3t3-5 = 5
    # expected a-d = (4*5 + 2*9 - 4*2) / 12 = 2.5; observed 2 -> 0.8
    result = cooccurrence(study, unit="window", window=1, measure="ratio")
    assert result.loc["a", "d"] == pytest.approx(0.8)
    assert result.loc["d", "a"] == pytest.approx(0.8)


def test_ratio_overlap(study):
    # share of a document's coding pairs that overlap: D1 3 of 10, D2 1 of 3, D3 1 of 6
    # expected a-b = 2*1*0.3 (D1) + 1*1/3 (D2) + 2*1/6 (D3) = 0.6 + 2/3; observed 2
    result = cooccurrence(study, unit="overlap", measure="ratio")
    assert result.loc["a", "b"] == pytest.approx(2 / (0.6 + 2 / 3))


def test_p_equals_fisher_exact(study):
    result = cooccurrence(study, unit="segment", measure="p")
    counts = cooccurrence(study, unit="segment").to_numpy()
    codes = list(result.index)
    n_units = 8   # participant turns plus the coded interviewer turn (see test_segment_counts)
    for i in range(4):
        for j in range(4):
            if i == j:
                assert math.isnan(result.iloc[i, j])
                continue
            n12, n1, n2 = counts[i, j], counts[i, i], counts[j, j]
            table = [[n12, n1 - n12], [n2 - n12, n_units - n1 - n2 + n12]]
            assert result.loc[codes[i], codes[j]] == pytest.approx(fisher_exact(table, alternative="greater")[1])
    # by hand, a-b: P(X >= 1), 8 turns, 4 with a, 3 with b: 1 - C(4,3)/C(8,3) = 1 - 4/56 = 52/56
    assert result.loc["a", "b"] == pytest.approx(52 / 56)


def test_p_document_equals_fisher_exact(study):
    result = cooccurrence(study, unit="participant", measure="p", min_tested_units=0)
    # c-d: 4 participants, c 2, d 2, both 1: [[1, 1], [1, 1]]
    assert result.loc["c", "d"] == pytest.approx(fisher_exact([[1, 1], [1, 1]], alternative="greater")[1])


def test_p_withheld_below_min_units(study):
    # 4 participants, 3 documents: fewer than 20, so no p-value is shown, and the rule says why
    for unit in ("participant", "document"):
        for measure in ("p", "q"):
            result = cooccurrence(study, unit=unit, measure=measure)
            assert result.isna().all().all()
            assert "not shown" in result.attrs["tests_withheld"] and "not shown" in result.attrs["rule"]
    table = cooccurrence_table(study, unit="participant")
    assert table["p"].isna().all() and table["q"].isna().all()
    assert "nested" in cooccurrence(study, unit="segment", measure="p").attrs["rule"]


def test_q_is_benjamini_hochberg_on_three_pairs(study):
    # focused level, segment: F1 6 turns, F2 3, F3 2; every pair shares one turn;
    # N = 8 (participant turns plus the coded interviewer turn D1t3)
    # p(F1,F2) = 1 - C(2,3)/C(8,3) = 1; p(F1,F3) = 1 - C(2,2)/C(8,2) = 27/28;
    # p(F2,F3) = 1 - C(5,2)/C(8,2) = 18/28
    # BH, m = 3, ascending 18/28 (x3 = 54/28), 27/28 (x3/2 = 40.5/28), 1 (x1), each capped at 1;
    # running minimum from the top: every q = 1
    p = cooccurrence(study, unit="segment", level="focused", measure="p")
    assert p.loc["F1", "F2"] == pytest.approx(1.0)
    assert p.loc["F1", "F3"] == pytest.approx(27 / 28)
    assert p.loc["F2", "F3"] == pytest.approx(18 / 28)
    q = cooccurrence(study, unit="segment", level="focused", measure="q")
    for a, b in [("F1", "F2"), ("F1", "F3"), ("F2", "F3")]:
        assert q.loc[a, b] == pytest.approx(1.0)
        assert q.loc[b, a] == pytest.approx(1.0)


def test_benjamini_hochberg_hand():
    # p = 0.01 (F1-F2), 0.04 (F1-F3), 0.03 (F2-F3); ranks 1: 0.01*3 = 0.03, 2: 0.03*3/2 = 0.045, 3: 0.04
    # running minimum from the largest: 0.04, min(0.045, 0.04) = 0.04, 0.03
    p = np.array([[np.nan, 0.01, 0.04], [0.01, np.nan, 0.03], [0.04, 0.03, np.nan]])
    q = benjamini_hochberg_matrix(p)
    assert q[0, 1] == pytest.approx(0.03)
    assert q[0, 2] == pytest.approx(0.04)
    assert q[1, 2] == pytest.approx(0.04)
    assert q[2, 1] == pytest.approx(0.04)


@pytest.mark.parametrize("unit", ["overlap", "window"])
@pytest.mark.parametrize("measure", ["p", "q"])
def test_p_refused_for_other_units(study, unit, measure):
    with pytest.raises(ValueError, match="segment, document, participant"):
        cooccurrence(study, unit=unit, measure=measure)


def test_unknown_unit_refused(study):
    with pytest.raises(ValueError, match="unit must be one of"):
        cooccurrence(study, unit="sentence")


# -- roll-up --------------------------------------------------------------------

def test_rollup_focused(study):
    # F1 = a or b turns: D1t2 D2t2 D2t3 D3t2 D3t4 D3t5 = 6; F2 = c (3); F3 = d (2)
    # F1-F2: D2t2; F1-F3: D3t4; F2-F3: D1t4 -> 1 each; order is the codebook's
    result = cooccurrence(study, unit="segment", level="focused")
    assert list(result.index) == ["F1", "F2", "F3"]
    np.testing.assert_array_equal(result.to_numpy(), [[6, 1, 1], [1, 3, 1], [1, 1, 2]])


def test_rollup_theme(study):
    # T1 = a, b, c: D1t2 D1t3 D1t4 D2t2 D2t3 D3t2 D3t4 D3t5 = 8; T2 = d: 2; both D1t4, D3t4 = 2
    result = cooccurrence(study, unit="segment", level="theme")
    assert list(result.index) == ["T1", "T2"]
    np.testing.assert_array_equal(result.to_numpy(), [[8, 2], [2, 2]])


def test_rollup_overlap_focused(study):
    # F1 codings: a x5 + b x3 = 8, but passages (issue 12, rule 1): D1's a"hope and fear",
    # b"fear about work", a"about work" overlap -> one F1 passage; D2 two, D3 three -> 6.
    # F1-F2: a"find hope" in c (1); F1-F3: a"Then hope" & d (1); F2-F3: c & d"every day" (1).
    result = cooccurrence(study, unit="overlap", level="focused")
    np.testing.assert_array_equal(result.to_numpy(), [[6, 1, 1], [1, 2, 1], [1, 1, 2]])


# -- filters and flags ---------------------------------------------------------------

def test_where_filter(study):
    # women: P1 (D1) and P3 (D3): participant turns D1t2 D1t4 D3t2 D3t4 D3t5 = 5, plus the
    # coded interviewer turn D1t3 -> N = 6 (was 9 turns of any speaker before issue 12)
    # a: D1t2 D3t4 D3t5 (3); b: D1t2 D3t2 (2); c: D1t3 D1t4 (2); d: D1t4 D3t4 (2)
    # a-b D1t2; a-d D3t4; c-d D1t4
    result = cooccurrence(study, unit="segment", where={"gender": "F"})
    np.testing.assert_array_equal(result.to_numpy(), [[3, 1, 0, 1], [1, 2, 0, 0], [0, 0, 2, 1], [1, 0, 1, 2]])
    assert result.attrs["n_units"] == 6
    by_participant = cooccurrence(study, unit="participant", participants=["P1", "P2"])
    assert by_participant.attrs["n_units"] == 2
    # P1 has a b c d; P2 has a b c -> a-d 1, c-d 1, a-b 2
    assert by_participant.loc["a", "b"] == 2 and by_participant.loc["a", "d"] == 1


def test_coder_filter():
    segments = pd.DataFrame({"doc_id": ["D"] * 2, "seg_no": [1, 2], "participant_id": "P", "text": ["x", "y"]})
    codings = pd.DataFrame({"doc_id": "D", "participant_id": "P", "code": ["a", "b", "b"],
                            "coder": ["A", "A", "B"], "seg_first": [1, 1, 2], "start": [0, 0, 2], "end": [1, 1, 3]})
    study = Study.from_tables(segments=segments, codings=codings)
    # coder A: a and b in turn 1 -> 1; coder B: only b in turn 2 -> a has none
    assert cooccurrence(study, coder="A").loc["a", "b"] == 1
    assert cooccurrence(study, coder="B").loc["a", "b"] == 0
    assert cooccurrence(study, coder="B").loc["b", "b"] == 1


def test_overlap_out_of_range_flag():
    # one long X coding [0, 20) overlaps two Y codings [2, 5) and [10, 15): 2 pairs > min(1, 2) = 1
    segments = pd.DataFrame({"doc_id": ["D"], "seg_no": [1], "participant_id": "P", "text": ["x" * 30]})
    codings = pd.DataFrame({"doc_id": "D", "participant_id": "P", "code": ["X", "Y", "Y"], "seg_first": 1,
                            "start": [0, 2, 10], "end": [20, 5, 15]})
    result = cooccurrence(Study.from_tables(segments=segments, codings=codings), unit="overlap")
    assert result.loc["X", "Y"] == 2
    assert result.attrs["out_of_range"] == [("X", "Y", 2, 1)]
    # c = 2 / (1 + 2 - 2) = 2 (above 1, which the rule text warns about)
    c = cooccurrence(Study.from_tables(segments=segments, codings=codings), unit="overlap", measure="c")
    assert c.loc["X", "Y"] == pytest.approx(2.0)


def test_frequency_imbalance_flag():
    # a in 6 turns, b in 1 turn shared with a: 6 > 5 x 1 -> flagged; c alone never co-occurs
    segments = pd.DataFrame({"doc_id": ["D"] * 8, "seg_no": range(1, 9), "participant_id": "P", "text": "x"})
    codings = pd.DataFrame({"doc_id": "D", "participant_id": "P",
                            "code": ["a"] * 6 + ["b", "c"], "seg_first": [1, 2, 3, 4, 5, 6, 1, 8]})
    result = cooccurrence(Study.from_tables(segments=segments, codings=codings))
    assert result.attrs["frequency_imbalance"] == [("a", "b", 6, 1)]


def test_table_long_form(study):
    table = cooccurrence_table(study, unit="segment")
    # pairs with n_ab >= 1: a-b, a-c, a-d, c-d, each 1 -> sorted by code_a, code_b
    assert list(zip(table.code_a, table.code_b)) == [("a", "b"), ("a", "c"), ("a", "d"), ("c", "d")]
    # N = 8 (see test_segment_counts): ratio 1 / (4*2/8) = 1; p = 1 - C(4,2)/C(8,2) = 22/28
    row = table.iloc[2]   # a-d: n_a 4, n_b 2, c 1/5, P(d|a) 1/4, P(a|d) 1/2, ratio 1, p 22/28
    assert (row.n_a, row.n_b, row.n_ab) == (4, 2, 1)
    assert row.c == pytest.approx(1 / 5)
    assert row.conditional_ab == pytest.approx(1 / 4) and row.conditional_ba == pytest.approx(1 / 2)
    assert row.ratio == pytest.approx(1.0)
    assert row.p == pytest.approx(22 / 28)
    assert "q" in table.columns
    assert "p" not in cooccurrence_table(study, unit="overlap").columns


def test_counting_rule_text():
    assert "within 2 turn" in counting_rule("window", 2)
    assert "shares at least one character" in counting_rule("overlap")


def test_single_code_and_empty():
    segments = pd.DataFrame({"doc_id": ["D"], "seg_no": [1], "participant_id": "P", "text": ["x"]})
    codings = pd.DataFrame({"doc_id": "D", "participant_id": "P", "code": ["a"], "seg_first": 1,
                            "start": [0], "end": [1]})
    study = Study.from_tables(segments=segments, codings=codings)
    for unit in ["segment", "overlap", "window", "document", "participant"]:
        assert cooccurrence(study, unit=unit).to_numpy().tolist() == [[1]]
    assert cooccurrence(study, unit="segment", measure="q").shape == (1, 1)


# -- vectorised == straightforward self-merge baseline, on random studies ----------------

def _load_bench():
    path = Path(__file__).resolve().parents[2] / "bench" / "cooccurrence.py"
    spec = importlib.util.spec_from_file_location("bench_cooccurrence", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = _load_bench()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), window=st.integers(0, 3))
def test_vectorised_equals_self_merge_baseline(seed, window):
    study = BENCH.synthetic_study(n_codings=int(np.random.default_rng(seed).integers(1, 60)), n_documents=4,
                                  n_codes=5, turns_per_document=7, seed=seed, as_study=True)
    for unit in ["segment", "overlap", "window", "document", "participant"]:
        fast = cooccurrence(study, unit=unit, window=window)
        # the baseline counts what it is given: the passages (issue 12, rule 1)
        for dedupe_first in (False, True):
            slow = BENCH.baseline_cooccurrence(passages(study), unit=unit, window=window, codes=list(fast.index),
                                               dedupe_first=dedupe_first)
            np.testing.assert_array_equal(fast.to_numpy(), slow.to_numpy(), err_msg=f"{unit} seed={seed}")


# -- figures -------------------------------------------------------------------------

def test_figures_return_figures(study):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from helpers.plots.cooccurrence import c_coefficients, cooccurrence_clustermap, cooccurrence_network
    counts = cooccurrence(study, unit="segment")
    # c from counts equals the measure
    np.testing.assert_allclose(c_coefficients(counts).to_numpy(), cooccurrence(study, measure="c").to_numpy())
    assert isinstance(cooccurrence_clustermap(counts), Figure)
    network = cooccurrence_network(counts, threshold=1)
    assert isinstance(network, Figure)
    # edges at threshold 1: a-b, a-c, a-d, c-d -> 4 line widths drawn
    assert len(network.axes[0].collections[0].get_linewidths()) == 4
    single = cooccurrence(study, level="theme").iloc[:1, :1]
    assert isinstance(cooccurrence_clustermap(single), Figure)   # a message, not an error


def test_participant_unit_counts_every_speaker_a_passage_touches():
    """Focus group FG: turn 1 facilitator, 2 P05, 3 P06. 'sharing' spans turns 2-3 (both
    speakers hold it); 'cliquey' is on P06's turn 3 only; 'asking' is on the facilitator's
    question only (nobody holds it). By hand: sharing is held by 2 participants, cliquey by 1,
    sharing & cliquey by 1 (P06), asking by 0. The passage went to its first speaker only."""
    from helpers.study import Study

    text = "F: What helped?\nP05: We shared food.\nP06: It was a bit cliquey.\n"
    starts = [3, 21, 41]
    ends = [15, 36, len(text) - 1]
    segments = pd.DataFrame({"doc_id": "FG", "seg_no": [1, 2, 3], "participant_id": [None, "P05", "P06"],
                             "speaker_role": ["interviewer", "participant", "participant"],
                             "start": starts, "end": ends, "text": [text[s:e] for s, e in zip(starts, ends)]})
    codings = pd.DataFrame([
        {"doc_id": "FG", "code": "sharing", "seg_first": 2, "seg_last": 3, "start": 21, "end": ends[2],
         "participant_id": "P05"},
        {"doc_id": "FG", "code": "cliquey", "seg_first": 3, "seg_last": 3, "start": 41, "end": ends[2],
         "participant_id": "P06"},
        {"doc_id": "FG", "code": "asking", "seg_first": 1, "seg_last": 1, "start": 3, "end": 15,
         "participant_id": None},
    ])
    study = Study.from_tables(segments=segments, codings=codings, texts={"FG": text},
                              participants=pd.DataFrame({"participant_id": ["P05", "P06"]}))
    import helpers

    counts = helpers.cooccurrence(study, unit="participant")
    assert counts.loc["sharing", "sharing"] == 2
    assert counts.loc["cliquey", "cliquey"] == 1
    assert counts.loc["sharing", "cliquey"] == 1
    if "asking" in counts.index:
        assert counts.loc["asking", "asking"] == 0
