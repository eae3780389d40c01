"""Consistency of a write-up's quotations (issue 17, item 2), and the participant names a
draft may use.

- **Names**: a participant's id (``P3`` = ``P03``, "Participant 3"), pseudonym and any
  ``alias``/``aliases`` column of participants.csv (spellings separated by ``;``), all
  compared normalised (NFC, case, apostrophe and dash variants).
- **Consistency**: the same quotation (same words, or the same passage found) attributed
  to different participants; one participant named in more than one way, in attributions
  or in the prose; a quotation holding a redaction term or a possible identifier (the
  identifier scan of ``cleaning``, whose rule this keeps: the tables never hold the
  identifier, only its placeholder or kind); quotes per participant.
"""
from __future__ import annotations

import re
import unicodedata

import pandas as pd

from helpers.analysis import drafts as drafts_mod
from helpers.ingest.quotes import word_tokens

CONSISTENCY_COLUMNS = ["check", "draft", "location", "participants", "detail"]
VOICE_COLUMNS = ["participant_id", "name", "n_quotes", "share"]

# -- participants ------------------------------------------------------------------------

def _key(name: str) -> str:
    text = unicodedata.normalize("NFC", str(name)).casefold()
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "–": "-", "—": "-", "‐": "-"}))
    return " ".join(text.replace(".", " ").split())


_ID_FORM = re.compile(r"^(?:participant\s+|([a-z]+)\s*-?\s*)0*(\d+)$")


def _id_form(key: str) -> str | None:
    """'p03', 'p3', 'participant 3' -> 'p#3' (an id's letters and number)."""
    m = _ID_FORM.match(key)
    if not m:
        return None
    return f"{m.group(1) or 'p'}#{int(m.group(2))}"


class Names:
    """Participant names as a draft may write them -> participant_id."""

    def __init__(self, participants: pd.DataFrame):
        self.by_key: dict[str, tuple[str, str]] = {}  # key -> (participant_id, how: id|pseudonym|alias)
        self.label: dict[str, str] = {}
        alias_cols = [c for c in participants.columns if str(c).lower() in ("alias", "aliases")]
        for row in participants.itertuples(index=False):
            pid = str(row.participant_id)
            pseudonym = getattr(row, "pseudonym", None) if "pseudonym" in participants.columns else None
            self.label[pid] = str(pseudonym) if pseudonym is not None and not pd.isna(pseudonym) else pid
            self._add(pid, pid, "id")
            if pseudonym is not None and not pd.isna(pseudonym):
                self._add(str(pseudonym), pid, "pseudonym")
            for col in alias_cols:
                value = participants.loc[participants["participant_id"] == row.participant_id, col].iloc[0]
                if value is not None and not pd.isna(value):
                    for alias in re.split(r"[;|]", str(value)):
                        if alias.strip():
                            self._add(alias.strip(), pid, "alias")

    def _add(self, name: str, pid: str, how: str) -> None:
        key = _key(name)
        self.by_key.setdefault(key, (pid, how))
        form = _id_form(key)
        if how == "id" and form:
            self.by_key.setdefault(form, (pid, how))

    def resolve(self, attribution: str) -> tuple[str | None, str, str]:
        """(participant_id or None, the name form used, how it resolved) of an attribution."""
        for part in re.split(r"[,;/]|\s+and\s+", attribution):
            key = _key(part)
            if not key:
                continue
            found = self.by_key.get(key) or self.by_key.get(_id_form(key) or "")
            if found is None and " " in key:  # "Aisha line 12", "Aisha (24)", "Aisha's mother"
                first = re.sub(r"'s$", "", key.split()[0])
                found = self.by_key.get(first)
                key = first if found else key
            if found:
                written = " ".join(part.split()[:len(key.split())])
                return found[0], written, found[1]
        return None, "", ""



class _Doc:
    """What the matcher needs of a document: its clean text and its turns."""

    def __init__(self, doc_id: str, text: str, segments: pd.DataFrame):
        self.doc_id, self.text, self.segments = doc_id, text, segments


# -- consistency ------------------------------------------------------------------------------

def _leaks(rows: list[dict], raw_quotes: list[drafts_mod.Quotation], study, redactor, names: Names) -> None:
    """Fill each row's ``leak``: placeholders of redaction terms in the quotation or its
    attribution, and kinds of possible identifiers the identifier scan flags in it."""
    from helpers.ingest.identifiers import identifier_hash, mask_all, scan_identifiers

    for row, q in zip(rows, raw_quotes):
        row["leak"] = "; ".join(redactor.found_in(q.text + " \n " + q.attribution))
    # The scan's "also written lower-case in the study" rule needs the study's words:
    # one document carrying them, with no turns of its own to flag.
    study_words = _Doc("study", "\n".join(study.text(d) for d in study.documents["doc_id"]),
                       _turns([]))
    turns = _turns([r["quote"] for r in rows])
    quotes_doc = _Doc("draft", "\n".join(turns["text"]), turns)
    found = scan_identifiers([study_words, quotes_doc], redactor.placeholders)
    # the scan's hash is keyed by the texts it scanned: the same key finds the hits again
    fingerprint = identifier_hash([study_words, quotes_doc])
    # a participant's pseudonym, alias or id in a quotation is not a leak
    known = {fingerprint(k) for key in names.by_key
             for k in (key, key + "'s", key + "’s")}
    hits: dict[int, list] = {}
    for hit in found[(found["doc_id"] == "draft") & ~found["hash"].isin(known)].itertuples(index=False):
        row = rows[int(hit.seg_no)]
        if row["verdict"] == "not checked":
            continue
        mark = f"{hit.kind}: {hit.masked_context}"
        row["leak"] = "; ".join(x for x in (row["leak"], mark) if x)
        span = _span_of(row["quote"], hit.hash, int(hit.length), fingerprint)
        if span is not None:
            hits.setdefault(int(hit.seg_no), []).append((*span, hit.kind))
    # the scan's own rule: its tables never hold the identifier, so neither does ours
    for i, spans in hits.items():
        rows[i]["quote"] = mask_all(rows[i]["quote"], spans)[0]


def _turns(texts: list[str]) -> pd.DataFrame:
    """Turns as the identifier scan reads them: no speaker label of their own to scan."""
    return pd.DataFrame({"seg_no": range(len(texts)), "text": texts, "speaker": "", "speaker_role": "participant",
                         "participant_id": None}, columns=["seg_no", "text", "speaker", "speaker_role", "participant_id"])


def _span_of(text: str, digest: str, length: int, fingerprint) -> tuple[int, int] | None:
    """Where in ``text`` the identifier with this scan hash (``fingerprint``, the scan's
    ``identifier_hash``) sits."""
    for at in range(len(text) - length + 1):
        if fingerprint(text[at:at + length]) == digest:
            return at, at + length
    return None


_CAPITALISED = re.compile(r"(?<![\w'’])[A-Z][\w'’-]*")


def prose_mentions(read, names: Names, redact) -> pd.DataFrame:
    """The participants named in the drafts' prose, as written: for the two-names check.

    Prose is every paragraph but block quotations, with inline quotations
    blanked. A capitalised word, or two capitalised words separated by one
    space (tried first), names a participant when it is one of the spellings
    of ``names`` (id, pseudonym, alias; a possessive 's dropped).

    Parameters
    ----------
    read : list of Draft
        The drafts read (``drafts.read_draft``).
    names : Names
        The participant names a draft may use.
    redact : callable
        The study's Redactor: str -> str, applied to the draft's name and the
        spelling.

    Returns
    -------
    DataFrame
        One row per mention, in reading order (RangeIndex): ``draft``,
        ``location`` ("paragraph N[, line L]"), ``paragraph`` (number),
        ``attributed_participant`` (participant id), ``_form`` (the spelling).
    """
    from helpers.analysis.drafts import _DOUBLE, _SINGLE

    rows = []
    for draft in read:
        for block in draft.blocks:
            if block.quote_block:
                continue
            text = _SINGLE.sub(lambda m: " " * len(m.group(0)), _DOUBLE.sub(lambda m: " " * len(m.group(0)), block.text))
            words = list(_CAPITALISED.finditer(text))
            skip_next = False
            for i, m in enumerate(words):
                if skip_next:
                    skip_next = False
                    continue
                pair = (f"{m.group(0)} {words[i + 1].group(0)}"
                        if i + 1 < len(words) and text[m.end():words[i + 1].start()] == " " else None)
                for written in [pair, m.group(0)] if pair else [m.group(0)]:
                    bare = re.sub(r"['’]s$", "", written)
                    key = _key(bare)
                    found = names.by_key.get(key) or names.by_key.get(_id_form(key) or "")
                    if found:
                        rows.append({"draft": redact(draft.name), "location": block.location(m.start()),
                                     "paragraph": block.number, "attributed_participant": found[0],
                                     "_form": redact(bare)})
                        skip_next = written is pair
                        break
    return pd.DataFrame(rows, columns=["draft", "location", "paragraph", "attributed_participant", "_form"])


def consistency(quotes: pd.DataFrame, names: Names, mentions: pd.DataFrame | None = None) -> pd.DataFrame:
    """The consistency findings of a draft audit (see the module docstring).

    Quotations not checked (terms) are left out. Three checks:

    - "same quote, different participants": attributed quotations with the
      same words (as the matcher reads them) or found at the same passage
      (document and first turn), attributed to more than one participant;
    - "one participant, two names": a participant written in more than one
      way (spellings compared normalised) in attributions and, when given,
      in ``mentions``; the locations of the less used spellings are listed;
    - "leak in a quotation": a quotation whose ``leak`` is not empty.

    Parameters
    ----------
    quotes : DataFrame
        The quotes table of ``audit_draft`` (rows of ``check_quote``, with
        ``leak`` filled and the ``_form`` column).
    names : Names
        The participant names (for the labels shown).
    mentions : DataFrame or None
        Names in the prose (``prose_mentions``); None: attributions only.

    Returns
    -------
    DataFrame
        One row per finding, in the order of the checks above (RangeIndex):
        columns ``CONSISTENCY_COLUMNS`` = ``check``, ``draft``, ``location``,
        ``participants`` (pseudonyms, "; "-separated), ``detail``.
    """
    rows = []
    checked = quotes[quotes["verdict"] != "not checked"]
    attributed = checked[checked["attributed_participant"] != ""]
    key = attributed["quote"].map(lambda t: " ".join(w for w, _, _ in word_tokens(t, frozenset())))
    place = [f"{d}:{int(f)}" if d and not pd.isna(f) else ""
             for d, f in zip(attributed["doc_id"], attributed["seg_first"])]
    groups: dict[str, set] = {}
    for k, p, i in zip(key, place, attributed.index):  # same words, or the same passage found
        groups.setdefault(f"text:{k}", set()).add(i)
        if p:
            groups.setdefault(f"at:{p}", set()).add(i)
    reported: set[frozenset] = set()
    for members in groups.values():
        group = attributed.loc[sorted(members)]
        pids = sorted(set(group["attributed_participant"]))
        if len(pids) > 1 and frozenset(members) not in reported:
            reported.add(frozenset(members))
            rows.append({"check": "same quote, different participants", "draft": "; ".join(sorted(set(group["draft"]))),
                         "location": "; ".join(group["location"]),
                         "participants": "; ".join(names.label.get(p, p) for p in pids),
                         "detail": f"“{group['quote'].iloc[0][:80]}” attributed to {len(pids)} participants"})
    named = attributed[["draft", "location", "paragraph", "attributed_participant", "_form"]]
    if mentions is not None and len(mentions):
        named = pd.concat([named, mentions], ignore_index=True)
        # an attribution "(P03)" is also a capitalised word of its paragraph: count it once
        named = named.assign(_k=named["_form"].map(_key)).drop_duplicates(
            ["draft", "paragraph", "attributed_participant", "_k"]).drop(columns="_k")
    for pid, group in named.groupby("attributed_participant"):
        places: dict[str, list[str]] = {}   # form (by key) -> locations
        written: dict[str, str] = {}
        for form, location in zip(group["_form"], group["location"]):
            if form:  # "Aisha" and "aisha" are one form
                written.setdefault(_key(form), form)
                if location not in places.setdefault(_key(form), []):
                    places[_key(form)].append(location)
        if len(places) > 1:
            # the form used most is the participant's name in this draft; the others are where to look
            counts = sorted((len(v) for v in places.values()), reverse=True)
            usual = max(sorted(places), key=lambda k: len(places[k])) if counts[0] > counts[1] else None
            odd = [loc for k in sorted(places) if k != usual for loc in places[k]]
            rows.append({"check": "one participant, two names", "draft": "; ".join(sorted(set(group["draft"]))),
                         "location": "; ".join(odd), "participants": names.label.get(pid, pid),
                         "detail": "written as " + ", ".join(
                             f"'{written[k]}' ({len(places[k])} place{'s' if len(places[k]) > 1 else ''})"
                             if k == usual else f"'{written[k]}' ({'; '.join(places[k])})" for k in sorted(places))})
    for row in checked[checked["leak"] != ""].itertuples(index=False):
        rows.append({"check": "leak in a quotation", "draft": row.draft, "location": row.location,
                     "participants": row.attributed_name, "detail": row.leak})
    return pd.DataFrame(rows, columns=CONSISTENCY_COLUMNS)


def voices(quotes: pd.DataFrame, names: Names) -> pd.DataFrame:
    """Quotes per participant: by the attributed participant, else the speaker found.

    Quotations not checked (terms) are left out, as are those with neither an
    attributed participant nor a participant found speaking them.

    Parameters
    ----------
    quotes : DataFrame
        The quotes table of ``audit_draft`` (``verdict``,
        ``attributed_participant``, ``speaker_participant``).
    names : Names
        The study's participants (every one gets a row) and their labels.

    Returns
    -------
    DataFrame
        One row per participant of the study, never-quoted ones with 0
        (RangeIndex), columns ``VOICE_COLUMNS`` = ``participant_id``, ``name``
        (pseudonym, else the id), ``n_quotes`` (count), ``share`` (of the
        quotes counted, 0-1, 3 decimals; 0.0 when none is). Sorted by
        n_quotes (descending), then participant_id.
    """
    checked = quotes[quotes["verdict"] != "not checked"]
    who = checked["attributed_participant"].where(checked["attributed_participant"] != "",
                                                  checked["speaker_participant"])
    counts = who[who != ""].value_counts()
    total = int(counts.sum())
    rows = [{"participant_id": p, "name": names.label.get(p, p), "n_quotes": int(counts.get(p, 0)),
             "share": round(counts.get(p, 0) / total, 3) if total else 0.0} for p in names.label]
    frame = pd.DataFrame(rows, columns=VOICE_COLUMNS)
    return frame.sort_values(["n_quotes", "participant_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
