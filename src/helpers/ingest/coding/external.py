"""Other programs' codings (REFI-QDA, Taguette, MAXQDA and ATLAS.ti sheets): read through
their ``helpers.interop`` reader (``EXTERNAL_READERS``, imported only when needed) into
``ExternalCodings``, then placed exactly (their own positions) or by quote.
"""
from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pandas as pd

from helpers.errors import InputError
from helpers.hierarchy import normalise_level
from helpers.ingest.cleaning import normalise
from helpers.ingest.coding.common import (
    EXTERNAL_READERS,
    _aligned_span,
    _cached,
    _Context,
    _text,
    row_ranges,
    source_name,
)
from helpers.ingest.config import CodingSource
from helpers.interop import RECORD_COLUMNS, ExternalCodings

# -- external readers (REFI-QDA, Taguette) --------------------------------------------------

def _import_external(path: Path, config=None, labels=None, redact=None) -> ExternalCodings:
    """Read a .qdpx / Taguette file with its interop module, imported only now.

    The reader is called as ``reader(path, **kwargs)`` with whichever of
    ``config``, ``labels``, ``redact`` it accepts, and must return ExternalCodings.
    """
    suffix = Path(path).suffix.lower()
    module_name, function = EXTERNAL_READERS.get(suffix, (None, None))
    reader = None
    if module_name:
        try:
            reader = getattr(importlib.import_module(module_name), function, None)
        except ImportError:
            reader = None
    if reader is None:
        raise InputError.one(path, f"unsupported file: {suffix} codings cannot be read by this version",
                             "export the coding as a coding sheet (.xlsx/.csv) or remove the file from codings")
    kwargs = {"config": config, "labels": labels, "redact": redact}
    accepted = inspect.signature(reader).parameters
    if not any(p.kind == p.VAR_KEYWORD for p in accepted.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in accepted}
    # the study's participants decide whom a case or document name means: part of the cache key
    known = sorted(getattr(labels, "participant_ids", {}).values()) if labels is not None else []
    result = _cached(path, f"external-{id(redact)}-{hash(tuple(known))}", lambda p: reader(p, **kwargs))
    if not isinstance(result, ExternalCodings):
        raise TypeError(f"{module_name}.{function} returned {type(result).__name__}, not ExternalCodings")
    return result


def _import_qdc(path: Path) -> pd.DataFrame:
    module, function = (("refi", "read_qdc") if Path(path).suffix.lower() == ".qdc"
                        else ("taguette", "read_taguette_codebook"))
    try:
        reader = getattr(importlib.import_module(f"helpers.interop.{module}"), function)
    except (ImportError, AttributeError):
        raise InputError.one(path, "unsupported file: .qdc codebooks cannot be read by this version",
                             "give the codebook as codebook.csv instead") from None
    return _cached(path, "qdc", reader)


# -- external records ------------------------------------------------------------------------

def _exact_position(text: str, rec: dict):
    """The record's own span when the document's clean text holds the quote
    exactly there (a project whose sources are already clean, such as our own
    export): keeps spans to the character, where quote alignment would trim
    them to whole words."""
    start, end = rec.get("start"), rec.get("end")
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        return None
    start, end = int(start), int(end)
    quote = rec.get("quote")
    if isinstance(quote, str) and 0 <= start < end <= len(text) and text[start:end] == quote:
        return None, start, end, "refi", 1.0
    return None

def _verbatim_position(doc, quote, hint_seg: int | None, hint_offset: int | None = None):
    """The span of ``quote`` where the clean text holds it verbatim (after cleaning's
    normalisation and redaction), so that punctuation at its edges is kept (word alignment trims
    it): the occurrence in turn ``hint_seg``, else the one nearest ``hint_offset`` (a position in
    the source, close to the clean one), else the only one. None when absent or still ambiguous
    (then the quote aligner decides and says so)."""
    text = normalise(_text(quote))
    if not text:
        return None
    # a line break in the quote may be a turn's end in the clean text: any white space matches any
    pattern = r"\s+".join(re.escape(part) for part in text.split(" "))
    hits = [(m.start(), m.end()) for m in re.finditer(pattern, doc.text)]
    if hint_seg is not None and len(hits) > 1:
        seg = doc.segments.loc[doc.segments["seg_no"] == hint_seg]
        if len(seg):
            s0, e0 = int(seg["start"].iloc[0]), int(seg["end"].iloc[0])
            hits = [h for h in hits if s0 <= h[0] and h[1] <= e0] or hits
    if hint_offset is not None and len(hits) > 1:
        hits = [min(hits, key=lambda h: (abs(h[0] - hint_offset), h))]
    return (None, hits[0][0], hits[0][1], "exact", 1.0) if len(hits) == 1 else None


def _external_doc_ids(ctx, external: ExternalCodings, name: str, stats: dict) -> dict[str, str]:
    """The study document each document name of an external source means: the same id (case
    aside), else by ``helpers.ids`` ('Interview P1' is P01). A name matched loosely, one that
    could be two documents, and a document of the source that matches no transcript (a
    stand-in, in a study that has transcripts) are said in the import report."""
    from helpers.ids import IdMatcher
    from helpers.interop import document_note, match_document_ids

    written = [str(d.doc_id) for d in external.documents] + [str(d) for d in external.records["doc_id"].dropna()]
    matched = match_document_ids(written, list(ctx.docs))
    own = {id(d) for d in external.documents}
    transcripts = [d for d, doc in ctx.docs.items() if id(doc.raw) not in own]
    out = {}
    for doc_name, (doc_id, how) in matched.items():
        if doc_id is not None:
            out[doc_name] = doc_id
        stand_in = doc_id is not None and id(ctx.docs[doc_id].raw) in own
        if (how == "exact" and not stand_in) or (stand_in and not transcripts) or doc_id is None and how == "none":
            continue   # the same id; a study of this source alone; an unknown document (an error below)
        closest = IdMatcher(transcripts).closest(doc_name) if transcripts else []
        note = document_note(doc_name, doc_id, "none" if stand_in else how, name, closest)
        if note:
            ctx.warn(stats, note)
    return out


def _external_maps(ctx, external: ExternalCodings, doc_of: dict[str, str] | None = None) -> dict:
    """doc_id -> MappedText from the external source text to the study's clean text, for the
    study's documents that are *not* the external document itself (a transcript of the same
    interview) but clean to exactly the same text: then the spans map to the character too."""
    from helpers.ingest.cleaning import clean_document

    out = {}
    for raw in external.documents:
        doc_id = (doc_of or {}).get(str(raw.doc_id)) or ctx.doc_by_lower.get(str(raw.doc_id).lower(), "")
        doc = ctx.docs.get(doc_id)
        if doc is None or doc.raw is raw or getattr(raw, "source_text", None) is None:
            continue
        clean = ctx.quietly(lambda raw=raw, pid=doc.participant_id: clean_document(raw, ctx.labels, ctx.redact, pid))
        if clean.mapped is not None and clean.text == doc.text:
            out[doc.doc_id] = clean.mapped
    return out


def _paragraph_turn(doc, paragraph) -> int | None:
    """The turn (seg_no) holding source line/paragraph ``paragraph`` (MAXQDA and ATLAS.ti give
    paragraph numbers, which count the transcript's lines); None when unknown."""
    if paragraph is None or pd.isna(paragraph):
        return None
    lines = [t.line for t in doc.raw.turns]
    if not lines or any(line is None for line in lines):
        return None
    before = [i for i, line in enumerate(lines, start=1) if line <= int(paragraph)]
    return before[-1] if before else None


def _mapped_position(doc, rec: dict, source_texts: dict[str, str | None], other_map=None, match: str = "span"):
    """The record's source span carried through cleaning to the character (helpers.ingest.spanmap):
    when the record has start/end in its source text and the study's document was cleaned
    from that very text, or from a text that cleans to the same (``other_map``, see
    ``_external_maps``). None otherwise (then the quote is found in the text)."""
    start, end = rec.get("start"), rec.get("end")
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        return None
    source = source_texts.get(doc.doc_id)
    if doc.mapped is not None and source is not None and doc.raw.source_text == source:
        mapped = doc.mapped
    elif other_map is not None:
        mapped = other_map
    else:
        return None
    try:
        s, e = mapped.from_source(int(start), int(end))
    except ValueError:
        return None
    return (None, s, e, match, 1.0) if e > s else None


def _import_records(ctx: _Context, entry: CodingSource, path: Path, external: ExternalCodings) -> None:
    name = source_name(path, ctx.config.root)
    stats = ctx.stats(name, path)
    for note in external.notes:
        ctx.warn(stats, f"{name}: {note}")
    records = external.records
    missing = [c for c in RECORD_COLUMNS if c not in records.columns]
    if missing:
        raise TypeError(f"ExternalCodings.records from {name} lacks columns {missing}")
    stats["rows_read"] = len(records)
    default_coder = entry.coder or Path(path).stem
    no_coder: list[str] = []   # rows counted as the file name's coder, said below
    entry_level = normalise_level(entry.level) if entry.level else ""
    source_texts = {d.doc_id: getattr(d, "source_text", None) for d in external.documents}
    doc_of = _external_doc_ids(ctx, external, name, stats)
    maps = _external_maps(ctx, external, doc_of)
    for raw in external.documents:
        doc = ctx.docs.get(raw.doc_id)
        if doc is not None and doc.raw is raw and getattr(raw, "source_text", None) is not None and doc.mapped is None:
            # never silent: these spans are found by their text instead, which may trim their edges
            ctx.warn(stats, f"{name}: document '{raw.doc_id}': its clean text could not be mapped to its source "
                            "character by character; its codings were found by their text (see match)")
    # match of a span carried by its offsets: 'refi' for REFI-QDA projects, 'span' for others (Taguette)
    mapped_match = "refi" if Path(path).suffix.lower() in (".qdpx", ".qde") else "span"
    for rec in records.to_dict("records"):
        # a row number, or the source's own name for the record ("highlight 7", a selection GUID)
        source_row = _text(rec.get("source_row"))
        where = f"row {source_row}" if source_row.isdigit() else source_row
        doc_id = doc_of.get(str(rec["doc_id"]))
        if doc_id is None:
            ctx.problems.add(path, f"unknown document '{ctx.redact(str(rec['doc_id']))}'",
                             "add its transcript, or rename the document in the source program to match one", where)
            continue
        hint = rec.get("hint_offset")
        hint = None if hint is None or pd.isna(hint) else int(hint)
        hint_seg = _paragraph_turn(ctx.docs[doc_id], rec.get("paragraph"))
        found = (_mapped_position(ctx.docs[doc_id], rec, source_texts, maps.get(doc_id), mapped_match)
                 or _exact_position(ctx.docs[doc_id].text, rec))
        if found is None:
            # the program's copy of the coded text: taken verbatim when the clean text has it, so
            # that its edge punctuation and emoji stay (word alignment would trim them)
            found = _verbatim_position(ctx.docs[doc_id], ctx.quiet(rec["quote"]), hint_seg, hint)
        if found is not None:
            stats["quotes_exact"] += 1
        found = found or _aligned_span(ctx, _text(rec["quote"]), [doc_id], entry, stats,
                                       _text(rec.get("source")) or name, rec.get("source_row"), path, where,
                                       hint_offset=hint, hint_seg=hint_seg)
        if found is None:
            continue
        _, start, end, match, score = found
        if match == "exact" and any(ctx.docs[doc_id].raw is d for d in external.documents):
            match = "refi"
        level = normalise_level(_text(rec.get("level"))) or entry_level
        if not entry.coder and not ctx.redact(_text(rec.get("coder"))):
            no_coder.append(_text(rec.get("source_row")))
        ctx.applications.append({"doc_id": doc_id, "code": ctx.redact(_text(rec["code"])), "level": level,
                                 "coder": ctx.redact(_text(rec.get("coder"))) or default_coder,
                                 "start": start, "end": end, "source": _text(rec.get("source")) or name,
                                 "memo": ctx.redact(_text(rec.get("memo"))), "match": match, "score": score,
                                 "source_row": rec.get("source_row"), "_group": None,
                                 "_use": external.coder_use.get(str(rec.get("coder")))})
        stats["codings"] += 1
    if no_coder:
        ctx.warn(stats, f"{row_ranges(no_coder)} of {name}: no coder given; counted as coder '{default_coder}' "
                        "(the file name) — set 'coder:' for this source in study.yml")

