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
  ``creatingUser``, else its GUID; a coder's use (analysis, or agreement for a
  reliability coder) is read from a line "Transcript Themes coder: use=…; name=…" of
  the Project's Description (our export writes one per coder; REFI-QDA's User has no
  field for it), and a ``use:`` the study.yml entry writes wins (said); memo = the selection's description and the
  notes attached to the selection or coding (``NoteRef``, ``Link``), joined
  with " | ";
- ``Cases`` give participants: the case that refers to a source
  (``SourceRef``) is its participant, a case referred to by a selection
  (``SelectionRef``) speaks the lines under that selection; ``Variables``
  values on cases (and on sources) become participant attributes. A case's name is
  the study's participant it matches by ``helpers.ids`` (P1 is P01), of
  participants.csv or of the transcripts (P01.txt is P01), said when loose;
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

The code is in ``refi_import`` (projects in), ``refi_codebook`` (code trees and .qdc in),
``refi_project`` (the archive and its source files), ``refi_export`` (a study out) and
``refi_xml`` (what import and export share); this module keeps the names importable from
``helpers.interop.refi`` as before.
"""
from __future__ import annotations

from .refi_codebook import alias_codes, code_levels, read_qdc
from .refi_export import export_qdpx, export_summary, project_xml
from .refi_import import read_qdpx
from .refi_xml import (
    ALIAS_SET_DESCRIPTION,
    ALIAS_SET_NAME,
    GUID_NAMESPACE,
    LEVEL_SET_DESCRIPTION,
    LEVEL_SET_PREFIX,
    MEMO_JOIN,
    NON_TEXT_SOURCES,
    PROJECT_NS,
    SOURCES_FOLDER,
    VALUE_TAGS,
    code_guid,
    make_guid,
)

__all__ = ["ALIAS_SET_DESCRIPTION", "ALIAS_SET_NAME", "GUID_NAMESPACE", "LEVEL_SET_DESCRIPTION", "LEVEL_SET_PREFIX",
           "MEMO_JOIN", "NON_TEXT_SOURCES", "PROJECT_NS", "SOURCES_FOLDER", "VALUE_TAGS", "alias_codes", "code_guid",
           "code_levels", "export_qdpx", "export_summary", "make_guid", "project_xml", "read_qdc", "read_qdpx"]
