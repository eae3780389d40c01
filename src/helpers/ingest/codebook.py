"""The codebook: codebook.csv / .xlsx -> the codebook table (DESIGN §3).

Columns (headers case-insensitive): ``code``, ``parent``, ``level``,
``description``, optional ``colour`` (or ``color``). Levels are normalised as
the codings' levels are ('Initial Coding' -> 'initial', 'Code' -> '').

Refused, one line per problem: an empty code; the same code name twice at one
level; a parent that is not a code of the codebook; parents that form a cycle.
Near-duplicate names (equal once case, spacing and punctuation are ignored,
e.g. 'PSW as a means of social inclusion' and 'PSw as a means of Social
inclusion') are never merged: ``near_duplicates`` lists them for the
researcher to decide.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from helpers.errors import ProblemList
from helpers.hierarchy import DEFAULT_LEVELS, Hierarchy, normalise_level
from helpers.ingest.cleaning import normalise

COLUMNS = ["code", "level", "parent", "description", "colour", "source"]
_HEADER_SYNONYMS = {"code": "code", "codes": "code", "name": "code", "parent": "parent", "level": "level",
                    "description": "description", "definition": "description", "colour": "colour",
                    "color": "colour"}


def empty_codebook() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="object") for c in COLUMNS})


def _text(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return normalise(str(value))


def read_codebook(path: Path | None, redact, levels: list[str] | None = None,
                  problems: ProblemList | None = None, source: str | None = None,
                  warnings: list[str] | None = None) -> pd.DataFrame:
    """The codebook file as a table with COLUMNS (empty when there is no file).

    Problems are added to ``problems`` (raised here when none is given). Hidden sheets of a
    workbook are not read; a line saying so is added to ``warnings`` when given.
    """
    from helpers.ingest.sheets import read_table

    if path is None or not Path(path).is_file():
        return empty_codebook()
    own = problems is None
    problems = problems if problems is not None else ProblemList()
    frames = []
    sheets = read_table(path)
    if warnings is not None:
        warnings += [f"{source or Path(path).name}#{sheet}: skipped: a hidden sheet is not read as the codebook — "
                     "unhide it in Excel if it is the codebook" for sheet, _ in sheets.hidden]
    for sheet, frame in sheets.items():
        cols = {}
        for header in frame.columns:
            key = _HEADER_SYNONYMS.get(str(header).strip().lower())
            if key and key not in cols:
                cols[key] = header
        if "code" not in cols:
            if sheet == "" or not frames:
                where = f"{sheet}" if sheet else None
                problems.add(path, "no 'code' column", "the first row must read: code,parent,level,description", where)
            continue
        rows = pd.DataFrame({
            "code": [redact(_text(v)) for v in frame[cols["code"]]],
            "level": [normalise_level(_text(v)) for v in frame[cols["level"]]] if "level" in cols else "",
            "parent": [redact(_text(v)) for v in frame[cols["parent"]]] if "parent" in cols else "",
            "description": [redact(_text(v)) for v in frame[cols["description"]]] if "description" in cols else "",
            "colour": [_text(v) for v in frame[cols["colour"]]] if "colour" in cols else "",
        })
        rows["source"] = source or Path(path).name
        rows["_where"] = [f"{sheet + ' ' if sheet else ''}row {i + 2}" for i in frame.index]
        frames.append(rows)
        break  # the first sheet with a code column is the codebook
    book = pd.concat(frames, ignore_index=True) if frames else empty_codebook().assign(_where="")
    check_codebook(book, path, problems, levels)
    if own:
        problems.raise_if_any()
    return book.drop(columns="_where").reset_index(drop=True)


def check_codebook(book: pd.DataFrame, path, problems: ProblemList, levels: list[str] | None = None) -> None:
    """Empty codes, duplicates at a level, missing parents, cycles."""
    where = book["_where"] if "_where" in book else pd.Series([None] * len(book))
    for i in book.index[book["code"] == ""]:
        problems.add(path, "empty code", "fill in the code name or delete the row", where[i])
    named = book[book["code"] != ""]
    dup = named.duplicated(["code", "level"], keep="first")
    for i in named.index[dup]:
        level = book.at[i, "level"]
        problems.add(path, f"code '{book.at[i, 'code']}' appears twice at level '{level or '(none)'}'",
                     "give each code one row per level (merge the rows or rename one)", where[i])
    names = set(named["code"])
    for i in named.index[(named["parent"] != "") & ~named["parent"].isin(names)]:
        problems.add(path, f"parent '{book.at[i, 'parent']}' of code '{book.at[i, 'code']}' is not a code in the codebook",
                     "add the parent as a row of its own or correct its spelling", where[i])
    for cycle in find_cycles(named, levels):
        first = cycle[0]
        row = named.index[(named["code"] == first[0]) & (named["level"] == first[1])][0]
        chain = " -> ".join(c for c, _ in cycle + [cycle[0]])
        problems.add(path, f"parents form a cycle: {chain}", "make one of these codes a top-level code (empty parent)",
                     where[row])


def find_cycles(book: pd.DataFrame, levels: list[str] | None = None) -> list[list[tuple[str, str]]]:
    """Each cycle of parent links once, as (code, level) nodes, starting at its first row.

    Each node has at most one parent, so one walk with three colours (unvisited, on the
    current walk, finished) visits every node once: linear time, where the earlier walk
    from every node with a list membership test was cubic on a long chain (a 3,000-code
    fill-down slip in the parent column ran for minutes; robustness case codebook_deep_chain).

    Returns
    -------
    list of list of (code, level)
        One list per cycle, rotated to start at the node that comes first in the codebook.
    """
    hierarchy = Hierarchy(book.drop_duplicates(["code", "level"]), levels or DEFAULT_LEVELS)
    order = {node: i for i, node in reversed(list(enumerate(hierarchy.nodes)))}
    state: dict[tuple[str, str], int] = {}  # 1 on the current walk, 2 finished
    cycles = []
    for node in hierarchy.nodes:
        path, current = [], node
        while current is not None and current not in state:
            state[current] = 1
            path.append(current)
            current = hierarchy.parent.get(current)
        if current is not None and state[current] == 1:  # came back to a node of this walk
            cycle = path[path.index(current):]
            start = min(range(len(cycle)), key=lambda k: order.get(cycle[k], len(order)))
            cycles.append(cycle[start:] + cycle[:start])
        for visited in path:
            state[visited] = 2
    return cycles


def depth_warnings(book: pd.DataFrame, levels: list[str] | None = None) -> list[str]:
    """A warning when parent links are deeper than the study's levels allow.

    A fill-down slip in Excel's parent column makes every code the parent of the next row,
    giving one chain as long as the codebook (robustness case codebook_deep_chain). The
    depth is counted in linear time (``Hierarchy.ancestors_at`` style memo).

    Returns
    -------
    list of str
        Empty, or one line naming the depth, the number of levels and the deepest code.
    """
    levels = list(levels or DEFAULT_LEVELS)
    if not len(book):
        return []
    hierarchy = Hierarchy(book.drop_duplicates(["code", "level"]), levels)
    depth: dict[tuple[str, str], int] = {}
    for start in hierarchy.nodes:
        path, on_path, current = [], set(), start
        while current is not None and current not in depth and current not in on_path:
            path.append(current)
            on_path.add(current)
            current = hierarchy.parent.get(current)
        base = depth.get(current, 0)  # 0 at the top, and where a cycle (refused by check) closes
        for node in reversed(path):
            base += 1
            depth.setdefault(node, base)
    deepest = max(depth, key=depth.get)
    if depth[deepest] <= len(levels):
        return []
    return [(f"the codebook's parent links are {depth[deepest]} codes deep (down to '{deepest[0]}') but the study has "
            f"{len(levels)} levels — check the parent column (a fill-down slip in Excel makes each code the parent "
            "of the next row)")]


def declared_level_warnings(book: pd.DataFrame, codings: pd.DataFrame, levels: list[str]) -> list[str]:
    """A warning naming the levels study.yml declares that no code is at.

    A code tree read from MAXQDA code paths, or a REFI-QDA project without level sets, gives
    every code the unnamed level ('code'); a declared ``theme`` then names nothing and
    ``code_frequencies(level="theme")`` fails (never silent, CONTRIBUTING).

    Parameters
    ----------
    book : DataFrame
        The completed codebook (its ``level`` column; '' is the unnamed level).
    codings : DataFrame
        The codings (their ``level`` column).
    levels : list of str
        ``levels:`` of study.yml, as declared.

    Returns
    -------
    list of str
        Empty, or one line naming the declared levels no code is at and how to give them.
    """
    used = {normalise_level(str(lv)) or "code"
            for frame in (book, codings) if len(frame) and "level" in frame
            for lv in frame["level"].fillna("")}
    missing = [lv for lv in dict.fromkeys(normalise_level(lv) or "code" for lv in levels)
               if lv != "code" and lv not in used]
    if not missing:
        return []
    names = ", ".join(f"'{lv}'" for lv in missing)
    have = ", ".join(f"'{lv}'" for lv in sorted(used)) or "none"
    return [f"study.yml declares {'level' if len(missing) == 1 else 'levels'} {names} but no code in the codebook or codings is at "
            f"{'it' if len(missing) == 1 else 'them'} (levels found: {have}; a code tree from MAXQDA paths or "
            "a REFI-QDA project without level sets has no named levels), so counts at "
            f"{'that level' if len(missing) == 1 else 'those levels'} fail — give codebook.csv a 'level' "
            "column naming each code's level, or set 'level:' on the codings entry in study.yml, or remove "
            f"{names} from 'levels:'"]


def near_duplicate_key(code: str) -> str:
    """Case, spacing and punctuation removed: 'PSw as a means' -> 'pswasameans'."""
    return re.sub(r"[\W_]+", "", str(code).casefold())


def near_duplicates(book: pd.DataFrame, counts: pd.Series | None = None) -> pd.DataFrame:
    """Groups of codes whose names differ only in case, spacing or punctuation.

    One row per code in a group: group (1, 2, … in codebook order), code, level,
    source, n_codings (``counts`` indexed by (code, level), when given).
    """
    columns = ["group", "code", "level", "source", "n_codings"]
    if not len(book):
        return pd.DataFrame(columns=columns)
    frame = book[["code", "level", "source"]].copy()
    frame["key"] = frame["code"].map(near_duplicate_key)
    names_per_key = frame.groupby("key", sort=False)["code"].nunique()
    keys = [k for k in dict.fromkeys(frame["key"]) if names_per_key[k] > 1 and k]
    rows = []
    for group, key in enumerate(keys, start=1):
        for r in frame[frame["key"] == key].itertuples(index=False):
            n = int(counts.get((r.code, r.level), 0)) if counts is not None else None
            rows.append({"group": group, "code": r.code, "level": r.level, "source": r.source, "n_codings": n})
    return pd.DataFrame(rows, columns=columns)


def near_duplicate_warnings(table: pd.DataFrame) -> list[str]:
    out = []
    for _, group in table.groupby("group", sort=True):
        names = " / ".join(f"'{c}'" + (f" ({lv})" if lv else "") for c, lv in zip(group["code"], group["level"]))
        out.append(f"codes differing only in case, spacing or punctuation: {names} — kept apart; "
                   "if they are one code, spell them the same (listed in tables/codebook_near_duplicates.csv)")
    return out
