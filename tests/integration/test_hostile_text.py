"""Hostile text renders as text (issue 9, item 4).

The `hostile` study (tests/fixtures/studies/hostile, invented) carries
`<script>`, an `<img onerror>`, HTML entities, Markdown (bold, a heading, a
link, a table) and LaTeX-looking strings in transcript turns, and also in the
researcher's own files: pseudonyms, an attribute (column) name, code names and
descriptions, a coder name, a memo and the study title. One batch run; then
every HTML page is checked statically (no script element, no on* attribute,
no element made from the hostile text) and in headless Chromium (no dialog,
no console error, the literal strings visible as text).
"""
from __future__ import annotations

import html
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from support import REPO, make_root, run_in

from helpers.analysis.overview import file_part, md_list, md_text

HOSTILE = REPO / "tests" / "fixtures" / "studies" / "hostile"
STUDY = "hostile"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# In the transcripts (H01.txt, H02.txt, H03.txt), each to be visible as typed somewhere in the bundle.
TRANSCRIPT_STRINGS = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "&amp; &lt;b&gt;",
                      "**bold**", "# heading", "[link](http://example.invalid)", "|a|b|", "$x^2$",
                      r"\(\alpha\)"]
# participants.csv pseudonyms, by participant
PSEUDONYMS = {"H01": "<img src=x onerror=alert(3)> **Robin**", "H02": "$y_1$ [Sol](http://example.invalid)",
              "H03": "x\" onclick=\"alert(4)' <script>alert(4)</script>"}
TITLE = "Hostile <script>alert(8)</script> &amp; **study** $x^2$"  # study.yml, as the YAML reads
THEME = "<b>theme</b> <script>alert(5)</script>"                    # a code name in codebook.csv
# Elements that would exist, with this text, had Markdown or HTML in the study
# been interpreted: "**bold**" -> <strong>bold</strong>, "<i>group</i>" -> <i>group</i>, …
ELEMENTS_NOT_TO_MAKE = {"strong": {"bold", "Robin", "study", "bold code", "memo"}, "b": {"theme", "a lot"},
                        "i": {"group", "AK"}, "h1": {"heading"}, "a": {"link", "Sol"}}
MARKDOWN_STRINGS = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "&amp; &lt;b&gt;", "**bold**",
                    "# heading", "[link](http://example.invalid)", "http://example.invalid", "www.example.invalid",
                    "a@example.invalid", "|a|b|", "$x^2$", r"\(\alpha\)", "$$y$$", "a_b_c", "1. item", "- item",
                    "`code`", "~~gone~~", "> quoted", "Zoë’s café; 10% + 5", "AT&T;", "&#60;", "a\\b"]


# -- md_text and file_part, without a batch ----------------------------------------------

def test_md_text_escapes_html_then_markdown():
    # By hand: & < > become entities first; then each ASCII punctuation mark
    # but & and ; gets a backslash.
    assert md_text("a & b") == "a &amp; b"
    assert md_text("<b>") == "&lt;b&gt;"
    assert md_text("**x**") == r"\*\*x\*\*"
    assert md_text("$x^2$") == r"\$x\^2\$"
    assert md_text("Robin") == "Robin"
    assert md_text("two\nlines") == "two lines"  # a line break could start a block
    assert md_list([]) == "none"
    assert md_list(["a*", "b"]) == r"a\*, b"


@pytest.mark.parametrize("text", MARKDOWN_STRINGS)
def test_md_text_renders_as_typed_in_the_report_markdown_renderer(text):
    # nbconvert turns display(Markdown(...)) outputs into HTML with this renderer
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    rendered = markdown2html_mistune(md_text(text))
    assert rendered.startswith("<p>") and rendered.rstrip().endswith("</p>")
    inner = rendered.strip()[3:-4]
    assert "<" not in inner, rendered       # no element of any kind: no link, no emphasis, no code
    assert html.unescape(inner) == text     # and the reader sees exactly what was typed


def test_file_part_keeps_study_text_inside_one_folder():
    # by hand: every run of characters other than letters, digits, '.', '_', '-' -> '_', then '.'/'_' trimmed
    assert file_part("<i>group</i>") == "i_group_i"
    assert file_part("age group") == "age_group"
    assert file_part("../../x") == "x"
    assert file_part("gender") == "gender"
    assert file_part("///") == "_"


# -- the batch -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root, _ = make_root(tmp_path_factory.mktemp("hostile"), HOSTILE, STUDY)
    result = run_in(root, "report", STUDY, "--jobs", "2")
    return root, result


def pages(root: Path) -> list[Path]:
    return sorted((root / "reports" / STUDY).glob("*.html"))


@pytest.mark.notebook
def test_batch_succeeds_with_every_report(batch):
    root, result = batch
    assert result.returncode == 0, result.stderr[-3000:]
    names = {p.name for p in pages(root)}
    # 01–04, 06 (two coders), 08, a profile per participant, the index
    assert names == {"index.html", "01-clean-transcripts.html", "02-code-frequencies.html",
                     "03-code-cooccurrence.html", "04-themes-across-participants.html",
                     "06-intercoder-agreement.html", "08-discovery.html",
                     "05-participant-profile-H01.html", "05-participant-profile-H02.html",
                     "05-participant-profile-H03.html"}


@pytest.mark.notebook
def test_attribute_name_cannot_make_folders(batch):
    # "<i>group</i>" is the attribute notebook 02 compares by; its table file
    # must stay one file in tables/, not "code_frequencies_by_<i>group<" + "/i>.csv"
    root, result = batch
    assert result.returncode == 0, result.stderr[-3000:]
    tables = root / "data" / "processed" / STUDY / "tables"
    assert [p.name for p in tables.iterdir() if not p.is_file()] == []
    assert (tables / "code_frequencies_by_i_group_i.csv").is_file()


class _Elements(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.notebook
def test_no_element_from_study_text_in_any_page(batch):
    root, result = batch
    assert result.returncode == 0, result.stderr[-3000:]
    for page in pages(root):
        parser = _Elements()
        parser.feed(page.read_text(encoding="utf-8"))
        tags = parser.tags
        assert not [t for t, _ in tags if t in ("script", "iframe", "object", "embed")], page.name
        assert not [a for _, a in tags if any(k.lower().startswith("on") for k in a)], page.name
        assert not [a for t, a in tags if t == "img" and a.get("src") == "x"], page.name
        # (nbconvert's heading anchors, href="#…", are links within the page)
        assert not [a for t, a in tags if t == "a" and "example.invalid" in (a.get("href") or "")
                    and not a["href"].startswith("#")], page.name
        # our own figures are data: URIs; nothing else is loaded
        assert all(a.get("src", "").startswith("data:image/") for t, a in tags if t == "img"), page.name


@pytest.mark.notebook
@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (CI installs Debian's chromium; "
                    "apt-get install chromium to run the browser tests)")
def test_pages_in_headless_chromium_show_hostile_text_as_text(batch):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev extra) not installed")
    root, result = batch
    assert result.returncode == 0, result.stderr[-3000:]
    visible: dict[str, str] = {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for path in pages(root):
                page = browser.new_page()
                dialogs, errors = [], []
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(path.as_uri())
                page.wait_for_load_state("load")
                assert dialogs == [], f"{path.name}: a script ran: {dialogs}"
                assert errors == [], f"{path.name}: {errors}"
                for selector in ('img[src="x"]', 'a[href="http://example.invalid"]', "[onerror]", "script"):
                    assert page.locator(selector).count() == 0, f"{path.name}: {selector}"
                for tag, made_from_study_text in ELEMENTS_NOT_TO_MAKE.items():
                    texts = page.eval_on_selector_all(tag, "els => els.map(e => e.textContent.trim())")
                    assert not set(texts) & made_from_study_text, f"{path.name}: <{tag}> made from study text"
                visible[path.name] = page.inner_text("body")
                page.close()
        finally:
            browser.close()

    # the title, as the YAML gives it, heads the index and the cleaning report
    assert TITLE in visible["index.html"]
    assert TITLE in visible["01-clean-transcripts.html"]
    # each profile is listed on the index under its pseudonym, and headed by it
    for pid, name in PSEUDONYMS.items():
        assert f"Profile: {name}" in visible["index.html"]
        assert f"{name} ({pid})" in visible[f"05-participant-profile-{pid}.html"]
    # code names and the attribute name shown as typed
    assert THEME in visible["02-code-frequencies.html"]
    assert "**bold code**" in visible["02-code-frequencies.html"]
    assert "$\\notacommand{x}$ code" in visible["02-code-frequencies.html"]
    assert "<i>group</i>" in visible["04-themes-across-participants.html"]
    # every hostile transcript string is visible as typed in at least one report
    bundle = "\n".join(visible.values())
    assert [s for s in TRANSCRIPT_STRINGS if s not in bundle] == []
    # the framework matrix quotes the coded turns of H01 as typed
    framework = visible["04-themes-across-participants.html"]
    assert "<img src=x onerror=alert(2)>" in framework and "[link](http://example.invalid)" in framework
