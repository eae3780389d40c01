"""Words, annotations and fillers: one definition for every word analysis.

Annotations are transcriber notes kept in the text but never counted as
words: anything in square brackets (``[laughs]``, ``[crosstalk]``) and short
lower-case notes in round brackets (``(inaudible)``, ``(pause)``). Redaction
placeholders such as ``(PSW)`` start with a capital and count as one word in
word counts (``word_count``, ``n_words``), since they stand for a spoken name.

Word analyses (word frequencies, two-word phrases, keyness, TF-IDF, topics)
never count a redaction placeholder as a word (``PLACEHOLDER_RULE``): the
study's own placeholders (the replacements of redactions.csv, as listed in
``tables/redaction_summary.csv``, e.g. ``[NAME]``) and anything shaped like
one (a capitalised word in round brackets, ``(PSW)``) are dropped, and a
two-word phrase never spans one ("told [NAME] yesterday" gives no "told
yesterday").
"""
from __future__ import annotations

import re
from collections.abc import Iterable
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
PLACEHOLDER_RULE = ("Redaction placeholders (the study's replacements from redactions.csv, such as [NAME], and any "
                    "capitalised word in round brackets, such as (PSW)) are not words here: they are not counted, "
                    "and a two-word phrase never spans one.")


class _Tokenizer:
    """Words as nltk's ``RegexpTokenizer(TOKEN_PATTERN)`` finds them: its ``tokenize`` is
    ``findall`` and its ``span_tokenize`` is ``finditer`` with these flags (nltk 3.9,
    ``nltk/tokenize/regexp.py``; tests/unit/test_textutil_tokens.py checks the two agree).
    Not nltk itself: importing nltk imports scipy.stats, 2–4 s that every ``check``,
    ``ingest`` and report kernel paid for one regular expression."""

    _regexp = re.compile(TOKEN_PATTERN, re.UNICODE | re.MULTILINE | re.DOTALL)

    def tokenize(self, text: str) -> list[str]:
        return self._regexp.findall(text)

    def span_tokenize(self, text: str):
        return (m.span() for m in self._regexp.finditer(text))


_TOKENIZER = _Tokenizer()


def mask_annotations(text: str) -> str:
    """``text`` with annotations ("[laughs]") blanked out by spaces, keeping every character offset.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        Of the same length as ``text``.
    """
    return ANNOTATION_RE.sub(lambda m: " " * len(m.group()), text)


def strip_annotations(text: str) -> str:
    return ANNOTATION_RE.sub(" ", text)


def annotations(text: str) -> list[str]:
    return ANNOTATION_RE.findall(text)


@lru_cache(maxsize=64)
def _placeholder_re(placeholders: frozenset[str]) -> re.Pattern:
    known = sorted((p for p in placeholders if p and p.strip()), key=len, reverse=True)
    return re.compile("|".join([re.escape(p) for p in known] + [PLACEHOLDER_RE.pattern]))


def word_runs(text: str, *, lower: bool = True, fillers: frozenset[str] | set[str] = frozenset(),
              stopwords: frozenset[str] | set[str] = frozenset(),
              placeholders: Iterable[str] | None = ()) -> list[list[str]]:
    """Word tokens of ``text`` in runs split at redaction placeholders (see ``tokens``).

    Returns
    -------
    list of list of str
        One list per stretch of text between placeholders (a placeholder is
        no word and words either side of it are not adjacent); with
        ``placeholders=None`` one run, placeholders kept as words.
    """
    if placeholders is None:
        pieces = [text]
    else:
        pieces = _placeholder_re(frozenset(placeholders)).split(text)
    runs = []
    for piece in pieces:
        run = []
        for tok in _TOKENIZER.tokenize(strip_annotations(piece)):
            tok = tok.replace("’", "'")
            low = tok.lower()
            if low in fillers or low in stopwords:
                continue
            run.append(low if lower else tok)
        runs.append(run)
    return runs


def tokens(text: str, *, lower: bool = True, fillers: frozenset[str] | set[str] = frozenset(),
           stopwords: frozenset[str] | set[str] = frozenset(),
           placeholders: Iterable[str] | None = ()) -> list[str]:
    """Word tokens of ``text`` without annotations; fillers and stop words
    removed when given (compared lower-cased; curly apostrophes straightened).

    ``placeholders``: redaction placeholders that are not words (``PLACEHOLDER_RULE``):
    the given strings (the study's, ``study_placeholders``) and anything shaped
    like ``(PSW)`` are dropped. None keeps placeholders as one word each (a word
    count, as ``n_words``).
    """
    return [tok for run in word_runs(text, lower=lower, fillers=fillers, stopwords=stopwords,
                                     placeholders=placeholders) for tok in run]


def study_placeholders(study) -> frozenset[str]:
    """The study's redaction placeholders: the ``placeholder`` column of
    ``tables/redaction_summary.csv`` written by ingest (empty for a study in
    memory or without redactions). The terms themselves are never read."""
    paths = getattr(study, "paths", None)
    if paths is None:
        return frozenset()
    path = paths.tables / "redaction_summary.csv"
    if not path.is_file() or path.stat().st_size == 0:
        return frozenset()
    import pandas as pd

    from helpers.atomic import restore_cell

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError):
        return frozenset()
    if "placeholder" not in frame:
        return frozenset()
    return frozenset(str(restore_cell(p)) for p in frame["placeholder"] if str(p).strip())


def word_count(text: str) -> int:
    return len(_TOKENIZER.tokenize(strip_annotations(text)))


@lru_cache(maxsize=1)
def common_english_words() -> frozenset[str]:
    """scikit-learn's ``ENGLISH_STOP_WORDS``, shipped as data/common_english_words.txt:
    importing scikit-learn for its list cost ``check`` and ``ingest`` seconds
    (tests/unit/test_textutil_tokens.py checks the two lists are equal)."""
    text = resources.files("helpers").joinpath("data/common_english_words.txt").read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


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
    """``tokens`` with the study's fillers, stop words and redaction
    placeholders removed (``PLACEHOLDER_RULE``): the analyzer of every TF-IDF
    and word count (its ``keywords`` name what it removes)."""
    return partial(tokens, fillers=study_fillers(study), stopwords=study_stopwords(study),
                   placeholders=study_placeholders(study))


def plural(n: int, word: str, words: str | None = None) -> str:
    """``n`` followed by ``word`` or its plural, for text a person reads ("1 page",
    "3 pages", "0 pages"): never "page(s)".

    Parameters
    ----------
    n : int
        The count.
    word : str
        The singular.
    words : str, optional
        The plural where it is not ``word + "s"`` ("1 person", "2 people").

    Returns
    -------
    str
        ``f"{n} {word}"`` when ``n == 1``, else ``f"{n} {words or word + 's'}"``.
    """
    return f"{n} {word if n == 1 else (words or word + 's')}"
