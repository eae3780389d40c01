"""Codings in: coding sheets, Word coding tables, quote banks, REFI-QDA and
Taguette (through a hook), and the codebook (DESIGN §2–3).

Sources are the study.yml ``codings:`` entries, in order; a folder means every
file in it, sorted by name. By file type:

- ``.csv`` / ``.xlsx``: coding sheets. Every sheet that has a code column, a
  participant or document column, and a turn or quote column is read; other
  sheets are skipped with a note in ``import_sources``. Headers are matched
  case-insensitively (see the synonym sets below). A row is coded **by turn**
  (a turn number or range "12-14": the coding spans those whole turns) or **by
  quote** (the quote is found in the document's clean text, see
  ``helpers.ingest.quotes``; a turn given as well is the hint for a quote found twice).
- ``.docx``: Word coding tables (a speaker column, an utterance column and code
  columns). The document is the file's stem with a trailing ``_coding_table``,
  ``_coding`` or `` coding table`` removed (case-insensitive; space, ``_`` or
  ``-`` as separators), so ``P09_coding_table.docx`` codes document ``P09``. When
  that document has no transcript the table *is* the document: its rows are the
  turns (a row with no speaker continues the previous turn) and each coded row
  becomes a coding spanning its turn (``match='table'``); otherwise each coded
  row's utterance is found in the transcript like a quote.
- a coding sheet with a quote column and no turn column, whose participants or
  documents have no transcript, is a **quote bank**: one pseudo-document per
  participant (or per document/group value), one turn per distinct quote; each
  row's codes span its quote's turn (``match='turn'``).
- ``.qdc`` (REFI-QDA codebook), ``.qdpx`` (REFI-QDA project), ``.sqlite3`` /
  ``.taguette`` (Taguette): read through ``_import_external`` into
  ``ExternalCodings``; their quotes are aligned with ``hint_offset``.

Counting rules of the output: one codings row per application of a code (a
cell with "a; b" is two rows); a coding's ``participant_id`` is the participant
of the turn where it starts; ``seg_first``/``seg_last`` are the turns its span
touches. Exact duplicates (same document, code, level, coder, start and end)
are kept, and all but the first flagged ``duplicate=True``.

Parents come from the codebook; a code without one there takes as parent the
code of the next level up that every one of its rows (sheet row, table turn)
carries, when that is always exactly one and the same code; otherwise it has
no parent and a warning says why.

The modules, one per source: ``sheet`` (coding sheets), ``word`` (Word coding tables),
``external`` (other programs, through ``helpers.interop``), ``quote_banks`` (stand-in
documents), with what they share in ``common`` and the whole import in ``importer``.
Their public names are importable from ``helpers.ingest.coding``.
"""
from __future__ import annotations

from helpers.ingest.coding.common import (
    CASE_HEADERS,
    CODER_HEADERS,
    DOC_HEADERS,
    EXTERNAL_READERS,
    MEMO_HEADERS,
    PLAIN_CODE_HEADERS,
    SHEET_SUFFIXES,
    SPEAKER_HEADERS,
    TEXT_HEADERS,
    TURN_HEADERS,
    UTTERANCE_HEADERS,
    CodingImport,
    docx_doc_id,
    excel_date_range,
    parse_turns,
    quote_bank_key,
    source_files,
    source_kind,
    source_name,
    split_codes,
)
from helpers.ingest.coding.importer import (
    code_key,
    complete_codebook,
    import_codings,
    infer_parents,
)
from helpers.ingest.coding.quote_banks import (
    stand_in_documents,
)
from helpers.ingest.coding.sheet import (
    HIDDEN_NOTE,
    SheetColumns,
    SheetInfo,
    SheetRow,
    code_column_level,
    read_sheets,
    sheet_columns,
)
from helpers.ingest.coding.word import (
    TableColumns,
    TableTurn,
    coding_table_document,
    read_word_table_turns,
    table_columns,
)
from helpers.interop import ExternalCodings  # the readers' result type, defined with the readers

__all__ = [
    "CASE_HEADERS",
    "CODER_HEADERS",
    "CodingImport",
    "DOC_HEADERS",
    "EXTERNAL_READERS",
    "ExternalCodings",
    "HIDDEN_NOTE",
    "MEMO_HEADERS",
    "PLAIN_CODE_HEADERS",
    "SHEET_SUFFIXES",
    "SPEAKER_HEADERS",
    "SheetColumns",
    "SheetInfo",
    "SheetRow",
    "TEXT_HEADERS",
    "TURN_HEADERS",
    "TableColumns",
    "TableTurn",
    "UTTERANCE_HEADERS",
    "code_column_level",
    "code_key",
    "coding_table_document",
    "complete_codebook",
    "docx_doc_id",
    "excel_date_range",
    "import_codings",
    "infer_parents",
    "parse_turns",
    "quote_bank_key",
    "read_sheets",
    "read_word_table_turns",
    "sheet_columns",
    "source_files",
    "source_kind",
    "source_name",
    "split_codes",
    "stand_in_documents",
    "table_columns",
]
