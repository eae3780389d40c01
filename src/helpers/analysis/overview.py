"""The cleaning and import overview: turns, words, talk share, annotations,
redactions and the import report (notebook 01)."""
from __future__ import annotations

import html
import re
import string

import pandas as pd

from helpers import atomic, textutil
from helpers.study import Study


def _ruled(frame: pd.DataFrame, rule: str) -> pd.DataFrame:
    frame.attrs["rule"] = rule
    return frame


def words_by_role(study: Study, remove_fillers: bool = False) -> pd.DataFrame:
    """Turns and words per document and speaker role.

    Words exclude annotations; with ``remove_fillers`` also the study's fillers.

    Parameters
    ----------
    study : Study
        The study (``helpers.load_study``).
    remove_fillers : bool
        Leave the study's fillers out of the word counts.

    Returns
    -------
    DataFrame
        One row per document (RangeIndex, doc_id order): ``doc_id``, then ``turns <role>`` and
        ``words <role>`` (int) per speaker role present. ``attrs["rule"]`` states the rule.
    """
    seg = study.segments.copy()
    if remove_fillers:
        fillers = textutil.study_fillers(study)
        # a word count: a placeholder stands for a spoken name, one word (as n_words)
        seg["n_words"] = [len(textutil.tokens(t, fillers=fillers, placeholders=None))
                          for t in seg["text"].astype(str)]
    table = seg.pivot_table(index="doc_id", columns="speaker_role", values="n_words",
                            aggfunc=["count", "sum"], fill_value=0, observed=True)
    table.columns = [f"{'turns' if a == 'count' else 'words'} {role}" for a, role in table.columns]
    fillers = " and the study's fillers" if remove_fillers else " (fillers counted)"
    return _ruled(table.reset_index().sort_values("doc_id").reset_index(drop=True),
                  "Turns: segments of each speaker role in the document. Words: the segments' words, annotations "
                  f"(\"[laughs]\") left out{fillers}.")


def talk_share(study: Study) -> pd.DataFrame:
    """Share of words spoken by interviewer and participants, per document.

    Parameters
    ----------
    study : Study
        The study whose turns are measured.

    Returns
    -------
    DataFrame
        One row per document (RangeIndex, doc_id order): ``doc_id``, ``interviewer``,
        ``participant``, ``other`` (shares 0–1, rounded to 3 places). ``attrs["rule"]`` states the rule.
    """
    seg = study.segments
    words = seg.groupby(["doc_id", "speaker_role"], observed=True)["n_words"].sum().unstack(fill_value=0)
    for role in ("interviewer", "participant", "other"):
        if role not in words:
            words[role] = 0
    total = words.sum(axis=1).replace(0, 1)
    out = (words[["interviewer", "participant", "other"]].div(total, axis=0)).round(3)
    return _ruled(out.reset_index().sort_values("doc_id").reset_index(drop=True),
                  "Share of the document's words (annotations left out) in turns of each speaker role; "
                  "0 for every role in a document without words.")


def annotation_counts(study: Study) -> pd.DataFrame:
    """Transcriber annotations per document, e.g. [laughs] 4, (inaudible) 2.
    A redaction placeholder written in brackets ("[sister]") is not an annotation.

    Parameters
    ----------
    study : Study
        The study; its redaction summary (``report_table``) names the placeholders.

    Returns
    -------
    DataFrame
        One row per annotation (lower-cased; RangeIndex): ``annotation``, then one int column per
        document with any. ``attrs["rule"]`` states the rule.
    """
    rule = ("Annotations: bracketed transcriber notes in the turns (textutil.annotations), lower-cased, counted "
            "per document; redaction placeholders are not annotations.")
    summary = report_table(study, "redaction_summary")
    placeholders = set(summary["placeholder"]) if "placeholder" in summary else set()
    rows = []
    for doc_id, text in zip(study.segments["doc_id"], study.segments["text"].astype(str)):
        for note in textutil.annotations(text):
            if note not in placeholders:
                rows.append((doc_id, note.lower()))
    frame = pd.DataFrame(rows, columns=["doc_id", "annotation"])
    if frame.empty:
        return _ruled(pd.DataFrame(columns=["annotation"]), rule)
    return _ruled(frame.pivot_table(index="annotation", columns="doc_id", aggfunc="size", fill_value=0).reset_index(),
                  rule)


def report_table(study: Study, name: str) -> pd.DataFrame:
    """A table ingestion wrote to the study's ``tables/<name>.csv``, for display.

    Parameters
    ----------
    study : Study
        The study (its ``paths.tables``).
    name : str
        The table's file name without ``.csv``, e.g. "redaction_summary",
        "identifier_review", "import_sources", "quotes_fuzzy",
        "quotes_unmatched".

    Returns
    -------
    DataFrame
        The CSV's rows and columns, every cell text ('' for an empty cell),
        with the spreadsheet-safety quote of ``atomic.neutralise_cell`` undone
        in headers and cells; RangeIndex. Empty (no columns) for a study held
        in memory (``paths`` None), or when the file is absent or empty.
    """
    if study.paths is None:
        return pd.DataFrame()
    path = study.paths.tables / f"{name}.csv"
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame()
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    # undo the spreadsheet-safety quote (atomic.neutralise_cell) for display
    frame.columns = [atomic.restore_cell(c) for c in frame.columns]
    return frame.apply(lambda col: col.map(atomic.restore_cell))


MAX_TREE_INDENT = 12


def codebook_tree(study: Study) -> pd.DataFrame:
    """The codebook as an indented tree with applications of each code and of
    everything below it.

    Parameters
    ----------
    study : Study
        The study (``helpers.load_study``).

    Returns
    -------
    DataFrame
        One row per codebook code, parents before children (RangeIndex): ``code`` (indented by
        depth), ``level``, ``applied`` and ``with_children`` (int). ``attrs["rule"]`` states the rule.
    """
    book = study.codebook.fillna({"parent": "", "level": ""})
    hierarchy = study.hierarchy
    own = study.codings.groupby(["code", "level"], observed=True).size()
    own = {(str(c), str(l)): int(n) for (c, l), n in own.items()}
    children: dict[str, list[tuple[str, str]]] = {}
    nodes = list(zip(book["code"].astype(str), book["level"].astype(str)))
    for node in nodes:
        parent = hierarchy.parent.get(node)
        children.setdefault(parent, []).append(node)
    rows = []
    # Iterative, each node once: a recursive walk hit Python's recursion limit and
    # recounted every subtree on a deep parent chain (robustness case codebook_deep_chain).
    totals: dict = {}
    stack = [(root, False) for root in children.get(None, [])]
    while stack:
        node, done = stack.pop()
        if done:
            totals[node] = own.get(node, 0) + sum(totals.get(c, 0) for c in children.get(node, []))
        elif node not in totals:
            totals[node] = 0  # a placeholder also cuts a cycle
            stack.append((node, True))
            stack.extend((child, False) for child in children.get(node, []) if child not in totals)
    seen: set = set()
    stack = [(root, 0) for root in reversed(children.get(None, []))]
    while stack:
        node, depth = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        # indentation stops at MAX_TREE_INDENT levels, the depth written instead: a 3,000-deep
        # chain would otherwise put 18 million spaces on the page
        indent = "    " * depth if depth <= MAX_TREE_INDENT else "    " * MAX_TREE_INDENT + f"[depth {depth}] "
        rows.append({"code": indent + node[0], "level": node[1], "applied": own.get(node, 0),
                     "with_children": totals.get(node, own.get(node, 0))})
        stack.extend((child, depth + 1) for child in reversed(children.get(node, [])))
    return _ruled(pd.DataFrame(rows, columns=["code", "level", "applied", "with_children"]),
                  "applied: codings (applications, every coder) of the code at its level; with_children: those "
                  "plus the codings of every code below it in the codebook.")



def default_attribute(study: Study) -> str | None:
    """The first participant attribute that groups participants: a default for comparisons.

    Parameters
    ----------
    study : Study
        The study (its ``participants`` table).

    Returns
    -------
    str or None
        The first column, in table order, other than participant_id,
        pseudonym, doc_id, interview_order and name, with 2 or more distinct
        values (missing values not counted) and fewer distinct values than
        participants; None when no column does.
    """
    skip = {"participant_id", "pseudonym", "doc_id", "interview_order", "name"}
    p = study.participants
    for col in p.columns:
        if col in skip:
            continue
        n = p[col].dropna().nunique()
        if 2 <= n < len(p):
            return col
    return None


# -- study text in Markdown and file names -------------------------------------------

# Every ASCII punctuation mark but "&" and ";", which only survive html.escape as
# parts of the entities it writes ("&lt;").
_MARKDOWN_SPECIAL = re.compile("([" + re.escape("".join(c for c in string.punctuation if c not in "&;")) + "])")


def md_text(value) -> str:
    """Study text (a pseudonym, a code, a title) for ``Markdown(...)``, shown as typed.

    Markdown passes raw HTML through, so "<img onerror=…>" in a pseudonym
    would become an element: ``<``, ``>`` and ``&`` become entities, then every
    other ASCII punctuation mark is backslash-escaped, so "**bold**",
    "# heading", "[a](url)", "$x^2$" and bare URLs stay literal text. Line
    breaks become spaces (a line break could start a block).

    Parameters
    ----------
    value : object
        The text (anything, shown as ``str(value)``).

    Returns
    -------
    str
        Markdown that renders as the text typed.
    """
    text = html.escape(" ".join(str(value).splitlines()), quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def md_list(values) -> str:
    """Study texts as one comma-separated Markdown list, each shown as typed.

    Parameters
    ----------
    values : iterable
        The texts (codes, pseudonyms …).

    Returns
    -------
    str
        ``md_text`` of each value joined by ", "; "none" when there is none.
    """
    return ", ".join(md_text(v) for v in values) or "none"


def file_part(value) -> str:
    """Study text (an attribute or level name) made safe as part of a file name.

    Parameters
    ----------
    value : object
        The text (``str(value)``).

    Returns
    -------
    str
        Every run of characters other than ASCII letters, digits, '.', '_' and
        '-' replaced by one '_', leading and trailing '.' and '_' stripped, so
        that a name such as "<i>group</i>" or "../x" cannot reach another
        folder; "_" when nothing is left.
    """
    part = re.sub(r"[^\w.-]+", "_", str(value), flags=re.ASCII).strip("._")
    return part or "_"
