"""Level parameters (issue 15 split of :mod:`helpers.counting`, whose docstring states the rules): the
levels a study uses (most specific first; the unnamed level is ``code``), a level parameter checked
and spelled as the codings spell it, and the default levels (``top``, ``specific``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError
from .hierarchy import DEFAULT_LEVELS, Hierarchy, normalise_level
from .textutil import plural

CODE_LEVEL = "code"          # the name of the unnamed level
TOP = "top"                  # a level parameter meaning the study's top level (its themes)


def _configured(study) -> list[str]:
    config = getattr(study, "config", None)
    levels = getattr(config, "levels", None) or getattr(study, "configured_levels", None)
    return [str(lv) for lv in (levels or DEFAULT_LEVELS)]


def study_levels(codebook: pd.DataFrame, codings: pd.DataFrame, configured: list[str] | None = None) -> list[str]:
    """The levels a study has, most specific first, named as users write them.

    Parameters
    ----------
    codebook, codings : DataFrame
        The processed tables (their ``level`` columns; '' is the unnamed level).
    configured : list of str, optional
        ``levels:`` of study.yml (default ``DEFAULT_LEVELS``): the ranking.

    Returns
    -------
    list of str
        Every level used by the codebook or the codings, '' given as ``code``.
        Levels ``configured`` names rank as it says; a level it does not name
        is placed by the depth of its codes in the hierarchy (deeper = more
        specific), after the named ones of the same depth.
    """
    configured = [normalise_level(lv) or CODE_LEVEL for lv in (configured or DEFAULT_LEVELS)]
    # a coding without a level whose code the codebook names at one level is at that level
    # (a second coder's sheet with a plain "Codes" column), not at an unnamed level of its own
    hierarchy = Hierarchy(codebook, configured)
    pairs = codings[["code", "level"]].fillna("").astype(str).drop_duplicates()
    applied = [hierarchy.node(code, level)[1] for code, level in zip(pairs["code"], pairs["level"])]
    used = pd.concat([codebook["level"].fillna("").astype(str), pd.Series(applied, dtype=object)])
    present = list(dict.fromkeys(lv or CODE_LEVEL for lv in used))
    if not present:
        return []
    if all(lv in configured for lv in present):
        return sorted(present, key=configured.index)
    depth = _level_depths(codebook, configured)
    if CODE_LEVEL in present and CODE_LEVEL not in configured and not _unnamed_codes_are_parents(codebook):
        # codes at no named level that sit above nothing (a code applied but missing from the
        # codebook, a typo) are codes as applied: the most specific level, never the top one,
        # which would make them the study's "themes"
        depth[CODE_LEVEL] = float("inf")
    def key(lv):
        rank = configured.index(lv) if lv in configured else len(configured)
        return (-depth.get(lv, 0.0), rank, lv)
    return sorted(present, key=key)


def _unnamed_codes_are_parents(codebook: pd.DataFrame) -> bool:
    """Whether a code at the unnamed level is the parent of a code at a named level."""
    if codebook.empty:
        return False
    level = codebook["level"].fillna("").astype(str)
    unnamed = set(codebook.loc[level == "", "code"].astype(str))
    return bool(unnamed & set(codebook.loc[level != "", "parent"].fillna("").astype(str)))


def _level_depths(codebook: pd.DataFrame, configured: list[str]) -> dict[str, float]:
    """Mean number of ancestors of each level's codes."""
    hierarchy = Hierarchy(codebook, configured)
    depths: dict[str, list[int]] = {}
    for code, level in hierarchy.nodes:
        depths.setdefault(level or CODE_LEVEL, []).append(len(hierarchy.chain(code, level)) - 1)
    return {lv: float(np.mean(d)) for lv, d in depths.items()}


def levels_of(study) -> list[str]:
    """``study_levels`` of a Study (its codebook, codings and study.yml levels)."""
    return study_levels(study.codebook, study.codings, _configured(study))


def check_level(study, level, parameter: str = "level") -> str | None:
    """A level parameter as the codings spell it, or an error.

    Parameters
    ----------
    study : Study
    level : str or None
        None (codes as applied), ``"code"`` (the unnamed level) or a level
        name; case and the words "code"/"coding" are ignored ("Focused coding"
        is ``focused``). The string "None" (a command-line parameter) is None.
        ``"top"`` (``TOP``) is the study's top level (``default_level(study,
        "top")``), unless the study has a level named "top".
    parameter : str
        The parameter's name, for the message.

    Returns
    -------
    str or None
        None, '' for the unnamed level, or the level's name.

    Raises
    ------
    InputError
        The level is not one of the study's levels; the message lists them.
    """
    if level is None or (isinstance(level, str) and level.strip().lower() in ("none", "null")):
        return None
    if not isinstance(level, str):
        raise InputError.one(f"parameter {parameter}", f"level {level!r} is not a level name",
                             f"use None or one of the study's levels: {', '.join(levels_of(study)) or '(none)'}")
    levels = levels_of(study)
    name = normalise_level(level)
    wanted = name or CODE_LEVEL
    if wanted == TOP and TOP not in levels:
        return default_level(study, "top")
    if wanted not in levels:
        raise InputError.one(f"parameter {parameter}", f"unknown level '{level}'",
                             f"use None (codes as applied) or one of the study's levels: "
                             f"{', '.join(levels) or '(the study has no codes)'}")
    return "" if wanted == CODE_LEVEL else name


def level_label(level: str | None) -> str:
    """How a level is named in reports: 'codes as applied', 'code', 'theme'."""
    if level is None:
        return "codes as applied"
    return level or CODE_LEVEL


def default_level(study, which: str) -> str | None:
    """The study's own choice of level: ``"specific"`` the most specific level,
    ``"top"`` the most general; None when the study has no codes."""
    levels = levels_of(study)
    if not levels:
        return None
    chosen = levels[0] if which == "specific" else levels[-1]
    return "" if chosen == CODE_LEVEL else chosen


def resolve_level(study, level, which: str = "specific", parameter: str = "level") -> str | None:
    """A notebook's level parameter: None means the study's own choice
    (``default_level(study, which)``), anything else is ``check_level``'d."""
    if level is None or (isinstance(level, str) and level.strip().lower() in ("none", "null")):
        return default_level(study, which)
    return check_level(study, level, parameter)


# -- codings a level cannot count ----------------------------------------------------

def not_counted_at(study, codings: pd.DataFrame, rolled: pd.DataFrame, level: str | None) -> pd.DataFrame:
    """The codings that counting at ``level`` leaves out, by code: ``hierarchy.rollup``
    drops a coding whose code has no ancestor at the level — applied above it (a coding at
    "theme" cannot be rolled down to one of its codes at "initial") or in a branch of the
    codebook without that level. Never dropped silently: ``passages`` states them in its
    rule (``not_counted_sentence``), ``check`` and the report's summary list them
    (``not_counted_lines``).

    Parameters
    ----------
    study : Study
        The study (its codebook and levels).
    codings : DataFrame
        The codings before the roll-up (the selected coders'), columns ``code``, ``level``.
    rolled : DataFrame
        ``rollup(codings, ..., level)``: it keeps the index of the rows it keeps.
    level : str or None
        The level counted at ('' the unnamed level); None (codes as applied) drops nothing.

    Returns
    -------
    DataFrame
        One row per code left out (RangeIndex): ``code``, ``level`` (the level it is applied
        at, ``code`` for the unnamed one), ``codings`` (rows left out, count) and ``why``
        ("above" the level, or "branch": a branch without the level); most codings first,
        then by level and code.
    """
    columns = ["code", "level", "codings", "why"]
    if level is None or codings.empty:
        return pd.DataFrame(columns=columns).astype({"codings": "int64"})
    dropped = codings.loc[~codings.index.isin(rolled.index)]
    if dropped.empty:
        return pd.DataFrame(columns=columns).astype({"codings": "int64"})
    levels = levels_of(study)
    hierarchy = Hierarchy(study.codebook, levels or None)
    target = level or CODE_LEVEL
    rows = {}
    for code, lv in zip(dropped["code"].astype(str), dropped["level"].astype("string").fillna("")):
        node_level = hierarchy.node(code, str(lv))[1] or CODE_LEVEL
        above = node_level in levels and target in levels and levels.index(node_level) > levels.index(target)
        key = (code, node_level, "above" if above else "branch")
        rows[key] = rows.get(key, 0) + 1
    out = pd.DataFrame([(c, lv, n, why) for (c, lv, why), n in rows.items()], columns=["code", "level", "codings", "why"])
    out["codings"] = out["codings"].astype("int64")
    return out.sort_values(["codings", "level", "code"], ascending=[False, True, True], kind="stable").reset_index(
        drop=True)[columns]


def not_counted_sentence(table: pd.DataFrame, level: str | None) -> str:
    """``not_counted_at`` in words, for a counting rule: how many codings, which codes, why.

    Parameters
    ----------
    table : DataFrame
        ``not_counted_at(...)``.
    level : str or None
        The level counted at.

    Returns
    -------
    str
        "" when nothing is left out; else e.g. "Not counted at level 'initial': 3 codings
        applied above it, which cannot be rolled down to one of its codes (Coping ×2 and
        Hope ×1 at theme). Count at their level, or code them at 'initial', to include
        them."
    """
    if table.empty:
        return ""
    name = level_label(level)
    parts = []
    for why, words in (("above", "applied above it, which cannot be rolled down to one of its codes"),
                       ("branch", "in a branch of the codebook without that level")):
        mine = table.loc[table["why"] == why]
        if mine.empty:
            continue
        codes = ", ".join(f"{r.code} ×{r.codings} at {r.level}" for r in mine.itertuples())
        parts.append(f"{plural(int(mine['codings'].sum()), 'coding')} {words} ({codes})")
    return (f"Not counted at level '{name}': {'; '.join(parts)}. Count at their level, or code them at "
            f"'{name}', to include them.")


def not_counted_lines(study) -> list[str]:
    """For ``check`` and the report's end-of-run summary: per level of the study at which
    some codings (the default coders') are not counted, one line saying how many and which.

    Parameters
    ----------
    study : Study
        The study (or the tables ``check`` built: codings, codebook, config).

    Returns
    -------
    list of str
        One line per such level, most specific first (``not_counted_sentence``: "Not counted
        at level 'initial': 3 codings …"); empty when every coding counts at every level.
    """
    from .counting_coders import select_coders
    from .hierarchy import rollup

    codings = select_coders(study, None)
    levels = levels_of(study)
    lines = []
    for name in levels:
        level = "" if name == CODE_LEVEL else name
        rolled = rollup(codings, study.codebook, level, levels or None)
        table = not_counted_at(study, codings, rolled, level)
        if not table.empty:
            lines.append(not_counted_sentence(table, level))
    return lines
