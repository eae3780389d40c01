"""The bad-input corpus (tests/bad_inputs/, issue 9): every case through
``python -m helpers check`` and ``report``.

For each case folder (a tiny study plus ``expected.txt``) both commands must
exit 2, print exactly the expected one-line errors of DESIGN §6 (``{study}`` in
expected.txt stands for the study folder's path), print no traceback, write
nothing under data/processed/<case>/ or reports/<case>/, and leave every raw
file's sha256 as it was. Every expected line was checked by hand against its
case's inputs (rows, lines, byte offsets); README.md says what is wrong in each.

Speed: one driver process per command runs every case through the command
line's entry function (``helpers.__main__.run``) with its own stderr, so the
interpreter and imports are paid once; two cases also go through real
``python -m helpers`` processes to prove the real command line path.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO, make_study

CORPUS = REPO / "tests" / "bad_inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expected.txt").is_file())
COMMANDS = {"check": [], "report": ["--jobs", "1"]}
REAL_PROCESS_CASES = ["transcript_pdf_renamed_txt", "refi_zip_slip"]

DRIVER = """
import contextlib, io, json, sys
from helpers.__main__ import run

results = {}
for name, argv in json.loads(sys.argv[1]).items():
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run(argv)
        except SystemExit as exc:
            code = exc.code
        except BaseException as exc:  # a crash past run()'s own handlers: keep the evidence
            import traceback
            traceback.print_exc(file=err)
            code = "crash"
    results[name] = [code, out.getvalue(), err.getvalue()]
print(json.dumps(results))
"""


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def start(home: Path, args: list[str]) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "TT_DEBUG"}
    env["TRANSCRIPT_THEMES_HOME"] = str(home)
    return subprocess.Popen([sys.executable, *args], cwd=home, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory):
    """Every case copied under a throw-away project root and run by both commands."""
    home = tmp_path_factory.mktemp("bad_inputs") / "project"
    raw = home / "data" / "raw"
    raw.mkdir(parents=True)
    (home / "notebooks").symlink_to(REPO / "notebooks")
    studies = {}
    for case in CASES:
        studies[case] = raw / case
        shutil.copytree(CORPUS / case, studies[case], ignore=shutil.ignore_patterns("expected.txt"))
    before = {case: tree_hashes(folder) for case, folder in studies.items()}
    drivers = {command: start(home, ["-c", DRIVER, json.dumps(
        {case: [command, str(studies[case]), *extra] for case, folder in studies.items()})])
        for command, extra in COMMANDS.items()}
    real = {(command, case): start(home, ["-m", "helpers", command, str(studies[case]), *extra])
            for case in REAL_PROCESS_CASES for command, extra in COMMANDS.items()}
    results = {}
    for command, job in drivers.items():
        out, err = job.communicate(timeout=600)
        assert job.returncode == 0, err
        for case, value in json.loads(out).items():
            results[(command, case)] = tuple(value)
    real_results = {}
    for key, job in real.items():
        out, err = job.communicate(timeout=600)
        real_results[key] = (job.returncode, out, err)
    return {"home": home, "studies": studies, "before": before, "results": results, "real": real_results}


def expected_lines(case: str, study: Path) -> list[str]:
    text = (CORPUS / case / "expected.txt").read_text(encoding="utf-8")
    return [line.replace("{study}", str(study.resolve())) for line in text.splitlines() if line.strip()]


def test_the_corpus_has_at_least_45_cases():
    assert len(CASES) >= 45


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", CASES)
def test_bad_input_exits_2_with_the_expected_lines(corpus_runs, case, command):
    code, out, err = corpus_runs["results"][(command, case)]
    study = corpus_runs["studies"][case]
    assert "Traceback" not in err, err
    assert code == 2, err
    assert out == ""
    # every line of stderr is one expected error line, in order, and nothing else
    assert err.splitlines() == expected_lines(case, study)
    for line in err.splitlines():
        assert re.fullmatch(r"error: \S.*: .+ — .+", line), line


@pytest.mark.parametrize("case", CASES)
def test_bad_input_writes_nothing_and_leaves_the_raw_files_alone(corpus_runs, case):
    home = corpus_runs["home"]
    assert not (home / "data" / "processed" / case).exists()
    assert not (home / "reports" / case).exists()
    assert tree_hashes(corpus_runs["studies"][case]) == corpus_runs["before"][case]


def test_nothing_at_all_is_left_in_the_project(corpus_runs):
    """No staging folder, no lock, no reports/: the project holds the raw
    studies and nothing else. (The run lock lives in the system's temporary
    folder; an older layout kept it at data/processed/.<study>.lock, which
    would be tolerated here as it is outside every study's own folder.)"""
    home = corpus_runs["home"]
    processed = home / "data" / "processed"
    left = {p.name for p in processed.iterdir()} if processed.exists() else set()
    assert left <= {f".{case}.lock" for case in CASES}
    assert not (home / "reports").exists()
    assert sorted(p.name for p in home.iterdir()) == ["data", "notebooks"]


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", REAL_PROCESS_CASES)
def test_the_real_command_line_gives_the_same_lines(corpus_runs, case, command):
    code, out, err = corpus_runs["real"][(command, case)]
    assert "Traceback" not in err
    assert code == 2, err
    assert err.splitlines() == expected_lines(case, corpus_runs["studies"][case])


def test_readme_lists_every_case_with_its_expected_lines():
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(3) for m in re.finditer(r"^\| `([a-z0-9_]+)` \| (.+?) \| (.+) \|$", readme, re.M)}
    assert sorted(rows) == CASES
    for case in CASES:
        lines = (CORPUS / case / "expected.txt").read_text(encoding="utf-8").splitlines()
        shown = [re.sub(r"^`|`$", "", part) for part in rows[case].split("<br>")]
        assert shown == [line.replace("|", "\\|") for line in lines], case


# -- not an error: duplicated and overlapping codings are kept, flagged and counted by unit ----------

P01 = ("I: How did the peer support group start for you?\n"
       "P: A friend from the ward told me about it.\n"
       "I: What was the first meeting like?\n"
       "P: I was nervous, but people listened.\n")
P02 = ("I: What has changed since you joined?\n"
       "P: I sleep better and I go out more.\n")
OVERLAPS = {
    "study.yml": "title: Overlaps\n",
    "transcripts/P01.txt": P01,
    "transcripts/P02.txt": P02,
    "participants.csv": "participant_id\nP01\nP02\n",
    "codebook.csv": "code,parent\nword of mouth,\nsupport,\nnerves,\n",
    # row 3 repeats row 2 exactly; row 4 spans turns 2-4 and so overlaps rows 2, 3 and 5
    "codings/AK.csv": ("participant,turn,code\n"
                       "P01,2,word of mouth\n"
                       "P01,2,word of mouth\n"
                       "P01,2-4,support\n"
                       "P01,4,nerves\n"
                       "P02,2,support\n"),
}


@pytest.fixture
def overlaps_study(tmp_path, project_home):
    return make_study(project_home / "data" / "raw", OVERLAPS, name="overlaps")


def test_duplicate_coding_is_not_an_error_and_is_named_in_a_warning(overlaps_study, project_home):
    from support import run_cli

    done = run_cli("check", str(overlaps_study), home=project_home)
    assert done.returncode == 0, done.stderr
    # 2 documents; P01 4 turns + P02 2 turns = 6; 5 sheet rows, one code each = 5 codings;
    # 3 codes in the codebook; 2 participants
    # then one line per coder with the documents they coded (issue 12)
    assert done.stdout == ("ok: overlaps: 2 documents, 6 turns, 5 codings, 3 codes, 2 participants\n"
                           "coder AK (primary): P01, P02\n")
    assert done.stderr.splitlines() == [
        "warning: 1 coding repeats an earlier one exactly (same document, code, level, coder and span): "
        "kept and flagged duplicate=True — codings/AK.csv row 3 ('word of mouth', P01)"]
    assert not (project_home / "data" / "processed" / "overlaps").exists()


def test_duplicate_coding_is_kept_flagged_and_counted_once_per_turn(overlaps_study, project_home):
    import helpers
    from helpers.analysis.cooccurrence import cooccurrence

    study = helpers.load_study(str(overlaps_study))
    codings = study.codings
    # kept: all 5 sheet rows are rows of the table; only the copy (sheet row 3) is flagged
    assert list(codings["duplicate"]) == [False, True, False, False, False]
    assert list(codings["source_row"].astype(str)) == ["2", "3", "4", "5", "6"]
    freq = helpers.code_frequencies(study).set_index("code")
    # applications count passages (issue 12): the copy counts once, so word of mouth 1;
    # support 2 (P01 turns 2-4, P02 turn 2), nerves 1
    assert freq.loc["word of mouth", "applications"] == 1
    assert freq.loc["support", "applications"] == 2
    # segments count distinct turns: word of mouth only P01 turn 2 -> 1 (the copy adds no turn);
    # support P01 turns 2, 3, 4 and P02 turn 2 -> 4; nerves P01 turn 4 -> 1
    assert freq.loc["word of mouth", "segments"] == 1
    assert freq.loc["support", "segments"] == 4
    assert freq.loc["nerves", "segments"] == 1
    seg = cooccurrence(study, unit="segment")
    # turns carrying both: word of mouth & support P01 turn 2 -> 1 (not 2);
    # nerves & support P01 turn 4 -> 1; word of mouth & nerves none -> 0
    assert seg.loc["word of mouth", "support"] == 1 == seg.loc["support", "word of mouth"]
    assert seg.loc["nerves", "support"] == 1
    assert seg.loc["word of mouth", "nerves"] == 0
    assert seg.loc["word of mouth", "word of mouth"] == 1
    overlap = cooccurrence(study, unit="overlap")
    # overlap counts pairs of passages (issue 12): the word of mouth coding and its copy are
    # one passage, sharing characters with the support passage (turns 2-4) -> 1;
    # nerves (turn 4) & support -> 1; the diagonal is each code's passages: word of mouth 1
    assert overlap.loc["word of mouth", "support"] == 1
    assert overlap.loc["nerves", "support"] == 1
    assert overlap.loc["word of mouth", "nerves"] == 0
    assert overlap.loc["word of mouth", "word of mouth"] == 1
    doc = cooccurrence(study, unit="document")
    # documents carrying both: word of mouth & support P01 only -> 1
    assert doc.loc["word of mouth", "support"] == 1
