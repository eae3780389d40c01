"""One definition per rule (issue 15, item 3): the turns a coding touches, a coding's span, code
order, participant labels, the missing-group label, the c-coefficient, KWIC, parameter checks and
the counting-rule text each live in one place, and every analysis uses it.

The source tests read src/helpers as text (AST), so that a second copy of a rule fails here; the
behaviour tests check, with values worked out by hand, what the one definition does for callers
that used to have their own copy.
"""
from __future__ import annotations

import ast
import re
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
from support import MINI

import helpers
from helpers.study import Study, labels_of, load_study, participant_labels

SRC = Path(helpers.__file__).resolve().parent


def _sources() -> dict[str, str]:
    return {str(p.relative_to(SRC)): p.read_text(encoding="utf-8") for p in sorted(SRC.rglob("*.py"))}


def _string_constants(text: str) -> list[str]:
    """String literals of a module that are not docstrings."""
    tree = ast.parse(text)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


# -- one place each (source) ---------------------------------------------------------

def test_the_missing_group_label_is_written_once():
    found = sorted(name for name, text in _sources().items()
                   if any(s in ("(not given)", "(missing)") for s in _string_constants(text)))
    assert found == ["counting.py"]
    from helpers.counting import MISSING_GROUP
    assert MISSING_GROUP == "(not given)"


def test_no_module_expands_turn_ranges_of_its_own():
    """A missing ``seg_last`` falling back to ``seg_first`` is the rule of ``counting_turns``; any
    other module reading ``seg_last`` with such a fallback has its own copy of the rule."""
    fallback = re.compile(r"seg_last[^\n]*fillna\((?!-1\))|isnan\(last\)|range\(int\(lo\)")
    found = sorted(name for name, text in _sources().items()
                   if name != "counting_turns.py" and fallback.search(text))
    assert found == []
    # and the expansion of turn ranges (each range's length repeated) is defined only there
    expansion = re.compile(r"np\.cumsum\(lengths\) - lengths|def _?(expand_turns|turns_touched|coding_turns|"
                           r"turn_range|_turn_numbers|coding_spans|_fill_spans_from_turns)\(")
    assert sorted(n for n, t in _sources().items() if expansion.search(t)) == ["counting_turns.py"]


def test_one_kwic_matcher():
    """No module compiles a KWIC pattern of its own: the hits are ``matching.term_pattern``'s."""
    own = re.compile(r"def (term_pattern|_phrase_pattern)\(|\\\\\*\"?, r?\"\\\\w\*")
    assert sorted(n for n, t in _sources().items() if own.search(t)) == ["matching.py"]
    from helpers.analysis import explore
    assert not hasattr(explore, "term_pattern")


def _code_only(text: str) -> str:
    """``text`` without its string literals and comments (what runs)."""
    text = re.sub(r'""".*?"""|\'\'\'.*?\'\'\'', "", text, flags=re.S)
    return re.sub(r'"[^"\n]*"|\'[^\'\n]*\'|#[^\n]*', "", text)


def test_the_c_coefficient_is_computed_once():
    """n12 / (n1 + n2 − n12): only ``cooccurrence_measures.c_coefficient`` computes it."""
    formula = re.compile(r"-\s*n12\b|def c_coefficient\(")
    assert sorted(n for n, t in _sources().items() if formula.search(_code_only(t))) == [
        "analysis/cooccurrence_measures.py"]


def test_participant_labels_are_built_in_one_place():
    """``pseudonym`` falling back to the id: only ``study.participant_labels`` does it."""
    fallback = re.compile(r"\[\"pseudonym\"\]\.fillna|labels\.get\(str\(p\), str\(p\)\)|(?<!\w)_labels\(study|"
                          r"def participant_labels\(")
    assert sorted(n for n, t in _sources().items() if fallback.search(t)) == ["study.py"]


def test_attribute_parameters_share_one_message():
    own = re.compile(r"no participant attribute|participants have no attribute")
    assert sorted(n for n, t in _sources().items() if own.search(t)) == ["counting_checks.py"]


# -- behaviour --------------------------------------------------------------------------

def _turns(texts, roles=None, pids=None):
    starts, pos = [], 0
    for t in texts:
        starts.append(pos)
        pos += len(t) + 1
    n = len(texts)
    return pd.DataFrame({"doc_id": "D", "seg_no": list(range(1, n + 1)),
                         "participant_id": pids or ["A"] * n,
                         "speaker_role": roles or ["participant"] * n, "start": starts,
                         "end": [s + len(t) for s, t in zip(starts, texts)], "text": texts})


def test_turn_range_and_expansion_by_hand():
    from helpers.counting import coding_turns, expand_turns, turn_range, turns_touched

    codings = pd.DataFrame({"doc_id": ["D", "D", "E", "F"], "code": ["a", "b", "c", "d"],
                            "seg_first": [2, 5, None, 7], "seg_last": [4, None, None, 6]})
    first, last, usable = turn_range(codings)
    # 2..4; 5 alone (no seg_last); no turns; 7 alone (a last turn before the first)
    assert first.tolist() == [2, 5, 0, 7] and last.tolist() == [4, 5, 0, 7]
    assert usable.tolist() == [True, True, False, True]
    rows, turns = expand_turns(first[usable], last[usable])
    assert rows.tolist() == [0, 0, 0, 1, 2] and turns.tolist() == [2, 3, 4, 5, 7]
    touched = turns_touched(codings)
    assert touched.to_dict("list") == {"row": [0, 0, 0, 1, 3], "doc_id": ["D", "D", "D", "D", "F"],
                                       "seg_no": [2, 3, 4, 5, 7]}
    expanded = coding_turns(codings)
    assert expanded["code"].tolist() == ["a", "a", "a", "b", "d"]
    assert expanded["seg_no"].tolist() == [2, 3, 4, 5, 7]


def test_agreement_reads_the_turns_a_coding_touches_from_counting():
    """A coding with no ``seg_last`` touches its first turn only, in agreement as everywhere."""
    from helpers.analysis.agreement_units import _participant_or_coded

    segments = _turns(["Q?", "a", "Q2?", "b"], roles=["interviewer", "participant", "interviewer", "participant"])
    codings = pd.DataFrame({"doc_id": ["D"], "seg_first": [1], "seg_last": [None]})
    # turn 1 (interviewer, coded) and the participant turns 2, 4 are units; turn 3 is not
    assert _participant_or_coded(segments, codings).tolist() == [True, True, False, True]


def test_kwic_matches_accent_apostrophe_and_dash_variants():
    from helpers.matching import find_term

    text = "Zoë said don’t — ZOE and Zoe's care, self–care, ‘care’ and CAREFUL carers"
    assert [text[a:b] for a, b in find_term(text, "zoe")] == ["Zoë", "ZOE"]       # not Zoe's
    assert [text[a:b] for a, b in find_term(text, "don't")] == ["don’t"]
    assert [text[a:b] for a, b in find_term(text, "care")] == ["care", "care"]     # not self–care
    assert [text[a:b] for a, b in find_term(text, "care*")] == ["care", "care", "CAREFUL", "carers"]
    with pytest.raises(ValueError, match="word or phrase"):
        find_term(text, " * ")


def test_every_kwic_finds_the_same_hits():
    """frequency.kwic, Explorer.kwic and kwic_in_segments: one matcher, the same rows."""
    from helpers.analysis.explore import Explorer, kwic_in_segments
    from helpers.analysis.frequency import kwic

    segments = _turns(["Zoë’s café was a café.", "The CAFE closed [cafe]", "cafés and Café-owners"])
    study = Study.from_tables(segments=segments, codings=pd.DataFrame(
        {"doc_id": ["D"], "participant_id": ["A"], "code": ["x"], "seg_first": [1]}))
    expected = [(1, "café"), (1, "café"), (2, "CAFE")]     # not [cafe], cafés, Café-owners
    for found in (kwic(study, "cafe"), Explorer(study).kwic("CAFÉ"), kwic_in_segments(study, "cafe")):
        assert list(zip(found["seg_no"], found["match"])) == expected
    assert list(zip(kwic(study, "caf*")["seg_no"], kwic(study, "caf*")["match"])) == expected + [(3, "cafés")]


def test_participant_labels_fall_back_to_the_id():
    participants = pd.DataFrame({"participant_id": ["P1", "P2"], "pseudonym": ["Robin", None]})
    study = Study.from_tables(segments=_turns(["x"]), codings=pd.DataFrame(
        {"doc_id": ["D"], "participant_id": ["P1"], "code": ["x"], "seg_first": [1]}), participants=participants)
    assert participant_labels(study).to_dict() == {"P1": "Robin", "P2": "P2"}
    assert participant_labels(study, ["P2", "P9"]).tolist() == ["P2", "P9"]
    assert labels_of(study, ["P1", None, pd.NA, "P9"]) == ["Robin", "", "", "P9"]
    assert study.participant_label().to_dict() == {"P1": "Robin", "P2": "P2"}


def test_ordered_codes_codebook_order_then_the_rest_by_name():
    from helpers.counting import ordered_codes

    book = pd.DataFrame({"code": ["b", "a", "T"], "level": ["", "", "theme"], "parent": ["T", "T", ""]})
    assert ordered_codes(book, "", ["z", "a", "y"]) == ["b", "a", "y", "z"]
    assert ordered_codes(book, "", ["z", "a"], keep_unapplied=False) == ["a", "z"]
    assert ordered_codes(book, None, []) == ["b", "a", "T"]


def test_parameter_checks_share_one_message_style():
    from helpers.analysis.frequency import code_frequencies
    from helpers.counting import check_attribute, check_choice

    study = Study.from_tables(segments=_turns(["x"]), codings=pd.DataFrame(
        {"doc_id": ["D"], "participant_id": ["A"], "code": ["x"], "seg_first": [1]}),
        participants=pd.DataFrame({"participant_id": ["A"], "gender": ["f"]}))
    with pytest.raises(ValueError, match=r"^by: participants have no attribute 'age'; they have: gender$"):
        code_frequencies(study, by="age")
    with pytest.raises(ValueError, match=r"^where: participants have no attribute 'age'"):
        helpers.cooccurrence(study, where={"age": "30"})
    assert check_attribute(study, "gender") == "gender"
    with pytest.raises(ValueError, match=r"^value must be one of presence, count, segments, share; got 'x'$"):
        helpers.theme_matrix(study, value="x")
    with pytest.raises(ValueError, match=r"^method must be one of mds; got 'tsne'$"):
        helpers.participant_map(study, method="tsne")
    with pytest.raises(ValueError, match=r"^unit must be one of"):
        check_choice("x", ("segment",), "unit")


def test_the_missing_group_is_one_label_in_every_table():
    """Frequencies said "(missing)" where themes said "(not given)", so a group's size (and the
    small-group rule) did not find the frequency group: one label now."""
    from helpers.analysis.frequency import code_frequencies
    from helpers.report.present import group_sizes

    segments = _turns(["a", "b", "c"], pids=["A", "B", "C"])
    codings = pd.DataFrame({"doc_id": "D", "participant_id": ["A", "B", "C"], "code": "x", "seg_first": [1, 2, 3]})
    participants = pd.DataFrame({"participant_id": ["A", "B", "C"], "gender": ["f", None, None]})
    study = Study.from_tables(segments=segments, codings=codings, participants=participants)
    freq = code_frequencies(study, by="gender")
    assert sorted(freq["gender"]) == ["(not given)", "f"]
    assert int(freq.loc[freq["gender"] == "(not given)", "participants"].iloc[0]) == 2
    assert group_sizes(study, "gender") == {"(not given)": 2, "f": 1}
    recurrence = helpers.recurrence(study, level=None, by="gender")
    assert sorted(set(recurrence["gender"])) == ["(not given)", "f"]


# -- the counting rule on every table an entry point returns ---------------------------

@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    root = tmp_path_factory.mktemp("one") / "mini"
    shutil.copytree(MINI, root)
    return load_study(root)


CALLS = {"kwic": ("the",), "codeline": None, "topics": {"n_topics": 2}}


def _entry_tables(mini):
    out = {}
    for name in helpers.__all__:
        function = getattr(helpers, name)
        if not callable(function) or isinstance(function, type) or name in ("load_study", "export_qdpx",
                                                                             "audit_draft"):
            continue
        args = CALLS.get(name, ())
        if name == "codeline":
            args = (str(mini.documents["doc_id"].iloc[0]),)
        kwargs = args if isinstance(args, dict) else {}
        args = () if isinstance(args, dict) else args
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = function(mini, *args, **kwargs)
        if isinstance(result, pd.DataFrame):
            out[name] = result
        else:
            for field, value in vars(result).items():
                if isinstance(value, pd.DataFrame):
                    out[f"{name}.{field}"] = value
    return out


def test_every_entry_point_table_states_its_rule(mini):
    tables = _entry_tables(mini)
    assert {"code_frequencies", "framework_matrix", "negative_cases", "missing_themes", "saturation.table",
            "codeline", "topics.summary", "code_suggestions.scores", "participant_map.coords"} <= set(tables)
    missing = sorted(n for n, t in tables.items() if not str(t.attrs.get("rule") or "").strip())
    assert not missing, "tables without attrs['rule']: " + ", ".join(missing)


def test_the_appendix_states_the_rules_the_tables_carry(mini):
    """The counting-rules appendix of every page and index.html was its own wording, and
    contradicted the passage rule ("a code applied to two turns is two applications"):
    each entry is now a rule an analysis attaches to a table it returns (issue 15 item 3)."""
    from helpers.report.pages import COUNTING_RULES

    rules = [str(t.attrs.get("rule", "")) for t in _entry_tables(mini).values()]
    for unit in ("segment", "overlap", "window", "document", "participant"):
        rules.append(helpers.cooccurrence(mini, unit=unit, measure="c").attrs["rule"])
    rules.append(helpers.recurrence(mini, level=None).attrs["rule"])
    carried = " ".join(rules)
    said = dict(COUNTING_RULES)
    not_carried = sorted(name for name, text in said.items() if name != "Small groups" and text not in carried)
    assert not_carried == []
    assert "two applications" not in " ".join(said.values())
    # the page's own sources hold no rule wording: pages.py and index_page.py only render
    for module in ("pages.py", "index_page.py"):
        text = (Path(helpers.__file__).parent / "report" / module).read_text(encoding="utf-8")
        assert "n12 / (n1 + n2" not in text and "codings of one document" not in text
