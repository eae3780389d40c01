"""Captions (.vtt, .srt): cues, ``<v Name>`` voice tags and labelled lines, each its own
speaker; consecutive ones of one speaker merge into one turn; cue timings checked.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from helpers.errors import InputError
from helpers.ingest.transcripts.encoding import decode_text
from helpers.ingest.transcripts.model import Reading, Turn, seconds
from helpers.ingest.transcripts.speakers import SpeakerLabels, unknown_labels

CUE_TIMING_RE = re.compile(r"^\s*(\d{1,2}:)?\d{2}:\d{2}[.,]\d{3}\s+-->\s+(\d{1,2}:)?\d{2}:\d{2}[.,]\d{3}(\s.*)?$")
# A line that tries to be a cue timing: has the arrow, or starts with a time and an arrow-like "->".
CUE_TIMING_ATTEMPT_RE = re.compile(r"-->|^\s*\d{1,2}:\d{2}\S*\s*-+>")


# -- captions ------------------------------------------------------------------------

def check_cue_timings(path: Path, text: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if CUE_TIMING_ATTEMPT_RE.search(line) and not CUE_TIMING_RE.match(line):
            raise InputError.one(path, f"malformed cue timing '{line.strip()[:60]}'",
                                 "timings read like 00:01:02.500 --> 00:01:05.000 (.vtt) or 00:01:02,500 --> 00:01:05,000 (.srt)",
                                 f"line {number}")


@dataclass
class Cue:
    start: str
    lines: list[str]
    line: int


_VOICE_RE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>", re.IGNORECASE)
_TAG_RE = re.compile(r"</?[^>\s][^>]*>")


def parse_cues(path: Path, text: str, fmt: str) -> list[Cue]:
    """Cues of a WebVTT or SubRip file, tolerantly: a byte-order mark, blank
    lines before the first cue, cue numbers or ids, and missing blank lines
    between cues (a timing line always starts a cue) are all accepted. WebVTT
    needs its "WEBVTT" first line; its NOTE, STYLE and REGION blocks are skipped."""
    lines = text.lstrip("\ufeff").splitlines()
    if fmt == "vtt":
        first = next((l for l in lines if l.strip()), "")
        if not first.strip().startswith("WEBVTT"):
            raise InputError.one(path, "not a valid VTT file (it does not start with 'WEBVTT')",
                                 "export the captions again from the recording platform, or rename it .srt if it is SubRip")
    cues: list[Cue] = []
    current: Cue | None = None
    skipping = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if CUE_TIMING_RE.match(line):
            if current is not None and current.lines and re.fullmatch(r"\d+|[^\s].{0,40}", current.lines[-1].strip()) \
                    and number >= 2 and lines[number - 2].strip() == current.lines[-1].strip() and _is_cue_id(lines, number - 2):
                current.lines.pop()  # the next cue's number, not a blank line between
            current = Cue(stripped.split("-->")[0].strip(), [], number)
            cues.append(current)
            skipping = False
            continue
        if not stripped:
            current = None
            skipping = False
            continue
        if current is None:
            if fmt == "vtt" and (stripped.startswith(("NOTE", "STYLE", "REGION", "WEBVTT")) or skipping):
                skipping = True
            continue  # a cue number or id, or a header block
        current.lines.append(line)
    return cues


def vtt_cues(path: Path, text: str) -> list[Cue]:
    """Cues of a WebVTT file through webvtt-py (header, NOTE, STYLE and REGION
    blocks, cue settings), each with its raw lines so that every voice span
    can be read (webvtt-py's ``voice`` is the first span only)."""
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    first = next((l for l in text.lstrip("\ufeff").splitlines() if l.strip()), "")
    if not first.strip().startswith("WEBVTT"):
        raise InputError.one(path, "not a valid VTT file (it does not start with 'WEBVTT')",
                             "export the captions again from the recording platform, or rename it .srt if it is SubRip")
    try:
        captions = webvtt.from_string(text.lstrip("\ufeff").lstrip("\n\r \t")).captions
    except (MalformedCaptionError, MalformedFileError) as exc:
        raise InputError.one(path, f"not a valid VTT file ({exc})",
                             "export the captions again from the recording platform") from None
    starts = [n for n, line in enumerate(text.splitlines(), start=1) if CUE_TIMING_RE.match(line)]
    return [Cue(c.start, c.raw_text.splitlines(), starts[i] if i < len(starts) else None)
            for i, c in enumerate(captions)]


def _is_cue_id(lines: list[str], index: int) -> bool:
    """Line ``index`` (0-based) stands right before a timing line: a cue
    number such as "12" (a SubRip file without blank lines between cues)."""
    return bool(re.fullmatch(r"\s*\d+\s*", lines[index]))


def read_captions(path: Path, data: bytes, labels: SpeakerLabels, fmt: str, encoding: str | None = None) -> Reading:
    """Cues -> turns. In each cue, every line may change the speaker: a
    ``<v Name>`` voice span, or a label at its start (after a dialogue dash
    "- ", which is dropped); a line with neither continues the current
    speaker; consecutive lines and cues by the same speaker are one turn."""
    decoded = decode_text(path, data, encoding)
    text = decoded.text
    check_cue_timings(path, text)
    cues = vtt_cues(path, text) if fmt == "vtt" else parse_cues(path, text, fmt)
    if not cues:
        raise InputError.one(path, f"no captions found in this {fmt.upper()} file",
                             "check the file is a complete caption export")
    turns: list[Turn] = []
    source: list[str] = []
    removed: list[tuple[str, str]] = []
    for cue in cues:
        for raw in cue.lines:
            voice = _VOICE_RE.search(raw)
            # the cue's words: a voice tag's name stays (it is a label), other markup and entities are not words
            source.append(html.unescape(_TAG_RE.sub(" ", _VOICE_RE.sub(lambda m: f" {m.group(1)} ", raw))))
            body = html.unescape(_TAG_RE.sub("", raw)).strip()
            if body.startswith(("- ", "-\t", "– ")) or body == "-":
                body = body[1:].strip()
            speaker = voice.group(1).strip() if voice else None
            if speaker is None:
                label, rest, _ = labels.split(body)
                if label:
                    speaker, body = label, rest.strip()
            body = " ".join(body.split())
            named = speaker is not None
            if speaker is None:
                speaker = turns[-1].speaker if turns else ""
            if turns and speaker == turns[-1].speaker:
                if named:  # the same speaker again: one turn, the label written once
                    removed.append(("speaker label", speaker))
                turns[-1].text = f"{turns[-1].text} {body}".strip()
            else:
                turns.append(Turn(speaker, body, seconds(cue.start), cue.line))
    return Reading(turns, decoded.encoding, source, removed, list(decoded.notes), [],
                   unknown_labels([html.unescape(_TAG_RE.sub("", l)).lstrip("- ") for c in cues for l in c.lines], labels))
