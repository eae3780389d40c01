"""Words, annotations and fillers: one definition for every word analysis.

Annotations are transcriber notes kept in the text but never counted as
words: anything in square brackets (``[laughs]``, ``[crosstalk]``) and short
lower-case notes in round brackets (``(inaudible)``, ``(pause)``). Redaction
placeholders such as ``(PSW)`` start with a capital and count as one word,
since they stand for a spoken name.
"""
from __future__ import annotations

import re
from functools import lru_cache, partial
from importlib import resources

# The fillers of docs/design.md §2 (study.yml ``fillers:`` overrides them); defined here,
# with the other word rules, and read by helpers.ingest.config.
DEFAULT_FILLERS = ["um", "umm", "uh", "uhm", "er", "erm", "ah", "hmm", "mm", "mhm", "mm-hm", "uh-huh"]
ANNOTATION_RE = re.compile(r"\[[^\[\]\n]{0,80}\]|\((?=[a-z])[a-z][a-z ,.'-]{0,40}\)")
PLACEHOLDER_RE = re.compile(r"\((?=[A-Z])[A-Za-z][A-Za-z .'-]{0,40}\)")
# Words: letters and digits, with inner apostrophes or hyphens ("don't", "mm-hm");
# a placeholder counts as one token.
TOKEN_PATTERN = r"\([A-Z][A-Za-z .'-]{0,40}\)|[^\W_]+(?:['’-][^\W_]+)*"


class _LazyTokenizer:
    """nltk's RegexpTokenizer, imported on first use: importing nltk costs
    seconds, which every command-line call would otherwise pay."""

    _impl = None

    def _tokenizer(self):
        if self._impl is None:
            from nltk.tokenize import RegexpTokenizer

            type(self)._impl = RegexpTokenizer(TOKEN_PATTERN)
        return self._impl

    def tokenize(self, text: str) -> list[str]:
        return self._tokenizer().tokenize(text)

    def span_tokenize(self, text: str):
        return self._tokenizer().span_tokenize(text)


_TOKENIZER = _LazyTokenizer()


def strip_annotations(text: str) -> str:
    return ANNOTATION_RE.sub(" ", text)


def annotations(text: str) -> list[str]:
    return ANNOTATION_RE.findall(text)


def tokens(text: str, *, lower: bool = True, fillers: frozenset[str] | set[str] = frozenset(),
           stopwords: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Word tokens of ``text`` without annotations; fillers and stop words
    removed when given (compared lower-cased; curly apostrophes straightened)."""
    found = _TOKENIZER.tokenize(strip_annotations(text))
    out = []
    for tok in found:
        tok = tok.replace("’", "'")
        low = tok.lower()
        if low in fillers or low in stopwords:
            continue
        out.append(low if lower else tok)
    return out


def word_count(text: str) -> int:
    return len(_TOKENIZER.tokenize(strip_annotations(text)))


@lru_cache(maxsize=1)
def default_stopwords() -> frozenset[str]:
    """The English stop-word list shipped with the project (no nltk download)."""
    text = resources.files("helpers").joinpath("data/stopwords_en.txt").read_text(encoding="utf-8")
    return frozenset(w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#"))


def study_fillers(study) -> frozenset[str]:
    """The study's fillers (study.yml ``fillers:``; an empty list means none),
    else the defaults; lower-cased. One rule for every word analysis."""
    words = getattr(getattr(study, "config", None), "fillers", None)
    return frozenset(str(w).lower() for w in (DEFAULT_FILLERS if words is None else words))


def study_stopwords(study) -> frozenset[str]:
    """The shipped stop words plus the study's own (study.yml ``stopwords:``), lower-cased."""
    extra = getattr(getattr(study, "config", None), "stopwords", None) or []
    return default_stopwords() | frozenset(str(w).lower() for w in extra)


def study_analyzer(study):
    """``tokens`` with the study's fillers and stop words removed: the analyzer
    of every TF-IDF and word count (its ``keywords`` name what it removes)."""
    return partial(tokens, fillers=study_fillers(study), stopwords=study_stopwords(study))
