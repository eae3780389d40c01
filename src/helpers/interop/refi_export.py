"""A study out as a REFI-QDA project (``export_qdpx``): see ``helpers.interop.refi``."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element

import numpy as np
import pandas as pd

from helpers.textutil import plural

from .. import atomic
from .refi_xml import (
    ALIAS_SET_DESCRIPTION,
    ALIAS_SET_NAME,
    LEVEL_SET_DESCRIPTION,
    LEVEL_SET_PREFIX,
    PROJECT_NS,
    SOURCES_FOLDER,
    code_guid,
    coder_description,
    document_description,
    make_guid,
    turn_description,
)

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_COLOUR_RE = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")


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


def _document_kinds(documents: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """doc_id -> (kind, format) of the study's documents, written into each TextSource's
    Description so that import gives them back (REFI-QDA has no element for them)."""
    if "kind" not in documents or "format" not in documents:
        return {}
    return {str(d): (_str(k), _str(f)) for d, k, f in zip(documents["doc_id"], documents["kind"], documents["format"])
            if _str(k)}


def _group_documents(study) -> set[str]:
    """Documents spoken by several participants (no participant of their own): focus groups."""
    documents = study.documents
    if "participant_id" not in documents:
        return set()
    return {str(d) for d, p in zip(documents["doc_id"], documents["participant_id"]) if p is None or pd.isna(p)}


def _turn_selections(study, doc_ids) -> pd.DataFrame:
    """Turns that get a selection of their own (uncoded): doc_id, seg_no, start, end,
    participant_id, start_time, speaks.

    A turn a participant speaks in a group document (``speaks``: its Case refers to it with a
    SelectionRef, so that import knows who speaks there), and any turn with a start time (its
    Description carries the time, which cleaning took out of the text). Empty turns are left out:
    a selection of nothing cannot be placed.
    """
    segments = study.segments
    if "start_time" not in segments:
        segments = segments.assign(start_time=np.nan)
    groups = _group_documents(study) & set(doc_ids)
    in_study = segments["doc_id"].astype(str).isin(set(doc_ids))
    speaks = segments["doc_id"].astype(str).isin(groups) & segments["participant_id"].notna()
    timed = pd.to_numeric(segments["start_time"], errors="coerce").notna()
    keep = (in_study & (speaks | timed) & (segments["end"] > segments["start"])).fillna(False).astype(bool)
    turns = segments.loc[keep].assign(speaks=speaks.loc[keep].to_numpy(dtype=bool))
    turns = turns[["doc_id", "seg_no", "start", "end", "participant_id", "start_time", "speaks"]]
    return turns.astype({"doc_id": str, "seg_no": int, "start": int, "end": int, "speaks": bool,
                         "start_time": float}).assign(
        participant_id=turns["participant_id"].where(turns["participant_id"].notna(), None))


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
    speaking = turns.loc[turns["speaks"]].astype({"participant_id": str})
    turns_of = {pid: group for pid, group in speaking.groupby("participant_id", sort=True)}
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
            for turn in turns_of.get(pid, speaking.iloc[:0]).itertuples(index=False):
                _sub(case, "SelectionRef", targetGUID=make_guid("turn", turn.doc_id, turn.seg_no))

    memos = sorted(set(m for m in codings["memo"] if m.strip()))
    kinds = _document_kinds(study.documents)
    if source_guids:
        sources = _sub(project, "Sources")
        for doc_id, guid in source_guids.items():
            source = _sub(sources, "TextSource", guid=guid, name=f"{doc_id}.txt",
                          plainTextPath=f"internal://{guid}.txt")
            if doc_id in kinds:
                _sub(source, "Description", document_description(*kinds[doc_id]))
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
                    turn = _sub(source, "PlainTextSelection", guid=make_guid("turn", doc_id, t.seg_no),
                                name=f"{doc_id} turn {t.seg_no}", startPosition=str(start), endPosition=str(end))
                    if not np.isnan(t.start_time):
                        _sub(turn, "Description", turn_description(t.start_time))
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
    uses = _coder_uses(codings)
    if uses:
        _sub(project, "Description", coder_description(uses))
    ET.indent(project, space="  ")
    data = ET.tostring(project, encoding="utf-8", xml_declaration=True)
    coded = int(codings.drop_duplicates(["doc_id", "start", "end"]).shape[0])
    counts = {"sources": len(source_guids), "codes": len(order) - len(aliases), "selections": coded,
              "coded_selections": coded, "codings": len(codings), "codings_skipped": int(skipped),
              "cases": len(participants), "notes": len(memos), "turn_selections": len(turns),
              "speaker_turn_selections": int(turns["speaks"].sum()),
              "timed_turn_selections": int(turns["start_time"].notna().sum()), "levels": len(levels),
              "agreement_coders": sum(use == "agreement" for use in uses.values())}
    return data, counts


def _coder_uses(codings: pd.DataFrame) -> dict[str, str]:
    """Each coder's use as the User's name is written: 'agreement' when every coding of the
    coder is (a reliability coder, DESIGN §4 "Coders"), else 'analysis'. Empty when the codings
    have no ``use`` column."""
    if "use" not in codings or not len(codings):
        return {}
    agreement = codings["use"].fillna("analysis").astype(str).eq("agreement")
    every = agreement.groupby(codings["coder"]).all()
    return {coder or "(unknown coder)": "agreement" if all_agreement else "analysis"
            for coder, all_agreement in every.items()}


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


def export_qdpx(study: Study, path: Path | str) -> dict[str, int]:
    """Write a processed study as a REFI-QDA project (.qdpx), atomically.

    Sources are the clean, redacted texts (UTF-8, no byte-order mark, in
    ``Sources/<guid>.txt``); selections count code points, end exclusive (the
    standard's rule, so ``text[start:end]`` is the coded span); one
    PlainTextSelection per coded span, one Coding per application on it (code
    and level, coder; exact duplicates kept); memos become Notes referenced
    from their codings; levels become Sets "Level: <level>"; participants become
    Cases with Variables, SourceRefs to their documents and, in focus groups,
    SelectionRefs to their turns (uncoded selections of their own); a turn with a start
    time gets such a selection too, its Description giving the time, and each TextSource's
    Description gives the document's kind and format, so that import gives back the same
    documents and segments. Codings without a position (quotes that were not found)
    cannot be placed and are left out: the returned counts say how many. Nothing from
    redactions.csv is read.

    Parameters
    ----------
    study : helpers.study.Study
        A processed study (or ``Study.from_tables``).
    path : Path or str
        The .qdpx to write (replaced atomically).

    Returns
    -------
    dict of str to int
        sources, codes (codebook entries), coded_selections (spans with codings; also as
        ``selections``), codings, codings_skipped, cases, notes, turn_selections (uncoded
        selections of whole turns, not codings), of which speaker_turn_selections (turns of
        focus-group participants, referred to by their Cases) and timed_turn_selections (turns
        with a start time; a turn may be both), levels.
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



def export_summary(counts: dict[str, int]) -> str:
    """What ``export_qdpx`` wrote, each number said for what it is (``python -m helpers export``).

    Parameters
    ----------
    counts : dict of str to int
        As returned by ``export_qdpx``.

    Returns
    -------
    str
        One line: documents, participants, codes, codings in their coded selections, then the
        uncoded turn selections by what they are for (a focus group's turns, for the Cases that
        speak them; turns' start times), e.g. "1 documents, 2 participants, 4 codes, 7 codings in
        5 coded selections; 4 uncoded turn selections: 4 for focus-group cases (who speaks each turn)".
    """
    line = (f"{plural(counts['sources'], 'document')}, {plural(counts['cases'], 'participant')}, "
            f"{plural(counts['codes'], 'code')}, {plural(counts['codings'], 'coding')} in "
            f"{plural(counts['coded_selections'], 'coded selection')}")
    turns = counts.get("turn_selections", 0)
    if turns:
        speakers, timed = counts.get("speaker_turn_selections", 0), counts.get("timed_turn_selections", 0)
        parts = ([f"{speakers} for focus-group cases (who speaks each turn)"] if speakers else []) + \
                ([f"{timed} carrying turns' start times"] if timed else [])
        both = " (a turn may be both)" if speakers + timed > turns else ""
        line += f"; {turns} uncoded turn selections: {', '.join(parts)}{both}"
    return line
