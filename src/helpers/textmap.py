"""Text that remembers where each of its characters came from.

Cleaning changes lengths (Unicode normalisation, collapsed spaces, a redacted name replaced by
a placeholder, a timestamp or speaker label removed). Spans coded in another program are
offsets into the *source* text; to carry them into the clean text exactly — never re-aligned to
words — every edit keeps, for each character of its result, the source span it stands for.
Matching on a folded copy (case, apostrophes, dashes, invisible characters) uses the same map to
find the original characters of a match.

A :class:`MappedText` is ``text`` plus two integer arrays of ``len(text)``: ``src_start[i]`` and
``src_end[i]``, the source span of character ``i`` (a copied character ``k`` has ``(k, k + 1)``;
each character of a replacement has the whole replaced span). Both arrays never decrease.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

__all__ = ["MappedText"]

Replacement = tuple[int, int, str]


@dataclass(frozen=True)
class MappedText:
    """A text and, for each of its characters, the source span it came from.

    Attributes
    ----------
    text : str
        The current text.
    src_start, src_end : numpy.ndarray of int64, shape (len(text),)
        Source offsets (end exclusive) of each character.
    src_len : int
        Length of the source text (so an empty span at the end maps somewhere).
    """

    text: str
    src_start: np.ndarray
    src_end: np.ndarray
    src_len: int

    @classmethod
    def identity(cls, text: str) -> MappedText:
        """``text`` as its own source."""
        idx = np.arange(len(text), dtype=np.int64)
        return cls(text, idx, idx + 1, len(text))

    # -- edits ------------------------------------------------------------------

    def replace(self, edits: Iterable[Replacement]) -> MappedText:
        """Replace spans of the current text.

        Parameters
        ----------
        edits : iterable of (start, end, replacement)
            Offsets into ``self.text``, end exclusive, non-overlapping, in any order. An empty
            replacement deletes; ``start == end`` inserts (the inserted characters stand for
            the empty source span at that point).

        Returns
        -------
        MappedText
            The edited text, mapped to the same source.

        Raises
        ------
        ValueError
            If two edits overlap or one lies outside the text.
        """
        edits = sorted(edits, key=lambda e: (e[0], e[1]))
        texts, starts, ends = [], [], []
        pos = 0
        for start, end, new in edits:
            if start < pos or end < start or end > len(self.text):
                raise ValueError(f"edit {start}-{end} overlaps another or lies outside the text")
            texts.append(self.text[pos:start])
            starts.append(self.src_start[pos:start])
            ends.append(self.src_end[pos:start])
            if new:
                s, e = self._source_of(start, end)
                texts.append(new)
                starts.append(np.full(len(new), s, dtype=np.int64))
                ends.append(np.full(len(new), e, dtype=np.int64))
            pos = end
        if not edits:
            return self
        texts.append(self.text[pos:])
        starts.append(self.src_start[pos:])
        ends.append(self.src_end[pos:])
        return MappedText("".join(texts), np.concatenate(starts), np.concatenate(ends), self.src_len)

    def sub(self, pattern: str | re.Pattern, repl: str | Callable[[re.Match], str]) -> MappedText:
        """``re.sub`` that keeps the map. ``repl`` is a template (``\\1`` allowed) or a function."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        make = repl if callable(repl) else (lambda m: m.expand(repl))
        return self.replace((m.start(), m.end(), make(m)) for m in regex.finditer(self.text)
                            if m.end() > m.start())

    def map_chars(self, convert: Callable[[str], str], which: str | re.Pattern) -> MappedText:
        """Replace each character matched by ``which`` (one character per match) by ``convert(ch)``.

        Used for folding (case, apostrophe and dash variants, invisible characters) where only a
        few characters change; ``which`` names them so the rest is copied in bulk.
        """
        regex = re.compile(which) if isinstance(which, str) else which
        edits = []
        for m in regex.finditer(self.text):
            new = convert(m.group(0))
            if new != m.group(0):
                edits.append((m.start(), m.end(), new))
        return self.replace(edits)

    def normalize(self, form: str = "NFC") -> MappedText:
        """Unicode normalisation (``NFC``, ``NFKC`` …), each changed character cluster mapped.

        A cluster is a character with its following combining marks; if normalising clusters one
        by one does not give the whole text's normal form (rare scripts), the text is replaced
        as one span, so no offset is ever wrong, only coarser.
        """
        if unicodedata.is_normalized(form, self.text):
            return self
        edits = []
        for m in _CLUSTER_RE.finditer(self.text):
            new = unicodedata.normalize(form, m.group(0))
            if new != m.group(0):
                edits.append((m.start(), m.end(), new))
        out = self.replace(edits)
        if out.text != unicodedata.normalize(form, self.text):
            return self.replace([(0, len(self.text), unicodedata.normalize(form, self.text))])
        return out

    # -- offsets ----------------------------------------------------------------

    def _source_of(self, start: int, end: int) -> tuple[int, int]:
        if end > start:
            return int(self.src_start[start]), int(self.src_end[end - 1])
        if start < len(self.text):
            point = int(self.src_start[start])
        else:
            point = int(self.src_end[-1]) if len(self.text) else self.src_len
        return point, point

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """The source span that ``text[start:end]`` came from (end exclusive)."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span {start}-{end} lies outside a text of {len(self.text)} characters")
        return self._source_of(start, end)

    def from_source(self, start: int, end: int) -> tuple[int, int]:
        """The span of the current text that stands for ``source[start:end]``.

        Characters that cleaning removed inside the span are simply absent; a span that starts or
        ends inside a replaced stretch (say, half a redacted name) takes the whole replacement.
        An empty source span maps to an empty span at the nearest following character.

        Raises
        ------
        ValueError
            If the span lies outside the source.
        """
        if not 0 <= start <= end <= self.src_len:
            raise ValueError(f"span {start}-{end} lies outside a source of {self.src_len} characters")
        first = int(np.searchsorted(self.src_end, start, side="right"))
        if end == start:
            return first, first
        last = int(np.searchsorted(self.src_start, end, side="left"))  # first char at/after end
        return first, max(first, last)

    def __len__(self) -> int:
        return len(self.text)


_CLUSTER_RE = re.compile(r".[\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u0610-\u061a\u064b-\u065f"
                         r"\u0900-\u0903\u093a-\u094f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff"
                         r"\u302a-\u302f\u3099\u309a\ufe20-\ufe2f]*", re.S)
