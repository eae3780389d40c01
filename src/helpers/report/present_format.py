"""Cell formatting for the report's tables: headers in words, numbers, percentages,
p-values, blanks and flags (the rules ``present.table`` applies to every cell).

Split out of ``present`` (issue 15: no module over ~500 lines); every public name here is
re-exported from ``helpers.report.present``.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["HEADERS", "PCT_COLUMNS", "P_COLUMNS", "SHARE_COLUMNS", "TEXT_FLAGS", "TEXT_MISSING", "format_number",
           "format_p", "format_percent", "format_value", "header", "is_missing"]

# Headers that need more than "snake_case -> Words" (units, field terms).
HEADERS = {
    "doc_id": "Document", "participant_id": "Participant", "seg_no": "Turn", "seg_first": "First turn",
    "seg_last": "Last turn", "n_words": "Words", "n_segments": "Turns", "speaker_role": "Speaker role",
    "participants_pct": "Participants (%)", "words_coded": "Words coded", "group_size": "Group size (participants)",
    "applications": "Applications", "segments": "Turns (segments)", "documents": "Documents",
    "participants": "Participants", "p": "p", "q": "q (BH-adjusted p)", "p_adj": "p (BH-adjusted)",
    "g2": "G² (log-likelihood)", "log_ratio": "Log ratio (log₂)", "c": "c-coefficient", "n12": "Both (n₁₂)",
    "n1": "First code (n₁)", "n2": "Second code (n₂)", "code_a": "Code A", "code_b": "Code B",
    "kappa": "Cohen's κ", "alpha": "Krippendorff's α", "left": "Before", "match": "Keyword", "right": "After",
    "start": "Start (character)", "end": "End (character)", "obs_exp": "Observed ÷ expected",
    "share": "Share (%)", "n_a": "Code A (n₁)", "n_b": "Code B (n₂)", "n_ab": "Both (n₁₂)",
    # issue 16 items 1–2: every header of the notebooks' tables in words
    "n_participant_words": "Participant words", "per_1000": "Per 1,000 words", "hash": "Hash (same text, same hash)",
    "length": "Length (characters)", "masked_context": "Context (identifier masked)", "score": "Similarity (0–1)",
    "best_score": "Best similarity (0–1)", "closest_doc": "Closest document", "closest_turn": "Closest turn",
    "applied": "Applied (own codings)", "with_children": "With codes below (codings)",
    "n_missing": "Codes missing", "N_codes": "Codes at the level", "missing": "Missing codes",
    "n_without": "Participants without", "participant_ids": "Participant IDs", "n_new": "New codes (number)",
    "cumulative": "Distinct codes so far", "n_codings": "Codings", "n_turns": "Turns", "n_codes": "Codes",
    "n_documents": "Documents", "n_units": "Units", "n_all": "Units all coders applied it to",
    "n_none": "Units no coder applied it to", "n_disagree": "Units coders disagree on",
    "percent_agreement": "Agreement (%)", "alpha_low": "α low (95% interval)", "alpha_high": "α high (95% interval)",
    "conditional_ab": "P(B | A)", "conditional_ba": "P(A | B)", "ratio": "Observed ÷ expected",
    "k": "Topics (k)", "coherence_umass": "Coherence (UMass)", "best_share": "Best code's share of the turns (%)",
    "n_examples": "Turns with the code", "n_negatives": "Turns without it", "n_participants": "Participants",
    "n_splits": "Folds", "f1": "F1", "n_predicted": "Turns predicted", "precision_low": "Precision low (95% interval)",
    "precision_high": "Precision high (95% interval)", "weight": "Weight in the topic",
    "probability": "Probability (0–1)", "pseudonym": "Pseudonym", "n_quotes": "Quotes", "n_with": "Participants with the code",
}
# Numbered or per-coder columns: n_applied_<coder>, n_only_<coder> of the agreement table (coder names as
# written), quote_<k> and ref_<k> of the best quotes.
CODER_HEADERS = ((re.compile(r"^n_applied_(.+)$"), "Units {} applied it to"),
                 (re.compile(r"^n_only_(.+)$"), "Units only {} applied it to"),
                 (re.compile(r"^quote_(\d+)$"), "Quote {}"), (re.compile(r"^ref_(\d+)$"), "Where quote {} is"))
# Columns holding p-values (formatted "< 0.001").
P_COLUMNS = re.compile(r"^(p|q|p_?adj|p_?value|q_?value|fisher_p|p_bh|pvalue)$", re.I)
# Columns holding percentages already scaled 0–100.
PCT_COLUMNS = re.compile(r"(_pct|pct|percent)$", re.I)
# Columns holding shares on 0–1, shown as percentages.
SHARE_COLUMNS = re.compile(r"(^|_)share($|_)", re.I)

TEXT_MISSING = {"nan", "NaN", "None", "<NA>", "NaT", "[]"}
TEXT_FLAGS = {"True": "yes", "False": "no"}


def header(name) -> str:
    """A column name as words with its unit: ``participants_pct`` -> "Participants (%)".

    Parameters
    ----------
    name : object
        A column label (tuples from a column MultiIndex are joined with " · ").

    Returns
    -------
    str
    """
    if isinstance(name, tuple):
        return " · ".join(header(n) for n in name if str(n) != "")
    text = str(name)
    if text in HEADERS:
        return HEADERS[text]
    for pattern, words in CODER_HEADERS:
        if pattern.match(text):
            return words.format(pattern.match(text).group(1))
    if PCT_COLUMNS.search(text) and text.lower() not in ("pct", "percent"):
        return header(PCT_COLUMNS.sub("", text).rstrip("_ ")) + " (%)"
    if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", text):  # snake_case only: codes and names stay as written
        words = text.replace("_", " ")
        if words.startswith("n "):  # n_things: a count of things
            words = "number of " + words[2:]
        return words[:1].upper() + words[1:]
    return text


def is_missing(value) -> bool:
    """Whether a cell is missing, so shown blank.

    Parameters
    ----------
    value : object
        A cell.

    Returns
    -------
    bool
        True for None, NaN, pd.NA, NaT and empty lists, tuples, sets and arrays; False for a
        non-empty one and for anything ``pd.isna`` cannot judge.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return len(value) == 0
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_p(value) -> str:
    """A p-value for a page: ``< 0.001`` below 0.001, else three decimals.

    Parameters
    ----------
    value : float or None
        A p-value.

    Returns
    -------
    str
        "< 0.001", e.g. "0.042", or "" when missing.

    Raises
    ------
    ValueError, TypeError
        ``value`` is not a number.
    """
    if is_missing(value):
        return ""
    value = float(value)
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def format_percent(value, scale: float = 1.0) -> str:
    """A percentage for a page: whole numbers without decimals, one decimal otherwise.

    Parameters
    ----------
    value : float or None
        The number to show.
    scale : float
        Multiplies ``value`` first: 1 for a value already in percent, 100 for a share (0–1).

    Returns
    -------
    str
        E.g. "40 %", "12.5 %" (whole when within 0.05 of a whole number), or "" when missing.

    Raises
    ------
    ValueError, TypeError
        ``value`` is not a number.
    """
    if is_missing(value):
        return ""
    pct = float(value) * scale
    return f"{pct:.0f} %" if abs(pct - round(pct)) < 0.05 else f"{pct:.1f} %"


def format_number(value) -> str:
    """A number for a page: never scientific notation.

    Parameters
    ----------
    value : number or None
        The number.

    Returns
    -------
    str
        Whole numbers with thousands separators ("1,234"); others with no decimals from 100
        up ("1,235"), two from 1 up, three from 0.001 up, and "< 0.001" (or "> −0.001")
        nearer zero; "∞"/"−∞" for infinities, "yes"/"no" for flags, "" when missing.

    Raises
    ------
    ValueError, TypeError
        ``value`` is not a number.
    """
    if is_missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    number = float(value)
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    if number == round(number) and abs(number) < 1e15:
        return f"{int(round(number)):,}"
    size = abs(number)
    if size >= 100:
        return f"{number:,.0f}"
    if size >= 1:
        return f"{number:.2f}"
    if size >= 0.001:
        return f"{number:.3f}"
    return "< 0.001" if number > 0 else "> −0.001"


def format_value(value) -> str:
    """Any other cell as plain text for a page.

    Parameters
    ----------
    value : object
        A cell.

    Returns
    -------
    str
        "" when missing (also the texts of ``TEXT_MISSING``, as tables read back from CSV
        spell it); "yes"/"no" for flags (and the texts "True"/"False"); lists joined with
        "; " (sets sorted); numbers as ``format_number``; other values as ``str``.
    """
    if is_missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        return "; ".join(format_value(v) for v in items if not is_missing(v))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return format_number(value)
    text = str(value)
    # Tables read back from CSV as text carry pandas' own spellings of missing and flags.
    if text.strip() in TEXT_MISSING:
        return ""
    return TEXT_FLAGS.get(text.strip(), text)


def _column_kind(name, series: pd.Series, percent: Iterable, shares: Iterable, pvalues: Iterable) -> str:
    text = str(name[-1] if isinstance(name, tuple) else name)
    if name in pvalues or P_COLUMNS.match(text):
        return "p"
    if name in shares or (SHARE_COLUMNS.search(text) and pd.api.types.is_numeric_dtype(series)):
        return "share"
    if name in percent or PCT_COLUMNS.search(text):
        return "percent"
    if pd.api.types.is_bool_dtype(series):
        return "text"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    return "text"
