"""Whom a coding is attributed to: the speaker of the turn it lies in (the transcript
decides who said it), and a warning where the coding sheet named someone else.
"""
from __future__ import annotations

import pandas as pd

from helpers.textutil import plural

__all__ = ["named_elsewhere"]


def named_elsewhere(frame: pd.DataFrame, limit: int = 5) -> list[str]:
    """Warnings for sheet rows that name one participant while their quote or turn lies in
    another participant's turn: the coding counts for the speaker of the turn (the transcript
    decides who said it), which the researcher should know and check.

    Parameters
    ----------
    frame : DataFrame
        Codings being assembled: ``participant_id`` (the first turn's speaker), ``_named``
        (the participant the row names, None when it names a document or a group),
        ``source``, ``source_row``, ``doc_id``, ``seg_first``.
    limit : int
        Rows named per warning.

    Returns
    -------
    list of str
        One warning per source file: its rows, what each names and whose turn it is in.
    """
    if "_named" not in frame:
        return []
    named = frame["_named"].astype("string")
    spoken = frame["participant_id"].astype("string")
    differ = frame.loc[named.notna() & spoken.notna() & (named != spoken)].drop_duplicates(["source", "source_row"])
    out = []
    for source, rows in differ.groupby("source", sort=True):
        places = [f"row {row} names {who}, in {pid}'s turn {seg} of {doc}" for row, who, pid, seg, doc in
                  zip(rows["source_row"], rows["_named"], rows["participant_id"], rows["seg_first"], rows["doc_id"])]
        more = f"; and {len(places) - limit} more" if len(places) > limit else ""
        verb = "names" if len(places) == 1 else "name"
        out.append(f"{source}: {plural(len(places), 'row')} {verb} one participant while the quote or turn is another "
                   f"participant's ({'; '.join(places[:limit])}{more}); counted for the speaker of the turn — check "
                   "the participant column, the quote, and the speaker labels of the transcript")
    return out
