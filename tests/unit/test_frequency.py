"""Code frequencies, word frequencies, keyness and KWIC against hand counts.

Code frequencies use the three-document fixture of test_cooccurrence.py (its
docstring shows the turns and codings).
"""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.frequency import code_frequencies, keyness, kwic, word_frequencies
from helpers.study import Study


def _fixture_module():
    path = Path(__file__).with_name("test_cooccurrence.py")
    spec = importlib.util.spec_from_file_location("cooccurrence_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def study() -> Study:
    return _fixture_module().three_document_study()


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [tuple(r) for r in frame[columns].itertuples(index=False)]


COLUMNS = ["code", "applications", "segments", "documents", "participants", "words_coded"]


def test_code_frequencies_as_applied(study):
    # a: 5 codings; turns D1t2 D2t2 D3t4 D3t5 = 4; 3 documents, 3 participants (of 4: 75 %);
    #    words: D1 "hope and fear" 3 + "about work" 2, D2 "find hope" 2, D3 "Then hope" 2 + "Hope again" 2 = 11
    # b: 3; D1t2 D2t3 D3t2 = 3; 3; 3; "fear about work" 3 + "Work was hard" 3 + "Fear came first" 3 = 9
    # c: 2; D1t3 D1t4 (one coding over two turns) D2t2 = 3; 2; 2;
    #    "Tell me more. Hope keeps me going every day." 9 + "My sister helped me find hope" 6 = 15
    # d: 2; D1t4 D3t4 = 2; 2; 2; "every day" 2 + "hope and work together" 4 = 6
    result = code_frequencies(study)
    assert rows(result, COLUMNS) == [("a", 5, 4, 3, 3, 11), ("b", 3, 3, 3, 3, 9),
                                     ("c", 2, 3, 2, 2, 15), ("d", 2, 2, 2, 2, 6)]
    np.testing.assert_allclose(result["participants_pct"], [75, 75, 50, 50])


def test_code_frequencies_focused_unions_overlapping_spans(study):
    # F1 = a + b: 8 codings; turns D1t2 D2t2 D2t3 D3t2 D3t4 D3t5 = 6.
    # Applications are passages (issue 12, rule 1): D1's three overlapping F1 codings
    # ("hope and fear" / "fear about work" / "about work") are one passage, so 8 - 2 = 6.
    # words: D1 "hope and fear" / "fear about work" / "about work" overlap -> union
    #        "hope and fear about work" = 5 (not 3 + 3 + 2 = 8); D2 2 + 3 = 5; D3 3 + 2 + 2 = 7 -> 17
    result = code_frequencies(study, level="focused")
    assert rows(result, COLUMNS) == [("F1", 6, 6, 3, 3, 17), ("F2", 2, 3, 2, 2, 15), ("F3", 2, 2, 2, 2, 6)]


def test_code_frequencies_theme(study):
    # T1 = a, b, c: 10 codings; turns D1t2 D1t3 D1t4 D2t2 D2t3 D3t2 D3t4 D3t5 = 8
    # words: D1 5 (t2 union) + 9 (c over t3-t4) = 14; D2 c "My sister helped me find hope" 6 holds
    # a "find hope", + "Work was hard" 3 = 9; D3 7 -> 30
    # Applications are passages (issue 12, rule 1): D1 the three overlapping t2 codings (1) + c (1);
    # D2 a "find hope" inside c (1) + b (1); D3 three apart (3) -> 7, not 10 codings.
    result = code_frequencies(study, level="theme")
    assert rows(result, COLUMNS) == [("T1", 7, 8, 3, 3, 30), ("T2", 2, 2, 2, 2, 6)]


def test_code_frequencies_by_attribute(study):
    # gender F = P1, P3 (2 people); M = P2, P4 (2 people, P4 without an interview)
    # F: a 4 codings (D1 2, D3 2), turns D1t2 D3t4 D3t5, 2 people = 100 %, words 5 + 4 = 9
    #    b 2 (D1, D3), d 2 (D1, D3), c 1 (D1, over two turns)
    # M: a 1, b 1, c 1 (all D2), d 0 -> 0 %
    result = code_frequencies(study, by="gender")
    columns = ["gender", "code", "applications", "segments", "participants", "group_size", "words_coded"]
    assert rows(result, columns) == [
        ("F", "a", 4, 3, 2, 2, 9), ("F", "b", 2, 2, 2, 2, 6), ("F", "d", 2, 2, 2, 2, 6), ("F", "c", 1, 2, 1, 2, 9),
        ("M", "a", 1, 1, 1, 2, 2), ("M", "b", 1, 1, 1, 2, 3), ("M", "c", 1, 1, 1, 2, 6), ("M", "d", 0, 0, 0, 2, 0),
    ]
    np.testing.assert_allclose(result["participants_pct"], [100, 100, 100, 50, 50, 50, 50, 0])


def test_words_coded_counts_a_cut_word_once():
    # "hope and fear": span "ope and fe" touches hope, and, fear -> 3 words;
    # a second coding "and fear" of the same code inside it adds nothing
    text = "hope and fear"
    segments = pd.DataFrame({"doc_id": ["D"], "seg_no": [1], "participant_id": "P", "start": [0],
                             "end": [len(text)], "text": [text]})
    codings = pd.DataFrame({"doc_id": "D", "participant_id": "P", "code": ["x", "x"], "seg_first": 1,
                            "start": [1, 5], "end": [11, 13]})
    study = Study.from_tables(segments=segments, codings=codings, texts={"D": text})
    assert code_frequencies(study)["words_coded"].tolist() == [3]


def test_code_frequencies_coder_filter(study):
    # an unknown coder was an empty table before issue 12; now a one-line error listing the coders
    from helpers.errors import InputError
    with pytest.raises(InputError, match="coder nobody has no codings.*coders: A"):
        code_frequencies(study, coder="nobody")
    # 12 codings, no two of one code overlapping at level None (D1's two a codings do not touch)
    assert code_frequencies(study, coder="A")["applications"].sum() == 12


# -- words ------------------------------------------------------------------------

def word_study() -> Study:
    # P1 says "Hope hope um sleep [laughs]" -> hope, hope, sleep (um a filler, [laughs] an annotation)
    # P2 says "Sleep and work, work."       -> sleep, work, work ("and" a stop word)
    # the interviewer's "Hope work hope?" is not counted
    segments = pd.DataFrame({
        "doc_id": ["D1", "D1", "D2"], "seg_no": [1, 2, 1], "participant_id": ["P1", "P1", "P2"],
        "speaker_role": ["interviewer", "participant", "participant"],
        "text": ["Hope work hope?", "Hope hope um sleep [laughs]", "Sleep and work, work."],
    })
    codings = pd.DataFrame({"doc_id": ["D1"], "participant_id": ["P1"], "code": ["x"], "seg_first": [2]})
    participants = pd.DataFrame({"participant_id": ["P1", "P2"], "team": ["north", "south"]})
    return Study.from_tables(segments=segments, codings=codings, participants=participants)


def test_word_frequencies_whole_study():
    # hope 2, sleep 2, work 2 of 6 terms -> 333.3 per 1,000; sleep said by both participants
    result = word_frequencies(word_study(), by=None)
    assert rows(result, ["term", "n", "participants"]) == [("hope", 2, 1), ("sleep", 2, 2), ("work", 2, 1)]
    np.testing.assert_allclose(result["per_1000"], [1000 * 2 / 6] * 3)


def test_word_frequencies_by_participant():
    result = word_frequencies(word_study(), by="participant")
    assert rows(result, ["participant_id", "term", "n"]) == [
        ("P1", "hope", 2), ("P1", "sleep", 1), ("P2", "work", 2), ("P2", "sleep", 1)]
    np.testing.assert_allclose(result["per_1000"], [2000 / 3, 1000 / 3, 2000 / 3, 1000 / 3])


def test_bigrams():
    # P1 hope hope sleep -> "hope hope", "hope sleep"; P2 sleep and work work -> only "work work"
    # (bigrams with the stop word "and" are dropped)
    result = word_frequencies(word_study(), by=None, ngram=2)
    assert rows(result, ["term", "n"]) == [("hope hope", 1), ("hope sleep", 1), ("work work", 1)]
    # keeping fillers, "um" stands between hope and sleep, so "hope sleep" is no longer a bigram
    kept = word_frequencies(word_study(), by=None, ngram=2, remove_fillers=False)
    assert rows(kept, ["term", "n"]) == [("hope hope", 1), ("work work", 1)]


def test_keyness_by_hand():
    # P1 against P2: c = 3 terms, d = 3 terms
    # hope: a 2, b 0: E1 = 3*2/6 = 1, E2 = 1; G2 = 2 (2 ln 2 + 0) = 4 ln 2; log ratio log2((2/3)/(0.5/3)) = 2
    # sleep: a 1, b 1: E1 = E2 = 1 -> G2 0, log ratio 0
    # work: a 0, b 2: G2 = 4 ln 2, log ratio log2((0.5/3)/(2/3)) = -2, "under"
    # p: chi-square 1 df upper tail = erfc(sqrt(G2 / 2))
    # every expected count here is 1: below the default minimum of 5, so nothing is tested (issue 12)
    default = keyness(word_study(), by="participant")
    assert not default["tested"].any() and default["p"].isna().all() and default["q"].isna().all()
    assert default["expected"].tolist() == pytest.approx([1.0] * 6)
    result = keyness(word_study(), by="participant", min_expected=0)
    # BH over the 6 tests run (hope, work: p_h each in both groups; sleep 1 twice):
    # rank 4 of p_h gives p_h x 6/4, the smallest from there up -> q(hope) = 1.5 p_h; q(sleep) = 1
    p_h = math.erfc(math.sqrt(2 * math.log(2)))
    q = result.set_index(["participant_id", "term"])["q"]
    assert q[("P1", "hope")] == pytest.approx(1.5 * p_h) and q[("P2", "sleep")] == pytest.approx(1.0)
    p1 = result[result["participant_id"] == "P1"].set_index("term")
    assert p1.loc["hope", "g2"] == pytest.approx(4 * math.log(2))
    assert p1.loc["hope", "log_ratio"] == pytest.approx(2.0)
    assert p1.loc["hope", "p"] == pytest.approx(math.erfc(math.sqrt(2 * math.log(2))))
    assert p1.loc["sleep", "g2"] == pytest.approx(0.0) and p1.loc["sleep", "log_ratio"] == pytest.approx(0.0)
    assert p1.loc["work", "g2"] == pytest.approx(4 * math.log(2))
    assert p1.loc["work", "log_ratio"] == pytest.approx(-2.0)
    assert p1.loc["work", "use"] == "under" and p1.loc["hope", "use"] == "over"
    assert (p1.loc["hope", "n_group"], p1.loc["hope", "n_rest"]) == (2, 0)
    # sorted by G2 within the group, ties by term: hope, work, sleep
    assert list(p1.index) == ["hope", "work", "sleep"]
    # grouping by an attribute whose groups are the same people gives the same G2
    by_team = keyness(word_study(), by="team").set_index(["team", "term"])
    assert by_team.loc[("north", "hope"), "g2"] == pytest.approx(4 * math.log(2))


def test_keyness_needs_two_groups():
    segments = pd.DataFrame({"doc_id": ["D"], "seg_no": [1], "participant_id": ["P1"], "text": ["hope sleep"]})
    study = Study.from_tables(segments=segments, codings=pd.DataFrame(
        {"doc_id": ["D"], "participant_id": ["P1"], "code": ["x"], "seg_first": [1]}))
    with pytest.raises(ValueError, match="two groups"):
        keyness(study)


# -- kwic -------------------------------------------------------------------------

def test_kwic_whole_words_case_insensitive():
    text = "I hope so. Hopeful? HOPE and hope-less, but no hope at all [hope]"
    segments = pd.DataFrame({"doc_id": ["D", "D"], "seg_no": [1, 2], "participant_id": ["P1", "P1"],
                             "speaker_role": ["interviewer", "participant"], "start": [0, 3],
                             "end": [2, 3 + len(text)], "text": ["Q?", text]})
    study = Study.from_tables(segments=segments, codings=pd.DataFrame(
        {"doc_id": ["D"], "participant_id": ["P1"], "code": ["x"], "seg_first": [2]}))
    result = kwic(study, "hope", width=10)
    # matches at 2-6 "hope", 20-24 "HOPE", 47-51 "hope"; not Hopeful, hope-less or the annotation [hope]
    assert result["match"].tolist() == ["hope", "HOPE", "hope"]
    # whole words only: a word the 10-character width cuts ("Hopeful?", "hope-less,", "[hope]") is left out
    assert result["left"].tolist() == ["I ", "Hopeful? ", "but no "]
    assert result["right"].tolist() == [" so.", " and", " at all"]
    assert result["start"].tolist() == [3 + 2, 3 + 20, 3 + 47]   # offsets in the document
    assert set(result["seg_no"]) == {2} and set(result["doc_id"]) == {"D"} and set(result["participant_id"]) == {"P1"}
    phrase = kwic(study, "No   Hope", width=5)
    assert phrase["match"].tolist() == ["no hope"]
    assert phrase["left"].tolist() == ["but "]
    assert kwic(study, "hope", roles=["interviewer"]).empty


def test_kwic_reads_the_turns_word_frequencies_count():
    """An interviewer turn attributed to the interview's participant (one-to-one interview) was listed
    under that participant ("Do you help other people?" under A02); KWIC now reads the turns word
    frequencies count: participant turns, unless asked."""
    turns = ["Do you help other people?", "I help my neighbour.", "Why help?", "Help came back to me."]
    starts = [0, 26, 47, 57]
    segments = pd.DataFrame({"doc_id": "D", "seg_no": [1, 2, 3, 4], "participant_id": "A02",
                             "speaker_role": ["interviewer", "participant", "interviewer", "participant"],
                             "start": starts, "end": [s + len(t) for s, t in zip(starts, turns)], "text": turns})
    study = Study.from_tables(segments=segments, codings=pd.DataFrame(
        {"doc_id": ["D"], "participant_id": ["A02"], "code": ["x"], "seg_first": [2]}))
    # "help" in participant turns: turn 2 "I help my ..." and turn 4 "Help came ..." -> 2, as word_frequencies
    found = kwic(study, "help", width=8)
    assert list(zip(found["seg_no"], found["match"])) == [(2, "help"), (4, "Help")]
    assert found["start"].tolist() == [26 + 2, 57 + 0]
    assert set(found["speaker_role"]) == {"participant"}
    freq = word_frequencies(study, by=None)
    assert int(freq.loc[freq["term"] == "help", "n"].iloc[0]) == len(found) == 2
    assert "Participant turns only" in found.attrs["rule"]
    # asked for: every turn (4 hits: turns 1, 2, 3, 4), or the interviewer's only (turns 1 and 3)
    assert kwic(study, "help", roles="all")["seg_no"].tolist() == [1, 2, 3, 4]
    assert kwic(study, "help", roles=["interviewer"])["seg_no"].tolist() == [1, 3]
    assert "Every turn" in kwic(study, "help", roles="all").attrs["rule"]


def test_kwic_context_never_cuts_a_word_and_keeps_the_neighbouring_words():
    """KWIC far context cut words at the edge ("nd anything I do write…"); the words next to the keyword
    are kept whole even when longer than the width."""
    from helpers.analysis.frequency import context_left, context_right

    text = "and anything I do write. Nobody had ever said to me before."
    at = text.index("said")
    assert context_left(text, at, 14) == "had ever "            # 14 chars reach into "Nobody": left out
    assert context_right(text, at + 4, 8) == " to me"            # "before." cut at "b": left out
    assert context_left("extraordinarily said", 16, 3) == "extraordinarily "   # the neighbour, whole
    assert context_right("said extraordinarily", 4, 3) == " extraordinarily"
    assert context_left(text, at, 200) == text[:at]               # the whole turn when it fits


def test_frequency_figures(study):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from helpers.plots.frequency import attribute_code_heatmap, frequency_bars
    bars = frequency_bars(study, value="applications", level="focused")
    assert isinstance(bars, Figure)
    # sorted largest first, top of the chart: F1 (8), then F2, F3 (2 each, by name)
    ax = bars.axes[0]
    height = dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks()))
    assert sorted(height, key=height.get, reverse=True) == ["F1", "F2", "F3"]
    assert isinstance(attribute_code_heatmap(code_frequencies(study, by="gender")), Figure)


def test_redaction_placeholders_are_not_words(project_home):
    # redactions.csv replaces "Marta" with [NAME] and "Ashby" with (Town). P1's turn, after redaction:
    #   "I told [NAME] yesterday and [NAME] laughed. (Town) felt far."
    # words (stop words "i", "and" out): told, yesterday, laughed, felt, far — no "name", no "(town)";
    # bigrams only inside runs between placeholders: "told" | "yesterday and" | "laughed" | "felt far"
    #   -> "felt far" only ("yesterday and" has a stop word; "told yesterday" would span [NAME])
    from support import make_study

    import helpers

    root = make_study(project_home / "data" / "raw", {
        "transcripts/P1.txt": "I: What happened?\nP: I told Marta yesterday and Marta laughed. Ashby felt far.\n",
        "redactions.csv": "term,replacement\nMarta,[NAME]\nAshby,(Town)\n",
    }, name="placeholders")
    study = helpers.load_study(root)
    assert "[NAME]" in study.segments["text"].iloc[-1]
    words = word_frequencies(study, by=None)
    assert sorted(words["term"]) == ["far", "felt", "laughed", "told", "yesterday"]
    assert rows(word_frequencies(study, by=None, ngram=2), ["term", "n"]) == [("felt far", 1)]
    assert "placeholders" in words.attrs["rule"]
    # n_words (a contract column) is unchanged: I told yesterday and laughed (Town) felt far = 8
    # (a round-bracket placeholder is one word there; [NAME] reads as an annotation, as before)
    assert study.segments["n_words"].iloc[-1] == 8
