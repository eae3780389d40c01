"""Coder parameters (issue 15 split of :mod:`helpers.counting`, whose docstring states the rules): the
analysis and reliability coders, the primary coder per document, a coder parameter checked, the
codings it selects, and the sentences that say so.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .errors import InputError

ALL_CODERS = "all"
AGREEMENT_USE = "agreement"


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _use(codings: pd.DataFrame) -> pd.Series:
    if "use" in codings.columns:
        return codings["use"].fillna("analysis").astype(str)
    return pd.Series("analysis", index=codings.index)


def agreement_only_coders(study) -> list[str]:
    """Coders all of whose codings come from ``use: agreement`` entries."""
    codings = study.codings
    use = _use(codings)
    analysis = set(codings.loc[use != AGREEMENT_USE, "coder"].dropna().astype(str))
    return sorted(set(codings.loc[use == AGREEMENT_USE, "coder"].dropna().astype(str)) - analysis)


def coder_ranking(study) -> list[str]:
    """Analysis coders, the primary first: ``primary_coder:`` of study.yml, then
    by number of coded documents (most first), ties by name."""
    codings = study.codings.loc[_use(study.codings) != AGREEMENT_USE]
    codings = codings.loc[codings["coder"].notna()]
    n_docs = codings.groupby(codings["coder"].astype(str))["doc_id"].nunique()
    ranked = sorted(n_docs.index, key=lambda c: (-int(n_docs[c]), c))
    named = primary_coder_setting(study)
    if named is not None and named in ranked:
        ranked.remove(named)
        ranked.insert(0, named)
    return ranked


def primary_coder_setting(study) -> str | None:
    config = getattr(study, "config", None)
    named = getattr(config, "primary_coder", None)
    if named is None:
        named = (getattr(study, "manifest", None) or {}).get("parameters", {}).get("primary_coder")
    return None if named is None else str(named)


def primary_coder(study) -> str | None:
    """The coder counted where several analysis coders coded a document."""
    ranked = coder_ranking(study)
    return ranked[0] if ranked else None


def check_coder(study, coder, parameter: str = "coder") -> list[str] | None:
    """A coder parameter: None (the primary coder per document), ``"all"``, a
    name or a list of names. Returns None for per-document primary, else the
    coders to merge. ``parameter`` names the parameter in the message; for any
    other than ``coder`` (agreement's ``coders``) only names are offered.

    Raises
    ------
    InputError
        A coder named who has no codings; the message lists the study's coders.
    """
    if coder is None or (isinstance(coder, str) and coder.strip().lower() in ("none", "null", "")):
        return None
    known = sorted(study.codings["coder"].dropna().astype(str).unique())
    if isinstance(coder, str) and coder.strip().lower() == ALL_CODERS:
        return coder_ranking(study)
    names = [str(c) for c in _as_list(coder)]
    unknown = [c for c in names if c not in known]
    if unknown:
        offer = "use None (the primary coder), \"all\", or among" if parameter == "coder" else "choose among"
        have = "coder" if len(unknown) == 1 else "coders"
        raise InputError.one(f"parameter {parameter}",
                             f"{have} {', '.join(unknown)} {'has' if len(unknown) == 1 else 'have'} no codings",
                             f"{offer} the study's coders: {', '.join(known) or '(none)'}")
    return list(dict.fromkeys(names))


def select_coders(study, coder=None) -> pd.DataFrame:
    """The codings counted for ``coder`` (see ``check_coder``), before roll-up.

    ``coder=None``: in each document, the codings of the highest-ranked
    analysis coder who coded it (``coder_ranking``); agreement-only codings
    never count unless their coder is named.
    """
    codings = study.codings
    chosen = check_coder(study, coder)
    if chosen is not None:
        named = coder is not None and not (isinstance(coder, str) and coder.strip().lower() == ALL_CODERS)
        keep = codings["coder"].astype("string").isin(chosen).fillna(False)
        if not named:
            keep &= _use(codings) != AGREEMENT_USE
        return codings.loc[keep]
    codings = codings.loc[_use(codings) != AGREEMENT_USE]
    ranked = coder_ranking(study)
    if len(ranked) <= 1:
        return codings
    rank = {c: i for i, c in enumerate(ranked)}
    coder_rank = codings["coder"].astype("string").map(rank).astype("float64").fillna(len(ranked))
    best = coder_rank.groupby(codings["doc_id"].astype(str)).transform("min")
    return codings.loc[coder_rank == best]


def coder_sentence(study, coder=None) -> str:
    """Which coders' codings are counted, in words, for every report."""
    chosen = check_coder(study, coder)
    ranked = coder_ranking(study)
    reliability = agreement_only_coders(study)
    tail = (f" {', '.join(reliability)} coded for agreement only (use: agreement) and "
            f"{'is' if len(reliability) == 1 else 'are'} not counted here." if reliability else "")
    if chosen is not None:
        if len(chosen) == 1:
            return f"Coder: {chosen[0]}'s codings only."
        return (f"Coders: {', '.join(chosen)} merged (a passage any of them coded counts once).")
    if not ranked:
        return "Coder: no coder named."
    if len(ranked) == 1:
        return f"Coder: {ranked[0]} (the only analysis coder).{tail}"
    why = "named primary_coder in study.yml" if primary_coder_setting(study) == ranked[0] else \
        "the coder with most coded documents"
    return (f"Coder: where several coders coded a document, only the primary coder {ranked[0]} ({why}) is "
            f"counted; other coders count only in documents {ranked[0]} did not code "
            f"(coder=\"all\" merges every coder).{tail}")


def coder_documents(study) -> pd.DataFrame:
    """Per coder: use (analysis / agreement), documents coded (names), and
    whether they are the primary coder. For ``check`` and the reports."""
    codings = study.codings.loc[study.codings["coder"].notna()]
    use = _use(codings)
    ranked = coder_ranking(study)
    rows = []
    for name in sorted(codings["coder"].astype(str).unique()):
        mine = codings["coder"].astype(str) == name
        docs = sorted(codings.loc[mine, "doc_id"].astype(str).unique())
        kind = AGREEMENT_USE if (use[mine] == AGREEMENT_USE).all() else "analysis"
        rows.append({"coder": name, "use": kind, "primary": bool(ranked and ranked[0] == name),
                     "n_documents": len(docs), "documents": ", ".join(docs)})
    return pd.DataFrame(rows, columns=["coder", "use", "primary", "n_documents", "documents"])
