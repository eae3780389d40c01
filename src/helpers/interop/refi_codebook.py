"""REFI-QDA code trees in: a codebook (.qdc) or a project's CodeBook -> codebook table, with
the levels and the codes as applied that our export writes as Sets."""
from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

import pandas as pd

from helpers.safezip import DEFAULT_LIMITS, Limits, parse_xml, read_capped_file
from helpers.textutil import plural

from ..errors import InputError
from . import CODEBOOK_COLUMNS
from .refi_xml import ALIAS_SET_NAME, LEVEL_SET_PREFIX, _guid, _text


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
        raise InputError.one(path, f"{plural(int((frame['code'] == '').sum()), 'code')} without a name",
                             "name every code in the QDA program and export again")


