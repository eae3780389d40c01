"""REFI-QDA: projects (.qdpx, or a bare .qde) and codebooks (.qdc) in; a study out.

Reading (``read_qdpx``):
- the project XML is the archive's ``.qde`` member wherever it is
  (``project.qde``, ``<project name>.qde``, in a folder), namespaced or not;
- the code tree gives the codebook: one row per code with its parent's name,
  description and colour. REFI-QDA does not name levels: a code's level is the
  name of the Set "Level: <level>" it belongs to (our export writes them),
  else empty. Two codes with the same name and level under different parents
  are told apart as ``parent/name``;
- each ``TextSource`` whose text is in the project (``plainTextPath``
  ``internal://…`` or a relative path, found in ``Sources/`` or ``sources/``,
  or inline ``PlainTextContent``) becomes a document, one turn per line;
- each ``Coding`` of a ``PlainTextSelection`` is one record: a selection with
  three codes is three codings. A ``Coding`` on a whole source covers all of it;
- coder = the ``User`` name of the coding's (else the selection's)
  ``creatingUser``, else its GUID; memo = the selection's description and the
  notes attached to the selection or coding (``NoteRef``, ``Link``), joined
  with " | ";
- ``Cases`` give participants: the case that refers to a source
  (``SourceRef``) is its participant, a case referred to by a selection
  (``SelectionRef``) speaks the lines under that selection; ``Variables``
  values on cases (and on sources) become participant attributes;
- picture, PDF, audio and video sources are skipped, and said so in notes.

Positions are converted to code points with the convention detected for the
file (see ``positions``); ``notes`` says which. A selection that cannot be
placed (zero length, outside its source, inside a character, positions that
are not numbers) is left out with a note naming its GUID, source, codes and
memo; only a file where no selection can be placed is refused. Uncoded
selections are read for where they lie (a Case's SelectionRef to them says
who speaks there); case names are participant labels of the turns.

Writing (``export_qdpx``): clean, redacted texts, codebook, codings, coders and
participants of a processed study, valid against the REFI-QDA 1.0 Project
schema, with GUIDs derived from names (uuid5) so the same study gives the same
bytes. A code is its name and level (GUID from both); levels are written as
Sets "Level: <level>"; exact duplicate codings are kept; a code applied with
no level where the codebook has one (or the other way round) is its own code in
the Set "Codes as applied", so that the coding's level comes back as applied;
participants are Cases with SourceRefs to their interviews and, in focus groups,
SelectionRefs to uncoded selections of the turns they speak. Export then import
gives the same tables (tests/unit/test_refi_round_trip.py).
"""
from __future__ import annotations

import hashlib
import io
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element

import numpy as np
import pandas as pd

from helpers.ingest.transcripts import RawDocument, SpeakerLabels
from helpers.safezip import DEFAULT_LIMITS, Limits, SafeZip, parse_xml, read_capped_file, unsafe_member_reason

from .. import atomic
from ..errors import InputError, ProblemList
from . import (
    CODEBOOK_COLUMNS,
    RECORD_COLUMNS,
    document_id,
    external_codings,
    lines_with_offsets,
    paragraph_turns,
    source_name_of,
    study_labels,
    with_participants,
)
from . import positions as pos

PROJECT_NS = "urn:QDA-XML:project:1.0"
SOURCES_FOLDER = "Sources"          # REFI-QDA §8 spells it so; readers here also accept "sources"
GUID_NAMESPACE = uuid.UUID("6f1c3c1e-3f7a-5d2b-9a57-2f4e1d0c7b11")
NON_TEXT_SOURCES = ("PictureSource", "PDFSource", "AudioSource", "VideoSource")
VALUE_TAGS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue")
MEMO_JOIN = " | "


def _guid(value: str | None) -> str:
    """GUIDs compare case-insensitively, with or without braces."""
    return (value or "").strip().strip("{}").lower()


def _text(element: Element | None, child: str) -> str:
    found = element.find(child) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


# -- the project file and the files beside it ----------------------------------

@dataclass
class _Project:
    path: Path
    root: Element
    xml_name: str                                   # member or file name, for messages
    read_member: Callable[[str], bytes | None]      # internal path -> bytes, None when absent
    notes: list[str] = field(default_factory=list)


def _pick_qde(names: list[str], path: Path) -> str:
    qdes = [n for n in names if n.lower().endswith(".qde")]
    if not qdes:
        raise InputError.one(path, "no project XML (.qde) in the archive",
                             "export the project again as REFI-QDA (.qdpx) from the QDA program")
    # The shallowest wins; project.qde before other names; then alphabetical.
    qdes.sort(key=lambda n: (n.count("/"), n.rsplit("/", 1)[-1].lower() != "project.qde", n))
    return qdes[0]


def _member_candidates(internal: str, qde_folder: str) -> list[str]:
    """Where a source named ``internal`` may be, most likely first (lower case)."""
    internal = internal.lstrip("/")
    out = []
    for folder in dict.fromkeys([qde_folder, ""]):
        out += [f"{folder}sources/{internal}", f"{folder}{internal}"]
    return [o.lower() for o in out]


def _internal_name(reference: str) -> str | None:
    """The path inside the project that a plainTextPath names, or None when it
    points outside the project (absolute paths)."""
    ref = reference.strip()
    low = ref.lower()
    if low.startswith("internal://"):
        return ref[len("internal://"):]
    if low.startswith("relative://"):
        return ref[len("relative://"):].lstrip("/")
    if low.startswith(("absolute://", "file://")) or re.match(r"^[a-z][a-z0-9+.-]*://", low):
        return None
    return ref


class _opened:
    """Context manager giving a ``_Project`` for a .qdpx (zip) or a bare .qde."""

    def __init__(self, path: Path, limits: Limits):
        self.path, self.limits, self.zip = Path(path), limits, None

    def __enter__(self) -> _Project:
        path = self.path
        if not path.is_file():
            raise InputError.one(path, "file not found", "check the path in study.yml 'codings:'")
        head = path.read_bytes()[:4] if path.stat().st_size else b""
        if head.startswith(b"PK") or path.suffix.lower() == ".qdpx":
            self.zip = SafeZip(path, self.limits)
            try:
                return self._from_zip()
            except BaseException:
                self.zip.close()
                raise
        return self._from_file()

    def __exit__(self, *exc) -> None:
        if self.zip is not None:
            self.zip.close()

    def _from_zip(self) -> _Project:
        z = self.zip
        xml_name = _pick_qde(z.names, self.path)
        root = parse_xml(z.read(xml_name), self.path, xml_name)
        folder = xml_name.rsplit("/", 1)[0] + "/" if "/" in xml_name else ""
        by_lower = {}
        for name in sorted(z.names):
            by_lower.setdefault(name.lower(), name)

        def read_member(internal: str) -> bytes | None:
            if unsafe_member_reason(internal):
                raise InputError.one(self.path, f"a source path escapes the project ({internal[:80]!r})",
                                     "refused for safety: export the project again from the QDA program")
            for candidate in _member_candidates(internal, folder):
                if candidate in by_lower:
                    return z.read(by_lower[candidate])
            return None

        project = _Project(self.path, root, xml_name, read_member)
        if len([n for n in z.names if n.lower().endswith(".qde")]) > 1:
            project.notes.append(f"{self.path.name}: several .qde files in the archive; read {xml_name}")
        return project

    def _from_file(self) -> _Project:
        path = self.path
        root = parse_xml(read_capped_file(path, self.limits.max_total_bytes), path)
        folder = path.parent.resolve()

        def read_member(internal: str) -> bytes | None:
            if unsafe_member_reason(internal):
                raise InputError.one(path, f"a source path escapes the project folder ({internal[:80]!r})",
                                     "refused for safety: sources must sit in Sources/ beside the .qde")
            for sub in ("Sources", "sources", ""):
                candidate = (folder / sub / internal.lstrip("/")).resolve()
                if candidate.is_file() and candidate.is_relative_to(folder):
                    return read_capped_file(candidate, self.limits.max_total_bytes)
            return None

        return _Project(path, root, path.name, read_member)


def _decode_source(data: bytes, file: Path, where: str) -> str:
    """Source texts are UTF-8 (REFI-QDA §8); a byte-order mark is dropped,
    which is also what NVivo's positions count from."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.one(file, f"source text is not UTF-8 (byte {exc.start})",
                             "export the project again; REFI-QDA source texts are UTF-8", where) from None


# -- codebook --------------------------------------------------------------------

LEVEL_SET_PREFIX = "Level: "
LEVEL_SET_DESCRIPTION = "Codes at this coding level (Transcript Themes): read back as the codebook's level"


ALIAS_SET_NAME = "Codes as applied"
ALIAS_SET_DESCRIPTION = ("Codes applied with no level (or another level) than their codebook entry of the same name "
                         "(Transcript Themes): not codebook entries of their own")


def alias_codes(root: Element | None) -> set[str]:
    """GUIDs of the codes in our "Codes as applied" set (see ``_codebook_tree``)."""
    out: set[str] = set()
    for found in (root.findall("Sets/Set") if root is not None else []):
        if (found.get("name") or "").strip() == ALIAS_SET_NAME:
            out |= {_guid(m.get("targetGUID") or m.get("guid")) for m in found.findall("MemberCode")}
    return out


def code_levels(root: Element | None) -> dict[str, str]:
    """Code GUID -> level, from the project's Sets named "Level: <level>".

    REFI-QDA has no code levels; our export writes each level as a Set of its codes (other
    programs show it as a code group), and reading it back gives each code its level again.
    A code in two level sets keeps the first.
    """
    out: dict[str, str] = {}
    for found in (root.findall("Sets/Set") if root is not None else []):
        name = (found.get("name") or "").strip()
        if not name.lower().startswith(LEVEL_SET_PREFIX.lower()):
            continue
        level = name[len(LEVEL_SET_PREFIX):].strip()
        for member in found.findall("MemberCode"):
            out.setdefault(_guid(member.get("targetGUID") or member.get("guid")), level)
    return out


def _code_rows(codes: Element | None, levels: dict[str, str] | None = None,
               aliases: set[str] | frozenset = frozenset()) -> tuple[pd.DataFrame, dict[str, str]]:
    """Codebook rows from a <Codes> tree and GUID -> code name.

    Walks the tree depth first, so a parent always precedes its children. ``levels`` (code
    GUID -> level, from ``code_levels``) fills the level column; without it levels are empty.
    """
    levels = levels or {}
    rows: list[dict] = []

    def walk(element: Element, parent_guid: str) -> None:
        for code in element.findall("Code"):
            rows.append({"guid": _guid(code.get("guid")), "name": (code.get("name") or "").strip(),
                         "parent_guid": parent_guid, "description": _text(code, "Description"),
                         "colour": (code.get("color") or "").strip()})
            rows[-1]["level"] = levels.get(rows[-1]["guid"], "")
            walk(code, rows[-1]["guid"])

    if codes is not None:
        walk(codes, "")
    names = _unique_code_names(rows)
    by_guid = {r["guid"]: names[i] for i, r in enumerate(rows)}
    keep = [i for i, r in enumerate(rows) if r["guid"] not in aliases]
    names = [names[i] for i in keep]
    rows = [rows[i] for i in keep]
    frame = pd.DataFrame({
        "code": [names[i] for i in range(len(rows))],
        "parent": [by_guid.get(r["parent_guid"], "") for r in rows],
        "level": [r["level"] for r in rows],
        "description": [r["description"] for r in rows],
        "colour": [r["colour"] for r in rows],
    }, columns=CODEBOOK_COLUMNS)
    return frame.astype({c: "string" for c in CODEBOOK_COLUMNS}), by_guid


def _unique_code_names(rows: list[dict]) -> list[str]:
    """Code names, with a name used twice at one level qualified by its parent path (a code is
    its name and level: "hope" at two levels is two codes with one name)."""
    counts: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r["name"], r.get("level", ""))
        counts[key] = counts.get(key, 0) + 1
    by_guid = {r["guid"]: r for r in rows}

    def path(r: dict) -> str:
        parts, seen = [r["name"]], {r["guid"]}
        parent = by_guid.get(r["parent_guid"])
        while parent is not None and parent["guid"] not in seen:
            parts.append(parent["name"])
            seen.add(parent["guid"])
            parent = by_guid.get(parent["parent_guid"])
        return "/".join(reversed(parts))

    return [path(r) if counts[(r["name"], r.get("level", ""))] > 1 else r["name"] for r in rows]


def read_qdc(path: Path | str, limits: Limits = DEFAULT_LIMITS) -> pd.DataFrame:
    """A REFI-QDA codebook (.qdc) -> codebook table (code, parent, level,
    description, colour). Tolerates Taguette's empty ``<Sets/>`` and ATLAS.ti's
    schemaLocation naming another version: only ``Codes`` is read."""
    path = Path(path)
    if not path.is_file():
        raise InputError.one(path, "file not found", "check the path in study.yml")
    root = parse_xml(read_capped_file(path, limits.max_total_bytes), path)
    if root.tag not in ("CodeBook", "Project"):
        raise InputError.one(path, f"not a REFI-QDA codebook (the XML root is <{root.tag}>)",
                             "export the codebook again as REFI-QDA (.qdc)")
    codes = root.find("Codes") if root.tag == "CodeBook" else root.find("CodeBook/Codes")
    frame, _ = _code_rows(codes)
    _check_code_names(frame, path)
    return frame


def _check_code_names(frame: pd.DataFrame, path: Path) -> None:
    if (frame["code"] == "").any():
        raise InputError.one(path, f"{int((frame['code'] == '').sum())} code(s) without a name",
                             "name every code in the QDA program and export again")


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
                problems.add(path, f"{where} has {len(source_rows)} coding(s) but its text is not in the project "
                             f"({source.get('plainTextPath') or 'no plainTextPath'})",
                             "export the project again with its sources included (.qdpx)", project.xml_name)
            skipped_sources += 1
            continue
        texts[key] = text
        attrs = dict(v for v in (_variable_value(x, variables) for x in source.findall("VariableValue"))
                     if v is not None and v[0])
        meta[key] = {"name": name, "attributes": attrs}
        rows += source_rows
    if skipped_sources:
        notes.append(f"{skipped_sources} text source(s) without their text in {path.name} skipped (no codings on them)")
    non_text = [s for tag in NON_TEXT_SOURCES for s in xml.findall(f"Sources/{tag}")]
    if non_text:
        n_codings = sum(len(s.findall(".//Coding")) for s in non_text)
        notes.append(f"{len(non_text)} picture/PDF/audio/video source(s) and their {n_codings} coding(s) skipped: "
                     "only text sources are read")

    records, selection_spans = _records(rows, texts, meta, code_names, users, note_texts, linked, path,
                                        project.xml_name, problems, notes, levels_of)
    labels = with_participants(labels, {redact(c.name) for c in cases})
    documents, participants = _documents(texts, meta, cases, selection_spans, labels, redact, path, problems)
    problems.raise_if_any()
    doc_of_source = {key: redact(document_id(meta[key]["name"])) for key in texts}
    if len(records):
        records["doc_id"] = records.pop("source_key").map(doc_of_source)
    else:
        records = records.rename(columns={"source_key": "doc_id"})
    records["source"] = source_name
    records = records[RECORD_COLUMNS + ["start", "end"]].sort_values(
        ["doc_id", "start", "end", "code", "coder"], kind="stable")
    records = records.astype({c: "string" for c in RECORD_COLUMNS if c != "hint_offset"})
    return external_codings(documents=documents, records=records.reset_index(drop=True),
                            codebook=codebook, participants=participants, notes=notes)


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
                     f"{why[group.index[0]]}; its {len(group)} coding(s) ({', '.join(codes)}) not imported{kept}")
    return frame.loc[~bad]


def _documents(texts, meta, cases: list[_Case], selection_span: dict, labels: SpeakerLabels, redact,
               path: Path, problems: ProblemList) -> tuple[list[RawDocument], pd.DataFrame | None]:
    """One RawDocument per text source (one turn per line), and the participants."""
    participants: dict[str, dict] = {}
    for case in cases:
        participants.setdefault(redact(case.name), {}).update(
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
        owners = sorted(redact(c.name) for c in cases if key in c.sources)
        speakers = [(redact(c.name), selection_span[s]) for c in cases for s in sorted(c.selections)
                    if s in selection_span and selection_span[s][0] == key]
        speaking = sorted({p for p, _ in speakers})
        if not owners and len(speaking) == 1:
            owners = speaking
        # Several cases on one source (by SourceRef, or by selections) make it a group.
        group = len(owners) > 1 or (not owners and len(speaking) > 1)
        participant = owners[0] if len(owners) == 1 else (None if group else doc_id)

        def participant_at(offset: int, length: int, speakers=speakers) -> str | None:
            hits = sorted({p for p, (_, s, e) in speakers if s < offset + max(length, 1) and offset < e})
            return hits[0] if len(hits) == 1 else None

        turns = paragraph_turns(lines_with_offsets(text), labels, participant, participant_at)
        if not turns:
            continue
        attributes = {redact(k): v for k, v in meta[key]["attributes"].items()}
        if participant is not None:
            merged = {**attributes, **participants.get(participant, {})}
            if merged or participant in participants:
                participants[participant] = merged
            attributes = merged
        documents.append(RawDocument(
            doc_id=doc_id, source_file=path, format="qdpx" if path.suffix.lower() != ".qde" else "qde",
            kind="focus_group" if group else "refi", turns=turns, encoding="utf-8",
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), participant_id=participant,
            attributes=attributes, source_text=text))
    if not participants:
        return documents, None
    frame = pd.DataFrame([{"participant_id": pid, **attrs} for pid, attrs in sorted(participants.items())])
    return documents, frame


# -- export ------------------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_COLOUR_RE = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")


def make_guid(kind: str, *names) -> str:
    """A GUID that depends only on what it names, so exports are reproducible."""
    return str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join([kind, *map(str, names)]))).upper()


def _clean(value) -> str:
    return _XML_INVALID.sub("", "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value))


def _sub(parent: Element, tag: str, text: str | None = None, **attrs) -> Element:
    element = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = _clean(text)
    return element


def _variable_type(values: pd.Series) -> str:
    """Integer, Float, Boolean or Text, from the non-missing values."""
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return "Text"
    if text.str.fullmatch(r"[+-]?\d+").all():
        return "Integer"
    if text.str.fullmatch(r"[+-]?(\d+\.\d*|\.\d+|\d+)").all():
        return "Float"
    if text.str.lower().isin(["true", "false"]).all():
        return "Boolean"
    return "Text"


def _str(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def code_guid(code: str, level: str) -> str:
    """A code's GUID: from its level and name, so "hope" at two levels is two codes."""
    return make_guid("code", level, code) if level else make_guid("code", code)


def _codebook_tree(codebook: pd.DataFrame, codings: pd.DataFrame, levels: list[str] | None = None
                   ) -> tuple[list[tuple[str, str]], dict[tuple[str, str], tuple[str, str] | None], dict]:
    """Codes as (name, level) in a stable order, each code's parent node (None for top) and row.

    Codes used in codings but missing from the codebook, and parents named but not listed, are
    added at the top. A parent name is resolved to a node as ``hierarchy.Hierarchy`` does (the
    nearest level above); a parent chain that loops is cut.
    """
    from ..hierarchy import Hierarchy

    rows: dict[tuple[str, str], dict] = {}
    for row in codebook.to_dict("records"):
        key = (_str(row.get("code")), _str(row.get("level")))
        if key[0] and key not in rows:
            rows[key] = {"parent": _str(row.get("parent")), "description": _str(row.get("description")),
                         "colour": _str(row.get("colour"))}
    used = sorted(set(zip(codings["code"].astype(str), codings["level"].astype(str))) - set(rows))
    listed: dict[str, set[str]] = {}
    for code, level in rows:
        listed.setdefault(code, set()).add(level)
    for key in used:
        # A code applied with no level (or a level where the codebook has none) is the codebook's
        # code (coding.complete_codebook's rule); it is exported as its own code so that the
        # coding's level comes back as applied, marked as an alias so it is not a codebook entry.
        levels_listed = listed.get(key[0], set())
        alias = len(levels_listed) == 1 and ("" in levels_listed or key[1] == "")
        rows[key] = {"parent": "", "description": "", "colour": "", "alias": alias}
    names = {code for code, _ in rows}
    for name in sorted({r["parent"] for r in rows.values() if r["parent"]} - names):
        rows[(name, "")] = {"parent": "", "description": "", "colour": ""}
    book = pd.DataFrame([{"code": c, "level": lv, "parent": r["parent"]} for (c, lv), r in rows.items()],
                        columns=["code", "level", "parent"])
    hierarchy = Hierarchy(book, levels)
    parent: dict[tuple[str, str], tuple[str, str] | None] = {}
    for key, row in rows.items():
        up = hierarchy.resolve_parent(row["parent"], key[1]) if row["parent"] else None
        chain, p = {key}, up
        while p is not None and p not in chain:
            chain.add(p)
            nxt = rows.get(p, {}).get("parent", "")
            p = hierarchy.resolve_parent(nxt, p[1]) if nxt else None
        parent[key] = None if p is not None else up   # p set here means the chain came back round
    return list(rows), parent, rows


def _group_documents(study) -> set[str]:
    """Documents spoken by several participants (no participant of their own): focus groups."""
    documents = study.documents
    if "participant_id" not in documents:
        return set()
    return {str(d) for d, p in zip(documents["doc_id"], documents["participant_id"]) if p is None or pd.isna(p)}


def _turn_selections(study, doc_ids) -> pd.DataFrame:
    """Turns of the group documents that a participant speaks: doc_id, seg_no, start, end,
    participant_id (each becomes an uncoded PlainTextSelection its Case refers to)."""
    segments = study.segments
    groups = _group_documents(study) & set(doc_ids)
    turns = segments.loc[segments["doc_id"].astype(str).isin(groups) & segments["participant_id"].notna()]
    return turns[["doc_id", "seg_no", "start", "end", "participant_id"]].astype(
        {"doc_id": str, "seg_no": int, "start": int, "end": int, "participant_id": str})


def project_xml(study, source_guids: dict[str, str]) -> tuple[bytes, dict[str, int]]:
    """The project.qde of a study, and counts of what went in."""
    from .. import __version__

    codings = study.codings.copy()
    codings = codings.loc[codings["doc_id"].isin(list(source_guids)) & codings["start"].notna()
                          & codings["end"].notna() & codings["code"].notna()]
    skipped = len(study.codings) - len(codings)
    codings = codings.assign(coder=codings["coder"].fillna("").astype(str),
                             level=(codings["level"] if "level" in codings else pd.Series("", index=codings.index)
                                    ).fillna("").astype(str),
                             memo=codings["memo"].fillna("").astype(str),
                             start=codings["start"].astype(int), end=codings["end"].astype(int))
    # Exact duplicates are kept (one passage coded twice by one coder is the study's data); the
    # n-th repeat gets its own Coding GUID.
    codings["repeat"] = codings.groupby(["doc_id", "start", "end", "level", "code", "coder"]).cumcount()
    project = Element("Project", {"xmlns": PROJECT_NS, "name": _clean(study.title or study.name),
                                  "origin": f"Transcript Themes {__version__}"})
    coders = sorted(set(codings["coder"]))
    if coders:
        users = _sub(project, "Users")
        for coder in coders:
            _sub(users, "User", guid=make_guid("user", coder), name=coder or "(unknown coder)")
        project.set("creatingUserGUID", make_guid("user", coders[0]))

    order, parent, rows = _codebook_tree(study.codebook, codings, getattr(study, "levels", None))
    if order:
        codes_el = _sub(_sub(project, "CodeBook"), "Codes")
        elements: dict[tuple[str, str], Element] = {}

        def place(key: tuple[str, str]) -> Element:
            if key in elements:
                return elements[key]
            holder = place(parent[key]) if parent[key] is not None else codes_el
            attrs = {"guid": code_guid(*key), "name": key[0], "isCodable": "true"}
            if _COLOUR_RE.match(rows[key]["colour"]):
                attrs["color"] = rows[key]["colour"]
            element = _sub(holder, "Code", **attrs)
            if rows[key]["description"]:
                # Description must precede child codes (schema order): children are placed after.
                _sub(element, "Description", rows[key]["description"])
            elements[key] = element
            return element

        for key in order:
            place(key)

    participants = study.participants
    attribute_columns = [c for c in participants.columns if c not in ("participant_id", "doc_id")]
    variable_types = {c: _variable_type(participants[c]) for c in attribute_columns}
    if attribute_columns and len(participants):
        variables = _sub(project, "Variables")
        for col in attribute_columns:
            _sub(variables, "Variable", guid=make_guid("variable", col), name=col, typeOfVariable=variable_types[col])
    docs_of = study.documents.dropna(subset=["participant_id"]).groupby("participant_id", sort=True)["doc_id"] \
        .apply(sorted).to_dict()
    turns = _turn_selections(study, source_guids)
    turns_of = {pid: group for pid, group in turns.groupby("participant_id", sort=True)}
    if len(participants):
        cases = _sub(project, "Cases")
        for row in participants.sort_values("participant_id", kind="stable").to_dict("records"):
            pid = str(row["participant_id"])
            case = _sub(cases, "Case", guid=make_guid("case", pid), name=pid)
            for col in attribute_columns:
                value = row[col]
                if value is None or pd.isna(value) or str(value).strip() == "":
                    continue
                vv = _sub(case, "VariableValue")
                _sub(vv, "VariableRef", targetGUID=make_guid("variable", col))
                kind = variable_types[col]
                text = str(value).strip().lower() if kind == "Boolean" else str(value).strip()
                _sub(vv, f"{kind}Value", text)
            for doc_id in docs_of.get(pid, []):
                if doc_id in source_guids:
                    _sub(case, "SourceRef", targetGUID=source_guids[doc_id])
            # In a focus group the case speaks its turns: one SelectionRef per turn.
            for turn in turns_of.get(pid, turns.iloc[:0]).itertuples(index=False):
                _sub(case, "SelectionRef", targetGUID=make_guid("turn", turn.doc_id, turn.seg_no))

    memos = sorted(set(m for m in codings["memo"] if m.strip()))
    if source_guids:
        sources = _sub(project, "Sources")
        for doc_id, guid in source_guids.items():
            source = _sub(sources, "TextSource", guid=guid, name=f"{doc_id}.txt",
                          plainTextPath=f"internal://{guid}.txt")
            mine = codings.loc[codings["doc_id"] == doc_id].sort_values(
                ["start", "end", "code", "level", "coder", "repeat"], kind="stable")
            spans = {(s, e): g for (s, e), g in mine.groupby(["start", "end"], sort=True)}
            for turn in turns.loc[turns["doc_id"] == doc_id].itertuples(index=False):
                spans.setdefault((turn.start, turn.end), None)
            turn_at = {(t.start, t.end): t for t in turns.loc[turns["doc_id"] == doc_id].itertuples(index=False)}
            for (start, end) in sorted(spans):
                group = spans[(start, end)]
                if (start, end) in turn_at:   # the turn a case refers to: its own, uncoded selection
                    t = turn_at[(start, end)]
                    _sub(source, "PlainTextSelection", guid=make_guid("turn", doc_id, t.seg_no),
                         name=f"{doc_id} turn {t.seg_no}", startPosition=str(start), endPosition=str(end))
                if group is None:
                    continue
                selection = _sub(source, "PlainTextSelection", guid=make_guid("selection", doc_id, start, end),
                                 name=f"{doc_id} {start}-{end}", startPosition=str(start), endPosition=str(end),
                                 creatingUser=make_guid("user", group["coder"].iloc[0]))
                for coding in group.itertuples(index=False):
                    ident = [doc_id, start, end, coding.code, coding.coder]
                    if coding.level:
                        ident.append(f"level={coding.level}")
                    if coding.repeat:
                        ident.append(f"repeat={coding.repeat}")
                    element = _sub(selection, "Coding", guid=make_guid("coding", *ident),
                                   creatingUser=make_guid("user", coding.coder))
                    _sub(element, "CodeRef", targetGUID=code_guid(coding.code, coding.level))
                    if coding.memo.strip():
                        _sub(element, "NoteRef", targetGUID=make_guid("note", coding.memo))
    if memos:
        notes = _sub(project, "Notes")
        for memo in memos:
            note = _sub(notes, "Note", guid=make_guid("note", memo), name=memo[:60])
            _sub(note, "PlainTextContent", memo)
    levels = sorted({lv for _, lv in order if lv})
    aliases = [key for key in order if rows[key].get("alias")]
    if levels or aliases:
        sets = _sub(project, "Sets")
        for level in levels:
            found = _sub(sets, "Set", guid=make_guid("level", level), name=f"{LEVEL_SET_PREFIX}{level}")
            _sub(found, "Description", LEVEL_SET_DESCRIPTION)
            for key in order:
                if key[1] == level:
                    _sub(found, "MemberCode", targetGUID=code_guid(*key))
        if aliases:
            found = _sub(sets, "Set", guid=make_guid("alias set"), name=ALIAS_SET_NAME)
            _sub(found, "Description", ALIAS_SET_DESCRIPTION)
            for key in aliases:
                _sub(found, "MemberCode", targetGUID=code_guid(*key))
    ET.indent(project, space="  ")
    data = ET.tostring(project, encoding="utf-8", xml_declaration=True)
    counts = {"sources": len(source_guids), "codes": len(order) - len(aliases), "selections":
              int(codings.drop_duplicates(["doc_id", "start", "end"]).shape[0]), "codings": len(codings),
              "codings_skipped": int(skipped), "cases": len(participants), "notes": len(memos),
              "turn_selections": len(turns), "levels": len(levels)}
    return data, counts


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    """A zip with fixed timestamps and attributes: same members, same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def export_qdpx(study, path: Path | str) -> dict[str, int]:
    """Write a processed study as a REFI-QDA project (.qdpx), atomically.

    Sources are the clean, redacted texts (UTF-8, no byte-order mark, in
    ``Sources/<guid>.txt``); selections count code points, end exclusive (the
    standard's rule, so ``text[start:end]`` is the coded span); one
    PlainTextSelection per coded span, one Coding per application on it (code
    and level, coder; exact duplicates kept); memos become Notes referenced
    from their codings; levels become Sets "Level: <level>"; participants become
    Cases with Variables, SourceRefs to their documents and, in focus groups,
    SelectionRefs to their turns. Codings without a position (quotes that were
    not found) cannot be placed and are left out: the returned counts say how
    many. Nothing from redactions.csv is read.

    Parameters
    ----------
    study : helpers.study.Study
        A processed study (or ``Study.from_tables``).
    path : Path or str
        The .qdpx to write (replaced atomically).

    Returns
    -------
    dict of str to int
        sources, codes (codebook entries), selections, codings, codings_skipped, cases, notes,
        turn_selections (focus-group turns referred to by cases), levels.
    """
    path = Path(path)
    doc_ids = sorted(str(d) for d in study.documents["doc_id"].dropna().unique())
    source_guids = {doc_id: make_guid("source", doc_id) for doc_id in doc_ids}
    xml, counts = project_xml(study, source_guids)
    members = [("project.qde", xml)]
    for doc_id, guid in source_guids.items():
        members.append((f"{SOURCES_FOLDER}/{guid}.txt", study.text(doc_id).encode("utf-8")))
    atomic.write_bytes(path, _zip(members))
    return counts
