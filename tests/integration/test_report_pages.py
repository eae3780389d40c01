"""Every report page, read in a real browser (issue 16 point 9).

Headless Chromium opens every page of the demo's report and of a second study
with a different code hierarchy (tests/fixtures/studies/categories: levels
subcategory and category, no "theme"; report: settings in its study.yml) and
checks what a reader would meet: console errors, broken images, raw missing
markers in table cells, tables wider than the page without their own scroll,
figures without alt text, links (evidence anchors included) that lead nowhere.
"""
from __future__ import annotations

import json
import re
import shutil
import zipfile
from html.parser import HTMLParser

import docx
import pytest
from support import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
STUDIES = {"categories": REPO / "tests" / "fixtures" / "studies" / "categories", "demo": REPO / "data" / "raw" / "demo"}
A4_PX, A4_LANDSCAPE_PX = 680, 1031   # A4 less the print margins (pages.PAGE_CSS), CSS pixels at 96 per inch
RAW_MARKERS = {"NaN", "nan", "<NA>", "None", "NaT", "[]", "True", "False"}

pytestmark = [pytest.mark.browser, pytest.mark.notebook,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install chromium "
                                                          "to run the browser tests)")]


@pytest.fixture(params=[pytest.param(name, marks=pytest.mark.xdist_group(f"{name}_report")) for name in sorted(STUDIES)])
def report(request):
    """`report <study> --jobs 2 --zip` in a fresh project: the shared runs of
    tests/conftest.py (demo_report, categories_report); its reports folder."""
    source = STUDIES[request.param]
    if not source.is_dir():
        pytest.skip(f"{source} not present")
    run = request.getfixturevalue(f"{request.param}_report")
    REPORTS[run.reports] = (run.result.stdout, run.root / "data" / "processed" / run.raw.name)
    return run.reports


REPORTS: dict = {}  # report folder -> (the summary the CLI printed, the study's processed folder)


def _pages(folder):
    return sorted(folder.glob("*.html")) + sorted((folder / "evidence").glob("*.html"))


def test_every_page_reads_cleanly_in_chromium(report):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright (dev extra) not installed")
    problems, anchors = [], {}
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                          "--disable-background-networking", "--disable-component-update"])
        try:
            for path in _pages(report):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                errors = []
                page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                page.goto(path.as_uri())
                page.wait_for_load_state("load")
                name = path.relative_to(report)
                problems += [f"{name}: console: {e}" for e in errors]
                images = page.eval_on_selector_all(
                    "img", "imgs => imgs.map(i => [i.naturalWidth, i.getAttribute('alt') || ''])")
                problems += [f"{name}: broken image" for w, _ in images if w == 0]
                problems += [f"{name}: figure without alt text" for _, alt in images
                             if not alt.strip() or "No description has been provided" in alt]
                cells = page.eval_on_selector_all("td, th", "cs => cs.map(c => c.innerText.trim())")
                problems += [f"{name}: raw value {c!r} in a table cell" for c in cells
                             if c in RAW_MARKERS or "NaN" in c.split() or "<NA>" in c]
                wide = page.evaluate("""() => {
                    const page = document.documentElement.clientWidth;
                    const bad = [];
                    for (const t of document.querySelectorAll('table')) {
                        if (t.getBoundingClientRect().width <= page) continue;
                        let el = t.parentElement, scrolls = false;
                        while (el && el !== document.body) {
                            const o = getComputedStyle(el).overflowX;
                            if ((o === 'auto' || o === 'scroll') && el.getBoundingClientRect().width <= page) { scrolls = true; break; }
                            el = el.parentElement;
                        }
                        if (!scrolls) bad.push(t.innerText.slice(0, 40));
                    }
                    if (document.documentElement.scrollWidth > page + 1) bad.push('the page itself scrolls sideways');
                    return bad;
                }""")
                problems += [f"{name}: table wider than the page without its own scroll: {w!r}" for w in wide]
                # Printed on A4 (issue 16 point 1): 180 mm of text width, 273 mm for a table the page
                # prints landscape; nothing may run off the paper (print has no scroll bars).
                page.emulate_media(media="print")
                page.set_viewport_size({"width": A4_PX, "height": 900})
                cut = page.evaluate("""([portrait, landscape]) => {
                    const out = [];
                    for (const el of document.querySelectorAll('table, img, pre')) {
                        const limit = el.closest('figure.wide') ? landscape : portrait;
                        if (el.getBoundingClientRect().right > limit + 1) out.push(el.tagName + ' ' +
                            (el.innerText || el.getAttribute('alt') || '').slice(0, 40).replace(/\\s+/g, ' '));
                    }
                    return out;
                }""", [A4_PX, A4_LANDSCAPE_PX])
                problems += [f"{name}: printed on A4, runs off the paper: {c!r}" for c in cut]
                page.emulate_media(media="screen")
                hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))")
                for href in hrefs:
                    problems += _link_problem(report, path, href, anchors)
                page.close()
        finally:
            browser.close()
    assert problems == [], "\n".join(problems[:40])


def _link_problem(report, page_path, href, anchors: dict) -> list[str]:
    """What is wrong with one link of a page, if anything. ``anchors`` keeps each page's
    ids once read: the demo's pair pages (3 MB) hold hundreds of links into themselves."""
    if re.match(r"[a-z]+:", href):
        return [f"{page_path.name}: link leaves the report: {href}"]
    target, _, anchor = href.partition("#")
    file = (page_path.parent / target).resolve() if target else page_path
    if not file.is_file():
        return [f"{page_path.name}: broken link {href}"]
    if anchor and file.suffix == ".html":
        if file not in anchors:
            anchors[file] = set(re.findall(r'\bid="([^"]*)"', file.read_text(encoding="utf-8")))
        if anchor not in anchors[file]:
            return [f"{page_path.name}: link to a missing anchor {href}"]
    return []


class _Guides(HTMLParser):
    """Each table and figure image of a page, and whether the <figure> holding it has a
    "how to read this" paragraph."""

    VOID = {"img", "br", "hr", "meta", "link", "input", "col", "source", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack, self.figures, self.items = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("table", "img"):
            holder = next((f for f in reversed(self.stack) if f[0] == "figure"), None)
            self.items.append((tag, attrs.get("alt") or "", holder))
        if tag == "p" and "how-to-read" in (attrs.get("class") or "").split():
            for element in self.stack:
                if element[0] == "figure":
                    element[1]["guided"] = True
        if tag not in self.VOID:
            self.stack.append((tag, {}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break


def test_every_table_and_figure_has_its_how_to_read(report):
    """"How to read this" appeared under only some tables and figures (issue 16 point 2)."""
    missing = []
    for path in _pages(report):
        parser = _Guides()
        parser.feed(path.read_text(encoding="utf-8"))
        for tag, alt, holder in parser.items:
            if holder is None or not holder[1].get("guided"):
                missing.append(f"{path.relative_to(report)}: a {tag} {alt[:60]!r} without 'How to read this'")
    assert missing == [], "\n".join(missing[:30])


class _Cells(HTMLParser):
    """Rows of every table: (header texts, [(cell text, linked to evidence)])."""

    def __init__(self):
        super().__init__()
        self.tables, self.cell, self.row, self.links = [], None, None, False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"head": [], "rows": []})
        elif tag == "tr" and self.tables:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell, self.links = [], False
        elif tag == "a" and self.cell is not None and (dict(attrs).get("href") or "").startswith("evidence/"):
            self.links = True

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(("".join(self.cell).strip(), self.links, tag))
            self.cell = None
        elif tag == "tr" and self.row is not None and self.tables:
            table = self.tables[-1]
            if all(kind == "th" for _, _, kind in self.row) and not table["head"]:
                table["head"] = [text for text, _, _ in self.row]
            else:
                table["rows"].append(self.row)
            self.row = None


COUNT_HEADERS = {"Applications", "Turns (segments)", "Documents", "Participants", "Words coded", "Code A (n₁)",
                 "Code B (n₂)", "Both (n₁₂)", "segment", "overlap", "window", "document", "participant"}


def test_counts_link_to_their_evidence(report):
    """Every count on pages 02 and 03 (and the theme matrix of 04) is a link to the passages it counts
    (issue 16 point 4): the code tables at each level, the co-occurrence matrix, the pairs and the
    units side by side."""
    unlinked, linked = [], 0
    for name in ["02-code-frequencies.html", "03-code-cooccurrence.html", "04-themes-across-participants.html"]:
        text = (report / name).read_text(encoding="utf-8")
        assert re.search(r'<a href="evidence/[^"]+#[^"]+">\d', text), f"{name}: no count links to its evidence"
        parser = _Cells()
        parser.feed(text)
        for table in parser.tables:
            head, rows = table["head"], table["rows"]
            if not head or not rows:
                continue
            matrix = [r[0][0] for r in rows] == head[1:len(rows) + 1] and len(head) > 1
            columns = [i for i, h in enumerate(head) if h in COUNT_HEADERS or (matrix and i > 0)]
            if not matrix and not ({"code", "Code A (n₁)"} & set(head)):
                continue  # word and bigram counts: the concordance is their evidence
            for row in rows:
                for i in columns:
                    if i < len(row) and re.fullmatch(r"[\d,]+", row[i][0]) and row[i][0] != "0":
                        linked += row[i][1]
                        if not row[i][1]:
                            unlinked.append(f"{name}: {head[i]} {row[i][0]} of {row[0][0]!r} links nowhere")
    assert linked and unlinked == [], "\n".join(unlinked[:20])


def test_terminal_summary_shows_each_warning_whole(report):
    """The summary showed only the first ingest warning, cut mid-word at 120 characters. It
    now gives every warning of the run's manifest, one line per kind (batch_summary.
    warning_lines, whose wording tests/unit/test_run_summary.py checks), each line whole."""
    from helpers.report.batch_summary import warning_lines

    stdout, processed = REPORTS[report]
    warnings = json.loads((processed / "manifest.json").read_text(encoding="utf-8")).get("warnings") or []
    printed = stdout.splitlines()
    for line in warning_lines(warnings):
        assert f"  {line}" in printed, stdout
    if warnings:
        assert any(line.startswith(f"  ingest: {len(warnings)} warning") for line in printed), stdout
    assert "(first:" not in stdout


def test_deliverables_are_in_the_report_folder_and_the_index_links_them(report):
    index = (report / "index.html").read_text(encoding="utf-8")
    for name in ("summary.docx", "codebook.docx", "codebook.xlsx", "tables.xlsx", "framework_matrix.xlsx"):
        assert (report / name).is_file() and f'href="{name}"' in index
    headings = [p.text for p in docx.Document(str(report / "summary.docx")).paragraphs
                if p.style.name.startswith("Heading")]
    assert {"Contents", "Methods", "Codebook"} <= set(headings)
    assert any(h.startswith("Theme: ") for h in headings)
    figures = sorted((report / "figures").glob("*.png"))
    assert figures and all(f.with_suffix(".svg").is_file() for f in figures)
    bundle = report / f"{report.name}-report.zip"
    names = zipfile.ZipFile(bundle).namelist()
    assert f"{report.name}/summary.docx" in names and not any("/executed/" in n for n in names)
    _tables_workbook_holds_the_pages_tables(report)


def _tables_workbook_holds_the_pages_tables(report):
    """Issue 16 item 5: tables.xlsx has every table the pages show, on named sheets listed in
    "contents" with their page and table: the theme matrix, recurrence and saturation of page 04
    (recurrence's n for each code is the number of participants with it in the matrix), and one
    stacked sheet per kind of profile table."""
    import openpyxl

    from helpers.report.present import header

    book = openpyxl.load_workbook(report / "tables.xlsx")
    contents = list(book["contents"].iter_rows(values_only=True))
    assert contents[0] == ("sheet", "file", "rows", "page", "table", "how to read", "note")
    listed = {row[0]: row for row in contents[1:]}
    assert set(listed) == set(book.sheetnames) - {"contents"}
    for name in ("04 Themes across participants", "04 Recurrence", "04 Saturation"):
        assert listed[name][1:3] == ("04-themes-across-participants.html", book[name].max_row - 1)
        assert listed[name][3] == "Themes across participants" and listed[name][5]
    assert listed["04 Recurrence"][4] == "Recurrence" and listed["04 Saturation"][4] == "Saturation"
    matrix = list(book["04 Themes across participants"].iter_rows(values_only=True))
    participants = len(list((report / "executed").glob("05-participant-profile-*.ipynb")))
    assert matrix[0][0] == "Participant" and len(matrix) - 1 == participants
    recurrence = list(book["04 Recurrence"].iter_rows(values_only=True))
    heads = recurrence[0]
    assert heads[:2] == ("code", "n") and "Share (%)" in heads
    for row in recurrence[1:]:
        column = matrix[0].index(header(row[0]))
        assert row[1] == sum(r[column] for r in matrix[1:])  # presence 0/1, as numbers
        assert 0 <= row[heads.index("Share (%)")] <= 100
    profiles = [row for row in contents[1:] if row[1] == "05-participant-profile-*.html"]
    assert profiles and all(book[row[0]].cell(1, 1).value == "Participant" for row in profiles)
    ids = {p.stem.removeprefix("05-participant-profile-") for p in (report / "executed").glob("05-*.ipynb")}
    assert {r[0] for r in book[profiles[0][0]].iter_rows(min_row=2, values_only=True)} <= ids
