"""REFI-QDA projects in (``read_qdpx``): see ``helpers.interop.refi`` for what is read and how."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

import numpy as np
import pandas as pd

from helpers.ingest.transcripts import RawDocument, SpeakerLabels
from helpers.safezip import DEFAULT_LIMITS, Limits
from helpers.textutil import plural

from ..errors import InputError, ProblemList
from . import (
    RECORD_COLUMNS,
    document_id,
    external_codings,
    lines_with_offsets,
    paragraph_turns,
    participant_note,
    source_name_of,
    study_labels,
    study_participant,
    with_participants,
)
from . import positions as pos
from .refi_codebook import _check_code_names, _code_rows, alias_codes, code_levels
from .refi_project import _decode_source, _internal_name, _opened, _Project
from .refi_xml import (
    MEMO_JOIN,
    NON_TEXT_SOURCES,
    VALUE_TAGS,
    _guid,
    _text,
    read_coder_description,
    read_document_description,
    read_turn_description,
)

# -- project -----------------------------------------------------------------------

def _variable_value(value: Element, variables: dict[str, tuple[str, str]]) -> tuple[str, object] | None:
    ref = value.find("VariableRef")
    name = variables.get(_guid(ref.get("targetGUID")) if ref is not None else "", ("", ""))[0]
    for tag in VALUE_TAGS:
        found = value.find(tag)
        if found is None or found.text is None:
            continue
        raw = found.text.strip()
        try:
            if tag == "IntegerValue":
                return name, int(raw)
            if tag == "FloatValue":
                return name, float(raw)
            if tag == "BooleanValue":
                return name, raw.lower() in ("true", "1")
        except ValueError:
            pass
        return name, raw
    return None


@dataclass
class _Case:
    name: str
    attributes: dict
    sources: set[str]
    selections: set[str]
    pid: str = ""    # the participant it is: its name redacted, or the study's participant it matches


def _note_texts(project: _Project) -> dict[str, str]:
    notes = {}
    for note in project.root.findall("Notes/Note"):
        text = _text(note, "PlainTextContent")
        if not text and note.get("plainTextPath"):
            internal = _internal_name(note.get("plainTextPath"))
            data = project.read_member(internal) if internal else None
            text = _decode_source(data, project.path, f"note {note.get('guid')}").strip() if data else ""
        notes[_guid(note.get("guid"))] = text or _text(note, "Description") or (note.get("name") or "")
    return notes


def _linked_notes(root: Element, notes: dict[str, str]) -> dict[str, list[str]]:
    """Selection/coding GUID -> texts of notes linked to it by a <Link>."""
    out: dict[str, list[str]] = {}
    for link in root.findall("Links/Link"):
        a, b = _guid(link.get("originGUID")), _guid(link.get("targetGUID"))
        for note, other in ((a, b), (b, a)):
            if note in notes and other not in notes:
                out.setdefault(other, []).append(notes[note])
    return out


def _cases(root: Element, variables: dict[str, tuple[str, str]]) -> list[_Case]:
    cases = []
    for case in root.findall("Cases/Case"):
        attributes = dict(v for v in (_variable_value(x, variables) for x in case.findall("VariableValue"))
                          if v is not None and v[0])
        cases.append(_Case((case.get("name") or case.get("guid") or "").strip(), attributes,
                           {_guid(r.get("targetGUID")) for r in case.findall("SourceRef")},
                           {_guid(r.get("targetGUID")) for r in case.findall("SelectionRef")}))
    return cases


def _selection_rows(source: Element, source_key: str) -> list[dict]:
    """One row per (selection, coding) of a text source; start/end as written."""
    rows = []
    for selection in source.findall("PlainTextSelection"):
        base = {"source_key": source_key, "selection": _guid(selection.get("guid")),
                "selection_user": _guid(selection.get("creatingUser")),
                "start_raw": selection.get("startPosition"), "end_raw": selection.get("endPosition"),
                "description": _text(selection, "Description"),
                "selection_notes": [_guid(n.get("targetGUID")) for n in selection.findall("NoteRef")]}
        if selection.find("Coding") is None:
            # no code: kept only for where it lies (a Case's SelectionRef says who speaks there)
            rows.append({**base, "coding": "", "code_guid": "", "coding_user": "", "coding_notes": [],
                         "uncoded": True})
        for coding in selection.findall("Coding"):
            ref = coding.find("CodeRef")
            rows.append({**base, "coding": _guid(coding.get("guid")),
                         "code_guid": _guid(ref.get("targetGUID")) if ref is not None else "",
                         "coding_user": _guid(coding.get("creatingUser")),
                         "coding_notes": [_guid(n.get("targetGUID")) for n in coding.findall("NoteRef")]})
    for coding in source.findall("Coding"):   # a code on the whole source
        ref = coding.find("CodeRef")
        rows.append({"source_key": source_key, "selection": _guid(source.get("guid")), "selection_user": "",
                     "start_raw": None, "end_raw": None, "description": "", "selection_notes": [],
                     "coding": _guid(coding.get("guid")),
                     "code_guid": _guid(ref.get("targetGUID")) if ref is not None else "",
                     "coding_user": _guid(coding.get("creatingUser")),
                     "coding_notes": [_guid(n.get("targetGUID")) for n in coding.findall("NoteRef")]})
    return rows


def read_qdpx(path: Path | str, labels: SpeakerLabels | None = None, redact=None, *, config=None,
              root: Path | None = None, limits: Limits = DEFAULT_LIMITS):
    """A REFI-QDA project (.qdpx archive, or a bare .qde beside its Sources/)
    -> ExternalCodings (documents, records, codebook, participants, notes).

    ``redact`` (a cleaning.Redactor or any str -> str) is applied to what
    becomes a key: document ids, participant ids and attribute names. Quotes,
    memos, codes, coders and attribute values are left as written: the coding
    importer and ingest redact them, and redacting twice is not safe (a
    placeholder may contain a term). Turn texts are redacted by clean_document. ``root`` (the study folder, or ``config.root``) makes
    ``records.source`` relative to it; else it is the file name. Without
    ``labels``, the speaker labels of ``config`` (else the defaults) are used.
    """
    path = Path(path)
    labels = labels or study_labels(config)
    redact = redact or (lambda s: s)
    source_name = source_name_of(path, root or getattr(config, "root", None))
    with _opened(path, limits) as project:
        return _read_project(project, labels, redact, source_name)


def _read_project(project: _Project, labels: SpeakerLabels, redact, source_name: str):
    path, xml = project.path, project.root
    problems = ProblemList()
    notes = list(project.notes)
    if xml.tag != "Project":
        raise InputError.one(path, f"not a REFI-QDA project (the XML root is <{xml.tag}>)",
                             "a .qdc is a codebook only: list it under 'codebook:' or export the whole project (.qdpx)")
    users = {_guid(u.get("guid")): (u.get("name") or "").strip() or _guid(u.get("guid"))
             for u in xml.findall("Users/User")}
    levels_of = code_levels(xml)
    codebook, code_names = _code_rows(xml.find("CodeBook/Codes"), levels_of, alias_codes(xml))
    if levels_of:
        notes.append(f"code levels read from the project's 'Level: …' sets ({len(levels_of)} codes)")
    _check_code_names(codebook, path)
    variables = {_guid(v.get("guid")): ((v.get("name") or "").strip(), v.get("typeOfVariable") or "")
                 for v in xml.findall("Variables/Variable")}
    cases = _cases(xml, variables)
    for case in cases:   # the study's participant each case is (helpers.ids), said when loosely
        written = redact(case.name)
        pid, how = study_participant(written, labels)
        case.pid = pid if pid is not None else written
        note = participant_note("case", written, pid, how, path.name)
        if note:
            notes.append(note)
    note_texts = _note_texts(project)
    linked = _linked_notes(xml, note_texts)

    # Texts of the text sources, and every coding on them.
    texts: dict[str, str] = {}
    meta: dict[str, dict] = {}
    rows: list[dict] = []
    skipped_sources = 0
    for source in xml.findall("Sources/TextSource"):
        key = _guid(source.get("guid"))
        name = (source.get("name") or key).strip()
        where = f"TextSource '{name}'"
        text = None
        inline = source.find("PlainTextContent")
        if inline is not None:
            text = inline.text or ""
        elif source.get("plainTextPath"):
            internal = _internal_name(source.get("plainTextPath"))
            data = project.read_member(internal) if internal else None
            if data is not None:
                text = _decode_source(data, path, where)
        source_rows = _selection_rows(source, key)
        if text is None:
            if source_rows:
                problems.add(path, f"{where} has {plural(len(source_rows), 'coding')} but its text is not in the project "
                             f"({source.get('plainTextPath') or 'no plainTextPath'})",
                             "export the project again with its sources included (.qdpx)", project.xml_name)
            skipped_sources += 1
            continue
        texts[key] = text
        attrs = dict(v for v in (_variable_value(x, variables) for x in source.findall("VariableValue"))
                     if v is not None and v[0])
        meta[key] = {"name": name, "attributes": attrs, "described": read_document_description(
            _text(source, "Description"))}
        rows += source_rows
    if skipped_sources:
        notes.append(f"{plural(skipped_sources, 'text source')} without their text in {path.name} skipped (no codings on them)")
    non_text = [s for tag in NON_TEXT_SOURCES for s in xml.findall(f"Sources/{tag}")]
    if non_text:
        n_codings = sum(len(s.findall(".//Coding")) for s in non_text)
        notes.append(f"{plural(len(non_text), 'picture/PDF/audio/video source')} and their {plural(n_codings, 'coding')} skipped: "
                     "only text sources are read")

    records, selection_spans = _records(rows, texts, meta, code_names, users, note_texts, linked, path,
                                        project.xml_name, problems, notes, levels_of)
    own_labels = labels
    labels = with_participants(labels, {c.pid for c in cases},
                               _case_names(cases, texts, selection_spans, labels, redact, notes))
    documents, participants = _documents(texts, meta, cases, selection_spans, labels, redact, path, problems,
                                         own_labels, notes)
    problems.raise_if_any()
    described = sum(1 for key in texts if meta[key].get("described"))
    timed = sum(len(meta[key].get("times", {})) for key in texts)
    if described or timed:
        notes.append(f"read back from the Descriptions Transcript Themes writes: the kind and format of {plural(described, 'document')}"
                     f", the start times of {plural(timed, 'turn')}")
    doc_of_source = {key: redact(document_id(meta[key]["name"])) for key in texts}
    if len(records):
        records["doc_id"] = records.pop("source_key").map(doc_of_source)
    else:
        records = records.rename(columns={"source_key": "doc_id"})
    records["source"] = source_name
    records = records[RECORD_COLUMNS + ["start", "end"]].sort_values(
        ["doc_id", "start", "end", "code", "coder"], kind="stable")
    records = records.astype({c: "string" for c in RECORD_COLUMNS if c != "hint_offset"})
    coder_use = {coder: use for coder, use in read_coder_description(_text(xml, "Description")).items()
                 if coder in set(records["coder"].dropna())}
    if coder_use:
        agreement = sorted(c for c, use in coder_use.items() if use == "agreement")
        notes.append(f"each coder's use read back from the project's Description (Transcript Themes writes it): "
                     f"{len(agreement)} of {plural(len(coder_use), 'coder')} for agreement only"
                     + (f" ({', '.join(agreement)})" if agreement else ""))
    return external_codings(documents=documents, records=records.reset_index(drop=True),
                            codebook=codebook, participants=participants, notes=notes, coder_use=coder_use)


PSEUDONYM_ATTRIBUTES = ("pseudonym", "name", "alias")   # as participants.csv names them (helpers.ingest)
_LABEL_BEFORE = re.compile(r"^\s*(?:\*\*|__)?(?P<label>[^\s:*_][^:\n]{0,60}?)(?:\*\*|__)?\s*:\s*$")


def _case_names(cases: list[_Case], texts: dict[str, str], selection_spans: dict, labels: SpeakerLabels, redact,
                notes: list[str]) -> dict[str, str]:
    """Speaker labels that name a case: its pseudonym (a Variable "pseudonym", "name" or
    "alias", as in participants.csv) and the label written before the turns it speaks.

    A focus group's turns may be labelled with pseudonyms ("Maya: …") while its Cases are the
    participant ids (P21); each case refers to the selections of the turns it speaks. A label
    is read off the start of the selection's line ("Maya: " before a selection of the turn's
    text); one that names two cases, or is already a label of another role (Facilitator), is
    not taken, and said.
    """
    out: dict[str, tuple[str, str, str]] = {}   # folded label -> (label, case, where read)
    clash: set[str] = set()

    def add(name: str, case: str, where: str) -> None:
        name = name.strip()
        key = name.casefold()
        if not name or key in clash or key == case.casefold():
            return
        if labels.role_of(name) != "other" and labels.canonical_participant(name) is None:
            return   # a label of another role (Facilitator)
        known = labels.canonical_participant(name)
        if (known is not None and known != case) or out.get(key, (name, case, where))[1] != case:
            clash.add(key)
            return
        out.setdefault(key, (name, case, where))

    for case in cases:
        pid = case.pid
        for attribute, value in case.attributes.items():
            if str(attribute).strip().lower() in PSEUDONYM_ATTRIBUTES and isinstance(value, str):
                add(value, pid, "attribute")
        for selection in sorted(case.selections):
            if selection not in selection_spans:
                continue
            key, start, _ = selection_spans[selection]
            text = texts[key]
            line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
            found = _LABEL_BEFORE.match(text[line_start:start])
            if found:
                add(found.group("label"), pid, "text")
    for key in sorted(clash):
        notes.append(f"speaker label '{redact(key)}' names more than one case: not read as a case's label")
    taken = {key: v for key, v in out.items() if key not in clash}
    for name, case, where in sorted(taken.values()):
        if where == "text":
            notes.append(f"speaker label '{redact(name)}' read as case {case}: it stands before the turns the case's "
                         "selections cover")
    return {name: case for name, case, _ in taken.values()}


def _records(rows, texts, meta, code_names, users, note_texts, linked, path, xml_name,
             problems: ProblemList, notes: list[str], levels_of: dict[str, str]) -> tuple[pd.DataFrame, dict]:
    """Coding rows with positions converted to code points, quote, coder, memo; and where every
    placeable selection lies (selection GUID -> source key, start, end), coded or not."""
    columns = ["source_key", "quote", "hint_offset", "code", "level", "coder", "memo", "source_row", "start", "end"]
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype="Int64" if c in ("hint_offset", "start", "end") else "string")
                             for c in columns}), {}
    frame = pd.DataFrame(rows)
    frame["uncoded"] = frame["uncoded"].fillna(False).astype(bool) if "uncoded" in frame else False
    whole = frame["start_raw"].isna()
    frame["start_w"] = pd.to_numeric(frame["start_raw"], errors="coerce")
    frame["end_w"] = pd.to_numeric(frame["end_raw"], errors="coerce")
    bad_number = ~whole & (frame["start_w"].isna() | frame["end_w"].isna())
    frame["why"] = np.where(bad_number, "its start/end positions are not whole numbers", "")
    lengths = {k: len(t) for k, t in texts.items()}
    frame.loc[whole, "start_w"] = 0

    # Detect the position convention on the selections (not the whole-source codings).
    spans = {}
    selections = frame.loc[~whole & ~bad_number].drop_duplicates("selection")
    for key, group in selections.groupby("source_key", sort=True):
        spans[key] = (texts[key], group["start_w"].to_numpy(np.int64), group["end_w"].to_numpy(np.int64))
    convention, scores = pos.detect_convention(spans) if spans else (pos.CODE_POINTS, {})
    if spans:
        detail = ", ".join(f"{k} {v}" for k, v in scores.items())
        notes.append(f"{convention.note} — detected in {path.name}: {detail} of "
                     f"{sum(len(s[1]) for s in spans.values())} selections start and end on word/line boundaries")

    start = np.full(len(frame), -1, dtype=np.int64)
    end = np.full(len(frame), -1, dtype=np.int64)
    for key, index in frame.groupby("source_key", sort=False).indices.items():
        part = frame.iloc[index]
        is_whole = part["start_raw"].isna().to_numpy()
        s = pos.to_code_points(texts[key], part["start_w"].fillna(0).to_numpy(np.int64), convention)
        e = pos.to_code_points(texts[key], part["end_w"].fillna(0).to_numpy(np.int64), convention)
        s[is_whole], e[is_whole] = 0, lengths[key]
        start[index], end[index] = s, e
    frame["start"], frame["end"] = start, end
    frame = _drop_unplaceable(frame, meta, lengths, convention, code_names, note_texts, linked, path, xml_name, problems, notes)
    spans = frame.loc[~frame["start_raw"].isna()].drop_duplicates("selection")
    selection_spans = dict(zip(spans["selection"], zip(spans["source_key"], spans["start"].astype(int),
                                                       spans["end"].astype(int))))
    # turns' start times, which our export writes in the Description of a turn's own selection
    for key, s, e, description in zip(spans["source_key"], spans["start"], spans["end"], spans["description"]):
        seconds = read_turn_description(description)
        if seconds is not None:
            meta[key].setdefault("times", {})[(int(s), int(e))] = seconds
    frame = frame.loc[~frame["uncoded"]]
    unknown = ~frame["code_guid"].isin(code_names)
    for row in frame.loc[unknown].itertuples(index=False):
        problems.add(path, f"a coding refers to code {row.code_guid or '(none)'}, which is not in the code book",
                     "export the project again with its whole code book", f"{xml_name}:selection {row.selection}")
    frame = frame.loc[~unknown]

    quotes = [texts[k][s:e] for k, s, e in zip(frame["source_key"], frame["start"], frame["end"])]
    coder = [users.get(c or s, c or s) for c, s in zip(frame["coding_user"], frame["selection_user"])]
    memo = [MEMO_JOIN.join(dict.fromkeys(m for m in [d, *(note_texts.get(n, "") for n in sn + cn),
                                                      *linked.get(sel, []), *linked.get(cod, [])] if m))
            for d, sn, cn, sel, cod in zip(frame["description"], frame["selection_notes"], frame["coding_notes"],
                                           frame["selection"], frame["coding"])]
    out = pd.DataFrame({
        "source_key": frame["source_key"].to_numpy(), "quote": quotes,
        "hint_offset": frame["start"].to_numpy(), "code": frame["code_guid"].map(code_names).to_numpy(),
        "level": frame["code_guid"].map(lambda g: levels_of.get(g, "")).to_numpy(), "coder": coder, "memo": memo, "source_row": frame["selection"].to_numpy(),
        "start": frame["start"].to_numpy(), "end": frame["end"].to_numpy()})
    out = out.sort_values(["source_key", "start", "end", "code", "coder"], kind="stable")
    return out.astype({"hint_offset": "Int64", "start": "Int64", "end": "Int64"}).reset_index(drop=True), selection_spans


def _drop_unplaceable(frame, meta, lengths, convention, code_names, note_texts, linked, path, xml_name,
                      problems: ProblemList, notes: list[str]) -> pd.DataFrame:
    """Selections that cannot be placed, each said in ``notes`` (a warning), not a refusal.

    A selection is unplaceable when its positions are not whole numbers, fall outside its
    source or inside a character, end before they start, or select nothing (zero length:
    schema-legal, written by ATLAS.ti). The note names the selection GUID and its source,
    says how many codings (and which codes) it carried and keeps its memo, so nothing the
    researcher wrote is lost silently. When *every* selection of the file is unplaceable the
    positions were misread, and that is an error (a clear error beats an empty import).
    """
    whole = frame["start_raw"].isna()
    why = frame["why"].copy()
    unread = (why == "") & ((frame["start"] < 0) | (frame["end"] < 0) | (frame["end"] < frame["start"]))
    why[unread] = [f"its positions {s}–{e} do not fit its source ({lengths[k]} characters, read as {convention.key})"
                   for s, e, k in zip(frame.loc[unread, "start_raw"], frame.loc[unread, "end_raw"],
                                      frame.loc[unread, "source_key"])]
    empty = (why == "") & ~whole & (frame["start"] == frame["end"])
    why[empty] = [f"it has no text (zero length at position {s})" for s in frame.loc[empty, "start_raw"]]
    bad = why != ""
    placed = ~bad & ~whole
    if bad.any() and not placed.any() and (~whole).sum() > 0:
        row = frame.loc[bad].iloc[0]
        problems.add(path, f"none of the project's selections can be placed; this one in '{meta[row['source_key']]['name']}': "
                     f"{why[bad].iloc[0]}",
                     "export the project again; if it opens correctly in the QDA program, report this file",
                     f"{xml_name}:selection {row['selection']}")
        return frame.loc[placed | whole]
    for selection, group in frame.loc[bad & ~frame["uncoded"]].groupby("selection", sort=False):
        first = group.iloc[0]
        codes = sorted({code_names.get(c, c) for c in group["code_guid"]})
        memo = MEMO_JOIN.join(dict.fromkeys(m for m in [first["description"],
                                                       *(note_texts.get(n, "") for n in first["selection_notes"]),
                                                       *linked.get(selection, [])] if m))
        kept = f"; its memo: \"{memo}\"" if memo else ""
        notes.append(f"selection {selection} in '{meta[first['source_key']]['name']}' left out: "
                     f"{why[group.index[0]]}; its {plural(len(group), 'coding')} ({', '.join(codes)}) not imported{kept}")
    return frame.loc[~bad]


def _documents(texts, meta, cases: list[_Case], selection_span: dict, labels: SpeakerLabels, redact,
               path: Path, problems: ProblemList, study: SpeakerLabels, notes: list[str]
               ) -> tuple[list[RawDocument], pd.DataFrame | None]:
    """One RawDocument per text source (one turn per line), and the participants.

    ``study`` holds the study's own participants (before the project's cases were added to
    ``labels``): a source no case refers to is the participant its name matches, if any."""
    participants: dict[str, dict] = {}
    for case in cases:
        participants.setdefault(case.pid, {}).update(
            {redact(k): v for k, v in case.attributes.items()})
    documents, seen = [], {}
    for key, text in texts.items():
        name = meta[key]["name"]
        doc_id = redact(document_id(name))
        if doc_id in seen:
            problems.add(path, f"two text sources are named '{name}' ({seen[doc_id]} and {key})",
                         "rename one of them in the QDA program so that each document has its own name")
            continue
        seen[doc_id] = key
        owners = sorted(c.pid for c in cases if key in c.sources)
        speakers = [(c.pid, selection_span[s]) for c in cases for s in sorted(c.selections)
                    if s in selection_span and selection_span[s][0] == key]
        speaking = sorted({p for p, _ in speakers})
        if not owners and len(speaking) == 1:
            owners = speaking
        # Several cases on one source (by SourceRef, or by selections) make it a group.
        group = len(owners) > 1 or (not owners and len(speaking) > 1)
        participant = owners[0] if len(owners) == 1 else (None if group else doc_id)
        if participant == doc_id and not group:   # no case: the document's name may be a participant's id
            pid, how = study_participant(doc_id, study)
            participant = pid if pid is not None else doc_id
            note = participant_note("document", doc_id, pid, how, path.name)
            if note:
                notes.append(note)

        def participant_at(offset: int, length: int, speakers=speakers) -> str | None:
            hits = sorted({p for p, (_, s, e) in speakers if s < offset + max(length, 1) and offset < e})
            return hits[0] if len(hits) == 1 else None

        described = meta[key].get("described")   # (kind, format) as our export wrote them
        group = group or (described is not None and described[0] == "focus_group")
        participant = None if group else participant
        times = meta[key].get("times", {})
        turns = paragraph_turns(lines_with_offsets(text), labels, participant, participant_at,
                                lambda s, e, times=times: times.get((s, e)))
        if not turns:
            continue
        attributes = {redact(k): v for k, v in meta[key]["attributes"].items()}
        if participant is not None:
            merged = {**attributes, **participants.get(participant, {})}
            if merged or participant in participants:
                participants[participant] = merged
            attributes = merged
        documents.append(RawDocument(
            doc_id=doc_id, source_file=path,
            format=described[1] if described else "qdpx" if path.suffix.lower() != ".qde" else "qde",
            kind=described[0] if described else "focus_group" if group else "refi", turns=turns, encoding="utf-8",
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), participant_id=participant,
            attributes=attributes, source_text=text))
    if not participants:
        return documents, None
    frame = pd.DataFrame([{"participant_id": pid, **attrs} for pid, attrs in sorted(participants.items())])
    return documents, frame

