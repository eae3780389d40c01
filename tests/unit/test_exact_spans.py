"""Exact spans through cleaning (issue 14, point 1): a coded span imported from another program
comes out as the text that program shows, after the same cleaning rules, to the character.

The project is built here: UTF-8 with a byte-order mark, CRLF line ends, emoji outside the
Basic Multilingual Plane, positions in UTF-16 code units (NVivo 12). Every expected clean
quote below is written out by hand; the positions are computed with plain string arithmetic.
"""
from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path

import pytest

from helpers.ingest.cleaning import Redactor, clean_document
from helpers.ingest.config import DEFAULT_SPEAKERS, load_config
from helpers.ingest.pipeline import build
from helpers.ingest.transcripts import SpeakerLabels
from helpers.interop.refi import read_qdpx
from helpers.study import resolve

LABELS = SpeakerLabels(DEFAULT_SPEAKERS)
LINES = [
    "I: How was the week?",
    "P: Honestly? AMAZING!!! I slept 😴😴 through the night...",
    "P: Mary   came round 🎉 and we talked about Cafe\u0301 Nero.",
    "I: And then?",
    "P: Then it went wrong 😞",
]
SOURCE = "\r\n".join(LINES) + "\r\n"
# (selected source text, the clean text it must give) — by hand. Cleaning collapses the three
# spaces, composes "e" + U+0301 to "é" (NFC) and redacts Mary as (PSW).
SELECTIONS = [
    ("AMAZING!!!", "AMAZING!!!"),
    ("I slept 😴😴 through the night...", "I slept 😴😴 through the night..."),
    ("😴😴", "😴😴"),
    ("Mary   came round 🎉", "(PSW) came round 🎉"),
    ("ry   came", "(PSW) came"),                     # half a redacted name takes the whole placeholder
    ("Cafe\u0301 Nero.", "Café Nero."),
    ("P: Then it went wrong 😞", "P: Then it went wrong 😞"),   # from the line start: label kept
    ("the night...\r\nP: Mary", "the night...\nP: (PSW)"),     # across a line end
    ("Then it went wrong 😞\r\n", "Then it went wrong 😞\n"),   # the line break taken too
]


def utf16(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def project(path: Path) -> Path:
    selections = []
    for i, (quote, _) in enumerate(SELECTIONS, start=1):
        start = SOURCE.index(quote)
        selections.append(
            f'<PlainTextSelection guid="50000000-0000-4000-8000-0000000000{i:02d}" '
            f'startPosition="{utf16(SOURCE, start)}" endPosition="{utf16(SOURCE, start + len(quote))}">'
            f'<Coding guid="60000000-0000-4000-8000-0000000000{i:02d}">'
            f'<CodeRef targetGUID="A0000000-0000-4000-8000-0000000000{i:02d}"/></Coding></PlainTextSelection>')
    codes = "".join(f'<Code guid="A0000000-0000-4000-8000-0000000000{i:02d}" name="c{i}" isCodable="true"/>'
                    for i in range(1, len(SELECTIONS) + 1))
    xml = (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="t">'
           f'<CodeBook><Codes>{codes}</Codes></CodeBook><Sources>'
           f'<TextSource guid="C0000000-0000-4000-8000-000000000001" name="P01.txt" '
           f'plainTextPath="internal://C0000000-0000-4000-8000-000000000001.txt">{"".join(selections)}'
           f'</TextSource></Sources></Project>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", xml.encode("utf-8"))
        archive.writestr("Sources/C0000000-0000-4000-8000-000000000001.txt",
                         b"\xef\xbb\xbf" + SOURCE.encode("utf-8"))
    return path


@pytest.fixture
def study(tmp_path) -> Path:
    root = tmp_path / "study"
    (root / "codings").mkdir(parents=True)
    (root / "study.yml").write_text("title: exact spans\n", encoding="utf-8")
    (root / "redactions.csv").write_text("term,replacement\nMary,(PSW)\n", encoding="utf-8")
    project(root / "codings" / "nvivo.qdpx")
    return root


def test_every_selection_is_the_text_the_program_shows_after_cleaning(study):
    paths = resolve(study)
    b = build(paths, load_config(paths.raw))
    assert any("utf-16 code units" in w for w in b.warnings)
    text = b.texts["P01"]
    got = {c.code: text[c.start:c.end] for c in b.codings.itertuples()}
    assert got == {f"c{i}": clean for i, (_, clean) in enumerate(SELECTIONS, start=1)}
    assert set(b.codings["match"]) == {"refi"}
    # Turns: "Then it went wrong 😞" is turn 5; the cross-line selection touches turns 2 and 3.
    rows = b.codings.set_index("code")
    assert (rows.loc["c7", "seg_first"], rows.loc["c7", "seg_last"]) == (5, 5)
    assert (rows.loc["c8", "seg_first"], rows.loc["c8", "seg_last"]) == (2, 3)


def test_within_a_turn_the_span_equals_the_source_span_cleaned(tmp_path):
    # The same rules applied to the selected source text itself: NFC, runs of spaces as one,
    # redaction. (Turn edges are the only place cleaning adds or drops text.)
    ext = read_qdpx(project(tmp_path / "p.qdpx"))
    redact = Redactor([("Mary", "(PSW)")])
    [doc] = ext.documents
    clean = clean_document(doc, LABELS, redact, "P01")
    assert clean.mapped is not None and clean.mapped.text == clean.text
    for rec in ext.records.itertuples():
        quote = SOURCE[int(rec.start):int(rec.end)]
        if "\n" in quote or quote.startswith(("P: ", "ry")):
            continue
        s, e = clean.mapped.from_source(int(rec.start), int(rec.end))
        expected = redact(re.sub(" +", " ", unicodedata.normalize("NFC", quote)))
        assert clean.text[s:e] == expected, quote


def test_a_plain_callable_redaction_still_maps_unchanged_turns(tmp_path):
    ext = read_qdpx(project(tmp_path / "p.qdpx"))
    [doc] = ext.documents
    clean = clean_document(doc, LABELS, lambda s: s, "P01")
    start = SOURCE.index("AMAZING!!!")
    s, e = clean.mapped.from_source(start, start + 10)
    assert clean.text[s:e] == "AMAZING!!!"


def transcript_study(tmp_path: Path, transcript: str, yml: str = "") -> Path:
    root = tmp_path / "with_transcript"
    (root / "codings").mkdir(parents=True)
    (root / "transcripts").mkdir()
    (root / "study.yml").write_text("title: exact spans\n" + yml, encoding="utf-8")
    (root / "redactions.csv").write_text("term,replacement\nMary,(PSW)\n", encoding="utf-8")
    (root / "transcripts" / "P01.txt").write_text(transcript, encoding="utf-8", newline="")
    project(root / "codings" / "nvivo.qdpx")
    return root


def test_a_transcript_of_the_same_text_takes_the_spans_exactly(tmp_path):
    # The study has the transcript the project was coded on (same text, read by the transcript
    # reader): it cleans to the same clean text, so the project's spans map onto it exactly.
    root = transcript_study(tmp_path, SOURCE)
    b = build(resolve(root), load_config(root))
    text = b.texts["P01"]
    got = {c.code: text[c.start:c.end] for c in b.codings.itertuples()}
    assert got == {f"c{i}": clean for i, (_, clean) in enumerate(SELECTIONS, start=1)}
    assert set(b.codings["match"]) == {"refi"}
    # Each replacement counted once, though the project's text was cleaned a second time to compare.
    summary = b.report_tables["redaction_summary"].set_index("placeholder")["replacements"].to_dict()
    assert summary == {"(PSW)": 1}


def test_a_transcript_laid_out_differently_still_keeps_edge_punctuation(tmp_path):
    # The transcript has a last turn the project's text lacks: the clean texts differ (no
    # character map), so each selection's text is found verbatim in the clean text, punctuation
    # and emoji kept. (Turn 2 broken over two lines would not differ: the reader joins them.)
    # Half a name ("ry   came", c5) cannot be found in a redacted text: listed as unmatched.
    root = transcript_study(tmp_path, "\n".join(LINES) + "\nI: Thank you.\n",
                            "codings:\n  - {path: codings/nvivo.qdpx, strict: false}\n")
    b = build(resolve(root), load_config(root))
    text = b.texts["P01"]
    got = {c.code: text[c.start:c.end] for c in b.codings.itertuples()}
    want = {f"c{i}": clean for i, (_, clean) in enumerate(SELECTIONS, start=1)}
    want.pop("c5")
    want["c9"] = "Then it went wrong 😞"   # a quote's white space at its ends is not kept (cleaning's strip)
    assert got == want
    assert set(b.codings["match"]) == {"exact"}
    assert b.report_tables["quotes_unmatched"]["row"].tolist() == ["50000000-0000-4000-8000-000000000005"]
