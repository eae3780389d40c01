"""Tables and pages for people (issue 16 items 1–2), read off the demo's pages as built.

Every table and figure of the demo report carries a "how to read this" written for it, not
one of the generic fallbacks of ``present_guides`` ("Each row is one document; read across
for its …"); no column header is still snake_case; every figure's alt text says what it
shows; no count reads "(s)". Needs no browser: the pages of the shared run
``demo_report`` (tests/conftest.py) are parsed as HTML; no report is built here.
"""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from helpers.report.present_guides import is_generic


class _Figures(HTMLParser):
    """Each outermost ``<figure>`` of a page: its tables' column headers (the first row of
    ``<th>`` cells), its images' alt texts and its "how to read this" text."""

    def __init__(self):
        super().__init__()
        self.figures, self.depth, self.current, self.text, self.cell, self.row = [], 0, None, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "figure":
            self.depth += 1
            if self.depth == 1:
                self.current = {"heads": [], "alts": [], "guide": ""}
        if self.current is None:
            return
        if tag == "table":
            self.current["heads"].append(None)
        elif tag == "tr":
            self.row = []
        elif tag in ("th", "td") and self.row is not None:
            self.cell = []
        elif tag == "img":
            self.current["alts"].append(attrs.get("alt") or "")
        elif tag == "p" and "how-to-read" in (attrs.get("class") or "").split():
            self.text = []

    def handle_data(self, data):
        for bucket in (self.text, self.cell):
            if bucket is not None:
                bucket.append(data)

    def handle_endtag(self, tag):
        if self.current is None:
            return
        if tag in ("th", "td") and self.cell is not None:
            self.row.append((tag, "".join(self.cell).strip()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            heads = self.current["heads"]
            if heads and heads[-1] is None and self.row and all(kind == "th" for kind, _ in self.row):
                heads[-1] = [text for _, text in self.row]
            self.row = None
        elif tag == "p" and self.text is not None:
            self.current["guide"] += " ".join("".join(self.text).split()).removeprefix("How to read this.").strip()
            self.text = None
        elif tag == "figure":
            self.depth -= 1
            if self.depth == 0:
                self.figures.append(self.current)
                self.current = None


def _problems(folder: Path) -> list[str]:
    """What a reader should not meet on the report's pages (index, notebooks, evidence)."""
    problems = []
    for path in sorted(folder.glob("*.html")) + sorted((folder / "evidence").glob("*.html")):
        name = path.relative_to(folder)
        text = path.read_text(encoding="utf-8")
        if "(s)" in text:
            problems.append(f"{name}: says '(s)' near {text[max(0, text.index('(s)') - 60):text.index('(s)')]!r}")
        parser = _Figures()
        parser.feed(text)
        for figure in parser.figures:
            what = (f"table {figure['heads'][0][:4]}" if figure["heads"] and figure["heads"][0]
                    else f"figure {figure['alts'][0][:60]!r}" if figure["alts"] else "a figure")
            if is_generic(figure["guide"]):
                problems.append(f"{name}: {what}: generic guide {figure['guide'][:90]!r}")
            for heads in figure["heads"]:
                problems += [f"{name}: {what}: header {h!r} in snake_case" for h in heads or [] if "_" in h]
            problems += [f"{name}: {what}: alt text does not say what it shows: {alt[:90]!r}"
                         for alt in figure["alts"] if not alt.strip() or is_generic(alt)]
    return problems


def test_the_check_finds_generic_guides_snake_case_headers_and_bare_alt_text(tmp_path):
    """The check cannot pass for want of looking: a page with each fault is caught."""
    (tmp_path / "page.html").write_text(
        '<figure class="tt-table"><table><tr><th>doc_id</th><th>Turns</th></tr><tr><td>P01</td><td>3</td></tr>'
        '</table><p class="how-to-read"><strong>How to read this.</strong> Each row is one document; read across '
        'for its Turns.</p></figure><figure><img alt="Figure showing 3 bars."><p class="how-to-read">Each bar is a '
        'code: its length is its participants.</p></figure><p>2 passage(s)</p>', encoding="utf-8")
    problems = _problems(tmp_path)
    assert len(problems) == 4, problems
    assert "says '(s)'" in problems[0] and "2 passage" in problems[0]
    assert "generic guide 'Each row is one document; read across" in problems[1]
    assert "header 'doc_id' in snake_case" in problems[2]
    assert "alt text does not say what it shows: 'Figure showing 3 bars.'" in problems[3]


def test_every_table_and_figure_of_the_demo_reads_for_people(demo_report):
    """Issue 16 items 1–2: on every page of the demo, each table's and figure's guide is its
    own (no generic fallback), no header is snake_case, alt text says what each figure shows
    and no count says "(s)"."""
    pages = sorted(demo_report.reports.glob("*.html"))
    assert len(pages) > 10
    problems = _problems(demo_report.reports)
    assert problems == [], "\n".join(problems[:40])
