"""Other qualitative-analysis programs in and out.

- ``refi``: REFI-QDA projects (.qdpx, or a bare .qde) and codebooks (.qdc) in,
  and a study out as a .qdpx;
- ``taguette``: Taguette project (.sqlite3), highlight and codebook (.csv/.xlsx) exports in;
- ``qdasheets``: MAXQDA coded-segment and ATLAS.ti quotation exports (.xlsx/.csv) in;
- ``safezip``: reading untrusted archives and XML;
- ``positions``: other programs' text positions -> code point offsets.

Importers return ``ExternalCodings`` (defined here, imported by ``helpers.ingest.coding``). A record with
``start``/``end`` (code points of its document's source text, kept as
``RawDocument.source_text`` with each turn's ``source_span``) is carried through cleaning
exactly (``helpers.ingest.spanmap``); any other record's quote is found in the study's clean text.

Document and case names are the study's documents and participants by the id matching used
everywhere else (``helpers.ids``; ``study_participant``, ``match_document_ids``): a name
matched loosely, or a document matching no transcript, is said in the import report.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.ingest.transcripts import RawDocument, SpeakerLabels, Turn

RECORD_COLUMNS = ["doc_id", "quote", "hint_offset", "code", "level", "coder", "memo", "source", "source_row"]
CODEBOOK_COLUMNS = ["code", "parent", "level", "description", "colour"]

# Only these are taken off a document name to make its doc_id: a name such as
# "Interview 2.5" keeps its dot.
DOCUMENT_SUFFIXES = {".txt", ".docx", ".doc", ".rtf", ".odt", ".pdf", ".md", ".html", ".htm", ".xhtml",
                     ".vtt", ".srt", ".epub"}


@dataclass
class ExternalCodings:
    """What an interop reader (REFI-QDA, Taguette, MAXQDA/ATLAS.ti sheets) hands to the
    importer (``helpers.ingest.coding``).

    ``documents``: sources that stand in for transcripts (used when no transcript
    has the same doc_id). ``records``: one row per coded selection, columns
    ``RECORD_COLUMNS`` (doc_id, quote, hint_offset (offset of the selection in the
    source text, or None), code, level, coder, memo, source, source_row). ``codebook``:
    code, parent, level, description, colour. ``participants``: participant_id and
    attributes, or None. ``notes``: lines for the researcher (become warnings).
    ``coder_use``: coder (as ``records.coder`` names them) -> 'analysis' or 'agreement', for
    the coders whose use the source records (our REFI-QDA export does); empty otherwise.
    """
    documents: list[RawDocument] = field(default_factory=list)
    records: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RECORD_COLUMNS))
    codebook: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CODEBOOK_COLUMNS))
    participants: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    coder_use: dict[str, str] = field(default_factory=dict)


def external_codings(**fields) -> ExternalCodings:
    """An ``ExternalCodings`` (defined here, read by helpers.ingest.coding: the readers
    and the importer share it without importing each other)."""
    return ExternalCodings(**fields)


def document_id(name: str) -> str:
    """A document's name without a file extension (only known ones)."""
    name = name.strip()
    suffix = Path(name).suffix
    return name[: -len(suffix)] if suffix.lower() in DOCUMENT_SUFFIXES and len(name) > len(suffix) else name


def study_labels(config=None) -> SpeakerLabels:
    """The speaker labels of a StudyConfig, else the defaults of DESIGN §2."""
    from helpers.ingest.config import DEFAULT_SPEAKERS

    return SpeakerLabels(getattr(config, "speakers", None) or DEFAULT_SPEAKERS)


def with_participants(labels: SpeakerLabels, ids: set[str], names: dict[str, str] | None = None) -> SpeakerLabels:
    """``labels`` that also know ``ids`` as participant labels (a project's Cases: in a focus
    group exported by us, a turn "P12: …" is spoken by case P12) and ``names`` (pseudonym or
    name -> participant id: a turn "Maya: …" is spoken by the case whose pseudonym is Maya).
    The pseudonyms ``labels`` already knows are kept."""
    ids = {i for i in ids if i} - set(labels.participant_ids.values())
    names = {n: p for n, p in (names or {}).items() if n and p}
    if not ids and not names:
        return labels
    speakers: dict[str, list[str]] = {}
    for label, role in labels.role.items():
        speakers.setdefault(role, []).append(label)
    return SpeakerLabels(speakers, set(labels.participant_ids.values()) | ids, {**labels.pseudonyms, **names})


def source_name_of(path: Path, root: Path | None) -> str:
    """A coding file as records.source names it: relative to the study folder
    when it is inside it, else its file name."""
    if root is not None:
        try:
            return str(Path(path).resolve().relative_to(Path(root).resolve()))
        except ValueError:
            pass
    return Path(path).name


_LINE_RE = re.compile(r"[^\r\n]*")


def lines_with_offsets(text: str) -> list[tuple[int, str]]:
    """(start offset, line) for each line; line ends are CRLF, CR or LF."""
    out, pos, n = [], 0, len(text)
    while pos <= n:
        match = _LINE_RE.match(text, pos)
        out.append((pos, match.group(0)))
        pos = match.end()
        if pos >= n:
            break
        pos += 2 if text.startswith("\r\n", pos) else 1
    return out


def paragraph_turns(paragraphs: list[tuple[int, str]], labels: SpeakerLabels, participant: str | None,
                    participant_at=None, start_time_at=None) -> list[Turn]:
    """One turn per non-empty line or paragraph (offset, text).

    A paragraph that starts with a speaker label is that speaker's turn; any
    other is its own turn, spoken by the document's participant (role
    "participant"), since a coded source without labels is the participant's
    account. ``participant_at(offset, length)`` may name who speaks there
    (REFI cases attached to selections); ``start_time_at(start, end)`` may give the start time
    of the turn whose text lies at ``start``–``end`` when its line has none (our REFI export
    writes it in a selection's Description, since cleaning took it out of the text).
    """
    turns: list[Turn] = []
    for number, (offset, paragraph) in enumerate(paragraphs, start=1):
        if not paragraph.strip():
            continue
        label, rest, stamp = labels.split(paragraph)
        speaker = participant_at(offset, len(paragraph)) if participant_at else None
        if label is not None:
            role = labels.role_of(label)
            who = (speaker or labels.canonical_participant(label)) if role == "participant" else None
            turn = Turn(label, rest.strip(), stamp, number, role=role, participant_id=who)
        else:
            turn = Turn("", rest.strip(), stamp, number, role="participant", participant_id=speaker or participant)
        turn.source_span, turn.line_start = _text_span(offset, paragraph, rest, turn.text), offset
        if turn.start_time is None and start_time_at is not None and turn.source_span is not None:
            turn.start_time = start_time_at(*turn.source_span)
        turns.append(turn)
    return turns


def _text_span(offset: int, paragraph: str, rest: str, text: str) -> tuple[int, int] | None:
    """Where a turn's text lies in the source: ``rest`` is the end of its paragraph (after the
    label and timestamp), ``text`` is ``rest`` stripped. None if that does not hold."""
    if not paragraph.endswith(rest):
        return None
    start = offset + len(paragraph) - len(rest) + (len(rest) - len(rest.lstrip()))
    return (start, start + len(text)) if paragraph[start - offset:start - offset + len(text)] == text else None


# -- other programs' names for the study's documents and participants ----------------------

LOOSE_RULE = "ids compared as everywhere else (helpers.ids): case, leading zeros, dashes, words such as 'interview'"


def study_participant(name: str, labels: SpeakerLabels) -> tuple[str | None, str]:
    """The study's participant that a document or case name of another program means.

    Parameters
    ----------
    name : str
        The name as the program writes it (already redacted), e.g. ``"Interview P1"``.
    labels : SpeakerLabels
        The study's labels: its participant ids (participants.csv) and their pseudonyms.

    Returns
    -------
    (participant_id or None, how)
        ``how`` is 'exact', 'pseudonym', 'normalised', 'ambiguous' or 'none' (also 'none' when
        the study lists no participants), by ``helpers.ids.IdMatcher``, the id matching used for
        coding sheets and participants.csv (issue 13, point 5).
    """
    from ..ids import IdMatcher

    ids = sorted(set(labels.participant_ids.values()))
    if not ids or not str(name).strip():
        return None, "none"
    candidates = {pid: pid for pid in ids}
    for folded, pid in sorted(labels.pseudonyms.items()):
        candidates.setdefault(folded, pid)
    hit, how = IdMatcher(candidates).match(str(name))
    if hit is None:
        return None, how
    pid = candidates[hit]
    if how == "exact" and hit != pid:
        how = "pseudonym"
    elif how == "exact" and str(name).strip() != pid:
        how = "normalised"   # same id in another case ('p01'): said as a loose match
    return pid, how


def participant_note(what: str, name: str, pid: str | None, how: str, file_name: str) -> str | None:
    """The import report's line for a name matched loosely or not at all (None when exact)."""
    if how == "normalised":
        return f"{file_name}: {what} '{name}' matched to participant {pid} ({LOOSE_RULE})"
    if how == "pseudonym":
        return f"{file_name}: {what} '{name}' matched to participant {pid} by its pseudonym"
    if how == "ambiguous":
        return (f"{file_name}: {what} '{name}' could be more than one participant of participants.csv: "
                "kept as a participant of its own — rename it in the program to the participant's id")
    return None


def match_document_ids(written, study_ids) -> dict[str, tuple[str | None, str]]:
    """Which of the study's documents each document name of another program means.

    Parameters
    ----------
    written : iterable of str
        Document ids as the program names them (``document_id`` of its document names).
    study_ids : iterable of str
        The study's document ids (transcripts, stand-ins).

    Returns
    -------
    dict of str to (doc_id or None, how)
        ``how``: 'exact' (the same id, case aside), 'normalised' (``helpers.ids.IdMatcher``:
        P1 and P01, 'Interview P01', dashes), 'ambiguous' (two study documents share its key) or
        'none'.
    """
    from ..ids import IdMatcher

    study_ids = [str(d) for d in study_ids]
    by_lower = {d.lower(): d for d in study_ids}
    matcher = IdMatcher(study_ids)
    out = {}
    for name in dict.fromkeys(str(w) for w in written):
        if name.lower() in by_lower:
            out[name] = (by_lower[name.lower()], "exact")
        else:
            out[name] = matcher.match(name)
    return out


def document_note(name: str, doc_id: str | None, how: str, file_name: str, closest: list[str] | None = None) -> str | None:
    """The import report's line for a document name matched loosely or not at all (None when exact)."""
    if how == "normalised":
        return f"{file_name}: document '{name}' matched to transcript '{doc_id}' ({LOOSE_RULE})"
    if how == "ambiguous":
        return (f"{file_name}: document '{name}' could be more than one transcript ({', '.join(closest or [])}): "
                "matched to none — rename it in the program to the transcript's id")
    if how == "none":
        near = f" (closest: {', '.join(closest)})" if closest else ""
        return (f"{file_name}: document '{name}' matches no transcript{near}: imported as a document of its own "
                "from the program's copy of the text — rename it in the program, or the transcript, if they are one")
    return None
