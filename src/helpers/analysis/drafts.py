"""Write-up drafts in: paragraphs, headings, quotations and their attributions.

A draft (``.docx``, ``.md`` or ``.txt``) is read into **blocks**: one per
paragraph, each with its location (``paragraph N`` counting non-empty
paragraphs from the top, and for plain text the line it starts on), whether it
is a heading and whether it is set apart as a block quotation.

Quotations (issue 17, item 1) are found two ways:

- **inline**: text in quotation marks, straight or curly, double or single
  (a single mark opens only after a space or bracket and before a letter, and
  closes only before a non-letter, so that "don't" and "Mary's" are not marks);
- **block**: a paragraph set apart — a Word paragraph in a "Quote" style,
  indented, or wholly italic; in Markdown a ``>`` line, a wholly ``*italic*``
  or ``_italic_`` paragraph, or an indented one; in plain text an indented one.

An attribution is what follows the quotation: ``(Name)``, ``(P03)``,
``(Name, line 12)``, ``– Name`` / ``- Name``, or, after a block, a short next
paragraph holding only a name in one of those forms. Inline quotations of
fewer than ``MIN_QUOTE_WORDS`` words with no attribution are terms in scare
quotes, not participants' words: they are kept with ``kind = 'term'`` so that
the audit can say it left them unchecked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from helpers.errors import InputError
from helpers.ingest.cleaning import normalise

DRAFT_SUFFIXES = (".docx", ".md", ".txt")
MIN_QUOTE_WORDS = 4
_ATTRIBUTION_MAX = 60  # characters: a longer bracket is prose, not a name

_DOUBLE = re.compile(r"[\"“”„‟](?P<q>[^\"“”„‟]+?)[\"“”„‟]")
_SINGLE = re.compile(r"(?:(?<=^)|(?<=[\s(\[—–-]))[‘'](?P<q>\w[^‘’']*?(?:[’'](?=\w)[^‘’']*?)*[^\s‘’'])[’'](?!\w)")
_BRACKET_ATTR = re.compile(r"^\s*[,.;:]?\s*(?:\((?P<a>[^()]{1,%d})\)|\[(?P<b>[^\[\]]{1,%d})\])"
                           % (_ATTRIBUTION_MAX, _ATTRIBUTION_MAX))
_SAY = r"(?:said|says|explained|recalled|described|added|noted|reflected|commented|remembered|told us|put it)"
_NAME = r"[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?"
_VERB_AFTER = re.compile(rf"^\s*[,.]?\s*(?:{_SAY}\s+(?P<a>{_NAME})|(?P<b>{_NAME})\s+{_SAY}\b)")
_VERB_BEFORE = re.compile(rf"(?:^|[\s(])(?:[Aa]s\s+)?(?P<a>{_NAME})\s+{_SAY}(?:\s+it)?\s*[:,]?\s*$")
_DASH_ATTR = re.compile(r"^\s*[,.;:]?\s*[–—-]{1,2}\s*(?P<a>[A-Z][\w'’. -]{0,40}?)\s*(?=$|[.;,)]|\s*\()")
_LINE_ATTR = re.compile(r"^\s*(?:[–—-]{1,2}\s*|\()?(?P<a>[^()\n]{1,%d}?)\)?\s*$" % _ATTRIBUTION_MAX)
_TRAILING_ATTR = re.compile(r"(?:\s*\((?P<b>[^()]{1,%d})\)|\s+(?:[–—]|--?(?=\s))\s*(?P<d>[A-Z][\w'’. ,-]{0,40}))\s*[.]?\s*$"
                            % _ATTRIBUTION_MAX)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_ITALIC = re.compile(r"^\s*(?:\*(?!\*)(?P<a>.+)\*|_(?P<b>.+)_)\s*(?P<rest>.*)$", re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])")


@dataclass
class Block:
    """One paragraph of a draft."""
    number: int                 # 1-based among the draft's non-empty paragraphs
    text: str                   # normalised (NFC, one space), markup removed
    line: int | None = None     # first line in a .md/.txt file
    heading: int = 0            # heading level, 0 for body text
    quote_block: bool = False   # set apart as a block quotation
    line_starts: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, line number)

    def line_at(self, offset: int) -> int | None:
        """The file line holding character ``offset`` of ``text`` (plain text only)."""
        found = self.line
        for at, line in self.line_starts:
            if at <= offset:
                found = line
        return found

    def location(self, offset: int = 0) -> str:
        line = self.line_at(offset)
        return f"paragraph {self.number}" + (f", line {line}" if line is not None else "")


@dataclass
class Draft:
    path: Path
    name: str
    format: str
    blocks: list[Block]


@dataclass
class Quotation:
    """A quotation found in a draft (before it is checked)."""
    draft: str
    block: int            # Block.number
    location: str
    kind: str             # 'inline' | 'block' | 'term'
    text: str             # the quoted words, without the marks and the attribution
    attribution: str      # as written ('' when none)
    by_verb: bool = False  # the attribution is a name with a verb ("said Aisha"): kept only if it resolves
    start: int = 0        # offsets of the quotation in the block's text
    end: int = 0


# -- reading ------------------------------------------------------------------------

def read_draft(path: Path | str) -> Draft:
    """Read a draft into blocks.

    Parameters
    ----------
    path : a .docx, .md or .txt file.

    Returns
    -------
    Draft with ``blocks`` in reading order (non-empty paragraphs only).

    Raises
    ------
    InputError
        The file is missing, of another format, or unreadable.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError.one(path, "draft not found", "give the path to a .docx, .md or .txt file")
    suffix = path.suffix.lower()
    if suffix not in DRAFT_SUFFIXES:
        raise InputError.one(path, f"drafts in {suffix or 'this format'} are not read",
                             "save the draft as .docx, .md or .txt")
    if suffix == ".docx":
        blocks = _docx_blocks(path)
    else:
        from helpers.ingest.transcripts import decode

        text, _ = decode(path, path.read_bytes())  # the transcripts' rules: UTF-8/16 or cp1252, no binaries
        blocks = _text_blocks(text, markdown=suffix == ".md")
    return Draft(path, path.name, suffix.lstrip("."), blocks)


def read_drafts_or_raise(paths) -> list[Draft]:
    """Read every draft, all problems reported together (``check`` and the batch).

    Parameters
    ----------
    paths : iterable of str or Path
        The drafts: .docx, .md or .txt files.

    Returns
    -------
    list of Draft
        One per path, in the order given (see ``read_draft``).

    Raises
    ------
    InputError
        One or more drafts missing, of another format or unreadable: every
        problem, one line each.
    """
    from helpers.errors import ProblemList

    problems, out = ProblemList(), []
    for path in paths:
        try:
            out.append(read_draft(path))
        except InputError as exc:
            problems.extend(exc)
    problems.raise_if_any()
    return out


def _docx_blocks(path: Path) -> list[Block]:
    from helpers.ingest.transcripts import open_docx

    document = open_docx(path)  # the transcripts' safe opener: damaged files and zip bombs refused
    blocks = []
    for paragraph in _docx_paragraphs(document):
        text = normalise(paragraph.text)
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        heading = 0
        if style.lower().startswith("heading"):
            digits = re.findall(r"\d+", style)
            heading = int(digits[0]) if digits else 1
        elif style.lower() == "title":
            heading = 1
        blocks.append(Block(len(blocks) + 1, text, heading=heading,
                            quote_block=not heading and _docx_set_apart(paragraph, style)))
    return blocks


def _docx_paragraphs(document):
    """Body paragraphs in reading order, a table's cell paragraphs where the table stands
    (theses often set quotations out in tables)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            yield Paragraph(child, document)
        elif tag == "tbl":
            seen = set()
            for row in Table(child, document).rows:
                for cell in row.cells:
                    if id(cell._tc) in seen:  # a merged cell appears once per grid column
                        continue
                    seen.add(id(cell._tc))
                    yield from cell.paragraphs


def _docx_set_apart(paragraph, style: str) -> bool:
    """A 'Quote' style, a left indent, or every visible run italic."""
    if "quote" in style.lower():
        return True
    indent = paragraph.paragraph_format.left_indent
    if indent is None and paragraph.style is not None:
        indent = paragraph.style.paragraph_format.left_indent
    if indent is not None and indent > 0:
        return True
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and all(r.italic or (r.style is not None and r.style.font.italic) for r in runs)


def _text_blocks(text: str, markdown: bool) -> list[Block]:
    """Paragraphs separated by blank lines (a Markdown heading is a paragraph of its own)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    groups: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            if current:
                groups.append(current)
            current = []
        elif markdown and _MD_HEADING.match(line):
            if current:
                groups.append(current)
            groups.append([(number, line)])
            current = []
        else:
            current.append((number, line))
    if current:
        groups.append(current)
    blocks = []
    for group in groups:
        block = _text_block(group, markdown, len(blocks) + 1)
        if block is not None:
            blocks.append(block)
    return blocks


def _text_block(group: list[tuple[int, str]], markdown: bool, number: int) -> Block | None:
    first_line = group[0][1]
    heading = 0
    quote_block = all(line[:1] in (" ", "\t") and (len(line) - len(line.lstrip())) >= 2 for _, line in group)
    if markdown:
        m = _MD_HEADING.match(first_line)
        if m:
            return Block(number, normalise(m.group(2)), line=group[0][0], heading=len(m.group(1)))
        if all(line.lstrip().startswith(">") for _, line in group):
            group = [(n, line.lstrip()[1:]) for n, line in group]
            quote_block = True
    parts, starts, offset = [], [], 0
    for line_no, line in group:
        piece = normalise(line)
        starts.append((offset, line_no))
        parts.append(piece)
        offset += len(piece) + 1
    text = " ".join(parts)
    if markdown:
        m = _MD_ITALIC.match(text)
        if m and not (m.group("rest") and not _TRAILING_ATTR.match(" " + m.group("rest"))):
            quote_block = True
        text = re.sub(r"(\*\*|__|\*|(?<!\w)_|_(?!\w))", "", text)  # emphasis marks go; offsets drift a little
    if not text.strip():
        return None
    if not markdown and len(group) == 1 and _looks_like_heading(text):
        heading = 1
    return Block(number, text.strip(), line=group[0][0], heading=heading, quote_block=quote_block,
                 line_starts=starts)


def _looks_like_heading(text: str) -> bool:
    """Plain text: a short single line with no sentence punctuation at its end."""
    words = text.split()
    return 0 < len(words) <= 10 and text[-1] not in ".,;:!?\"”’')" and text[0].isupper()


# -- quotations ----------------------------------------------------------------------

def quotations(draft: Draft, min_words: int = MIN_QUOTE_WORDS) -> list[Quotation]:
    """Every quotation of a draft, in reading order (rules in the module docstring).

    Block quotations: a paragraph set apart, its attribution its own trailing
    ``(Name)`` / ``— Name`` or a short next paragraph holding only a name; a
    quotation set out over consecutive paragraphs is attributed once, at its
    end, and gives one quotation per paragraph. Inline quotations: text in
    double, then single, quotation marks in other paragraphs, attributed by
    ``attribution_after``, by a trailing attribution inside the marks, or by a
    name with a verb ("said Aisha"). Headings are skipped.

    Parameters
    ----------
    draft : Draft
        A draft read by ``read_draft``.
    min_words : int, default ``MIN_QUOTE_WORDS`` (4)
        An inline quotation with no attribution and fewer words than this is a
        term in scare quotes (``kind = 'term'``), not a participant's words.

    Returns
    -------
    list of Quotation
        By paragraph, then position in it; ``kind`` 'inline', 'block' or
        'term', ``text`` without the marks and the attribution,
        ``attribution`` as written ('' when none).
    """
    out: list[Quotation] = []
    blocks = draft.blocks
    pending: list[tuple[Block, str]] = []  # consecutive block paragraphs still without an attribution
    for i, block in enumerate(blocks):
        if block.heading:
            continue
        if block.quote_block:
            text, attribution = split_trailing_attribution(block.text)
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            if not attribution and nxt is not None and not nxt.quote_block:
                attribution = attribution_line(nxt.text)
            pending.append((block, _strip_marks(text)))
            # A quotation set out over several paragraphs is attributed once, at its end: that
            # attribution holds for each of its paragraphs (each checked on its own, so that
            # paragraphs from different turns are each found).
            if attribution or nxt is None or not nxt.quote_block:
                out += [Quotation(draft.name, b.number, b.location(), "block", t, attribution,
                                  start=0, end=len(b.text))
                        for b, t in pending if t]
                pending = []
            continue
        out += _inline(draft.name, block, min_words)
    return out


def _inline(name: str, block: Block, min_words: int) -> list[Quotation]:
    found = []
    taken: list[tuple[int, int]] = []
    for pattern in (_DOUBLE, _SINGLE):
        for m in pattern.finditer(block.text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue  # a single-quoted phrase inside a double-quoted one
            taken.append((m.start(), m.end()))
            text = m.group("q").strip()
            attribution = attribution_after(block.text[m.end():])
            inner, trailing = split_trailing_attribution(text)
            if not attribution and trailing:
                text, attribution = inner, trailing
            by_verb = False
            if not attribution:  # "…," said Aisha / Aisha said: "…"
                verb = _VERB_AFTER.match(block.text[m.end():]) or _VERB_BEFORE.search(block.text[:m.start()])
                if verb:
                    attribution, by_verb = (verb.groupdict().get("a") or verb.groupdict().get("b") or "").strip(), True
            words = len(re.findall(r"\w+", text))
            kind = "inline" if attribution or words >= min_words else "term"
            found.append(Quotation(name, block.number, block.location(m.start()), kind, text, attribution,
                                   by_verb=by_verb, start=m.start(), end=m.end()))
    return sorted(found, key=lambda q: q.start)


def attribution_after(rest: str) -> str:
    """The attribution right after a closing quotation mark: ``(Name)``, ``[Name]`` or ``– Name``.

    Parameters
    ----------
    rest : str
        The paragraph's text after the closing mark (an optional ``,.;:``
        first is allowed).

    Returns
    -------
    str
        The name as written (a bracket of at most 60 characters, or a dash
        and a capitalised name), stripped; '' when there is none.
    """
    for pattern in (_BRACKET_ATTR, _DASH_ATTR):
        m = pattern.match(rest)
        if m:
            return (m.groupdict().get("a") or m.groupdict().get("b") or "").strip()
    return ""


def split_trailing_attribution(text: str) -> tuple[str, str]:
    """Split a block quotation's own trailing attribution, ``(Name)`` or ``— Name``, from its text.

    Parameters
    ----------
    text : str
        The paragraph's (or quotation's) text.

    Returns
    -------
    tuple of (str, str)
        The text without the attribution (right-stripped) and the attribution
        as written; ``(text, '')`` when it ends with none.
    """
    m = _TRAILING_ATTR.search(text)
    if not m:
        return text, ""
    return text[:m.start()].rstrip(), (m.group("b") or m.group("d") or "").strip()


def attribution_line(text: str) -> str:
    """The attribution a short paragraph after a block quotation holds, if that is all it holds.

    Forms: ``– Aisha``, ``(P03)``, ``Aisha, line 40``. The part before the
    first comma must be one to three capitalised words or an id such as P03.

    Parameters
    ----------
    text : str
        The paragraph's text.

    Returns
    -------
    str
        The attribution without its dash, brackets and final full stop (the
        line reference kept: "Aisha, line 40"); '' when the paragraph is
        longer than 60 characters, reads as a sentence (ends with . ? ! or :
        and has more than three words), or is not a name.
    """
    if len(text) > _ATTRIBUTION_MAX or text.rstrip().endswith((".", "?", "!", ":")) and len(text.split()) > 3:
        return ""
    m = _LINE_ATTR.match(text)
    if not m:
        return ""
    value = m.group("a").strip().rstrip(".")
    first = value.split(",")[0].strip()
    # a name or an id: one to three capitalised words or a code such as P03
    if re.fullmatch(r"(?:[A-Z][\w'’-]*\.?)(?:\s+[A-Z0-9][\w'’-]*\.?){0,2}", first):
        return value
    return ""


def _strip_marks(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] in "\"“‘'" and text[-1] in "\"”’'":
        text = text[1:-1]
    return text.strip()


def sentences(block: Block) -> list[tuple[int, str]]:
    """The sentences of a prose paragraph, with where each starts.

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` (closing quotation marks
    and brackets kept with it) followed by white space and a capital letter,
    a digit, or an opening mark or bracket.

    Parameters
    ----------
    block : Block
        A paragraph of a draft.

    Returns
    -------
    list of tuple of (int, str)
        ``(offset, sentence)``: the sentence's start in ``block.text`` and its
        text, stripped; empty sentences left out.
    """
    out, start = [], 0
    for m in _SENTENCE_END.finditer(block.text):
        out.append((start, block.text[start:m.start()].strip()))
        start = m.end()
    out.append((start, block.text[start:].strip()))
    return [(o, s) for o, s in out if s]
