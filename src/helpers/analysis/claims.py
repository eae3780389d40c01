"""Quantifying claims in a write-up, checked against the coded evidence (issue 17, item 3).

A claim is a quantifier about participants — "all (of the) participants",
"every participant", "everyone", "most", "the majority", "half", "many",
"several", "some", "a few", "one participant", "no participant", "nobody",
"all but one", "N of the M", "N participants" — found in a sentence of the
draft's prose (text inside quotation marks is not prose and is skipped).

The code a claim is about is a code name (or one of its synonyms, written in
the codebook description after ``Synonyms:`` or ``Also:``, separated by
commas or semicolons) in the same sentence — the longest such name when there
are several — else the nearest preceding heading that names a code.

The evidence is who has the code: ``helpers.theme_matrix(study, level=<the
code's level>, value="presence")`` (a participant has a code when any passage
at or below it is attributed to them), out of every participant of the study.
Each word maps to a share or a count (``DEFAULT_CLAIM_WORDS``; study.yml
``claim_words:`` overrides any of them). A claim the coding does not bear out
is "not supported": the coding does not show it, which is not to say it is false.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

from helpers.analysis.drafts import _DOUBLE, _SINGLE, Draft, sentences
from helpers.ingest.config import BOUND_KEYS, DEFAULT_CLAIM_WORDS, check_claim_words  # noqa: F401 (study.yml rules)
from helpers.ingest.quotes import fold
from helpers.textutil import plural

_NUMBERS = {w: i for i, w in enumerate(("zero one two three four five six seven eight nine ten eleven twelve "
                                        "thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty").split())}
_NUM = r"(?:\d{1,3}|" + "|".join(_NUMBERS) + r")"
_NOUN = (r"(?:participants?|interviewees?|respondents?|informants?|people|persons?|service users?|"
         r"group members|members|women|men|them|those interviewed|those we interviewed)")
_DET = r"(?:of\s+)?(?:the\s+|our\s+|these\s+|those\s+)?"
# (canonical word, pattern) — tried in this order; matches may not overlap.
_PATTERNS: list[tuple[str, re.Pattern]] = [(w, re.compile(p)) for w, p in [
    ("all but one", rf"\ball but (?:one|1)\b(?:\s+{_DET}{_NOUN})?"),
    ("n of m", rf"\b(?P<n>{_NUM})\s+(?:out\s+)?of\s+(?:the\s+|our\s+|all\s+|these\s+|those\s+)?(?P<m>{_NUM})\s+{_NOUN}"),
    ("all", (rf"\b(?:all|each|every one)\s+{_DET}(?:{_NUM}\s+)?{_NOUN}\b|\bevery\s+(?:single\s+)?"
            rf"(?:participant|interviewee|respondent|informant|person)\b|\bevery(?:one|body)\b")),
    ("none", (rf"\b(?:no|none\s+{_DET}|not\s+one\s+{_DET}|not\s+a\s+single)\s*{_NOUN}\b|\bnobody\b|\bno\s+one\b"
             rf"|\bnone\s+of\s+them\b")),
    ("majority", rf"\b(?:the|a)\s+(?:vast\s+|large\s+|clear\s+|great\s+)?majority\s+of\s+(?:the\s+|our\s+)?{_NOUN}"),
    ("most", rf"\bmost\s+{_DET}{_NOUN}\b"),
    ("half", rf"\bhalf\s+{_DET}{_NOUN}\b"),
    ("many", rf"\bmany\s+{_DET}{_NOUN}\b"),
    ("several", rf"\bseveral\s+{_DET}{_NOUN}\b"),
    ("a few", rf"\ba\s+few\s+{_DET}{_NOUN}\b"),
    ("some", rf"\bsome\s+{_DET}{_NOUN}\b"),
    ("one", (rf"\b(?:only\s+)?(?:one|1)\s+(?:of\s+(?:them\b|(?:the\s+|our\s+|these\s+){_NOUN}\b)|"
            rf"(?:participant|interviewee|respondent|informant|person|woman|man)\b)")),
    ("n", rf"\b(?P<n>{_NUM})\s+{_NOUN}\b"),
]]
_SUBGROUP = re.compile(r"\b(?:women|men|woman|man|them|members|those(?!\s+(?:we\s+)?interviewed))\b")
_SYNONYMS = re.compile(r"\b(?:synonyms?|also)\s*:\s*(?P<list>[^.]+)", re.IGNORECASE)


@dataclass
class CodeName:
    code: str
    level: str
    phrase: str
    pattern: re.Pattern


def claim_words(overrides: dict | None = None) -> dict[str, dict]:
    """The claim word → bounds mapping in force: the defaults with study.yml's ``claim_words`` over them.

    Parameters
    ----------
    overrides : dict or None
        study.yml ``claim_words:``: word -> bounds (keys of ``BOUND_KEYS``:
        ``min``, ``max`` (participants), ``min_share``, ``max_share``,
        ``more_than_share`` (shares 0-1), ``exact_missing`` (participants
        without the code)); a word given replaces its default bounds whole.
        None: the defaults only.

    Returns
    -------
    dict of str to dict
        Every word of ``DEFAULT_CLAIM_WORDS`` and of ``overrides`` (lower-cased)
        -> a copy of its bounds.
    """
    words = {k: dict(v) for k, v in DEFAULT_CLAIM_WORDS.items()}
    for word, bounds in (overrides or {}).items():
        words[str(word).lower()] = dict(bounds)
    return words


def rule_text(word: str, bounds: dict) -> str:
    """What one claim word is taken to mean, in words, for the report.

    Parameters
    ----------
    word : str
        The claim word ("most", "a few" …; "N" for a number).
    bounds : dict
        Its bounds (see ``claim_words``).

    Returns
    -------
    str
        "word: " and the bounds joined by ", ", e.g. "most: more than 50%",
        "all: every participant", "a few: at least 2, at most 4",
        "none: none"; shares as whole percent.
    """
    parts = []
    if "exact_missing" in bounds:
        parts.append(f"exactly {plural(int(bounds['exact_missing']), 'participant')} without the code")
    if "min_share" in bounds and bounds["min_share"] >= 1:
        parts.append("every participant")
    elif "min_share" in bounds:
        parts.append(f"at least {bounds['min_share']:.0%}")
    if "max_share" in bounds:
        parts.append(f"at most {bounds['max_share']:.0%}")
    if "more_than_share" in bounds:
        parts.append(f"more than {bounds['more_than_share']:.0%}")
    if bounds.get("min") == bounds.get("max") and "min" in bounds:
        parts.append(f"exactly {bounds['min']:g}")
    else:
        if "min" in bounds:
            parts.append(f"at least {bounds['min']:g}")
        if "max" in bounds:
            parts.append(f"at most {bounds['max']:g}" if bounds["max"] else "none")
    return f"{word}: " + ", ".join(parts)


def holds(bounds: dict, n: int, total: int) -> bool:
    """Whether n of total participants meet a claim word's bounds.

    Every bound given must hold: ``min`` <= n <= ``max``; ``min_share`` <= n /
    total <= ``max_share`` (with 1e-9 tolerance); n / total >
    ``more_than_share``; total − n == ``exact_missing``. The share is 0 when
    total is 0.

    Parameters
    ----------
    bounds : dict
        The word's bounds (see ``claim_words``).
    n : int
        Participants with the code (count).
    total : int
        All participants (count).

    Returns
    -------
    bool
        True when every bound holds (also when ``bounds`` is empty).
    """
    share = n / total if total else 0.0
    checks = [("min", n >= bounds.get("min", n)), ("max", n <= bounds.get("max", n)),
              ("min_share", share >= bounds.get("min_share", 0) - 1e-9),
              ("max_share", share <= bounds.get("max_share", 1) + 1e-9),
              ("more_than_share", share > bounds.get("more_than_share", -1)),
              ("exact_missing", total - n == bounds.get("exact_missing", total - n))]
    return all(ok for _, ok in checks)


def code_names(study) -> list[CodeName]:
    """Every code's name and synonyms as word patterns, to find the code a claim is about.

    Codes are those of the codebook, then any coded code it lacks; synonyms are
    listed in the codebook description after ``Synonyms:`` or ``Also:``,
    separated by commas, semicolons or "or". A pattern matches the phrase's
    words folded as the draft is read (``quotes.fold``), separated by any
    non-word characters, each allowing a plural -s/-es or a possessive 's,
    and only as whole words.

    Parameters
    ----------
    study : Study
        The study (its codebook and codings).

    Returns
    -------
    list of CodeName
        One per (code, phrase): ``code``, ``level`` (the codebook's, '' when
        unnamed), ``phrase`` (the name or synonym as written) and ``pattern``;
        codes in codebook order, a code's own name before its synonyms.
    """
    book = study.codebook
    seen = {}
    for code, level, description in zip(book["code"], book["level"].fillna(""), book["description"].fillna("")):
        seen.setdefault(str(code), (str(level), str(description)))
    for code, level in zip(study.codings["code"], study.codings["level"].fillna("")):
        seen.setdefault(str(code), (str(level), ""))
    out = []
    for code, (level, description) in seen.items():
        phrases = [code]
        m = _SYNONYMS.search(description)
        if m:
            phrases += [p.strip().strip("\"“”'‘’") for p in re.split(r"[;,]|\bor\b", m.group("list")) if p.strip()]
        for phrase in dict.fromkeys(phrases):
            words = re.findall(r"[^\W_]+", fold(unicodedata.normalize("NFC", phrase)))  # as the draft is read
            if words:
                body = r"\W+".join(re.escape(w) + r"(?:s|es|'s)?" for w in words)
                out.append(CodeName(code, level, phrase, re.compile(rf"(?<![^\W_]){body}(?![^\W_])")))
    return out


def find_code(text: str, names: list[CodeName]) -> tuple[CodeName | None, list[str]]:
    """The code a piece of text names: the longest name found, and every code named there.

    Parameters
    ----------
    text : str
        A sentence, clause or heading (folded before matching).
    names : list of CodeName
        The patterns of ``code_names``.

    Returns
    -------
    tuple of (CodeName or None, list of str)
        The name with the longest phrase (ties by code) and the codes of every
        name found, sorted; ``(None, [])`` when none is found.
    """
    folded = fold(text)
    hits = [n for n in names if n.pattern.search(folded)]
    if not hits:
        return None, []
    hits.sort(key=lambda n: (-len(n.phrase), n.code))
    return hits[0], sorted({h.code for h in hits})


def find_claims(draft: Draft, names: list[CodeName]) -> list[dict]:
    """Every quantifying claim of a draft's prose with the code it is about (not yet checked).

    Prose is every paragraph but headings and block quotations, with text in
    quotation marks blanked. A claim is a quantifier about participants (module
    docstring; a bare "N participants" only for N >= 2). Its code is the one
    named in the claim's clause, else in its sentence, else under the nearest
    heading above that names a code (see ``find_code``).

    Parameters
    ----------
    draft : Draft
        A draft read by ``drafts.read_draft``.
    names : list of CodeName
        The patterns of ``code_names``.

    Returns
    -------
    list of dict
        One per claim, in reading order: ``draft``, ``paragraph`` (number),
        ``line`` (file line or None), ``location``, ``sentence``, ``claim``
        (the quantifier as read, folded), ``word`` (canonical: "all", "most",
        "n of m", "n" …), ``claimed_n`` and ``claimed_of`` (numbers for "N" and
        "N of M", else None), ``code`` and ``level`` ('' when none),
        ``code_from`` ("sentence", "heading" or ''), ``codes_named`` (codes
        named, "; "-separated).
    """
    out = []
    headings: list[tuple[int, CodeName | None]] = []  # the headings a sentence sits under, outermost first
    for block in draft.blocks:
        if block.heading:
            headings = [h for h in headings if h[0] < block.heading] + [(block.heading, find_code(block.text, names)[0])]
            continue
        if block.quote_block:
            continue
        heading_code = next((c for _, c in reversed(headings) if c is not None), None)
        # quotations are participants' words, not claims: blanked over the whole paragraph,
        # as a quotation may hold several sentences
        blanked = _DOUBLE.sub(lambda m: " " * len(m.group(0)), block.text)
        blanked = _SINGLE.sub(lambda m: " " * len(m.group(0)), blanked)
        for offset, sentence in sentences(block):
            prose = blanked[offset:offset + len(sentence)]
            for at, word, phrase, n, m in _quantifiers(fold(prose)):
                # the code named in the claim's own clause, else in the sentence, else the heading
                code, named = find_code(_clause(prose, at), names)
                if code is None:
                    code, named = find_code(prose, names)
                source = "sentence"
                if code is None and heading_code is not None:
                    code, named, source = heading_code, [heading_code.code], "heading"
                out.append({"draft": draft.name, "paragraph": block.number, "line": block.line_at(offset),
                            "location": block.location(offset), "sentence": sentence, "claim": phrase,
                            "word": word, "claimed_n": n, "claimed_of": m,
                            "code": code.code if code else "", "level": code.level if code else "",
                            "code_from": source if code else "", "codes_named": "; ".join(named)})
    return out


def _quantifiers(text: str) -> list[tuple[str, str, int | None, int | None]]:
    taken: list[tuple[int, int]] = []
    found = []
    for word, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            groups = m.groupdict()
            n = _number(groups.get("n"))
            total = _number(groups.get("m"))
            if word == "n" and (n is None or n < 2):
                continue
            taken.append((m.start(), m.end()))
            found.append((m.start(), word, m.group(0), n, total))
    return sorted(found)


_CLAUSE_BREAK = re.compile(r";|:|,\s+(?=(?:and|but|while|whereas|yet|although|though)\b)|\s+(?=(?:but|whereas|while)\s)")


def _clause(text: str, at: int) -> str:
    """The clause of ``text`` holding position ``at`` (clauses end at ';', ':' and ', and'/'but'…)."""
    start, end = 0, len(text)
    for m in _CLAUSE_BREAK.finditer(text):
        if m.end() <= at:
            start = m.end()
        elif m.start() > at:
            end = m.start()
            break
    return text[start:end]


def _number(value: str | None) -> int | None:
    if value is None:
        return None
    return int(value) if value.isdigit() else _NUMBERS.get(value)


def check_claims(study, claims: list[dict], words: dict[str, dict], label: pd.Series) -> pd.DataFrame:
    """Each claim with its evidence and verdict: 'supported', 'not supported' or 'not checkable'.

    Parameters
    ----------
    study : Study
    claims : rows from ``find_claims``.
    words : the word → bounds mapping (``claim_words``).
    label : participant_id → pseudonym.

    Returns
    -------
    DataFrame, one row per claim: the claim's columns plus ``rule``, ``n_with``
    (participants with the code), ``n_participants`` (all participants),
    ``share`` (0–1), ``verdict``, ``participants_without`` and
    ``participants_with`` (pseudonyms, '; '-separated).
    """
    participants = [str(p) for p in study.participants["participant_id"]]
    matrices: dict[str, pd.DataFrame] = {}
    rows = []
    for claim in claims:
        row = dict(claim)
        word = claim["word"]
        if word in ("n of m", "n"):
            bounds = {"min": claim["claimed_n"], "max": claim["claimed_n"]}
        else:
            bounds = words[word]
        row["rule"] = rule_text(word if word not in ("n of m", "n") else "N", bounds)
        row.update({"n_with": None, "n_participants": len(participants), "share": None,
                    "participants_without": "", "participants_with": ""})
        subgroup = _SUBGROUP.search(claim["claim"])
        if subgroup:  # the share would be of a group the draft names, not of every participant
            row["verdict"] = "not checkable"
            row["reason"] = (f"about a group ('{subgroup.group(0)}'), not all participants: compare by attribute "
                             "in the themes notebook, or name the participants")
            rows.append(row)
            continue
        if not claim["code"]:
            row["verdict"], row["reason"] = "not checkable", "no code named in the sentence or a heading above"
            rows.append(row)
            continue
        level = claim["level"] if claim["level"] in study.levels else None
        key = level or ""
        if key not in matrices:
            import helpers
            matrices[key] = helpers.theme_matrix(study, level=level, value="presence")
        matrix = matrices[key]
        have = set()
        if claim["code"] in matrix.columns:
            column = matrix[claim["code"]]
            have = {str(p) for p, v in column.items() if v > 0}
        everyone = list(dict.fromkeys(participants + sorted(have)))
        n, total = len(have), len(everyone)
        row.update({"n_with": n, "n_participants": total, "share": round(n / total, 3) if total else None,
                    "participants_with": "; ".join(str(label.get(p, p)) for p in everyone if p in have),
                    "participants_without": "; ".join(str(label.get(p, p)) for p in everyone if p not in have)})
        ok = holds(bounds, n, total)
        reason = f"{n} of {total} participants have '{claim['code']}'"
        if word == "n of m" and claim["claimed_of"] not in (None, total):
            ok = False
            reason += f"; the draft says {claim['claimed_of']} participants, the study has {total}"
        if not ok and have and word in ("none", "one", "a few", "n", "n of m"):
            reason += f" ({row['participants_with']})"  # for a claim about few, who does have it
        row["verdict"], row["reason"] = ("supported" if ok else "not supported"), reason
        rows.append(row)
    columns = ["draft", "location", "paragraph", "line", "sentence", "claim", "word", "rule", "code", "level",
               "code_from", "codes_named", "n_with", "n_participants", "share", "verdict", "reason",
               "participants_without", "participants_with", "claimed_n", "claimed_of"]
    table = pd.DataFrame(rows, columns=columns)
    for column in ("n_with", "claimed_n", "claimed_of", "line"):
        table[column] = table[column].astype("Int64")
    return table
