"""Participant and document ids: when two are one, and the file names made from them.

Two rules, both from issue 19 item 8 ("ids that would clash as file names"):

- **Ids that differ only by case or Unicode form are refused** (``P01`` and ``p01``; ``Zoë``
  typed and ``Zoë`` saved decomposed by macOS). Coding sheets match ids without case, so
  such a pair would silently become one participant; on macOS and Windows their files
  would overwrite each other. ``check`` names both rows.
- **File names made from ids are unique and safe** (``file_stem``): an id of plain letters,
  digits, ``_ . -`` (at most 80 characters) is its own file name, as DESIGN §3 writes
  ``texts/<doc_id>.txt``; any other id (a space, a slash, an accent, a long id, a name
  Windows reserves) becomes its safe characters plus a short hash of the id, so ``P 01``
  and ``P_01`` no longer share one profile page and a 320-character id fits a file name.

Matching ids as researchers write them (issue 13, point 5):
``P1``, ``p01``, ``P01.txt``, ``Interview P01`` and ``P01_final`` all name P01:
ids are compared by a key that is folded as every match is (``matching.fold_text``: NFKC,
case, accents, apostrophe and dash variants, invisible characters), without a file
extension, without surrounding words such as "interview" or "transcript", and
with leading zeros dropped from every number (Excel drops them: 01 -> 1).
A key that two known ids share matches neither (ambiguous): the caller lists
both instead of guessing. Source of the rule: issue 13, point 5.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from .errors import ProblemList
from .matching import fold_text

MAX_STEM = 80  # leaves room for a notebook prefix and ".failed.ipynb" under the usual 255
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def id_key(value: str) -> str:
    """The form in which two ids are the same id: NFKC, format characters removed, case folded.

    'P01', 'p01' and 'Ｐ01' (full width) share one key; 'P 01' and 'P_01' do not (they
    are different ids that ``file_stem`` keeps apart).
    """
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")  # soft hyphen, zero-width marks
    return " ".join(text.casefold().split())


def file_stem(value: str) -> str:
    """A file name (without extension) for an id, unique per id and safe on every system.

    Parameters
    ----------
    value : str
        A participant or document id (already redacted).

    Returns
    -------
    str
        ``value`` itself when it is plain (ASCII letters, digits, ``_ . -``, starting with a
        letter or digit, at most ``MAX_STEM`` characters, not a name Windows reserves);
        otherwise its plain characters (others as ``_``, cut to 60) plus ``-`` and the first
        8 hex digits of the SHA-256 of its NFC form. Ids differing only by case are refused
        by ``check_ids`` before any file is named.
    """
    value = unicodedata.normalize("NFC", str(value))
    plain = bool(_PLAIN.fullmatch(value)) and len(value) <= MAX_STEM and not value.endswith(".")
    if plain and value.split(".")[0].lower() not in _WINDOWS_RESERVED:
        return value
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", value)[:60].strip("._") or "id"
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:8]
    return f"{safe}-{digest}"


def check_ids(entries: Iterable[tuple[str, object, object]], kind: str, problems: ProblemList) -> None:
    """One problem per id that equals an earlier one except for case or Unicode form.

    Parameters
    ----------
    entries : iterable of (id, file, where)
        Each id with the file and row (or None) it comes from, in reading order.
    kind : str
        'participant_id' or 'document id', for the message.
    problems : ProblemList
        Receives ``error: <file>:<where>: <kind> 'p01' and 'P01' (<first place>) differ only
        by case … — …``.
    """
    first: dict[str, tuple[str, str]] = {}
    for value, file, where in entries:
        value = str(value)
        key = id_key(value)
        if not key:
            continue
        if key not in first:
            first[key] = (value, _place(file, where))
        elif first[key][0] != value:
            other, place = first[key]
            problems.add(file, f"{kind} '{value}' and '{other}' ({place}) differ only by case or character form, "
                         "so they would be matched as one and their files would overwrite each other",
                         "spell them the same if they are one, otherwise rename one", where)


def _place(file, where) -> str:
    from .errors import display_path

    name = display_path(file)
    return f"{name}:{where}" if where not in (None, "") else name


# -- matching ids as researchers write them -------------------------------------------

_EXTENSION_RE = re.compile(r"\.(?:txt|md|docx?|odt|rtf|vtt|srt|pdf|csv|xlsx?|qdpx)$", re.IGNORECASE)
_TOKEN_RE = re.compile(r"[^\W_]+")
# Words around an id in file names and sheet cells that are not part of it.
SURROUNDING_WORDS = {"interview", "interviews", "transcript", "transcripts", "transcription", "final", "clean",
                     "cleaned", "anon", "anonymised", "anonymized", "redacted", "copy", "draft", "coding", "coded",
                     "table", "the", "with", "of", "no", "nr", "number"}


def match_key(value: str) -> str:
    """The key written ids are matched by (see 'Matching ids as researchers write them' above)."""
    # the one normalisation for matching (helpers.matching): NFKC, case, accents, apostrophe
    # and dash variants, invisible characters; then the id rules below
    text = _EXTENSION_RE.sub("", str(value).strip())
    text = fold_text(text)
    tokens = [t for t in _TOKEN_RE.findall(text) if t not in SURROUNDING_WORDS]
    key = "".join(tokens)
    return re.sub(r"\d+", lambda m: str(int(m.group())), key)


class IdMatcher:
    """Finds which known id a written id means.

    Parameters
    ----------
    known : iterable of str
        The study's ids (transcript doc_ids, participant ids, pseudonyms).
    """

    def __init__(self, known):
        self.known = list(dict.fromkeys(str(k) for k in known if str(k).strip()))
        self.exact = {k.casefold(): k for k in self.known}
        by_key: dict[str, list[str]] = {}
        for k in self.known:
            by_key.setdefault(match_key(k), []).append(k)
        self.by_key = by_key

    def match(self, written: str) -> tuple[str | None, str]:
        """(known id or None, how): how is 'exact', 'normalised', 'ambiguous' or 'none'."""
        written = str(written)
        hit = self.exact.get(unicodedata.normalize("NFC", written).strip().casefold())
        if hit is not None:
            return hit, "exact"
        hits = self.by_key.get(match_key(written), [])
        if len(set(hits)) == 1:
            return hits[0], "normalised"
        return None, "ambiguous" if hits else "none"

    def closest(self, written: str, limit: int = 3) -> list[str]:
        """The known ids nearest to ``written`` (by key, then by spelling)."""
        from rapidfuzz import fuzz, process

        same = self.by_key.get(match_key(written), [])
        if same:
            return same[:limit]
        keyed = {k: match_key(k) for k in self.known}
        found = process.extract(match_key(written), keyed, scorer=fuzz.ratio, limit=None)
        ranked = sorted(((-score, name) for _, score, name in found if score > 0))
        return [name for _, name in ranked[:limit]]
