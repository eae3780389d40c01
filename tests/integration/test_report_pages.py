"""Every report page, read in a real browser (issue 16 point 9).

Headless Chromium opens every page of the demo's report and of a second study
with a different code hierarchy (tests/fixtures/studies/categories: levels
subcategory and category, no "theme"; report: settings in its study.yml) and
checks what a reader would meet: console errors, broken images, raw missing
markers in table cells, tables wider than the page without their own scroll,
figures without alt text, links (evidence anchors included) that lead nowhere.
"""
from __future__ import annotations

import re
import shutil
import zipfile

import docx
import pytest
from support import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
STUDIES = {"categories": REPO / "tests" / "fixtures" / "studies" / "categories", "demo": REPO / "data" / "raw" / "demo"}
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
    return request.getfixturevalue(f"{request.param}_report").reports


def _pages(folder):
    return sorted(folder.glob("*.html")) + sorted((folder / "evidence").glob("*.html"))


def test_every_page_reads_cleanly_in_chromium(report):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright (dev extra) not installed")
    problems = []
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
                hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))")
                for href in hrefs:
                    problems += _link_problem(report, path, href)
                page.close()
        finally:
            browser.close()
    assert problems == [], "\n".join(problems[:40])


def _link_problem(report, page_path, href) -> list[str]:
    if re.match(r"[a-z]+:", href):
        return [f"{page_path.name}: link leaves the report: {href}"]
    target, _, anchor = href.partition("#")
    file = (page_path.parent / target).resolve() if target else page_path
    if not file.is_file():
        return [f"{page_path.name}: broken link {href}"]
    if anchor and file.suffix == ".html" and f'id="{anchor}"' not in file.read_text(encoding="utf-8"):
        return [f"{page_path.name}: link to a missing anchor {href}"]
    return []


def test_counts_link_to_their_evidence(report):
    names = ["02-code-frequencies.html", "03-code-cooccurrence.html", "04-themes-across-participants.html"]
    if report.name == "demo":
        # Left open: on the demo, notebook 03's default level (the study's most specific, counting.resolve_level)
        # gives an empty co-occurrence matrix, so there is no count to link; see the i16 report.
        names.remove("03-code-cooccurrence.html")
    for name in names:
        text = (report / name).read_text(encoding="utf-8")
        assert re.search(r'<a href="evidence/[^"]+#[^"]+">\d', text), f"{name}: no count links to its evidence"


def test_deliverables_are_in_the_report_folder_and_the_index_links_them(report):
    index = (report / "index.html").read_text(encoding="utf-8")
    for name in ("summary.docx", "codebook.docx", "codebook.xlsx", "tables.xlsx"):
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
