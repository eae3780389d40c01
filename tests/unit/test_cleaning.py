"""Cleaning: normalisation, redaction, segments with offsets, annotations, identifier scan."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import REPO, TRANSCRIPTS

from helpers import textutil
from helpers.errors import InputError
from helpers.ingest import identifiers as idents
from helpers.ingest.cleaning import Redactor, clean_document, load_redactions, normalise
from helpers.ingest.config import DEFAULT_FILLERS, DEFAULT_SPEAKERS
from helpers.ingest.identifiers import scan_identifiers
from helpers.ingest.transcripts import RawDocument, SpeakerLabels, Turn, read_transcript

LABELS = SpeakerLabels(DEFAULT_SPEAKERS)
DEMO_TERMS = [("Mary Jones", "(PSW)"), ("Mary", "(PSW)"), ("Dev", "(PSW)"), ("Ashcombe", "(Town)"),
              ("07700 900461", "(Phone)"), ("mary.jones@larchfield.example.org", "(Email)")]


def raw_doc(*turns: tuple[str, str], doc_id: str = "D1") -> RawDocument:
    return RawDocument(doc_id, Path(f"{doc_id}.txt"), "txt", "interview", [Turn(s, t) for s, t in turns])


# -- normalisation ---------------------------------------------------------------------

def test_normalise_joins_lines_and_collapses_spaces():
    # NFC: "e" + combining acute (U+0301) -> "é"; CRLF, tabs and no-break spaces -> one space.
    assert normalise("  cafe\u0301\r\nnext\tline\u00a0 end  ") == "caf\u00e9 next line end"


# -- redaction ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    # longest term first: one placeholder, not "(PSW) Jones"
    ("Mary Jones came round.", "(PSW) came round."),
    # case-insensitive
    ("MARY JONES and mary and Mary.", "(PSW) and (PSW) and (PSW)."),
    # whole word only
    ("Dev helped my development in Devon.", "(PSW) helped my development in Devon."),
    ("Devs and bDev stay.", "Devs and bDev stay."),
    # possessives, straight and curly apostrophe
    ("Mary's flat and Mary\u2019s car", "(PSW)'s flat and (PSW)\u2019s car"),
    # a term with an internal space, across a line wrap or a double space
    ("ring 07700\n900461 or 07700  900461", "ring (Phone) or (Phone)"),
    # an email, and its trailing full stop kept
    ("Write to mary.jones@larchfield.example.org.", "Write to (Email)."),
    # punctuation is a word boundary: a missing space or a web address still hides the term
    ("she left.Mary came, see www.ashcombe.gov.uk", "she left.(PSW) came, see www.(Town).gov.uk"),
])
def test_redaction(text, expected):
    assert Redactor(DEMO_TERMS)(text) == expected


def test_redaction_counts_replacements_per_placeholder():
    redact = Redactor(DEMO_TERMS)
    redact("Mary Jones, then Mary, then Dev in Ashcombe.")
    # "Mary Jones" + "Mary" + "Dev" = 3 (PSW); "Ashcombe" = 1 (Town)
    assert redact.counts == {"(PSW)": 3, "(Town)": 1}
    assert redact.found_in("Dev from Ashcombe") == ["(PSW)", "(Town)"]
    assert redact.placeholders == {"(PSW)", "(Town)", "(Phone)", "(Email)"}


def test_no_terms_changes_nothing():
    assert Redactor([])("Mary Jones") == "Mary Jones"


def test_redaction_reaches_speaker_labels_and_text():
    clean = clean_document(raw_doc(("I", "Hello Mary."), ("Mary", "Hi.")), LABELS, Redactor(DEMO_TERMS), "D1")
    assert clean.text == "I: Hello (PSW).\n(PSW): Hi.\n"
    assert list(clean.segments["speaker"]) == ["I", "(PSW)"]
    assert "mary" not in clean.text.lower()


def test_load_redactions_default_replacement_and_empty_term(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("term,replacement\nMary,(PSW)\nAshcombe,\n", encoding="utf-8")
    assert load_redactions(good)("Mary in Ashcombe") == "(PSW) in (Redacted)"
    bad = tmp_path / "redactions.csv"
    bad.write_text("term,replacement\nMary,(PSW)\n,(Town)\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_redactions(bad)
    # header = row 1, "Mary" = row 2, the empty term = row 3
    assert str(info.value) == f"error: {bad}:row 3: empty term — fill in the term or delete the row"


def test_load_redactions_without_term_column(tmp_path):
    bad = tmp_path / "redactions.csv"
    bad.write_text("name,replacement\nMary,(PSW)\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_redactions(bad)
    assert str(info.value) == f"error: {bad}: no 'term' column — the first row must read: term,replacement"


# -- segments and offsets ------------------------------------------------------------------

def test_clean_text_layout_and_offsets_by_hand():
    raw = raw_doc(("I", "Hi  there."), ("P", "Mary\ncame."), ("", "[crosstalk]"))
    clean = clean_document(raw, LABELS, Redactor(DEMO_TERMS), "D1")
    # "I: Hi there.\n" -> utterance at 3..12; next line starts at 13:
    # "P: (PSW) came.\n" -> utterance at 16..27; next line at 28: no label -> 28..39
    assert clean.text == "I: Hi there.\nP: (PSW) came.\n[crosstalk]\n"
    segs = clean.segments
    assert list(segs["seg_no"]) == [1, 2, 3]
    assert list(zip(segs["start"], segs["end"])) == [(3, 12), (16, 27), (28, 39)]
    assert list(segs["speaker_role"]) == ["interviewer", "participant", "other"]
    for seg in segs.itertuples():
        assert clean.text[seg.start:seg.end] == seg.text


@pytest.mark.parametrize("name", ["labelled.txt", "timestamps.txt", "labelled.md", "voices.vtt", "labels.srt",
                                  "cp1252.txt", "bom_crlf.txt", "focus_group.txt"])
def test_offsets_invariant_on_every_fixture(name):
    raw = read_transcript(TRANSCRIPTS / name, LABELS)
    clean = clean_document(raw, LABELS, Redactor(DEMO_TERMS), raw.doc_id)
    assert len(clean.segments) == len(raw.turns)
    for seg in clean.segments.itertuples():
        assert clean.text[seg.start:seg.end] == seg.text
    assert "\r" not in clean.text and "\ufeff" not in clean.text


def test_start_time_is_kept_per_segment():
    raw = read_transcript(TRANSCRIPTS / "timestamps.txt", LABELS)
    clean = clean_document(raw, LABELS, Redactor([]), "T")
    assert list(clean.segments["start_time"]) == [83.0, 90.0, 3723.0]


def test_focus_group_turns_carry_their_speaker():
    labels = SpeakerLabels(DEFAULT_SPEAKERS, {"G01", "G02"})
    raw = read_transcript(TRANSCRIPTS / "focus_group.txt", labels)
    clean = clean_document(raw, labels, Redactor([]), None)
    assert clean.participant_id is None
    # facilitator turns belong to no participant (missing), the others to the speaker
    assert clean.segments["participant_id"].fillna("-").tolist() == ["-", "G01", "G02", "-", "G01"]


# -- annotations, fillers, placeholders ---------------------------------------------------

def test_annotations_kept_in_text_but_not_counted():
    clean = clean_document(raw_doc(("P", "I was fine [laughs] (inaudible) really.")), LABELS, Redactor([]), "D1")
    seg = clean.segments.iloc[0]
    assert seg["text"] == "I was fine [laughs] (inaudible) really."
    # words: I, was, fine, really = 4; annotations: [laughs], (inaudible) = 2
    assert seg["n_words"] == 4
    assert seg["n_annotations"] == 2


def test_placeholder_counts_as_one_word():
    clean = clean_document(raw_doc(("P", "Mary Jones rang me.")), LABELS, Redactor(DEMO_TERMS), "D1")
    # "(PSW) rang me." -> (PSW), rang, me = 3
    assert clean.segments.iloc[0]["n_words"] == 3
    assert textutil.tokens("(PSW) rang", lower=False, placeholders=None) == ["(PSW)", "rang"]
    # word analyses (textutil.PLACEHOLDER_RULE) drop it
    assert textutil.tokens("(PSW) rang", lower=False) == ["rang"]


def test_fillers_leave_word_analyses_but_stay_in_the_text():
    text = "Um, it was, erm, mm-hm, good [laughs]."
    # without fillers: it, was, good (the annotation never counts)
    assert textutil.tokens(text, fillers=set(DEFAULT_FILLERS)) == ["it", "was", "good"]
    clean = clean_document(raw_doc(("P", text)), LABELS, Redactor([]), "D1")
    assert clean.segments.iloc[0]["text"] == text


# -- identifier scan -------------------------------------------------------------------------

def scan(*utterances: str, terms=DEMO_TERMS):
    redact = Redactor(terms)
    clean = clean_document(raw_doc(*[("P", u) for u in utterances]), LABELS, redact, "D1")
    return clean, scan_identifiers([clean], redact.placeholders)


def test_scan_finds_email_phone_date_and_an_unlisted_name():
    email, phone, date, name = "joe.bloggs@example.com", "07700 900123", "3rd May 2021", "Gregor"
    clean, review = scan(f"Email {email} or ring {phone} before {date}.", f"I went with {name} to the shop.")
    assert sorted(review["kind"]) == ["date", "email", "phone number", "possible name"]
    assert list(review.columns) == ["doc_id", "seg_no", "kind", "hash", "length", "masked_context"]
    by_kind = review.set_index("kind")
    assert by_kind.loc["email", "length"] == len(email) == 22
    assert by_kind.loc["possible name", "seg_no"] == 2
    assert by_kind.loc["possible name", "masked_context"] == "I went with ⟨possible name⟩ to the shop."
    # no identifier appears in any context, not even a neighbour's
    for context in review["masked_context"]:
        for identifier in [email, phone, date, name, "example.com", "900123"]:
            assert identifier not in context


def test_scan_never_flags_placeholders_or_known_words():
    # Mary and Dev are redacted; "Tuesday" and "NHS" are common capitalised words;
    # "Hope" starts a sentence; "hope" also appears lower-cased in the corpus.
    _, review = scan("Mary and Dev met on Tuesday at the NHS clinic.", "Hope. I had hope then.")
    assert review.empty


def test_scan_flags_a_name_said_once_at_a_sentence_start():
    # "Marta" starts turn 1 and sentence 2 of turn 2 ("Gregor's"), each said once and never
    # lower-cased: not English words, so possible names. "Honestly", "Weirdly" (weird + ly) and
    # "Texting" (text + ing) start sentences too but are English words; "Hmm" is a filler.
    _, review = scan("Marta said I should go.", "Honestly it was fine. Gregor's driving me.",
                     "Weirdly that helped. Texting, mostly. Hmm.")
    names = review.loc[review["kind"] == "possible name"]
    assert names[["seg_no", "length"]].values.tolist() == [[1, len("Marta")], [2, len("Gregor's")]]
    assert names["masked_context"].tolist() == ["⟨possible name⟩ said I should go.",
                                                 "Honestly it was fine. ⟨possible name⟩ driving me."]


def test_scan_of_the_demo_flags_few_names(project_home):
    # the demo's one unlisted name mid-sentence (P08 t2) and its one said once at a sentence
    # start (P08 t52, "Gregor's going to drive me"): two, not dozens of sentence-start words
    import shutil

    import helpers
    from helpers.analysis.overview import report_table

    shutil.copytree(REPO / "data" / "raw" / "demo", project_home / "data" / "raw" / "demo")
    review = report_table(helpers.load_study("demo"), "identifier_review")
    names = review.loc[review["kind"] == "possible name"]
    assert names[["doc_id", "seg_no"]].values.tolist() == [["P08", "2"], ["P08", "52"]]


def test_scan_of_a_clean_fixture_holds_no_identifier_text():
    raw = read_transcript(TRANSCRIPTS / "labelled.txt", LABELS)
    clean = clean_document(raw, LABELS, Redactor([]), "labelled")
    review = scan_identifiers([clean], set())
    assert review.empty  # no names, numbers, dates or emails in it


def test_masked_context_is_cut_with_ellipses():
    long_left, long_right = "a " * 30, " b" * 30
    _, review = scan(f"{long_left}call 07700 900123{long_right}", terms=[])
    context = review.iloc[0]["masked_context"]
    assert context.startswith("…") and context.endswith("…")
    assert re.search(r"⟨phone number⟩", context)
    # 40 characters either side of the marker, plus the two ellipses
    assert len(context) == 1 + 40 + len("⟨phone number⟩") + 40 + 1


def test_masked_context_is_cut_between_words_never_inside_one():
    """The context was cut at 40 characters whatever fell there ("…ntleborough and"): a part
    word (a part name, a part street) reached the review table. Cuts fall between words."""
    # 40 characters before the number start inside "wintleborough" (characters 16–28 of the
    # 58 before it): the context starts after it; 40 after it end inside
    # "fenchurchgateshirewards" (characters 19–41 after it): the context ends before it.
    left = "we talked about wintleborough and the long walk home call "
    right = " tomorrow with the fenchurchgateshirewards people"
    _, review = scan(f"{left}07700 900123{right}", terms=[])
    context = review.loc[review["kind"] == "phone number", "masked_context"].iloc[0]
    assert context == "… and the long walk home call ⟨phone number⟩ tomorrow with the …"
    # a word that starts at the edge of the window is kept whole; one cut leaves nothing of it
    assert idents.context("ab cd ⟨x⟩ ef gh", 6, 9, width=3) == "…cd ⟨x⟩ ef…"
    assert idents.context("abcdef⟨x⟩ghijk", 6, 9, width=3) == "…⟨x⟩…"


def test_identifier_hash_cannot_be_undone_by_trying_every_number():
    """The hash was sha256(identifier)[:8]: trying every phone number gave the number back
    from the table alone. Keyed by the study's texts, it groups repeats and is not that."""
    import hashlib

    phone = "07700 900123"
    _, review = scan(f"ring {phone} now", f"or {phone} later", "or 07700 900999 then", terms=[])
    phones = review.loc[review["kind"] == "phone number", "hash"].tolist()
    assert len(phones) == 3 and phones[0] == phones[1] != phones[2]        # repeats grouped
    assert hashlib.sha256(phone.lower().encode()).hexdigest()[:8] not in phones
    assert all(re.fullmatch(r"[0-9a-f]{8}", h) for h in phones)
    _, again = scan(f"ring {phone} now", f"or {phone} later", "or 07700 900999 then", terms=[])
    assert again["hash"].tolist() == review["hash"].tolist()              # the same texts, the same hashes
