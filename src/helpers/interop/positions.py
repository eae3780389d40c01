"""Text positions written by other programs -> code point offsets.

The REFI-QDA standard (§10.2) counts Unicode code points from 0, end
exclusive. Real exporters do not all follow it: NVivo 12 counts UTF-16 code
units (a character outside the Basic Multilingual Plane, e.g. an emoji, is 2),
Taguette counts UTF-8 bytes, and a program that normalises line ends counts
CRLF as one character. Each convention is a *width* per code point; a position
``p`` is the code point index ``i`` with ``sum(width[:i]) == p``, and a position
that falls inside a character (half an emoji, the middle of a UTF-8 sequence)
is invalid under that convention.

Detection rule (per file): every candidate convention is scored by how many
selections then start *and* end on a word or line boundary (not between two
word characters); the highest score wins, ties going to the standard (code
points), then the order of ``CONVENTIONS``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True)
class Convention:
    key: str
    note: str   # what ExternalCodings.notes says


CODE_POINTS = Convention("code points", "positions: code points (REFI-QDA standard)")
UTF16 = Convention("utf-16", "positions: utf-16 code units (NVivo-style)")
UTF8 = Convention("utf-8", "positions: utf-8 bytes")
CRLF_AS_ONE = Convention("code points, crlf as one", "positions: code points with CRLF counted as one character")
CONVENTIONS = [CODE_POINTS, UTF16, UTF8, CRLF_AS_ONE]


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4")


def widths(text: str, convention: Convention) -> np.ndarray:
    """Units each code point of ``text`` counts for under ``convention``."""
    cp = _code_points(text)
    if convention is UTF16:
        return 1 + (cp > 0xFFFF)
    if convention is UTF8:
        return 1 + (cp > 0x7F).astype(int) + (cp > 0x7FF) + (cp > 0xFFFF)
    if convention is CRLF_AS_ONE:
        cr_before_lf = np.zeros(len(cp), dtype=bool)
        cr_before_lf[:-1] = (cp[:-1] == 0x0D) & (cp[1:] == 0x0A)
        return (~cr_before_lf).astype(int)
    return np.ones(len(cp), dtype=int)


def to_code_points(text: str, positions, convention: Convention) -> np.ndarray:
    """Code point index of each position; -1 where the position is outside the
    text or falls inside a character under this convention."""
    positions = np.asarray(positions, dtype=np.int64)
    cumulative = np.concatenate([[0], np.cumsum(widths(text, convention))])
    index = np.searchsorted(cumulative, positions, side="left")
    inside = index < len(cumulative)
    exact = np.zeros(len(positions), dtype=bool)
    exact[inside] = cumulative[index[inside]] == positions[inside]
    return np.where(exact & (positions >= 0), index, -1)


def word_mask(text: str) -> np.ndarray:
    mask = np.zeros(len(text), dtype=bool)
    for match in _WORD_RE.finditer(text):
        mask[match.start():match.end()] = True
    return mask


def on_boundary(text: str, index: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """True where a code point index is a word/line boundary: the text's ends,
    or any place not between two word characters."""
    mask = word_mask(text) if mask is None else mask
    index = np.asarray(index, dtype=np.int64)
    n = len(text)
    valid = (index >= 0) & (index <= n)
    inner = valid & (index > 0) & (index < n)
    result = valid.copy()
    safe = np.clip(index, 1, max(n - 1, 1))
    if n >= 2:
        result[inner] = ~(mask[safe[inner] - 1] & mask[safe[inner]])
    return result


def detect_convention(spans: dict[str, tuple[str, np.ndarray, np.ndarray]],
                      candidates: list[Convention] = CONVENTIONS) -> tuple[Convention, dict[str, int]]:
    """The convention under which most selections start and end on boundaries.

    ``spans`` maps a source key to (text, starts, ends) as written in the file.
    Returns the winner and every candidate's score (for messages and tests).
    """
    scores: dict[str, int] = {}
    has_crlf = any("\r\n" in text for text, _, _ in spans.values())
    usable = [c for c in candidates if c is not CRLF_AS_ONE or has_crlf]
    for convention in usable:
        score = 0
        for text, starts, ends in spans.values():
            if len(starts) == 0:
                continue
            mask = word_mask(text)
            s = to_code_points(text, starts, convention)
            e = to_code_points(text, ends, convention)
            good = on_boundary(text, s, mask) & on_boundary(text, e, mask) & (s >= 0) & (e >= s)
            score += int(good.sum())
        scores[convention.key] = score
    best = max(usable, key=lambda c: (scores[c.key], -usable.index(c)))
    return best, scores
