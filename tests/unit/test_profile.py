"""The participant profile (notebook 05, helpers.analysis.profile): percentages rounded alike and
adding up, and a focus-group participant's code line drawn from their own turns (issue 16)."""
from __future__ import annotations

import matplotlib
import pandas as pd

matplotlib.use("Agg")

from helpers.analysis import profile, themes  # noqa: E402
from helpers.plots import themes as theme_plots  # noqa: E402
from helpers.report import present  # noqa: E402
from helpers.study import Study  # noqa: E402


def focus_group() -> Study:
    """FG: t1 facilitator 10 words, t2 Ana 30, t3 Ben 20, t4 Ana 25, t5 Ben 15 (100 words);
    codes: 'hope' on t2-t3 (one passage over Ana's and Ben's turns), 'fear' on t5 (Ben),
    'calm' on t1 (the facilitator). Ana also has a one-to-one interview d2."""
    turns = [("FG", 1, None, "interviewer", 10), ("FG", 2, "A", "participant", 30), ("FG", 3, "B", "participant", 20),
             ("FG", 4, "A", "participant", 25), ("FG", 5, "B", "participant", 15),
             ("d2", 1, None, "interviewer", 5), ("d2", 2, "A", "participant", 15)]
    segments = pd.DataFrame(turns, columns=["doc_id", "seg_no", "participant_id", "speaker_role", "n_words"])
    segments["text"] = ["word " * n for n in segments["n_words"]]
    codings = pd.DataFrame([("FG", "hope", 2, 3), ("FG", "fear", 5, 5), ("FG", "calm", 1, 1), ("d2", "hope", 2, 2)],
                           columns=["doc_id", "code", "seg_first", "seg_last"])
    people = pd.DataFrame({"participant_id": ["A", "B"], "pseudonym": ["Ana", "Ben"]})
    return Study.from_tables(segments=segments, codings=codings, participants=people)


def test_focus_group_code_line_is_the_participants_own_turns():
    """The profile drew the whole group's line for each member (Ben's fear, the facilitator's calm)."""
    study = focus_group()
    assert profile.own_turns_only(study, "A", "FG") and not profile.own_turns_only(study, "A", "d2")
    whole = themes.codeline(study, "FG")
    assert sorted(zip(whole["seg_no"], whole["code"])) == [(1, "calm"), (2, "hope"), (3, "hope"), (5, "fear")]
    ana = themes.codeline(study, "FG", participant="A")
    assert list(zip(ana["seg_no"], ana["code"])) == [(2, "hope")]          # t3 of the passage is Ben's
    ben = themes.codeline(study, "FG", participant="B")
    assert sorted(zip(ben["seg_no"], ben["code"])) == [(3, "hope"), (5, "fear")]
    assert ana.attrs["rule"].endswith(themes.CODELINE_OWN_RULE)
    fig = theme_plots.codeline(study, "FG", participant="B")
    assert fig.axes[0].get_title() == "Code line: B's turns in FG"
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["hope", "fear"]
    assert fig.axes[0].get_xlim() == (0.5, 5.5)                            # along the whole conversation


def test_word_shares_add_up_to_100_and_talk_shows_one_rounding():
    study = focus_group()
    shares = profile.word_shares(study, "A")
    # FG: Ana 55 of 100 words, Ben 35, facilitator 10; d2: Ana 15 of 20 = 75 %, interviewer 25 %
    assert shares.to_dict("records") == [
        {"doc_id": "FG", "participant_pct": 55.0, "other_participants_pct": 35.0, "interviewer_pct": 10.0,
         "other_speakers_pct": 0.0},
        {"doc_id": "d2", "participant_pct": 75.0, "other_participants_pct": 0.0, "interviewer_pct": 25.0,
         "other_speakers_pct": 0.0}]
    # thirds: 33.3 + 33.3 + 33.3 = 99.9 rounded alone; the largest remainder gives the first 0.1 more
    assert profile.rounded_parts([100 / 3] * 3) == [33.4, 33.3, 33.3]
    assert profile.rounded_parts([12.25, 37.75, 50.0], decimals=0) == [12, 38, 50]
    talk = profile.talk_table(profile.talk_summary(study, "A"))
    # Ana: 3 turns, 70 words; mean over Ana and Ben: turns (3 + 2) / 2 = 2.5, words (70 + 35) / 2 = 52.5;
    # share: mean of 55/100 and 15/20 = 0.65
    assert talk["participant"].tolist() == ["3", "70", "65.0 %"]
    assert talk["group mean"].tolist() == ["2.5", "52.5", ""]


def test_table_decimals_make_a_column_read_alike():
    frame = pd.DataFrame({"code": ["a", "b", "c"], "group mean": [0.25, 1.5, 2.0], "words_pct": [12.5, 40.0, 7.75]})
    plain = present.table(frame)
    assert plain.frame.iloc[:, 1].tolist() == ["0.250", "1.50", "2"]        # three roundings in one column
    assert plain.frame.iloc[:, 2].tolist() == ["12.5 %", "40 %", "7.8 %"]
    fixed = present.table(frame, decimals={"group mean": 2, "words_pct": 1})
    assert fixed.frame.iloc[:, 1].tolist() == ["0.25", "1.50", "2.00"]
    assert fixed.frame.iloc[:, 2].tolist() == ["12.5 %", "40.0 %", "7.8 %"]
