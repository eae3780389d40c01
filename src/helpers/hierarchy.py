"""The code hierarchy: levels, parents and roll-up (DESIGN §3, §6).

A code is identified by its name and level. ``parent`` names the code above;
when that name exists at several levels, the nearest level above the child's
is meant. ``level=None`` in the analysis functions means codes as applied; a
level name means every coding rolled up to its ancestor at that level (codings
above that level, or in a branch without it, drop out).
"""
from __future__ import annotations

import pandas as pd

DEFAULT_LEVELS = ["code", "initial", "focused", "subtheme", "category", "theme"]


def normalise_level(header: str | None) -> str:
    """'Initial Coding' -> 'initial', 'Sub-theme' -> 'subtheme', 'Codes' -> ''."""
    if header is None or (isinstance(header, float) and pd.isna(header)):
        return ""
    words = str(header).lower().replace("-", "").replace("_", " ").split()
    kept = [w for w in words if w not in {"code", "codes", "coding", "codings"}]
    return "".join(kept)


def level_rank(level: str, levels: list[str]) -> int:
    """Position in ``levels`` (most specific first); unknown levels rank 0 (like 'code')."""
    try:
        return levels.index(level)
    except ValueError:
        return 0


class Hierarchy:
    """Parent links between (code, level) nodes of a codebook."""

    def __init__(self, codebook: pd.DataFrame, levels: list[str] | None = None):
        self.levels = list(levels or DEFAULT_LEVELS)
        book = codebook.fillna({"level": "", "parent": ""})
        self.nodes: list[tuple[str, str]] = list(zip(book["code"].astype(str), book["level"].astype(str)))
        self._node_set = set(self.nodes)  # node() is called once per distinct coding: no list scan
        self.by_name: dict[str, list[str]] = {}
        for code, level in self.nodes:
            self.by_name.setdefault(code, []).append(level)
        self.parent: dict[tuple[str, str], tuple[str, str]] = {}
        for code, level, parent in zip(book["code"].astype(str), book["level"].astype(str), book["parent"].astype(str)):
            if parent:
                resolved = self.resolve_parent(parent, level)
                if resolved is not None:
                    self.parent[(code, level)] = resolved

    def resolve_parent(self, parent: str, child_level: str) -> tuple[str, str] | None:
        options = self.by_name.get(parent, [])
        if not options:
            return None
        if len(options) == 1:
            return (parent, options[0])
        child_rank = level_rank(child_level, self.levels)
        above = sorted((level_rank(lv, self.levels), lv) for lv in options if level_rank(lv, self.levels) > child_rank)
        return (parent, above[0][1] if above else options[0])

    def node(self, code: str, level: str | None) -> tuple[str, str]:
        """The codebook node a coding's (code, level) refers to."""
        level = level or ""
        if (code, level) in self.parent or (code, level) in self._node_set:
            return (code, level)
        options = self.by_name.get(code, [])
        if len(options) == 1 and (not level or not options[0]):
            return (code, options[0])
        return (code, level)

    def chain(self, code: str, level: str | None) -> list[tuple[str, str]]:
        """The node and all its ancestors, nearest first (cycles are cut)."""
        out, seen = [], set()
        current: tuple[str, str] | None = self.node(code, level)
        while current is not None and current not in seen:
            out.append(current)
            seen.add(current)
            current = self.parent.get(current)
        return out

    def ancestor_at(self, code: str, level: str | None, target: str) -> str | None:
        for name, lv in self.chain(code, level):
            if lv == target:
                return name
        return None

    def ancestors_at(self, target: str) -> dict[tuple[str, str], str | None]:
        """For every node walked, the name of its ancestor at level ``target`` (None when none).

        Linear in the number of nodes: each walk stops at a node already answered, so a
        3,000-deep parent chain costs 3,000 steps, not 3,000² (``ancestor_at`` per node).

        Returns
        -------
        dict
            (code, level) -> ancestor name or None; nodes reached only through a cycle are
            answered as ``ancestor_at`` answers them (cycles are refused by ``check``).
        """
        memo: dict[tuple[str, str], str | None] = {}
        for start in self.nodes:
            self._walk_to(start, target, memo)
        return memo

    def _walk_to(self, start, target, memo) -> str | None:
        path, on_path, current, result = [], set(), start, None
        while current is not None:
            if current in memo:
                result = memo[current]
                break
            if current in on_path:  # a cycle: answer each node on its own (rare, refused by check)
                for node in path:
                    memo.setdefault(node, self.ancestor_at(node[0], node[1], target))
                return memo[start]
            if current[1] == target:
                result = current[0]
                memo[current] = result
                break
            path.append(current)
            on_path.add(current)
            current = self.parent.get(current)
        for node in path:
            memo[node] = result
        return result

    def ancestor_at_memo(self, code: str, level: str | None, target: str,
                         memo: dict[tuple[str, str], str | None]) -> str | None:
        """``ancestor_at`` sharing ``memo`` across calls (see ``ancestors_at``)."""
        return self._walk_to(self.node(code, level), target, memo)

    def descendants(self, code: str) -> set[str]:
        """Names of the code and every code below it."""
        children: dict[str, set[str]] = {}
        for child, parent in self.parent.items():
            children.setdefault(parent[0], set()).add(child[0])
        out, todo = set(), [code]
        while todo:
            current = todo.pop()
            if current in out:
                continue
            out.add(current)
            todo.extend(children.get(current, ()))
        return out


def rollup(codings: pd.DataFrame, codebook: pd.DataFrame, level: str | None,
           levels: list[str] | None = None) -> pd.DataFrame:
    """Codings with ``code`` replaced by its ancestor at ``level``.

    ``level=None`` returns the codings unchanged. Rows whose code has no
    ancestor at that level (coded above it, or a branch without it) are
    dropped; ``level`` of the result is set to the target level.
    """
    if level is None:
        return codings
    hierarchy = Hierarchy(codebook, levels)
    pairs = codings[["code", "level"]].drop_duplicates()
    memo: dict = {}  # shared walks: linear in the codebook even for a long parent chain
    mapping = {
        (c, lv): hierarchy.ancestor_at_memo(str(c), "" if pd.isna(lv) else str(lv), level, memo)
        for c, lv in zip(pairs["code"], pairs["level"])
    }
    # One lookup per distinct (code, level), then a merge: no Python loop over codings.
    table = pd.DataFrame([(c, lv, target) for (c, lv), target in mapping.items()],
                         columns=["code", "level", "_target"])
    table["level"] = table["level"].astype(codings["level"].dtype)
    table["code"] = table["code"].astype(codings["code"].dtype)
    joined = codings[["code", "level"]].merge(table, on=["code", "level"], how="left")
    mapped = pd.Series(joined["_target"].to_numpy(), index=codings.index, dtype="object")
    out = codings.loc[mapped.notna()].copy()
    out["code"] = mapped[mapped.notna()].astype("string")
    out["level"] = level
    out["level"] = out["level"].astype("string")
    return out


def codes_at(codebook: pd.DataFrame, level: str | None) -> list[str]:
    """Codes of the codebook at ``level`` (all codes for None), in codebook order."""
    if level is None:
        return list(dict.fromkeys(codebook["code"].astype(str)))
    return list(dict.fromkeys(codebook.loc[codebook["level"].fillna("") == level, "code"].astype(str)))
