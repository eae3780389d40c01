"""Transcript readers: every format and encoding, and one-line errors for bad files.

Expected turns are read off the fixture files under tests/fixtures/transcripts/ by hand.
"""
from __future__ import annotations

import shutil

import docx
import pytest
from support import TRANSCRIPTS

from helpers.errors import InputError
from helpers.ingest.config import DEFAULT_SPEAKERS
from helpers.ingest.transcripts import SpeakerLabels, read_transcript, transcript_files

LABELS = SpeakerLabels(DEFAULT_SPEAKERS)


def turns_of(doc):
    return [(t.speaker, t.text) for t in doc.turns]


# -- plain text and markdown ------------------------------------------------------

def test_txt_labels_start_turns_and_unlabelled_lines_continue_them():
    doc = read_transcript(TRANSCRIPTS / "labelled.txt", LABELS)
    # Lines 2 and 5 have no label: they join the turn above with one space;
    # the blank line 3 is skipped; line 6 "P:" follows a P turn but still starts a new turn.
    assert turns_of(doc) == [
        ("I", "Thanks for coming in. Could you start with how you met?"),
        ("P", "It was on the ward. She came over."),
        ("P", "And she said hello."),
        ("I", "Mm-hm."),
    ]
    assert [t.line for t in doc.turns] == [1, 4, 6, 7]
    assert (doc.doc_id, doc.format, doc.kind, doc.encoding) == ("labelled", "txt", "interview", "utf-8")
    assert [LABELS.role_of(t.speaker) for t in doc.turns] == ["interviewer", "participant", "participant", "interviewer"]


def test_same_speaker_on_consecutive_labelled_lines_gives_two_turns(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("P: One.\nP: Two.\nP: Three.\n", encoding="utf-8")
    assert turns_of(read_transcript(path, LABELS)) == [("P", "One."), ("P", "Two."), ("P", "Three.")]


def test_timestamps_leave_the_text_and_become_start_time():
    doc = read_transcript(TRANSCRIPTS / "timestamps.txt", LABELS)
    # [00:01:23] = 1*60 + 23 = 83 s; [00:01:30] = 90 s; [01:02:03] = 3600 + 120 + 3 = 3723 s.
    assert turns_of(doc) == [("Interviewer", "How did it start?"), ("Participant", "Slowly."),
                             ("Interviewer", "And then?")]
    assert [t.start_time for t in doc.turns] == [83.0, 90.0, 3723.0]
    assert all("00:" not in t.text for t in doc.turns)


def test_a_clock_time_that_begins_a_continuation_line_is_speech(tmp_path):
    # "12:30" without brackets is what the participant said, not a timestamp.
    path = tmp_path / "x.txt"
    path.write_text("I: When?\nP: We met at\n12:30 on the ward.\n", encoding="utf-8")
    assert turns_of(read_transcript(path, LABELS)) == [("I", "When?"), ("P", "We met at 12:30 on the ward.")]


def test_markdown_with_bold_labels():
    doc = read_transcript(TRANSCRIPTS / "labelled.md", LABELS)
    assert doc.format == "md"
    assert turns_of(doc) == [("I", "What did it mean to you?"), ("P", "A lot [laughs]. It meant a lot.")]


# -- encodings -------------------------------------------------------------------

def test_cp1252_with_curly_quotes_is_decoded():
    doc = read_transcript(TRANSCRIPTS / "cp1252.txt", LABELS)
    assert doc.encoding == "cp1252"
    # bytes 0x93 0x94 -> “ ”, 0x92 -> ’, 0x96 -> –, 0xE9 -> é (Windows-1252 table)
    assert turns_of(doc) == [("I", "What did \u201cpeer\u201d mean?"),
                             ("P", "Someone who\u2019s been there \u2013 in the caf\u00e9.")]
    assert not any("\r" in t.text for t in doc.turns)


def test_utf8_bom_and_crlf_leave_no_trace():
    doc = read_transcript(TRANSCRIPTS / "bom_crlf.txt", LABELS)
    assert doc.encoding == "utf-8-sig"
    assert turns_of(doc) == [("Interviewer", "First line. still first."), ("Participant", "Second.")]
    for turn in doc.turns:
        assert "\ufeff" not in turn.text + turn.speaker and "\r" not in turn.text


def test_utf16_with_bom_as_windows_notepad_saves_it(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes("I: Caf\u00e9?\r\nP: Yes.\r\n".encode("utf-16"))  # BOM + UTF-16-LE, NUL bytes inside
    doc = read_transcript(path, LABELS)
    assert doc.encoding == "utf-16"
    assert turns_of(doc) == [("I", "Caf\u00e9?"), ("P", "Yes.")]


# -- Word --------------------------------------------------------------------------

def test_docx_paragraphs(tmp_path):
    document = docx.Document()
    for text in ["Interviewer: How did you meet?", "It was a while ago, I think.", "",
                 "Participant: On the ward."]:
        document.add_paragraph(text)
    line_break = document.add_paragraph("Interviewer: And then?")
    line_break.add_run().add_break()  # Shift+Enter inside one paragraph
    line_break.add_run("Participant: Then she rang.")
    path = tmp_path / "D1.docx"
    document.save(path)
    doc = read_transcript(path, LABELS)
    assert (doc.doc_id, doc.format, doc.encoding) == ("D1", "docx", None)
    assert turns_of(doc) == [("Interviewer", "How did you meet? It was a while ago, I think."),
                             ("Participant", "On the ward."), ("Interviewer", "And then?"),
                             ("Participant", "Then she rang.")]


def test_docx_speaker_text_table_under_a_title(tmp_path):
    document = docx.Document()
    document.add_paragraph("Interview transcript, D2")
    table = document.add_table(rows=0, cols=2)
    rows = [("Speaker", "Text"), ("I", "How did you meet?"), ("P", "On the\nward."), ("", "She was kind."),
            ("Interviewer", "Thanks.")]
    for speaker, text in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = speaker, text
    path = tmp_path / "D2.docx"
    document.save(path)
    # The header row is not a speaker; a row with an empty speaker cell continues the turn above.
    assert turns_of(read_transcript(path, LABELS)) == [
        ("I", "How did you meet?"), ("P", "On the ward. She was kind."), ("Interviewer", "Thanks.")]


# -- captions ----------------------------------------------------------------------

def test_webvtt_voice_tags_cue_ids_and_a_turn_over_three_cues():
    doc = read_transcript(TRANSCRIPTS / "voices.vtt", LABELS)
    assert doc.format == "vtt"
    # cues 2-4 are one Participant utterance split over three cues: one turn, starting at cue 2.
    assert turns_of(doc) == [("Interviewer", "How did you meet?"),
                             ("Participant", "It was after I came home from hospital."),
                             ("Interviewer", "Mm-hm.")]
    assert [t.start_time for t in doc.turns] == [1.0, 3.5, 8.0]
    assert not any("cue-" in t.text or "-->" in t.text or "<v" in t.text for t in doc.turns)


def test_srt_labels_unlabelled_cue_and_same_speaker_merge():
    doc = read_transcript(TRANSCRIPTS / "labels.srt", LABELS)
    assert doc.format == "srt"
    # cue 2 has no label: continues INTERVIEWER; cues 3 and 4 are both Participant: merged.
    assert turns_of(doc) == [("INTERVIEWER", "Thanks for coming. Could you say how you met?"),
                             ("Participant", "On the ward. She was kind."), ("INTERVIEWER", "Right.")]
    assert [t.start_time for t in doc.turns] == [1.0, 4.5, 7.5]
    assert LABELS.role_of("INTERVIEWER") == "interviewer"


# -- focus groups ---------------------------------------------------------------------

def test_focus_group_labels_are_participant_ids():
    labels = SpeakerLabels(DEFAULT_SPEAKERS, {"G01", "G02"})
    doc = read_transcript(TRANSCRIPTS / "focus_group.txt", labels)
    assert doc.kind == "focus_group"
    assert [t.speaker for t in doc.turns] == ["Facilitator", "G01", "G02", "Facilitator", "g01"]
    assert [labels.canonical_participant(t.speaker) for t in doc.turns] == [None, "G01", "G02", None, "G01"]
    assert [labels.role_of(t.speaker) for t in doc.turns] == ["interviewer", "participant", "participant",
                                                              "interviewer", "participant"]


def test_one_known_participant_speaking_is_still_an_interview(tmp_path):
    labels = SpeakerLabels(DEFAULT_SPEAKERS, {"G01", "G02"})
    path = tmp_path / "G01.txt"
    path.write_text("I: Hello.\nG01: Hi.\n", encoding="utf-8")
    assert read_transcript(path, labels).kind == "interview"


# -- bad input: exactly one line each ------------------------------------------------

def one_line(exc: InputError) -> str:
    assert len(exc.problems) == 1
    line = str(exc)
    assert "\n" not in line and line.startswith("error: ")
    return line


@pytest.mark.parametrize("name, where, what, fix", [
    ("empty.txt", None, "the file is empty", "export the transcript again, or remove the file"),
    ("binary.txt", None, "the file holds binary data (NUL bytes), not text", "save the transcript as plain text (UTF-8)"),
    ("renamed_pdf.txt", None, "this is a PDF file, not text", "save the transcript as .txt or .docx and replace the file"),
    # "I: first line\n" is 14 bytes, "P: caf" 6 more: 0x81 (undefined in cp1252) is byte 20, on line 2.
    ("undecodable.txt", "line 2", "bytes that are neither UTF-8 nor Windows-1252 text (byte 20)", "re-save the file as UTF-8 text"),
    ("not_a_zip.docx", None, "not a readable Word document (BadZipFile)", "open it in Word and save it again as .docx"),
    ("no_labels.txt", None, "no speaker labels found (e.g. 'I:' / 'P:' at line start)",
     "label each turn, or add the labels used to 'speakers:' in study.yml"),
])
def test_bad_transcript_gives_one_line(tmp_path, name, where, what, fix):
    path = tmp_path / name
    shutil.copy(TRANSCRIPTS / name, path)
    with pytest.raises(InputError) as info:
        read_transcript(path, LABELS)
    place = str(path) if where is None else f"{path}:{where}"
    assert one_line(info.value) == f"error: {place}: {what} — {fix}"


@pytest.mark.parametrize("bad_byte", [0x81, 0x8D, 0x8F, 0x90, 0x9D])
def test_every_byte_undefined_in_cp1252_is_refused(tmp_path, bad_byte):
    path = tmp_path / "x.txt"
    path.write_bytes(b"I: ok\nP: x" + bytes([bad_byte]) + b"\n")
    with pytest.raises(InputError) as info:
        read_transcript(path, LABELS)
    # "I: ok\n" = 6 bytes, "P: x" = 4: the bad byte is byte 10, line 2.
    assert "line 2: bytes that are neither UTF-8 nor Windows-1252 text (byte 10)" in one_line(info.value)


def test_whitespace_only_file_is_empty(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes(b"  \r\n\n\t\n")
    with pytest.raises(InputError, match="the file is empty"):
        read_transcript(path, LABELS)


def test_vtt_malformed_timing_names_the_line(tmp_path):
    path = tmp_path / "bad_timing.vtt"
    shutil.copy(TRANSCRIPTS / "bad_timing.vtt", path)
    with pytest.raises(InputError) as info:
        read_transcript(path, LABELS)
    # line 1 WEBVTT, 2 blank, 3 "1", 4 timing, 5 text, 6 blank, 7 "2", 8 the bad timing.
    assert one_line(info.value).startswith(f"error: {path}:line 8: malformed cue timing '00:00:02.000 --> 00:00:0x.500' — ")


def test_vtt_single_arrow_timing_names_the_line(tmp_path):
    path = tmp_path / "x.vtt"
    path.write_text("WEBVTT\n\n00:00:01.000 -> 00:00:02.000\n<v I>Hi</v>\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_transcript(path, LABELS)
    assert one_line(info.value).startswith(f"error: {path}:line 3: malformed cue timing ")


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "x.xyz"
    path.write_text("I: hi\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_transcript(path, LABELS)
    assert one_line(info.value) == (f"error: {path}: unsupported transcript format .xyz — "
                                    "save it as .txt, .md, .docx, .odt, .rtf, .vtt or .srt, or move it out of transcripts/")


def test_transcript_files_skips_hidden_and_lock_files_but_not_other_formats(tmp_path):
    # notes.pdf is listed so that read_transcript refuses it by name: never skipped silently
    for name in ["b.txt", "a.docx", ".hidden.txt", "~$a.docx", "notes.pdf", "c.SRT"]:
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert [p.name for p in transcript_files(tmp_path)] == ["a.docx", "b.txt", "c.SRT", "notes.pdf"]
    assert transcript_files(tmp_path / "missing") == []


def test_speaker_labels_match_as_every_term_does_and_keep_the_line_as_written():
    """A focus-group pseudonym D'Arcy typed "D’Arcy:" (curly apostrophe, as Word writes it) was
    no label: its lines joined the turn before (the facilitator's, another participant's) and,
    since the label-like check folded the apostrophe, no warning said so. Labels now compare
    through helpers.matching's folding (NFC, case, accents, apostrophe and dash variants)."""
    import unicodedata

    from helpers.ingest.transcripts.speakers import unknown_labels

    labels = SpeakerLabels({"interviewer": ["Peer-Worker"]}, {"P06", "P07"},
                           {"D'Arcy": "P06", "Zoë": "P07"})
    lines = ["D’Arcy: I noticed that.", "D‘ARCY: again", "Zoe: it’s fine", unicodedata.normalize("NFD", "Zoë: yes"),
             "ZOË (00:01:02): stamped", "Peer–Worker: a question?", "[00:00:05] d'arcy: late"]
    split = [labels.split(line) for line in lines]
    assert [s[0] for s in split] == ["D’Arcy", "D‘ARCY", "Zoe", unicodedata.normalize("NFD", "Zoë"), "ZOË",
                                     "Peer–Worker", "d'arcy"]
    assert [s[1] for s in split] == ["I noticed that.", "again", "it’s fine", "yes", "stamped", "a question?", "late"]
    assert [labels.canonical_participant(s[0]) for s in split] == ["P06", "P06", "P07", "P07", "P07", None, "P06"]
    assert labels.role_of("Peer–Worker") == "interviewer"
    assert split[4][2] == 62.0 and split[6][2] == 5.0
    assert unknown_labels(lines, labels) == {}
    # a name that is no label is still said, and a line without a label stays the line
    assert unknown_labels(["Darcey: hello"], labels) == {"Darcey": 1}
    # in any script: an unlisted "Ærø:" or "Łucja:" joins the turn before, so it is said too
    assert unknown_labels(["Ærø: hello", "Łucja Nowak: hi", "and then: more"], labels) == {"Ærø": 1, "Łucja Nowak": 1}
    # a header line such as "Transcribed by: …" is no speaker (every word of a label is capitalised)
    assert unknown_labels(["Transcribed by: A. Smith", "Date of interview: 3 May"], labels) == {}
    assert labels.split("Ærø is lovely") == (None, "Ærø is lovely", None)
