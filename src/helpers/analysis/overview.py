"""The cleaning and import overview: turns, words, talk share, annotations,
redactions and the import report (notebook 01)."""
from __future__ import annotations

import html
import re
import string

import pandas as pd

from helpers import atomic, textutil
from helpers.study import Study


def words_by_role(study: Study, remove_fillers: bool = False) -> pd.DataFrame:
    """Turns and words per document and speaker role.

    Words exclude annotations; with ``remove_fillers`` also the study's fillers.
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
    return table.reset_index().sort_values("doc_id").reset_index(drop=True)


def talk_share(study: Study) -> pd.DataFrame:
    """Share of words spoken by interviewer and participants, per document."""
    seg = study.segments
    words = seg.groupby(["doc_id", "speaker_role"], observed=True)["n_words"].sum().unstack(fill_value=0)
    for role in ("interviewer", "participant", "other"):
        if role not in words:
            words[role] = 0
    total = words.sum(axis=1).replace(0, 1)
    out = (words[["interviewer", "participant", "other"]].div(total, axis=0)).round(3)
    return out.reset_index().sort_values("doc_id").reset_index(drop=True)


def annotation_counts(study: Study) -> pd.DataFrame:
    """Transcriber annotations per document, e.g. [laughs] 4, (inaudible) 2.
    A redaction placeholder written in brackets ("[sister]") is not an annotation."""
    summary = report_table(study, "redaction_summary")
    placeholders = set(summary["placeholder"]) if "placeholder" in summary else set()
    rows = []
    for doc_id, text in zip(study.segments["doc_id"], study.segments["text"].astype(str)):
        for note in textutil.annotations(text):
            if note not in placeholders:
                rows.append((doc_id, note.lower()))
    frame = pd.DataFrame(rows, columns=["doc_id", "annotation"])
    if frame.empty:
        return pd.DataFrame(columns=["annotation"])
    return frame.pivot_table(index="annotation", columns="doc_id", aggfunc="size", fill_value=0).reset_index()


def report_table(study: Study, name: str) -> pd.DataFrame:
    """A table written by ingestion to tables/<name>.csv (empty when absent)."""
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
    everything below it."""
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
    return pd.DataFrame(rows, columns=["code", "level", "applied", "with_children"])



def default_attribute(study: Study) -> str | None:
    """The first participant attribute that groups participants (2 or more
    groups, fewer groups than participants): a sensible default for comparisons."""
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
    breaks become spaces (a line break could start a block)."""
    text = html.escape(" ".join(str(value).splitlines()), quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def md_list(values) -> str:
    """``md_text`` of each value, comma-separated ('none' when empty)."""
    return ", ".join(md_text(v) for v in values) or "none"


def file_part(value) -> str:
    """Study text (an attribute or level name) made safe as part of a file name:
    anything but letters, digits, '.', '_' and '-' becomes '_', so that a name
    such as "<i>group</i>" cannot reach another folder."""
    part = re.sub(r"[^\w.-]+", "_", str(value), flags=re.ASCII).strip("._")
    return part or "_"
