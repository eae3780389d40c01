"""The passage tables of the evidence pages (split out of :mod:`helpers.report.evidence`, issue 15):
one HTML row per passage (who said it, document, turns, coder, its words) and the table with its
reading guide. A page of hundreds of pairs renders each passage's row once and picks rows per pair.
"""
from __future__ import annotations

import html

import pandas as pd

__all__ = ["_passage_rows", "_passage_table", "_table_of_rows", "_without_attrs"]


def _turns(first, last) -> str:
    if pd.isna(first):
        return ""
    return f"{int(first)}" if pd.isna(last) or int(last) == int(first) else f"{int(first)}–{int(last)}"


def _without_attrs(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its attrs (the rule texts and the codings not counted): pandas deep-copies
    attrs into every slice and sort, and a page slices the passages once per code, cell or pair
    (on the demo's pair pages about 2 of 27 s)."""
    frame.attrs = {}
    return frame


def _passage_rows(study, rows: pd.DataFrame, with_code: bool = False, labels: dict | None = None) -> list[str]:
    """Each passage of ``rows`` as one HTML table row, in the order of ``rows``.

    ``labels`` (participant_id -> label) is given by a caller writing many tables (a page of
    hundreds of pairs asked for them hundreds of times)."""
    labels = dict(study.participant_label()) if labels is None else labels
    body = []
    for r in rows.itertuples(index=False):
        pids = [p for p in str(r.participant_id).split("; ") if p and p not in ("nan", "None", "<NA>")]
        who = "; ".join(str(labels.get(p, p)) for p in pids) or "(interviewer turns)"
        body.append("<tr>" + (f"<td>{html.escape(str(r.code))}</td>" if with_code else "") +
                    f"<td>{html.escape(who)}</td><td>{html.escape(str(r.doc_id))}</td>"
                    f"<td class=\"num\">{_turns(r.seg_first, r.seg_last)}</td><td>{html.escape(str(r.coder))}</td>"
                    f"<td class=\"text\">{html.escape(str(r.text))}</td></tr>")
    return body


def _table_of_rows(body, with_code: bool = False) -> str:
    """The passage table around rows made by ``_passage_rows``, with its reading guide."""
    from helpers.report.pages import guided

    head = ("<tr>" + ("<th>Code</th>" if with_code else "") +
            "<th>Participant</th><th>Document</th><th>Turns</th><th>Coder</th><th>Passage</th></tr>")
    how = ("Each row is one passage this count counts" + (", with the code it carries" if with_code else "") +
           ": who said it, the document and turns it sits in, the coder, and its words in full.")
    return guided(f"<table>{head}{''.join(body)}</table>", how)


def _passage_table(study, rows: pd.DataFrame, with_code: bool = False, labels: dict | None = None) -> str:
    return _table_of_rows(_passage_rows(study, rows, with_code, labels), with_code)
