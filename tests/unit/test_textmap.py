"""MappedText: offsets carried through edits, worked out by hand."""
from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.textmap import MappedText


def test_replacement_maps_back_to_the_replaced_source_span():
    src = "I met Mary Jones today!!!"
    m = MappedText.identity(src).sub(r"Mary Jones", "(PSW)")
    assert m.text == "I met (PSW) today!!!"
    # "(PSW)" stands for source 6-16 ("Mary Jones")
    assert m.to_source(6, 11) == (6, 16)
    # "today!!!" keeps its characters: clean 12-20 is source 17-25
    assert m.to_source(12, 20) == (17, 25)
    assert m.from_source(17, 25) == (12, 20)
    assert m.text[slice(*m.from_source(17, 25))] == "today!!!"
    # a source span starting inside the name takes the whole placeholder
    assert m.from_source(11, 25) == (6, 20)


def test_deletions_collapsed_spaces_and_crlf():
    src = "P:  well\r\n  um I  think 😀"
    m = MappedText.identity(src).sub(r"\r\n", "\n").sub(r"^P:\s*", "").sub(r"\s+", " ")
    assert m.text == "well um I think 😀"
    start = src.index("think")
    s, e = m.from_source(start, len(src))
    assert m.text[s:e] == "think 😀"
    assert m.to_source(s, e) == (start, len(src))


def test_nfd_to_nfc_keeps_offsets_of_the_rest():
    src = unicodedata.normalize("NFD", "Siân said hi")
    m = MappedText.identity(src).normalize("NFC")
    assert m.text == "Siân said hi"
    assert len(src) == len(m.text) + 1
    s, e = m.from_source(src.index("said"), src.index("said") + 4)
    assert m.text[s:e] == "said"
    assert m.to_source(0, 4) == (0, 5)  # "Siân" is five source code points


def test_map_chars_folds_apostrophes_and_drops_soft_hyphens():
    src = "O\u2019Ne\u00adill"
    fold = {"\u2019": "'", "\u00ad": ""}
    m = MappedText.identity(src).map_chars(lambda c: fold[c], "[\u2019\u00ad]")
    assert m.text == "O'Neill"
    assert m.to_source(0, len(m.text)) == (0, len(src))
    assert m.from_source(4, 5) == (4, 4)  # the soft hyphen left no character


def test_overlapping_edits_are_refused():
    with pytest.raises(ValueError):
        MappedText.identity("abcdef").replace([(0, 3, "x"), (2, 4, "y")])


def test_empty_source_span_and_bounds():
    m = MappedText.identity("abc").sub("b", "")
    assert m.text == "ac"
    assert m.from_source(1, 1) == (1, 1)
    assert m.from_source(3, 3) == (2, 2)
    with pytest.raises(ValueError):
        m.from_source(2, 9)


@given(st.text(alphabet="ab \n\u00e9\u0301x", max_size=40), st.data())
def test_source_spans_of_kept_characters_survive_any_edit_chain(text, data):
    m = MappedText.identity(text).normalize("NFC").sub(re.compile(r"\s+"), " ").sub("x", "XY")
    # every character of the result comes from a source span holding something it stands for
    assert len(m.src_start) == len(m.text)
    assert list(m.src_start) == sorted(m.src_start) and list(m.src_end) == sorted(m.src_end)
    for i, ch in enumerate(m.text):
        piece = text[m.src_start[i]:m.src_end[i]]
        if ch == "Y":
            assert piece == "x"
        elif ch not in " ":
            assert unicodedata.normalize("NFC", piece).replace("x", "XY").find(ch) >= 0
