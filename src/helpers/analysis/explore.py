"""Explore a study's coded turns: the plain functions behind the exploration
notebook, usable without widgets.

``Explorer(study)`` prepares, once, a turn table and one row per (coding,
turn it touches) for every level; each view is then a filter on those
frames (fast enough to call on every widget change: see bench/explore.py).

Counting rules
--------------
* **A turn carries a code** when a coding of it touches the turn: a coding
  touches turns ``seg_first`` .. ``seg_last`` of its document (DESIGN §4,
  unit ``segment``). With ``level`` given, codings are first rolled up to
  their ancestor at that level (``hierarchy.rollup``): a theme's turns are
  the turns of every code below it. ``level=None`` means codes as applied.
* **The coded span** shown in a turn is the part of the coding's
  ``start``..``end`` (character offsets into the clean text) inside the turn;
  a coding without offsets marks the whole turn. Spans of several codings of
  the code on one turn are merged.
* **Whose turn**: the turn's ``participant_id`` (segments), or the coding's
  when the segment names none. ``where`` filters on that participant's
  attributes (``study.participants``), comparing values as text.
* ``coder`` keeps only that coder's codings (a name or a list of names).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only (never run)
    from helpers.study import Study

import html
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from helpers.analysis.explore_turns import (
    KWIC_COLUMNS,
    MARK_A,
    MARK_B,
    MARK_BOTH,
    TURN_COLUMNS,
    _Corpus,
    _empty_turns,
    _level_note,
    _merged_spans,
    _relative_spans,
    _turn_list,
    _turn_table,
    highlight,
    highlight_two,
    kwic_in_segments,
)
from helpers.analysis.words import kwic as _shared_kwic
from helpers.counting import check_attribute, coding_turns, ordered_codes
from helpers.hierarchy import level_rank, rollup
from helpers.study import labels_of

# The public names, defined here or in explore_turns (turn table, spans, highlighting, KWIC);
# importable from this module as before the split.
__all__ = ["ALL", "AS_APPLIED", "KWIC_COLUMNS", "MARK_A", "MARK_B", "MARK_BOTH", "TURN_COLUMNS", "Explorer",
           "ExplorerWidgets", "SideBySide", "explorer_widgets", "highlight", "highlight_two", "kwic_in_segments"]


@dataclass
class _Coded:
    """One level's codings, one entry per (coding, turn it touches), as arrays:
    code, coder, participant (the turn's, else the coding's), order (the
    turn's position in document/turn order), span_from/span_to (offsets into
    the turn's text); ``positions`` maps a code to its entries."""

    coder: np.ndarray
    participant: np.ndarray
    order: np.ndarray
    span_from: np.ndarray
    span_to: np.ndarray
    positions: dict[str, np.ndarray]
    codes: list[str]


@dataclass
class SideBySide:
    """Turns carrying both codes, only A, only B (each as ``code_turns``
    returns them; ``both`` has ``coders_a``/``coders_b`` and
    ``spans_a``/``spans_b``)."""

    code_a: str
    code_b: str
    level: str | None
    both: pd.DataFrame
    only_a: pd.DataFrame
    only_b: pd.DataFrame

    @property
    def counts(self) -> pd.Series:
        return pd.Series({"both": len(self.both), "only_a": len(self.only_a), "only_b": len(self.only_b)},
                         name="turns")


class Explorer:
    """Prepared views of one study (see the module's counting rules).

    Parameters
    ----------
    study : Study
        A loaded study (``helpers.load_study``, or ``Study.from_tables`` in tests).
    """

    def __init__(self, study: Study):
        self.study = study
        self.turns = _turn_table(study)
        # Turns in document and turn order: a view lists turns by this rank.
        self._by_rank = np.lexsort((self.turns["seg_no"].to_numpy(), self.turns["doc_id"].to_numpy()))
        self._rank = np.empty(len(self.turns), dtype="int64")
        self._rank[self._by_rank] = np.arange(len(self.turns))
        self._text = self.turns["text"].to_numpy(dtype=object)
        self._row_of = pd.Series(np.arange(len(self.turns)), index=pd.MultiIndex.from_arrays(
            [self.turns["doc_id"].astype(str), self.turns["seg_no"]]))
        people = study.participants.assign(participant_id=study.participants["participant_id"].astype(str))
        self.participants = people.drop_duplicates("participant_id").set_index("participant_id")
        self._coded: dict[str | None, _Coded] = {}
        for level in self.levels():
            self._coded[level] = self._prepare(level)
        self._corpus = _Corpus(self.turns)

    # -- what there is to choose from ------------------------------------
    def levels(self) -> list[str | None]:
        """None (codes as applied), then the codebook's named levels, most specific first."""
        named = {str(lv) for lv in self.study.codebook["level"].dropna() if str(lv)}
        return [None] + sorted(named, key=lambda lv: (level_rank(lv, self.study.levels), lv))

    def codes(self, level: str | None = None) -> list[str]:
        """Codes some coding carries at ``level``: codebook order, then the rest by name."""
        return list(self._level(level).codes)

    def coders(self) -> list[str]:
        return self.study.coders()

    def attribute_values(self) -> dict[str, list[str]]:
        """Participant attribute -> its distinct values (as text, sorted)."""
        out = {}
        for attr in self.participants.columns:
            if attr == "pseudonym":
                continue
            values = self.participants[attr].dropna().astype(str)
            out[attr] = sorted(set(values))
        return out

    # -- views --------------------------------------------------------------
    def code_turns(self, code: str, level: str | None = None, coder=None, where: dict | None = None) -> pd.DataFrame:
        """The turns carrying ``code`` (module rules), in document and turn order.

        Columns: doc_id, seg_no, participant_id, pseudonym, speaker_role, code,
        coders (comma-separated, sorted), n_codings (codings of the code
        touching the turn), text, spans ((start, end) pairs into ``text``) and
        coded_text (the spans' text joined by ' … ').
        """
        return self._carrying(code, level, coder, where).drop(columns="order")

    def code_turns_html(self, code: str, level: str | None = None, coder=None, where: dict | None = None,
                        limit: int | None = None) -> str:
        """``code_turns`` as HTML: every piece of transcript text escaped, the
        coded span in ``<mark>``; at most ``limit`` turns shown."""
        found = self.code_turns(code, level, coder, where)
        head = (f"<p class='tt-count'><b>{len(found)}</b> turn{'s carry' if len(found) != 1 else ' carries'} "
                f"<b>{html.escape(str(code))}</b>{_level_note(level)}</p>")
        return "<div class='tt-explore'>" + head + _turn_list(found, limit) + "</div>"

    def cooccurring_turns(self, code_a: str, code_b: str, level: str | None = None, coder=None,
                          where: dict | None = None) -> SideBySide:
        """Turns carrying both codes, only A and only B (a turn carries a code
        as in ``code_turns``; DESIGN §4 unit ``segment``)."""
        a = self._carrying(code_a, level, coder, where)
        b = self._carrying(code_b, level, coder, where)
        shared = ["doc_id", "seg_no", "participant_id", "pseudonym", "speaker_role", "text", "coders", "spans", "order"]
        in_b = np.isin(a["order"].to_numpy(), b["order"].to_numpy())
        in_a = np.isin(b["order"].to_numpy(), a["order"].to_numpy())
        both = a.loc[in_b, shared].merge(b.loc[in_a, ["order", "coders", "spans"]], on="order", suffixes=("_a", "_b"))
        tidy = lambda frame: frame.drop(columns="order").reset_index(drop=True)  # noqa: E731
        return SideBySide(code_a, code_b, level, tidy(both), tidy(a.loc[~in_b]), tidy(b.loc[~in_a]))

    def cooccurring_turns_html(self, code_a: str, code_b: str, level: str | None = None, coder=None,
                               where: dict | None = None, limit: int | None = None) -> str:
        """Three columns: both (A and B spans marked in two colours), only A, only B."""
        pair = self.cooccurring_turns(code_a, code_b, level, coder, where)
        a, b = html.escape(str(code_a)), html.escape(str(code_b))
        columns = [(f"Both <b>{a}</b> and <b>{b}</b>", _turn_list(pair.both, limit, two=True)),
                   (f"Only <b>{a}</b>", _turn_list(pair.only_a, limit, colour=MARK_A)),
                   (f"Only <b>{b}</b>", _turn_list(pair.only_b, limit, colour=MARK_B))]
        counts = [len(pair.both), len(pair.only_a), len(pair.only_b)]
        cells = "".join(f"<div style='flex:1;min-width:14em'><h4>{title} ({n})</h4>{body}</div>"
                        for (title, body), n in zip(columns, counts))
        return ("<div class='tt-explore'>" + f"<p>{_level_note(level).strip(' ()') or 'codes as applied'}</p>"
                + f"<div style='display:flex;gap:1em;align-items:flex-start'>{cells}</div></div>")

    def kwic(self, term: str, width: int = 60) -> pd.DataFrame:
        """Keyword in context: doc_id, participant_id, seg_no, left, match,
        right (then any columns the shared KWIC adds), pseudonym.

        The rows of ``helpers.analysis.frequency.kwic`` over every turn,
        interviewer turns included (``roles="all"``): a hit is
        ``matching.find_term``'s, the one definition (whole words; case,
        accents, apostrophe and dash variants alike; ``*`` for any letters:
        ``stigma*``). It is asked only about the turns whose folded text holds
        every piece of ``term`` (a quick superset test), so a search stays fast
        on a large study. An empty term (or ``*`` alone) has no hits.
        """
        if not term or not term.replace("*", "").strip():
            found = self._corpus.kwic("", width)
        else:
            candidates = self._corpus.candidates(term)
            found = _shared_kwic(replace(self.study, segments=self.study.segments.iloc[candidates]), term,
                                 width=width, roles="all")
        return found.assign(pseudonym=labels_of(self.study, found["participant_id"]))

    def kwic_html(self, term: str, width: int = 60, limit: int | None = None) -> str:
        found = self.kwic(term, width)
        shown = found if limit is None else found.head(limit)
        rows = "".join(
            f"<tr><td>{html.escape(str(r.pseudonym))}</td><td>{html.escape(str(r.doc_id))} turn {r.seg_no}</td>"
            f"<td style='text-align:right'>{html.escape(str(r.left))}</td><td><mark>{html.escape(str(r.match))}"
            f"</mark></td><td>{html.escape(str(r.right))}</td></tr>" for r in shown.itertuples())
        more = f"<p>… and {len(found) - len(shown)} more</p>" if len(found) > len(shown) else ""
        return (f"<div class='tt-explore'><p><b>{len(found)}</b> hits for <b>{html.escape(str(term))}</b></p>"
                f"<table>{rows}</table>{more}</div>")

    def participants_where(self, where: dict) -> set[str]:
        """participant_ids whose attributes match ``where`` (attr -> value or
        list of values, compared as text; all attributes must match)."""
        keep = np.ones(len(self.participants), dtype=bool)
        for attr, wanted in where.items():
            check_attribute(self.study, attr, "where")
            values = [wanted] if isinstance(wanted, (str, int, float, bool)) else list(wanted)
            column = self.participants[attr]
            keep &= (column.notna() & column.astype(str).isin([str(v) for v in values])).to_numpy()
        return set(self.participants.index[keep])

    # -- preparation ----------------------------------------------------------
    def _level(self, level: str | None) -> _Coded:
        if level not in self._coded:
            self._coded[level] = self._prepare(level)
        return self._coded[level]

    def _prepare(self, level: str | None) -> _Coded:
        study = self.study
        rolled = rollup(study.codings, study.codebook, level, study.levels)
        touched = coding_turns(rolled)
        rows = self._row_of.reindex(pd.MultiIndex.from_arrays(
            [touched["doc_id"].astype(str), touched["seg_no"]])).to_numpy()
        found = ~np.isnan(rows)
        touched = touched.loc[found]
        turn_row = rows[found].astype("int64")
        span_from, span_to = _relative_spans(touched, self.turns, turn_row)
        turn_participant = self.turns["participant_id"].to_numpy(dtype=object, na_value=None)[turn_row]
        coding_participant = touched["participant_id"].astype("string").to_numpy(dtype=object, na_value=None)
        participant = np.where(pd.isna(turn_participant), coding_participant, turn_participant)
        codes_of = touched["code"].astype(str).to_numpy(dtype=object)
        order = self._rank[turn_row]
        sort = np.lexsort((order, codes_of.astype(str)))       # by code, then document/turn order
        codes_sorted = codes_of[sort]
        firsts = np.flatnonzero(np.r_[True, codes_sorted[1:] != codes_sorted[:-1]]) if len(sort) else np.zeros(0, int)
        bounds = np.r_[firsts, len(sort)]
        positions = {str(codes_sorted[a]): np.arange(a, b) for a, b in zip(bounds[:-1], bounds[1:])}
        codes = ordered_codes(study.codebook, level, positions, keep_unapplied=False)
        return _Coded(touched["coder"].fillna("").astype(str).to_numpy(dtype=object)[sort], participant[sort],
                      order[sort], span_from[sort], span_to[sort], positions, codes)

    def _carrying(self, code: str, level: str | None, coder, where: dict | None) -> pd.DataFrame:
        """``code_turns`` plus ``order`` (the turn's rank in document/turn order)."""
        coded = self._level(level)
        rows = coded.positions.get(code)
        if rows is None:
            return _empty_turns()
        if coder is not None:
            rows = rows[np.isin(coded.coder[rows], [coder] if isinstance(coder, str) else list(coder))]
        if where:
            rows = rows[np.isin(coded.participant[rows], list(self.participants_where(where)))]
        if not len(rows):
            return _empty_turns()
        return self._turns_of(coded, rows, code)

    def _turns_of(self, coded: _Coded, rows: np.ndarray, code: str) -> pd.DataFrame:
        """Aggregate (coding, turn) entries (sorted by turn order) into one row per turn."""
        order = coded.order[rows]
        coders = coded.coder[rows]
        starts = np.flatnonzero(np.r_[True, order[1:] != order[:-1]])
        ends = np.r_[starts[1:], len(order)]
        turn_rows = self._by_rank[order[starts]]
        # Coders per turn: sort each turn's coders, keep each once, join.
        by_coder = np.lexsort((coders.astype(str), order))
        o, c = order[by_coder], coders[by_coder]
        fresh = np.r_[True, (o[1:] != o[:-1]) | (c[1:] != c[:-1])]
        o, c = o[fresh], c[fresh]
        coder_bounds = np.r_[np.flatnonzero(np.r_[True, o[1:] != o[:-1]]), len(o)]
        coder_text = [", ".join(c[a:b]) for a, b in zip(coder_bounds[:-1], coder_bounds[1:])]
        spans = _merged_spans(order, coded.span_from[rows], coded.span_to[rows], order[starts])
        texts = self._text[turn_rows]
        participants = coded.participant[rows][starts]
        chosen = self.turns.iloc[turn_rows]
        return pd.DataFrame({
            "doc_id": chosen["doc_id"].to_numpy(), "seg_no": chosen["seg_no"].to_numpy(),
            "participant_id": participants,
            "pseudonym": labels_of(self.study, participants),
            "speaker_role": chosen["speaker_role"].to_numpy(), "code": code,
            "coders": coder_text, "n_codings": (ends - starts).astype("int64"), "text": texts, "spans": spans,
            "coded_text": [" … ".join(t[f:e] for f, e in sp) for t, sp in zip(texts, spans)],
            "order": order[starts]})


# -- widgets -------------------------------------------------------------------------

ALL = "(all)"
AS_APPLIED = "(codes as applied)"


@dataclass
class ExplorerWidgets:
    """The widget tree (``ui``) and its parts, by name, for notebooks and tests.
    Displaying this object displays ``ui``."""

    ui: object
    controls: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)

    def _repr_mimebundle_(self, **kwargs):
        return self.ui._repr_mimebundle_(**kwargs)


def _show(output, html_text: str) -> None:
    """Replace an Output widget's content; needs no running kernel (so a
    notebook run by papermill builds the widgets without error)."""
    output.outputs = ({"output_type": "display_data", "metadata": {},
                       "data": {"text/html": html_text, "text/plain": "(see the HTML view)"}},)


def explorer_widgets(explorer: Explorer, limit: int = 50, max_attribute_values: int = 30) -> ExplorerWidgets:
    """The Explorer as ipywidgets: three tabs of controls wired to Output widgets.

    "Coded turns" (level, code, coder and one multi-select per participant
    attribute), "Keyword in context" (a text box; ``*`` matches any ending)
    and "Side by side" (level and two codes). Each change re-renders the HTML
    view of ``explorer`` into its Output (``Explorer.code_turns_html``,
    ``kwic_html``, ``cooccurring_turns_html``). Builds without a running
    kernel (a notebook under papermill).

    Parameters
    ----------
    explorer : Explorer
        The explorer of a study.
    limit : int, default 50
        At most this many turns (or KWIC lines) shown in each view.
    max_attribute_values : int, default 30
        An attribute gets a filter only when it has 2 to this many values.

    Returns
    -------
    ExplorerWidgets
        ``ui`` (the ``Tab``), ``controls`` by name ("level", "code", "coder",
        "term", "pair_level", "code_a", "code_b", "where:<attribute>") and
        ``outputs`` ("turns", "kwic", "pair"). Displaying it displays ``ui``.

    Raises
    ------
    ImportError
        ipywidgets is not installed.
    """
    import ipywidgets as w

    level_options = [(AS_APPLIED, "")] + [(lv, lv) for lv in explorer.levels() if lv]
    level = w.Dropdown(options=level_options, value="", description="Level")
    code = w.Dropdown(options=explorer.codes(None), description="Code")
    coder = w.Dropdown(options=[ALL] + explorer.coders(), value=ALL, description="Coder")
    filters = {attr: w.SelectMultiple(options=values, description=attr, rows=min(4, len(values)))
               for attr, values in explorer.attribute_values().items() if 1 < len(values) <= max_attribute_values}
    turns_out = w.Output()
    term = w.Text(description="Word", placeholder="e.g. stigma*", continuous_update=False)
    kwic_out = w.Output()
    pair_level = w.Dropdown(options=level_options, value="", description="Level")
    code_a = w.Dropdown(options=explorer.codes(None), description="Code A")
    code_b = w.Dropdown(options=explorer.codes(None), description="Code B")
    pair_out = w.Output()

    busy = {"now": False}

    def chosen_level(dropdown):
        return dropdown.value or None

    def where():
        return {attr: list(box.value) for attr, box in filters.items() if box.value} or None

    def show_turns(*_):
        if busy["now"]:
            return
        if not code.value:
            _show(turns_out, "<p>No code at this level.</p>")
            return
        _show(turns_out, explorer.code_turns_html(code.value, chosen_level(level),
                                                  None if coder.value == ALL else coder.value, where(), limit))

    def show_kwic(*_):
        if busy["now"]:
            return
        _show(kwic_out, explorer.kwic_html(term.value, limit=limit) if term.value.strip()
              else "<p>Type a word (use * for any ending).</p>")

    def show_pair(*_):
        if busy["now"]:
            return
        if not (code_a.value and code_b.value):
            _show(pair_out, "<p>Choose two codes.</p>")
            return
        _show(pair_out, explorer.cooccurring_turns_html(code_a.value, code_b.value, chosen_level(pair_level),
                                                        limit=limit))

    def relevel(dropdowns, level_dropdown, then):
        def handler(*_):
            options = explorer.codes(chosen_level(level_dropdown))
            busy["now"] = True   # new options fire value changes: render once, at the end
            try:
                for i, dropdown in enumerate(dropdowns):
                    dropdown.options = options
                    dropdown.value = options[min(i, len(options) - 1)] if options else None
            finally:
                busy["now"] = False
            then()
        return handler

    level.observe(relevel([code], level, show_turns), names="value")
    pair_level.observe(relevel([code_a, code_b], pair_level, show_pair), names="value")
    for control in [code, coder, *filters.values()]:
        control.observe(show_turns, names="value")
    for control in [code_a, code_b]:
        control.observe(show_pair, names="value")
    term.observe(show_kwic, names="value")
    codes_now = explorer.codes(None)
    if len(codes_now) > 1:
        code_b.value = codes_now[1]
    show_turns()
    show_kwic()
    show_pair()

    tabs = w.Tab(children=[
        w.VBox([w.HBox([level, code, coder]), w.HBox(list(filters.values())), turns_out]),
        w.VBox([term, kwic_out]),
        w.VBox([w.HBox([pair_level, code_a, code_b]), pair_out])])
    for i, title in enumerate(["Coded turns", "Keyword in context", "Side by side"]):
        tabs.set_title(i, title)
    controls = {"level": level, "code": code, "coder": coder, "term": term, "pair_level": pair_level,
                "code_a": code_a, "code_b": code_b, **{f"where:{k}": v for k, v in filters.items()}}
    return ExplorerWidgets(tabs, controls, {"turns": turns_out, "kwic": kwic_out, "pair": pair_out})
