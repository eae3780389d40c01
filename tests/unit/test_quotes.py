"""Quote alignment (helpers.ingest.quotes.align_quote), on small hand-made documents."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers.ingest.cleaning import Redactor, clean_document
from helpers.ingest.config import DEFAULT_FILLERS
from helpers.ingest.quotes import align_quote
from helpers.ingest.transcripts import RawDocument, SpeakerLabels, Turn

LABELS = SpeakerLabels({"interviewer": ["I"], "participant": ["P"]})
NO_REDACTION = Redactor([])


def make_doc(*turns: tuple[str, str], redact=NO_REDACTION):
    raw = RawDocument("D1", Path("D1.txt"), "txt", "interview", [Turn(s, t) for s, t in turns])
    return clean_document(raw, LABELS, redact, "P01")


def span(doc, match) -> str:
    return doc.text[match.start:match.end]


def test_exact_offsets_worked_by_hand():
    doc = make_doc(("I", "Hello there."), ("P", "It was after hospital, um, really."))
    # clean text: "I: Hello there.\n" (16 chars) then "P: " (3) -> turn 2 starts at 19;
    # "It was after hospital" is 21 characters -> [19, 40).
    m = align_quote("IT WAS   after hospital", doc, NO_REDACTION, DEFAULT_FILLERS)
    assert (m.start, m.end, m.method, m.score, m.n_occurrences) == (19, 40, "exact", 1.0, 1)
    assert (m.seg_first, m.seg_last) == (2, 2)


def test_curly_quotes_dashes_and_punctuation_are_normalised():
    doc = make_doc(("P", "She said there’s this new thing – peer support. Right."))
    m = align_quote("she said there's this new thing - peer support", doc, NO_REDACTION, DEFAULT_FILLERS)
    assert m.method == "exact"
    assert span(doc, m) == "She said there’s this new thing – peer support"


def test_fillers_and_annotations_ignored_on_both_sides():
    doc = make_doc(("P", "Um, it was, er, the best thing [laughs] really."))
    # the quote drops the fillers the text has, and adds an annotation the text lacks
    m = align_quote("it was the best thing (pause) really", doc, NO_REDACTION, DEFAULT_FILLERS)
    assert m.method == "exact"
    assert span(doc, m) == "it was, er, the best thing [laughs] really"


def test_elided_quote_spans_first_to_last_piece():
    doc = make_doc(("P", "I went to the cafe with him and at first I could not order, and by the end I ordered for both."))
    m = align_quote("I went to the cafe ... by the end I ordered for both", doc, NO_REDACTION, DEFAULT_FILLERS)
    assert m.method == "elided" and m.score == 1.0
    assert span(doc, m) == "I went to the cafe with him and at first I could not order, and by the end I ordered for both"


def test_elision_with_unicode_ellipsis_and_pieces_in_order_within_one_turn():
    doc = make_doc(("P", "alpha beta gamma."), ("I", "Right."), ("P", "delta epsilon."))
    # pieces in two different turns: not an elided match, and too different for a fuzzy one
    assert align_quote("alpha beta … delta epsilon", doc, NO_REDACTION, DEFAULT_FILLERS) is None
    # pieces out of order within one turn are not an elided match either
    doc2 = make_doc(("P", "one two three four five six seven eight nine ten."))
    m = align_quote("one two three … five six seven", doc2, NO_REDACTION, DEFAULT_FILLERS)
    assert m.method == "elided" and span(doc2, m) == "one two three four five six seven"
    assert align_quote("eight nine ten … one two three", doc2, NO_REDACTION, DEFAULT_FILLERS, threshold=0.95) is None


def test_fuzzy_match_with_typos_reports_score_and_snaps_to_words():
    doc = make_doc(("I", "And then?"),
                   ("P", "You get this little reminder that you are a case on her list, you know."))
    m = align_quote("you get this little reimnder that you are a case on her list", doc, NO_REDACTION,
                    DEFAULT_FILLERS, threshold=0.9)
    assert m.method == "fuzzy"
    assert 0.9 <= m.score < 1.0
    assert span(doc, m) == "You get this little reminder that you are a case on her list"
    # the same quote with a threshold above its score is not found
    assert align_quote("you get this little reimnder that you are a case on her list", doc, NO_REDACTION,
                       DEFAULT_FILLERS, threshold=0.99) is None


def test_short_turn_does_not_fuzzily_match_a_long_quote():
    doc = make_doc(("P", "Yeah."), ("I", "Go on."))
    assert align_quote("yeah I think it was really the best thing that happened", doc, NO_REDACTION,
                       DEFAULT_FILLERS) is None


def test_quote_found_twice_takes_first_or_nearest_hint():
    doc = make_doc(("P", "She didn't push."), ("I", "No?"), ("P", "Well."), ("P", "She didn't push at all."))
    first = align_quote("she didn't push", doc, NO_REDACTION, DEFAULT_FILLERS)
    assert (first.seg_first, first.n_occurrences) == (1, 2)
    by_turn = align_quote("she didn't push", doc, NO_REDACTION, DEFAULT_FILLERS, hint_seg=4)
    assert by_turn.seg_first == 4 and span(doc, by_turn) == "She didn't push"
    # turn 4 starts after "P: She didn't push.\n" (20) + "I: No?\n" (7) + "P: Well.\n" (9) + "P: " (3) = 39
    by_offset = align_quote("she didn't push", doc, NO_REDACTION, DEFAULT_FILLERS, hint_offset=37)
    assert (by_offset.start, by_offset.seg_first) == (39, 4)


def test_placeholders_on_either_side():
    redact = Redactor([("Mary", "(PSW)")])
    doc = make_doc(("P", "Mary came every Thursday."), redact=redact)
    assert doc.text == "P: (PSW) came every Thursday.\n"
    # the name in the quote is redacted first, then matches the placeholder
    m = align_quote("Mary came every Thursday", doc, redact, DEFAULT_FILLERS)
    assert (m.method, span(doc, m)) == ("exact", "(PSW) came every Thursday")
    # the researcher typed the placeholder
    assert align_quote("(PSW) came every Thursday", doc, redact, DEFAULT_FILLERS).method == "exact"
    # any placeholder matches any placeholder
    assert align_quote("(Worker) came every Thursday", doc, redact, DEFAULT_FILLERS).method == "exact"


def test_empty_quote_is_not_found():
    doc = make_doc(("P", "Something."))
    assert align_quote("um ... [laughs]", doc, NO_REDACTION, DEFAULT_FILLERS) is None


@pytest.mark.parametrize("threshold", [0.8, 0.9])
def test_quote_longer_than_any_turn_is_compared_whole(threshold):
    doc = make_doc(("P", "we laughed a lot"))
    # ratio("we laughed a lot honestly", "we laughed a lot") = 2*16/(25+16) = 0.78 < 0.8
    assert align_quote("we laughed a lot honestly", doc, NO_REDACTION, DEFAULT_FILLERS, threshold=threshold) is None


def test_turn_of_fillers_only_does_not_shift_later_offsets():
    doc = make_doc(("P", "First answer."), ("I", "Mm-hm."), ("P", "Second answer here."))
    # turn 2 has no words once the filler is dropped; turn 3 starts after
    # "P: First answer.\n" (17) + "I: Mm-hm.\n" (10) + "P: " (3) = 30
    m = align_quote("second answer", doc, NO_REDACTION, DEFAULT_FILLERS)
    assert (m.start, m.end, m.seg_first) == (30, 43, 3)


def test_quote_over_a_turn_boundary_with_or_without_the_label():
    doc = make_doc(("P", "I went out."), ("P", "Then I came back."))
    # a selection made in another program may run over "P:"; a typed one may leave it out
    for quote in ["I went out. P: Then I came back", "I went out. Then I came back"]:
        m = align_quote(quote, doc, NO_REDACTION, DEFAULT_FILLERS)
        assert (m.method, m.seg_first, m.seg_last) == ("exact", 1, 2)
        assert span(doc, m) == "I went out.\nP: Then I came back"
