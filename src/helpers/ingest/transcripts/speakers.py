"""Who speaks: speaker labels at line start (``SpeakerLabels``: study.yml ``speakers:``,
participant ids, pseudonyms), label-like prefixes that are none of them (``unknown_labels``),
and lines -> turns (``read_lines``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from helpers.ingest.transcripts.model import STAMP_ONLY, TIMESTAMP, Turn, seconds
from helpers.matching import APOSTROPHES, DASHES, fold_text, folded

# -- speaker labels -------------------------------------------------------------

class SpeakerLabels:
    """Matches labels at line start and gives each its role.

    A label is a configured label (study.yml ``speakers:``), a participant id,
    or a pseudonym or name from participants.csv (``pseudonyms``: name ->
    participant_id); all compared as every term and id is (``helpers.matching.fold``: NFC,
    case, accents, apostrophe and dash variants), so "D’Arcy:" is the label D'Arcy and "Zoë:"
    the pseudonym Zoe; the label and the words returned are the line's own characters.
    Timestamps may stand
    before the label, between it and its colon, or right after the colon:
    ``[00:01:02] I: …``, ``I (00:01:02): …``, ``I: #00:01:02.500# …``; right
    after the colon only a bracketed stamp or h:mm:ss counts, since
    "P: 12:30 on the ward" is speech.
    """

    def __init__(self, speakers: dict[str, list[str]], participant_ids: set[str] | None = None,
                 pseudonyms: dict[str, str] | None = None):
        self.speakers = {role: list(labels) for role, labels in speakers.items()}
        self.role: dict[str, str] = {}
        for role, labels in speakers.items():
            for label in labels:
                self.role[_fold(label)] = role
        self.participant_ids = {_fold(p): p for p in (participant_ids or set())}
        self.pseudonyms = {_fold(name): pid for name, pid in (pseudonyms or {}).items()
                           if _fold(name) and _fold(name) not in self.role}
        labels = sorted(set(self.role) | set(self.participant_ids) | set(self.pseudonyms), key=len, reverse=True)
        alternatives = "|".join(re.escape(l) for l in labels) or r"(?!x)x"
        self.line_re = re.compile(
            rf"^\s*(?:{TIMESTAMP}\s*)?(?:\*\*|__)?({alternatives})(?:\*\*|__)?(?:\s*{TIMESTAMP})?\s*:(?:\*\*|__)?"
            rf"(?:\s*{STAMP_ONLY}(?=\s|$))?\s?(.*)$", re.IGNORECASE)
        # "Name  0:04" alone on a line, the words on the next (transcription services)
        self.name_stamp_re = re.compile(rf"^\s*(?:\*\*|__)?({alternatives})(?:\*\*|__)?\s+{TIMESTAMP}\s*$", re.IGNORECASE)
        self.stamp_only_re = re.compile(rf"^\s*{STAMP_ONLY}\s+(.*)$")

    def role_of(self, label: str) -> str:
        low = _fold(label)
        if low in self.participant_ids or low in self.pseudonyms:
            return "participant"
        return self.role.get(low, "other")

    def canonical_participant(self, label: str) -> str | None:
        low = _fold(label)
        return self.participant_ids.get(low) or self.pseudonyms.get(low)

    def is_label(self, label: str) -> bool:
        low = _fold(label)
        return low in self.role or low in self.participant_ids or low in self.pseudonyms

    def split(self, line: str) -> tuple[str | None, str, float | None]:
        """(label or None, rest of line, start_time) for one line of text: the label as
        written in the line, the rest of the line unchanged."""
        found = self._match(line)
        if found is None:
            return None, line, None
        regex, m, label, rest_at = found
        if regex is self.line_re:
            return label, line[rest_at:], seconds(m.group(1) or m.group(3) or m.group(4) or m.group(5))
        if regex is self.name_stamp_re:
            return label, "", seconds(m.group(2))
        return None, line[rest_at:], seconds(m.group(1) or m.group(2))

    def starts_turn(self, line: str) -> bool:
        """Whether ``line`` opens with a known label (with its colon, or alone with a timestamp)."""
        found = self._match(line)
        return found is not None and found[0] is not self.stamp_only_re

    def _match(self, line: str):
        """(regex, match on the folded line, label as written, where the rest starts in
        ``line``) of the first of line_re, name_stamp_re, stamp_only_re that matches, or None.
        The regexes are built from folded labels and match the folded line; spans map back
        to the line's own characters (``matching.Folded.to_source``)."""
        fold = folded(line)
        for regex in (self.line_re, self.name_stamp_re, self.stamp_only_re):
            m = regex.match(fold.text)
            if m is None:
                continue
            label = None
            if regex is not self.stamp_only_re:
                group = 2 if regex is self.line_re else 1
                start, end = fold.to_source(m.start(group), m.end(group))
                label = line[start:end]
            rest_at = len(line)
            if regex is not self.name_stamp_re:
                rest_at = fold.to_source(m.start(m.lastindex), m.start(m.lastindex))[0]
            return regex, m, label, rest_at
        return None

    def timestamps_in(self, line: str) -> list[str]:
        """The timestamps ``split`` takes out of ``line`` (for the conservation check)."""
        found = self._match(line)
        if found is None:
            return []
        head = line[:found[3]]
        stamps = re.findall(r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?", head)
        return [digits for stamp in stamps for digits in re.findall(r"\d+", stamp)]

    def yml_fix(self, label: str, role: str = "participant") -> str:
        """The study.yml line that makes ``label`` a label of ``role``."""
        labels = self.speakers.get(role, []) + [label]
        return f"speakers: {{{role}: [{', '.join(labels)}]}} (keep the other roles' lines)"


def _fold(label: str) -> str:
    """Labels compare as every term and id does: ``matching.fold_text`` (NFC, case, accents,
    apostrophe and dash variants), spaces at the ends dropped."""
    return fold_text(str(label)).strip()


# A prefix that looks like a speaker label: up to three capitalised words (or
# "Speaker 2") and a colon, or such a name followed by a timestamp alone.
# Any script's letters, any apostrophe or dash (the first letter must be a capital:
# ``unknown_labels`` checks, since re has no class for capitals beyond ASCII).
_WORD = rf"[\w{re.escape(APOSTROPHES + DASHES)}.]*"
_LABEL_LIKE_RE = re.compile(rf"^\s*(?:{TIMESTAMP}\s*)?(?:\*\*|__)?(?P<label>[^\W\d_]{_WORD}(?: [^\W_]{_WORD}){{0,2}})"
                            rf"(?:\*\*|__)?\s*(?::\s|:$|\s+{TIMESTAMP}\s*$)")


def _capitalised(label: str) -> bool:
    """Every word of a label-like prefix starts with a capital or a digit ("Speaker 2",
    "Łucja Nowak"): "Transcribed by:" is a header, not a speaker."""
    return all(word[:1].isupper() or word[:1].isdigit() for word in label.split())


def unknown_labels(lines: list[str], labels: SpeakerLabels) -> dict[str, int]:
    """Label-like prefixes that are no known label: {label: lines}. Even once: a misspelt
    pseudonym ("Sabel:") or an unlisted speaker joins their words to the turn before, so
    another person's words would be counted as that speaker's without a word said."""
    counts: dict[str, int] = {}
    for line in lines:
        if labels.starts_turn(line):
            continue
        m = _LABEL_LIKE_RE.match(line)
        if m and _capitalised(m.group("label")) and not labels.is_label(m.group("label")):
            counts[m.group("label")] = counts.get(m.group("label"), 0) + 1
    return {label: n for label, n in counts.items() if n >= 1}


# -- readers --------------------------------------------------------------------

@dataclass
class LineTurns:
    """Turns read from lines, the header lines before the first turn, and
    the timestamps taken out."""
    turns: list[Turn]
    header_lines: list[int]
    removed: list[tuple[str, str]]


def turns_from_lines(lines: list[str], labels: SpeakerLabels) -> list[Turn]:
    return read_lines(lines, labels).turns


def read_lines(lines: list[str], labels: SpeakerLabels, first_line: int = 1) -> LineTurns:
    """Turns of a transcript's lines: a labelled line starts a turn, other
    lines continue it; lines before the first label are a header (a title,
    "Transcribed by …"), kept out of the turns and reported."""
    turns: list[Turn] = []
    header: list[int] = []
    removed: list[tuple[str, str]] = []
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        label, rest, stamp = labels.split(line)
        if stamp is not None:
            removed += [("timestamp", d) for d in labels.timestamps_in(line)]
        if label is not None:
            turns.append(Turn(label, rest.strip(), stamp, number))
        elif turns:
            turns[-1].text = f"{turns[-1].text} {rest.strip()}".strip()
        else:
            header.append(number)
            removed.append(("header", line))
    return LineTurns(turns, header, removed)
