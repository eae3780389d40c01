"""study.yml: defaults, and one line per problem naming the file and what to fix."""
from __future__ import annotations

import re

import pytest
from support import make_study

from helpers.errors import InputError
from helpers.hierarchy import DEFAULT_LEVELS
from helpers.ingest.config import DEFAULT_FILLERS, DEFAULT_SPEAKERS, KEYS, load_config

FIX_YAML = "fix the YAML syntax (indentation, colons, quotes)"


def problems_of(root) -> list[str]:
    with pytest.raises(InputError) as info:
        load_config(root)
    return [p.line() for p in info.value.problems]


def test_defaults_from_a_bare_title(tmp_path):
    root = make_study(tmp_path, {"study.yml": "title: Peer support\n"})
    config = load_config(root)
    assert config.title == "Peer support"
    assert config.root == root.resolve()
    assert config.transcripts == root.resolve() / "transcripts"
    assert config.participants == root.resolve() / "participants.csv"
    assert config.codebook == root.resolve() / "codebook.csv"
    assert config.redactions == root.resolve() / "redactions.csv"
    assert config.codings == []  # the default codings/ folder is absent: no error
    assert config.levels == list(DEFAULT_LEVELS)
    assert config.speakers == DEFAULT_SPEAKERS
    assert config.fillers == DEFAULT_FILLERS
    assert config.quote_match_threshold == 0.9


def test_every_key_read(tmp_path):
    yml = """title: T
description: D
transcripts: interviews/
levels: [Code, Initial, Theme]
speakers:
  interviewer: [Q]
  participant: A
fillers: [Um]
stopwords: [Peer]
quote_match_threshold: 0.8
codings:
  - sheets/
  - {path: extra.csv, coder: 7, level: Initial, strict: false}
"""
    root = make_study(tmp_path, {"study.yml": yml, "sheets/a.csv": "x\n", "extra.csv": "x\n"})
    config = load_config(root)
    assert config.transcripts == root.resolve() / "interviews"
    # (Initial is listed since issue 12: a codings entry's level must be one of the study's levels)
    assert config.levels == ["code", "initial", "theme"]
    # a single label written without brackets is one label, not its letters
    assert config.speakers == {"interviewer": ["Q"], "participant": ["A"]}
    assert (config.fillers, config.stopwords, config.quote_match_threshold) == (["um"], ["peer"], 0.8)
    assert [(c.path.name, c.coder, c.level, c.strict) for c in config.codings] == [
        ("sheets", None, None, True), ("extra.csv", "7", "Initial", False)]
    # every input file, study.yml first, for fingerprints
    assert [p.name for p in config.input_files()] == ["study.yml", "a.csv", "extra.csv"]


def test_single_speaker_label_string(tmp_path):
    root = make_study(tmp_path, {"study.yml": "title: T\nspeakers: {interviewer: Facilitator, participant: [P]}\n"})
    assert load_config(root).speakers["interviewer"] == ["Facilitator"]


def test_missing_study_yml(tmp_path):
    root = make_study(tmp_path, {"study.yml": None, "transcripts/P1.txt": "I: hi\n"})
    assert problems_of(root) == [
        f"error: {root / 'study.yml'}: study.yml not found — create study.yml with at least a 'title:' line (see README)"]


def test_missing_study_folder(tmp_path):
    assert problems_of(tmp_path / "nowhere") == [
        f"error: {tmp_path / 'nowhere'}: study folder not found — give a folder under data/raw/ or a path to a study folder"]


def test_not_yaml_names_the_line(tmp_path):
    # "title: [a" never closes its list: the scanner gives up on a later line (2 or 3), which is named
    root = make_study(tmp_path, {"study.yml": "title: [a\nlevels: b\n"})
    [line] = problems_of(root)
    assert re.match(rf"error: {re.escape(str(root / 'study.yml'))}:[23]: ", line)
    assert line.endswith(f": study.yml is not valid YAML — {FIX_YAML}")


def test_tab_indentation_is_not_yaml(tmp_path):
    root = make_study(tmp_path, {"study.yml": "title: T\nspeakers:\n\tinterviewer: [I]\n"})
    [line] = problems_of(root)
    assert "study.yml is not valid YAML" in line


@pytest.mark.parametrize("text", ["- title\n- levels\n", "just a sentence\n", ""])
def test_not_a_mapping(tmp_path, text):
    root = make_study(tmp_path, {"study.yml": text})
    assert problems_of(root) == [f"error: {root / 'study.yml'}: study.yml is not a mapping of keys to values — "
                                 "write it as 'key: value' lines, starting with 'title:'"]


def test_not_utf8(tmp_path):
    root = make_study(tmp_path, {"study.yml": b"title: Caf\xe9 \x81\n"})
    assert problems_of(root) == [f"error: {root / 'study.yml'}: study.yml is not UTF-8 text — save study.yml as UTF-8"]


def test_unknown_key_and_wrong_type_reported_together(tmp_path):
    root = make_study(tmp_path, {"study.yml": "title: T\ncolour: red\nlevels: theme\nfillers: 3\n"})
    yml = root / "study.yml"
    assert problems_of(root) == [
        f"error: {yml}: unknown key 'colour' — remove it or use one of: "
        + ", ".join(KEYS),  # every key study.yml knows, in the order config.KEYS lists them
        f"error: {yml}: 'levels' should be a list of level names, not str — correct 'levels:'",
        f"error: {yml}: 'fillers' should be a list of words, not int — correct 'fillers:'",
    ]


@pytest.mark.parametrize("text, what", [
    ("description: D\n", "no 'title'"),
    ("title:\n", "no 'title'"),
    ("title: T\nquote_match_threshold: yes\n", "'quote_match_threshold' should be a number between 0 and 1, not bool"),
    ("title: T\nquote_match_threshold: 1.5\n", "quote_match_threshold 1.5 is outside (0, 1]"),
    ("title: T\nspeakers: {moderator: [M]}\n", "speakers: unknown role moderator"),
    ("title: T\nspeakers: {interviewer: {a: b}}\n", "speakers: 'interviewer' should be a list of labels"),
    ("title: T\ncodings: [{path: [a, b]}]\n", "codings entry 1 is neither a path nor a mapping with 'path:'"),
    ("title: T\ncodings: [{coder: AB}]\n", "codings entry 1 is neither a path nor a mapping with 'path:'"),
    ("title: T\ncodings: [missing.xlsx]\n", "codings entry 1: missing.xlsx not found"),
    ("title: T\nparticipants: people.csv\n", "'participants' file people.csv not found"),
])
def test_one_problem(tmp_path, text, what):
    root = make_study(tmp_path, {"study.yml": text})
    [line] = problems_of(root)
    assert line.startswith(f"error: {root / 'study.yml'}: {what} — ")


@pytest.mark.parametrize("key, value", [
    ("transcripts", "../elsewhere"), ("transcripts", "/etc"), ("redactions", "../terms.csv"),
    ("codings", "[../codings]"),
])
def test_paths_must_stay_inside_the_study_folder(tmp_path, key, value):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "terms.csv").write_text("term\nx\n", encoding="utf-8")
    (tmp_path / "codings").mkdir()
    root = make_study(tmp_path, {"study.yml": f"title: T\n{key}: {value}\n"})
    [line] = problems_of(root)
    name = "codings entry 1" if key == "codings" else key
    given = value.strip("[]")
    assert line == (f"error: {root / 'study.yml'}: '{name}' points outside the study folder ({given}) — "
                    "keep every input inside the study folder and give its path relative to it")


def test_symlink_out_of_the_study_folder_is_refused(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    root = make_study(tmp_path, {"study.yml": "title: T\ntranscripts: link\n"})
    (root / "link").symlink_to(tmp_path / "elsewhere")
    [line] = problems_of(root)
    assert "'transcripts' points outside the study folder (link)" in line
