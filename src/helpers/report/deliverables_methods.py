"""The methods paragraph of ``summary.docx`` (issue 15 split of :mod:`helpers.report.deliverables`),
generated from the run: the documents by kind and format, the coding sources, coders and
agreement, the counting rules and the software version, in words.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers import __version__, textutil

# Transcript formats and coding sources in words (methods paragraph).
FORMAT_WORDS = {"txt": "plain-text", "md": "Markdown", "docx": "Word", "odt": "OpenDocument", "rtf": "RTF",
                "vtt": "WebVTT caption", "srt": "SubRip caption", "taguette": "Taguette", "qdpx": "REFI-QDA",
                "qde": "REFI-QDA"}
SOURCE_WORDS = {".xlsx": "Excel coding sheet", ".xlsm": "Excel coding sheet", ".xls": "Excel coding sheet",
                ".csv": "CSV coding sheet", ".docx": "Word coding table", ".qdpx": "REFI-QDA project",
                ".qde": "REFI-QDA project", ".qdc": "REFI-QDA codebook", ".sqlite3": "Taguette project",
                ".html": "Taguette export", ".json": "Taguette export"}
STAND_INS = {"coding_table", "quote_bank"}   # documents made from a coding source, not a transcript


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """A count in words: "a quote bank", "an Excel coding sheet", "3 plain-text transcripts".

    Parameters
    ----------
    n : int
        The count.
    singular : str
        The noun (phrase) for one; "an" before a vowel letter, else "a".
    plural : str, optional
        The noun for other counts; default ``singular`` + "s".

    Returns
    -------
    str
        ``a/an <singular>`` when ``n`` is 1, else ``<n> <plural>`` (0 included).
    """
    if n == 1:
        return ("an " if singular[:1].lower() in "aeiou" else "a ") + singular
    return textutil.plural(n, singular, plural)   # the one plural rule


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def transcripts_in_words(documents: pd.DataFrame) -> str:
    """The documents by what they are and their format, in words: "9 transcripts (5 plain-text
    transcripts, a Word transcript, …) and 2 Word coding tables standing in for transcripts".

    Parameters
    ----------
    documents : DataFrame
        The documents table (``format``; ``kind`` where present).

    Returns
    -------
    str
    """
    kinds = documents["kind"].astype("string").fillna("") if "kind" in documents else pd.Series("", index=documents.index)
    fmt = documents["format"].astype("string").fillna("")
    real = documents[~kinds.isin(STAND_INS)]
    parts = []
    if len(real):
        by_format = fmt[real.index].value_counts()
        order = sorted(by_format.index, key=lambda f: (-by_format[f], str(f)))
        formats = [counted(int(by_format[f]), f"{FORMAT_WORDS.get(str(f), str(f))} transcript") for f in order]
        parts.append(f"{counted(len(real), 'transcript')} ({_listed(formats)})" if len(order) > 1 else formats[0])
    tables = int((kinds == "coding_table").sum())
    if tables:
        parts.append(counted(tables, "Word coding table") + " standing in for transcripts")
    banks = int((kinds == "quote_bank").sum())
    if banks:
        parts.append(counted(banks, "quote-bank document") + " (one per participant, a quote a turn)")
    return _listed(parts) if parts else "no documents"


def coding_sources_in_words(study) -> str:
    """Where the codings came from, in words: "2 Excel coding sheets and 2 Word coding tables".

    Counted by source file (the part of ``codings.source`` before "#"), by kind from the
    file's suffix (``SOURCE_WORDS``); a file whose codings made quote-bank documents is "a
    quote bank". Kinds are listed most files first, then by name.

    Parameters
    ----------
    study : Study
        The study (its codings' ``source`` and ``doc_id``, and the documents' ``kind``).

    Returns
    -------
    str
        "" when there are no codings (or no ``source`` column).
    """
    codings = study.codings
    if codings.empty or "source" not in codings:
        return ""
    docs = study.documents
    bank_docs = set(docs.loc[docs.get("kind", pd.Series("", index=docs.index)).astype(str) == "quote_bank", "doc_id"]
                    .astype(str))
    files: dict[str, str] = {}
    for source, doc_id in zip(codings["source"].astype("string").fillna(""), codings["doc_id"].astype(str)):
        file = str(source).split("#")[0]
        if not file:
            continue
        suffix = Path(file).suffix.lower()
        kind = "quote bank" if doc_id in bank_docs else SOURCE_WORDS.get(
            suffix, f"{suffix.lstrip('.')} coding file" if suffix else "coding file")
        files.setdefault(file, kind)
    by_kind = pd.Series(list(files.values()), dtype=object).value_counts()
    order = sorted(by_kind.index, key=lambda k: (-by_kind[k], k))
    return _listed([counted(int(by_kind[k]), k) for k in order]) if order else ""


def methods_paragraph(study) -> str:
    """The methods paragraph, generated from the run (nothing typed by hand).

    Parameters
    ----------
    study : Study
        The study (tables, coders, manifest time, config's ``min_group_size``).

    Returns
    -------
    str
        The documents by kind and format in words ("3 plain-text transcripts"), participants,
        the import date, turns, codings, codes and levels, the coding sources in words ("a
        quote bank"; never study.yml or other configuration counted as a source), coders (and
        Krippendorff's alpha over all codes when there are two or more, or why it is not
        given), the counting rules and the software and pandas versions.
    """
    docs = study.documents
    levels = [lv for lv in dict.fromkeys(study.codebook["level"].fillna("").astype(str)) if lv]
    coders = study.coders()
    manifest = getattr(study, "manifest", {}) or {}
    sources = coding_sources_in_words(study)
    documents = transcripts_in_words(docs)
    parts = [
        f"{documents[:1].upper() + documents[1:]}, from "
        f"{counted(len(study.participants), 'participant')}, were imported"
        f"{' on ' + str(manifest.get('time'))[:10] if manifest.get('time') else ''}, cleaned (fillers and "
        f"transcriber annotations kept apart from counted words) and redacted before analysis, giving "
        f"{len(study.segments)} turns.",
        f"{counted(len(study.codings), 'coding')} of {counted(len(study.codebook), 'code')}"
        f"{' at the levels ' + ', '.join(levels) if levels else ''} were imported"
        f"{' from ' + sources if sources else ''}.",
        f"Coders: {', '.join(coders) if coders else 'one, unnamed'}.",
    ]
    if len(coders) >= 2:
        parts.append(_agreement_sentence(study))
    parts.append("Counting rules: codings of one document, coder and code whose spans overlap count as one "
                 "passage; a participant has a theme when any passage at or below it in the code hierarchy is "
                 "theirs; co-occurrence is counted by turn unless stated; attribute groups smaller than "
                 f"{_min_group(study)} participants are not reported.")
    parts.append(f"Analysis: Transcript Themes {__version__} (pandas {pd.__version__}).")
    return " ".join(parts)


def _min_group(study) -> int:
    from helpers.report.present import min_group_size

    return min_group_size(study)


def _agreement_sentence(study) -> str:
    import helpers

    try:
        table = helpers.agreement(study)
    except Exception as exc:  # noqa: BLE001 - say why rather than leave it out silently
        return f"Inter-coder agreement could not be computed ({type(exc).__name__})."
    overall = table[table.iloc[:, 0].astype(str) == "overall"] if len(table) else table
    alpha = next((c for c in table.columns if "alpha" in str(c).lower()), None)
    if overall.empty or alpha is None or pd.isna(overall[alpha].iloc[0]):
        return "Inter-coder agreement: see the agreement report."
    return f"Inter-coder agreement over all codes: Krippendorff's alpha {float(overall[alpha].iloc[0]):.2f}."
