"""Themes across participants: values worked out by hand on small fixtures."""
from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import openpyxl
import pandas as pd
import pytest

matplotlib.use("Agg")

from helpers.analysis import themes  # noqa: E402
from helpers.plots import themes as theme_plots  # noqa: E402
from helpers.study import Study  # noqa: E402

THEMES = ["Isolation", "Connection", "Coping", "Stigma"]
PIDS = ["P1", "P2", "P3", "P4"]


def words(n: int, word: str = "word") -> str:
    return " ".join([word] * n)


@pytest.fixture
def study() -> Study:
    """Three-level codebook initial -> focused -> theme; four participants,
    P4 with no coding.

    Turns (role, n_words):
      d1 (P1): t1 I 5, t2 P 10, t3 I 4, t4 P 20, t5 P 6
      d2 (P2): t1 I 3, t2 P 12, t3 P 8
      d3 (P3): t1 I 2, t2 P 30
      d4 (P4): t1 I 4, t2 P 7
    """
    layout = [("d1", "P1", ["interviewer", "participant", "interviewer", "participant", "participant"], [5, 10, 4, 20, 6]),
              ("d2", "P2", ["interviewer", "participant", "participant"], [3, 12, 8]),
              ("d3", "P3", ["interviewer", "participant"], [2, 30]),
              ("d4", "P4", ["interviewer", "participant"], [4, 7])]
    rows = []
    for doc, pid, roles, counts in layout:
        for seg_no, (role, n) in enumerate(zip(roles, counts), start=1):
            rows.append({"doc_id": doc, "seg_no": seg_no, "participant_id": pid, "speaker_role": role,
                         "text": words(n), "n_words": n})
    segments = pd.DataFrame(rows)
    codebook = pd.DataFrame([
        ("lonely", "initial", "alone"), ("no one calls", "initial", "alone"),
        ("peer group", "initial", "support"), ("nurse", "initial", "support"),
        ("sleep", "initial", "routine"), ("misc", "initial", ""),
        ("alone", "focused", "Isolation"), ("support", "focused", "Connection"), ("routine", "focused", "Coping"),
        ("Isolation", "theme", ""), ("Connection", "theme", ""), ("Coping", "theme", ""), ("Stigma", "theme", ""),
    ], columns=["code", "level", "parent"])
    codings = pd.DataFrame([
        ("d1", "lonely", 2, 2, "A"),          # c1
        ("d1", "no one calls", 2, 4, "A"),    # c2: turns 2, 3, 4
        ("d1", "peer group", 4, 4, "A"),      # c3
        ("d1", "nurse", 5, 5, "A"),           # c4
        ("d2", "peer group", 2, 3, "A"),      # c5: turns 2, 3
        ("d2", "sleep", 3, 3, "A"),           # c6
        ("d2", "misc", 1, 1, "A"),            # c7: rolls up to no theme
        ("d3", "lonely", 2, 2, "A"),          # c8
        ("d3", "lonely", 2, 2, "B"),          # c9: second coder, same turn
    ], columns=["doc_id", "code", "seg_first", "seg_last", "coder"]).assign(level="initial")
    participants = pd.DataFrame({"participant_id": PIDS, "pseudonym": ["Zoe", "Amy", "Max", "Bea"],
                                 "site": ["north", "north", "south", "south"]})
    return Study.from_tables(segments=segments, codings=codings, codebook=codebook, participants=participants)


def frame(rows: dict, columns=THEMES) -> pd.DataFrame:
    return pd.DataFrame(rows, index=columns).T.loc[PIDS]


# -- theme_matrix -------------------------------------------------------------

def test_presence_rolls_up_and_keeps_empty_rows_and_columns(study):
    got = themes.theme_matrix(study, "theme", "presence")
    # P1: lonely/no one calls -> alone -> Isolation; peer group/nurse -> support -> Connection.
    # P2: peer group -> Connection; sleep -> routine -> Coping; misc has no theme.
    # P3: lonely -> Isolation. P4: no coding. Stigma: never coded.
    expected = frame({"P1": [1, 1, 0, 0], "P2": [0, 1, 1, 0], "P3": [1, 0, 0, 0], "P4": [0, 0, 0, 0]})
    assert list(got.index) == PIDS
    assert list(got.columns) == THEMES
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


def test_count_counts_applications(study):
    got = themes.theme_matrix(study, "theme", "count")
    # Passages (issue 12): P1 Isolation c1 (t2) and c2 (t2-4) overlap -> 1 passage; Connection
    # c3 (t4) + c4 (t5) = 2; P2 Connection c5 = 1, Coping c6 = 1; P3 Isolation: one coder counted,
    # the primary coder A (most coded documents), so c8 only = 1 (was 2 with B's c9 pooled).
    expected = frame({"P1": [1, 2, 0, 0], "P2": [0, 1, 1, 0], "P3": [1, 0, 0, 0], "P4": [0, 0, 0, 0]})
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


def test_segments_counts_distinct_turns_touched(study):
    got = themes.theme_matrix(study, "theme", "segments")
    # P1 Isolation: {2} ∪ {2,3,4} = 3 turns; Connection: {4} ∪ {5} = 2.
    # P2 Connection: {2,3} = 2; Coping: {3} = 1. P3 Isolation: {2} once for both coders = 1.
    expected = frame({"P1": [3, 2, 0, 0], "P2": [0, 2, 1, 0], "P3": [1, 0, 0, 0], "P4": [0, 0, 0, 0]})
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


def test_share_of_coded_words(study):
    got = themes.theme_matrix(study, "theme", "share")
    # P1 coded turns {2,3,4,5}: 10+4+20+6 = 40 words.
    #   Isolation turns {2,3,4} = 34 -> 0.85; Connection {4,5} = 26 -> 0.65.
    # P2 coded turns {2, 3}: 12+8 = 20 words (misc is on the interviewer's turn 1, which gives
    #   no participant a code since issue 12, so it is not one of P2's coded turns).
    #   Connection {2,3} = 20 -> 1.0; Coping {3} = 8 -> 0.4.
    # P3 coded {2} = 30: Isolation 1.0. P4: nothing coded -> 0.
    expected = frame({"P1": [0.85, 0.65, 0, 0], "P2": [0, 1.0, 0.4, 0], "P3": [1.0, 0, 0, 0],
                      "P4": [0, 0, 0, 0]})
    np.testing.assert_allclose(got.to_numpy(dtype=float), expected.to_numpy(dtype=float))


def test_coder_and_other_levels(study):
    only_b = themes.theme_matrix(study, "theme", "count", coder="B")
    # Coder B coded only c9 (P3, lonely -> Isolation).
    assert only_b.to_numpy().sum() == 1 and only_b.loc["P3", "Isolation"] == 1
    focused = themes.theme_matrix(study, "focused", "presence")
    assert list(focused.columns) == ["alone", "support", "routine"]
    assert focused.loc["P1"].tolist() == [1, 1, 0]
    as_applied = themes.theme_matrix(study, None, "count")
    # Codes as applied: every codebook code, in codebook order; a code's cell counts its passages
    # and those of the codes below it (DESIGN §4 "Theme prevalence"), so a theme column equals
    # the theme-level count.
    assert list(as_applied.columns)[:6] == ["lonely", "no one calls", "peer group", "nurse", "sleep", "misc"]
    # one coder counted (the primary coder A): P3 lonely 1; misc is on the interviewer's
    # turn, so no participant has it (issue 12, point 7)
    assert as_applied.loc["P3", "lonely"] == 1 and as_applied.loc["P2", "misc"] == 0
    assert themes.theme_matrix(study, None, "count", coder="all").loc["P3", "lonely"] == 1  # same turn: one passage
    assert as_applied["Isolation"].tolist() == [1, 0, 1, 0]    # P1 and P3, as at level "theme"
    assert as_applied["Isolation"].equals(themes.theme_matrix(study, "theme", "count")["Isolation"])
    with pytest.raises(ValueError):
        themes.theme_matrix(study, "theme", "percent")


# -- recurrence ------------------------------------------------------------------

def test_recurrence_exactly_half_reaches_the_threshold(study):
    got = themes.recurrence(study, "theme").set_index("code")
    # Isolation: P1, P3 -> 2/4 = 0.5, reaches 0.5 -> recurrent. Connection: P1, P2 -> 2/4.
    # Coping: P2 -> 1/4. Stigma: 0/4.
    assert got.loc["Isolation", ["n", "N"]].tolist() == [2, 4]
    assert got.loc["Isolation", "share"] == 0.5
    assert got.loc["Isolation", "names"] == "Max, Zoe"       # pseudonyms, sorted
    assert got.loc["Connection", "names"] == "Amy, Zoe"
    assert got["recurrent"].tolist() == [True, True, False, False]
    assert got.loc["Stigma", "names"] == ""
    stricter = themes.recurrence(study, "theme", threshold=0.6).set_index("code")
    assert not stricter["recurrent"].any()                     # 0.5 < 0.6
    quarter = themes.recurrence(study, "theme", threshold=0.25).set_index("code")
    assert quarter.loc["Coping", "recurrent"]                  # 1/4 reaches 0.25 exactly


def test_recurrence_by_attribute(study):
    got = themes.recurrence(study, "theme", by="site").set_index(["site", "code"])
    # north = P1, P2 (N=2): Isolation 1/2, Connection 2/2, Coping 1/2, Stigma 0.
    # south = P3, P4 (N=2): Isolation 1/2 (Max), the rest 0.
    # Groups of two: recurrence is not computed (DESIGN §4, groups under 3), counts still shown.
    assert got.loc[("north", "Connection"), "n"] == 2 and got.loc[("north", "Connection"), "N"] == 2
    assert got.loc[("south", "Isolation"), "names"] == "Max"
    assert got["recurrent"].isna().all()
    assert (got["note"].str.startswith("group too small")).all()
    whole = themes.recurrence(study, "theme").set_index("code")   # N = 4: computed
    assert whole.loc["Connection", "recurrent"] == True and whole.loc["Stigma", "recurrent"] == False  # noqa: E712
    assert (whole["note"] == "").all()


# -- negative cases ----------------------------------------------------------------

def test_negative_cases_and_missing_themes(study):
    negative = themes.negative_cases(study, "theme").set_index("code")
    # Isolation is absent for P2 (Amy) and P4 (Bea); Stigma for everyone.
    assert negative.loc["Isolation", "participant_ids"] == ["P2", "P4"]
    assert negative.loc["Isolation", "names"] == "Amy, Bea"
    assert negative.loc["Stigma", "n_without"] == 4
    missing = themes.missing_themes(study, "theme").set_index("participant_id")
    assert missing.loc["P1", "missing"] == ["Coping", "Stigma"]
    assert missing.loc["P4", "missing"] == THEMES
    assert missing.loc["P3", "n_missing"] == 3


# -- codeline ----------------------------------------------------------------------

def test_codeline_marks_every_turn_a_coding_spans(study):
    got = themes.codeline(study, "d1")
    # c1 lonely t2; c2 no one calls t2-t4; c3 peer group t4; c4 nurse t5 (codebook order).
    assert list(zip(got["code"], got["seg_no"])) == [
        ("lonely", 2), ("no one calls", 2), ("no one calls", 3), ("no one calls", 4),
        ("peer group", 4), ("nurse", 5)]
    assert got.loc[got["seg_no"] == 3, "speaker_role"].tolist() == ["interviewer"]
    rolled = themes.codeline(study, "d1", level="theme")
    assert list(zip(rolled["code"], rolled["seg_no"])) == [
        ("Isolation", 2), ("Isolation", 3), ("Isolation", 4), ("Connection", 4), ("Connection", 5)]
    fig = theme_plots.codeline(study, "d1")
    # one mark per (turn, code): 6 marks, 1 of them on the interviewer's turn 3
    marks = [c.get_offsets() for c in fig.axes[0].collections]
    assert sum(len(m) for m in marks) == 6
    assert sorted(len(m) for m in marks) == [1, 5]


# -- framework matrix and exemplars -------------------------------------------------

TYPICAL = "hope recovery future"


@pytest.fixture
def hope_study() -> Study:
    """One theme, Hope (subtheme 'goals' below it), coded on these turns:

    e1 (P1): t2 P "hope recovery future" (typical), t4 P "banana kitchen window" (shares no word),
             t6 P the typical words repeated, 12 words (too long for max_words=10)
    e2 (P2): t1 I "hope recovery future" (interviewer: not preferred), t2 P "cats dogs hope"
    e3 (P3): t2 P "hope future" (2 words: below min_words=3, the only one -> fallback)
    e4 (P4): t2 and t3 P "recovery future hope" twice (identical -> tie broken by seg_no)
    """
    turns = [
        ("e1", 1, "P1", "interviewer", "How are things"),
        ("e1", 2, "P1", "participant", TYPICAL),
        ("e1", 3, "P1", "interviewer", "Go on"),
        ("e1", 4, "P1", "participant", "banana kitchen window"),
        ("e1", 5, "P1", "interviewer", "And then"),
        ("e1", 6, "P1", "participant", " ".join([TYPICAL] * 4)),
        ("e2", 1, "P2", "interviewer", TYPICAL),
        ("e2", 2, "P2", "participant", "cats dogs hope <script>alert('x')</script>"),
        ("e3", 1, "P3", "interviewer", "Tell me"),
        ("e3", 2, "P3", "participant", "hope future"),
        ("e4", 1, "P4", "interviewer", "Tell me"),
        ("e4", 2, "P4", "participant", "recovery future hope"),
        ("e4", 3, "P4", "participant", "recovery future hope"),
    ]
    segments = pd.DataFrame(turns, columns=["doc_id", "seg_no", "participant_id", "speaker_role", "text"])
    coded = [("e1", 2), ("e1", 4), ("e1", 6), ("e2", 1), ("e2", 2), ("e3", 2), ("e4", 2), ("e4", 3)]
    codings = pd.DataFrame(coded, columns=["doc_id", "seg_first"]).assign(code="goals", level="subtheme")
    codebook = pd.DataFrame([("goals", "subtheme", "Hope"), ("Hope", "theme", "")],
                            columns=["code", "level", "parent"])
    participants = pd.DataFrame({"participant_id": ["P1", "P2", "P3", "P4"],
                                 "pseudonym": ["Zoe", "Amy", "Max", "Bea"]})
    return Study.from_tables(segments=segments, codings=codings, codebook=codebook, participants=participants)


def test_exemplars_pick_the_most_typical_turn(hope_study):
    long = themes.framework_matrix(hope_study, "theme", quotes_per_cell=2, min_words=3, max_words=10,
                                   form="long").set_index("participant_id")
    # P1: t6 is too long (12 > 10); of t2 and t4, t2 shares its words with the other Hope
    # turns while t4 shares none (cosine 0), so t2 comes first, then t4.
    assert long.loc["P1", "ref_1"] == "Zoe t2" and long.loc["P1", "quote_1"] == TYPICAL
    assert long.loc["P1", "ref_2"] == "Zoe t4"
    # P2: the interviewer's turn t1 is the most typical, but the participant's own turn wins.
    assert long.loc["P2", "ref_1"] == "Amy t2" and pd.isna(long.loc["P2", "ref_2"])
    # P3: only a 2-word turn: below min_words, taken as the fallback.
    assert long.loc["P3", "ref_1"] == "Max t2"
    # P4: two identical turns tie -> (doc_id, seg_no) order.
    assert [long.loc["P4", "ref_1"], long.loc["P4", "ref_2"]] == ["Bea t2", "Bea t3"]
    assert long.loc["P1", "n_codings"] == 3 and long.loc["P1", "n_turns"] == 3
    again = themes.framework_matrix(hope_study, "theme", quotes_per_cell=2, min_words=3, max_words=10,
                                    form="long").set_index("participant_id")
    pd.testing.assert_frame_equal(long, again)


def test_equally_typical_turns_go_in_turn_order(hope_study):
    # With max_words=80 t6 (12 words, the typical words repeated, cosine 1 with t2) is
    # allowed and ties t2 for typicality: both have the same TF-IDF direction. The tie
    # goes to seg_no 2, then t6 beats t4 (similarity 0).
    long = themes.framework_matrix(hope_study, "theme", quotes_per_cell=2, min_words=3, max_words=80,
                                   form="long").set_index("participant_id")
    assert [long.loc["P1", "ref_1"], long.loc["P1", "ref_2"]] == ["Zoe t2", "Zoe t6"]


def test_framework_html_escapes_transcript_text(hope_study):
    wide = themes.framework_matrix(hope_study, "theme", min_words=3, max_words=10)
    assert "<script>" in wide.loc[wide["participant_id"] == "P2", "Hope"].iloc[0]
    page = themes.framework_html(wide)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_framework_wide_cells(study):
    wide = themes.framework_matrix(study, "theme", quotes_per_cell=1).set_index("participant_id")
    # P1 Isolation: 2 codings over turns {2,3,4}; the quote is a participant turn of P1.
    # one passage since issue 12: c1 (t2) lies inside c2 (t2-4)
    assert wide.loc["P1", "Isolation"].startswith("1 passage · 3 turns\n“")
    assert wide.loc["P1", "participant"] == "Zoe"
    assert wide.loc["P4", "Isolation"] == "" and wide.loc["P1", "Stigma"] == ""


def test_workbook_has_one_sheet_per_theme_level(study, tmp_path):
    path = themes.write_framework_workbook(study, tmp_path / "framework.xlsx")
    book = openpyxl.load_workbook(path)
    # levels above the most specific one present, most general first
    assert book.sheetnames == ["theme", "focused"]
    sheet = book["theme"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header == ["participant_id", "participant", *THEMES]
    quote_cell = sheet.cell(row=2, column=3)          # P1 x Isolation
    assert "“" in quote_cell.value and quote_cell.alignment.wrap_text


# -- quote bank ---------------------------------------------------------------------

def test_quote_bank_presence_counted_by_hand():
    bank = pd.DataFrame([
        ("P1", "Isolation", "Withdrawal", "I stopped going out"),
        ("P1", "Isolation", "Being misunderstood", "Nobody gets it"),
        ("P2", "Hope", "Small wins", "Getting up was a win"),
        ("P3", "Isolation", "Withdrawal", "I hid at home"),
        ("P3", "Hope", "Future plans", "I want to study"),
        ("P4", "Hope", "Small wins", "I made tea today"),
    ], columns=["participant", "theme", "subtheme", "quote"])
    # As ingest holds a quote bank: one pseudo-document per participant, one turn per quote,
    # each row a coding of its subtheme and of its theme on that turn.
    bank["doc_id"] = "quotes-" + bank["participant"]
    bank["seg_no"] = bank.groupby("doc_id").cumcount() + 1
    segments = bank.rename(columns={"participant": "participant_id", "quote": "text"})[
        ["doc_id", "seg_no", "participant_id", "text"]]
    codings = pd.concat([
        bank.assign(code=bank["subtheme"], level="subtheme"),
        bank.assign(code=bank["theme"], level="theme"),
    ])[["doc_id", "seg_no", "code", "level"]].rename(columns={"seg_no": "seg_first"})
    codebook = pd.DataFrame([
        ("Withdrawal", "subtheme", "Isolation"), ("Being misunderstood", "subtheme", "Isolation"),
        ("Small wins", "subtheme", "Hope"), ("Future plans", "subtheme", "Hope"),
        ("Isolation", "theme", ""), ("Hope", "theme", ""),
    ], columns=["code", "level", "parent"])
    participants = pd.DataFrame({"participant_id": ["P1", "P2", "P3", "P4", "P5"]})
    study = Study.from_tables(segments=segments, codings=codings, codebook=codebook, participants=participants)
    presence = themes.theme_matrix(study, "theme", "presence")
    # By hand: Isolation P1, P3; Hope P2, P3, P4; P5 gave no quote.
    assert presence.to_dict("index") == {
        "P1": {"Isolation": 1, "Hope": 0}, "P2": {"Isolation": 0, "Hope": 1},
        "P3": {"Isolation": 1, "Hope": 1}, "P4": {"Isolation": 0, "Hope": 1},
        "P5": {"Isolation": 0, "Hope": 0}}
    subthemes = themes.theme_matrix(study, "subtheme", "presence")
    assert subthemes["Withdrawal"].tolist() == [1, 0, 1, 0, 0]
    assert subthemes["Small wins"].tolist() == [0, 1, 0, 1, 0]
    # P1's two Isolation quotes are two turns
    assert themes.theme_matrix(study, "theme", "segments").loc["P1", "Isolation"] == 2


# -- saturation ---------------------------------------------------------------------

def saturation_study(codes_per_interview: list[list[str]], interview_order=None) -> Study:
    docs = [f"i{n}" for n in range(1, len(codes_per_interview) + 1)]
    segments = pd.DataFrame({"doc_id": docs, "seg_no": 1, "participant_id": [f"P{d[1:]}" for d in docs],
                             "text": "some words"})
    codings = pd.DataFrame([(doc, code) for doc, codes in zip(docs, codes_per_interview) for code in codes],
                           columns=["doc_id", "code"]).assign(seg_first=1)
    participants = pd.DataFrame({"participant_id": [f"P{d[1:]}" for d in docs]})
    if interview_order is not None:
        participants["interview_order"] = interview_order
    codebook = pd.DataFrame({"code": list("abcdefgh")})
    return Study.from_tables(segments=segments, codings=codings, codebook=codebook, participants=participants)


KNOWN = [["a", "b", "c"], ["b", "d"], ["a", "e"], ["f"], ["a", "g"], ["b"], ["c"]]


def test_saturation_reached():
    result = themes.saturation(saturation_study(KNOWN), base_size=4, run_length=2, threshold=0.05)
    # New codes per interview: 3 (a b c), 1 (d), 1 (e), 1 (f), 1 (g), 0, 0.
    assert result.table["n_new"].tolist() == [3, 1, 1, 1, 1, 0, 0]
    assert result.table["cumulative"].tolist() == [3, 4, 5, 6, 7, 7, 7]
    assert result.table["new_codes"].tolist()[:2] == [["a", "b", "c"], ["d"]]
    # Base = {a..f} = 6. Runs: 5-6 adds g -> 1/6 > 5%; 6-7 adds none -> 0 <= 5%: reached at 7.
    assert result.summary["base_count"] == 6
    assert [(r["first"], r["last"], r["n_new"]) for r in result.summary["runs"]] == [(5, 6, 1), (6, 7, 0)]
    assert result.summary["runs"][0]["ratio"] == pytest.approx(1 / 6)
    assert result.summary["reached"] and result.summary["at"] == 7
    assert result.sentence.startswith("Saturation was reached at interview 7")
    fig = theme_plots.saturation_curve(result)
    assert any(list(line.get_xdata()) == [7, 7] for line in fig.axes[0].lines)


def test_saturation_threshold_edge_and_not_reached():
    # A ratio equal to the threshold counts: run 5-6 has 1/6 <= 1/6 -> reached at 6.
    edge = themes.saturation(saturation_study(KNOWN), base_size=4, run_length=2, threshold=1 / 6)
    assert edge.summary["at"] == 6
    # Interview 7 brings a new code h: run 6-7 adds 1/6 too -> never <= 5%.
    late = [*KNOWN[:6], ["c", "h"]]
    result = themes.saturation(saturation_study(late), base_size=4, run_length=2, threshold=0.05)
    assert not result.summary["reached"] and result.summary["at"] is None
    assert result.sentence.startswith("Saturation was not reached: ")
    fig = theme_plots.saturation_curve(result)
    assert not any(list(line.get_xdata()) == [7, 7] for line in fig.axes[0].lines)
    too_few = themes.saturation(saturation_study(KNOWN[:5]), base_size=4, run_length=2)
    assert not too_few.summary["reached"] and too_few.summary["runs"] == []
    assert too_few.sentence.startswith("Saturation was not reached: 5 interviews are too few")


def test_saturation_follows_interview_order():
    # File order i1, i2, i3; interviewed i2 first, then i3, then i1.
    study = saturation_study([["a"], ["b"], ["a", "c"]], interview_order=[3, 1, 2])
    result = themes.saturation(study, base_size=1, run_length=1)
    assert result.table["doc_id"].tolist() == ["i2", "i3", "i1"]
    # i2 brings b; i3 brings a, c; i1 nothing new.
    assert result.table["n_new"].tolist() == [1, 2, 0]
    plain = themes.saturation(saturation_study([["a"], ["b"], ["a", "c"]]), base_size=1, run_length=1)
    assert plain.table["doc_id"].tolist() == ["i1", "i2", "i3"]


# -- figures --------------------------------------------------------------------------

def test_heatmap_rows_are_pseudonyms(study):
    fig = theme_plots.theme_heatmap(study, "theme")
    labels = {t.get_text() for ax in fig.axes for t in ax.get_yticklabels()}
    assert {"Zoe", "Amy", "Max", "Bea"} <= labels
    single = theme_plots.theme_heatmap(themes.theme_matrix(study, "theme").iloc[:1], "theme")
    assert {t.get_text() for t in single.axes[0].get_yticklabels()} == {"P1"}


def test_recurrence_bars_draw_the_threshold(study):
    fig = theme_plots.recurrence_bars(study, "theme", threshold=0.5)
    ax = fig.axes[0]
    assert any(list(line.get_xdata()) == [0.5, 0.5] for line in ax.lines)
    # most widespread first: Isolation and Connection (2/4) tie, name order breaks it
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Connection", "Isolation", "Coping", "Stigma"]


def test_turn_counts_cache_gives_the_same_framework_and_misses_on_changed_text(tmp_path, monkeypatch):
    """The on-disk word-count cache (processed/cache/) must not change results,
    and a changed turn text must give a new cache file, not a stale hit."""
    import shutil

    import helpers
    from helpers.analysis import themes

    root = tmp_path / "project"
    (root / "data" / "raw").mkdir(parents=True)
    (root / "notebooks").mkdir()
    mini = Path(__file__).resolve().parents[1] / "fixtures" / "studies" / "mini"
    shutil.copytree(mini, root / "data" / "raw" / "mini")
    monkeypatch.setenv("TRANSCRIPT_THEMES_HOME", str(root))
    study = helpers.load_study("mini")
    cache_dir = study.paths.processed / "cache"
    assert not cache_dir.exists()
    first = themes.framework_matrix(study, level="theme")          # computes and stores
    cached = sorted(p.name for p in cache_dir.glob("turn_counts-*.npz"))
    assert len(cached) == 1
    again = themes.framework_matrix(study, level="theme")          # a cache hit
    assert again.equals(first)
    # a turn's text changes (as after re-ingesting edited transcripts): a new key
    study.segments.loc[0, "text"] = str(study.segments.loc[0, "text"]) + " extra words here"
    themes.framework_matrix(study, level="theme")
    assert len(list(cache_dir.glob("turn_counts-*.npz"))) == 2


# -- counting rules carried on the tables (issue 15, item 3) ------------------------

def test_theme_tables_state_their_counting_rule(study):
    from helpers.counting import AT_OR_BELOW_RULE, HOLDER_RULE, PASSAGE_RULE

    presence_rule = themes.theme_matrix(study, "theme", "presence").attrs["rule"]
    assert PASSAGE_RULE in presence_rule and AT_OR_BELOW_RULE in presence_rule and HOLDER_RULE in presence_rule
    negative = themes.negative_cases(study, "theme")
    assert negative.attrs["rule"] == presence_rule + " " + themes.NEGATIVE_CASES_RULE
    assert "n_without counts them out of N, every participant" in negative.attrs["rule"]
    missing = themes.missing_themes(study, "theme")
    assert missing.attrs["rule"] == presence_rule + " " + themes.MISSING_THEMES_RULE
    assert "n_missing counts them out of N_codes" in missing.attrs["rule"]
    whole = themes.recurrence(study, "theme", threshold=0.5).attrs["rule"]
    assert whole.startswith(presence_rule + " Recurrence: n = participants with the code")
    assert "reaches 0.5" in whole and "fewer than 3 participants" in whole and "Groups by" not in whole
    by_site = themes.recurrence(study, "theme", by="site").attrs["rule"]   # had no rule before
    assert by_site.startswith(presence_rule) and 'Groups by site; a participant with no value is in the group ' \
        '"(not given)".' in by_site and "every participant of the group" in by_site


def test_framework_codeline_and_saturation_state_their_counting_rule(study):
    from helpers.counting import AT_OR_BELOW_RULE, PASSAGE_RULE

    for form in ("wide", "long"):
        rule = themes.framework_matrix(study, "theme", quotes_per_cell=1, form=form).attrs["rule"]
        assert PASSAGE_RULE in rule and AT_OR_BELOW_RULE in rule
        assert rule.endswith(themes.framework_rule(1, 8, 80))
        assert "n_turns = distinct turns those passages touch" in rule and "up to 1 per cell" in rule
    line = themes.codeline(study, "d1").attrs["rule"]
    assert line.startswith(PASSAGE_RULE) and AT_OR_BELOW_RULE not in line   # own passages only
    assert line.endswith(themes.CODELINE_RULE)
    result = themes.saturation(study, "initial", base_size=2, run_length=1, threshold=0.25, n_orders=2)
    assert PASSAGE_RULE in result.table.attrs["rule"]
    assert ("Guest, Namey & Chen (2020): base of 2 interviews, runs of 1, saturation when a run's new codes "
            "are at most 25% of the base's codes.") in result.table.attrs["rule"]


def test_profile_tables_state_their_counting_rule(study):
    from helpers.analysis import profile
    from helpers.counting import PASSAGE_RULE

    codes = profile.code_profile(study, "P1", level="theme")
    assert codes.attrs["rule"].startswith(PASSAGE_RULE) and codes.attrs["rule"].endswith(profile.CODE_PROFILE_RULE)
    assert "others with it = other participants holding at least one passage" in codes.attrs["rule"]
    assert profile.talk_summary(study, "P1").attrs["rule"] == profile.TALK_RULE
    assert profile.best_quotes(study, "P1", level="theme", k=1).attrs["rule"].endswith(themes.framework_rule(1, 8, 80))


def test_codings_a_level_cannot_count_are_said_not_dropped_silently(study):
    """Issue 16: counting at "focused", a coding applied at "theme" (above it) has no code at
    "focused" to roll down to, and "misc" (initial, no parent) sits in a branch without
    "focused": rollup dropped both with no word on the page or in check."""
    from helpers import counting

    study.codings = pd.concat([study.codings, pd.DataFrame(
        [("d1", "Coping", 5, 5, "A", "theme"), ("d3", "Coping", 2, 2, "A", "theme")],
        columns=["doc_id", "code", "seg_first", "seg_last", "coder", "level"])], ignore_index=True)
    found = counting.passages(study, "focused")
    # counted: c1-c6, c8 roll up to alone/support/routine; left out: Coping ×2 (theme), misc ×1 (initial)
    assert found.attrs["not_counted"] == [
        {"code": "Coping", "level": "theme", "codings": 2, "why": "above"},
        {"code": "misc", "level": "initial", "codings": 1, "why": "branch"}]
    sentence = ("Not counted at level 'focused': 2 codings applied above it, which cannot be rolled down to one "
                "of its codes (Coping ×2 at theme); 1 coding in a branch of the codebook without that level "
                "(misc ×1 at initial). Count at their level, or code them at 'focused', to include them.")
    assert sentence in found.attrs["rule"]
    # every table counted at the level carries it in its counting rule (printed on the page)
    from helpers.analysis.frequency import code_frequencies

    assert sentence in code_frequencies(study, level="focused").attrs["rule"]
    assert sentence in themes.theme_matrix(study, "focused", "presence").attrs["rule"]
    # codes as applied count everything; at "theme" only misc is left out
    assert counting.passages(study, None).attrs["not_counted"] == []
    assert "Coping" not in counting.passages(study, "theme").attrs["rule"].split("Not counted")[-1]
    # check and the report summary: one line per level with codings left out, most specific first
    lines = counting.not_counted_lines(study)
    assert lines == [
        "Not counted at level 'initial': 2 codings applied above it, which cannot be rolled down to one of its "
        "codes (Coping ×2 at theme). Count at their level, or code them at 'initial', to include them.",
        sentence,
        "Not counted at level 'theme': 1 coding in a branch of the codebook without that level (misc ×1 at "
        "initial). Count at their level, or code them at 'theme', to include them."]
