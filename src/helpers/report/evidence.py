"""Evidence behind every number: static pages listing the passages each count
counts, so that any number on a report page is one click from its quotes
(as ATLAS.ti's "click a co-occurrence cell to read its quotations").

Pages go to ``reports/<study>/evidence/`` (no JavaScript, transcript text
escaped, the same page template as the reports):

- ``codes-<level>.html``: one section per code, its passages;
- ``pairs-<level>-<unit>.html``: one section per co-occurring pair, the
  passages its count counts (the counting rule's own selection);
- ``cells-<level>.html``: one section per participant × code cell, that
  participant's passages of the code.

Numbers link to them through ``present.table(..., links=...)`` with the link
functions here (``code_links``, ``pair_links``, ``cell_links``).

Passages follow DESIGN §4: codings of one document, one coder and one code
whose spans overlap are one passage covering their union.
"""
from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import pandas as pd

from helpers import atomic
from helpers.report.evidence_tables import _passage_rows, _passage_table, _table_of_rows, _without_attrs
from helpers.textutil import plural

FOLDER = "evidence"


def anchor(*parts) -> str:
    """A stable HTML id for a code, pair or cell: readable, and unique by a short hash.

    Two codes that differ only in punctuation or case stay apart.

    Parameters
    ----------
    *parts : object
        The code (or the two codes of a pair, or participant id and code), each as ``str()``.

    Returns
    -------
    str
        The parts lower-cased with every run of other characters than ``a-z0-9`` as "-"
        (cut to 40 characters; "x" when nothing is left), then "-" and the first 8 hex digits
        of the SHA-1 of the parts joined by U+001F.
    """
    text = "\x1f".join(str(p) for p in parts)
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "x"
    return f"{slug}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"


def _level_part(level) -> str:
    """A level in a file name: None (codes as applied) and '' (the unnamed
    level, DESIGN §3) are different selections, so they get different pages."""
    if level is None:
        return "as-applied"
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(level)) or "code"


def passages(study, level: str | None = None, coder=None, at_or_below: bool = False) -> pd.DataFrame:
    """The passages the counts count, with their text.

    Parameters
    ----------
    study : Study
    level : str, optional
        Roll codings up to this level first (None: codes as applied).
    coder : str or list, optional
        Keep only these coders' codings.
    at_or_below : bool
        A code's passages include those of the codes below it (as
        ``theme_matrix`` counts them, DESIGN §4 "Theme prevalence").

    Returns
    -------
    DataFrame
        One row per passage; columns ``doc_id``, ``participant_id``, ``code``,
        ``coder``, ``start``, ``end`` (offsets into the clean text, end
        exclusive), ``seg_first``, ``seg_last``, ``text``; ordered by code,
        document and position.
    """
    from helpers.counting import holders
    from helpers.counting import passages as counted_passages

    columns = ["doc_id", "participant_id", "code", "coder", "start", "end", "seg_first", "seg_last", "text"]
    # the passages the counts count (counting.passages: one rule for both), not a merge of our own
    found = counted_passages(study, level, coder, at_or_below).reset_index(drop=True)
    if found.empty:
        return pd.DataFrame(columns=columns)
    held = holders(study, found)
    everyone = held.groupby("row")["participant_id"].agg(lambda s: "; ".join(sorted(set(s.astype(str)))))
    out = found[columns[:-1]].copy()
    out["participant_id"] = everyone.reindex(range(len(found))).fillna("").to_numpy(dtype=object)
    out["text"] = _passage_texts(study, out)
    return out.sort_values(["code", "doc_id", "start", "seg_first"], kind="stable").reset_index(drop=True)


def _passage_texts(study, frame: pd.DataFrame) -> list[str]:
    """Each passage's words: its span of the clean text, or, where it has no span or
    the text is missing, the turns it touches (counting.turns_touched) joined."""
    from helpers.counting import turns_touched

    texts: dict[str, str] = {}
    out: list[str | None] = []
    for row in frame.itertuples(index=False):
        doc = str(row.doc_id)
        if doc not in texts:
            try:
                texts[doc] = study.text(row.doc_id)
            except Exception:  # noqa: BLE001 - a missing text shows the turns instead
                texts[doc] = ""
        placed = texts[doc] and pd.notna(row.start) and pd.notna(row.end)
        out.append(texts[doc][int(row.start):int(row.end)] if placed else None)
    missing = [i for i, text in enumerate(out) if text is None]
    if missing:
        touched = turns_touched(frame.iloc[missing].reset_index(drop=True))
        seg = study.segments[["doc_id", "seg_no", "text"]].astype({"doc_id": str})
        touched["doc_id"] = touched["doc_id"].astype(str)
        words = touched.merge(seg, on=["doc_id", "seg_no"], how="left").sort_values(["row", "seg_no"])
        joined = words.groupby("row")["text"].agg(lambda s: " ".join(s.dropna().astype(str)))
        for k, i in enumerate(missing):
            out[i] = joined.get(k, "")
    return [str(text) for text in out]


def _write(study, folder: Path, name: str, title: str, intro: str, sections: list[tuple[str, str, str]]) -> Path:
    from helpers.report.pages import page

    toc = "".join(f"<li><a href=\"#{a}\">{html.escape(t)}</a></li>" for a, t, _ in sections)
    if not sections:  # an empty page says why, rather than looking broken
        sections = [("none", "Nothing to list", "<p>No count on the linked page is above zero, so no passage "
                                                 "is listed here.</p>")]
    body = (f"<p>{html.escape(intro)}</p><nav class=\"toc\"><strong>Contents</strong><ol>{toc}</ol></nav>" +
            "".join(f"<section id=\"{a}\"><h2>{html.escape(t)}</h2>{content}</section>" for a, t, content in sections))
    nav = '<nav class="top"><a href="../index.html">← Index</a></nav>'
    target = folder / name
    atomic.write_text(target, page(title, body, nav, study_title=study.title))
    return target


def _folder(study, folder) -> Path | None:
    if folder is not None:
        return Path(folder)
    return None if study.paths is None else study.paths.reports / FOLDER


def write_code_pages(study, level: str | None = None, coder=None, folder=None) -> Path | None:
    """Write ``codes-<level>.html``: each code's passages (what its counts count).

    One section per code (sorted by name) with its number of passages, documents and
    participants and a table of its passages (``passages``); an empty page says why.

    Parameters
    ----------
    study : Study
        The study.
    level : str, optional
        Roll codings up to this level first (None: codes as applied; ``as-applied`` in the
        file name).
    coder : str or list, optional
        The coders counted, as ``counting.check_coder`` reads it (None: each document's
        primary coder).
    folder : path, optional
        Where the page goes (default ``reports/<study>/evidence``).

    Returns
    -------
    Path or None
        The page's path (written atomically), or None for an in-memory study without ``folder``.

    Raises
    ------
    InputError
        ``level`` or ``coder`` is not one of the study's.
    """
    folder = _folder(study, folder)
    if folder is None:
        return None
    found = _without_attrs(passages(study, level, coder))
    labels = dict(study.participant_label())
    sections = []
    for code, rows in found.groupby("code", sort=True):
        n_docs, n_part = rows["doc_id"].nunique(), len({p for v in rows["participant_id"].fillna("").astype(str)
                                                         for p in v.split("; ") if p not in ("", "nan", "None")})
        summary = (f"<p>{plural(len(rows), 'passage')} in {plural(n_docs, 'document')}, from "
                   f"{plural(n_part, 'participant')}.</p>")
        sections.append((anchor(code), f"{code}", summary + _passage_table(study, rows, labels=labels)))
    return _write(study, folder, f"codes-{_level_part(level)}.html",
                  f"Passages by code ({level or 'codes as applied'})",
                  "Every passage each code counts: codings of one document, coder and code whose spans overlap "
                  "are one passage.", sections)


def write_pair_pages(study, counts: pd.DataFrame, unit: str | None = None, level: str | None = None, coder=None,
                     folder=None, window: int | None = None) -> Path | None:
    """``pairs-<level>-<unit>.html``: for each pair of codes with a non-zero
    count in ``counts`` (``cooccurrence(measure="count")``), exactly the
    passages that count counts, chosen by the counting rule itself
    (``cooccurrence_counts.pair_members``): passages on turns carrying their
    code with the other code within k turns (segment: k = 0; window: k =
    ``window``), passages sharing a character with one of the other code
    (overlap), or passages of either code in the documents / of the
    participants that carry both (document, participant).

    Parameters
    ----------
    study : Study
    counts : DataFrame
        Codes × codes counts (index and columns codes).
    unit : str, optional
        The unit of ``counts``; None: ``counts.attrs["unit"]``, else "segment".
    level, coder
        As given to ``cooccurrence``.
    folder : path, optional
        Where the page goes (default ``reports/<study>/evidence``).
    window : int, optional
        Turns either side for ``unit="window"``; None: ``counts.attrs["window"]``, else 1.

    Returns
    -------
    Path or None
        The page's path, or None for an in-memory study without ``folder``.
    """
    from helpers.analysis.cooccurrence_counts import pair_members
    from helpers.counting import holders

    unit = unit or counts.attrs.get("unit") or "segment"
    if window is None:
        window = counts.attrs.get("window") or 1
    folder = _folder(study, folder)
    if folder is None:
        return None
    found = _without_attrs(passages(study, level, coder))
    codes = [str(c) for c in counts.index]
    labels = dict(study.participant_label())
    # who holds each passage, once for the page rather than once per pair (the same rows: holders is per passage)
    held = holders(study, found) if unit == "participant" else None
    # every passage's row made once, and one order for all pairs: a stable sort (pandas' sort on
    # several columns is) of all passages, restricted to a pair's, is the sort of the pair's
    rendered = _passage_rows(study, found, with_code=True, labels=labels)
    order = found.reset_index(drop=True).sort_values(["doc_id", "seg_first", "code"]).index.to_numpy()
    sections = []
    present_codes = set(found["code"].astype(str))
    in_units = {"segment": "turn", "window": "turn", "overlap": "overlapping pair",
                "document": "document", "participant": "participant"}.get(unit, "unit")
    label = f"{unit}, {plural(window, 'turn')} either side" if unit == "window" else unit
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            value = counts.loc[a, b] if b in counts.columns else 0
            if pd.isna(value) or value <= 0 or a not in present_codes or b not in present_codes:
                continue
            member, n_units = pair_members(study, found, a, b, unit, window, held=held)
            chosen = order[member[order]]
            sections.append((pair_anchor(a, b), f"{a} + {b}",
                             f"<p>{plural(len(chosen), 'passage')} of either code counted in {plural(n_units, in_units)} "
                             f"({html.escape(label)}).</p>"
                             + _table_of_rows([rendered[i] for i in chosen], with_code=True)))
    return _write(study, folder, f"pairs-{_level_part(level)}-{_level_part(unit)}.html",
                  f"Passages by co-occurring pair ({level or 'codes as applied'}, unit: {unit})",
                  "For each pair of codes, the passages its count counts, by the same rule as the count.",
                  sections)


def pair_anchor(a, b) -> str:
    """The anchor of a pair of codes on a pairs page: one for both orders.

    A table of pairs may list B before A.

    Parameters
    ----------
    a, b : object
        The two codes (as ``str()``).

    Returns
    -------
    str
        ``anchor`` of the two codes, sorted.
    """
    first, second = sorted((str(a), str(b)))
    return anchor(first, second)


def write_cell_pages(study, level: str | None = "top", coder=None, folder=None) -> Path | None:
    """Write ``cells-<level>.html``: each participant × code cell's passages.

    For each participant and code (sorted by participant id, then code), the participant's
    passages of the code and of the codes below it, as ``theme_matrix`` counts them (a
    passage on several participants' turns counts for each); an empty page says why.

    Parameters
    ----------
    study : Study
        The study.
    level : str or None
        As in ``theme_matrix`` ("top": the study's top level; None: codes as applied).
    coder : str or list, optional
        The coders counted, as ``counting.check_coder`` reads it.
    folder : path, optional
        Where the page goes (default ``reports/<study>/evidence``).

    Returns
    -------
    Path or None
        The page's path (written atomically), or None for an in-memory study without ``folder``.

    Raises
    ------
    InputError
        ``level`` or ``coder`` is not one of the study's.
    """
    from helpers.counting import check_level

    folder = _folder(study, folder)
    if folder is None:
        return None
    level = check_level(study, level)
    found = _without_attrs(passages(study, level, coder, at_or_below=True))
    labels = dict(study.participant_label())
    rows = []
    for rec in found.itertuples(index=False):
        for pid in str(rec.participant_id).split("; "):
            if pid and pid not in ("nan", "None", "<NA>"):
                rows.append({**rec._asdict(), "cell_participant": pid})
    cells = pd.DataFrame(rows)
    sections = []
    if not cells.empty:
        for (pid, code), group in cells.groupby(["cell_participant", "code"], sort=True):
            sections.append((anchor(pid, code), f"{labels.get(pid, pid)} × {code}",
                             f"<p>{plural(len(group), 'passage')}.</p>" + _passage_table(study, group, labels=labels)))
    return _write(study, folder, f"cells-{_level_part(level)}.html",
                  f"Passages by participant and code ({level or 'codes as applied'})",
                  "For each participant and code, the passages that give the participant the code.", sections)


# -- links from numbers ------------------------------------------------------------------

def code_links(level: str | None = None,
               columns=("applications", "segments", "documents", "participants", "words_coded")):
    """``links=`` for ``present.table`` on a code frequency table: each count links to its code's passages.

    Parameters
    ----------
    level : str, optional
        The level the table counts at (names the page ``codes-<level>.html``).
    columns : tuple of str
        The columns whose cells link.

    Returns
    -------
    callable
        ``link(row, column) -> str or None``: ``evidence/codes-<level>.html#<anchor(code)>`` for
        a cell of ``columns`` in a row with a ``code``; None for other cells.
    """
    page = f"{FOLDER}/codes-{_level_part(level)}.html"

    def link(row: pd.Series, column) -> str | None:
        if column not in columns or "code" not in row:
            return None
        return f"{page}#{anchor(row['code'])}"
    return link


def pair_links(level: str | None = None, unit: str = "segment"):
    """``links=`` for ``present.table`` on a codes × codes count matrix (first column the code).

    Parameters
    ----------
    level : str, optional
        The level the matrix counts at.
    unit : str
        The matrix's co-occurrence unit (names the pairs page).

    Returns
    -------
    callable
        ``link(row, column) -> str or None``: a diagonal cell links to the code's passages
        (``evidence/codes-<level>.html``), an off-diagonal one to the pair's
        (``evidence/pairs-<level>-<unit>.html#<pair_anchor>``); None when the row's code or
        the column is not one of the matrix's codes.
    """
    page = f"{FOLDER}/pairs-{_level_part(level)}-{_level_part(unit)}.html"
    codes_page = f"{FOLDER}/codes-{_level_part(level)}.html"

    def link(row: pd.Series, column) -> str | None:
        a = str(row.iloc[0])
        b = str(column)
        if a == b:
            return f"{codes_page}#{anchor(a)}"
        order = row.index[1:].astype(str).tolist()
        if a not in order or b not in order:
            return None
        return f"{page}#{pair_anchor(a, b)}"
    return link


def pair_row_links(level: str | None = None, unit: str = "segment", units=()):
    """``links=`` for ``present.table`` on a table of pairs (columns ``code_a``, ``code_b``).

    As ``cooccurrence.cooccurrence_table`` gives it: ``n_a`` and ``n_b`` link to each code's
    passages, ``n_ab`` to the pair's passages under ``unit``, and a column named after a unit in
    ``units`` (the side-by-side table) to the pair's passages under that unit; other columns
    do not link. The pages must exist: ``write_code_pages`` and ``write_pair_pages`` for each
    unit linked.

    Parameters
    ----------
    level : str, optional
        The level the table counts at.
    unit : str
        The unit of ``n_ab``.
    units : iterable of str
        Units that are columns of the table (empty: none).

    Returns
    -------
    callable
        ``link(row, column) -> str or None``: a relative link into ``evidence/``, or None.
    """
    codes_page = f"{FOLDER}/codes-{_level_part(level)}.html"
    units = tuple(units)

    def link(row: pd.Series, column) -> str | None:
        if "code_a" not in row or "code_b" not in row:
            return None
        a, b = str(row["code_a"]), str(row["code_b"])
        if column == "n_a":
            return f"{codes_page}#{anchor(a)}"
        if column == "n_b":
            return f"{codes_page}#{anchor(b)}"
        chosen = column if column in units else (unit if column == "n_ab" else None)
        if chosen is None:
            return None
        return f"{FOLDER}/pairs-{_level_part(level)}-{_level_part(chosen)}.html#{pair_anchor(a, b)}"
    return link


def cell_links(study, level: str | None = "top"):
    """``links=`` for ``present.table`` on a participants × codes matrix.

    Its first column is the participant id or pseudonym; every other cell links to that
    participant's passages of the column's code on ``cells-<level>.html``.

    Parameters
    ----------
    study : Study
        The study (participant ids and labels).
    level : str or None
        As in ``theme_matrix`` ("top": the study's top level).

    Returns
    -------
    callable
        ``link(row, column) -> str or None``: ``evidence/cells-<level>.html#<anchor(id, code)>``;
        None for the first column and for a row naming no participant.

    Raises
    ------
    InputError
        ``level`` is not one of the study's.
    """
    from helpers.counting import check_level

    level = check_level(study, level)
    page = f"{FOLDER}/cells-{_level_part(level)}.html"
    to_id = {str(v): str(k) for k, v in study.participant_label().items()}

    def link(row: pd.Series, column) -> str | None:
        shown = str(row.iloc[0])
        pid = shown if shown in set(study.participants["participant_id"].astype(str)) else to_id.get(shown)
        if pid is None or column == row.index[0]:
            return None
        return f"{page}#{anchor(pid, column)}"
    return link
