"""The end-of-run terminal summary (issue 16 point 8): the warnings that matter,
one line per kind, with where to read them all; plurals in words."""
from __future__ import annotations

from pathlib import Path

from helpers.report import batch


def _coders(doc: str) -> str:
    return f"{doc} is coded by AK, RB: analyses count only the primary coder AK there; codes not counted there: " \
           f"a rather long code name — give their codings entries one 'coder:' in study.yml"


def _label(doc: str, label: str = "Client") -> str:
    return (f"transcripts/{doc}.txt: '{label}:' starts 3 lines but is not a speaker label, so those lines were "
            f"joined to the turn before — if it is a speaker, add it in study.yml: speakers: {{participant: [{label}]}}")


def _header(doc: str) -> str:
    return (f"transcripts/{doc}.txt: lines 1–2 before the first speaker label kept out of the turns as a header "
            f"(a title or transcriber's note); turn 1 is line 3")


def test_warnings_are_one_line_per_kind_most_consequential_first():
    """Eight header notes hid ten unknown speaker labels (the summary showed the first
    8 warnings whole): now a heading counts them by kind and each kind has one line."""
    warnings = ([_header(f"P{i:02d}") for i in range(1, 9)] + [_label(f"P{i:02d}") for i in range(1, 11)]
                + [_coders("P01"), _coders("P02")])
    lines = batch.warning_lines(warnings)
    assert lines == [
        "ingest: 20 warnings — 10 unknown speaker labels, 2 documents coded by more than one coder, "
        "8 headers kept out of the turns; all in 01-clean-transcripts.html ('Cleaning and import') and manifest.json",
        "  - 10 unknown speaker labels (transcripts/P01.txt, transcripts/P02.txt, transcripts/P03.txt, "
        "transcripts/P04.txt and 6 more): their lines were joined to the turn before; add each real speaker "
        "to study.yml speakers:",
        "  - 2 documents coded by more than one coder (P01, P02): only the primary coder is counted there; "
        "one researcher's files take one 'coder:' in study.yml",
        "  - 8 headers kept out of the turns (transcripts/P01.txt, transcripts/P02.txt, transcripts/P03.txt, "
        "transcripts/P04.txt and 4 more): a title or transcriber's note, not a turn",
    ]


def test_one_warning_of_a_kind_reads_in_the_singular():
    lines = batch.warning_lines([_label("P07", "Mum")])
    assert lines[0].startswith("ingest: 1 warning — 1 unknown speaker label; all in 01-clean-transcripts.html")
    assert lines[1].startswith("  - 1 unknown speaker label (transcripts/P07.txt): ")
    assert not any("(s)" in line for line in lines)


def test_a_warning_of_no_known_kind_is_shown_whole_with_its_fix():
    odd = "x.txt: something new the summary has no name for — do the new thing"
    lines = batch.warning_lines([odd, odd.replace("x.txt", "y.txt"), "z.txt: no fix given"])
    assert lines[0] == ("ingest: 3 warnings — 3 other warnings; all in 01-clean-transcripts.html "
                        "('Cleaning and import') and manifest.json")
    assert lines[1:] == ["  - x.txt: something new the summary has no name for (and 1 more like it) — do the new thing",
                         "  - z.txt: no fix given"]
    assert batch.warning_lines([]) == []


def test_summary_lines_carry_the_grouped_warnings():
    summary = batch.Summary("demo", Path("reports/demo/index.html"), executed=["a"], removed=["05-x-P04"],
                            notes=batch.warning_lines([_coders("P01")]) + ["coders: AK, RB"])
    lines = summary.lines()
    # "(s)" was printed for every count ("removed 1 page(s)"): plurals are words now
    assert lines[0] == "report demo: 1 page (1 run, 0 unchanged) in 0 s"
    assert lines[1] == "  removed 1 page no longer in the study: 05-x-P04"
    assert "    - 1 document coded by more than one coder (P01): only the primary coder is counted there; " \
           "one researcher's files take one 'coder:' in study.yml" in lines
    assert lines[-1] == "  open: reports/demo/index.html"     # the index last
    assert not any("(s)" in line for line in lines)
    two = batch.Summary("demo", Path("i.html"), executed=["a"], unchanged=["b"], outdated=["c", "d"]).lines()
    assert two[0].startswith("report demo: 2 pages (1 run, 1 unchanged)")
    assert two[1].startswith("  removed 2 pages built from an earlier version of the study: c, d;")


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
    assert "— gender: man, non-binary;" in line and "P4" not in line
    # man + non-binary (2 people) are the total minus woman: woman is left out too, and said
    assert line.endswith("(complementary suppression) — gender: woman")
    assert batch.suppressed_groups(Study.from_tables(segments=segments, codings=study.codings,
                                                     participants=participants.assign(gender="woman"))) == ""


def _docstrings(tree) -> set[int]:
    """The ids of the docstring constants of a parsed module (module, class and function docstrings)."""
    import ast

    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def _says_s_in_brackets(path: Path) -> list[int]:
    """Line numbers of the strings of a Python file that say "(s)", docstrings excepted; for a
    notebook (jupytext percent format) also its markdown cells' lines."""
    import ast

    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    docs = _docstrings(tree)
    lines = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and "(s)" in node.value and id(node) not in docs]
    markdown = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("# %%"):
            markdown = "[markdown]" in line
        elif markdown and "(s)" in line:
            lines.append(number)
    return sorted(set(lines))


def test_no_terminal_or_warning_text_says_s_in_brackets():
    """Warnings and errors read "1 coding(s) repeat …", "1 term(s) were found": counts
    are in words (textutil.plural) in the command line, ingest and the batch — and in every
    other string a person reads: every module of src/helpers (analysis, plots, interop and
    report pages included: evidence pages read "2 passage(s) in 1 document(s)") and every
    notebook; docstrings excepted."""
    src = Path(batch.__file__).parents[1]
    notebooks = src.parents[1] / "notebooks"
    files = sorted(src.rglob("*.py")) + sorted(notebooks.glob("*.py"))
    assert len(files) > 100 and any(p.parent == notebooks for p in files)
    found = [f"{path}:{line}" for path in files for line in _says_s_in_brackets(path)]
    assert found == []


def test_the_s_in_brackets_check_finds_strings_and_markdown_but_not_docstrings(tmp_path):
    """The check above cannot pass for want of looking: it finds an f-string piece and a
    notebook's markdown line, and passes over a docstring."""
    path = tmp_path / "nb.py"
    path.write_text('"""Docstring: code(s)."""\n\n\ndef f(n):\n    """Count(s)."""\n    return f"{n} code(s)"\n\n'
                    '# %% [markdown]\n# Three turn(s).\n\n# %%\n# a comment(s) in code\nx = 1\n', encoding="utf-8")
    assert _says_s_in_brackets(path) == [6, 9]
