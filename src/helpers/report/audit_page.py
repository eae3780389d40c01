"""The write-up audit as a readable page: the same sections for notebook 09 and
for ``python -m helpers audit-draft`` (which writes ``reports/<study>/draft-audit.html``).

Every value from the draft or the study is escaped; nothing here computes. The
command (``run_audit_command``) lives here, in the report layer, since it writes the page.
"""
from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from helpers.analysis.audit import NOT_SUPPORTED_MEANS, DraftAudit, audit_draft, write_tables
from helpers.report.present_format import format_value, header
from helpers.report.present_guides import guide

# Headers of the audit's tables where ``present_format.header`` would not fit: values here are shown as
# written (a share as 0–1), and a participant's name beside the id.
AUDIT_HEADERS = {"share": "Share of quotes (0–1)", "name": "Name", "similarity": "Similarity (0–1)",
                 "match": "How matched"}

VERDICT_COLOURS = {"verbatim": "#d9f2e3", "supported": "#d9f2e3", "edited": "#fff1c2",
                   "misattributed": "#fbd5d5", "interviewer's words": "#fbd5d5", "not found": "#fbd5d5",
                   "not supported": "#fbd5d5", "not checkable": "#eceff1", "not checked": "#eceff1"}


def table(frame: pd.DataFrame, columns: list[str] | None = None, empty: str = "None.", how: str = "") -> str:
    """An escaped HTML table with its "how to read this" under it (``pages.guided``).

    A ``verdict`` cell is coloured by its value (``VERDICT_COLOURS``); in a ``differences``
    cell ``[-removed-]`` is struck through and ``{+added+}`` marked. Cells read as
    ``present_format.format_value`` (missing: blank; "1", not "1.0"); headers are in words
    (``present_format.header``, ``AUDIT_HEADERS``).

    Parameters
    ----------
    frame : DataFrame or None
        The rows to show (one of ``DraftAudit``'s tables).
    columns : list of str, optional
        The columns shown, in order (default: all of ``frame``'s).
    empty : str
        The sentence shown instead of the table when ``frame`` is None or empty.
    how : str
        The reading guide; default ``present_guides.guide`` of the columns shown.

    Returns
    -------
    str
        HTML: a ``<figure>`` with the table and its guide, or a ``<p>`` with ``empty``.

    Raises
    ------
    KeyError
        A name of ``columns`` is not a column of ``frame``.
    """
    if frame is None or frame.empty:
        return f"<p>{html.escape(empty)}</p>"
    columns = columns or list(frame.columns)
    head = "".join(f"<th>{html.escape(AUDIT_HEADERS.get(c, header(c)))}</th>" for c in columns)
    body = []
    for _, row in frame.iterrows():
        cells = []
        for c in columns:
            value = row[c]
            text = format_value(value)  # blanks for missing, "1" not "1.0", yes/no for flags
            style = f' style="background:{VERDICT_COLOURS[text]}"' if c == "verdict" and text in VERDICT_COLOURS else ""
            cells.append(f"<td{style}>{_diff_marks(html.escape(text)) if c == 'differences' else html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    from helpers.report.pages import guided

    how = how or guide(frame[columns])
    return guided(f"<table><tr>{head}</tr>{''.join(body)}</table>", how)


def _diff_marks(escaped: str) -> str:
    """[-removed-] struck through, {+added+} marked (on already-escaped text)."""
    import re

    escaped = re.sub(r"\[-(.*?)-\]", r"<del>\1</del>", escaped)
    return re.sub(r"\{\+(.*?)\+\}", r"<ins>\1</ins>", escaped)


def summary_html(audit: DraftAudit) -> str:
    """The audit's summary section: the drafts, what "not supported" means, and the count of each verdict.

    Parameters
    ----------
    audit : DraftAudit
        The audit (``analysis.audit.audit_draft``).

    Returns
    -------
    str
        HTML (every text escaped).
    """
    from helpers.report.pages import guided

    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in audit.summary().items())
    return (f"<p><strong>Drafts:</strong> {html.escape(', '.join(audit.drafts))}</p>"
            f"<p class=\"rule\">{html.escape(NOT_SUPPORTED_MEANS)}</p>"
            + guided(f"<table>{rows}</table>", "Each row is one verdict and how many quotations or claims of the "
                                               "drafts received it; the sections below list them."))


def sections(audit: DraftAudit) -> dict[str, str]:
    """The audit page's sections, as notebook 09 and ``draft-audit.html`` show them.

    Summary, quotes needing attention (verdict other than verbatim or not checked), all
    quotations, consistency, quotes per participant (with who is never quoted), claims about
    participants, and the rules used.

    Parameters
    ----------
    audit : DraftAudit
        The audit (``analysis.audit.audit_draft``).

    Returns
    -------
    dict of str to str
        Section title -> HTML, in page order.
    """
    quotes = audit.quotes
    problems = quotes[~quotes["verdict"].isin(["verbatim", "not checked"])]
    return {
        "Summary": summary_html(audit),
        "Quotes needing attention": table(problems, ["draft", "location", "quote", "attribution", "verdict", "similarity",
                                                     "doc_id", "seg_first", "speaker_name", "differences", "note"],
                                          "Every quotation was found verbatim in the attributed participant's words."),
        "All quotations": table(quotes, ["draft", "location", "kind", "quote", "attributed_name", "verdict", "match",
                                         "similarity", "doc_id", "seg_first", "seg_last", "speaker_name", "note"]),
        "Consistency": table(audit.consistency, empty="No quotation attributed to two participants, no participant "
                                                      "named two ways and no leak found."),
        "Quotes per participant": table(audit.voices) + _never_quoted(audit),
        "Claims about participants": table(audit.claims, ["draft", "location", "sentence", "claim", "code", "code_from",
                                                          "n_with", "n_participants", "verdict", "reason",
                                                          "participants_without"],
                                           "No quantifying claims about participants found."),
        "Rules used": "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in audit.notes) + "</ul>",
    }


def _never_quoted(audit: DraftAudit) -> str:
    voices = audit.voices
    never = voices[voices["n_quotes"] == 0]["name"].tolist()
    total = int(voices["n_quotes"].sum())
    spread = ""
    if total:
        top = voices.iloc[0]
        spread = (f"<p>{total} quotations from {int((voices['n_quotes'] > 0).sum())} of {len(voices)} participants; "
                  f"the most quoted, {html.escape(str(top['name']))}, has {int(top['n_quotes'])} "
                  f"({top['n_quotes'] / total:.0%}).</p>")
    if not never:
        return spread + "<p>Every participant is quoted at least once.</p>"
    return spread + f"<p><strong>Never quoted ({len(never)}):</strong> {html.escape(', '.join(never))}</p>"


def page_body(audit: DraftAudit, title: str) -> str:
    """The audit page's body: ``title`` as H1, then each of ``sections`` under its H2.

    Parameters
    ----------
    audit : DraftAudit
        The audit (``analysis.audit.audit_draft``).
    title : str
        The heading (plain text; escaped here).

    Returns
    -------
    str
        HTML, for ``pages.page``.
    """
    parts = [f"<h1>{html.escape(title)}</h1>"]
    for name, body in sections(audit).items():
        parts.append(f"<h2>{html.escape(name)}</h2>{body}")
    return "".join(parts)


def run_audit_command(study_name, drafts: list[str]) -> tuple[Path, list[Path]]:
    """``python -m helpers audit-draft STUDY [DRAFT...]``: audit the drafts and write the results.

    Under the study's run lock: audits the drafts (``analysis.audit.audit_draft``), writes the
    tables (``analysis.audit.write_tables``: ``draft_audit_quotes.csv``, ``_claims``,
    ``_consistency`` and ``_voices`` in the study's tables folder) and
    ``reports/<study>/draft-audit.html``;
    then prints to stdout each quote, consistency finding and claim that needs attention, the
    summary, the page and the tables.

    Parameters
    ----------
    study_name : str or path
        A name under data/raw/ or a study folder.
    drafts : list of str
        Draft files: a path as given when it exists, else relative to the study folder; empty
        means study.yml ``drafts:``.

    Returns
    -------
    tuple of (Path, list of Path)
        The page written and the tables written.

    Raises
    ------
    InputError
        No draft given or named in study.yml, a draft unreadable, bad study input, or another
        run on the study in progress.
    """
    from helpers import atomic
    from helpers.errors import InputError
    from helpers.report.pages import page
    from helpers.report.runlock import run_lock
    from helpers.study import load_study, resolve

    paths = resolve(study_name)
    with run_lock(paths):
        study = load_study(paths.raw)
        # a draft is found where it is given, else inside the study folder (as drafts: in
        # study.yml names it): "audit-draft mystudy drafts/draft.md" from the project folder
        files = [Path(d) if Path(d).exists() or not (paths.raw / d).exists() else paths.raw / d
                 for d in drafts] or list(study.config.drafts)
        if not files:
            raise InputError.one(paths.raw / "study.yml", "no draft to audit",
                                 "give the draft's path after the study, or list it under 'drafts:' in study.yml")
        audit = audit_draft(study, files)
        written = write_tables(study, audit)
        target = paths.reports / "draft-audit.html"
        title = f"{study.title} — write-up audit"
        atomic.write_text(target, page(title, page_body(audit, title), '<nav><a href="index.html">← Index</a></nav>'))
    for row in audit.quotes[~audit.quotes["verdict"].isin(["verbatim", "not checked"])].itertuples(index=False):
        print(f"{row.draft}: {row.location}: quote {row.verdict}: “{_short(row.quote)}” {row.note}".rstrip())
    for row in audit.consistency.itertuples(index=False):
        print(f"{row.draft}: {row.location}: {row.check}: {row.participants}: {row.detail}")
    for row in audit.claims[audit.claims["verdict"] != "supported"].itertuples(index=False):
        print(f"{row.draft}: {row.location}: claim {row.verdict}: “{row.claim}” — {row.reason}")
    print("summary: " + ", ".join(f"{k} {v}" for k, v in audit.summary().items()))
    print("note: 'not supported' means your coding does not show it, not that it is false")
    print(f"audit: {target}")
    print(f"tables: {', '.join(str(p) for p in written)}")
    return target, written


def _short(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"
