"""Attribute breakdowns without small groups (issue 16 item 6): groups under the study's
``min_group_size`` are left out, and, since every page also shows the totals, so are the
groups that would let them be worked out by subtraction (complementary suppression).
Split out of ``present``, which re-exports every name.
"""
from __future__ import annotations

import html

import pandas as pd

from helpers.counting import MISSING_GROUP, attribute_groups
from helpers.textutil import plural

__all__ = ["COMPLEMENTARY_WHY", "SMALL_GROUPS_RULE", "MISSING_GROUP_NAMES", "breakdown", "frame_group_sizes", "group_sizes",
           "min_group_size", "suppress_small_groups", "suppressed"]


MISSING_GROUP_NAMES = (MISSING_GROUP,)   # "no value": one name, counting.MISSING_GROUP

SMALL_GROUPS_RULE = ("Attribute groups with fewer than min_group_size participants (study.yml, default 3) are "
                     "not shown, so that no one is identified; where the totals would give them back by "
                     "subtraction, the next-smallest groups are left out too (complementary suppression). "
                     "A group of 0 participants identifies nobody and is shown.")

COMPLEMENTARY_WHY = ("the totals (all participants) are shown throughout the report (the tables and figures "
                     "above, the other pages, summary.docx, tables.xlsx), so withholding them here would not stop "
                     "the subtraction and would lose more")


def suppressed(sizes: dict, min_group_size: int = 3, total_shown: bool = True) -> tuple[list[str], list[str]]:
    """Which attribute groups a breakdown leaves out: the small ones, and their complement.

    Primary suppression: a group of 1 to ``min_group_size - 1`` participants identifies
    them. Complementary (secondary) suppression: where the total over all participants is
    shown too, the groups left out can be worked out together by subtraction (total minus
    the groups shown), so the suppressed groups must together hold at least
    ``min_group_size`` participants; while they do not, the smallest group still shown is
    left out as well (ties by name). This is the usual secondary cell suppression of
    statistical disclosure control (Hundepool et al. 2012, *Statistical Disclosure
    Control*, Wiley, chapters 4-5 on tabular data: secondary cell suppression).
    Suppressing groups is chosen over withholding the total because the totals are on
    every page (``COMPLEMENTARY_WHY``). A group of 0
    participants (passages on interviewer turns only) identifies nobody and is never
    suppressed.

    Parameters
    ----------
    sizes : dict
        Group -> number of participants in it.
    min_group_size : int
        Smallest group shown (study.yml ``min_group_size``, default 3).
    total_shown : bool
        Whether the total over all participants is shown with the breakdown (every report
        page shows it); False applies the primary rule only.

    Returns
    -------
    (list of str, list of str)
        The small groups (sorted by name) and the groups left out to protect them
        (in the order chosen); both empty when no group is small.
    """
    counts = {str(g): int(n) for g, n in sizes.items()}
    small = sorted(g for g, n in counts.items() if 0 < n < min_group_size)
    complement: list[str] = []
    if not small or not total_shown:
        return small, complement
    hidden = sum(counts[g] for g in small)
    rest = sorted((n, g) for g, n in counts.items() if n > 0 and g not in small)
    while hidden < min_group_size and rest:
        n, g = rest.pop(0)
        complement.append(g)
        hidden += n
    return small, complement


def frame_group_sizes(frame: pd.DataFrame, by: str, sizes: dict) -> dict:
    """``sizes`` keyed by the group names a breakdown uses.

    The analyses and ``group_sizes`` name a missing attribute value ``counting.MISSING_GROUP``
    ("(not given)"). A group of the frame with no participant (passages on interviewer turns only) gets 0.

    Parameters
    ----------
    frame : DataFrame
        A breakdown with a column ``by``.
    by : str
        The attribute column.
    sizes : dict
        Group -> participants (``group_sizes``).

    Returns
    -------
    dict
        Every group of ``sizes`` and of ``frame[by]`` -> participants, the missing value
        under the frame's own name.
    """
    counts = {str(g): int(n) for g, n in sizes.items()}
    missing = sum(counts.pop(name, 0) for name in MISSING_GROUP_NAMES)
    named = [str(g) for g in (frame[by].astype(str).unique() if by in frame else [])]
    label = next((g for g in named if g in MISSING_GROUP_NAMES), MISSING_GROUP_NAMES[0])
    if missing:
        counts[label] = missing
    for g in named:
        counts.setdefault(g, 0)
    return counts


def suppress_small_groups(frame: pd.DataFrame, by: str, sizes: dict, min_group_size: int = 3,
                          total_shown: bool = True) -> tuple[pd.DataFrame, str]:
    """Drop the rows of attribute groups with fewer than ``min_group_size``
    participants (a group of one or two people identifies them), and, where the
    total is shown too, the groups that would let them be worked out by subtraction
    (``suppressed``).

    Parameters
    ----------
    frame : DataFrame
        A breakdown with a column ``by`` naming each row's group.
    by : str
        The attribute column.
    sizes : dict
        Group -> number of participants in it (``frame_group_sizes``).
    min_group_size : int
        Smallest group shown (study.yml ``min_group_size``, default 3; the
        usual small-cell rule of statistical disclosure control).
    total_shown : bool
        The total over all participants is shown with the breakdown: complementary
        suppression (default True, as on every report page).

    Returns
    -------
    (DataFrame, str)
        The rows of the groups shown, and the sentences naming the groups left out and
        why (empty when none), never naming their members.
    """
    if by not in frame:
        return frame, ""
    small, complement = suppressed(frame_group_sizes(frame, by, sizes), min_group_size, total_shown)
    if not small:
        return frame, ""
    kept = frame[~frame[by].astype(str).isin(small + complement)].reset_index(drop=True)
    sentence = (f"{plural(len(small), 'group')} of '{by}' with fewer than {min_group_size} participants "
                f"({', '.join(small)}) not shown: groups that small identify the people in them "
                f"(min_group_size in study.yml).")
    if complement:
        sentence += (f" Complementary suppression: {', '.join(complement)} not shown either, so that the groups "
                     f"left out together hold at least {min_group_size} participants and none of them can be "
                     f"worked out by subtracting the groups shown from the total. Groups are left out rather than "
                     f"the total because {COMPLEMENTARY_WHY}.")
    if kept.empty:
        sentence += " No group can be shown."
    return kept, sentence


def breakdown(study, frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """An attribute breakdown ready to show or write: groups smaller than the
    study's ``min_group_size`` removed, and those that would let them be recovered
    from the totals (``suppressed``), and, when any were, the sentence saying so
    displayed above it (never silent).

    Parameters
    ----------
    study : Study
    frame : DataFrame
        A table with a column ``by`` (e.g. ``code_frequencies(study, by=by)``).
    by : str
        The participant attribute.

    Returns
    -------
    DataFrame
        The rows of the groups shown.
    """
    kept, sentence = suppress_small_groups(frame, by, group_sizes(study, by), min_group_size(study))
    if sentence:
        try:
            from IPython.display import Markdown, display

            display(Markdown(f"**Small groups not shown.** {html.escape(sentence)}"))
        except ImportError:  # pragma: no cover
            print(sentence)
    return kept


def group_sizes(study, by: str) -> dict:
    """Participants per value of a participant attribute.

    Parameters
    ----------
    study : Study
        The study (its participants table).
    by : str
        A column of the participants table.

    Returns
    -------
    dict
        Value (as text; a missing value as ``counting.MISSING_GROUP``, "(not given)", the
        group the analyses name it) -> number of participants, largest first.

    Raises
    ------
    ValueError
        ``by`` is not a participant attribute (``counting.check_attribute``).
    """
    values = attribute_groups(study, by)
    return {str(k): int(v) for k, v in values.value_counts().items()}


def min_group_size(study) -> int:
    """The study's ``min_group_size`` (study.yml): groups smaller than this are not reported.

    Parameters
    ----------
    study : Study
        The study (its ``config``; an in-memory study without one gets the default).

    Returns
    -------
    int
        The setting; 3 when it is not set (or 0).
    """
    config = getattr(study, "config", None)
    return int(getattr(config, "min_group_size", 3) or 3)
