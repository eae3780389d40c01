"""Stand-in documents: coding tables and quote banks that are the only text of a participant,
and other programs' sources, when no transcript has their doc_id (``stand_in_documents``).
"""
from __future__ import annotations

from helpers.errors import InputError
from helpers.ingest.coding.common import (
    _cached,
    _participant_lookup,
    _text,
    docx_doc_id,
    quote_bank_key,
    source_files,
    source_kind,
)
from helpers.ingest.coding.external import _import_external
from helpers.ingest.coding.sheet import SheetRow, read_sheets
from helpers.ingest.coding.word import coding_table_document, read_word_table_turns
from helpers.ingest.transcripts import RawDocument, SpeakerLabels, Turn, sha256_file


def _transcript_speakers(config, labels: SpeakerLabels) -> set[str]:
    """Participants who speak in any transcript (focus groups): read only when needed."""
    from helpers.ingest.transcripts import read_transcript, transcript_files

    out: set[str] = set()
    for path in transcript_files(config.transcripts):
        try:
            doc = _cached(path, "transcript", lambda p: read_transcript(p, labels))
        except InputError:
            continue  # reported by the transcript reader itself
        out |= {labels.canonical_participant(t.speaker) for t in doc.turns if t.speaker} - {None}
    return out


def stand_in_documents(config, transcript_ids, participant_ids, labels: SpeakerLabels, redact,
                       external_labels: SpeakerLabels | None = None) -> list[RawDocument]:
    """Documents made from codings because no transcript exists for them:
    Word coding tables, quote banks, and REFI-QDA/Taguette sources (read with
    ``external_labels``, default ``labels``: the same object ``import_codings`` is given)."""
    from helpers.ingest.participants import load_participants
    from helpers.interop import match_document_ids

    taken = {str(d).lower() for d in transcript_ids}
    out: list[RawDocument] = []
    bank_rows: list[SheetRow] = []
    for entry, path in source_files(config):
        kind = source_kind(path)
        if kind == "word":
            doc_id = redact(docx_doc_id(path))
            if doc_id.lower() in taken:
                continue
            turns, _, _ = read_word_table_turns(entry, path, config, labels, redact)
            if turns:
                out.append(coding_table_document(doc_id, path, turns, labels))
                taken.add(doc_id.lower())
        elif kind == "sheet":
            try:
                infos = read_sheets(entry, path, config, redact)
            except InputError:
                continue  # reported by import_codings
            for info in infos:
                bank_rows += [r for r in info.rows if r.quote and not r.has_turn_column]
        elif kind == "external":
            try:
                external = _import_external(path, config, external_labels or labels, redact)
            except InputError:
                continue  # reported by import_codings
            # a document the study has a transcript of, by the id matching used everywhere
            # (helpers.ids: 'Interview P1' is P01), is that transcript, not a stand-in
            matched = match_document_ids([d.doc_id for d in external.documents], transcript_ids)
            for doc in external.documents:
                if doc.doc_id.lower() not in taken and matched[doc.doc_id][0] is None:
                    out.append(doc)
                    taken.add(doc.doc_id.lower())
    if bank_rows:
        out += _quote_banks(config, bank_rows, taken, labels, redact, load_participants(config, redact),
                            has_transcripts=bool(transcript_ids))
    return out


def _quote_banks(config, rows: list[SheetRow], taken: set[str], labels, redact, participants,
                 has_transcripts: bool = False) -> list[RawDocument]:
    """One pseudo-document per participant (or document/group value) whose quotes
    have no transcript to be found in; one turn per distinct quote.

    In a study that has transcripts, a row naming a document, group or
    participant that has no transcript makes no pseudo-document unless its codings
    entry says ``kind: quote_bank``: it is a typo, an id written differently (``P1``
    for P01) or a transcript whose file name carries more than the id, which the
    import matches by normalising or reports with the closest ids (issue 13, point 5).
    (A participant listed in participants.csv is no exception: that made a quote bank
    of a real interview's codings while its transcript stayed uncoded.)"""
    lookup = _participant_lookup(participants)
    own_transcript = set()
    if "doc_id" in participants.columns:  # participants.csv maps documents to participants
        own_transcript = {str(p) for p, d in zip(participants["participant_id"], participants["doc_id"])
                          if _text(d).lower() in taken}
    speakers: set[str] | None = None
    banks: dict[str, RawDocument] = {}
    seen: dict[str, set[str]] = {}
    for row in rows:
        pid = None if row.case_is_group or not row.case else lookup.get(row.case.lower(), row.case)
        if has_transcripts and not row.quote_bank:
            named = row.doc or (row.case if row.case_is_group else None)
            if named is not None and named.lower() not in taken:
                continue
            if named is None:
                # a participant without a transcript of their own (participants.csv may list
                # them, or a file name such as P02_followup.txt gave the transcript another id)
                # is reported by the import with the closest ids, not made a quote bank unsaid
                continue
        if row.doc:
            doc_id = row.doc
        elif row.case_is_group:
            doc_id = row.case
        else:
            doc_id = pid
            if pid in own_transcript:
                continue
            if pid.lower() not in taken and pid in lookup.values():
                speakers = _transcript_speakers(config, labels) if speakers is None else speakers
                if pid in speakers:
                    continue  # speaks in a focus-group transcript
        if not doc_id or (doc_id.lower() in taken and doc_id not in banks):
            continue
        bank = banks.get(doc_id)
        if bank is None:
            bank = banks[doc_id] = RawDocument(doc_id=doc_id, source_file=row.path, format="quote-bank",
                                               kind="quote_bank", turns=[], sha256=sha256_file(row.path),
                                               participant_id=pid)
            seen[doc_id] = set()
        elif bank.participant_id != pid:
            bank.participant_id = None  # several participants in one pseudo-document
        key = quote_bank_key(row.quote)
        if key not in seen[doc_id]:
            seen[doc_id].add(key)
            bank.turns.append(Turn(speaker=pid or "", text=row.quote, line=row.row, role="participant",
                                   participant_id=pid))
    return list(banks.values())
