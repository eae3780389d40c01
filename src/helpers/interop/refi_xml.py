"""REFI-QDA bits shared by the importer and the exporter: the namespace, GUIDs, the names of
the Sets our export writes (levels, codes as applied) and how elements' text is read."""
from __future__ import annotations

import uuid
from xml.etree.ElementTree import Element

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

LEVEL_SET_PREFIX = "Level: "
LEVEL_SET_DESCRIPTION = "Codes at this coding level (Transcript Themes): read back as the codebook's level"


ALIAS_SET_NAME = "Codes as applied"
ALIAS_SET_DESCRIPTION = ("Codes applied with no level (or another level) than their codebook entry of the same name "
                         "(Transcript Themes): not codebook entries of their own")



def make_guid(kind: str, *names) -> str:
    """A GUID that depends only on what it names, so exports are reproducible."""
    return str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join([kind, *map(str, names)]))).upper()



def code_guid(code: str, level: str) -> str:
    """A code's GUID: from its level and name, so "hope" at two levels is two codes."""
    return make_guid("code", level, code) if level else make_guid("code", code)

