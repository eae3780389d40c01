"""Every coding source of a study -> the codings table, the codebook and the import report
(``import_codings``): spellings merged, lists in one cell flagged, parents inferred
(``complete_codebook``), all said.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from helpers import tables
from helpers.errors import InputError, ProblemList
from helpers.hierarchy import level_rank, normalise_level
from helpers.ingest.codebook import (
    declared_level_warnings,
    depth_warnings,
    empty_codebook,
    near_duplicate_warnings,
    near_duplicates,
    read_codebook,
)
from helpers.ingest.coding.attribution import named_elsewhere
from helpers.ingest.coding.common import (
    CodingImport,
    _Context,
    _participant_lookup,
    _text,
    source_files,
    source_kind,
    source_name,
)
from helpers.ingest.coding.external import _import_external, _import_qdc, _import_records
from helpers.ingest.coding.sheet import _import_sheet, read_sheets
from helpers.ingest.coding.word import _import_word
from helpers.ingest.transcripts import SpeakerLabels
from helpers.textutil import plural


def _build_context(config, docs, participants, labels, redact) -> _Context:
    own: dict[str, list[str]] = {}
    spoken: dict[str, list[str]] = {}
    for doc_id, doc in docs.items():
        if doc.participant_id:
            own.setdefault(str(doc.participant_id), []).append(doc_id)
        for pid in pd.unique(doc.segments["participant_id"].dropna().astype(str)):
            spoken.setdefault(pid, []).append(doc_id)
    lookup = _participant_lookup(participants)
    return _Context(config=config, docs=docs, redact=redact, labels=labels, lookup=lookup,
                    doc_by_lower={d.lower(): d for d in docs}, own_docs=own, spoken_docs=spoken)


def import_codings(config, docs, participants: pd.DataFrame, labels: SpeakerLabels, redact,
                   external_labels: SpeakerLabels | None = None) -> CodingImport:
    """Every coding source of the study -> codings, codebook and report tables.

    ``external_labels`` (default ``labels``) are the labels other programs' projects are read
    with: they also know the participants the transcripts are (``helpers.ingest.pipeline.build``),
    so that a case "P1" is P01. Give the same object as to ``stand_in_documents``.

    All problems are collected and raised together as one InputError.
    """
    ctx = _build_context(config, docs, participants, labels, redact)
    external_labels = external_labels or labels
    book_problems = ProblemList()
    book = read_codebook(config.codebook, redact, config.levels, book_problems,
                         source_name(config.codebook, config.root) if config.codebook else None, ctx.warnings)
    ctx.problems.extend(book_problems)
    extra_books: list[pd.DataFrame] = []
    new_participants: list[pd.DataFrame] = []
    for entry, path in source_files(config):
        suffix, kind = path.suffix.lower(), source_kind(path)
        try:
            if kind == "sheet":
                infos = read_sheets(entry, path, config, redact)
                for info in infos:
                    _import_sheet(ctx, entry, info)
                if all(info.note for info in infos) and entry.path.resolve() == path.resolve():
                    # named in study.yml as a coding source: importing nothing from it is an error
                    missing = "; ".join(f"{info.source.split('#', 1)[-1] + ': ' if '#' in info.source else ''}"
                                        f"{info.note.removeprefix('skipped: ')}" for info in infos)
                    ctx.problems.add(path, f"not a coding sheet ({missing or 'no sheets'})",
                                     "head its columns participant (or document), turn (or quote) and code, "
                                     "or remove it from 'codings:' in study.yml")
                elif all(info.note for info in infos) and any(info.data_rows for info in infos):
                    # a file with data rows that gives no coding is an error, not a quiet "ok: 0 codings"
                    ctx.problems.add(path, f"not a coding sheet ({_columns_found(infos)})",
                                     "head its columns participant (or document), turn (or quote) and code, "
                                     "export MAXQDA coded segments / ATLAS.ti quotations with their own headers, "
                                     "or move the file out of the codings folder")
                elif all(info.note for info in infos):
                    ctx.warn(ctx.sources[-1], f"{source_name(path, config.root)}: no sheet has a code column, a "
                             "participant or document column and a turn or quote column and none has data rows "
                             "— nothing imported")
            elif kind == "word":
                _import_word(ctx, entry, path)
            elif kind == "qdc":
                frame = _import_qdc(path)
                extra_books.append(frame.assign(source=source_name(path, config.root)))
                ctx.stats(source_name(path, config.root), path, "codebook")
            elif kind == "external":
                external = _import_external(path, config, external_labels, redact)
                _import_records(ctx, entry, path, external)
                extra_books.append(external.codebook.assign(source=source_name(path, config.root)))
                if external.participants is not None:
                    new_participants.append(external.participants)
            else:
                stats = ctx.stats(source_name(path, config.root), path, f"skipped: {suffix or 'no'} files are not coding sources")
                ctx.warn(stats, f"{source_name(path, config.root)}: skipped: not a coding sheet (.csv .xlsx), Word "
                                "coding table (.docx), REFI-QDA (.qdpx .qdc) or Taguette file")
        except InputError as exc:
            ctx.problems.extend(exc)
    ctx.problems.raise_if_any()
    ctx.warnings += _matched_id_warnings(ctx)
    ctx.warnings += _merge_spellings(ctx, book)
    ctx.warnings += _comma_list_warnings(ctx, book)

    codings = _codings_frame(ctx)
    book, folded = _merge_codebooks(book, extra_books, redact)
    ctx.warnings += folded
    book, added, parent_warnings = complete_codebook(book, codings, config.levels)
    ctx.warnings += parent_warnings
    codings = codings.drop(columns="_group")
    # the use a source records for a coding's coder (our REFI-QDA export), applied in the pipeline
    recorded = codings.pop("_use")
    file_use = [u if isinstance(u, str) else None for u in recorded]
    if len(added):
        names = ", ".join(f"'{c}'" for c in added["code"][:10]) + (", …" if len(added) > 10 else "")
        one = len(added) == 1
        where = (f"{'is' if one else 'are'} not in the codebook" if config.codebook is not None
                 and config.codebook.is_file() else f"{'has' if one else 'have'} no codebook entry (the study has no codebook)")
        ctx.warnings.append(f"{plural(len(added), 'code')} used in the codings {where}, added from the codings "
                            f"(listed in tables/codebook_added.csv): {names}")
    counts = codings.groupby(["code", "level"]).size() if len(codings) else None
    dups = near_duplicates(book, counts)
    ctx.warnings += near_duplicate_warnings(dups)
    ctx.warnings += depth_warnings(book, config.levels)
    if getattr(config, "levels_given", False):
        ctx.warnings += declared_level_warnings(book, codings, config.levels)
    ctx.warnings += _unmatched_warnings(ctx)
    n_duplicate = int(codings["duplicate"].sum()) if len(codings) else 0
    if n_duplicate:
        ctx.warnings.append(f"{plural(n_duplicate, 'coding')} {'repeats' if n_duplicate == 1 else 'repeat'} an earlier one exactly (same document, code, level, "
                            f"coder and span): kept and flagged duplicate=True — {_duplicates_named(codings)}")
    report = {
        "import_sources": pd.DataFrame(ctx.sources, columns=["source", "file", "rows_read", "codings", "quotes_exact",
                                                             "quotes_elided", "quotes_fuzzy", "quotes_unmatched",
                                                             "warnings", "note"]),
        "quotes_fuzzy": pd.DataFrame(ctx.fuzzy, columns=["source", "row", "doc_id", "quote", "matched_text", "score"]),
        "quotes_unmatched": pd.DataFrame(ctx.unmatched, columns=["source", "row", "doc_id", "quote", "best_score",
                                                                  "closest_doc", "closest_turn", "threshold", "note"]),
        "codebook_near_duplicates": dups,
        "codebook_added": added,
    }
    # Source labels and default coders come from file and sheet names
    # ("codings/sheet_Mary.xlsx#Mary's notes"), which may hold a redaction term.
    codings = _redact_columns(codings, ["source", "coder"], redact)
    book = _redact_columns(book, ["source"], redact)
    report = {name: _redact_columns(frame, ["source", "file"], redact) for name, frame in report.items()}
    merged = _merge_participants(participants, new_participants, redact) if new_participants else None
    return CodingImport(codings=codings, codebook=book, participants=merged, report_tables=report,
                        warnings=[redact(w) for w in ctx.warnings], recorded_use=file_use)


def _columns_found(infos) -> str:
    """What a skipped file's sheets lack and hold: "no code column; columns found: Document name, Segment"."""
    parts = []
    for info in infos:
        if not info.data_rows:
            continue
        sheet = f"{info.source.split('#', 1)[-1]}: " if "#" in info.source else ""
        found = ", ".join(info.columns[:12]) + (", …" if len(info.columns) > 12 else "")
        parts.append(f"{sheet}{info.note.removeprefix('skipped: ')}; columns found: {found or 'none'}")
    return "; ".join(parts)


def _unmatched_warnings(ctx: _Context) -> list[str]:
    """One line when quotes were not found (``strict: false``): how many, where listed, the first."""
    if not ctx.unmatched:
        return []
    first = ctx.unmatched[0]
    row = _text(first["row"])
    where = f"{first['source']} {'row ' + row if row.isdigit() else row}".strip()
    quote = first["quote"] if len(first["quote"]) <= 60 else first["quote"][:59] + "…"
    return [f"{plural(len(ctx.unmatched), 'quote')} not found (listed in tables/quotes_unmatched.csv), not counted; "
            f"the first: {where}: \"{quote}\" in {first['doc_id']} — {first['note']}"]


def _matched_id_warnings(ctx: _Context) -> list[str]:
    """One line per file naming the ids matched by normalising."""
    by_file: dict[str, list[str]] = {}
    for (file, written, value), rows in ctx.matched_ids.items():
        by_file.setdefault(file, []).append(f"'{written}' -> {value} ({len(rows)} row{'s' if len(rows) > 1 else ''})")
    return [f"{file}: ids matched by normalising (case, leading zeros, file extension, surrounding words): "
            f"{', '.join(items)} — write the ids as the transcripts name them to silence this"
            for file, items in by_file.items()]


def code_key(code: str) -> str:
    """Codes are one code when they differ only in Unicode form, case,
    apostrophe or dash variants and spaces (the project's text-matching rule)."""
    import unicodedata

    text = unicodedata.normalize("NFC", str(code)).casefold()
    text = re.sub(r"[’‘ʼ`]", "'", text)
    text = re.sub(r"[‐‑‒–—−]", "-", text)
    return " ".join(text.split())


def _merge_spellings(ctx: _Context, book: pd.DataFrame) -> list[str]:
    """Codings whose code differs from another only as ``code_key`` ignores
    take one spelling: the codebook's, else the first met; reported."""
    canonical: dict[str, str] = {}
    for code in (book["code"] if len(book) else []):
        canonical.setdefault(code_key(code), code)
    merged: dict[str, tuple[str, list[str]]] = {}
    for app in ctx.applications:
        first = canonical.setdefault(code_key(app["code"]), app["code"])
        if first != app["code"]:
            entry = merged.setdefault(app["code"], (first, []))
            entry[1].append(f"{app['source']} row {app['source_row']}")
            app["code"] = first
    return [f"code '{spelling}' taken as '{first}' (same code, spelt differently in case, spaces, apostrophes "
            f"or dashes): {', '.join(rows[:5])}{', …' if len(rows) > 5 else ''} — spell it the same to silence this"
            for spelling, (first, rows) in merged.items()]


def _comma_list_warnings(ctx: _Context, book: pd.DataFrame) -> list[str]:
    """A code with commas whose parts include a known code (in the codebook,
    or applied alone elsewhere) looks like a list of codes in one cell: warn,
    naming every such cell of that source, unless the entry splits on commas."""
    known = {code_key(c) for c in (book["code"] if len(book) else [])}
    known |= {code_key(a["code"]) for a in ctx.applications if "," not in a["code"]}
    by_source: dict[str, list[tuple[str, str]]] = {}
    suspicious: set[str] = set()
    for app in ctx.applications:
        if "," not in app["code"]:
            continue
        parts = [code_key(p) for p in app["code"].split(",") if p.strip()]
        if len(parts) < 2 or any(len(p.split()) > 4 for p in parts):
            continue
        file = str(app["source"]).split("#")[0]
        by_source.setdefault(file, []).append((str(app["source_row"]), app["code"]))
        if any(p in known for p in parts):
            suspicious.add(file)
    out = []
    for file in sorted(suspicious):
        cells = list(dict.fromkeys(by_source[file]))
        cells_rows = list(dict.fromkeys(r for r, _ in cells))
        rows = ", ".join(cells_rows)
        codes = ", ".join(f"'{c}'" for c in dict.fromkeys(c for _, c in cells))
        out.append(f"{file} {'row' if len(cells_rows) == 1 else 'rows'} {rows}: cells look like comma-separated lists of codes ({codes}), imported as one "
                   f"code each — if they are lists, add code_separator: \",\" to this codings entry in study.yml")
    return out


def _redact_columns(frame: pd.DataFrame, columns: list[str], redact) -> pd.DataFrame:
    """``frame`` with the text of ``columns`` (those present) redacted."""
    present = [c for c in columns if c in frame.columns]
    if not present or not len(frame):
        return frame
    return frame.assign(**{c: frame[c].map(lambda v: redact(v) if isinstance(v, str) else v) for c in present})


# -- assembling the tables --------------------------------------------------------------------

def _codings_frame(ctx: _Context) -> pd.DataFrame:
    """The codings table: segments and participants attached per document, vectorised."""
    columns = tables.CONTRACT["codings"] + ["match", "score", "source_row", "duplicate", "_group", "_use"]
    if not ctx.applications:
        return pd.DataFrame(columns=columns).pipe(lambda f: f.assign(duplicate=f["duplicate"].astype(bool)))
    frame = pd.DataFrame(ctx.applications)
    if "_use" not in frame:
        frame["_use"] = None
    frame["seg_first"] = pd.NA
    frame["seg_last"] = pd.NA
    frame["participant_id"] = None
    parts = []
    for doc_id, group in frame.groupby("doc_id", sort=False):
        seg = ctx.docs[doc_id].segments
        starts, ends = seg["start"].to_numpy(int), seg["end"].to_numpy(int)
        seg_nos = seg["seg_no"].to_numpy(int)
        s, e = group["start"].to_numpy(int), group["end"].to_numpy(int)
        first = np.clip(np.searchsorted(ends, s, side="right"), 0, len(seg) - 1)   # first turn ending after start
        last = np.clip(np.searchsorted(starts, e, side="left") - 1, 0, len(seg) - 1)  # last turn starting before end
        last = np.maximum(first, last)
        group = group.assign(seg_first=seg_nos[first], seg_last=seg_nos[last],
                             participant_id=seg["participant_id"].to_numpy(object)[first])
        parts.append(group)
    frame = pd.concat(parts).sort_index(kind="stable")
    frame["duplicate"] = frame.duplicated(["doc_id", "code", "level", "coder", "start", "end"], keep="first")
    ctx.warnings.extend(named_elsewhere(frame))
    return frame[columns].reset_index(drop=True)


def _duplicates_named(codings: pd.DataFrame, limit: int = 5) -> str:
    """Where the duplicate codings come from, for the warning: "codings/AK.csv
    row 3 ('hope', P01)", the first ``limit`` of them."""
    dups = codings.loc[codings["duplicate"]]
    named = []
    for source, row, code, doc_id in zip(dups["source"], dups["source_row"], dups["code"], dups["doc_id"]):
        row = _text(row)
        place = f"{source} row {row}" if row.isdigit() else f"{source} {row}".strip()
        named.append(f"{place} ('{code}', {doc_id})")
    more = f", and {len(named) - limit} more" if len(named) > limit else ""
    return ", ".join(named[:limit]) + more


def _merge_codebooks(book: pd.DataFrame, extra: list[pd.DataFrame], redact) -> tuple[pd.DataFrame, list[str]]:
    """codebook.csv first; codes from .qdc/.qdpx codebooks and code paths of exports (redacted here)
    appended when not already there.

    A code or parent of another program's code tree that differs from a codebook.csv code only as
    ``code_key`` ignores (case, spaces, apostrophes, dashes: the rule that folds the codings' codes,
    ``_merge_spellings``) takes the codebook's name, and its row gives way to the codebook's, so a
    MAXQDA path ``Belonging\\Shared tools\\Seed swaps`` hangs under the codebook's ``belonging``.

    Returns
    -------
    (codebook, warnings)
        The merged codebook (columns code, level, parent, description, colour, source) and one
        line per source whose code tree was folded onto codebook.csv's names.
    """
    canonical: dict[str, str] = {}
    for code in (book["code"] if len(book) else []):
        canonical.setdefault(code_key(code), code)
    known = set(canonical.values())
    frames = [book]
    warnings: list[str] = []
    for frame in extra:
        if frame is None or not len(frame):
            continue
        frame = frame.copy()
        for col in ["code", "parent", "level", "description", "colour", "source"]:
            if col not in frame:
                frame[col] = ""
        frame = frame.astype(object).fillna("")
        for col in ["code", "parent", "description"]:
            frame[col] = frame[col].map(lambda v: redact(_text(v)))
        frame["level"] = frame["level"].map(normalise_level)
        renamed: dict[str, str] = {}
        for col in ["code", "parent"]:
            for name in frame[col]:
                if name and name not in known and code_key(name) in canonical:
                    renamed[name] = canonical[code_key(name)]
            frame[col] = frame[col].map(lambda v: renamed.get(v, v))
        if renamed:
            source = str(frame["source"].iloc[0]) if len(frame) else ""
            pairs = ", ".join(f"'{a}' -> '{b}'" for a, b in list(renamed.items())[:10])
            warnings.append(f"{source}: code tree joined to the codebook's: {pairs}"
                            f"{', …' if len(renamed) > 10 else ''} (same code, spelt differently in case, spaces, "
                            "apostrophes or dashes; codebook.csv's level, parent and description kept)")
        frame = frame[~(frame["code"].isin(known) & (frame["level"] == ""))]   # codebook.csv's row stands
        frames.append(frame[["code", "level", "parent", "description", "colour", "source"]])
    merged = pd.concat(frames, ignore_index=True).fillna("")
    return merged.drop_duplicates(["code", "level"], keep="first").reset_index(drop=True), warnings


def _in_codebook(book: pd.DataFrame) -> tuple[set[tuple[str, str]], dict[str, set[str]]]:
    pairs = set(zip(book["code"], book["level"]))
    by_name: dict[str, set[str]] = {}
    for code, level in pairs:
        by_name.setdefault(code, set()).add(level)
    return pairs, by_name


def complete_codebook(book: pd.DataFrame, codings: pd.DataFrame, levels: list[str]
                      ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Codes used but missing from the codebook added; empty parents inferred.

    A coding (code, level) is in the codebook when that pair is, or when the
    code name appears at one level only and one of the two levels is ''.
    """
    warnings: list[str] = []
    book = book.copy() if len(book) else empty_codebook()
    book = book.fillna("")
    pairs, by_name = _in_codebook(book)
    used = codings[["code", "level", "source"]].drop_duplicates(["code", "level"]) if len(codings) else \
        pd.DataFrame(columns=["code", "level", "source"])
    new_rows = []
    for code, level, source in used.itertuples(index=False):
        if (code, level) in pairs:
            continue
        names = by_name.get(code, set())
        if len(names) == 1 and ("" in names or level == ""):
            continue
        new_rows.append({"code": code, "level": level, "parent": "", "description": "", "colour": "", "source": source})
    added_keys = {(r["code"], r["level"]) for r in new_rows}
    if new_rows:
        book = pd.concat([book, pd.DataFrame(new_rows)], ignore_index=True)
    inferred, ambiguous = infer_parents(codings, levels)
    empty_parent = book["parent"] == ""
    for i in book.index[empty_parent]:
        key = (book.at[i, "code"], book.at[i, "level"])
        if key in inferred:
            book.at[i, "parent"] = inferred[key]
        elif key in ambiguous:
            warnings.append(ambiguous[key])
    counts = codings.groupby(["code", "level"]).size() if len(codings) else pd.Series(dtype=int)
    is_added = pd.Series([(c, lv) in added_keys for c, lv in zip(book["code"], book["level"])],
                         index=book.index, dtype=bool)
    added = book[is_added].copy()
    added["n_codings"] = [int(counts.get((c, lv), 0)) for c, lv in zip(added["code"], added["level"])]
    added = added[["code", "level", "parent", "source", "n_codings"]].reset_index(drop=True)
    return book.reset_index(drop=True), added, warnings


def infer_parents(codings: pd.DataFrame, levels: list[str]) -> tuple[dict, dict]:
    """Parents implied by co-coding within rows (DESIGN §3).

    For a code at level L, the next level up is the nearest level ranked above L
    among the codes in its rows. The code takes parent P when every one of its
    rows (sheet row, table turn) carries exactly one code at that level and it
    is always P. Returns ({(code, level): parent}, {(code, level): warning}).
    """
    inferred: dict = {}
    ambiguous: dict = {}
    if not len(codings) or "_group" not in codings:
        return inferred, ambiguous
    apps = codings.loc[codings["_group"].notna(), ["code", "level", "_group"]].drop_duplicates()
    if not len(apps):
        return inferred, ambiguous
    apps = apps.assign(rank=[level_rank(lv, levels) for lv in apps["level"]])
    for (code, level), own in apps.groupby(["code", "level"], sort=False):
        groups = set(own["_group"])
        rank = level_rank(level, levels)
        above = apps[apps["_group"].isin(groups) & (apps["rank"] > rank)]
        if not len(above):
            continue
        next_rank = above["rank"].min()
        at = above[above["rank"] == next_rank]
        per_row = at.groupby("_group")["code"].agg(lambda s: tuple(sorted(set(s))))
        per_row = per_row.reindex(sorted(groups), fill_value=())
        distinct = set(per_row)
        if len(distinct) == 1 and len(next(iter(distinct))) == 1:
            inferred[(code, level)] = next(iter(distinct))[0]
            continue
        tally = per_row.map(lambda t: " + ".join(f"'{c}'" for c in t) if t else "none").value_counts()
        shown = ", ".join(f"{k} ({v} row{'s' if v > 1 else ''})" for k, v in
                          sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])))
        next_level = at["level"].iloc[0] or "unnamed"
        ambiguous[(code, level)] = (f"code '{code}'{f' ({level})' if level else ''}: parent not inferred — its rows carry "
                                    f"different {next_level} codes: {shown}; give its parent in the codebook")
    return inferred, ambiguous


def _merge_participants(participants: pd.DataFrame, extra: list[pd.DataFrame], redact) -> pd.DataFrame:
    """participants.csv rows first; attributes from REFI cases for ids it lacks, or columns it lacks."""
    merged = participants.copy()
    for frame in extra:
        frame = frame.copy()
        frame["participant_id"] = frame["participant_id"].astype(str)
        for col in frame.columns:
            if col != "participant_id":
                frame[col] = frame[col].map(lambda v: redact(str(v)) if v is not None and not pd.isna(v) else None)
        known = set(merged["participant_id"].astype(str))
        new = frame[~frame["participant_id"].isin(known)]
        merged = pd.concat([merged, new], ignore_index=True)
        fill_cols = [c for c in frame.columns if c != "participant_id"]
        if fill_cols:
            lookup = frame.drop_duplicates("participant_id").set_index("participant_id")
            for col in fill_cols:
                values = merged["participant_id"].map(lookup[col]) if col in lookup else None
                if col not in merged:
                    merged[col] = values
                else:
                    merged[col] = merged[col].where(merged[col].notna(), values)
    return merged
