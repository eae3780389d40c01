"""Unusual input without drama (issue 19 item 8).

Each case of ../shared/cases/robustness/ runs through the command line users call
(``python -m helpers check|ingest|report``) and gives the result its expected.md asks
for; the other tests here try other inputs of the same kind (fix the kind, not the example).
Cases are skipped, with the reason, when the shared folder is absent.
"""
from __future__ import annotations

import re
import shutil
import time
import unicodedata

import pandas as pd
import pytest
from support import REPO, make_study, run_cli

from helpers.errors import InputError
from helpers.hierarchy import Hierarchy, rollup
from helpers.ingest.codebook import depth_warnings, find_cycles
from helpers.ingest.config import MAX_YML_BYTES, load_config

CASES = REPO.parent / "shared" / "cases" / "robustness"


def case(name: str):
    path = CASES / name
    if not (path / "expected.md").is_file():
        pytest.skip(f"robustness case {name} not present: expected at {path}")
    return path


def copy_case(name: str, home) -> str:
    """The case copied under the throw-away project home (cases are read-only)."""
    shutil.copytree(case(name), home / "data" / "raw" / name)
    return name


def errors_of(root) -> list[str]:
    with pytest.raises(InputError) as info:
        load_config(root)
    return [p.line() for p in info.value.problems]


# -- study.yml: aliases, duplicate keys, item types, size ------------------------------

def test_case_yaml_alias_bomb_is_refused_at_once():
    root = case("yaml_alias_bomb_stopwords")
    started = time.monotonic()
    result = run_cli("check", str(root))
    assert time.monotonic() - started < 60
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("error: ") and "study.yml:3: " in lines[0]
    assert "anchors and aliases" in lines[0] and " — " in lines[0]


@pytest.mark.parametrize("yml, line", [
    ("title: T\nfillers: &f [um]\nstopwords: *f\n", 2),          # an anchor on a list
    ("title: &t T\ndescription: *t\n", 1),                        # an anchor on a scalar
    ("title: T\nspeakers:\n  interviewer: &i [I]\n  other: *i\n", 3),
    ("base: &b {title: T}\n<<: *b\n", 1),                         # the merge key uses an alias too
])
def test_yaml_anchors_and_aliases_are_refused(tmp_path, yml, line):
    root = make_study(tmp_path, {"study.yml": yml})
    lines = errors_of(root)
    assert lines == [(f"error: {root / 'study.yml'}:{line}: YAML anchors and aliases (& and *) are not allowed in "
                     "study.yml — write each list out in full")]


def test_duplicate_key_in_study_yml_is_an_error(tmp_path):
    root = make_study(tmp_path, {"study.yml": "title: A\nstopwords: [x]\nstopwords: [y]\n"})
    lines = errors_of(root)
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {root / 'study.yml'}:3: key 'stopwords' is given twice")


def test_duplicate_key_inside_a_mapping_is_an_error(tmp_path):
    root = make_study(tmp_path, {"study.yml": "title: A\nspeakers:\n  interviewer: [I]\n  interviewer: [Q]\n"})
    assert "key 'interviewer' is given twice" in errors_of(root)[0]


@pytest.mark.parametrize("key", ["stopwords", "fillers", "levels"])
def test_word_list_items_are_checked_before_str(tmp_path, key):
    root = make_study(tmp_path, {"study.yml": f"title: T\n{key}: [ok, [a, b], {{x: 1}}, no]\n"})
    yml = root / "study.yml"
    assert errors_of(root) == [
        f"error: {yml}: '{key}' item 2 is a list, not a word — write the list as [word, word]",
        f"error: {yml}: '{key}' item 3 is a mapping, not a word — write the list as [word, word]",
        f"error: {yml}: '{key}' item 4 is read as false (YAML reads yes/no/on/off so) — put the word in quotes, e.g. 'no'",
    ]


def test_speaker_labels_are_checked_before_str(tmp_path):
    root = make_study(tmp_path, {"study.yml": "title: T\nspeakers:\n  interviewer: [I, [Q, R]]\n"})
    assert errors_of(root) == [(f"error: {root / 'study.yml'}: speakers: 'interviewer' item 2 is a list, not a word "
                               "— write the list as [word, word]")]


def test_numbers_and_quoted_words_stay_words(tmp_path):
    root = make_study(tmp_path, {"study.yml": "title: T\nstopwords: [2020, 'no', Peer]\n"})
    assert load_config(root).stopwords == ["2020", "no", "peer"]


def test_oversized_study_yml_is_refused_before_parsing(tmp_path):
    root = make_study(tmp_path, {"study.yml": "title: T\nstopwords: [" + "w, " * (MAX_YML_BYTES // 3) + "w]\n"})
    lines = errors_of(root)
    assert len(lines) == 1 and f"the limit is {MAX_YML_BYTES:,}" in lines[0]


# -- codebook: linear cycle check and depth --------------------------------------------

def chain_book(n: int, cycle: bool = False) -> pd.DataFrame:
    codes = [f"c{i}" for i in range(n)]
    parents = [""] + codes[:-1]
    if cycle:
        parents[0] = codes[-1]
    return pd.DataFrame({"code": codes, "level": "", "parent": parents, "description": ""})


def test_case_codebook_deep_chain_checks_in_seconds():
    root = case("codebook_deep_chain")
    started = time.monotonic()
    result = run_cli("check", str(root))
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert elapsed < 60  # was over 8 minutes
    assert "ok: codebook_deep_chain: 2 documents, 6 turns, 1 coding, 3000 codes, 2 participants" in result.stdout
    assert ("warning: the codebook's parent links are 3000 codes deep (down to 'c2999') but the study has 6 levels"
            in result.stderr)


def test_cycle_search_is_linear_on_a_long_chain():
    # 20,000 codes: the old walk (list membership from every node) took hours here
    started = time.monotonic()
    assert find_cycles(chain_book(20_000)) == []
    cycles = find_cycles(chain_book(20_000, cycle=True))
    assert time.monotonic() - started < 5
    assert len(cycles) == 1 and len(cycles[0]) == 20_000 and cycles[0][0] == ("c0", "")


def test_cycles_found_once_each_starting_at_their_first_row():
    book = pd.DataFrame({"code": ["a", "b", "c", "d", "e", "f"], "level": "",
                         "parent": ["b", "a", "d", "e", "c", "a"], "description": ""})
    assert find_cycles(book) == [[("a", ""), ("b", "")], [("c", ""), ("d", ""), ("e", "")]]


def test_depth_warning_only_beyond_the_levels():
    assert depth_warnings(chain_book(6), ["code", "initial", "focused", "subtheme", "category", "theme"]) == []
    lines = depth_warnings(chain_book(7), ["code", "theme"])
    assert lines and lines[0].startswith("the codebook's parent links are 7 codes deep (down to 'c6') but the study "
                                         "has 2 levels")
    assert depth_warnings(chain_book(50, cycle=True), ["a"])  # a cycle ends, and is not counted twice


def test_rollup_on_a_long_chain_is_linear():
    n = 20_000
    book = chain_book(n)
    book["level"] = ["theme"] + ["code"] * (n - 1)
    codings = pd.DataFrame({"code": pd.array([f"c{i}" for i in range(n)], dtype="string"),
                            "level": pd.array(["code"] * n, dtype="string")})
    codings.loc[0, "level"] = "theme"
    started = time.monotonic()
    rolled = rollup(codings, book, "theme", ["code", "theme"])
    assert time.monotonic() - started < 10
    assert len(rolled) == n and set(rolled["code"]) == {"c0"}
    assert Hierarchy(book, ["code", "theme"]).ancestor_at("c12345", "code", "theme") == "c0"


# -- empty id cells --------------------------------------------------------------------

EMPTY_FIX = "(cells merged in Excel keep the value only in their first row)"
TWO_INTERVIEWS = {
    "participants.csv": "participant_id,pseudonym\nP01,Robin\nP02,Sol\n",
    "transcripts/P01.txt": "I: How was it?\nP01: I was nervous at first.\nI: And later?\nP01: People listened.\n",
    "transcripts/P02.txt": "I: How was it?\nP02: Calm, mostly.\n",
}


def test_case_quote_sheet_empty_participant_is_one_line():
    root = case("quote_sheet_empty_participant")
    result = run_cli("check", str(root))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {root / 'codings' / 'AK.csv'}:row 3: empty participant — fill in the participant {EMPTY_FIX}"]


@pytest.mark.parametrize("sheet, kind", [
    ("participant,turn,code\nP01,2,nerves\n,4,heard\n", "participant"),
    ("participant,quote,code\nP01,I was nervous,nerves\n  ,People listened,heard\n", "participant"),
    ("document,turn,code\nP01,2,nerves\n,4,heard\n", "document"),
    ("group,quote,code\nP01,I was nervous,nerves\n,People listened,heard\n", "group"),
    ("participant,document,turn,code\nP01,P01,2,nerves\n,,4,heard\n", "participant"),
])
def test_empty_id_cell_is_a_one_line_error_naming_the_row(tmp_path, project_home, sheet, kind):
    root = make_study(tmp_path, {**TWO_INTERVIEWS, "codings/AK.csv": sheet})
    result = run_cli("check", str(root), home=project_home)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {root / 'codings' / 'AK.csv'}:row 3: empty {kind} — fill in the {kind} {EMPTY_FIX}"]


def test_document_cell_stands_in_for_an_empty_participant(tmp_path, project_home):
    sheet = "participant,document,turn,code\nP01,P01,2,nerves\n,P02,2,calm\n"
    root = make_study(tmp_path, {**TWO_INTERVIEWS, "codings/AK.csv": sheet})
    result = run_cli("check", str(root), home=project_home)
    assert result.returncode == 0, result.stderr
    assert "2 codings" in result.stdout


def test_empty_id_cell_in_a_workbook_names_sheet_and_row(tmp_path, project_home):
    import openpyxl

    root = make_study(tmp_path, TWO_INTERVIEWS)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Final"
    for row in [["participant", "quote", "code"], ["P01", "I was nervous", "nerves"], [None, "People listened", "heard"]]:
        sheet.append(row)
    (root / "codings").mkdir()
    book.save(root / "codings" / "AK.xlsx")
    result = run_cli("check", str(root), home=project_home)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {root / 'codings' / 'AK.xlsx'}:Final row 3: empty participant — fill in the participant {EMPTY_FIX}"]


# -- hidden sheets ---------------------------------------------------------------------

def test_case_xlsx_hidden_sheet_is_skipped_with_a_warning(project_home):
    name = copy_case("xlsx_hidden_sheet_imported", project_home)
    result = run_cli("ingest", name, home=project_home)
    assert result.returncode == 0, result.stderr
    assert ("warning: codings/AK.xlsx#old draft - do not use: skipped: a hidden sheet is not read (an old draft?)"
            in result.stderr)
    processed = project_home / "data" / "processed" / name
    codings = pd.read_parquet(processed / "codings.parquet")
    assert list(codings["code"]) == ["nerves"]  # not the two 'fear' rows of the draft
    sources = pd.read_csv(processed / "tables" / "import_sources.csv", keep_default_na=False)
    assert dict(zip(sources["source"], sources["note"])) == {
        "codings/AK.xlsx#old draft - do not use": "skipped: hidden sheet", "codings/AK.xlsx#Final": ""}


def _workbook(path, sheets: list[tuple[str, str, list[list]]]):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, state, rows in sheets:
        ws = book.create_sheet(title)
        ws.sheet_state = state
        for row in rows:
            ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def test_very_hidden_coding_sheet_and_hidden_codebook_sheet_are_skipped(tmp_path, project_home):
    root = make_study(tmp_path, TWO_INTERVIEWS)
    head = ["participant", "turn", "code"]
    _workbook(root / "codings" / "AK.xlsx", [("draft", "veryHidden", [head, ["P01", 2, "fear"]]),
                                             ("Final", "visible", [head, ["P01", 2, "nerves"]])])
    _workbook(root / "codebook.xlsx", [("old", "hidden", [["code", "parent"], ["fear", ""]]),
                                       ("Codes", "visible", [["code", "parent"], ["nerves", ""]])])
    result = run_cli("check", str(root), home=project_home)
    assert result.returncode == 0, result.stderr
    assert "codings/AK.xlsx#draft: skipped: a hidden sheet is not read" in result.stderr
    assert "codebook.xlsx#old: skipped: a hidden sheet is not read as the codebook" in result.stderr
    assert "1 coding, 1 code" in result.stdout  # 'fear' neither counted nor in the codebook


# -- ids: case clashes refused, file names unique and safe -----------------------------

def test_file_stem_keeps_plain_ids_and_separates_the_rest():
    from helpers.ids import file_stem

    assert [file_stem(v) for v in ["P01", "A-01_b.2", "focus.group"]] == ["P01", "A-01_b.2", "focus.group"]
    stems = [file_stem(v) for v in ["P 01", "P_01", "P/01", "Zoë", "Zoé", "x" * 320, "x" * 321, "CON", "../x", "P01."]]
    assert len(set(stems)) == len(stems)  # every id its own file
    assert stems[1] == "P_01" and stems[0].startswith("P_01-") and len(stems[0]) == len("P_01-") + 8
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", s) and len(s) <= 80 for s in stems)
    assert file_stem(unicodedata.normalize("NFD", "Zoë")) == file_stem("Zoë")  # one id, one file


@pytest.mark.parametrize("second", ["p01", "P01\u00ad", "Ｐ01"])
def test_participant_ids_differing_only_by_case_or_form_are_refused(tmp_path, project_home, second):
    root = make_study(tmp_path, {"participants.csv": f"participant_id,pseudonym\nP01,Robin\n{second},Sol\n",
                                 "transcripts/P01.txt": "I: Hi\nP01: Hello.\n"})
    result = run_cli("check", str(root), home=project_home)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        (f"error: {root / 'participants.csv'}:row 3: participant_id '{second}' and 'P01' "
        f"({root / 'participants.csv'}:row 2) differ only by case or character form, so they would be matched "
        "as one and their files would overwrite each other — spell them the same if they are one, otherwise rename one")]


def test_document_ids_differing_only_by_case_are_refused(tmp_path, project_home):
    root = make_study(tmp_path, {"transcripts/P01.txt": "I: Hi\nP: Hello.\n",
                                 "transcripts/p01.md": "I: Hi\nP: Hello again.\n"})
    result = run_cli("check", str(root), home=project_home)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "document id 'p01' and 'P01'" in lines[0] and "differ only by case" in lines[0]


def test_long_and_odd_ids_ingest_to_safe_text_files(tmp_path, project_home):
    from helpers import load_study

    long_id = "P" + "x" * 319
    sheet = f"participant,quote,code\n{long_id},I was nervous,nerves\nP/02,Calm mostly,calm\n"
    make_study(project_home / "data" / "raw", {
        "participants.csv": f"participant_id\n{long_id}\nP/02\n", "codings/AK.csv": sheet}, name="odd")
    result = run_cli("ingest", "odd", home=project_home)
    assert result.returncode == 0, result.stderr
    texts = sorted(p.name for p in (project_home / "data" / "processed" / "odd" / "texts").iterdir())
    assert len(texts) == 2 and all(len(name) <= 84 and "/" not in name for name in texts)
    study = load_study("odd")
    assert {d: study.text(d) for d in study.documents["doc_id"]} == {
        long_id: f"{long_id}: I was nervous\n", "P/02": "P/02: Calm mostly\n"}


@pytest.mark.notebook
def test_case_profile_filename_collision_gives_each_participant_a_page(tmp_path):
    from support import make_root, run_in

    root, raw = make_root(tmp_path, case("profile_filename_collision"))
    raw.chmod(0o755)
    result = run_in(root, "report", raw.name, "--only", "05", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    reports = root / "reports" / raw.name
    pages = sorted(p.name for p in reports.glob("05-participant-profile-*.html"))
    assert len(pages) == 4  # was 3: 'P 01' and 'P_01' shared one page
    index = (reports / "index.html").read_text(encoding="utf-8")
    links = {label: href for href, label in re.findall(r'href="(05-[^"]+)">Profile: (\w+)<', index)}
    assert sorted(links) == ["Ash", "Kit", "Robin", "Sol"] and len(set(links.values())) == 4
    assert links["Sol"] == "05-participant-profile-P_01.html"
    for label, href in links.items():  # each link opens that participant's page, not another's
        page = (reports / href).read_text(encoding="utf-8")
        assert label in page and not ({"Robin", "Sol"} - {label}) & set(re.findall(r"Robin|Sol", page))


# -- linear-time text steps, and a stated size limit -----------------------------------

ADVERSARIAL = {  # shapes that make a backtracking pattern quadratic
    "one long word": "a" * 200_000,
    "dotted run": "a." * 100_000,
    "apostrophes": "a'" * 100_000,
    "digits": "1" * 200_000,
    "at signs": "x@y." * 50_000,
    "capitalised words": "Zed " * 50_000,
    "annotations": "[pause] Zed " * 20_000,
    "postcode spaces": "AB1" + " " * 200_000,
}


@pytest.mark.parametrize("shape", sorted(ADVERSARIAL))
def test_identifier_scan_and_redaction_are_linear_on_one_long_turn(shape):
    from helpers.ingest.cleaning import Redactor, clean_document
    from helpers.ingest.identifiers import IDENTIFIER_PATTERNS, scan_identifiers
    from helpers.ingest.transcripts import RawDocument, SpeakerLabels, Turn

    text = ADVERSARIAL[shape]
    started = time.monotonic()
    for _, pattern in IDENTIFIER_PATTERNS:  # the email pattern alone took minutes on "one long word"
        list(pattern.finditer(text))
    labels = SpeakerLabels({"participant": ["P"]})
    raw = RawDocument(doc_id="P01", source_file=REPO / "P01.txt", format="txt", kind="interview",
                      turns=[Turn(speaker="P", text=text, line=1, role="participant", participant_id="P01")],
                      sha256="")
    doc = clean_document(raw, labels, Redactor([("Mary Jones", "(PSW)"), ("Zed", "(Z)")]), "P01")
    scan_identifiers([doc], {"(PSW)", "(Z)"})
    assert time.monotonic() - started < 30  # 200,000 characters; the quadratic steps took minutes


def test_email_pattern_finds_the_same_addresses():
    from helpers.ingest.identifiers import IDENTIFIER_PATTERNS

    email = dict(IDENTIFIER_PATTERNS)["email"]
    text = "write to robin.k+x@mail.example.org or sol@a-b.co.uk, not @handle or a@b"
    assert [m.group() for m in email.finditer(text)] == ["robin.k+x@mail.example.org", "sol@a-b.co.uk"]


def test_transcript_over_the_size_limit_is_a_one_line_error(tmp_path, project_home, monkeypatch):
    root = make_study(tmp_path, {"transcripts/P01.txt": "I: Hi\nP: " + "word " * 30 + "\n",
                                 "transcripts/P02.txt": "I: Hi\nP: Hello.\n"})
    monkeypatch.setattr("helpers.ingest.pipeline.MAX_TRANSCRIPT_BYTES", 100)
    from helpers.ingest.config import load_config
    from helpers.ingest.pipeline import build
    from helpers.study import resolve

    with pytest.raises(InputError) as info:
        build(resolve(root), load_config(root))
    assert [p.line() for p in info.value.problems] == [
        (f"error: {root / 'transcripts' / 'P01.txt'}: the transcript is 0 MB; the limit for one transcript is 0 MB "
        "— split it into one file per interview or session")]


# -- clustering limit ------------------------------------------------------------------

def _figure_text(fig) -> str:
    return " ".join(t.get_text() for ax in fig.axes for t in ax.texts + [ax.title]) + " " + (
        fig._suptitle.get_text() if fig._suptitle else "")


def test_cooccurrence_figures_beyond_the_limit_are_skipped_with_a_note():
    import matplotlib.pyplot as plt
    import numpy as np

    from helpers.plots import MAX_CLUSTERED_CODES
    from helpers.plots.cooccurrence import cooccurrence_clustermap, cooccurrence_network

    n = MAX_CLUSTERED_CODES + 1
    codes = [f"code {i}" for i in range(n)]
    values = np.ones((n, n), dtype=int) + np.eye(n, dtype=int)
    counts = pd.DataFrame(values, index=codes, columns=codes)
    started = time.monotonic()
    for draw, what in [(cooccurrence_clustermap, "clustered heatmap"), (cooccurrence_network, "network")]:
        fig = draw(counts)
        assert f"{n} codes applied: {what} skipped (more than {MAX_CLUSTERED_CODES} codes)" in _figure_text(fig)
        plt.close(fig)
    assert time.monotonic() - started < 10
    small = counts.iloc[:3, :3]
    fig = cooccurrence_clustermap(small)  # within the limit: clustered as before
    assert "skipped" not in _figure_text(fig)
    plt.close(fig)


def test_theme_heatmap_beyond_the_limit_is_drawn_unclustered_and_says_so():
    import matplotlib.pyplot as plt
    import numpy as np

    from helpers.plots import MAX_CLUSTERED_CODES
    from helpers.plots.themes import theme_heatmap

    n = MAX_CLUSTERED_CODES + 1
    matrix = pd.DataFrame(np.eye(3, n, dtype=int), index=["P01", "P02", "P03"], columns=[f"c{i}" for i in range(n)])
    fig = theme_heatmap(matrix, level=None, value="presence")
    assert f"not clustered: more than {MAX_CLUSTERED_CODES} rows or columns" in _figure_text(fig)
    plt.close(fig)


def test_codebook_tree_of_a_deep_chain_is_linear_and_bounded():
    from helpers.analysis.overview import MAX_TREE_INDENT, codebook_tree
    from helpers.study import Study

    n = 5_000  # recursion stopped at Python's limit (1,000) and every subtree was recounted
    book = chain_book(n)
    empty = pd.DataFrame({"doc_id": pd.Series([], dtype="string"), "seg_no": pd.Series([], dtype="int64")})
    codings = pd.DataFrame({"doc_id": ["D1", "D1"], "code": ["c4999", "c1"], "level": ["", ""],
                            "start": [0, 0], "end": [1, 1], "coder": ["AK", "AK"]})
    study = Study.from_tables(segments=empty, codings=codings, codebook=book,
                              participants=pd.DataFrame({"participant_id": []}))
    started = time.monotonic()
    tree = codebook_tree(study)
    assert time.monotonic() - started < 10
    assert len(tree) == n
    assert tree["with_children"].tolist()[:3] == [2, 2, 1] and tree["with_children"].iloc[-1] == 1
    assert tree["code"].iloc[1] == "    c1"
    assert tree["code"].iloc[-1] == "    " * MAX_TREE_INDENT + "[depth 4999] c4999"
