"""The presentation layer: every table as a person reads it (issue 16 point 1),
small groups suppressed (point 6), figures described (point 3)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers.report import present  # noqa: E402


def test_raw_values_become_readable_cells():
    frame = pd.DataFrame({
        "code": ["hope", "stigma"],
        "applications": [3.0, np.nan],            # a count with a gap (pandas made it float)
        "participants_pct": [78.571429, 25.0],
        "p": [5.2e-16, 0.04321],
        "kappa": [0.78412, None],
        "codes": [["a", "b"], []],
        "flag": [True, False],
        "note": [pd.NA, "x"],
    })
    shown = present.table(frame).frame
    assert list(shown.columns) == ["code", "Applications", "Participants (%)", "p", "Cohen's κ", "codes",
                                   "flag", "note"]
    assert shown.iloc[0].tolist() == ["hope", "3", "78.6 %", "&lt; 0.001", "0.784", "a; b", "yes", ""]
    assert shown.iloc[1].tolist() == ["stigma", "", "25 %", "0.043", "", "", "no", "x"]


def test_html_has_no_index_column_and_no_raw_missing_markers():
    frame = pd.DataFrame({"a": [1, None], "b": [None, "y"]}, index=[0, 1])
    page = present.table(frame, caption="Cap", note="Read it row by row.").to_html()
    for raw in ("NaN", "&lt;NA&gt;", "None", ">0<"):
        assert raw not in page
    assert "<th class=\"blank" not in page  # pandas' index header cell is gone
    assert "How to read this." in page and "Read it row by row." in page
    assert 'class="scroll"' in page  # wide tables scroll inside their own box


def test_meaningful_index_becomes_first_column():
    matrix = pd.DataFrame([[0, 2], [2, 0]], index=pd.Index(["x", "y"], name="code"), columns=["x", "y"])
    shown = present.table(matrix).frame
    assert list(shown.columns) == ["code", "x", "y"]
    assert shown["code"].tolist() == ["x", "y"]


def test_text_is_escaped_and_never_cut():
    quote = "I " + "really " * 40 + "<b>needed</b> someone"
    page = present.table(pd.DataFrame({"quote": [quote]})).to_html()
    assert "really " * 40 in page  # no "..." truncation at 50 characters
    assert "&lt;b&gt;needed&lt;/b&gt;" in page and "<b>needed" not in page


def test_kwic_left_context_is_right_aligned_next_to_the_keyword():
    conc = pd.DataFrame({"left": ["and then the peer worker gave me"], "match": ["hope"], "right": ["again"]})
    table = present.table(conc)
    assert table.frame["Before"].iloc[0].endswith("gave me")  # the words next to the keyword are kept
    assert table.classes["Before"].iloc[0] == "left-context"
    assert 'class="data row0 col0 left-context"' in table.to_html() or "left-context" in table.to_html()


def test_share_columns_become_percentages_and_numbers_lose_noise():
    frame = pd.DataFrame({"share": [0.5, 0.123], "x": [1234567.0, 12.3456], "tiny": [1e-9, -1e-9]})
    shown = present.table(frame).frame
    assert shown["Share (%)"].tolist() == ["50 %", "12.3 %"]
    assert shown["x"].tolist() == ["1,234,567", "12.35"]
    assert shown["tiny"].tolist() == ["&lt; 0.001", "&gt; −0.001"]


def test_links_wrap_numbers_but_not_zeros_or_blanks():
    frame = pd.DataFrame({"code": ["a", "b"], "applications": [2, 0]})
    table = present.table(frame, links=lambda row, col: f"evidence/x.html#{row['code']}")
    assert table.frame["Applications"].tolist() == ['<a href="evidence/x.html#a">2</a>', "0"]


def test_small_groups_are_suppressed_and_said():
    frame = pd.DataFrame({"gender": ["f", "f", "m", "nb"], "code": ["a", "b", "a", "a"]})
    kept, sentence = present.suppress_small_groups(frame, "gender", {"f": 5, "m": 3, "nb": 1}, 3, total_shown=False)
    assert kept["gender"].tolist() == ["f", "f", "m"]
    assert "1 group of 'gender' with fewer than 3 participants (nb) not shown" in sentence
    assert "(s)" not in sentence
    same, nothing = present.suppress_small_groups(frame, "gender", {"f": 5, "m": 3, "nb": 3}, 3)
    assert len(same) == 4 and nothing == ""


def test_one_small_group_is_not_left_to_subtraction_from_the_total():
    """Issue 16 item 6: with the total shown (every page), nb (1 person) was recoverable as the
    total minus f and m; the next-smallest group m (3) is now left out too, and the note says why."""
    frame = pd.DataFrame({"gender": ["f", "f", "m", "nb"], "code": ["a", "b", "a", "a"]})
    kept, sentence = present.suppress_small_groups(frame, "gender", {"f": 5, "m": 3, "nb": 1}, 3)
    assert kept["gender"].tolist() == ["f", "f"]
    assert "(nb) not shown" in sentence
    assert "Complementary suppression: m not shown either" in sentence
    assert "rather than the total because the totals (all participants) are shown" in sentence


def test_complementary_suppression_until_the_hidden_groups_hold_min_group_size():
    # a (1) + b (1) = 2 < 3: the smallest shown group, c (4, before d 4 by name), is left out too;
    # then 6 >= 3 and d, e stay
    small, complement = present.suppressed({"a": 1, "b": 1, "c": 4, "d": 4, "e": 9}, 3)
    assert small == ["a", "b"] and complement == ["c"]
    # two small groups already holding 3 between them need no complement
    assert present.suppressed({"a": 1, "b": 2, "c": 4}, 3) == (["a", "b"], [])
    # nothing small, nothing left out; without a total only the small groups
    assert present.suppressed({"a": 3, "b": 4}, 3) == ([], [])
    assert present.suppressed({"a": 1, "b": 4}, 3, total_shown=False) == (["a"], [])
    # the only other group goes too: nothing can be shown, and the note says so
    frame = pd.DataFrame({"g": ["x", "y"], "n": [1, 2]})
    kept, sentence = present.suppress_small_groups(frame, "g", {"x": 5, "y": 1}, 3)
    assert kept.empty and sentence.endswith("No group can be shown.")


def test_group_sizes_name_a_missing_value_as_the_analyses_do():
    """group_sizes counted a missing value as "(missing)" while every analysis names it
    counting.MISSING_GROUP: one definition (issue 15 item 3)."""
    from types import SimpleNamespace

    from helpers.counting import MISSING_GROUP

    study = SimpleNamespace(participants=pd.DataFrame({"participant_id": ["P1", "P2", "P3"],
                                                       "gender": ["f", None, "f"]}))
    assert present.group_sizes(study, "gender") == {"f": 2, MISSING_GROUP: 1}


def test_not_given_group_is_the_missing_group_and_a_group_of_nobody_stays():
    """recurrence named a missing value "(not given)", group_sizes "(missing)": a lone participant
    without a value was shown in the recurrence breakdown (issue 16 item 6)."""
    frame = pd.DataFrame({"gender": ["(not given)", "f", "m"], "n": [1, 2, 1]})
    kept, sentence = present.suppress_small_groups(frame, "gender", {"f": 4, "m": 3, "(not given)": 1}, 3)
    assert kept["gender"].tolist() == ["f"]
    assert "((not given)) not shown" in sentence and "m not shown either" in sentence
    # a group of 0 participants (passages on interviewer turns only) identifies nobody: shown, not counted
    frame = pd.DataFrame({"gender": ["(not given)", "f", "m"], "n": [2, 2, 1]})
    kept, sentence = present.suppress_small_groups(frame, "gender", {"f": 4, "m": 3}, 3)
    assert kept["gender"].tolist() == ["(not given)", "f", "m"] and sentence == ""


def test_headers_are_words_with_units():
    assert present.header("participants_pct") == "Participants (%)"
    assert present.header("words_coded") == "Words coded"
    assert present.header("doc_id") == "Document"
    assert present.header("Peer_support") == "Peer_support"  # a code's own name is left as written


def test_figure_alt_text_says_what_it_shows():
    fig, ax = plt.subplots()
    ax.barh(["hope", "stigma", "loss"], [3, 2, 1])
    ax.set_title("Participants per code")
    ax.set_xlabel("participants")
    alt = present.describe(fig)
    plt.close(fig)
    assert "Participants per code" in alt and "3 bars" in alt and "participants" in alt


@pytest.mark.parametrize("value,text", [(0.0004, "< 0.001"), (0.001, "0.001"), (0.5, "0.500"), (None, "")])
def test_p_values(value, text):
    assert present.format_p(value) == text


def test_text_read_back_from_csv_loses_pandas_spellings():
    frame = pd.DataFrame({"strict": ["True", "False"], "note": ["nan", "None of them helped"]}, dtype=str)
    shown = present.table(frame).frame
    assert shown["strict"].tolist() == ["yes", "no"]
    assert shown["note"].tolist() == ["", "None of them helped"]  # a quote keeps its words


def test_figures_say_how_to_read_them():
    from helpers import plots

    matrix = pd.DataFrame([[1, 0], [0, 1]], index=["P1", "P2"], columns=["a", "b"])
    fig = plots.themes.theme_heatmap(matrix, value="presence", cluster=False)
    assert "blue means the participant has it" in present.how_to_read(fig)
    assert "tree" not in present.how_to_read(fig)   # not clustered: no tree lines to read
    plt.close(fig)
    fig, ax = plt.subplots()
    ax.barh(["a", "b"], [2, 1])
    assert present.how_to_read(fig).startswith("Longer bars mean more")
    fig.how_to_read = "Own words."
    assert present.how_to_read(fig) == "Own words."
    plt.close(fig)


def test_figure_files_are_the_same_bytes_every_time():
    fig, ax = plt.subplots()
    ax.barh(["a", "b"], [2, 1])
    assert present.figure_svg(fig) == present.figure_svg(fig)
    assert "<dc:date>" not in present.figure_svg(fig)
    data, meta = present.figure_png(fig)
    plt.close(fig)
    assert data.startswith(b"\x89PNG") and "2 bars" in meta["alt"] and meta["how_to_read"]


def test_headers_of_the_pages_tables_are_words_not_snake_case():
    """Issue 16 item 1: headers such as "n_applied_AK", "N_codes", "Coherence umass", "Closest doc"
    and "Per 1000" were left on the demo's pages."""
    assert present.header("n_applied_AK") == "Units AK applied it to"
    assert present.header("n_only_RB") == "Units only RB applied it to"
    assert [present.header(c) for c in ("quote_1", "ref_1", "ref_12")] == ["Quote 1", "Where quote 1 is",
                                                                           "Where quote 12 is"]
    assert present.header("N_codes") == "Codes at the level"
    assert present.header("coherence_umass") == "Coherence (UMass)"
    assert present.header("closest_doc") == "Closest document"
    assert present.header("per_1000") == "Per 1,000 words"
    assert present.header("n_codings") == "Codings"
    assert present.header("n_new_ideas") == "Number of new ideas"   # any other count: "number of …"
    assert present.header("new_codes") == "New codes"


def test_the_pages_tables_get_their_own_guide_not_the_fallback():
    """Issue 16 item 2: tables on every page of the demo read "Each row is one document; read across for its
    …" (the fallback); each kind of table now has its own guide, by its columns."""
    tables = {
        "documents": ["doc_id", "participant", "kind", "format", "encoding", "n_segments", "n_words"],
        "identifiers": ["doc_id", "seg_no", "kind", "hash", "length", "masked_context"],
        "fuzzy quotes": ["source", "row", "doc_id", "quote", "matched_text", "score"],
        "missing themes": ["participant_id", "participant", "n_missing", "N_codes", "missing"],
        "profile": ["code", "applications", "group mean", "others with it", "others"],
        "disagreements": ["doc_id", "seg_no", "participant_id", "code", "applied_by", "not_applied_by", "text"],
        "coders": ["coder", "n_codings", "n_codes", "n_documents"],
        "topics": ["topic", "label", "top_terms", "n_turns", "best_code", "best_share", "uncovered"],
        "suggestions": ["doc_id", "seg_no", "participant_id", "code", "probability", "text", "pseudonym"],
        "voices": ["participant_id", "name", "n_quotes", "share"],
    }
    guides = {}
    for name, columns in tables.items():
        text = present.guide(pd.DataFrame(columns=columns))
        assert not present.is_generic(text), (name, text)
        guides[name] = text
    assert len(set(guides.values())) == len(tables)   # each its own
    assert guides["profile"].startswith("Each row is a code: applications are this participant's passages")
    assert guides["coders"] == ("Each row is a coder: how many codings they applied, how many distinct codes they "
                                "used and in how many documents.")
    # the fallbacks are recognised as such
    assert present.is_generic(present.guide(pd.DataFrame(columns=["thing", "size"])))
    assert present.is_generic("Each row is one measure.") and present.is_generic("Figure showing 3 bars.")
    assert not present.is_generic(guides["documents"])


def test_every_table_gets_a_how_to_read_note_even_when_the_notebook_gives_none():
    """"How to read this" was under only some tables: a table shown without a note gets one by its columns."""
    freq = pd.DataFrame({"code": ["hope"], "applications": [2], "participants": [1]})
    assert "<strong>How to read this.</strong> Each row is a code: applications" in present.table(freq).to_html()
    other = pd.DataFrame({"measure": ["turns spoken"], "participant": [25], "group_mean": [26.6]})
    assert present.guide(other) == "Each row is one measure; read across for its participant, Group mean."
    assert "How to read this" in present.shown_rows(other).to_html()
    assert present.table(freq, note="Own words.").note == "Own words."


def test_a_sorted_table_shows_no_row_numbers():
    """The keyness table, sorted, showed its leftover row numbers (1,932, 552, …) as a first column."""
    frame = pd.DataFrame({"term": ["a", "b", "c"], "g2": [1.0, 3.0, 2.0]}).sort_values("g2", ascending=False)
    shown = present.table(frame)
    assert list(shown.frame.columns) == ["term", "G² (log-likelihood)"] and shown.frame["term"].tolist() == ["b", "c", "a"]


def test_keyness_table_goes_through_the_presentation_layer():
    """The keyness table was printed raw: row numbers, "use", "expected", "tested", snake_case, blank p unexplained."""
    key = pd.DataFrame({"participant": ["P1", "P2", "P1"], "term": ["bus", "ward", "nurse"], "n_group": [5, 6, 3],
                        "n_rest": [0, 8, 0], "per_1000_group": [20.0, 27.78, 14.35], "per_1000_rest": [0.0, 3.03, 0.0],
                        "g2": [24.35, 13.11, 15.68], "log_ratio": [6.7, 3.19, 6.25], "p": [1e-6, 0.0003, None],
                        "use": ["over", "over", "over"], "expected": [5.2, 7.1, 1.9], "tested": [True, True, False],
                        "q": [2e-6, 0.0004, None]}, index=[1932, 2208, 1656])
    shown = present.keyness_table(key, top=2)
    assert shown.frame.columns[:4].tolist() == ["participant", "term", "Group says it", "Times said (group)"]
    assert shown.frame["term"].tolist() == ["bus", "ward"]          # tested first, by G²; 'nurse' untested
    assert shown.frame["Group says it"].tolist() == ["more", "more"]
    assert shown.frame["p"].tolist() == ["&lt; 0.001", "&lt; 0.001"] and shown.frame["Tested"].tolist() == ["yes", "yes"]
    assert "1,932" not in shown.to_html() and "The first 2 of 3 rows" in shown.note
    assert "blank where the word was not tested" in shown.note


def test_parameters_left_at_none_read_as_their_meaning():
    """The appendix showed "not set (see meaning)" beside "None: …"; a parameter at None reads as its meaning."""
    from helpers.report import pages

    helps = {"level": "None: the study's most specific level; or one of its levels", "term": "a word to find"}
    import html

    html_text = html.unescape(pages.appendix({"level": pages.Source("None"), "term": None}, helps))
    assert "<td>the study's most specific level (not set)</td>" in html_text
    assert "<td>not set</td>" in html_text
    assert "None" not in html_text.replace("not set", "")
    assert html_text.count("How to read this") == 2   # the counting rules and the parameters


def test_a_wide_table_prints_on_a_landscape_page():
    """Wide tables ran off an A4 page in print: more than WIDE_COLUMNS columns print landscape, and print CSS
    lets cells wrap anywhere (tested on the real pages in test_report_pages)."""
    from helpers.report import pages

    wide = pd.DataFrame([range(present.WIDE_COLUMNS + 1)], columns=[f"c{i}" for i in range(present.WIDE_COLUMNS + 1)])
    assert '<figure class="tt-table wide">' in present.table(wide).to_html()
    assert '<figure class="tt-table">' in present.table(wide.iloc[:, :3]).to_html()
    assert "@page landscape{size:A4 landscape" in pages.PAGE_CSS and "figure.wide{page:landscape}" in pages.PAGE_CSS


def test_a_long_table_keeps_its_guide_beside_the_rows_left_off():
    frame = pd.DataFrame({"code": [f"c{i}" for i in range(5)], "applications": range(5)})
    note = present.shown_rows(frame, max_rows=2).note
    assert note.startswith("Each row is a code: applications") and "The first 2 of 5 rows are shown" in note


def test_alt_text_reads_as_sentences_with_counts_in_words():
    """A fresh user's read: "Can a classifier find each code?." (a full stop after the
    question) and "(1 groups: service user)" in a heatmap's alt text."""
    import matplotlib.pyplot as plt

    from helpers.plots import explain
    from helpers.plots.frequency import attribute_code_heatmap

    fig, ax = plt.subplots()
    ax.set_title("Can a classifier find each code?")
    explain(fig, "Bar chart of 3 codes.", "Each bar is a code.")
    assert present.describe(fig).startswith("Can a classifier find each code? Bar chart")
    plt.close(fig)
    by = pd.DataFrame({"role": ["service user", "service user"], "code": ["hope", "voice"],
                       "participants_pct": [50.0, 25.0], "applications": [2, 1], "participants": [2, 1]})
    fig = attribute_code_heatmap(by, value="participants_pct")
    assert "(1 group: service user)" in present.describe(fig)
    plt.close(fig)
