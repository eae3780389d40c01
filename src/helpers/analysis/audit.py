"""Check a write-up draft against the evidence (issue 17).

``audit_draft(study, drafts)`` reads each draft (``helpers.analysis.drafts``), then:

1. **Quotes.** Each quotation is looked up in every document's clean text with
   the quote sheets' own matcher (``helpers.ingest.quotes.find_quote``: exact after
   normalising case, punctuation, fillers, ``[annotations]`` and elisions;
   else fuzzy at or above ``quote_match_threshold``). The best match wins:
   exact before fuzzy, then the higher similarity, then the attributed
   participant's turn, then document order; participants' turns are searched
   first, every turn only when no participant said it (so that an interviewer
   echoing a participant's words hides nothing). Verdicts:

   - ``verbatim``: found exactly (the matcher's normalisations aside) in the
     attributed participant's turn (or, unattributed, in a participant's turn);
   - ``edited``: found only fuzzily there; ``differences`` shows the words
     changed, ``[-removed-] {+added+}``;
   - ``misattributed``: found in another participant's turn;
   - ``interviewer's words``: found in an interviewer's or facilitator's turn;
   - ``not found``: below the threshold everywhere (``similarity`` is the best seen);
   - ``not checked``: a short unattributed phrase in quotation marks (a term,
     not a participant's words).

   Attributions resolve through participants.csv: the participant id (``P3``
   = ``P03``; "Participant 3" too), the ``pseudonym`` column and any column
   named ``alias`` or ``aliases`` (several spellings separated by ``;``).
2. **Consistency** (``helpers.analysis.audit_consistency``). One quote attributed to different participants; one
   participant named in more than one way; a quotation holding a redaction term
   or a possible identifier (the identifier scan of cleaning); quotes per
   participant, with those never quoted.
3. **Claims.** See ``helpers.analysis.claims``.

Nothing from the draft reaches an output unredacted: quotations, attributions
and sentences pass through the study's redactions first, and a leak is named by
its placeholder or identifier kind only.
"""
from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.analysis import claims as claims_mod
from helpers.analysis import drafts as drafts_mod
from helpers.analysis.audit_consistency import (
    Names,
    _Doc,
    _leaks,
    consistency,
    prose_mentions,
    voices,
)
from helpers.ingest.quotes import DocumentIndex, closest_passage, find_quote, miss_note, word_tokens
from helpers.study import Study
from helpers.textutil import plural

NOT_SUPPORTED_MEANS = ("Coded evidence can be incomplete. “Not supported” means that your coding does not show "
                       "the claim, not that the claim is false: a participant may have said it in words nobody "
                       "coded, or in a passage coded elsewhere. Likewise “not found” means the quotation is not "
                       "in the study's transcripts as they stand, after redaction and cleaning.")
QUOTE_COLUMNS = ["draft", "location", "paragraph", "kind", "quote", "attribution", "attributed_participant",
                 "attributed_name", "verdict", "found", "match", "similarity", "doc_id", "seg_first", "seg_last",
                 "speaker_participant", "speaker_name", "speaker_role", "differences", "leak", "note"]


@dataclass
class DraftAudit:
    """The audit of one or more drafts: four tables and the rules stated."""
    drafts: list[str]
    quotes: pd.DataFrame
    consistency: pd.DataFrame
    voices: pd.DataFrame
    claims: pd.DataFrame
    words: dict = field(default_factory=dict)
    threshold: float = 0.9
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """Counts of each verdict and finding, for the terminal and the page."""
        out = {f"quotes {k}": int(v) for k, v in self.quotes["verdict"].value_counts().sort_index().items()}
        out.update({f"claims {k}": int(v) for k, v in self.claims["verdict"].value_counts().sort_index().items()})
        out.update({k: int(v) for k, v in self.consistency["check"].value_counts().sort_index().items()})
        return out

# -- quotes ---------------------------------------------------------------------------------

def _indexes(study, fillers, participants_only: bool = False) -> dict[str, DocumentIndex]:
    """doc_id -> the matcher's index of its turns (only the participants' turns when asked)."""
    segs = study.segments.sort_values(["doc_id", "seg_no"], kind="stable")
    if participants_only:
        segs = segs[segs["speaker_role"] == "participant"]
    out = {}
    for doc_id, turns in segs.groupby("doc_id", sort=False):
        text = study.text(doc_id)
        if participants_only:
            # The matcher also searches the whole text (quotes over turn boundaries): blank
            # everything but the participants' turns, keeping every offset where it is.
            kept = [" "] * len(text)
            for start, end in zip(turns["start"], turns["end"]):
                kept[int(start):int(end)] = text[int(start):int(end)]
            text = "".join(kept)
        out[str(doc_id)] = DocumentIndex(_Doc(str(doc_id), text, turns.reset_index(drop=True)), fillers)
    return out


def _speaker(study_turns: pd.DataFrame, first, last) -> tuple[str | None, str]:
    """(participant_id, role) of the turns first..last: the first participant turn, else the first turn."""
    turns = study_turns[(study_turns["seg_no"] >= first) & (study_turns["seg_no"] <= last)]
    if turns.empty:
        return None, "other"
    part = turns[turns["speaker_role"] == "participant"]
    row = part.iloc[0] if len(part) else turns.iloc[0]
    pid = row["participant_id"]
    role = str(row["speaker_role"])
    # an interviewer's turn carries the interview's participant_id: not the speaker
    return (None if pd.isna(pid) or role != "participant" else str(pid)), role


def index_of(indexes, doc_id: str) -> DocumentIndex:
    """The matcher's index of every turn of a document.

    Parameters
    ----------
    indexes : sequence of dict of str to DocumentIndex
        The passes of ``check_quote`` (participants' turns only, every turn):
        the last is read.
    doc_id : str
        The document.

    Returns
    -------
    DocumentIndex
        ``indexes[-1][doc_id]``.

    Raises
    ------
    KeyError
        The last pass has no such document.
    """
    return indexes[-1][doc_id]


def differences(quote: str, source: str, fillers) -> str:
    """Word-by-word differences, draft against source: ``[-draft word-] {+source word+}``.

    Words are compared as the matcher compares them (case, punctuation and
    fillers aside, ``quotes.word_tokens``) with ``difflib.SequenceMatcher``;
    source words before the quote's first and after its last are left out
    (``source`` may be the whole turn).

    Parameters
    ----------
    quote : str
        The quotation as the draft gives it (redacted).
    source : str
        The transcript text it was found in (the turn or turns).
    fillers : frozenset of str
        Lower-cased fillers left out of the comparison.

    Returns
    -------
    str
        The quote's words as written, with each changed run shown as
        ``[-draft words-]`` and/or ``{+source words+}``, joined by spaces;
        '' when the words agree.
    """
    a = word_tokens(quote, fillers)
    b = word_tokens(source, fillers)
    matcher = difflib.SequenceMatcher(a=[w for w, _, _ in a], b=[w for w, _, _ in b], autojunk=False)
    ops = matcher.get_opcodes()
    while ops and ops[0][0] == "insert":  # the turn's words before the quote
        ops = ops[1:]
    while ops and ops[-1][0] == "insert":  # and after it
        ops = ops[:-1]
    out, changed = [], False
    for op, i1, i2, j1, j2 in ops:
        if op == "equal":
            out.append(" ".join(quote[s:e] for _, s, e in a[i1:i2]))
            continue
        changed = True
        if i2 > i1:
            out.append("[-" + " ".join(quote[s:e] for _, s, e in a[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + " ".join(source[s:e] for _, s, e in b[j1:j2]) + "+}")
    return " ".join(out) if changed else ""


def check_quote(q: drafts_mod.Quotation, study, indexes, names: Names, redact, fillers, threshold) -> dict:
    """Look one quotation up in the transcripts and give its row of the quotes table.

    The quote is searched with ``quotes.find_quote`` in the participants' turns
    first, in every turn only when no participant said it; the best match wins
    (exact before fuzzy, higher similarity, the attributed participant's turn,
    document order). Verdicts as in the module docstring: verbatim, edited,
    misattributed, interviewer's words, not found, not checked. An attribution
    by a verb ("said the worker") that names no participant is dropped (and a
    short quotation then becomes a term, not checked).

    Parameters
    ----------
    q : Quotation
        A quotation of ``drafts.quotations``.
    study : Study
        The study (its clean texts).
    indexes : tuple of (dict of str to DocumentIndex, dict of str to DocumentIndex)
        The matcher's indexes per ``doc_id``: participants' turns only, then
        every turn.
    names : Names
        The participant names a draft may use (attributions resolved with it).
    redact : callable
        The study's Redactor: str -> str, applied to every text of the draft
        that reaches the row.
    fillers : frozenset of str
        Lower-cased fillers the matcher ignores.
    threshold : float
        Lowest fuzzy similarity (0-1) that counts as found.

    Returns
    -------
    dict
        One row: the keys of ``QUOTE_COLUMNS`` but ``found`` (``draft``,
        ``location``, ``paragraph``, ``kind``, ``quote``, ``attribution``,
        ``attributed_participant``, ``attributed_name``, ``verdict``, ``match``
        (exact, elided or fuzzy; "none" not found, '' not checked),
        ``similarity`` (0-1, 3 decimals),
        ``doc_id``, ``seg_first``, ``seg_last`` (turn numbers or None),
        ``speaker_participant``, ``speaker_name``, ``speaker_role``,
        ``differences``, ``leak`` ('' here), ``note``) plus ``_form`` (the
        attribution's spelling, redacted).
    """
    pid, form, how = names.resolve(q.attribution) if q.attribution else (None, "", "")
    if q.by_verb and pid is None:  # "the worker said: …" names nobody: no attribution
        short = len(re.findall(r"\w+", q.text)) < drafts_mod.MIN_QUOTE_WORDS
        q = drafts_mod.Quotation(q.draft, q.block, q.location, "term" if short else q.kind, q.text, "",
                                 start=q.start, end=q.end)
    row = {"draft": redact(q.draft), "location": q.location, "paragraph": q.block, "kind": q.kind,
           "quote": redact(q.text), "attribution": redact(q.attribution), "attributed_participant": pid or "",
           "attributed_name": names.label.get(pid, "") if pid else "", "match": "", "similarity": 0.0,
           "doc_id": "", "seg_first": None, "seg_last": None, "speaker_participant": "", "speaker_name": "",
           "speaker_role": "", "differences": "", "leak": "", "note": "", "_form": redact(form)}
    notes = []
    if q.attribution and pid is None:
        notes.append("attribution not recognised as a participant (add the spelling to an 'alias' column "
                     "of participants.csv if it is one)")
    elif how == "alias":
        notes.append(f"'{redact(form)}' is an alias of {names.label.get(pid, pid)}")
    if q.kind == "term":
        row["verdict"] = "not checked"
        row["note"] = (f"fewer than {drafts_mod.MIN_QUOTE_WORDS} words in quotation marks, no attribution: "
                       "read as a term, not a participant's words")
        return row
    candidates = []
    best_miss = (0.0, "")
    # A draft quotes participants: their turns first (so that an interviewer echoing
    # their words hides nothing), every turn only when no participant said it.
    for pass_indexes in indexes:
        for order, (doc_id, index) in enumerate(pass_indexes.items()):
            match, near = find_quote(q.text, index, redact, fillers, threshold)
            if match is None:
                best_miss = max(best_miss, (near, doc_id))
                continue
            speaker, role = _speaker(index.doc.segments, match.seg_first, match.seg_last)
            exact = match.method in ("exact", "elided")
            candidates.append(((role != "participant", not exact, -match.score, speaker != pid if pid else False,
                                order), doc_id, match, speaker, role))
        if candidates:
            break
    if not candidates:
        row.update({"verdict": "not found", "similarity": round(best_miss[0], 3), "match": "none"})
        near = None
        if best_miss[1]:  # the turn too, so the writer can find and fix the quote (quotes.miss_note)
            doc_id = best_miss[1]
            index = next(ix[doc_id] for ix in indexes if doc_id in ix)
            found = closest_passage(q.text, index, redact, fillers)
            near = (doc_id, found) if found is not None else None
        notes.append(miss_note(near, threshold))
        row["note"] = "; ".join(notes)
        return row
    _, doc_id, match, speaker, role = min(candidates, key=lambda c: c[0])
    # Differences against the whole turn(s), the turn's words outside the quote trimmed:
    # exact whatever the edges of the fuzzy alignment.
    turns = index_of(indexes, doc_id).doc.segments
    turns = turns[(turns["seg_no"] >= match.seg_first) & (turns["seg_no"] <= match.seg_last)]
    source = study.text(doc_id)[int(turns["start"].min()):int(turns["end"].max())] if len(turns) else \
        study.text(doc_id)[match.start:match.end]
    row.update({"match": match.method, "similarity": round(match.score, 3), "doc_id": doc_id,
                "seg_first": match.seg_first, "seg_last": match.seg_last, "speaker_participant": speaker or "",
                "speaker_name": names.label.get(speaker, speaker or ""), "speaker_role": role,
                "differences": differences(redact(q.text), source, fillers) if match.method == "fuzzy" else ""})
    if match.method == "elided":
        notes.append("elision")
    if match.n_occurrences > 1:
        notes.append(f"found {match.n_occurrences} times in {doc_id}")
    if role == "participant" and not speaker:
        notes.append("the speaker of that turn is not a known participant")
    elif role == "other":
        notes.append("said by a speaker who is neither interviewer nor participant")
    if role == "interviewer":
        row["verdict"] = "interviewer's words"
        notes.append(f"{doc_id} turn {match.seg_first} is the interviewer's"
                     + (f", attributed to {names.label.get(pid, pid)}" if pid else ""))
    elif pid and (speaker != pid if speaker else role == "other"):
        row["verdict"] = "misattributed"
        said_by = names.label.get(speaker, speaker) if speaker else "a speaker who is not a participant"
        notes.append(f"attributed to {names.label.get(pid, pid)}, said by {said_by}")
    elif match.method == "fuzzy":
        row["verdict"] = "edited"
    else:
        row["verdict"] = "verbatim"
    if not q.attribution:
        notes.append("no attribution")
    row["note"] = "; ".join(notes)
    return row


# -- the audit ----------------------------------------------------------------------------------

def audit_draft(study: Study, drafts: Iterable[str | os.PathLike], threshold: float | None = None,
                words: dict | None = None) -> DraftAudit:
    """Audit write-up drafts against a study's evidence.

    Parameters
    ----------
    study : Study (``helpers.load_study``), with its ``config`` when loaded from a folder.
    drafts : paths of .docx, .md or .txt drafts.
    threshold : lowest fuzzy similarity (0–1) for a quote; default the study's ``quote_match_threshold``.
    words : claim word → bounds overrides; default study.yml ``claim_words``.

    Returns
    -------
    DraftAudit with ``quotes`` (one row per quotation, QUOTE_COLUMNS), ``consistency``
    (one row per finding), ``voices`` (one row per participant) and ``claims`` (one row
    per claim, see ``claims.check_claims``).

    Raises
    ------
    InputError
        A draft is missing or unreadable.
    """
    from helpers.ingest.cleaning import load_redactions

    config = study.config
    fillers = frozenset(f.lower() for f in (getattr(config, "fillers", None) or
                                             ["um", "umm", "uh", "er", "erm", "ah", "hmm", "mm"]))
    threshold = threshold if threshold is not None else getattr(config, "quote_match_threshold", 0.9)
    redactor = load_redactions(getattr(config, "redactions", None))
    words = claims_mod.claim_words(words if words is not None else getattr(config, "claim_words", None))
    names = Names(study.participants)
    read = [drafts_mod.read_draft(p) for p in drafts]
    indexes = (_indexes(study, fillers, participants_only=True), _indexes(study, fillers))
    raw_quotes = [q for d in read for q in drafts_mod.quotations(d)]
    rows = [check_quote(q, study, indexes, names, redactor, fillers, threshold) for q in raw_quotes]
    _leaks(rows, raw_quotes, study, redactor, names)
    quotes = pd.DataFrame(rows, columns=QUOTE_COLUMNS + ["_form"])
    quotes[["seg_first", "seg_last"]] = quotes[["seg_first", "seg_last"]].astype("Int64")  # turns, not 12.0
    quotes["found"] = quotes["doc_id"].fillna("") != ""
    found = [c for d in read for c in claims_mod.find_claims(d, claims_mod.code_names(study))]
    label = pd.Series(names.label)
    claim_table = claims_mod.check_claims(study, found, words, label)
    for column in ("sentence", "draft"):  # nothing from the draft leaves unredacted
        claim_table[column] = claim_table[column].map(redactor)
    audit = DraftAudit([redactor(d.name) for d in read], quotes.drop(columns="_form"), consistency(quotes, names, prose_mentions(read, names, redactor)),
                       voices(quotes, names), claim_table, words, threshold)
    audit.notes = _notes(audit, read)
    return audit


def _notes(audit: DraftAudit, read) -> list[str]:
    """The rules in force, stated (never silent)."""
    terms = int((audit.quotes["verdict"] == "not checked").sum())
    return [
        (f"Quotes matched with the quote sheets' matcher: exact after normalising case, punctuation, fillers, "
        f"[annotations] and elisions, else fuzzy at or above {audit.threshold:g}."),
        (f"{plural(terms, 'short phrase')} in quotation marks without an attribution (fewer than "
        f"{drafts_mod.MIN_QUOTE_WORDS} words) were read as terms and not checked."),
        "Quotes per participant count the attributed participant, else the speaker where the quote was found.",
        ("Attributions resolve through participants.csv (id, pseudonym, alias columns); a line or page number "
        "given in an attribution is shown but not checked: the quote is looked for in every document."),
        "Claims: a participant has a code when any passage at or below it is attributed to them; the share is "
        "of all participants of the study. Words mean: " + "; ".join(
            claims_mod.rule_text(w, b) for w, b in audit.words.items()) + " (change them under claim_words: in study.yml).",
        "Locations: paragraphs count the non-empty paragraphs of the draft from the top"
        + (", lines are the file's lines" if any(d.format != "docx" for d in read) else "")
        + "; Word files have no fixed pages, so none are given.",
        NOT_SUPPORTED_MEANS,
    ]


def write_tables(study, audit: DraftAudit) -> list[Path]:
    """Write the audit's four tables as CSV files in the study's processed ``tables/`` folder.

    Each is written atomically (``atomic.write_csv``: text cells made
    spreadsheet-safe), replacing an earlier audit's.

    Parameters
    ----------
    study : Study
        A study loaded from a folder (its ``paths.tables``).
    audit : DraftAudit
        The audit of ``audit_draft``.

    Returns
    -------
    list of Path
        ``draft_audit_quotes.csv``, ``draft_audit_claims.csv``,
        ``draft_audit_consistency.csv`` and ``draft_audit_voices.csv``, in
        that order.

    Raises
    ------
    AttributeError
        The study is held in memory (``study.paths`` is None).
    """
    from helpers import atomic

    folder = study.paths.tables
    out = []
    for name in ("quotes", "claims", "consistency", "voices"):
        target = folder / f"draft_audit_{name}.csv"
        atomic.write_csv(target, getattr(audit, name))
        out.append(target)
    return out
