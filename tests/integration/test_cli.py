"""Command line: python -m helpers check|ingest, exit status and one-line errors (DESIGN §6).

Every case runs ``python -m helpers`` in its own process; the processes are started
together (module fixture) so that the interpreter start-up is paid once in wall time.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO, make_study

GOOD = {"transcripts/A01.txt": "I: How did you meet?\nP: On the ward.\nShe was kind.\n",
        "transcripts/A02.txt": "I: Hello.\nP: Hi.\n",
        "participants.csv": "participant_id,pseudonym\nA01,Robin\nA02,Sol\n"}

# One process runs many cases through the command line's entry function, each
# with its own stderr: interpreter start-up (seconds) is paid once. Cases named
# "crash*" first replace ingest.build with a function that raises.
DRIVER = """
import contextlib, io, json, sys
import helpers.ingest.pipeline as ingest
from helpers.__main__ import run

real_build = ingest.build
def boom(*args, **kwargs):
    raise RuntimeError("boom\\nsecond line")

results = {}
for name, argv in json.loads(sys.argv[1]).items():
    ingest.build = boom if name.startswith("crash") else real_build
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run(argv)
        except SystemExit as exc:
            code = exc.code
    results[name] = [code, out.getvalue(), err.getvalue()]
print(json.dumps(results))
"""

BAD = {
    "no_yml": {"study.yml": None, **GOOD},
    "not_yaml": {"study.yml": "title: [unclosed\n", **GOOD},
    "unknown_key": {"study.yml": "title: T\ncolour: red\n", **GOOD},
    "outside": {"study.yml": "title: T\ntranscripts: ../elsewhere\n", **GOOD},
    "empty": {**GOOD, "transcripts/A03.txt": b""},
    "pdf": {**GOOD, "transcripts/A03.txt": b"%PDF-1.7\n%\xe2\xe3\n"},
    "binary": {**GOOD, "transcripts/A03.txt": b"I: a\x00b\n"},
    "undecodable": {**GOOD, "transcripts/A03.txt": b"I: caf\x81\n"},
    "not_zip": {**GOOD, "transcripts/A03.docx": b"plain text"},
    "bad_vtt": {**GOOD, "transcripts/A03.vtt": "WEBVTT\n\n00:00:01.000 --> 00:0x\nhi\n"},
    "no_labels": {**GOOD, "transcripts/A03.txt": "just talk\n"},
    "dup_doc": {**GOOD, "transcripts/A01.md": "I: again\nP: again\n"},
    "no_pid": {**GOOD, "participants.csv": "id\nA01\n"},
    "dup_pid": {**GOOD, "participants.csv": "participant_id\nA01\nA01\n"},
    "empty_term": {**GOOD, "redactions.csv": "term,replacement\n,(X)\n"},
    "no_docs": {"participants.csv": "participant_id\nA01\n"},
}

# a MAXQDA coded-segments export (strict: false): row 4's text is not in A01, row 3 has no coder
UNMATCHED = {**GOOD, "study.yml": "title: T\ncodings:\n  - {path: codings/segments.csv, strict: false}\n",
             "codings/segments.csv": "Document group,Document name,Code,Begin,End,Segment,Created by\n"
                                     "Interviews,A01,Care\\kind,2,2,She was kind.,CK\n"
                                     "Interviews,A01,Care\\ward,2,2,On the ward.,\n"
                                     "Interviews,A01,Care\\other,2,2,The bus never came.,CK\n"}


def start(args, home: Path, code: str | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "TT_DEBUG"}
    env["TRANSCRIPT_THEMES_HOME"] = str(home)
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", "helpers", *args]
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """name -> (returncode, stdout, stderr), plus the paths the tests need."""
    base = tmp_path_factory.mktemp("cli")
    home = base / "home"
    (home / "data" / "raw").mkdir(parents=True)
    (home / "notebooks").mkdir()
    raw = home / "data" / "raw"
    studies = {name: make_study(raw, files, name=name) for name, files in BAD.items()}
    studies["good"] = make_study(raw, GOOD, name="good")
    studies["ingested"] = make_study(raw, GOOD, name="ingested")
    studies["unmatched"] = make_study(raw, UNMATCHED, name="unmatched")
    (raw / "elsewhere").mkdir()
    (studies["no_docs"] / "transcripts").mkdir()
    # real `python -m helpers` processes for the main paths ...
    jobs = {"no_yml": start(["check", str(studies["no_yml"])], home),
            "good": start(["check", str(studies["good"])], home)}
    # ... and one process for the other cases and the injected crashes
    cases = {name: ["check", str(root)] for name, root in studies.items() if name in BAD and name not in jobs}
    cases["ingest"] = ["ingest", "ingested"]
    cases["unmatched"] = ["check", str(studies["unmatched"])]
    cases["unmatched_ingest"] = ["ingest", "unmatched"]
    cases["missing_folder"] = ["check", "nosuch"]
    cases["crash"] = ["check", str(studies["good"])]
    cases["crash_debug"] = ["--debug", "check", str(studies["good"])]
    driver = start([json.dumps(cases)], home, DRIVER)
    results = {}
    for name, job in jobs.items():
        out, err = job.communicate(timeout=180)
        results[name] = (job.returncode, out, err)
    out, err = driver.communicate(timeout=180)
    assert driver.returncode == 0, err
    results.update({name: tuple(value) for name, value in json.loads(out).items()})
    return {"results": results, "home": home, "studies": studies}


def test_check_without_study_yml(runs):
    code, out, err = runs["results"]["no_yml"]
    yml = runs["studies"]["no_yml"].resolve() / "study.yml"
    assert code == 2
    assert err == f"error: {yml}: study.yml not found — create study.yml with at least a 'title:' line (see README)\n"
    assert out == ""


def test_check_a_missing_study_folder(runs):
    code, _, err = runs["results"]["missing_folder"]
    home = runs["home"].resolve()
    assert code == 2
    assert err == (f"error: nosuch: study folder not found — put the study under {home / 'data' / 'raw'}/<name>/ "
                   "or give the path to its folder\n")


def test_check_a_good_study_prints_counts_and_writes_nothing(runs):
    code, out, err = runs["results"]["good"]
    assert code == 0, err
    # 2 documents; A01 has 2 turns, A02 2 turns = 4; no codings, no codebook; 2 participants
    assert out == "ok: good: 2 documents, 4 turns, 0 codings, 0 codes, 2 participants\n"
    assert not (runs["home"] / "data" / "processed" / "good").exists()


def test_ingest_writes_the_processed_folder(runs):
    code, out, err = runs["results"]["ingest"]
    processed = runs["home"].resolve() / "data" / "processed" / "ingested"
    assert code == 0, err
    assert out == f"ingested ingested -> {processed}\n"
    assert (processed / "manifest.json").is_file()
    assert (processed / "texts" / "A01.txt").read_text(encoding="utf-8") == \
        "I: How did you meet?\nP: On the ward. She was kind.\n"


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_exits_2_with_error_lines_only(runs, name):
    code, out, err = runs["results"][name]
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1
    # error: <file>[:<where>]: <what> — <fix>
    assert lines[0].startswith("error: ") and " — " in lines[0]
    assert str(runs["studies"][name].resolve()) in lines[0]
    assert not (runs["home"] / "data" / "processed" / name).exists()


def test_internal_error_is_one_line_and_exit_1(runs):
    code, out, err = runs["results"]["crash"]
    assert code == 1
    assert err == "error: internal: RuntimeError: boom — please report this (run with --debug for details)\n"


def test_debug_shows_the_traceback(runs):
    code, _, err = runs["results"]["crash_debug"]
    assert code == 1
    assert "Traceback" in err and "RuntimeError: boom" in err
    assert err.splitlines()[-1].startswith("error: internal: RuntimeError: boom")


@pytest.mark.parametrize("name", ["unmatched", "unmatched_ingest"])
def test_check_and_ingest_say_quotes_not_found_and_rows_without_a_coder(runs, name):
    code, out, err = runs["results"][name]
    assert code == 0, err
    # 3 rows, 2 codings: row 4 not found (strict: false), listed and said
    if name == "unmatched":
        assert out.startswith("ok: unmatched: 2 documents, 4 turns, 2 codings, ")
    lines = err.splitlines()
    assert [ln for ln in lines if "not found" in ln][0].startswith(
        "warning: 1 quote not found (listed in tables/quotes_unmatched.csv), not counted; the first: "
        "codings/segments.csv row 4: \"The bus never came.\" in A01 — ")
    assert ("warning: row 3 of codings/segments.csv: no coder given; counted as coder 'segments' (the file name) "
            "— set 'coder:' for this source in study.yml") in lines
