"""One participant against the group (notebook 05)."""
from __future__ import annotations

import pandas as pd

from helpers.analysis.themes import framework_matrix, theme_matrix
from helpers.study import Study


def participant_documents(study: Study, participant: str) -> list[str]:
    """Documents in which the participant speaks, in document order."""
    seg = study.segments
    docs = seg.loc[(seg["participant_id"] == participant) & (seg["speaker_role"] == "participant"), "doc_id"]
    return list(dict.fromkeys(docs.astype(str)))


def talk_summary(study: Study, participant: str) -> pd.DataFrame:
    """The participant's turns and words, and their share of each document's words.

    Group figures are means over all participants who speak in any document.
    """
    seg = study.segments
    spoken = seg.loc[seg["speaker_role"] == "participant"]
    per_person = spoken.groupby("participant_id", observed=True).agg(turns=("seg_no", "size"), words=("n_words", "sum"))
    doc_words = seg.groupby("doc_id", observed=True)["n_words"].sum()
    mine = spoken.loc[spoken["participant_id"] == participant]
    share = (mine.groupby("doc_id", observed=True)["n_words"].sum() / doc_words).dropna()
    row = per_person.loc[participant] if participant in per_person.index else pd.Series({"turns": 0, "words": 0})
    return pd.DataFrame({
        "measure": ["turns spoken", "words spoken", "share of their documents' words"],
        "participant": [int(row["turns"]), int(row["words"]), round(float(share.mean()), 3) if len(share) else 0.0],
        "group mean": [_mean(per_person["turns"]), _mean(per_person["words"]), None],
    })


def _mean(values: pd.Series) -> float | None:
    """Mean to one decimal; None over nobody (no participant turn in the study yet)."""
    return round(float(values.mean()), 1) if len(values) else None


def code_profile(study: Study, participant: str, level: str | None = "top") -> pd.DataFrame:
    """Per code: the participant's applications, the group mean, and how many
    of the other participants have the code at all."""
    counts = theme_matrix(study, level=level, value="count")
    if participant not in counts.index:
        counts.loc[participant] = 0
    others = counts.drop(index=participant)
    return pd.DataFrame({
        "code": counts.columns,
        "applications": counts.loc[participant].astype(int).values,
        "group mean": others.mean().round(2).values if len(others) else 0.0,
        "others with it": (others > 0).sum().astype(int).values,
        "others": len(others),
    }).sort_values(["applications", "code"], ascending=[False, True]).reset_index(drop=True)


def shared_and_lacking(study: Study, participant: str, level: str | None = "top") -> dict[str, list[str]]:
    """Codes the participant has that most others lack (distinctive), and codes
    most others have that they lack (a negative case for those)."""
    presence = theme_matrix(study, level=level, value="presence")
    if participant not in presence.index:
        return {"distinctive": [], "lacking": [], "shared": []}
    others = presence.drop(index=participant)
    share_others = others.mean() if len(others) else presence.iloc[0] * 0
    mine = presence.loc[participant] > 0
    return {
        "distinctive": sorted(c for c in presence.columns if mine[c] and share_others[c] < 0.5),
        "lacking": sorted(c for c in presence.columns if not mine[c] and share_others[c] >= 0.5),
        "shared": sorted(c for c in presence.columns if mine[c] and share_others[c] >= 0.5),
    }


def best_quotes(study: Study, participant: str, level: str | None = "top", k: int = 2) -> pd.DataFrame:
    """The participant's most typical quotes per theme (as in the framework matrix)."""
    long = framework_matrix(study, level=level, quotes_per_cell=k, form="long")
    mine = long.loc[(long["participant_id"] == participant) & (long["n_codings"] > 0)]
    keep = ["code", "n_codings", "n_turns"] + [c for c in mine.columns if c.startswith(("quote_", "ref_"))]
    return mine[[c for c in keep if c in mine.columns]].reset_index(drop=True)
