"""Counts a researcher can defend (issue 12): the cases of ../shared/cases/counting/
through the public entry points, and the rules of helpers.counting on small
in-memory studies. Every value below is worked out by hand (see each case's
expected.md for the turns and codings)."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import REPO, run_cli

import helpers
from helpers import counting
from helpers.analysis import themes
from helpers.errors import InputError
from helpers.study import Study

CASES = REPO.parent / "shared" / "cases" / "counting"


def case(name: str) -> Path:
    folder = CASES / name
    if not folder.is_dir():
        pytest.skip(f"case {folder} is absent (the shared cases live beside the repository)")
    return folder


def copy_case(name: str, home: Path, yml: str | None = None) -> Path:
    """The case copied into the throw-away project (so a test may change study.yml)."""
    target = home / "data" / "raw" / name
    shutil.copytree(case(name), target)
    if yml is not None:
        (target / "study.yml").write_text(yml, encoding="utf-8")
    return target


def by_code(frame: pd.DataFrame, column: str) -> dict:
    return dict(zip(frame["code"], frame[column]))


# -- study A: two coders on A2, a repeated row, interviewer-turn codings --------------

@pytest.fixture
def study_a(project_home):
    return helpers.load_study(copy_case("study_a", project_home))


def test_a_levels_and_primary_coder(study_a):
    # the codebook's level column says `code` for the five codes and `theme` for two
    assert study_a.levels == ["code", "theme"]
    # AK coded A1-A3 (3 documents), RB only A2 (1): AK is primary
    assert counting.primary_coder(study_a) == "AK"
    coders = counting.coder_documents(study_a).set_index("coder")
    assert coders.loc["AK", "documents"] == "A1, A2, A3" and bool(coders.loc["AK", "primary"])
    assert coders.loc["RB", "documents"] == "A2" and not coders.loc["RB", "primary"]


def test_a_theme_counts_one_passage_per_quote(study_a):
    # support: A1 t2 (help+trust one passage), A1 t10 (trust twice + help one passage), A2 t2, A2 t6,
    # A2 t8 (help+trust one passage), A3 t2 = 6; barriers: A1 t4-5, t6, t7, t8, A2 t3, t4, t6,
    # A3 t4 (cost+stigma one passage) = 8. RB (A2 only) is not counted: AK is primary there.
    freq = helpers.code_frequencies(study_a, level="theme")
    assert by_code(freq, "applications") == {"support": 6, "barriers": 8}
    assert "primary coder AK" in freq.attrs["rule"]
    counts = helpers.theme_matrix(study_a, level="theme", value="count")
    # participants hold only passages touching their own turns: A1 t7 (stigma) and A2 t3 (cost) are
    # interviewer questions, counted in the 8 above but held by no one
    assert counts.loc["P1"].tolist() == [2, 3]      # support, barriers: A1 t2, t10 / t4-5, t6, t8
    assert counts.loc["P2"].tolist() == [3, 2]      # A2 t2, t6, t8 / t4, t6 (t3 is the interviewer's)
    assert counts.loc["P3"].tolist() == [1, 1]


def test_a_codes_as_applied(study_a):
    freq = helpers.code_frequencies(study_a)
    # trust: A1 t2, A1 t10 (entered twice: once), A2 t8, A3 t2
    assert by_code(freq, "applications")["trust"] == 4
    # cost: P1 via turn 4, P3; P2's only cost is on the interviewer's question (A2 t3)
    assert by_code(freq, "participants")["cost"] == 2
    presence = helpers.theme_matrix(study_a, level=None, value="presence")
    assert presence["cost"].to_dict() == {"P1": 1, "P2": 0, "P3": 1}
    # the interviewer-turn codings still count in turn units: cost touches A1 t4, t5, A2 t3, A3 t4
    assert by_code(freq, "segments")["cost"] == 4


def test_a_level_named_code_and_a_misspelt_level(study_a):
    assert sorted(helpers.code_frequencies(study_a, level="code")["code"]) == \
        ["cost", "help", "stigma", "time", "trust"]
    assert list(helpers.theme_matrix(study_a, level="code").columns) == ["help", "trust", "cost", "time", "stigma"]
    for call in (lambda: helpers.code_frequencies(study_a, level="themes"),
                 lambda: helpers.cooccurrence(study_a, level="themes"),
                 lambda: helpers.theme_matrix(study_a, level="themes"),
                 lambda: helpers.agreement(study_a, level="themes"),
                 lambda: helpers.saturation(study_a, level="themes")):
        with pytest.raises(InputError) as caught:
            call()
        line = caught.value.problems[0].line()
        assert "unknown level 'themes'" in line and "code, theme" in line and "\n" not in line


def test_a_words_coded_all_coders(study_a):
    # cost, coder="all": A1 t4 12 + t5 7 (one passage over two turns; the "I:" label between them is
    # not a coded word), A2 t3 5 (AK), A2 t4 9 (RB), A3 t4 8 = 41
    freq = helpers.code_frequencies(study_a, coder="all")
    assert by_code(freq, "words_coded")["cost"] == 41
    assert by_code(freq, "applications")["cost"] == 4
    # RB alone: A2 t4 "No cost, but the waiting time was long, months." = 9
    assert by_code(helpers.code_frequencies(study_a, coder="RB"), "words_coded")["cost"] == 9


def test_a_overlap_conditional_is_a_share(study_a):
    cond = helpers.cooccurrence(study_a, unit="overlap", measure="conditional")
    # trust passages A1 t2, A1 t10, A2 t8, A3 t2: all but A3 t2 overlap a help passage
    assert cond.loc["trust", "help"] == pytest.approx(3 / 4)
    for unit in ["segment", "overlap", "window", "document", "participant"]:
        for coder in (None, "all"):
            values = helpers.cooccurrence(study_a, unit=unit, measure="conditional", coder=coder).to_numpy()
            assert np.nanmax(values) <= 1.0, unit


def test_a_agreement_compares_both_coders(study_a):
    table = helpers.agreement(study_a, unit="segment")
    assert table.attrs["coders"] == ["AK", "RB"] and table.attrs["documents"] == ["A2"]
    # units: A2's participant turns 2, 4, 6, 8, plus turn 3 (AK coded the interviewer's question)
    assert table.attrs["n_units_per_code"] == 5
    cost = table.set_index("code").loc["cost"]
    # AK: t3; RB: t4 -> disagree on 2 of 5 units
    assert cost["n_disagree"] == 2 and cost["percent_agreement"] == pytest.approx(60.0)
    assert set(table.attrs["single_coder_documents"]) == {"A1", "A3"}


# -- study D: rows carrying a code and its theme ------------------------------------------

@pytest.fixture
def study_d(project_home):
    return helpers.load_study(copy_case("study_d", project_home))


def test_d_theme_counts_each_row_once(study_d):
    freq = helpers.code_frequencies(study_d, level="theme")
    assert by_code(freq, "applications") == {"support": 1, "barriers": 2}
    assert helpers.theme_matrix(study_d, level="theme", value="count").loc["A1"].tolist() == [1, 2]


def test_d_no_code_pairs_with_its_own_parent(study_d):
    for unit in ["segment", "overlap", "window", "document", "participant"]:
        matrix = helpers.cooccurrence(study_d, unit=unit)
        assert matrix.loc["help", "support"] == 0 and matrix.loc["cost", "barriers"] == 0, unit
        assert ("help", "support") in matrix.attrs["same_branch"]
        assert "not paired" in matrix.attrs["rule"] and "help–support" in matrix.attrs["rule"]


def test_d_saturation_counts_one_level(study_d):
    result = helpers.saturation(study_d, base_size=1, run_length=1)
    # one document; the most specific level is `code`: help, cost, time (not support, barriers)
    assert result.table["new_codes"].tolist() == [["help", "cost", "time"]]
    assert result.summary["level"] == "code"
    themes_only = helpers.saturation(study_d, level="theme", base_size=1, run_length=1)
    assert themes_only.table["new_codes"].tolist() == [["support", "barriers"]]


# -- coders made explicit ------------------------------------------------------------------

def test_use_agreement_coder_counts_in_agreement_only(project_home):
    yml = ("title: A with RB for reliability\nprimary_coder: AK\ncodings:\n"
           "  - {path: codings/sheet.csv}\n  - {path: codings/rb.csv, use: agreement}\n")
    root = copy_case("study_a", project_home, yml)
    sheet = pd.read_csv(root / "codings" / "sheet.csv")
    sheet[sheet["coder"] == "AK"].to_csv(root / "codings" / "sheet.csv", index=False)
    # RB also codes A3 (which AK coded too) and A1 t6 only: still never counted by analyses
    rb = pd.concat([sheet[sheet["coder"] == "RB"],
                    pd.DataFrame({"document": ["A3"], "turn": ["6"], "code": ["time"], "coder": ["RB"]})])
    rb.to_csv(root / "codings" / "rb.csv", index=False)
    study = helpers.load_study(root)
    assert counting.agreement_only_coders(study) == ["RB"]
    freq = helpers.code_frequencies(study)
    assert by_code(freq, "applications")["time"] == 2          # AK: A1 t6, A2 t4; not RB's A3 t6
    assert "RB coded for agreement only" in freq.attrs["rule"]
    assert by_code(helpers.code_frequencies(study, coder="RB"), "applications")["time"] == 2  # asked for
    assert helpers.agreement(study).attrs["coders"] == ["AK", "RB"]


def test_check_lists_coders_and_documents(project_home):
    root = copy_case("study_a", project_home)
    done = run_cli("check", str(root), home=project_home)
    assert done.returncode == 0, done.stderr
    assert "coder AK (primary): A1, A2, A3" in done.stdout
    assert "coder RB: A2" in done.stdout


def test_unknown_coder_is_one_line_error(study_a):
    with pytest.raises(InputError, match=r"coder ZZ has no codings .*AK, RB"):
        helpers.code_frequencies(study_a, coder="ZZ")


# -- the passage rule on small in-memory studies -----------------------------------------

def two_turn_study(codings: list[tuple]) -> Study:
    """d1: t1 I "Tell me more." t2 P "alpha beta gamma delta"; t3 P "epsilon zeta"."""
    segments = pd.DataFrame({"doc_id": "d1", "seg_no": [1, 2, 3], "participant_id": "P1",
                             "speaker_role": ["interviewer", "participant", "participant"],
                             "text": ["Tell me more.", "alpha beta gamma delta", "epsilon zeta"]})
    frame = pd.DataFrame(codings, columns=["code", "start", "end", "seg_first", "seg_last", "coder"])
    return Study.from_tables(segments=segments, codings=frame.assign(doc_id="d1", participant_id="P1"))


def test_overlapping_codings_of_one_code_merge_touching_ones_do_not():
    # turn 2 spans [14, 36): "alpha beta" [14, 24) and "beta gamma" [20, 30) share "beta": one passage;
    # "delta" [31, 36) starts after "gamma" ends: a second passage
    study = two_turn_study([("x", 14, 24, 2, 2, "A"), ("x", 20, 30, 2, 2, "A"), ("x", 31, 36, 2, 2, "A")])
    found = counting.passages(study)
    assert found[["start", "end", "n_codings"]].values.tolist() == [[14, 30, 2], [31, 36, 1]]
    freq = helpers.code_frequencies(study)
    assert freq.loc[0, "applications"] == 2 and freq.loc[0, "words_coded"] == 4


def test_passage_on_two_speakers_counts_for_both():
    segments = pd.DataFrame({"doc_id": "fg", "seg_no": [1, 2, 3], "participant_id": [None, "P1", "P2"],
                             "speaker_role": ["interviewer", "participant", "participant"],
                             "text": ["What helped?", "The group.", "Yes, the group."]})
    codings = pd.DataFrame({"doc_id": "fg", "participant_id": "P1", "code": ["peer", "ask"],
                            "seg_first": [2, 1], "seg_last": [3, 1]})
    participants = pd.DataFrame({"participant_id": ["P1", "P2"]})
    study = Study.from_tables(segments=segments, codings=codings, participants=participants)
    presence = helpers.theme_matrix(study, level=None)
    # peer spans P1's and P2's turns: both have it (NVivo's case coding); ask is on the facilitator's turn
    assert presence["peer"].to_dict() == {"P1": 1, "P2": 1}
    assert presence["ask"].to_dict() == {"P1": 0, "P2": 0}
    freq = helpers.code_frequencies(study).set_index("code")
    assert freq.loc["peer", "participants"] == 2 and freq.loc["ask", "participants"] == 0
    assert freq.loc["ask", "applications"] == 1 and freq.loc["ask", "segments"] == 1


def test_primary_coder_per_document_ties_by_name():
    segments = pd.DataFrame({"doc_id": ["d1", "d2"], "seg_no": 1, "participant_id": ["P1", "P2"],
                             "text": ["one two", "three four"]})
    codings = pd.DataFrame({"doc_id": ["d1", "d1", "d2"], "participant_id": ["P1", "P1", "P2"],
                            "code": ["x", "y", "x"], "seg_first": 1, "coder": ["B", "A", "B"]})
    study = Study.from_tables(segments=segments, codings=codings)
    # B coded 2 documents, A 1: B is primary; d1 counts B's x only, d2 B's x
    assert counting.primary_coder(study) == "B"
    assert helpers.code_frequencies(study).set_index("code")["applications"].to_dict() == {"x": 2}
    # "all" merges: y appears
    assert helpers.code_frequencies(study, coder="all").set_index("code")["applications"].to_dict() == {"x": 2, "y": 1}
    # equal numbers of documents: the name decides (A before B)
    tied = Study.from_tables(segments=segments, codings=codings.assign(coder=["B", "A", "A"]).iloc[[0, 2]])
    assert counting.coder_ranking(tied) == ["A", "B"]


def test_level_parameter_none_string_means_none(study_a):
    assert counting.check_level(study_a, "None") is None
    assert counting.check_level(study_a, "Theme") == "theme"
    assert counting.check_level(study_a, "code") == ""
    assert counting.resolve_level(study_a, None, "top") == "theme"
    assert counting.resolve_level(study_a, None, "specific") == ""


# -- parameters from the command line ---------------------------------------------------------

def test_report_refuses_a_misspelt_level_before_running(project_home):
    copy_case("study_a", project_home)
    done = run_cli("report", "study_a", "-p", "level=themes", "--only", "03", home=project_home)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == ["error: parameter level: unknown level 'themes' — use None (codes as applied) or one of "
                     "the study's levels: code, theme"]
    assert not (project_home / "reports" / "study_a" / "executed").exists()


def test_command_line_none_means_none():
    from helpers.report.reports import parse_params
    assert parse_params(["level=None", "coder=null", "unit=segment", "window=2"]) == \
        {"level": None, "coder": None, "unit": "segment", "window": 2}


def test_study_yml_level_must_be_a_study_level(project_home):
    yml = "title: A\ncodings:\n  - {path: codings/sheet.csv, level: themes}\n"
    root = copy_case("study_a", project_home, yml)
    done = run_cli("check", str(root), home=project_home)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {root / 'study.yml'}: codings entry 1: unknown level 'themes' — use one of the study's "
        "levels: code, initial, focused, subtheme, category, theme (or add it to 'levels:')"]


def test_use_must_be_analysis_or_agreement(project_home):
    yml = "title: A\ncodings:\n  - {path: codings/sheet.csv, use: reliability}\n"
    root = copy_case("study_a", project_home, yml)
    done = run_cli("check", str(root), home=project_home)
    assert done.returncode == 2
    assert "codings entry 1: 'use' should be analysis or agreement, not 'reliability'" in done.stderr


def test_primary_coder_from_study_yml(project_home):
    yml = "title: A\nprimary_coder: RB\ncodings:\n  - {path: codings/sheet.csv}\n"
    study = helpers.load_study(copy_case("study_a", project_home, yml))
    assert counting.primary_coder(study) == "RB"
    freq = helpers.code_frequencies(study)
    # A2 now counts RB's codings: time t4, cost t4 (one turn, two codes), help t2, t8 ...; RB put no
    # cost on the interviewer's t3, so P2 has cost now: cost held by P1, P2, P3
    assert by_code(freq, "participants")["cost"] == 3
    assert "primary coder RB (named primary_coder in study.yml)" in freq.attrs["rule"]


# -- theme level default and parent codes (leftover faults, issue 12) ---------------------------

def maxqda_tree_study() -> Study:
    """A MAXQDA-style code tree at one unnamed level: Feelings > Fear, Feelings > Hope.

    d1 (P1): t1 "I was scared and sad" [0, 20): Feelings [0, 20) and its child Fear [6, 12) on it.
    d2 (P2): t1 "hope kept me going" [0, 18): only Hope (the child).
    d3 (P3): t1 "it was a lot" [0, 12): only Feelings (the parent).
    """
    segments = pd.DataFrame({"doc_id": ["d1", "d2", "d3"], "seg_no": 1, "participant_id": ["P1", "P2", "P3"],
                             "text": ["I was scared and sad", "hope kept me going", "it was a lot"]})
    codings = pd.DataFrame({"doc_id": ["d1", "d1", "d2", "d3"], "participant_id": ["P1", "P1", "P2", "P3"],
                            "code": ["Feelings", "Fear", "Hope", "Feelings"],
                            "start": [0, 6, 0, 0], "end": [20, 12, 18, 12], "seg_first": 1})
    codebook = pd.DataFrame({"code": ["Feelings", "Fear", "Hope"], "level": "",
                             "parent": ["", "Feelings", "Feelings"]})
    participants = pd.DataFrame({"participant_id": ["P1", "P2", "P3"]})
    return Study.from_tables(segments=segments, codings=codings, codebook=codebook, participants=participants)


def test_parent_code_is_present_where_only_its_child_was_applied():
    study = maxqda_tree_study()
    # DESIGN §4: a participant has a code when any passage at or below it is theirs.
    # P2 has only Hope, a child of Feelings: P2 has Feelings. P1's Feelings and Fear overlap: one passage.
    for level in (None, "code"):
        presence = helpers.theme_matrix(study, level=level)
        assert presence["Feelings"].to_dict() == {"P1": 1, "P2": 1, "P3": 1}, level
        assert presence["Fear"].to_dict() == {"P1": 1, "P2": 0, "P3": 0}
        assert presence["Hope"].to_dict() == {"P1": 0, "P2": 1, "P3": 0}
        counts = helpers.theme_matrix(study, level=level, value="count")
        assert counts["Feelings"].to_dict() == {"P1": 1, "P2": 1, "P3": 1}
    assert "below it" in helpers.theme_matrix(study, level=None).attrs["rule"]
    recurrence = themes.recurrence(study, level=None).set_index("code")
    assert recurrence.loc["Feelings", "n"] == 3 and recurrence.loc["Hope", "n"] == 1
    # frequencies count codes as applied: Feelings was applied twice (d1, d3)
    assert helpers.code_frequencies(study).set_index("code").loc["Feelings", "applications"] == 2


def study_without_theme_level() -> Study:
    """Levels initial < focused (no level called "theme"): i1, i2 under f1; i3 under f2."""
    segments = pd.DataFrame({"doc_id": ["d1", "d2"], "seg_no": 1, "participant_id": ["P1", "P2"],
                             "text": ["one two three", "four five six"]})
    codings = pd.DataFrame({"doc_id": ["d1", "d1", "d2"], "participant_id": ["P1", "P1", "P2"],
                            "code": ["i1", "i3", "i2"], "level": "initial", "seg_first": 1})
    codebook = pd.DataFrame({"code": ["i1", "i2", "i3", "f1", "f2"],
                             "level": ["initial"] * 3 + ["focused"] * 2,
                             "parent": ["f1", "f1", "f2", "", ""]})
    return Study.from_tables(segments=segments, codings=codings, codebook=codebook,
                             participants=pd.DataFrame({"participant_id": ["P1", "P2"]}))


def test_theme_matrix_default_level_is_the_studys_top_level():
    study = study_without_theme_level()
    # the study's top level is "focused"; notebooks 04/05 resolve level=None to it
    assert counting.resolve_level(study, None, "top") == "focused"
    matrix = helpers.theme_matrix(study)
    assert matrix.attrs["level"] == "focused"
    # P1: i1 (f1) and i3 (f2); P2: i2 (f1)
    assert matrix.to_dict("index") == {"P1": {"f1": 1, "f2": 1}, "P2": {"f1": 1, "f2": 0}}
    assert matrix.equals(helpers.theme_matrix(study, level=counting.resolve_level(study, None, "top")))
    assert themes.negative_cases(study).set_index("code").loc["f2", "n_without"] == 1


def test_index_counts_passages_and_labels_coding_rows(project_home):
    # A1: t2 support coded twice by AK (an exact duplicate), t4 cost by AK; RB's t2 support is
    # agreement only. Rows imported 4 = 1 agreement + 1 merged (the duplicate) + 2 passages counted.
    from support import make_study

    from helpers.report import index_page

    root = make_study(project_home / "data" / "raw", {
        "study.yml": "title: Index\ncodings:\n  - {path: codings/main.csv}\n"
                     "  - {path: codings/rel.csv, use: agreement}\n",
        "transcripts/A1.txt": "I: How was it?\nP: It was hard but my sister helped.\nI: Anything else?\n"
                              "P: Money was tight.\n",
        "codings/main.csv": "document,turn,code,coder\nA1,2,support,AK\nA1,2,support,AK\nA1,4,cost,AK\n",
        "codings/rel.csv": "document,turn,code,coder\nA1,2,support,RB\n",
    }, name="index")
    study = helpers.load_study(root)
    assert counting.coding_counts(study) == {"rows": 4, "agreement": 1, "other_coder": 0, "merged": 1,
                                             "passages": 2}
    study.paths.reports.mkdir(parents=True, exist_ok=True)
    text = index_page.write_index(study, [], study.paths).read_text(encoding="utf-8")
    assert "<th>Coding rows imported</th><td class=\"num\">4</td>" in text
    assert "<th>Passages counted</th><td class=\"num\">2</td>" in text
    assert "<th>Codings</th>" not in text
    assert ("1 for agreement only (use: agreement); 1 merged with another coding of the same code on "
            "overlapping text (exact duplicates included)") in text
