"""Transcripts as researchers really have them (issue 13, points 2, 3, 4, 7, 8): other
shapes of the kinds the shared cases show. Every expected turn is read off the
input written in the test by hand.
"""
from __future__ import annotations

import io

import docx
import pytest
from docx.oxml import parse_xml

from helpers.errors import InputError
from helpers.ingest.cleaning import Redactor, clean_document
from helpers.ingest.config import DEFAULT_SPEAKERS
from helpers.ingest.conservation import check_document
from helpers.ingest.transcripts import SpeakerLabels, read_transcript

LABELS = SpeakerLabels(DEFAULT_SPEAKERS)
NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def turns_of(doc):
    return [(t.speaker, t.text) for t in doc.turns]


def conserved(doc, labels=LABELS) -> bool:
    clean = clean_document(doc, labels, Redactor([]), doc.doc_id)
    return check_document(doc.seen_text, clean.text, doc.removed) is None


def write_docx(path, body_xml: list[str]):
    """A .docx whose body is exactly these elements (WordprocessingML written by hand)."""
    document = docx.Document()
    body = document.element.body
    for child in list(body):
        if not child.tag.endswith("sectPr"):
            body.remove(child)
    for xml in body_xml:
        body.insert(len(body) - 1, parse_xml(xml.replace(">", f" {NS}>", 1)))
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def p(inner: str) -> str:
    return f"<w:p>{inner}</w:p>"


def r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


# -- Word: other XML wrappers -------------------------------------------------------------

def test_docx_hyperlinks_fields_smart_tags_and_custom_xml_keep_their_text(tmp_path):
    path = write_docx(tmp_path / "P01.docx", [
        p(r("I: Where did you find ") + '<w:hyperlink r:id="rId99" xmlns:r="http://schemas.openxmlformats.org/'
          'officeDocument/2006/relationships">' + r("the leaflet") + "</w:hyperlink>" + r("?")),
        # a simple field (its result text is shown) and a complex field (code hidden, result shown)
        p(r("P: On ") + '<w:fldSimple w:instr=" DATE ">' + r("the board") + "</w:fldSimple>"
          + '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>'
          + '<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + r(" by the lifts") +
          '<w:r><w:fldChar w:fldCharType="end"/></w:r>' + r(".")),
        p('<w:smartTag w:uri="urn:x" w:element="place">' + r("I: And then?") + "</w:smartTag>"),
        '<w:customXml w:element="answer">' + p(r("P: I rang them.")) + "</w:customXml>",
    ])
    doc = read_transcript(path, LABELS)
    assert turns_of(doc) == [("I", "Where did you find the leaflet?"), ("P", "On the board by the lifts."),
                             ("I", "And then?"), ("P", "I rang them.")]
    assert "PAGE" not in " ".join(t.text for t in doc.turns) and conserved(doc)


def test_docx_soft_line_breaks_start_turns_and_moves_are_read_where_they_land(tmp_path):
    path = write_docx(tmp_path / "P01.docx", [
        p(r("I: How was it?") + "<w:r><w:br/></w:r>" + r("P: Hard at first.")),
        p('<w:moveFrom w:id="1" w:author="A" w:date="2026-01-01T00:00:00Z">' + r(" Then easier.") + "</w:moveFrom>"),
        p(r("I: And now?")),
        p(r("P: Better.") + '<w:moveTo w:id="2" w:author="A" w:date="2026-01-01T00:00:00Z">' + r(" Then easier.")
          + "</w:moveTo>"),
    ])
    doc = read_transcript(path, LABELS)
    assert turns_of(doc) == [("I", "How was it?"), ("P", "Hard at first."), ("I", "And now?"),
                             ("P", "Better. Then easier.")]
    assert any("tracked changes accepted" in n and "1 insertion kept, 1 deletion left out" in n for n in doc.notes)
    assert conserved(doc)


def _table(rows: list[list[str]]) -> str:
    cells = "".join("<w:tr>" + "".join(f"<w:tc>{p(r(c))}</w:tc>" for c in row) + "</w:tr>" for row in rows)
    return f"<w:tbl>{cells}</w:tbl>"


def test_docx_transcript_table_in_any_column_order_with_times(tmp_path):
    path = write_docx(tmp_path / "P01.docx", [
        p(r("Interview 4, transcribed 2026")),
        _table([["Text", "Time", "Speaker"],
                ["How did it start?", "00:00:05", "Interviewer"],
                ["With a phone call.", "00:00:09", "Participant"],
                ["From the ward.", "", ""],
                ["Who rang?", "00:01:10", "Interviewer"]]),
    ])
    doc = read_transcript(path, LABELS)
    assert turns_of(doc) == [("Interviewer", "How did it start?"),
                             ("Participant", "With a phone call. From the ward."), ("Interviewer", "Who rang?")]
    assert [t.start_time for t in doc.turns] == [5.0, 9.0, 70.0]
    assert any("line 1 before the first speaker label kept out of the turns" in n for n in doc.notes)
    assert conserved(doc)


def test_docx_table_without_header_speaker_column_found_by_its_labels(tmp_path):
    path = write_docx(tmp_path / "P01.docx", [
        _table([["1", "I", "Tell me about the group."], ["2", "P", "It was every Tuesday."]])])
    doc = read_transcript(path, LABELS)
    assert turns_of(doc) == [("I", "Tell me about the group."), ("P", "It was every Tuesday.")]
    assert conserved(doc) is False  # the row numbers "1", "2" are neither text nor a stated removal


# -- captions and timestamps ----------------------------------------------------------------

@pytest.mark.parametrize("line, label, text, seconds", [
    ("{00:01:02} I: Hello.", "I", "Hello.", 62.0),
    ("#00:01:02.500# I: Hello.", "I", "Hello.", 62.5),
    ("I (00:01:02): Hello.", "I", "Hello.", 62.0),
    ("I: [00:01:02] Hello.", "I", "Hello.", 62.0),
    ("I: 01:02:03 Hello.", "I", "Hello.", 3723.0),
    ("(1:02) Interviewer: Hello.", "Interviewer", "Hello.", 62.0),
])
def test_timestamp_forms_become_start_time(tmp_path, line, label, text, seconds):
    path = tmp_path / "P01.txt"
    path.write_text(f"{line}\nP: Hi.\n", encoding="utf-8")
    doc = read_transcript(path, LABELS)
    assert (doc.turns[0].speaker, doc.turns[0].text, doc.turns[0].start_time) == (label, text, seconds)
    assert conserved(doc)


def test_clock_time_spoken_after_a_label_stays_speech(tmp_path):
    path = tmp_path / "P01.txt"
    path.write_text("I: When?\nP: 12:30 on the ward.\n", encoding="utf-8")
    assert turns_of(read_transcript(path, LABELS))[1] == ("P", "12:30 on the ward.")


def test_name_and_time_on_one_line_words_on_the_next(tmp_path):
    # as transcription services export: "Name  0:04", then the words
    path = tmp_path / "P01.txt"
    path.write_text("Interviewer  0:04\nThanks for joining.\n\nParticipant  0:09\nNo problem.\nHappy to.\n",
                    encoding="utf-8")
    doc = read_transcript(path, LABELS)
    assert turns_of(doc) == [("Interviewer", "Thanks for joining."), ("Participant", "No problem. Happy to.")]
    assert [t.start_time for t in doc.turns] == [4.0, 9.0]
    assert conserved(doc)


def test_srt_with_bom_and_no_blank_lines_between_cues(tmp_path):
    path = tmp_path / "P01.srt"
    path.write_bytes("\ufeff\n\n1\n00:00:01,000 --> 00:00:02,000\nI: Hello.\n2\n00:00:02,500 --> 00:00:04,000\n"
                     "- P: Hi there.\n- I: Ready?\n".encode("utf-8"))
    doc = read_transcript(path, LABELS)
    assert turns_of(doc) == [("I", "Hello."), ("P", "Hi there."), ("I", "Ready?")]
    assert [t.start_time for t in doc.turns] == [1.0, 2.5, 2.5]
    assert conserved(doc)


def test_vtt_note_and_style_blocks_and_voice_classes(tmp_path):
    path = tmp_path / "P01.vtt"
    path.write_text("WEBVTT\n\nSTYLE\n::cue { color: red }\n\nNOTE recorded on Zoom\n\n"
                    "00:00:01.000 --> 00:00:02.000\n<v.loud Interviewer>Hello &amp; welcome.</v>\n\n"
                    "00:00:02.500 --> 00:00:04.000\n<v Participant><i>Thanks.</i></v>\n", encoding="utf-8")
    doc = read_transcript(path, LABELS)
    assert turns_of(doc) == [("Interviewer", "Hello & welcome."), ("Participant", "Thanks.")]
    assert conserved(doc)


# -- speakers ----------------------------------------------------------------------------------

def test_recurring_unknown_label_is_warned_with_the_line_that_fixes_it(tmp_path):
    path = tmp_path / "P01.txt"
    path.write_text("I: How are you?\nClient: Fine.\nI: Really?\nClient: Mostly.\n", encoding="utf-8")
    doc = read_transcript(path, LABELS)
    assert f"{path}: 'Client:' starts 2 lines but is not a speaker label, so those lines were joined to the turn " \
           "before — if it is a speaker, add it in study.yml: speakers: {participant: [P, Participant, R, " \
           "Respondent, Interviewee, Client]} (keep the other roles' lines)" in doc.notes
    assert f"{path}: no participant turns (labels seen: I) — add the participant's label in study.yml: " \
           "speakers: {participant: [P, Participant, R, Respondent, Interviewee, <label>]} (keep the other roles' " \
           "lines)" in doc.notes


def test_an_unknown_label_seen_once_is_warned_too(tmp_path):
    """A misspelt pseudonym ('Sabel:' for Sable) and an unlisted speaker, once each: their
    words were joined to Fenwick's turns, counted as P06's, with no warning."""
    path = tmp_path / "FG1.txt"
    path.write_text("Facilitator: What would help?\nFenwick: Fewer quick returns.\nSabel: And a rest room.\n"
                    "Fenwick: Better food.\nMarcus Hale: The breaks are fine.\n", encoding="utf-8")
    labels = SpeakerLabels({"interviewer": ["Facilitator"], "participant": ["Fenwick", "Sable"]})
    doc = read_transcript(path, labels)
    for label in ("Sabel", "Marcus Hale"):
        assert any(n.startswith(f"{path}: '{label}:' starts 1 line but is not a speaker label, so that line was "
                                "joined to the turn before") for n in doc.notes), doc.notes


def test_interview_without_interviewer_turns_is_warned(tmp_path):
    path = tmp_path / "P01.txt"
    path.write_text("Q: How are you?\nP: Fine.\n", encoding="utf-8")
    doc = read_transcript(path, LABELS)
    assert any(n.startswith(f"{path}: no interviewer turns in this interview") for n in doc.notes)


def test_pseudonym_from_participants_is_a_label(tmp_path):
    labels = SpeakerLabels(DEFAULT_SPEAKERS, {"P07"}, {"Jo": "P07"})
    path = tmp_path / "Interview_7.txt"
    path.write_text("I: Hello.\nJo: Hi.\n", encoding="utf-8")
    doc = read_transcript(path, labels)
    assert turns_of(doc) == [("I", "Hello."), ("Jo", "Hi.")]
    assert labels.role_of("jo") == "participant" and labels.canonical_participant("JO") == "P07"


# -- other formats and encodings ---------------------------------------------------------------

def test_odt_is_read(tmp_path):
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Interview 3"))
    document.text.addElement(P(text="I: What helped?"))
    document.text.addElement(P(text="P: Being listened to."))
    path = tmp_path / "P03.odt"
    document.save(str(path))
    doc = read_transcript(path, LABELS)
    assert turns_of(doc) == [("I", "What helped?"), ("P", "Being listened to.")]
    assert doc.format == "odt" and conserved(doc)


def test_rtf_is_read(tmp_path):
    path = tmp_path / "P02.rtf"
    path.write_text(r"{\rtf1\ansi {\fonttbl {\f0 Arial;}}\f0 I: Where?\par P: In the caf\'e9.\par}", encoding="ascii")
    doc = read_transcript(path, LABELS)
    assert turns_of(doc) == [("I", "Where?"), ("P", "In the café.")]


@pytest.mark.parametrize("name, what", [
    ("P01.pdf", "a PDF cannot be read reliably (columns, headers and page numbers mix with the words)"),
    ("P01.pages", "an Apple Pages file cannot be read"),
    ("P01.DOC", "an old Word .doc file cannot be read"),
])
def test_formats_refused_by_name_with_how_to_convert(tmp_path, name, what):
    path = tmp_path / name
    path.write_bytes(b"whatever")
    with pytest.raises(InputError) as err:
        read_transcript(path, LABELS)
    assert str(err.value).startswith(f"error: {path}: {what} — ")


def test_utf8_with_a_few_stray_bytes_is_utf8_with_the_bytes_named(tmp_path):
    # "I: café\n" is 9 bytes (é is 2); line 2 "P: caf" then 0xE9 (a Windows-1252 é) at byte 15
    path = tmp_path / "P01.txt"
    path.write_bytes("I: café\n".encode("utf-8") + b"P: caf\xe9 au lait.\n")
    doc = read_transcript(path, LABELS)
    assert doc.encoding == "utf-8"
    assert turns_of(doc) == [("I", "café"), ("P", "caf\ufffd au lait.")]
    assert doc.notes == [f"{path}: 1 byte that is not UTF-8 in a UTF-8 file (line 2 byte 15): read as UTF-8 "
                         "with each replaced by '\ufffd' — re-save the file as UTF-8 to check those places"]


def test_a_cyrillic_code_page_is_detected(tmp_path):
    text = ("I: Расскажите, пожалуйста, как вы познакомились с вашим консультантом?\n"
            "P: Это было в больнице, она пришла и просто села рядом со мной, и мы долго разговаривали.\n")
    path = tmp_path / "P01.txt"
    path.write_bytes(text.encode("cp1251"))
    doc = read_transcript(path, LABELS)
    assert doc.encoding == "cp1251" and doc.turns[1].text.startswith("Это было в больнице")


def test_docx_headers_footers_and_comments_are_not_turns_but_are_scanned(tmp_path):
    from helpers import study
    from helpers.ingest import config as config_mod
    from helpers.ingest import pipeline as ingest

    document = docx.Document()
    document.add_paragraph("I: How are you?")
    document.add_paragraph("P: Fine, thanks.")
    document.sections[0].header.paragraphs[0].text = "Interview with Belinda Quarrington, ward 7"
    document.sections[0].footer.paragraphs[0].text = "Call 01632 960123 to rearrange"
    root = tmp_path / "study"
    (root / "transcripts").mkdir(parents=True)
    (root / "study.yml").write_text("title: T\n", encoding="utf-8")
    document.save(root / "transcripts" / "P01.docx")
    built = ingest.build(study.resolve(root), config_mod.load_config(root))
    assert list(built.segments["text"]) == ["How are you?", "Fine, thanks."]
    review = built.report_tables["identifier_review"]
    side = review[review["seg_no"] == 0]
    # "Belinda", "Quarrington" (capitalised, never lower-case in the study) and the phone number;
    # the warning counts 6 + 5 words (split on spaces)
    assert sorted(side["kind"]) == ["phone number", "possible name", "possible name"]
    assert "Quarrington" not in " ".join(side["masked_context"])
    assert ("transcripts/P01.docx: headers, footers, comments or notes hold 11 words: not read as transcript "
            "text, but scanned for identifiers (tables/identifier_review.csv, seg_no 0)") in built.warnings
