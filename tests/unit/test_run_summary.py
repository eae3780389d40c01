"""The end-of-run terminal summary (issue 16 point 8): the warnings that matter,
grouped, each whole, or counted with where to read them all."""
from __future__ import annotations

from pathlib import Path

from helpers.report import batch

FIX = "give their codings entries one 'coder:' in study.yml"


def _coders(doc: str) -> str:
    return f"{doc} is coded by AK, RB: analyses count only the primary coder AK there; codes not counted there: " \
           f"a rather long code name that went past the old cut — {FIX}"


def test_every_warning_is_shown_whole_and_grouped_by_its_fix():
    """The summary showed only the first warning, cut mid-word at 120 characters."""
    warnings = [_coders("P01"), "participants.csv lacks P09: added with no attributes", _coders("P02")]
    lines = batch.warning_lines(warnings)
    assert lines[0].startswith("ingest: 3 warning(s), all listed in 01-clean-transcripts.html")
    # the group of two first, each warning whole, its fix said once
    assert lines[1:4] == [f"  - {_coders('P01').rsplit(' — ', 1)[0]}", f"  - {_coders('P02').rsplit(' — ', 1)[0]}",
                          f"    fix for these 2: {FIX}"]
    assert lines[4:] == ["  - participants.csv lacks P09: added with no attributes"]
    assert all("past the old cut" in line for line in lines[1:3])


def test_many_warnings_are_counted_with_where_to_read_them():
    warnings = [_coders(f"P{i:02d}") for i in range(1, 13)] + ["x.txt: no interviewer turns — check the labels"]
    lines = batch.warning_lines(warnings, shown=4)
    assert [line for line in lines if line.startswith("  - P")] == [
        f"  - {_coders(f'P{i:02d}').rsplit(' — ', 1)[0]}" for i in range(1, 5)]
    assert "  - … and 8 more like these" in lines
    assert lines[-1] == ("  … and 1 other warning(s): read them in 01-clean-transcripts.html "
                         "('Cleaning and import') and manifest.json")
    assert batch.warning_lines([]) == []


def test_summary_lines_carry_the_grouped_warnings():
    summary = batch.Summary("demo", Path("reports/demo/index.html"), executed=["a"],
                            notes=batch.warning_lines([_coders("P01")]) + ["coders: AK, RB"])
    text = "\n".join(summary.lines())
    assert "past the old cut" in text and f"fix: {FIX}" in text and text.endswith("open: reports/demo/index.html")


def test_summary_says_which_attribute_groups_the_breakdowns_suppress():
    """The summary was to name the groups suppressed (issue 16 point 8); it did not."""
    import pandas as pd

    from helpers.study import Study

    segments = pd.DataFrame({"doc_id": ["d"], "seg_no": [1], "participant_id": ["P1"], "speaker_role": ["participant"],
                             "start": [0], "end": [2], "text": ["hi"]})
    participants = pd.DataFrame({"participant_id": [f"P{i}" for i in range(1, 6)],
                                 "gender": ["woman", "woman", "woman", "man", "non-binary"]})
    study = Study.from_tables(segments=segments, codings=pd.DataFrame(
        {"doc_id": ["d"], "participant_id": ["P1"], "code": ["x"], "seg_first": [1]}), participants=participants)
    line = batch.suppressed_groups(study)
    assert line.startswith("groups suppressed: attribute groups of fewer than 3 participants")
    assert line.endswith("— gender: man, non-binary") and "P4" not in line
    assert batch.suppressed_groups(Study.from_tables(segments=segments, codings=study.codings,
                                                     participants=participants.assign(gender="woman"))) == ""
