"""The study's index page, reports/<study>/index.html: headline numbers, every page of the
study with its state in this run, the files to send, the participant profiles, and an
appendix (counting rules, ingest parameters, inputs).

Split out of ``pages`` (issue 15: no module over ~500 lines); the page template, the
appendix and the rendering of notebooks stay there.
"""
from __future__ import annotations

import html
from pathlib import Path

from helpers import atomic
from helpers.report.pages import (
    COUNTING_RULES,
    QUESTIONS,
    RULES_GUIDE,
    _param_text,
    guided,
    page,
    table_of_contents,
)
from helpers.textutil import plural

__all__ = ["HEADLINE_GUIDE", "INGEST_GUIDE", "INPUTS_GUIDE", "PAGE_STATES", "write_index"]


HEADLINE_GUIDE = ("Each row is one count over the whole study: documents (transcripts and stand-ins), participants, "
                  "turns, codes in the codebook, codings imported and coders.")
INGEST_GUIDE = "Each row is a setting ingestion used (from study.yml, or its default): its name and value."
INPUTS_GUIDE = ("Each row is a file read: its path in the study folder, the start of its SHA-256 fingerprint "
                "(the same file gives the same fingerprint) and its size.")


# What the index says of each page's state in this run (``write_index``'s ``states``).
PAGE_STATES = {
    "run": "updated in this run",
    "unchanged": "unchanged: carried over from an earlier run, built from this study as it is now",
    "outdated": "not in this report: its last version was built from an earlier version of the study; "
                "run the report without --only to rebuild it",
    "absent": "not built yet: run the report without --only to build it",
}


def _page_item(run, folder: Path, states: dict | None, text: str = "") -> str:
    """One page in the index: linked when its file is in ``folder``, with its state when known."""
    title = html.escape(run.title)
    exists = (folder / f"{run.stem}.html").is_file()
    head = f"<a href=\"{html.escape(run.stem)}.html\">{title}</a>" if exists else title
    state = "" if states is None else PAGE_STATES[states.get(run.stem, "unchanged" if exists else "absent")]
    text = f" — {html.escape(text)}" if text else ""
    state = f' <span class="state">({html.escape(state)})</span>' if state else ""
    return f"<li>{head}{text}{state}</li>"


def write_index(study, runs, paths, profile_stem: str = "05-participant-profile", states: dict | None = None) -> Path:
    """reports/<study>/index.html: headline numbers, the reports, the files to
    send (Word, Excel, figures, evidence), the profiles, then the counting rules,
    parameters and inputs in an appendix.

    Parameters
    ----------
    study : Study
    runs : list of NotebookRun
        The batch's pages (``stem``, ``title``, ``description``, ``notebook``): each is linked
        when its page is in ``paths.reports``, else listed unlinked.
    paths : StudyPaths
    profile_stem : str
        The notebook whose runs are participant profiles.
    states : dict, optional
        Page stem -> "run", "unchanged" or "outdated" (``PAGE_STATES``), said beside each page
        (a page not named is "unchanged" when its file exists, else "absent"): after
        ``report --only``, every page is still listed with whether it was updated, carried
        over or left out (issue 16, the fresh user's read). None: no states said.

    Returns
    -------
    Path
        The index page written.
    """
    from helpers.report.deliverables import LISTED

    manifest = study.manifest
    from helpers.counting import coding_counts, coding_counts_sentence

    counted = coding_counts(study)  # DESIGN §4: one passage counts once; rows and passages both shown
    numbers = [("Documents", len(study.documents)), ("Participants", len(study.participants)),
               ("Turns", len(study.segments)), ("Codes", len(study.codebook)),
               ("Coding rows imported", counted["rows"]), ("Passages counted", counted["passages"]),
               ("Coders", len(study.coders()))]
    headline = "".join(f"<tr><th>{n}</th><td class=\"num\">{v:,}</td></tr>" for n, v in numbers)
    counting_note = f"<p class=\"note\">{html.escape(coding_counts_sentence(counted))}</p>"
    main = [r for r in runs if not r.notebook.startswith(profile_stem)]
    profiles = [r for r in runs if r.notebook.startswith(profile_stem)]
    folder = paths.reports
    report_list = "".join(_page_item(r, folder, states, QUESTIONS.get(r.notebook, r.description)) for r in main)
    profile_list = "".join(_page_item(r, folder, states) for r in profiles) or "<li>No participants.</li>"
    files = [(name, text) for name, text in LISTED if (folder / name).is_file()]
    evidence_pages = sorted((folder / "evidence").glob("*.html")) if (folder / "evidence").is_dir() else []
    figures = sorted((folder / "figures").glob("*.png")) if (folder / "figures").is_dir() else []
    file_list = "".join(f"<li><a href=\"{html.escape(n)}\">{html.escape(n)}</a> — {html.escape(t)}</li>"
                        for n, t in files)
    file_list += "".join(f"<li><a href=\"evidence/{html.escape(p.name)}\">evidence/{html.escape(p.name)}</a> — "
                         f"the passages behind the counts</li>" for p in evidence_pages)
    if figures:
        file_list += (f"<li><code>figures/</code> — {plural(len(figures), 'figure')}, each as PNG and SVG "
                      f"(first: <a href=\"figures/{html.escape(figures[0].name)}\">{html.escape(figures[0].name)}</a>)</li>")
    bundle = f"{paths.name}-report.zip"
    file_list += (f"<li><code>{html.escape(bundle)}</code> — all of the above in one zip: run "
                  f"<code>python -m helpers report {html.escape(paths.name)} --zip</code> (written only after the "
                  f"redaction scan passes)</li>")
    params = manifest.get("parameters", {})
    param_rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_param_text(k, v))}</td></tr>"
                         for k, v in sorted(params.items()))
    inputs = "".join(f"<tr><td>{html.escape(i['path'])}</td><td><code>{i['sha256'][:16]}</code></td>"
                     f"<td class=\"num\">{i['bytes']:,}</td></tr>" for i in manifest.get("inputs", []))
    rules = "".join(f"<tr><th>{html.escape(n)}</th><td>{html.escape(t)}</td></tr>" for n, t in COUNTING_RULES)
    body = f"""
<h2 id="headline">Headline numbers</h2>{guided(f"<table>{headline}</table>", HEADLINE_GUIDE)}{counting_note}
<h2 id="reports">Reports</h2><ul>{report_list}</ul>
<h2 id="files">Files to send</h2><ul>{file_list}</ul>
<h2 id="profiles">Participant profiles</h2><ul>{profile_list}</ul>
"""
    appendix_html = f"""<section class="appendix" id="appendix"><h2>Appendix</h2>
<h3 id="counting-rules">Counting rules</h3>{guided(f"<table>{rules}</table>", RULES_GUIDE)}
<h3 id="parameters">Ingest parameters</h3>{guided(f"<table>{param_rows}</table>", INGEST_GUIDE)}
<h3 id="inputs">Inputs</h3><p>Fingerprint <code>{html.escape(manifest.get('fingerprint', ''))}</code>
 (ingested {html.escape(str(manifest.get('time', '')))})</p>
{guided(f"<table><tr><th>file</th><th>sha256</th><th>bytes</th></tr>{inputs}</table>", INPUTS_GUIDE)}</section>
"""
    toc = table_of_contents(body)
    target = paths.reports / "index.html"
    atomic.write_text(target, page(f"{study.title}: reports", body, "", study_title=study.title,
                                   question="What did the analysis of this study find, and where is each result?",
                                   toc=toc, appendix=appendix_html))
    return target
