"""The conservation check (helpers.ingest.conservation, issue 13 point 1): the words each
reader saw in the source are in the clean text or were removed by a stated rule.

Runs over every fixture and demo transcript, and through ``check`` on a study
whose reader loses a turn (a warning; ``strict: true`` makes it an error).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from support import DEMO, FIXTURES, MINI, make_study

from helpers import study
from helpers.errors import InputError
from helpers.ingest import config as config_mod
from helpers.ingest import pipeline as ingest
from helpers.ingest import transcripts
from helpers.ingest.cleaning import Redactor, clean_document
from helpers.ingest.config import DEFAULT_SPEAKERS
from helpers.ingest.conservation import check_document, missing_words, words
from helpers.ingest.transcripts import SpeakerLabels, read_transcript

LABELS = SpeakerLabels(DEFAULT_SPEAKERS)


def test_words_are_compared_normalised():
    # curly and straight apostrophes, case and NFC/NFD forms are one word; punctuation is not a word
    assert words("Don’t — CAFE\u0301, café!") == ["don't"[:3], "t", "café", "café"]


def test_missing_words_counts_a_multiset_and_finds_the_first():
    # "b" twice in the source, once kept: one missing, the second b (index 2)
    assert missing_words(["a", "b", "b", "c"], ["c", "b", "a"]) == (1, 2)
    assert missing_words(["a"], ["a", "x"]) == (0, None)


def test_check_document_accepts_stated_removals_and_redaction():
    source = ["Interview with Mary\n", "[00:01:02] I: Hello Mary.\n"]
    clean = "I: Hello (PSW).\n"
    removed = [("header", "Interview with Mary"), ("timestamp", "00"), ("timestamp", "01"), ("timestamp", "02")]
    assert check_document(source, clean, removed, Redactor([("Mary", "(PSW)")])) is None
    loss = check_document(source, clean, removed[:1], Redactor([("Mary", "(PSW)")]))
    # source words: interview with psw | 00 01 02 i hello psw = 9; the three timestamp
    # numbers are not accounted for; the passage starts at the first, word 4
    assert (loss.n_missing, loss.n_source, loss.first_passage) == (3, 9, "00 01 02 i hello psw")


def test_nothing_to_check_for_documents_without_a_reader_source():
    assert check_document(None, "x", []) is None


def _transcript_files() -> list[Path]:
    folders = [FIXTURES / "transcripts", FIXTURES / "coding" / "transcripts", DEMO / "transcripts"]
    folders += sorted(p / "transcripts" for p in (FIXTURES / "studies").iterdir() if (p / "transcripts").is_dir())
    return [f for folder in folders if folder.is_dir() for f in transcripts.transcript_files(folder)]


@pytest.mark.parametrize("path", _transcript_files(), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_fixture_and_demo_transcript_loses_no_word(path):
    try:
        raw = read_transcript(path, LABELS)
    except InputError:
        pytest.skip("a bad-input fixture: refused with its one-line error (tests/unit/test_transcripts.py)")
    doc = clean_document(raw, LABELS, Redactor([]), raw.doc_id)
    assert raw.seen_text, "the reader reported no source text"
    assert check_document(raw.seen_text, doc.text, raw.removed) is None


@pytest.mark.parametrize("root", [DEMO, MINI, FIXTURES / "studies" / "hostile"], ids=lambda p: p.name)
def test_demo_and_fixture_studies_pass_strict(root):
    config = config_mod.load_config(root)
    config.strict = True
    built = ingest.build(study.resolve(root), config)
    assert not [w for w in built.warnings if "not in the clean text" in w]


def _losing_reader(monkeypatch):
    """A text reader that drops the last turn, as a reader bug would (patched where the
    .txt reader looks it up: helpers.ingest.transcripts.text)."""
    from helpers.ingest.transcripts import text as text_reader

    original = text_reader.read_lines

    def read_lines(lines, labels, first_line=1):
        read = original(lines, labels, first_line)
        read.turns = read.turns[:-1]
        return read

    monkeypatch.setattr(text_reader, "read_lines", read_lines)


def test_a_lost_turn_is_a_warning_naming_the_file_and_passage(tmp_path, monkeypatch):
    _losing_reader(monkeypatch)
    root = make_study(tmp_path, {"transcripts/P01.txt": "I: How was it?\nP: Fine.\nI: Anything else?\nP: The bus.\n"})
    built = ingest.build(study.resolve(root), config_mod.load_config(root))
    assert ("transcripts/P01.txt: 3 of 12 words read from the source are not in the clean text and no stated rule "
            "removed them; first missing: \"p the bus\" — check the file in its own program (hidden or unusual "
            "text?); 'strict: true' in study.yml makes this an error") in built.warnings


def test_strict_makes_a_loss_an_error(tmp_path, monkeypatch):
    _losing_reader(monkeypatch)
    root = make_study(tmp_path, {"study.yml": "title: T\nstrict: true\n",
                                 "transcripts/P01.txt": "I: How was it?\nP: Fine.\nI: Anything else?\nP: The bus.\n"})
    with pytest.raises(InputError) as err:
        ingest.build(study.resolve(root), config_mod.load_config(root))
    assert str(err.value).startswith(f"error: {root / 'transcripts' / 'P01.txt'}: 3 of 12 words read from the source")


