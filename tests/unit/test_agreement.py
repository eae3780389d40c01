"""Inter-coder agreement, checked against published worked examples and
small tables computed by hand (each computation is written beside its test)."""
from __future__ import annotations

import importlib
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

# the module, not the entry point of the same name that helpers re-exports
agreement_module = importlib.import_module("helpers.analysis.agreement")
from helpers.analysis.agreement import (  # noqa: E402
    FORMULAS,
    agreement,
    coder_code_usage,
    coder_summary,
    describe,
    disagreements,
    interpretation,
    krippendorff_alpha,
    write_disagreements,
)
from helpers.errors import InputError  # noqa: E402
from helpers.study import Study  # noqa: E402

# -- building studies -----------------------------------------------------------

def turns(doc_id: str, n: int, participant: str = "p1") -> pd.DataFrame:
    return pd.DataFrame({"doc_id": doc_id, "seg_no": range(1, n + 1), "participant_id": participant,
                         "text": [f"{doc_id} turn {i}" for i in range(1, n + 1)]})


def codings_from(marks: list[tuple]) -> pd.DataFrame:
    """(doc_id, seg_first, seg_last, code, coder) rows."""
    return pd.DataFrame(marks, columns=["doc_id", "seg_first", "seg_last", "code", "coder"])


def two_coder_study(first: list[int], second: list[int], code: str = "X") -> Study:
    """One document, one turn per unit; coder A applies ``code`` where
    ``first`` is 1, coder B where ``second`` is 1."""
    marks = [("d1", i + 1, i + 1, code, coder)
             for coder, values in (("A", first), ("B", second)) for i, v in enumerate(values) if v]
    return Study.from_tables(segments=turns("d1", len(first)), codings=codings_from(marks))


def row(table: pd.DataFrame, code: str) -> pd.Series:
    return table.set_index("code").loc[code]


# Cohen's kappa, worked example of the Wikipedia article "Cohen's kappa"
# (50 proposals, two readers): Yes/Yes 20, A yes B no 5, A no B yes 10, No/No 15.
# po = (20 + 15)/50 = 0.70; A says yes 25/50 = 0.5, B 30/50 = 0.6;
# pe = 0.5·0.6 + 0.5·0.4 = 0.50; kappa = (0.70 − 0.50)/(1 − 0.50) = 0.40.
# Alpha by hand on the same data: n = 100 values, n1 = 2·20 + 5 + 10 = 55, n0 = 45,
# o01 = 15 (units with one yes and one no), alpha = 1 − (n − 1)·o01/(n0·n1)
# = 1 − 99·15/(45·55) = 1 − 1485/2475 = 0.40.
WIKIPEDIA_A = [1] * 20 + [1] * 5 + [0] * 10 + [0] * 15
WIKIPEDIA_B = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg
# School for Communication, University of Pennsylvania. Section A, "Binary or
# dichotomous data, two observers, no missing data": 10 units.
# Coincidences: o00 = 10, o01 = o10 = 4, o11 = 2; n0 = 14, n1 = 6, n = 20;
# alpha = 1 − (n − 1)·o01/(n0·n1) = 1 − 19·4/(14·6) = 1 − 76/84 = 0.095.
# Kappa by hand: po = 6/10; A yes 2/10, B yes 4/10; pe = 0.2·0.4 + 0.8·0.6 = 0.56;
# kappa = (0.6 − 0.56)/(1 − 0.56) = 0.04/0.44 = 0.0909.
KRIPPENDORFF_BINARY_A = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
KRIPPENDORFF_BINARY_B = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]


# -- published worked examples ----------------------------------------------------

def test_krippendorff_nominal_example_with_four_coders_and_missing_data():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
    # nominal data, 4 observers, 12 units, missing values; published alpha = 0.743.
    # Not binary, so it is checked through the library wrapper agreement() uses
    # for alpha, not through a Study.
    nan = np.nan
    data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
            [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]]
    assert krippendorff_alpha(data) == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_alpha_is_nan_without_variation_and_warns_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(krippendorff_alpha([[1, 1, 1], [1, 1, np.nan]]))


@pytest.mark.parametrize("via_package", [True, False])
def test_wikipedia_kappa_example_through_agreement(monkeypatch, via_package):
    # The 2×2 table of the Wikipedia example laid out as 50 turns of one document.
    # via_package=False forces the closed form used for huge pooled data: same answer.
    if not via_package:
        monkeypatch.setattr(agreement_module, "PACKAGE_ALPHA_MAX_UNITS", 0)
    table = agreement(two_coder_study(WIKIPEDIA_A, WIKIPEDIA_B), n_boot=0)
    x = row(table, "X")
    assert x["n_units"] == 50
    assert x["percent_agreement"] == pytest.approx(70.0)
    assert x["kappa"] == pytest.approx(0.40)
    assert x["alpha"] == pytest.approx(0.40)
    assert (x["n_all"], x["n_only_A"], x["n_only_B"], x["n_none"]) == (20, 5, 10, 15)
    assert (x["n_applied_A"], x["n_applied_B"], x["n_disagree"]) == (25, 30, 15)
    # one code only: the pooled "overall" row is the same data
    assert row(table, "overall")["kappa"] == pytest.approx(0.40)
    assert table["code"].iloc[-1] == "overall"


def test_krippendorff_binary_example_through_agreement():
    table = agreement(two_coder_study(KRIPPENDORFF_BINARY_A, KRIPPENDORFF_BINARY_B), n_boot=0)
    x = row(table, "X")
    assert x["alpha"] == pytest.approx(1 - 76 / 84)
    assert round(x["alpha"], 3) == 0.095
    assert x["kappa"] == pytest.approx(0.04 / 0.44)
    assert x["percent_agreement"] == pytest.approx(60.0)
    # issue 12: no verdict from 10 units (fewer than 20), whatever alpha says
    assert x["interpretation"] == "too few units" and x["verdict"] == "too few units"
    y = row(agreement(two_coder_study(KRIPPENDORFF_BINARY_A, KRIPPENDORFF_BINARY_B), n_boot=0, min_units=5), "X")
    assert y["verdict"] == "no interval"   # enough units, but no bootstrap interval to read


# -- edge cases ------------------------------------------------------------------

def test_code_used_by_one_coder_only_and_pooled_overall():
    # 4 turns. A applies X to turn 1; B applies Y to turn 2.
    # X: A = 1000, B = 0000 -> po = 3/4; pA1 = 1/4, pB1 = 0; pe = 0·(1/4) + 1·(3/4) = 3/4;
    #    kappa = 0. alpha: n = 8, n1 = 1, n0 = 7, o01 = 1 -> 1 − 7·1/(7·1) = 0.
    # overall pools 8 decisions: A = 1000 0000, B = 0000 0100.
    #    po = 6/8; pA1 = pB1 = 1/8; pe = 1/64 + 49/64 = 50/64; kappa = (48 − 50)/(64 − 50) = −1/7.
    #    alpha: n = 16, n1 = 2, n0 = 14, o01 = 2 -> 1 − 15·2/28 = −1/14.
    study = Study.from_tables(segments=turns("d1", 4),
                              codings=codings_from([("d1", 1, 1, "X", "A"), ("d1", 2, 2, "Y", "B")]))
    table = agreement(study, n_boot=0)
    assert list(table["code"]) == ["X", "Y", "overall"]
    x = row(table, "X")
    assert x["kappa"] == pytest.approx(0.0)
    assert x["alpha"] == pytest.approx(0.0)
    assert x["percent_agreement"] == pytest.approx(75.0)
    assert "applied by A only" in x["note"]
    assert "applied by B only" in row(table, "Y")["note"]
    overall = row(table, "overall")
    assert overall["n_units"] == 8
    assert overall["percent_agreement"] == pytest.approx(75.0)
    assert overall["kappa"] == pytest.approx(-1 / 7)
    assert overall["alpha"] == pytest.approx(-1 / 14)


def test_perfect_agreement_with_a_coding_spanning_turns():
    # A codes turns 1–2 in one coding; B codes turn 1 and turn 2 separately.
    # Turns 3–4 uncoded by both: every unit agrees -> 100%, kappa = alpha = 1.
    study = Study.from_tables(segments=turns("d1", 4), codings=codings_from(
        [("d1", 1, 2, "X", "A"), ("d1", 1, 1, "X", "B"), ("d1", 2, 2, "X", "B")]))
    x = row(agreement(study, n_boot=200), "X")
    assert (x["percent_agreement"], x["kappa"], x["alpha"]) == (100.0, 1.0, 1.0)
    assert (x["n_all"], x["n_none"], x["n_disagree"]) == (2, 2, 0)
    # every resample that keeps both values agrees perfectly
    assert (x["alpha_low"], x["alpha_high"]) == (1.0, 1.0)
    # 4 turns: too few units for any verdict (issue 12); with the minimum lowered, the interval's
    # lower end 1.0 reads reliable
    assert x["interpretation"] == "too few units"
    assert row(agreement(study, n_boot=200, min_units=4), "X")["verdict"] == "reliable"


def test_no_variation_gives_nan_with_note_and_no_warnings():
    # Both coders apply X to both turns: expected disagreement is 0.
    study = Study.from_tables(segments=turns("d1", 2), codings=codings_from(
        [("d1", 1, 2, "X", "A"), ("d1", 1, 2, "X", "B")]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = agreement(study)
    for name in ["X", "overall"]:
        r = row(table, name)
        assert r["percent_agreement"] == 100.0
        assert np.isnan(r["kappa"]) and np.isnan(r["alpha"]) and np.isnan(r["alpha_low"])
        assert "undefined" in r["note"]
        assert r["interpretation"] == "undefined"


def test_document_one_coder_left_uncoded_is_excluded():
    # d1 (3 turns) coded by A and B; d2 (5 turns) coded by A only -> only d1 is compared.
    segments = pd.concat([turns("d1", 3), turns("d2", 5, "p2")], ignore_index=True)
    study = Study.from_tables(segments=segments, codings=codings_from(
        [("d1", 1, 1, "X", "A"), ("d1", 1, 1, "X", "B"), ("d2", 1, 5, "X", "A")]))
    table = agreement(study, n_boot=0)
    assert row(table, "X")["n_units"] == 3
    assert row(table, "X")["n_applied_A"] == 1  # the d2 coding is not counted
    assert table.attrs["documents"] == ["d1"]
    assert table.attrs["excluded_documents"] == ["d2"]
    assert row(agreement(study, unit="document", n_boot=0), "X")["n_units"] == 1


def test_character_unit_by_hand():
    # d1 = "abcdefghij" (10 characters), d2 = "xyz" (3), one turn each.
    # d1: A codes [0,4) and [2,6) (overlapping: the union is characters 0–5),
    #     B codes [3,8) -> characters 3–7.
    # d2: A codes [0,3), B codes [1,3).
    # Per character (13 units): both: d1 3,4,5 + d2 1,2 = 5; only A: d1 0,1,2 + d2 0 = 4;
    # only B: d1 6,7 = 2; neither: d1 8,9 = 2.
    # percent = (5 + 2)/13; pA1 = 9/13, pB1 = 7/13; pe = (9·7 + 4·6)/169 = 87/169,
    # po = 91/169 -> kappa = 4/82. alpha: n = 26, n1 = 16, n0 = 10, o01 = 6
    # -> 1 − 25·6/160 = 0.0625.
    texts = {"d1": "abcdefghij", "d2": "xyz"}
    segments = pd.DataFrame({"doc_id": ["d1", "d2"], "seg_no": [1, 1], "participant_id": ["p1", "p2"],
                             "text": ["abcdefghij", "xyz"], "start": [0, 0], "end": [10, 3]})
    codings = pd.DataFrame([("d1", 0, 4, "A"), ("d1", 2, 6, "A"), ("d1", 3, 8, "B"),
                            ("d2", 0, 3, "A"), ("d2", 1, 3, "B")], columns=["doc_id", "start", "end", "coder"])
    codings = codings.assign(code="X", seg_first=1, seg_last=1)
    study = Study.from_tables(segments=segments, codings=codings, texts=texts)
    x = row(agreement(study, unit="character", n_boot=0), "X")
    assert x["n_units"] == 13
    assert (x["n_all"], x["n_only_A"], x["n_only_B"], x["n_none"]) == (5, 4, 2, 2)
    assert x["percent_agreement"] == pytest.approx(100 * 7 / 13)
    assert x["kappa"] == pytest.approx(4 / 82)
    assert x["alpha"] == pytest.approx(0.0625)


def test_three_coders_alpha_and_disagreement_rows_by_hand():
    # 4 turns, coders A, B, C.
    # Hope: A turns 1–2 (one coding), B turn 2, C turn 2.
    # Fear: C turn 3, A turn 4.
    # Hope per turn, number of coders applying: 1, 3, 0, 0 -> patterns (k=0..3) = 2, 1, 0, 1.
    # alpha: m = 3, n = 12, n1 = 1 + 3 = 4, n0 = 8, o01 = Σ k(m−k)/(m−1) = 1·2/2 = 1
    # -> 1 − 11·1/(8·4) = 0.65625. Percent: all three agree on turns 2, 3, 4 -> 75%.
    # Kappa: three coders -> NaN.
    study = Study.from_tables(segments=turns("d1", 4), codings=codings_from([
        ("d1", 1, 2, "Hope", "A"), ("d1", 2, 2, "Hope", "B"), ("d1", 2, 2, "Hope", "C"),
        ("d1", 3, 3, "Fear", "C"), ("d1", 4, 4, "Fear", "A")]))
    hope = row(agreement(study, n_boot=0), "Hope")
    assert hope["alpha"] == pytest.approx(0.65625)
    assert hope["percent_agreement"] == pytest.approx(75.0)
    assert np.isnan(hope["kappa"])
    assert (hope["n_all"], hope["n_only_A"], hope["n_only_B"], hope["n_only_C"]) == (1, 1, 0, 0)

    # Disagreements, sorted by code then turn: Fear turn 3 (C vs A, B), Fear turn 4
    # (A vs B, C), Hope turn 1 (A vs B, C); Hope turn 2 is agreed by all.
    table = disagreements(study)
    expected = pd.DataFrame({
        "doc_id": ["d1", "d1", "d1"], "seg_no": [3, 4, 1], "code": ["Fear", "Fear", "Hope"],
        "applied_by": ["C", "A", "A"], "not_applied_by": ["A, B", "B, C", "B, C"],
        "text": ["d1 turn 3", "d1 turn 4", "d1 turn 1"]})
    got = table[list(expected.columns)].astype({"seg_no": "int64"}).astype(
        {c: object for c in expected.columns if c != "seg_no"})
    pd.testing.assert_frame_equal(got, expected.astype({c: object for c in expected.columns if c != "seg_no"}))
    assert list(table.columns[:7]) == ["doc_id", "seg_no", "participant_id", "code", "applied_by",
                                       "not_applied_by", "text"]
    # only two of the coders: Hope disagrees on turn 1 only (A yes, B no); Fear on turn 4
    pair = disagreements(study, coders=["A", "B"])
    assert list(zip(pair["code"], pair["seg_no"], pair["applied_by"])) == [("Fear", 4, "A"), ("Hope", 1, "A")]


def test_level_rolls_codes_up_before_comparing():
    # A codes Hope on turn 1, B codes Fear on turn 1; both roll up to the theme Feelings,
    # so at theme level they agree on turn 1 (and on turn 2, left uncoded).
    codebook = pd.DataFrame({"code": ["Feelings", "Hope", "Fear"], "level": ["theme", "code", "code"],
                             "parent": ["", "Feelings", "Feelings"]})
    study = Study.from_tables(segments=turns("d1", 2), codebook=codebook, codings=codings_from(
        [("d1", 1, 1, "Hope", "A"), ("d1", 1, 1, "Fear", "B")]))
    as_applied = agreement(study, n_boot=0)
    assert list(as_applied["code"]) == ["Fear", "Hope", "overall"]
    themed = agreement(study, level="theme", n_boot=0)
    assert list(themed["code"]) == ["Feelings", "overall"]
    assert row(themed, "Feelings")["percent_agreement"] == 100.0
    assert row(themed, "Feelings")["kappa"] == pytest.approx(1.0)


def test_bootstrap_interval_is_seeded_and_contains_alpha():
    study = two_coder_study(WIKIPEDIA_A, WIKIPEDIA_B)
    first = agreement(study, n_boot=500, seed=7)
    again = agreement(study, n_boot=500, seed=7)
    other = agreement(study, n_boot=500, seed=8)
    pd.testing.assert_frame_equal(first, again)
    x = row(first, "X")
    assert x["alpha_low"] < x["alpha"] < x["alpha_high"]
    assert (x["alpha_low"], x["alpha_high"]) != (row(other, "X")["alpha_low"], row(other, "X")["alpha_high"])
    # 50 units: the interval is wide but well inside [-1, 1]
    assert -1 < x["alpha_low"] and x["alpha_high"] < 1


def test_needs_two_coders_and_known_coders():
    study = Study.from_tables(segments=turns("d1", 2), codings=codings_from([("d1", 1, 1, "X", "A")]))
    with pytest.raises(InputError, match="at least two coders"):
        agreement(study)
    two = two_coder_study([1, 0], [0, 1])
    with pytest.raises(InputError, match="Z"):
        agreement(two, coders=["A", "Z"])
    with pytest.raises(ValueError, match="unit"):
        agreement(two, unit="paragraph")


# -- coder summaries, workbook, reading, figures -----------------------------------

def test_coder_summary_and_usage_by_hand():
    # A: X in d1, X in d2, Y in d2 -> 3 codings, 2 codes, 2 documents.
    # B: X in d1 -> 1 coding, 1 code, 1 document.
    segments = pd.concat([turns("d1", 2), turns("d2", 2, "p2")], ignore_index=True)
    study = Study.from_tables(segments=segments, codings=codings_from([
        ("d1", 1, 1, "X", "A"), ("d2", 1, 1, "X", "A"), ("d2", 2, 2, "Y", "A"), ("d1", 2, 2, "X", "B")]))
    summary = coder_summary(study).set_index("coder")
    assert summary.loc["A"].tolist() == [3, 2, 2]
    assert summary.loc["B"].tolist() == [1, 1, 1]
    usage = coder_code_usage(study)
    assert usage.loc["A", "X"] == 2 and usage.loc["A", "Y"] == 1
    assert usage.loc["B", "X"] == 1 and usage.loc["B", "Y"] == 0


def test_write_disagreements_workbook(tmp_path):
    study = two_coder_study(KRIPPENDORFF_BINARY_A, KRIPPENDORFF_BINARY_B)
    path = write_disagreements(study, tmp_path / "consensus.xlsx", n_boot=0)
    sheets = pd.read_excel(path, sheet_name=None)
    assert set(sheets) == {"disagreements", "agreement"}
    # units 1, 3, 6 (B only) and 9 (A only) differ in Krippendorff's binary example
    assert sheets["disagreements"]["seg_no"].tolist() == [1, 3, 6, 9]
    assert sheets["disagreements"]["applied_by"].tolist() == ["B", "B", "B", "A"]


def test_verdict_reads_the_lower_end_of_the_interval():
    from helpers.analysis.agreement import verdict
    # alpha 0.9 with an interval [0, 1]: the point estimate would say reliable; the lower end says not
    assert verdict(0.9, 0.0, 100) == "unreliable"
    assert verdict(0.9, 0.80, 100) == "reliable"
    assert verdict(0.9, 0.70, 100) == "tentative"
    assert verdict(0.9, 0.85, 19) == "too few units"
    assert verdict(float("nan"), float("nan"), 100) == "undefined"


def test_interpretation_thresholds_and_formulas():
    assert interpretation(0.800) == "reliable"
    assert interpretation(0.799) == "tentative conclusions only"
    assert interpretation(0.667) == "tentative conclusions only"
    assert interpretation(0.666) == "unreliable"
    assert interpretation(float("nan")) == "undefined"
    assert "(po − pe) / (1 − pe)" in FORMULAS["kappa"]
    assert "1 − Do / De" in FORMULAS["alpha"]
    assert "character" in describe("character")


def test_figures_show_every_code():
    from helpers.plots.agreement import agreement_forest, coder_heatmap

    study = Study.from_tables(segments=turns("d1", 4), codings=codings_from([
        ("d1", 1, 2, "Hope", "A"), ("d1", 2, 2, "Hope", "B"), ("d1", 3, 3, "Fear", "B"),
        ("d1", 4, 4, "Fear", "A"), ("d1", 1, 4, "Calm", "A"), ("d1", 1, 4, "Calm", "B")]))
    table = agreement(study, n_boot=100)
    forest = agreement_forest(table)
    labels = [t.get_text() for t in forest.axes[0].get_yticklabels()]
    assert sorted(labels) == ["Calm", "Fear", "Hope", "overall"]
    assert "undefined" in [t.get_text() for t in forest.axes[0].texts]  # Calm: both coded all turns
    heat = coder_heatmap(coder_code_usage(study))
    assert [t.get_text() for t in heat.axes[0].get_yticklabels()] == ["Calm", "Fear", "Hope"]
    assert [t.get_text() for t in heat.axes[0].get_xticklabels()] == ["A", "B"]
