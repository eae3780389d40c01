"""counting.passages is computed once per study and parameters while the study's
tables are as they were (a report page asked for the same passages tens of times);
what it returns is what the computation gives, every time, and no caller's change
reaches another caller."""
from __future__ import annotations

import pytest
from support import DEMO, MINI

from helpers.counting import _passages, passages
from helpers.study import load_study


def _same(a, b) -> bool:
    return a.equals(b) and list(a.columns) == list(b.columns) and a.attrs == b.attrs


@pytest.mark.parametrize("folder", [MINI, DEMO], ids=["mini", "demo"])
def test_remembered_passages_equal_the_computation_for_every_level_and_coder(folder, home):
    home(folder)
    study = load_study(folder.name)
    for level in [None, *study.levels]:
        for coder in (None, "all", study.coders()[:1]):
            for at_or_below in (False, True):
                first = passages(study, level=level, coder=coder, at_or_below=at_or_below)
                again = passages(study, level=level, coder=coder, at_or_below=at_or_below)
                fresh = _passages(study, level, coder, at_or_below)
                assert _same(first, fresh) and _same(again, fresh), (level, coder, at_or_below)
                assert first is not again


def test_a_callers_change_reaches_no_other_caller(home):
    home(MINI)
    study = load_study("mini")
    first = passages(study)
    first.loc[first.index[0], "code"] = "changed by a caller"
    first.attrs["rule"] = "changed"
    again = passages(study)
    assert again.loc[again.index[0], "code"] != "changed by a caller" and again.attrs["rule"] != "changed"


def test_a_table_changed_in_place_is_counted_afresh(home):
    home(MINI)
    study = load_study("mini")
    before = passages(study, coder="all")
    row = study.codings.index[0]
    study.codings.loc[row, "code"] = "a code added in place"   # in place: the same DataFrame object
    after = passages(study, coder="all")
    assert "a code added in place" in set(after["code"]) and "a code added in place" not in set(before["code"])
    assert _same(after, _passages(study, None, "all", False))
    study.levels = list(reversed(study.levels))   # any input of the rule: its levels too
    assert _same(passages(study, coder="all"), _passages(study, None, "all", False))


def test_a_study_loaded_again_reuses_the_passages_its_equal_tables_gave(home, monkeypatch):
    """A reused report kernel loads the study afresh for each page: the same tables, the
    passages not computed again; a study with other tables is computed afresh."""
    from helpers import counting

    home(MINI)
    passages(load_study("mini"), coder="all")
    computed = []
    real = counting._passages
    monkeypatch.setattr(counting, "_passages", lambda *a: computed.append(a[1:]) or real(*a))
    again = load_study("mini")
    assert _same(passages(again, coder="all"), real(again, None, "all", False)) and computed == []
    again.codings = again.codings.iloc[1:]
    passages(again, coder="all")
    assert computed == [(None, "all", False)]


def test_the_same_codings_in_another_order_are_not_taken_for_the_first_order(home):
    """The tables' fingerprint follows row order (a sum of row hashes did not): a study whose
    codings are the same rows reversed gets its own passages, equal to computing them."""
    home(MINI)
    study = load_study("mini")
    passages(study, coder="all")
    reordered = load_study("mini")
    reordered.codings = reordered.codings.iloc[::-1]
    assert _same(passages(reordered, coder="all"), _passages(reordered, None, "all", False))


def test_remembered_holders_equal_the_computation_and_follow_the_turns_speakers(home):
    """theme_matrix._held (passages with the participants holding them) is remembered too: it
    equals the computation, and a turn given to the interviewer in place takes its holder away."""
    from helpers.analysis.theme_matrix import _held, _held_computed

    home(MINI)
    study = load_study("mini")
    for level in [None, *study.levels]:
        for at_or_below in (False, True):
            first, again = _held(study, level, None, at_or_below), _held(study, level, None, at_or_below)
            assert _same(first, _held_computed(study, level, None, at_or_below)) and _same(again, first)
            assert first is not again
    before = _held(study, None)
    turn = before.iloc[0]
    holder = (study.segments["doc_id"].astype(str) == str(turn["doc_id"])) & (
        study.segments["participant_id"].astype("string") == turn["participant_id"])
    study.segments.loc[holder, "speaker_role"] = "interviewer"   # in place: that participant's turns in the document
    after = _held(study, None)
    assert _same(after, _held_computed(study, None, None, False))
    assert len(after) < len(before)
