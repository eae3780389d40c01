"""One normalisation for matching names, terms and ids (issue 19, item 1).

The redactor, the identifier scan, the leak scan and id matching all compare text through
:func:`fold`, so that a name written another way is still the same name:

- compatibility forms (NFKC: full-width letters, ligatures) and decomposed accents (NFD, as
  macOS saves file names) are folded, and accents dropped (``Zoë`` = ``Zoe`` = ``Zoë``);
- case (``MARY`` = ``mary``);
- every apostrophe variant (’ ‘ ʼ ′ ` ´) is ``'``; every dash and hyphen variant (U+2010–U+2015,
  U+2212, U+FE58, U+FE63, U+FF0D) is ``-``; every space variant (no-break, thin, ideographic …)
  is `` ``;
- format characters (soft hyphen, zero-width space/joiners, word joiner, BOM, bidi marks) are
  removed, so an invisible character inside a name does not hide it;
- a few letters with no decomposition are spelled out the way they are usually typed without
  the accent (``ł`` → ``l``, ``ø`` → ``o``, ``ß`` → ``ss``, ``æ`` → ``ae``).

Matching is done on the folded copy; the match is mapped back to the original characters, which
are replaced, so the surrounding text stays exactly as it was (:class:`Folded.to_source`).

Sources of the rules: Unicode Standard Annex #15 (normalisation forms), #44 (general
categories ``Cf``, ``Mn``, ``Pd``, ``Zs``); Unicode Technical Standard #39 (mixed-script
confusables, :func:`mixed_script_words`).
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property, lru_cache

from .textmap import MappedText

__all__ = ["APOSTROPHES", "DASHES", "fold", "fold_text", "fold_key", "Folded", "folded", "mixed_script_words", "ABBREVIATIONS",
           "find_term", "term_pattern", "term_pieces"]

APOSTROPHES = "'\u2019\u2018\u02bc\u2032\u0060\u00b4\u02b9\u201b\uff07"
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u00ad"
# Titles written with or without a full stop ("Dr" / "Dr."), lower-case as folded.
ABBREVIATIONS = frozenset("dr st mr mrs ms mx prof rev sr jr fr sgt capt col lt".split())

# Letters that have no Unicode decomposition but are commonly typed without their mark.
_SPELLED = {"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ħ": "h", "Ħ": "h",
            "ı": "i", "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
            "þ": "th", "Þ": "th", "ð": "d", "Ð": "d"}
# A character with the combining marks that follow it (an NFD accent belongs to its letter, so
# a replaced name takes its accents with it), or any other non-ASCII character.
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_NON_ASCII = re.compile(rf"[^{_MARKS}][{_MARKS}]+|[^\x00-\x7f]", re.S)


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """The folded form of one non-ASCII character ('' to drop it)."""
    if ch in APOSTROPHES:
        return "'"
    if ch == "\u00ad":  # soft hyphen: invisible, a line-break hint, never part of the word
        return ""
    if ch in DASHES:
        return "-"
    if ch in _SPELLED:
        return _SPELLED[ch]
    category = unicodedata.category(ch)
    if category in ("Cf", "Mn", "Me"):  # format characters and combining marks (accents)
        return ""
    if category == "Zs":
        return " "
    if category == "Pd":
        return "-"
    decomposed = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    base = "".join(_SPELLED.get(c, c) for c in base)
    return base.lower()


def _fold_cluster(cluster: str) -> str:
    return "".join(_fold_char(c) if ord(c) > 127 else c.lower() for c in unicodedata.normalize("NFC", cluster))


@dataclass(frozen=True)
class Folded:
    """A folded text and where each of its stretches came from in the original.

    Attributes
    ----------
    text : str
        The folded text (see the module docstring).
    source : str
        The original text.
    edits : tuple of (src_start, src_end, fold_start, fold_end)
        Every stretch whose folded form is not its lower-case self, in order; outside them the
        folded text is the original lower-cased character for character.
    """

    text: str
    source: str
    edits: tuple = ()

    def _point(self, pos: int) -> tuple[int, bool]:
        # the last edit that starts at or before pos, and the shift after it
        k = bisect_right(self._fold_starts, pos) - 1
        if k < 0:
            return pos, False
        s, e, fs, fe = self.edits[k]
        if pos < fe:
            return k, True
        return pos - self._shifts[k], False

    @cached_property
    def _fold_starts(self) -> list[int]:
        return [fs for _, _, fs, _ in self.edits]

    @cached_property
    def _shifts(self) -> list[int]:
        out, total = [], 0
        for s, e, fs, fe in self.edits:
            total += (fe - fs) - (e - s)
            out.append(total)
        return out

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that ``text[start:end]`` stands for (end exclusive).

        A span starting or ending inside a folded stretch (say ``ss`` from ``ß``) takes the
        whole stretch."""
        if not self.edits:
            return start, end
        k, inside = self._point(start)
        src_start = self.edits[k][0] if inside else k
        if end <= start:
            return src_start, src_start
        k, inside = self._point(end - 1)
        src_end = self.edits[k][1] if inside else k + 1
        return src_start, src_end


def folded(text: str) -> Folded:
    """Fold ``text`` for matching, keeping the way back to the original characters.

    Parameters
    ----------
    text : str
        Any text (a transcript turn, a file name, a term).

    Returns
    -------
    Folded
        ``.text`` is the folded copy; ``.to_source(start, end)`` maps a match back.
    """
    edits, pieces, pos, shift = [], [], 0, 0
    for m in _NON_ASCII.finditer(text):
        cluster = m.group(0)
        new = _fold_cluster(cluster) if len(cluster) > 1 else _fold_char(cluster)
        if new == cluster:
            continue
        start, end = m.start(), m.end()
        pieces.append(text[pos:start].lower())
        pieces.append(new)
        fold_start = start + shift
        edits.append((start, end, fold_start, fold_start + len(new)))
        shift += len(new) - (end - start)
        pos = end
    if not edits:
        return Folded(text.lower(), text)
    # Between edits every character is its own fold once lower-cased, and lower() keeps
    # their length (U+0130, the one exception, is folded above).
    pieces.append(text[pos:].lower())
    return Folded("".join(pieces), text, tuple(edits))


def fold_text(text: str) -> str:
    """Only the folded copy of ``text`` (for keys and comparisons)."""
    return folded(text).text


def fold(text: str | MappedText) -> MappedText:
    """The folded copy of ``text`` as a :class:`~helpers.textmap.MappedText`.

    Parameters
    ----------
    text : str or MappedText
        A plain text (its own source) or a text already mapped to a source.

    Returns
    -------
    MappedText
        Folded text whose characters map to the source spans of the characters they fold.
    """
    mapped = text if isinstance(text, MappedText) else MappedText.identity(text)
    result = folded(mapped.text)
    out = mapped.replace((s, e, result.text[fs:fe]) for s, e, fs, fe in result.edits)
    # outside the edits the folded text is the lower-cased original, same length
    return MappedText(result.text, out.src_start, out.src_end, out.src_len)


_KEY_DROP = re.compile(r"[\s_\-'.]+")


def fold_key(value: str) -> str:
    """A key under which two spellings of one id or term are the same.

    Folded (:func:`fold`), then spaces, underscores, dashes, apostrophes and full stops removed:
    ``P 01``, ``p_01``, ``P-01`` and ``P01`` share the key ``p01``; ``O’Neill`` and ``ONeill``
    share ``oneill``.

    Parameters
    ----------
    value : str

    Returns
    -------
    str
    """
    return _KEY_DROP.sub("", fold_text(str(value)))


# -- terms in text (keyword in context) -----------------------------------------------

def term_pieces(term: str) -> list[str]:
    """The words of a search term, folded (:func:`fold_text`): what a KWIC search looks for.

    Parameters
    ----------
    term : str
        One or more words separated by spaces; ``*`` in a word stands for any letters
        (``stigma*``).

    Returns
    -------
    list of str
        The folded words, ``*`` kept.

    Raises
    ------
    ValueError
        The term has no word.
    """
    words = fold_text(str(term)).split()
    if not words or not any(w.strip("*") for w in words):
        raise ValueError("kwic needs a word or phrase to look for")
    return words


@lru_cache(maxsize=256)
def term_pattern(term: str) -> re.Pattern:
    """The one definition of a keyword-in-context hit, as a pattern over folded text
    (:func:`folded`): the term's words (:func:`term_pieces`) as whole words, separated by
    any white space, ``*`` matching any letters.

    A whole word is not preceded by a letter or digit, nor by one joined to it with an
    apostrophe or a dash, and likewise after it: ``care`` is not found in ``careful``,
    ``self-care`` or ``care's``, as the word counts (``textutil.tokens``) read those as
    other words. Folding makes case, accents, apostrophe and dash variants alike (``Zoë``
    finds ``zoe``, ``don't`` finds ``don’t``).

    Parameters
    ----------
    term : str
        As :func:`term_pieces`.

    Returns
    -------
    re.Pattern
        To search :func:`folded` text with (``find_term``).

    Raises
    ------
    ValueError
        The term has no word.
    """
    body = r"\s+".join(re.escape(w).replace(r"\*", r"\w*") for w in term_pieces(term))
    return re.compile(rf"(?<![\w])(?<![\w]['-]){body}(?![\w]|['-][\w])")


def find_term(text: str | Folded, term: str) -> list[tuple[int, int]]:
    """Where ``term`` occurs in ``text`` (:func:`term_pattern`, on the folded text).

    Parameters
    ----------
    text : str or Folded
        Any text (a turn, a corpus of turns joined by a non-word separator), or its
        :func:`folded` form when it is searched again and again.
    term : str
        As :func:`term_pieces`.

    Returns
    -------
    list of (start, end)
        Offsets into ``text`` (end exclusive), leftmost first, not overlapping.

    Raises
    ------
    ValueError
        The term has no word.
    """
    pattern = term_pattern(term)
    found = text if isinstance(text, Folded) else folded(text)
    return [found.to_source(m.start(), m.end()) for m in pattern.finditer(found.text) if m.end() > m.start()]


# -- mixed scripts ---------------------------------------------------------------------

def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    for script in ("LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"):
        if name.startswith(script):
            return script
    return "OTHER"


_WORD = re.compile(r"[^\W\d_]{2,}")


def mixed_script_words(text: str) -> list[tuple[int, int]]:
    """Spans of words that mix Latin letters with Cyrillic, Greek or other look-alike
    letters (``Mаry`` with a Cyrillic ``а``), which exact and folded matching both miss.

    Parameters
    ----------
    text : str

    Returns
    -------
    list of (start, end)
        Offsets into ``text`` (end exclusive), in order.
    """
    out = []
    for m in _WORD.finditer(text):
        scripts = {_script(c) for c in m.group(0)} - {None}
        if "LATIN" in scripts and len(scripts) > 1:
            out.append((m.start(), m.end()))
    return out
