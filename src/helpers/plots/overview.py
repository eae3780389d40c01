"""Figures of the cleaning overview."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from . import PALETTE, explain, figure_height


def talk_share(share: pd.DataFrame):
    """Stacked horizontal bars: interviewer vs participant share of words per document."""
    frame = share.set_index("doc_id")[["participant", "interviewer", "other"]]
    fig, ax = plt.subplots(figsize=(7, figure_height(len(frame))))
    left = pd.Series(0.0, index=frame.index)
    for i, role in enumerate(frame.columns):
        ax.barh(frame.index, frame[role], left=left, color=PALETTE[i], label=role)
        left = left + frame[role]
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of words")
    ax.set_title("Talk share per document")
    ax.legend(loc="lower right", frameon=True)
    fig.tight_layout()
    low, high = (float(frame["participant"].min()), float(frame["participant"].max())) if len(frame) else (0.0, 0.0)
    return explain(
        fig, f"Stacked horizontal bars, one per document ({len(frame)}): the share of its words spoken by "
             f"participants (blue), interviewers (orange) and others (green); participants speak "
             f"{low:.0%} to {high:.0%} of the words.",
        "Each bar is one document, split by who spoke its words; a long blue part means the participant did most "
        "of the talking, a long orange part that the interviewer did.")
