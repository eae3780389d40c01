"""One normalisation for matching (issue 19, items 1, 3, 5, 6): folding, the redactor's edits,
the identifier scan's new kinds, the leak scan's reach and spreadsheet-safe cells.
Values worked out by hand in the comments."""
from __future__ import annotations

import io
import unicodedata
import zipfile

import openpyxl
import pandas as pd
import pytest

from helpers import atomic
from helpers.ingest.cleaning import Redactor, clean_document, redaction_warnings
from helpers.ingest.identifiers import scan_identifiers
from helpers.ingest.transcripts import RawDocument, SpeakerLabels, Turn
from helpers.leakscan import scan_folders
from helpers.matching import fold, fold_key, fold_text, folded, mixed_script_words
from helpers.textmap import MappedText

LABELS = SpeakerLabels({"interviewer": ["I"], "participant": ["P"]})


# -- folding ---------------------------------------------------------------------------------

@pytest.mark.parametrize("variant, expected", [
    ("Zoe\u0308", "zoe"),            # NFD
    ("Zoë", "zoe"),                  # NFC, accent dropped
    ("O\u2019Neill", "o'neill"),     # curly apostrophe
    ("Mary\u2011Jane", "mary-jane"),  # non-breaking hyphen
    ("Mary\u2013Jane", "mary-jane"),  # en dash
    ("Ma\u00adry", "mary"),          # soft hyphen removed
    ("Ma\u200bry", "mary"),          # zero-width space removed
    ("Mary\u00a0Jane", "mary jane"),  # no-break space
    ("ＭＡＲＹ", "mary"),              # full-width (NFKC)
    ("Łukasz", "lukasz"),
    ("Straße", "strasse"),
])
def test_fold_text(variant, expected):
    assert fold_text(variant) == expected


def test_folded_maps_a_match_back_to_the_original_characters():
    text = "Hi Zoe\u0308 and Ma\u00adry."
    f = folded(text)
    assert f.text == "hi zoe and mary."
    # "zoe" is folded 3..6; in the original Z o e U+0308 are 3..7
    assert f.to_source(3, 6) == (3, 7)
    # "mary" folded 11..15; original "Ma\u00adry" is 12..17 (the mark shifted it by one)
    assert f.to_source(11, 15) == (12, 17)
    assert text[12:17] == "Ma\u00adry"


def test_fold_returns_a_mapped_text_for_span_work():
    mapped = fold("Zoe\u0308 X")
    assert isinstance(mapped, MappedText) and mapped.text == "zoe x"
    assert mapped.to_source(0, 3) == (0, 4)  # "zoe" <- "Zoë" in NFD (4 characters)
    assert mapped.to_source(4, 5) == (5, 6)


def test_fold_key_makes_id_spellings_one():
    assert fold_key("P 01") == fold_key("p_01") == fold_key("P-01") == fold_key("P01") == "p01"
    assert fold_key("O’Neill") == fold_key("ONeill") == "oneill"


def test_mixed_script_words():
    text = "Hello M\u0430ry and Мария"  # Cyrillic а inside a Latin word; an all-Cyrillic word is fine
    assert mixed_script_words(text) == [(6, 10)]


# -- the redactor ----------------------------------------------------------------------------

SPELLINGS = ["Mary-Jane O'Neill", "MARY JANE O’NEILL", "Mary\u2011Jane O\u2018Neill", "MaryJane ONeill",
             "Mary\u2013Jane\u00a0O'Ne\u00adill", unicodedata.normalize("NFD", "Mary-Jane O'Neill"),
             "Mary_Jane_O'Neill"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_a_term_is_replaced_and_the_rest_kept(spelling):
    redact = Redactor([("Mary-Jane O'Neill", "(PSW)")])
    assert redact(f"«{spelling}’s» group") == "«(PSW)’s» group"


def test_edits_give_source_offsets_and_counts():
    redact = Redactor([("Zoë", "(A)"), ("Dr Ferrars", "(GP)")])
    text = "Zoe\u0308 saw Dr. Ferrars; dr ferrars too."
    edits = redact.edits(text)
    # Zoë in NFD = 4 chars at 0..4; "Dr. Ferrars" 9..20; "dr ferrars" 22..32
    assert edits == [(0, 4, "(A)"), (9, 20, "(GP)"), (22, 32, "(GP)")]
    assert redact.counts == {"(A)": 1, "(GP)": 2}
    assert redact.term_counts == {"Dr Ferrars": 2, "Zoë": 1}
    assert MappedText.identity(text).replace(edits).text == "(A) saw (GP); (GP) too."


def test_whole_words_only_across_spellings():
    redact = Redactor([("Ann", "(X)")])
    assert redact("Anne, Annex and Ann\u00e9e stay; Ann goes") == "Anne, Annex and Ann\u00e9e stay; (X) goes"


def test_warnings_for_unused_terms_lower_case_words_and_code_names():
    redact = Redactor([("Hope", "(H)"), ("Quennell", "(Q)"), ("Ashcombe", "(T)")])
    clean_document(RawDocument(doc_id="D", source_file=None, format="txt", kind="interview", turns=[
        Turn(speaker="P", text="I had hope then, in Ashcombe.")]), LABELS, redact, "D")
    warnings = redaction_warnings(redact, ["(T) support", "trust"])
    assert any("1 term was found nowhere" in w and "(Q)" in w for w in warnings)
    assert any("replaced by (H) is also an ordinary lower-case word (1 replacement" in w for w in warnings)
    assert any("1 code name holds a redaction placeholder ((T) support)" in w for w in warnings)
    assert not any("Quennell" in w or "Ashcombe" in w or "Hope" in w for w in warnings)


# -- identifier scan -------------------------------------------------------------------------

def scan(*utterances, speakers=None):
    turns = [Turn(speaker=(speakers or {}).get(i, "P"), text=u) for i, u in enumerate(utterances)]
    clean = clean_document(RawDocument(doc_id="D1", source_file=None, format="txt", kind="interview", turns=turns),
                           LABELS, Redactor([]), "D1")
    return scan_identifiers([clean], set())


@pytest.mark.parametrize("sentence, kind, hit", [
    ("I talked to Siân about it.", "possible name", "Siân"),
    ("I talked to Chloé about it.", "possible name", "Chloé"),
    ("I talked to Łukasz about it.", "possible name", "Łukasz"),
    ("I talked to O’Neill about it.", "possible name", "O’Neill"),
    ("I talked to McDonald about it.", "possible name", "McDonald"),
    ("I talked to Mary-Jane about it.", "possible name", "Mary-Jane"),
    ("Ring (0117) 496 0125 today.", "phone number", "(0117) 496 0125"),
    ("It is at sw1a 2aa now.", "postcode", "sw1a 2aa"),
    ("Born on 1990-03-05 they said.", "date", "1990-03-05"),
    ("Born on March 5th, 1990 they said.", "date", "March 5th, 1990"),
    ("Born on the 5th of March they said.", "date", "5th of March"),
    ("I talked to M\u0430ry about it.", "mixed script", "M\u0430ry"),
])
def test_scan_finds_identifiers_written_many_ways(sentence, kind, hit):
    review = scan(sentence)
    assert kind in set(review["kind"]), review
    row = review[review["kind"] == kind].iloc[0]
    assert row["length"] == len(hit)
    assert hit not in row["masked_context"]


def test_an_email_does_not_hide_its_name_parts_elsewhere():
    review = scan("Write to dana.q@example.org please.", "I met Dana at group.")
    assert sorted(review["kind"]) == ["email", "possible name"]


def test_speaker_labels_and_voice_names_are_candidates():
    review = scan("Hello there.", "Fine thanks.", speakers={0: "I", 1: "Belisarius"})
    rows = review[review["kind"] == "speaker label"]
    assert len(rows) == 1 and rows.iloc[0]["length"] == len("Belisarius")
    assert "Belisarius" not in "".join(review["masked_context"])


# -- leak scan -------------------------------------------------------------------------------

def test_leak_scan_reads_names_zips_svg_json_and_lists_unreadable(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    (out / "P01 Zoe\u0308.html").write_text("<p>nothing</p>")                     # file name, NFD
    (out / "figure.svg").write_text("<svg><text>Mar</text><text>lowe</text></svg>")  # split over tags
    (out / "page.html").write_text("<p>O&#8217;Neill&nbsp;said</p>")               # entity apostrophe
    (out / "nb.ipynb").write_text('{"cells": [{"source": ["x\\nMARY\\u2011JANE"]}]}')
    book = io.BytesIO()
    with zipfile.ZipFile(book, "w") as archive:
        archive.writestr("word/document.xml", "<w:t>Mary</w:t><w:t>\u2013Jane</w:t>")
    (out / "summary.docx").write_bytes(book.getvalue())
    (out / "broken.xlsx").write_bytes(b"PK\x03\x04 not really")
    pd.DataFrame({"Zoë": ["a"], "b": ["x O'Neill"]}).to_parquet(out / "t.parquet")
    redact = Redactor([("Zoë", "(Z)"), ("Marlowe", "(M)"), ("O'Neill", "(O)"), ("Mary-Jane", "(MJ)")])
    scan = scan_folders([out], redact)
    found = {(leak.path.name, leak.placeholder, leak.place) for leak in scan.leaks}
    assert ("P01 Zoe\u0308.html", "(Z)", "file name") in found
    assert ("figure.svg", "(M)", "text without tags") in found
    assert ("page.html", "(O)", "line 1") in found
    assert ("nb.ipynb", "(MJ)", "JSON string") in found
    assert ("summary.docx", "(MJ)", "member word/document.xml") in found
    assert ("t.parquet", "(Z)", "column names") in found
    assert ("t.parquet", "(O)", "column b") in found
    assert [p.name for p, _ in scan.unreadable] == ["broken.xlsx"]
    assert redact.counts == {}  # the scan counts nothing
    error = scan.as_error()
    assert all("Zoë" not in p.line() and "Marlowe" not in p.line() for p in error.problems)


# -- spreadsheet safety ----------------------------------------------------------------------

def test_text_cells_are_never_formulas(tmp_path):
    frame = pd.DataFrame({"code": ["=cmd|' /C calc'!A0", "+ve experience", "-0.58", "@Robin", "\tx", "plain"],
                          "n": [1, -2, 3, 4, 5, 6], "=head": [0.5, -0.58, 1, 2, 3, 4]})
    atomic.write_csv(tmp_path / "t.csv", frame)
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[0] == "code,n,'=head"
    # OWASP: a quote before = + - @ tab; a number in text ("-0.58") and real numbers stay
    assert lines[1:] == ["'=cmd|' /C calc'!A0,1,0.5", "'+ve experience,-2,-0.58", "-0.58,3,1.0",
                         "'@Robin,4,2.0", "'\tx,5,3.0", "plain,6,4.0"]
    atomic.write_excel(tmp_path / "t.xlsx", {"s": frame})
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx")["s"]
    assert [(c.value, c.data_type) for c in sheet["A"]][:3] == [
        ("code", "s"), ("=cmd|' /C calc'!A0", "s"), ("+ve experience", "s")]
    assert sheet["C1"].value == "=head" and sheet["C1"].data_type == "s"
    assert sheet["B3"].value == -2 and sheet["B3"].data_type == "n"
    with zipfile.ZipFile(tmp_path / "t.xlsx") as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


def test_restore_cell_undoes_neutralise_cell():
    for value in ["=1+1", "+ve", "@x", "-x", "plain", "-0.5", "'quoted"]:
        assert atomic.restore_cell(atomic.neutralise_cell(value)) == value


def test_a_bracketed_placeholder_is_not_a_transcriber_annotation():
    redact = Redactor([("Jo", "[sister]")])
    clean = clean_document(RawDocument(doc_id="D", source_file=None, format="txt", kind="interview", turns=[
        Turn(speaker="P", text="Jo came [laughs] and Jo left.")]), LABELS, redact, "D")
    assert clean.segments.iloc[0]["text"] == "[sister] came [laughs] and [sister] left."
    assert clean.segments.iloc[0]["n_annotations"] == 1  # only [laughs]


def test_a_term_that_is_a_common_word_is_a_warning():
    redact = Redactor([("Bill", "(B)"), ("May", "(M)"), ("Quennell", "(Q)")])
    redact("Bill and May met Quennell.")
    warnings = redaction_warnings(redact)
    assert sum("is also a common English word" in w for w in warnings) == 2
    assert any("(B)" in w and "common English word" in w for w in warnings)
    assert not any("(Q)" in w for w in warnings)


def test_index_and_header_cells_are_neutralised_too(tmp_path):
    codes = pd.CategoricalIndex(["=cmd|' /C calc'!A0", "+ve experience", "hope"], name="code")
    matrix = pd.DataFrame([[1, 0, 2], [0, 1, 0], [2, 0, 1]], index=codes, columns=list(codes))
    atomic.write_csv(tmp_path / "m.csv", matrix, index=True)
    lines = (tmp_path / "m.csv").read_text().splitlines()
    assert lines[0] == "code,'=cmd|' /C calc'!A0,'+ve experience,hope"
    assert [line.split(",")[0] for line in lines[1:]] == ["'=cmd|' /C calc'!A0", "'+ve experience", "hope"]


def test_id_matching_uses_the_one_normalisation():
    """Ids written in a sheet are matched under the same folding as redaction terms:
    'Zoe' names Zoë and a full-width 'Ｐ01' names P01 (both missed when ids were only
    NFC and case-folded); the id rules (extension, leading zeros) still apply on top."""
    from helpers.ids import IdMatcher

    matcher = IdMatcher(["P01", "P02", "Zoë", "O’Neill"])
    assert matcher.match("Zoe") == ("Zoë", "normalised")
    assert matcher.match("Ｐ01") == ("P01", "normalised")
    assert matcher.match("O'Neill") == ("O’Neill", "normalised")
    assert matcher.match("P1.docx") == ("P01", "normalised")
    assert matcher.match("P03") == (None, "none")


def test_leak_scan_reads_image_metadata_not_compressed_bytes(tmp_path):
    """A figure's compressed bytes are not text: read as latin-1 with accents folded they
    spelt "DÉV", a demo term, and failed `make report` on a clean run. Text an image does
    carry (a PNG text chunk) is still scanned."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    out = tmp_path / "reports"
    out.mkdir()
    image = Image.new("RGB", (4, 4), "white")
    image.save(out / "clean.png")
    # chance bytes after the image data, as compressed data holds them
    (out / "clean.png").write_bytes((out / "clean.png").read_bytes() + b"\x96D\xc9V\x98\x8a")
    meta = PngInfo()
    meta.add_text("Title", "Interview with Dev Patel")
    image.save(out / "titled.png", pnginfo=meta)
    scan = scan_folders([out], Redactor([("Dev", "(PSW)")]))
    assert {(leak.path.name, leak.place) for leak in scan.leaks} == {("titled.png", "image metadata"),
                                                                    ("titled.png", "text in the bytes")}
    assert not scan.unreadable


def test_plural_chooses_the_form_by_count():
    from helpers.textutil import plural
    assert plural(1, "page") == "1 page"
    assert plural(0, "page") == "0 pages"
    assert plural(3, "interview") == "3 interviews"
    assert plural(2, "person", "people") == "2 people"
    assert plural(1, "person", "people") == "1 person"
