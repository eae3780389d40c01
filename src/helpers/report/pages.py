"""Pages for people: the template every report page shares, the rendering of
an executed notebook into it, and the index page.

A page has the study's title and the date, the question it answers, a table of
contents, then the notebook's text, tables and figures (each figure with alt
text saying what it shows, and its PNG and SVG saved under ``figures/``), and
at the end two appendices: the counting rules and the parameters in force.
Print CSS sets A4 pages so that a browser's "Save as PDF" gives a clean document.
No JavaScript anywhere.
"""
from __future__ import annotations

import base64
import html
import json
import re
import threading
import time
from pathlib import Path

from helpers import __version__, atomic
from helpers.report.present_data import TABLE_MIME  # a shown table's data (deliverables_tables)
from helpers.report.rules import COUNTING_RULES  # the analyses' own rule texts, collected

# What each page answers, in the researcher's words (shown under the title).
QUESTIONS = {
    "01-clean-transcripts": "What was imported, how was it cleaned and redacted, and is anything left to check?",
    "02-code-frequencies": "How often, and how widely across turns, documents and participants, is each code used?",
    "03-code-cooccurrence": "Which codes occur together, and more often than chance?",
    "04-themes-across-participants": "Which participants voice which theme, which themes recur, and what do they say?",
    "05-participant-profile": "How does this participant's talk and coding compare with the group?",
    "06-intercoder-agreement": "How far do the coders agree, code by code, and where do they differ?",
    "08-discovery": "What might the coding have missed: topics, uncoded turns like coded ones, similar participants?",
}


PAGE_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}
header.page-head{border-bottom:2px solid #0072B2;margin-bottom:1rem} header.page-head .study{color:#555;font-size:.95rem;margin:0}
.question{font-size:1.05rem;color:#222;background:#f4f8fc;border-left:4px solid #0072B2;padding:.4rem .8rem}
nav.top a{margin-right:1rem} nav.toc{background:#f8f9fa;padding:.4rem 1rem;font-size:.9rem}
nav.toc ol{margin:.2rem 0;padding-left:1.3rem} nav.toc li.h3{margin-left:1rem;list-style:circle}
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.25rem .45rem;vertical-align:top;text-align:left} th{background:#f1f3f5}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap} td.left-context{text-align:right}
td.text{white-space:normal;overflow-wrap:anywhere;min-width:6rem}
.scroll,.jp-OutputArea-output,.output_html{overflow-x:auto;max-width:100%}
figure{margin:1rem 0} figure.tt-figure img{max-width:100%;height:auto;display:block}
figcaption,.how-to-read{font-size:.85rem;color:#333} .how-to-read{margin:.2rem 0 1rem}
figure.tt-figure figcaption a{margin-left:.5rem}
img{max-width:100%;height:auto} pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f8f9fa;padding:.5rem;font-size:.85rem}
.jp-InputPrompt,.jp-OutputPrompt,.prompt,.anchor-link{display:none} .rule{font-style:italic;color:#444}
mark{background:#ffe08a} section.appendix{border-top:1px solid #ccc;margin-top:2rem;font-size:.9rem}
footer{color:#666;font-size:.8rem;margin-top:2rem}
@page{size:A4;margin:15mm} @page landscape{size:A4 landscape;margin:12mm}
@media print{
 body{max-width:none;margin:0;font-size:10pt} nav.top,nav.toc{display:none}
 .scroll,.jp-OutputArea-output,.output_html{overflow:visible}
 table{font-size:7.5pt;width:100%;table-layout:auto} td.num{white-space:normal}
 th,td{overflow-wrap:anywhere;padding:.1rem .25rem} td.text{min-width:0} figure.wide{page:landscape}
 figure,tr,img{break-inside:avoid} h2,h3{break-after:avoid} a{color:inherit;text-decoration:none}
 section.appendix{break-before:page}
}
"""


def page(title: str, body: str, nav: str = "", *, study_title: str = "", question: str = "",
         toc: str = "", appendix: str = "") -> str:
    """One report page (HTML text, no JavaScript).

    Parameters
    ----------
    title : str
        The page's title (plain text; escaped here).
    body : str
        The page's content (HTML).
    nav : str
        Navigation links above the header (HTML).
    study_title, question : str
        Shown in the header: the study and the question the page answers.
    toc, appendix : str
        Table of contents (HTML) and appendix sections (HTML) at the end.

    Returns
    -------
    str
    """
    when = time.strftime("%d %B %Y", time.gmtime())
    head = (f"<header class=\"page-head\"><h1>{html.escape(title)}</h1>"
            f"<p class=\"study\">{html.escape(study_title) + ' · ' if study_title else ''}"
            f"{when} · Transcript Themes {__version__}</p></header>")
    ask = f"<p class=\"question\">{html.escape(question)}</p>" if question else ""
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}{' — ' + html.escape(study_title) if study_title else ''}</title>"
            f"<style>{PAGE_CSS}</style></head>"
            f"<body>{nav}{head}{ask}{toc}<main>{body}</main>{appendix}</body></html>\n")


def table_of_contents(body: str) -> str:
    """A contents list of the body's h2/h3 headings (ids as nbconvert wrote them).

    Parameters
    ----------
    body : str
        A page's body (HTML); a heading without an ``id`` or without text is left out.

    Returns
    -------
    str
        ``<nav class="toc">`` with one link per heading (its text without tags and "¶") and a
        last one to the appendix; "" when the body has no such heading.
    """
    items = []
    for level, ident, text in re.findall(r"<h([23])[^>]*\bid=\"([^\"]+)\"[^>]*>(.*?)</h\1>", body, flags=re.S):
        label = re.sub(r"<[^>]+>", "", text).replace("¶", "").strip()
        if label:
            items.append(f"<li class=\"h{level}\"><a href=\"#{html.escape(ident, quote=True)}\">{label}</a></li>")
    if not items:
        return ""
    items.append("<li class=\"h2\"><a href=\"#appendix\">Appendix: counting rules and parameters</a></li>")
    return f"<nav class=\"toc\" aria-label=\"Contents\"><strong>Contents</strong><ol>{''.join(items)}</ol></nav>"


def guided(table_html: str, how: str, caption: str = "") -> str:
    """A hand-built table (the appendix, the index, the evidence pages) as the
    presentation layer shows every table: in a figure with its "how to read
    this" under it.

    Parameters
    ----------
    table_html : str
        The table (HTML).
    how : str
        The reading guide (plain text; escaped here).
    caption : str
        An optional caption above (plain text).

    Returns
    -------
    str
    """
    top = f"<figcaption class=\"caption\">{html.escape(caption)}</figcaption>" if caption else ""
    return (f"<figure class=\"tt-table\">{top}<div class=\"scroll\">{table_html}</div>"
            f"<p class=\"how-to-read\"><strong>How to read this.</strong> {html.escape(how)}</p></figure>")


RULES_GUIDE = "Each row names a kind of number the pages show and the rule by which it is counted."
PARAMS_GUIDE = ("Each row is a setting of this page: the value it had in this run (when the setting was left "
                "unset, the value the page chose), where that value came from (the notebook's default, study.yml "
                "report:, the command line, or the report run itself) and what the setting means.")

# Where a parameter's value came from, as the appendix says it (``plan`` records the first three).
ORIGIN_WORDS = {"study.yml": "study.yml report:", "command line": "command line (-p)", "batch": "the report run",
                "default": "notebook default"}
# A notebook says the values it chose for parameters left unset by displaying them under this type
# (``chosen``); ``render_notebook`` takes them out of the page and into its appendix.
CHOSEN_MIME = "application/vnd.transcript-themes.chosen+json"


def chosen(**values) -> None:
    """Record, in a notebook, the value chosen for each parameter left unset (``level=None``
    -> the study's top level), so that the page's appendix states it (issue 16 item 2).

    Displayed as an output of type ``CHOSEN_MIME`` (an empty text in JupyterLab), which
    ``render_notebook`` removes from the page. Values of None (nothing chosen) are left out.

    Parameters
    ----------
    **values
        Parameter -> the value in force after the notebook resolved it (JSON-able: str,
        number, bool, list).

    Returns
    -------
    None
    """
    from IPython.display import display

    kept = {k: v for k, v in values.items() if v is not None}
    display({CHOSEN_MIME: json.loads(json.dumps(kept, default=str)), "text/plain": ""}, raw=True)


def _chosen_values(nb) -> dict:
    """The values recorded by ``chosen`` in an executed notebook (later ones win), and
    those outputs removed."""
    found: dict = {}
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        for output in outputs:
            value = output.get("data", {}).get(CHOSEN_MIME)
            if isinstance(value, dict):
                found.update(value)
        if outputs:
            cell["outputs"] = [o for o in outputs if CHOSEN_MIME not in o.get("data", {})]
    return found


def appendix(params: dict, helps: dict | None = None, picked: dict | None = None,
             origins: dict | None = None) -> str:
    """The appendix: counting rules, then the parameters in force: the value each had,
    where it came from, and what it means (the comment beside it in the notebook's
    parameters cell).

    A parameter left unset (None) shows the value the page chose for it (``picked``, from
    ``chosen``) with what None means ("theme (the study's top level)"), or, when the page
    chose no single value, the meaning alone ("the primary coder of each document (not
    set)"); no row shows "None".

    Parameters
    ----------
    params : dict
        Parameter -> value in force (``Source`` for defaults as written).
    helps : dict, optional
        Parameter -> its comment in the parameters cell.
    picked : dict, optional
        Parameter -> the value the notebook chose for it (``chosen``).
    origins : dict, optional
        Parameter -> where its value came from: "study.yml", "command line" or "batch"
        (``registry.plan``); a parameter not in it, or a ``Source``, is the notebook default.

    Returns
    -------
    str
        The appendix section (HTML).
    """
    helps, picked, origins = helps or {}, picked or {}, origins or {}
    rules = "".join(f"<tr><th>{html.escape(n)}</th><td>{html.escape(t)}</td></tr>" for n, t in COUNTING_RULES)
    rows = []
    for k, v in params.items():
        help_text = helps.get(k, "")
        unset = v is None or (isinstance(v, Source) and str(v) == "None")
        origin = ORIGIN_WORDS["default"] if isinstance(v, Source) else ORIGIN_WORDS.get(
            origins.get(k, "default"), str(origins.get(k, "default")))
        if unset and k in picked:
            means = _NONE_MEANS.search(str(help_text))
            value = _param_text(k, picked[k]) + (f" ({means.group(1).strip().rstrip('.')})" if means else "")
            origin = f"{origin}: not set, so the page chose it"
        else:
            value = _param_text(k, v, help_text)
        rows.append(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(value)}</td>"
                    f"<td>{html.escape(origin)}</td><td>{html.escape(_meaning(help_text))}</td></tr>")
    rows = "".join(rows)
    params_html = ("<h3 id=\"parameters\">Parameters</h3><p>The settings this page was run with "
                   "(change them with <code>-p NAME=VALUE</code> or study.yml <code>report:</code>).</p>"
                   + guided(f"<table><tr><th>parameter</th><th>value</th><th>set by</th><th>meaning</th></tr>"
                            f"{rows}</table>", PARAMS_GUIDE)) if rows else ""
    return (f"<section class=\"appendix\" id=\"appendix\"><h2>Appendix</h2>"
            f"<h3 id=\"counting-rules\">Counting rules</h3>{guided(f'<table>{rules}</table>', RULES_GUIDE)}"
            f"{params_html}</section>")


_NONE_MEANS = re.compile(r"\bNone:\s*([^;]+)")


def _meaning(help_text: str) -> str:
    """A parameter's comment for the page: "None:" reads "not set:" (no "None" on a page)."""
    return re.sub(r"\bNone\b", "not set", str(help_text))


class Source(str):
    """A default as written in the parameters cell."""


def _param_text(name: str, value, help_text: str = "") -> str:
    """A parameter's value in words: a value left at None reads as what None
    means in its comment ("the study's most specific level (not set)")."""
    if name == "study":
        return Path(str(value).strip("'\"")).name
    if value is None or (isinstance(value, Source) and str(value) == "None"):
        means = _NONE_MEANS.search(str(help_text))
        return f"{means.group(1).strip().rstrip('.')} (not set)" if means else "not set"
    if isinstance(value, Source) and str(value) in ("True", "False"):
        return "yes" if str(value) == "True" else "no"
    if isinstance(value, Source):
        return str(value).strip("'\"") if re.fullmatch(r"(['\"]).*\1", str(value)) else str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "; ".join(_param_text("", v) for v in value) if value else "none"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_param_text('', v)}" for k, v in value.items()) if value else "none"
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def _study_title(params: dict) -> str:
    """The study's title from its manifest (the page must never fail for it)."""
    try:
        from helpers.study import processed_folder, resolve

        study = str(params.get("study", "")).strip("'\"")
        manifest = processed_folder(resolve(study)) / "manifest.json"  # a report run's own ingest
        return str(json.loads(manifest.read_text(encoding="utf-8")).get("title", ""))
    except Exception:  # noqa: BLE001 - a title is a nicety; the page still renders
        return ""


def _figures(nb, target: Path) -> None:
    """Turn each figure output into a <figure> with alt text and links to its
    PNG and SVG, both saved under ``figures/`` next to the page."""
    folder = target.parent / "figures"
    n = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" not in data:
                continue
            n += 1
            meta = output.get("metadata", {}).get("image/png", {}) or {}
            alt = meta.get("alt") or f"Figure {n} of this page (no description recorded)."
            png = data["image/png"]
            png = png if isinstance(png, str) else "".join(png)
            stem = f"{target.stem}-figure-{n:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            atomic.write_bytes(folder / f"{stem}.png", base64.b64decode(png))
            links = f"<a href=\"figures/{stem}.png\">PNG</a>"
            how = (f"<p class=\"how-to-read\"><strong>How to read this.</strong> {html.escape(meta['how_to_read'])}</p>"
                   if meta.get("how_to_read") else "")
            svg = data.pop("image/svg+xml", None)
            if svg:
                svg = svg if isinstance(svg, str) else "".join(svg)
                atomic.write_text(folder / f"{stem}.svg", svg)
                links += f"<a href=\"figures/{stem}.svg\">SVG</a>"
            output["data"] = {"text/html": (
                f"<figure class=\"tt-figure\" id=\"figure-{n}\"><img alt=\"{html.escape(alt, quote=True)}\" "
                f"src=\"data:image/png;base64,{png.strip()}\"><figcaption>Figure {n}. {html.escape(alt)}"
                f" Download: {links}</figcaption>{how}</figure>"), "text/plain": alt}
            output.get("metadata", {}).pop("image/png", None)


_EXPORTERS = threading.local()


def _exporter():
    """One HTML exporter per thread, kept: building one compiles its Jinja templates (about half
    a second), which per participant page was most of the rendering. (Exporters are not shared
    between threads.)"""
    from nbconvert import HTMLExporter

    if getattr(_EXPORTERS, "html", None) is None:
        _EXPORTERS.html = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                                       exclude_output_prompt=True)
    return _EXPORTERS.html


def render_notebook(executed: Path, target: Path, title: str, defaults: dict | None = None,
                    origins: dict | None = None) -> None:
    """Executed notebook -> one self-contained report page without JavaScript.

    The parameters shown in the appendix are the declared defaults overridden by those
    papermill recorded; JavaScript and widget outputs, the tables' data (``present_data.TABLE_MIME``, read
    from the executed notebook into tables.xlsx) and any ``<script>`` are dropped, and
    the notebook's first H1 (the header carries the title).

    Parameters
    ----------
    executed : Path
        The executed notebook (papermill output).
    target : Path
        The page to write (atomically); figures go to ``target.parent/figures``.
    title : str
        The page title.
    defaults : dict, optional
        The notebook's declared parameters (papermill.inspect_notebook), shown
        in the appendix with those passed overriding them.
    origins : dict, optional
        Parameter -> where the value passed came from ("study.yml", "command line",
        "batch"; ``NotebookRun.origins``), said in the appendix with the values the
        notebook chose for parameters left unset (``chosen``).

    Returns
    -------
    None
        The page is written to ``target``, its figures beside it.

    Raises
    ------
    OSError
        The notebook cannot be read or the page cannot be written.
    """
    import nbformat

    nb = nbformat.read(str(executed), as_version=4)
    meta = nb.metadata.get("papermill", {})
    params = {**{k: Source(v.get("default", "")) for k, v in (defaults or {}).items()},
              **(meta.get("parameters") or {})}
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.id = "injected-parameters"  # papermill's id is random: same run, same page
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            data.pop("application/javascript", None)
            data.pop("application/vnd.jupyter.widget-view+json", None)
            data.pop(TABLE_MIME, None)  # a table's data, for tables.xlsx: never on the page
    picked = _chosen_values(nb)
    _figures(nb, target)
    exporter = _exporter()
    # No sanitizer pass (it escapes our own headings and tables): transcript text
    # reaches the page only through pandas and helpers that escape it, and any
    # script element is dropped below.
    body, _ = exporter.from_notebook_node(nb)
    body = re.sub(r"<script\b.*?</script>", "", body, flags=re.S | re.I)
    # The notebook's own H1 repeats the page title: the header carries it.
    body = re.sub(r"<h1\b[^>]*>.*?</h1>", "", body, count=1, flags=re.S)
    question = next((q for stem, q in QUESTIONS.items() if target.stem.startswith(stem)), "")
    nav = '<nav class="top"><a href="index.html">← Index</a><a href="#appendix">Parameters</a></nav>'
    atomic.write_text(target, page(title, body, nav, study_title=_study_title(params),
                                   question=question,
                                   toc=table_of_contents(body),
                                   appendix=appendix(params, {k: v.get("help", "") for k, v in (defaults or {}).items()},
                                                     picked, origins)))
