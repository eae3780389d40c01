"""One participant against the group (notebook 05)."""
from __future__ import annotations

import pandas as pd

from helpers.analysis.themes import framework_matrix, theme_matrix
from helpers.study import Study

TALK_RULE = ("Turns and words of the participant's own turns (speaker role participant; words are segments.n_words); "
             "share = the participant's words / all words of the document, averaged over "
             "the documents they speak in. Group mean: over every participant with at least one turn of their own.")
CODE_PROFILE_RULE = ("applications = the participant's passages of the code or of a code below it; group mean = "
                     "mean of the other participants' passages; others with it = other participants holding at "
                     "least one passage.")


def participant_documents(study: Study, participant: str) -> list[str]:
    """The documents in which a participant speaks.

    Parameters
    ----------
    study : Study
        The study (its segments).
    participant : str
        A participant id.

    Returns
    -------
    list of str
        The ``doc_id`` of every document with at least one turn of the
        participant in the participant role, each once, in the order of
        ``study.segments``; empty when they have none.
    """
    seg = study.segments
    docs = seg.loc[(seg["participant_id"] == participant) & (seg["speaker_role"] == "participant"), "doc_id"]
    return list(dict.fromkeys(docs.astype(str)))


def talk_summary(study: Study, participant: str) -> pd.DataFrame:
    """How much a participant speaks, against the group: turns, words, share of words.

    Parameters
    ----------
    study : Study
        The study (its segments: ``speaker_role``, ``participant_id``, ``n_words``).
    participant : str
        A participant id; one with no turn gets zeros.

    Returns
    -------
    DataFrame
        Three rows (index 0..2), columns ``measure``, ``participant`` and
        ``group mean``:

        - "turns spoken": the participant's turns in the participant role (count);
        - "words spoken": the words of those turns (count, ``segments.n_words``);
        - "share of their documents' words": the mean, over the documents they
          speak in, of their words / all words of the document (share 0-1, to
          3 decimals; 0.0 when they speak in none).

        ``group mean`` is the mean over every participant with at least one
        participant-role turn (to 1 decimal; None when there is none) for the
        first two rows, None for the share. ``attrs["rule"]`` is ``TALK_RULE``.
    """
    seg = study.segments
    spoken = seg.loc[seg["speaker_role"] == "participant"]
    per_person = spoken.groupby("participant_id", observed=True).agg(turns=("seg_no", "size"), words=("n_words", "sum"))
    doc_words = seg.groupby("doc_id", observed=True)["n_words"].sum()
    mine = spoken.loc[spoken["participant_id"] == participant]
    share = (mine.groupby("doc_id", observed=True)["n_words"].sum() / doc_words).dropna()
    row = per_person.loc[participant] if participant in per_person.index else pd.Series({"turns": 0, "words": 0})
    out = pd.DataFrame({
        "measure": ["turns spoken", "words spoken", "share of their documents' words"],
        "participant": [int(row["turns"]), int(row["words"]), round(float(share.mean()), 3) if len(share) else 0.0],
        "group mean": [_mean(per_person["turns"]), _mean(per_person["words"]), None],
    })
    out.attrs["rule"] = TALK_RULE
    return out


PERCENT_DECIMALS = 1   # every percentage on the profile page: one decimal


def talk_table(talk: pd.DataFrame) -> pd.DataFrame:
    """``talk_summary`` as a page shows it, each row in its own unit and with one rounding.

    Parameters
    ----------
    talk : DataFrame
        ``talk_summary(...)``.

    Returns
    -------
    DataFrame
        The same rows and columns as text: turns and words whole ("1,234"), group means to
        one decimal ("12.5"), the share of words as a percentage to ``PERCENT_DECIMALS``
        decimal ("31.2 %"); blank where there is no value. ``attrs["rule"]`` is
        ``talk.attrs["rule"]``.
    """
    def cell(value, share: bool, mean: bool) -> str:
        if value is None or pd.isna(value):
            return ""
        if share:
            return f"{100.0 * float(value):.{PERCENT_DECIMALS}f} %"
        return f"{float(value):,.1f}" if mean else f"{int(value):,}"

    shares = talk["measure"].astype(str).str.startswith("share")
    out = pd.DataFrame({
        "measure": talk["measure"].astype(str),
        "participant": [cell(v, s, False) for v, s in zip(talk["participant"], shares)],
        "group mean": [cell(v, s, True) for v, s in zip(talk["group mean"], shares)],
    })
    out.attrs["rule"] = talk.attrs.get("rule", "")
    return out


def rounded_parts(values, decimals: int = PERCENT_DECIMALS) -> list[float]:
    """Percentages rounded so that they still add up to exactly 100: the largest remainder
    (Hamilton) method — every part rounded down, then the units left over given to the
    parts with the largest remainders (ties to the first).

    Parameters
    ----------
    values : sequence of float
        Percentages adding up to 100 (up to floating-point error).
    decimals : int
        Decimals kept.

    Returns
    -------
    list of float
        The rounded parts, in the order given; their sum is 100 to ``decimals`` decimals.
        An empty list for no values; all zeros when ``values`` add up to 0.
    """
    import math

    values = [float(v) for v in values]
    if not values or not sum(values):
        return [0.0] * len(values)
    unit = 10 ** decimals
    scaled = [v * unit for v in values]
    floors = [math.floor(v + 1e-9) for v in scaled]
    left = int(round(100 * unit - sum(floors)))
    order = sorted(range(len(values)), key=lambda i: (-(scaled[i] - floors[i]), i))
    for i in order[:max(left, 0)]:
        floors[i] += 1
    return [f / unit for f in floors]


WORD_SHARES_RULE = ("Share of each document's words (segments.n_words) spoken by the participant, by the other "
                    "participants, by the interviewer and by other speakers, in percent to one decimal; each row's "
                    "parts are rounded by the largest remainder so that they add up to exactly 100.")


def word_shares(study: Study, participant: str) -> pd.DataFrame:
    """Who speaks the words of each document a participant speaks in: the participant,
    the other participants (a focus group), the interviewer, other speakers.

    Parameters
    ----------
    study : Study
        The study (its segments: ``speaker_role``, ``participant_id``, ``n_words``).
    participant : str
        A participant id.

    Returns
    -------
    DataFrame
        One row per document of ``participant_documents`` (RangeIndex): ``doc_id``,
        ``participant_pct``, ``other_participants_pct``, ``interviewer_pct``,
        ``other_speakers_pct`` (percent, one decimal, each row adding up to 100.0 by
        ``rounded_parts``; all 0 for a document of no words). ``attrs["rule"]`` is
        ``WORD_SHARES_RULE``.
    """
    seg = study.segments
    columns = ["participant_pct", "other_participants_pct", "interviewer_pct", "other_speakers_pct"]
    rows = []
    for doc_id in participant_documents(study, participant):
        mine = seg.loc[seg["doc_id"].astype(str) == doc_id]
        words = pd.to_numeric(mine["n_words"], errors="coerce").fillna(0)
        role = mine["speaker_role"].astype(str)
        own = (role == "participant") & (mine["participant_id"].astype(str) == str(participant))
        parts = [words[own].sum(), words[(role == "participant") & ~own].sum(), words[role == "interviewer"].sum(),
                 words[~role.isin(["participant", "interviewer"])].sum()]
        total = float(sum(parts))
        rows.append([doc_id] + rounded_parts([100.0 * p / total for p in parts] if total else [0.0] * 4))
    out = pd.DataFrame(rows, columns=["doc_id"] + columns)
    out.attrs["rule"] = WORD_SHARES_RULE
    return out


def own_turns_only(study: Study, participant: str, doc_id: str) -> bool:
    """Whether a participant's code line in ``doc_id`` keeps only their own turns: in a
    document with other participants (a focus group) the document's line is everyone's.

    Parameters
    ----------
    study : Study
    participant : str
    doc_id : str

    Returns
    -------
    bool
        True when another participant speaks in the document.
    """
    seg = study.segments
    speakers = seg.loc[(seg["doc_id"].astype(str) == str(doc_id)) & (seg["speaker_role"] == "participant"),
                       "participant_id"].dropna().astype(str)
    return bool(set(speakers) - {str(participant)})


def _mean(values: pd.Series) -> float | None:
    """Mean to one decimal; None over nobody (no participant turn in the study yet)."""
    return round(float(values.mean()), 1) if len(values) else None


def code_profile(study: Study, participant: str, level: str | None = "top") -> pd.DataFrame:
    """One participant's codes against the other participants'.

    Applications are the cells of ``theme_matrix(value="count")``: passages
    the participant holds of the code or of a code below it
    (docs/design.md §4, "Theme prevalence"; primary coder per document).

    Parameters
    ----------
    study : Study
        The study.
    participant : str
        A participant id; one not in the matrix counts as having no passage.
    level : str or None, default "top"
        The level of the codes (codings below rolled up): "top" the study's top
        level, a level name, or None for codes as applied.

    Returns
    -------
    DataFrame
        One row per code at ``level`` (index 0..n-1), columns ``code``,
        ``applications`` (the participant's passages, count), ``group mean``
        (mean passages of the other participants, 2 decimals), ``others with
        it`` (other participants holding at least one passage, count),
        ``others`` (number of other participants). Sorted by applications
        (descending), then code. ``attrs["rule"]`` states the counting rule
        (the passage rules, then ``CODE_PROFILE_RULE``).

    Raises
    ------
    InputError
        Unknown level.
    """
    counts = theme_matrix(study, level=level, value="count")
    if participant not in counts.index:
        counts.loc[participant] = 0
    others = counts.drop(index=participant)
    out = pd.DataFrame({
        "code": counts.columns,
        "applications": counts.loc[participant].astype(int).values,
        "group mean": others.mean().round(2).values if len(others) else 0.0,
        "others with it": (others > 0).sum().astype(int).values,
        "others": len(others),
    }).sort_values(["applications", "code"], ascending=[False, True]).reset_index(drop=True)
    out.attrs["rule"] = counts.attrs.get("rule", "") + " " + CODE_PROFILE_RULE
    return out


def shared_and_lacking(study: Study, participant: str, level: str | None = "top") -> dict[str, list[str]]:
    """The codes a participant shares with most others, has alone, or lacks.

    Presence is ``theme_matrix(value="presence")`` (a passage of the code or of
    a code below it held by the participant). "Most others" is a share of the
    other participants of at least 0.5.

    Parameters
    ----------
    study : Study
        The study.
    participant : str
        A participant id.
    level : str or None, default "top"
        The level of the codes: "top" the study's top level, a level name, or
        None for codes as applied.

    Returns
    -------
    dict of str to list of str
        Keys ``"distinctive"`` (codes the participant has and fewer than half
        of the others have), ``"lacking"`` (codes half or more of the others
        have and the participant lacks: a negative case for them) and
        ``"shared"`` (codes they have with half or more of the others); each
        list sorted. Every list is empty for a participant not in the matrix.

    Raises
    ------
    InputError
        Unknown level.
    """
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
    """A participant's most typical quotes per code, as the framework matrix picks them.

    Parameters
    ----------
    study : Study
        The study.
    participant : str
        A participant id.
    level : str or None, default "top"
        The level of the codes: "top" the study's top level, a level name, or
        None for codes as applied.
    k : int, default 2
        Quotes per code (``framework_matrix(quotes_per_cell=k)``).

    Returns
    -------
    DataFrame
        The participant's rows of ``framework_matrix(form="long")`` with at
        least one passage (index 0..n-1): columns ``code``, ``n_codings``
        (passages, count), ``n_turns`` (distinct turns, count), then
        ``quote_1``, ``ref_1`` … ``quote_k``, ``ref_k`` (the quote and its
        turn reference, "P03 t12"; empty where the cell has fewer quotes).
        Rows in the framework matrix's code order.

    Raises
    ------
    InputError
        Unknown level.
    """
    long = framework_matrix(study, level=level, quotes_per_cell=k, form="long")
    mine = long.loc[(long["participant_id"] == participant) & (long["n_codings"] > 0)]
    keep = ["code", "n_codings", "n_turns"] + [c for c in mine.columns if c.startswith(("quote_", "ref_"))]
    return mine[[c for c in keep if c in mine.columns]].reset_index(drop=True)
