"""REFI-QDA bits shared by the importer and the exporter: the namespace, GUIDs, the names of
the Sets our export writes (levels, codes as applied) and how elements' text is read."""
from __future__ import annotations

import re
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



# What our export writes into Descriptions so that import gives back what REFI-QDA has no
# element for: a document's kind and format (interview, focus_group … read from a .txt …) and a
# turn's start time (the timestamp cleaning took out of the text). Other programs show them as
# the source's or selection's description; only text of exactly this form is read back.
DOCUMENT_DESCRIPTION = "Transcript Themes document: kind={kind}; format={format}"
TURN_DESCRIPTION = "Transcript Themes turn: start_time={seconds!r} s"
_DOCUMENT_RE = re.compile(r"^Transcript Themes document: kind=([^;\s]+); format=([^;\s]*)$")
_TURN_RE = re.compile(r"^Transcript Themes turn: start_time=(\S+) s$")


def document_description(kind: str, fmt: str) -> str:
    return DOCUMENT_DESCRIPTION.format(kind=kind, format=fmt)


def read_document_description(text: str) -> tuple[str, str] | None:
    """(kind, format) from a TextSource Description our export wrote, else None."""
    found = _DOCUMENT_RE.match((text or "").strip())
    return (found.group(1), found.group(2)) if found else None


def turn_description(seconds: float) -> str:
    return TURN_DESCRIPTION.format(seconds=float(seconds))


def read_turn_description(text: str) -> float | None:
    """A turn's start time (seconds) from a PlainTextSelection Description our export wrote."""
    found = _TURN_RE.match((text or "").strip())
    try:
        return float(found.group(1)) if found else None
    except ValueError:
        return None


# Each coder's use (DESIGN §4 "Coders": analysis, or agreement for a reliability coder), which
# REFI-QDA's User has no field for: one line per coder in the Project's Description.
CODER_DESCRIPTION = "Transcript Themes coder: use={use}; name={name}"
_CODER_RE = re.compile(r"^Transcript Themes coder: use=(analysis|agreement); name=(.*)$")


def coder_description(uses: dict[str, str]) -> str:
    """The Project Description that records each coder's use, one line per coder (sorted)."""
    return "\n".join(CODER_DESCRIPTION.format(use=use, name=name) for name, use in sorted(uses.items()))


def read_coder_description(text: str) -> dict[str, str]:
    """Coder name -> use ('analysis' or 'agreement') from a Project Description our export
    wrote; other lines are ignored (empty when there are none)."""
    out = {}
    for line in (text or "").splitlines():
        found = _CODER_RE.match(line.strip())
        if found:
            out[found.group(2)] = found.group(1)
    return out
