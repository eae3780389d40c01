"""The words of a text: textutil's tokenizer is nltk's RegexpTokenizer(TOKEN_PATTERN)
without the seconds of importing nltk (issue 15 item 7). Every transcript of the demo and
of the fixture studies, and texts written to catch a difference, give the same tokens
and the same spans both ways."""
from __future__ import annotations

import pytest
from nltk.tokenize import RegexpTokenizer
from support import DEMO, FIXTURES

from helpers import textutil

NLTK = RegexpTokenizer(textutil.TOKEN_PATTERN)

TEXTS = [
    "",
    "   \n\t ",
    "I don't know—really, I don’t. (PSW) said it's fine; [NAME] came.",
    "well-being and self-care — e-mail_addresses like a_b or co-op's",
    "Line one\nLine two\r\nLine three  (Dr Kaur) ends.",
    "Ünïcödé wörds, naïve café, 日本語 text, 123 and 4,5 and 3.14",
    "(A) (a) (Too long a placeholder to be one because it goes on and on and on) x",
    "'quoted' -dash- ’curly’ --double-- it's-a-long-one",
]


def _transcripts():
    folders = [DEMO / "transcripts", *(p / "transcripts" for p in (FIXTURES / "studies").iterdir())]
    return sorted(p for f in folders if f.is_dir() for p in f.glob("*.txt"))


@pytest.mark.parametrize("text", TEXTS)
def test_tokens_and_spans_are_nltks(text):
    assert textutil._TOKENIZER.tokenize(text) == NLTK.tokenize(text)
    assert list(textutil._TOKENIZER.span_tokenize(text)) == list(NLTK.span_tokenize(text))


def test_every_transcript_of_the_demo_and_fixtures_tokenizes_as_nltk_does():
    paths = _transcripts()
    assert len(paths) >= 10
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert textutil._TOKENIZER.tokenize(text) == NLTK.tokenize(text), path.name
        assert list(textutil._TOKENIZER.span_tokenize(text)) == list(NLTK.span_tokenize(text)), path.name



def test_common_english_words_are_scikit_learns_stop_words():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    assert textutil.common_english_words() == frozenset(ENGLISH_STOP_WORDS)
