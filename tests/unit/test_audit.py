"""The write-up audit (issue 17): drafts read, quotes checked, consistency, claims,
the notebook's batch entry, and a quote-bank study (the command line:
tests/integration/test_audit_cli.py; the ``home`` fixture: tests/conftest.py).

Expected values are worked out by hand from the fixture files named in each test:
the demo draft data/raw/demo/drafts/findings_draft.md against the demo transcripts,
tests/fixtures/drafts/ and the mini study, and the quote bank written below."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest
from support import REPO, make_root

from helpers.analysis import claims, drafts
from helpers.analysis.audit import Names, audit_draft, differences
from helpers.errors import InputError

DEMO = REPO / "data" / "raw" / "demo"


# -- the demo draft: every planted situation ------------------------------------------------

@pytest.fixture(scope="module")
def demo_audit(tmp_path_factory):
    import os

    root, raw = make_root(tmp_path_factory.mktemp("demo"), DEMO)
    old = os.environ.get("TRANSCRIPT_THEMES_HOME")
    os.environ["TRANSCRIPT_THEMES_HOME"] = str(root)
    try:
        import helpers

        study = helpers.load_study(raw)
        yield study, audit_draft(study, study.config.drafts)
    finally:
        if old is None:
            del os.environ["TRANSCRIPT_THEMES_HOME"]
        else:
            os.environ["TRANSCRIPT_THEMES_HOME"] = old


def _by_start(quotes: pd.DataFrame) -> dict[str, pd.Series]:
    return {" ".join(q.split()[:4]): row for q, (_, row) in zip(quotes["quote"], quotes.iterrows())}


def test_demo_quote_verdicts(demo_audit):
    _, audit = demo_audit
    q = _by_start(audit.quotes)
    expected = {  # first four words -> (verdict, document, turn, speaker found, attributed)
        "the first time I": ("verbatim", "P01", 14, "P01", "P01"),                  # (Callum)
        "It sort of cracked": ("verbatim", "P03", 14, "P03", "P03"),                # block, "– Aisha" below
        "She just talked to": ("verbatim", "P03", 8, "P03", "P03"),                 # elided, (P03)
        "she told me things": ("edited", "P06", 10, "P06", "P06"),                  # (Loraine): alias
        "He came round and": ("misattributed", "P08", 12, "P08", "P10"),            # Ravi's words given to Owen
        "So then (PSW) came": ("verbatim", "P01", 4, "P01", "P01"),                 # "Mary" in the draft
        "My brother ⟨possible name⟩": ("verbatim", "P08", 2, "P08", "P08"),  # masked, as the scan masks
        "Mine was through my": ("verbatim", "FG01", 10, "P14", ""),                 # italic block, no attribution
        "referred by my CPN": ("verbatim", "FG01", 2, "P12", "P12"),                # fillers in the transcript
        "So sometimes a push": ("interviewer's words", "FG01", 11, "", "P14"),      # the facilitator's turn
    }
    for start, (verdict, doc, turn, speaker, attributed) in expected.items():
        row = q[start]
        assert (row["verdict"], row["doc_id"], row["seg_first"], row["speaker_participant"],
                row["attributed_participant"]) == (verdict, doc, turn, speaker, attributed), start
    # the same words given to Lorraine (right) and to Joanne (wrong)
    friend = audit.quotes[audit.quotes["quote"].str.startswith("I'd say she was like a friend")]
    assert list(zip(friend["attributed_participant"], friend["verdict"])) == [("P06", "verbatim"),
                                                                             ("P02", "misattributed")]
    assert q["So sometimes a push"]["note"] == "FG01 turn 11 is the interviewer's, attributed to Tracey"
    missing = q["I never once felt"]
    assert (missing["verdict"], missing["match"], missing["attributed_participant"]) == ("not found", "none", "P05")
    assert missing["similarity"] < 0.9
    term = q["on a level"]
    assert term["verdict"] == "not checked" and term["kind"] == "term"
    # "bits" -> "things" and "got to here" -> "got here", word by word
    assert "[-things-] {+bits+}" in q["she told me things"]["differences"]
    assert "{+to+} here" in q["she told me things"]["differences"]
    assert q["she told me things"]["location"] == "paragraph 9, line 24"
    assert len(audit.quotes) == 14


def test_demo_consistency_and_no_false_alarm(demo_audit):
    _, audit = demo_audit
    c = audit.consistency
    assert sorted(c["check"]) == ["leak in a quotation", "leak in a quotation", "one participant, two names",
                                  "one participant, two names", "same quote, different participants"]
    two_names = dict(zip(c.loc[c["check"] == "one participant, two names", "participants"],
                         c.loc[c["check"] == "one participant, two names", "detail"]))
    # Aisha: "Aisha put it" (prose, paragraph 6), "– Aisha" (paragraph 8), "Aisha" in paragraph 7's quotation
    # attribution; "(P03)" once. Lorraine: "Lorraine's" (paragraph 9) and "(Lorraine)" (paragraph 12); "(Loraine)" once.
    assert two_names == {"Aisha": "written as 'Aisha' (3 places), 'P03' (paragraph 9, line 22)",
                         "Lorraine": "written as 'Loraine' (paragraph 9, line 24), 'Lorraine' (2 places)"}
    assert c.loc[c["check"] == "one participant, two names", "location"].tolist() == [
        "paragraph 9, line 22", "paragraph 9, line 24"]
    assert c.loc[c["check"] == "same quote, different participants", "participants"].item() == "Joanne; Lorraine"
    leaks = c.loc[c["check"] == "leak in a quotation", "detail"].tolist()
    assert leaks[0] == "(PSW)" and leaks[1].startswith("possible name:") and "Gregor" not in leaks[1]
    # no other quotation is flagged: the verbatim ones carry no leak
    flagged = audit.quotes[audit.quotes["leak"] != ""]["quote"].str.split().str[:2].str.join(" ").tolist()
    assert flagged == ["So then", "My brother"]
    # nothing from the draft leaves unredacted
    text = audit.quotes.to_csv() + audit.consistency.to_csv() + audit.claims.to_csv()
    assert "Mary" not in text and "Gregor" not in text


def test_demo_voices(demo_audit):
    _, audit = demo_audit
    v = audit.voices.set_index("participant_id")
    # attributed: Callum 2, Aisha 2, Lorraine 2 (one as Loraine), Tracey 1 + the unattributed FG block (P14)
    assert v.loc[["P01", "P03", "P06", "P14"], "n_quotes"].tolist() == [2, 2, 2, 2]
    assert v.loc[["P02", "P05", "P08", "P10", "P12"], "n_quotes"].tolist() == [1, 1, 1, 1, 1]
    assert sorted(v.index[v["n_quotes"] == 0]) == ["P04", "P07", "P09", "P11", "P13"]
    assert v["n_quotes"].sum() == 13 and v.loc["P01", "share"] == round(2 / 13, 3)


def test_demo_claims(demo_audit):
    _study, audit = demo_audit
    c = audit.claims
    got = list(zip(c["claim"], c["code"], c["code_from"], c["verdict"]))
    assert got == [
        ("most participants", "", "", "not checkable"),
        ("fourteen people", "", "", "not checkable"),
        ("all but one participant", "lived experience as common ground", "sentence", "supported"),
        ("only one participant", "disclosure felt too much", "sentence", "not supported"),
        ("a few participants", "recovery story felt rehearsed", "sentence", "supported"),
        ("all of the participants", "friendship versus professional role", "sentence", "not supported"),
        ("some participants", "power and equality", "sentence", "supported"),
        ("many of the participants", "boundaries", "heading", "supported"),
        ("half of the participants", "connecting to community", "sentence", "supported"),
        ("several participants", "meeting in cafes", "sentence", "supported"),
        ("all participants", "comparison with other professionals", "sentence", "supported"),
        ("the majority of participants", "scepticism about peer support", "sentence", "not supported"),
        ("no participant", "peer support as cheap substitute", "sentence", "not supported"),
        ("most participants", "endings", "sentence", "supported"),
        ("nine of the fourteen participants", "loss after ending", "sentence", "supported"),
    ]
    assert set(c["n_participants"]) == {14}
    # "only one participant" felt the disclosure was too much: the coding shows Aisha and Tracey
    one = c[c["claim"] == "only one participant"].iloc[0]
    assert (one["n_with"], one["participants_with"]) == (2, "Aisha; Tracey")
    # the friendship claim (found through the codebook's synonyms) misses one participant
    friends = c[c["claim"] == "all of the participants"].iloc[0]
    assert friends["n_with"] == 13 and len(friends["participants_without"].split("; ")) == 1
    assert friends["location"] == "paragraph 12, line 32"


# -- reading drafts ----------------------------------------------------------------------------

def test_markdown_and_text_blocks(tmp_path):
    md = tmp_path / "d.md"
    md.write_text("# Results\n\nFirst line\nsecond line with 'a term' and “four words in quotes” (P01).\n\n"
                  "> A set apart block of words\n\n*An italic block of several words*\n\n— Robin\n", encoding="utf-8")
    d = drafts.read_draft(md)
    assert [(b.number, b.heading, b.quote_block, b.line) for b in d.blocks] == [
        (1, 1, False, 1), (2, 0, False, 3), (3, 0, True, 6), (4, 0, True, 8), (5, 0, False, 10)]
    q = drafts.quotations(d)
    assert [(x.kind, x.text, x.attribution, x.location) for x in q] == [
        ("term", "a term", "", "paragraph 2, line 4"),
        ("inline", "four words in quotes", "P01", "paragraph 2, line 4"),
        ("block", "A set apart block of words", "Robin", "paragraph 3, line 6"),  # one run of blocks
        ("block", "An italic block of several words", "Robin", "paragraph 4, line 8")]
    txt = tmp_path / "d.txt"
    txt.write_text("Findings\n\nShe said 'I don't know what I'd do without it' – Sol.\n\n"
                   "    An indented block quotation here (Robin, line 4)\n", encoding="utf-8")
    q = drafts.quotations(drafts.read_draft(txt))
    assert [(x.kind, x.text, x.attribution) for x in q] == [
        ("inline", "I don't know what I'd do without it", "Sol"),
        ("block", "An indented block quotation here", "Robin, line 4")]


def test_docx_draft(tmp_path):
    import docx
    from docx.shared import Inches

    doc = docx.Document()
    doc.add_heading("Connection", level=2)
    doc.add_paragraph("Robin said \u201cif she got out, I can get out\u201d (Robin).")
    doc.add_paragraph("She told me about her own time in hospital", style="Quote")
    doc.add_paragraph("Sol")
    indented = doc.add_paragraph("It felt like losing someone")
    indented.paragraph_format.left_indent = Inches(0.5)
    doc.add_paragraph("")
    italic = doc.add_paragraph()
    italic.add_run("We'd get coffee. It felt like a friend").italic = True
    doc.add_paragraph("(A01)")
    path = tmp_path / "draft.docx"
    doc.save(path)
    d = drafts.read_draft(path)
    assert [(b.number, b.heading, b.quote_block) for b in d.blocks] == [
        (1, 2, False), (2, 0, False), (3, 0, True), (4, 0, False), (5, 0, True), (6, 0, True), (7, 0, False)]
    q = drafts.quotations(d)
    assert [(x.kind, x.text, x.attribution, x.location) for x in q] == [
        ("inline", "if she got out, I can get out", "Robin", "paragraph 2"),
        ("block", "She told me about her own time in hospital", "Sol", "paragraph 3"),
        ("block", "It felt like losing someone", "A01", "paragraph 5"),  # the run's attribution
        ("block", "We'd get coffee. It felt like a friend", "A01", "paragraph 6")]


def test_cp1252_text_draft(tmp_path):
    path = tmp_path / "d.txt"
    path.write_bytes("Caf\xe9 talk: \u201cwe met in a caf\xe9 by the station\u201d (Aisha).\n".encode("cp1252"))
    q = drafts.quotations(drafts.read_draft(path))
    assert [(x.text, x.attribution) for x in q] == [("we met in a café by the station", "Aisha")]


def test_draft_errors(tmp_path):
    with pytest.raises(InputError, match="draft not found"):
        drafts.read_draft(tmp_path / "none.md")
    (tmp_path / "d.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputError, match="save the draft as .docx, .md or .txt"):
        drafts.read_draft(tmp_path / "d.pdf")
    (tmp_path / "bad.docx").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable Word document"):
        drafts.read_draft(tmp_path / "bad.docx")


# -- names, differences, claims ----------------------------------------------------------------

def test_names_resolve_ids_pseudonyms_and_aliases():
    names = Names(pd.DataFrame({"participant_id": ["P03", "P06"], "pseudonym": ["Aisha", "Lorraine"],
                                "alias": [None, "Loraine; Lorrie"]}))
    assert names.resolve("P3")[0] == "P03" and names.resolve("Participant 3")[0] == "P03"
    assert names.resolve("aisha, line 12")[:2] == ("P03", "aisha")
    assert names.resolve("Lorrie")[::2] == ("P06", "alias") and names.resolve("Loraine")[0] == "P06"
    assert names.resolve("Aisha’s mother")[0] == "P03"  # first word
    assert names.resolve("Bob") == (None, "", "")


def test_differences_word_by_word():
    assert differences("we went to the café", "we walked to the café", frozenset()) == "we [-went-] {+walked+} to the café"
    assert differences("Um, we went", "we went", frozenset({"um"})) == ""


@pytest.mark.parametrize("sentence, word, n, m", [
    ("All of the participants described hope.", "all", None, None),
    ("Every participant described hope.", "all", None, None),
    ("Everyone described hope.", "all", None, None),
    ("All ten participants described hope.", "all", None, None),
    ("Most of the interviewees described hope.", "most", None, None),
    ("The vast majority of participants described hope.", "majority", None, None),
    ("Half of the participants described hope.", "half", None, None),
    ("Many participants described hope.", "many", None, None),
    ("Several people described hope.", "several", None, None),
    ("Some of them described hope.", "some", None, None),
    ("A few participants described hope.", "a few", None, None),
    ("Only one participant described hope.", "one", None, None),
    ("One of the participants described hope.", "one", None, None),
    ("No participant described hope.", "none", None, None),
    ("None of the participants described hope.", "none", None, None),
    ("Nobody described hope.", "none", None, None),
    ("All but one participant described hope.", "all but one", None, None),
    ("Seven of the 12 participants described hope.", "n of m", 7, 12),
    ("Three participants described hope.", "n", 3, None),
])
def test_quantifiers(sentence, word, n, m):
    found = claims._quantifiers(sentence.lower())
    assert [(f[1], f[3], f[4]) for f in found] == [(word, n, m)]


@pytest.mark.parametrize("sentence", ["One of the most striking findings was hope.", "Most importantly, hope.",
                                      "Some time later hope returned.", "It was the first of many visits."])
def test_not_claims(sentence):
    assert claims._quantifiers(sentence.lower()) == []


@pytest.mark.parametrize("word, n, total, ok", [
    ("all", 14, 14, True), ("all", 13, 14, False), ("most", 8, 14, True), ("most", 7, 14, False),
    ("majority", 8, 14, True), ("half", 7, 14, True), ("half", 5, 14, False), ("half", 6, 14, True),
    ("many", 3, 14, True), ("several", 2, 14, False), ("some", 3, 14, True), ("a few", 2, 14, True),
    ("a few", 5, 14, False), ("one", 1, 14, True), ("one", 2, 14, False), ("none", 0, 14, True),
    ("none", 1, 14, False), ("all but one", 13, 14, True), ("all but one", 14, 14, False),
])
def test_word_bounds(word, n, total, ok):
    assert claims.holds(claims.DEFAULT_CLAIM_WORDS[word], n, total) is ok


def test_claim_words_from_study_yml(home):
    _root, raw = home()
    with open(raw / "study.yml", "a", encoding="utf-8") as f:
        f.write("claim_words:\n  most: {min_share: 0.75}\n")
    from helpers.ingest.config import load_config

    words = claims.claim_words(load_config(raw).claim_words)
    assert words["most"] == {"min_share": 0.75} and words["all"] == {"min_share": 1.0}
    (raw / "study.yml").write_text("title: T\nclaim_words:\n  loads: {min: 3}\n  most: {at_least: 2}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_config(raw)
    assert "claim_words: unknown word 'loads'" in str(err.value) and "'most' should map to numbers" in str(err.value)


def test_missing_draft_in_study_yml_is_an_error(home):
    _root, raw = home()
    with open(raw / "study.yml", "a", encoding="utf-8") as f:
        f.write("drafts: [drafts/missing.md]\n")
    from helpers.ingest.config import load_config

    with pytest.raises(InputError, match="drafts: drafts/missing.md not found"):
        load_config(raw)


def test_heading_scope_and_clauses(home, tmp_path):
    _root, raw = home()
    import helpers

    study = helpers.load_study(raw)
    draft = tmp_path / "d.md"
    draft.write_text("## Ending\n\nAll participants felt it.\n\n### Something else\n\nMost participants agreed.\n\n"
                     "## Discussion\n\nMost participants agreed, but a few participants described hope.\n", encoding="utf-8")
    found = claims.find_claims(drafts.read_draft(draft), claims.code_names(study))
    assert [(c["claim"], c["code"], c["code_from"]) for c in found] == [
        ("all participants", "ending", "heading"),        # under "Ending"
        ("most participants", "ending", "heading"),       # a sub-heading naming no code keeps the one above
        ("most participants", "hope", "sentence"),        # "Discussion" ends "Ending"; the sentence names hope
        ("a few participants", "hope", "sentence")]


# -- the mini study: docx draft, command line, batch ---------------------------------------------

MINI_DRAFT = REPO / "tests" / "fixtures" / "drafts" / "mini_draft.md"










def test_batch_plans_the_audit_only_with_drafts(home):
    _root, raw = home()
    import helpers
    from helpers.report.reports import plan

    assert "09-write-up-audit" not in [r.notebook for r in plan(helpers.load_study(raw), {})]
    (raw / "drafts").mkdir()
    shutil.copy(MINI_DRAFT, raw / "drafts" / "chapter.md")
    with open(raw / "study.yml", "a", encoding="utf-8") as f:
        f.write("drafts: [drafts/chapter.md]\n")
    study = helpers.load_study(raw)
    [audit_run] = [r for r in plan(study, {}) if r.notebook == "09-write-up-audit"]
    # an edited draft changes this run's key (the page is never stale) but not the ingest
    # fingerprint (the other pages are not re-run)
    fingerprint = study.manifest["fingerprint"]
    before = audit_run.params["drafts_sha256"]
    with open(raw / "drafts" / "chapter.md", "a", encoding="utf-8") as f:
        f.write("\nA few participants described hope.\n")
    study = helpers.load_study(raw)
    [audit_run] = [r for r in plan(study, {}) if r.notebook == "09-write-up-audit"]
    assert audit_run.params["drafts_sha256"] != before and study.manifest["fingerprint"] == fingerprint


# -- a quote-bank study (no transcripts) ---------------------------------------------------------

BANK = """Participant,Quote,Codes
B01,I waited nearly a year before anyone rang me back.,waiting
B01,She never made me feel like a case file.,being heard
B02,We walked by the canal every Tuesday and talked.,being heard
B03,Honestly I thought it would be another box to tick.,doubt
"""


def test_quote_bank_study(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSCRIPT_THEMES_HOME", str(tmp_path / "home"))
    root = tmp_path / "bank"
    (root / "codings").mkdir(parents=True)
    (root / "study.yml").write_text("title: Bank\n", encoding="utf-8")
    (root / "participants.csv").write_text("participant_id,pseudonym\nB01,Nell\nB02,Ossie\nB03,Pip\n", encoding="utf-8")
    (root / "codings" / "bank.csv").write_text(BANK, encoding="utf-8")
    draft = tmp_path / "draft.md"
    draft.write_text("Nell: \"I waited nearly a year before anyone rang me back\" (Nell).\n\n"
                     "\"We walked by the canal every Tuesday and talked\" (Pip).\n\n"
                     "\"I was never once asked what I wanted, not once\" (Ossie).\n\n"
                     "Most participants described being heard. All participants described waiting.\n",
                     encoding="utf-8")
    import helpers

    study = helpers.load_study(root)
    assert set(study.documents["doc_id"]) == {"B01", "B02", "B03"}  # pseudo-documents of the bank
    audit = audit_draft(study, [draft])
    q = audit.quotes
    assert list(zip(q["verdict"], q["doc_id"], q["speaker_participant"])) == [
        ("verbatim", "B01", "B01"), ("misattributed", "B02", "B02"), ("not found", "", "")]
    c = audit.claims
    # being heard: B01 and B02 (2 of 3 > half); waiting: B01 only
    assert c[["code", "n_with", "verdict", "participants_without"]].values.tolist() == [
        ["being heard", 2, "supported", "Pip"], ["waiting", 1, "not supported", "Ossie; Pip"]]


# -- drafts as theses write them -------------------------------------------------------------------

def test_docx_quotation_in_a_table_and_one_attribution_over_two_paragraphs(tmp_path):
    import docx

    doc = docx.Document()
    doc.add_paragraph("Intro text here.")
    table = doc.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "\u201cWe'd get coffee. It felt like a friend\u201d (Robin)"
    table.cell(0, 1).text = "relationship"
    doc.add_paragraph("First half of a long quotation", style="Quote")
    doc.add_paragraph("and its second half", style="Quote")
    doc.add_paragraph("(Sol)")
    path = tmp_path / "t.docx"
    doc.save(path)
    q = drafts.quotations(drafts.read_draft(path))
    assert [(x.kind, x.text, x.attribution, x.location) for x in q] == [
        ("inline", "We'd get coffee. It felt like a friend", "Robin", "paragraph 2"),
        ("block", "First half of a long quotation", "Sol", "paragraph 4"),
        ("block", "and its second half", "Sol", "paragraph 5")]


def test_words_inside_a_quotation_are_not_claims(home, tmp_path):
    _root, raw = home()
    import helpers

    study = helpers.load_study(raw)
    draft = tmp_path / "d.md"
    draft.write_text("Robin said \"It was hard. All of them left in the end, the ending hurt\" (Robin). "
                     "A few participants described the ending.\n", encoding="utf-8")
    found = claims.find_claims(drafts.read_draft(draft), claims.code_names(study))
    assert [(c["claim"], c["code"]) for c in found] == [("a few participants", "ending")]


def test_interviewers_turn_is_not_the_participants(home, tmp_path):
    _root, raw = home()
    import helpers

    study = helpers.load_study(raw)
    draft = tmp_path / "d.md"
    # A01 turn 5 is the interviewer's question; turn 6 is Robin's answer
    draft.write_text("\"How did the relationship change over time?\" (Robin)\n\n"
                     "\"How did the relationship change over time?\"\n", encoding="utf-8")
    q = audit_draft(study, [draft]).quotes
    assert list(zip(q["verdict"], q["seg_first"], q["speaker_participant"])) == [
        ("interviewer's words", 5, ""), ("interviewer's words", 5, "")]




@pytest.mark.parametrize("paragraph, text, attribution", [
    ("\u201cI waited months for a call back\u201d [P03].", "I waited months for a call back", "P03"),
    ("\u201cI waited months for a call back,\u201d said Aisha.", "I waited months for a call back,", "Aisha"),
    ("\u201cI waited months for a call back,\u201d Aisha said.", "I waited months for a call back,", "Aisha"),
    ("As Aisha put it, \u201cI waited months for a call back\u201d.", "I waited months for a call back", "Aisha"),
    ("Aisha explained: \u201cI waited months for a call back\u201d.", "I waited months for a call back", "Aisha"),
    ("\u201cI waited months for a call back\u201d \u2013 Aisha, 24.", "I waited months for a call back", "Aisha"),
    ("\u201cI waited months for a call back - Aisha\u201d", "I waited months for a call back", "Aisha"),
    ("\u201cI waited months for a call back\u201d (Participant 3, interview 1)", "I waited months for a call back",
     "Participant 3, interview 1"),
])
def test_attribution_forms(tmp_path, paragraph, text, attribution):
    path = tmp_path / "d.md"
    path.write_text(paragraph + "\n", encoding="utf-8")
    q = drafts.quotations(drafts.read_draft(path))
    assert [(x.text, x.attribution) for x in q] == [(text, attribution)]


def test_a_verb_attribution_naming_nobody_is_dropped(home, tmp_path):
    _root, raw = home()
    import helpers

    study = helpers.load_study(raw)
    draft = tmp_path / "d.md"
    # "The worker said" names no participant; A01 turn 6 is Robin's
    draft.write_text("The Worker said: \"It felt like a friend, but she was clear it was her job\".\n", encoding="utf-8")
    q = audit_draft(study, [draft]).quotes
    assert list(zip(q["attribution"], q["verdict"], q["speaker_participant"], q["note"])) == [
        ("", "verbatim", "A01", "no attribution")]


def test_names_in_prose_count_for_the_two_names_check(tmp_path):
    from helpers.analysis.audit_consistency import consistency, prose_mentions

    names = Names(pd.DataFrame({"participant_id": ["P06", "P12"], "pseudonym": ["Lorraine", "Marcus"],
                                "alias": ["Loraine", None]}))
    path = tmp_path / "d.md"
    path.write_text("Lorraine's account differs.\n\nLater, Loraine said more. Marcus and P12 agreed.\n", encoding="utf-8")
    mentions = prose_mentions([drafts.read_draft(path)], names, lambda t: t)
    assert list(zip(mentions["location"], mentions["attributed_participant"], mentions["_form"])) == [
        ("paragraph 1, line 1", "P06", "Lorraine"), ("paragraph 2, line 3", "P06", "Loraine"),
        ("paragraph 2, line 3", "P12", "Marcus"), ("paragraph 2, line 3", "P12", "P12")]
    empty = pd.DataFrame(columns=["draft", "location", "paragraph", "kind", "quote", "attributed_participant",
                                  "verdict", "doc_id", "seg_first", "leak", "_form", "attributed_name"])
    found = consistency(empty, names, mentions)
    assert found["detail"].tolist() == ["written as 'Loraine' (paragraph 2, line 3), 'Lorraine' (paragraph 1, line 1)",
                                        "written as 'Marcus' (paragraph 2, line 3), 'P12' (paragraph 2, line 3)"]


def test_claims_about_a_group_are_not_checked_against_everyone(home, tmp_path):
    _root, raw = home()
    import helpers

    study = helpers.load_study(raw)
    draft = tmp_path / "d.md"
    draft.write_text("Most of the women described disclosure. Two participants described disclosure. All of them "
                     "described disclosure. All of those interviewed described disclosure.\n", encoding="utf-8")
    found = claims.find_claims(drafts.read_draft(draft), claims.code_names(study))
    table = claims.check_claims(study, found, claims.claim_words(), study.participant_label())
    # disclosure: AK on A01 turns 2 and 4 and A02 turn 4 (RB agrees on A02) -> A01, A02: 2 of 3, whichever coder counts
    assert list(zip(table["claim"], table["verdict"], table["n_with"].astype(object))) == [
        ("most of the women", "not checkable", pd.NA), ("two participants", "supported", 2),
        ("all of them", "not checkable", pd.NA), ("all of those interviewed", "not supported", 2)]
    assert table["reason"].iloc[0].startswith("about a group ('women')")




def test_code_names_and_pseudonyms_match_normalised(tmp_path):
    import unicodedata

    import helpers

    nfd = unicodedata.normalize("NFD", "café visits")
    study = helpers.Study.from_tables(
        segments=pd.DataFrame({"doc_id": ["D1"], "seg_no": [1], "participant_id": ["P1"], "text": ["x"]}),
        codings=pd.DataFrame({"doc_id": ["D1"], "code": [nfd], "seg_first": [1]}),
        participants=pd.DataFrame({"participant_id": ["P1", "P2"],
                                   "pseudonym": [unicodedata.normalize("NFD", "Zoë"), "Ann-Marie"]}))
    names = claims.code_names(study)
    assert claims.find_code("Half of the participants described CAFÉ VISITS.", names)[0].code == nfd
    people = Names(study.participants)
    assert people.resolve("Zoë")[0] == "P1" and people.resolve("Ann\u2013Marie")[0] == "P2"


def test_an_interviewer_echo_does_not_hide_the_participants_words(tmp_path):
    import helpers

    text = "I: So you met in the cafe every week?\nP: Yes, we met in the café every single week.\n"
    # turn 1 "So you met in the cafe every week?" at 3..37; turn 2 at 41..83
    segments = pd.DataFrame({"doc_id": ["D1", "D1"], "seg_no": [1, 2], "participant_id": ["P1", "P1"],
                             "speaker_role": ["interviewer", "participant"], "speaker": ["I", "P"],
                             "start": [3, 41], "end": [37, 83],
                             "text": ["So you met in the cafe every week?", "Yes, we met in the café every single week."]})
    assert text[3:37] == segments.at[0, "text"] and text[41:83] == segments.at[1, "text"]
    study = helpers.Study.from_tables(segments=segments, codings=pd.DataFrame(
        {"doc_id": ["D1"], "code": ["cafes"], "seg_first": [2]}), texts={"D1": text})
    draft = tmp_path / "d.md"
    draft.write_text("\u201cwe met in the cafe every week\u201d (P1)\n", encoding="utf-8")
    # exact in the interviewer's question; 'single' added in the participant's answer (fuzzy)
    q = audit_draft(study, [draft], threshold=0.8).quotes
    assert list(zip(q["verdict"], q["seg_first"], q["match"])) == [("edited", 2, "fuzzy")]
    # the accent is a difference too: the matcher compares words, not letters without accents
    assert q["differences"].iloc[0] == "we met in the [-cafe-] {+café+} every {+single+} week"


def test_block_quotations_keep_their_offsets_and_are_not_by_verb(tmp_path):
    # A block quotation was built with positional arguments one place off: by_verb got 0 and
    # start got the block's length (end stayed 0).
    md = tmp_path / "d.md"
    md.write_text("> A set apart block of words\n\n— Robin\n", encoding="utf-8")
    (block,) = [x for x in drafts.quotations(drafts.read_draft(md)) if x.kind == "block"]
    assert (block.by_verb, block.start, block.end) == (False, 0, len("A set apart block of words"))


def test_audit_tables_read_for_people():
    """Issue 16 item 1: the audit page showed "doc id", "seg first", a share as "0.154" under no unit and a
    similarity as "1.0"/"0.0"; its guide was the generic "Each row is one draft; read across for its …"."""
    from helpers.report import audit_page, present

    voices = pd.DataFrame({"participant_id": ["P01", "P04"], "name": ["Ash", "Bo"], "n_quotes": [2, 0],
                           "share": [0.154, 0.0]})
    page = audit_page.table(voices)
    assert "<th>Participant</th><th>Name</th><th>Quotes</th><th>Share of quotes (0–1)</th>" in page
    assert "<td>P04</td><td>Bo</td><td>0</td><td>0</td>" in page and "0.154" in page
    quotes = pd.DataFrame({"draft": ["a.md"], "location": ["paragraph 1"], "kind": ["inline"], "quote": ["x y z w"],
                           "attributed_name": [None], "verdict": ["not found"], "match": ["none"], "similarity": [1.0],
                           "doc_id": ["P01"], "seg_first": [12], "seg_last": [None], "speaker_name": [""],
                           "note": [""]})
    page = audit_page.table(quotes)
    assert "<th>How matched</th><th>Similarity (0–1)</th><th>Document</th><th>First turn</th><th>Last turn</th>" in page
    assert "<td>1</td><td>P01</td><td>12</td><td></td>" in page and "_" not in page.split("<table>")[1].split("</tr>")[0]
    guide = page.split('class="how-to-read"')[1]
    assert "Each row is a quotation in the drafts" in guide and not present.is_generic(present.guide(quotes))
