"""The write-up audit (issue 17) on the command line: `audit-draft`, and `check`
and `report` refusing an unreadable draft (the rest: tests/unit/test_audit.py).

Expected values are worked out by hand from the fixture files named in each test:
tests/fixtures/drafts/ and the mini study."""
from __future__ import annotations

import shutil

import pandas as pd
from support import REPO, run_in

MINI_DRAFT = REPO / "tests" / "fixtures" / "drafts" / "mini_draft.md"


def test_cli_audit_draft_writes_tables_and_page(home):
    root, raw = home()
    done = run_in(root, "audit-draft", str(raw), str(MINI_DRAFT))
    assert done.returncode == 0, done.stderr
    assert "quote misattributed: “it felt like losing someone” attributed to Kit, said by Sol" in done.stdout
    assert "claim not supported: “all participants” — 2 of 3 participants have 'connection'" in done.stdout
    assert "not that it is false" in done.stdout
    tables = root / "data" / "processed" / "mini" / "tables"
    quotes = pd.read_csv(tables / "draft_audit_quotes.csv")
    assert list(quotes["verdict"]) == ["verbatim", "misattributed"]
    assert list(quotes["seg_first"]) == [4, 6]  # A01 turn 4; A02 turn 6 (speaker labels count as turns)
    claims_table = pd.read_csv(tables / "draft_audit_claims.csv")
    assert claims_table[["code", "n_with", "n_participants", "verdict", "participants_without"]].values.tolist() == [
        ["connection", 2, 3, "not supported", "Kit"]]
    voices = pd.read_csv(tables / "draft_audit_voices.csv")
    assert voices[["participant_id", "n_quotes"]].values.tolist() == [["A01", 1], ["A03", 1], ["A02", 0]]
    assert (tables / "draft_audit_consistency.csv").is_file()
    page = (root / "reports" / "mini" / "draft-audit.html").read_text(encoding="utf-8")
    assert "not that the claim is false" in page and "<script" not in page and "Zara" not in page


def test_cli_audit_draft_finds_a_draft_given_relative_to_the_study_folder(home):
    """`audit-draft mystudy drafts/draft.md`, run from the project folder, looked for
    drafts/draft.md there and refused it; study.yml's drafts: name it inside the study."""

    root, raw = home()
    (raw / "drafts").mkdir()
    shutil.copy(MINI_DRAFT, raw / "drafts" / "draft.md")
    done = run_in(root, "audit-draft", str(raw), "drafts/draft.md")
    assert done.returncode == 0, done.stderr
    assert "attributed to Kit, said by Sol" in done.stdout


def test_cli_audit_draft_errors(home):
    root, raw = home()
    done = run_in(root, "audit-draft", str(raw))
    assert done.returncode == 2 and "no draft to audit" in done.stderr and "Traceback" not in done.stderr
    done = run_in(root, "audit-draft", str(raw), str(raw / "nope.docx"))
    assert done.returncode == 2 and "draft not found" in done.stderr
    assert not (root / "reports" / "mini" / "draft-audit.html").exists()


def test_leaked_name_in_draft_never_reaches_an_output(home, tmp_path):
    root, raw = home()
    draft = tmp_path / "leak.md"
    # "Zara" is a redaction term of the mini study
    draft.write_text("Robin: \u201cZara came over and said she'd been a patient there herself\u201d (Robin).\n",
                     encoding="utf-8")
    done = run_in(root, "audit-draft", str(raw), str(draft))
    assert done.returncode == 0, done.stderr
    assert "leak in a quotation: Robin: (PSW)" in done.stdout and "Zara" not in done.stdout
    outputs = [*(root / "data" / "processed" / "mini" / "tables").glob("draft_audit_*.csv"),
               root / "reports" / "mini" / "draft-audit.html"]
    assert all("Zara" not in p.read_text(encoding="utf-8") for p in outputs)
    quotes = pd.read_csv(outputs[0].parent / "draft_audit_quotes.csv")
    assert quotes["verdict"].tolist() == ["verbatim"]


def test_check_and_batch_refuse_an_unreadable_draft(home):
    root, raw = home()
    (raw / "drafts").mkdir()
    (raw / "drafts" / "chapter.docx").write_bytes(b"not a Word file")
    with open(raw / "study.yml", "a", encoding="utf-8") as f:
        f.write("drafts: [drafts/chapter.docx]\n")
    for command in ("check", "report"):
        done = run_in(root, command, str(raw))
        assert done.returncode == 2, (command, done.stderr)
        assert "chapter.docx: not a readable Word document" in done.stderr and "save it again as .docx" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (root / "reports" / "mini" / "index.html").exists()


def test_two_drafts_at_once(home, tmp_path):
    root, raw = home()
    import docx

    doc = docx.Document()
    doc.add_paragraph("Sol: \u201cShe told me about her own time in hospital\u201d (Sol).")
    word = tmp_path / "chapter5.docx"
    doc.save(word)
    done = run_in(root, "audit-draft", str(raw), str(MINI_DRAFT), str(word))
    assert done.returncode == 0, done.stderr
    quotes = pd.read_csv(root / "data" / "processed" / "mini" / "tables" / "draft_audit_quotes.csv")
    assert list(zip(quotes["draft"], quotes["location"], quotes["verdict"], quotes["found"])) == [
        ("mini_draft.md", "paragraph 3, line 5", "verbatim", True),
        ("mini_draft.md", "paragraph 3, line 6", "misattributed", True),
        ("chapter5.docx", "paragraph 1", "verbatim", True)]
    page = (root / "reports" / "mini" / "draft-audit.html").read_text(encoding="utf-8")
    assert "3 quotations from 3 of 3 participants" in page and "Every participant is quoted at least once." in page
