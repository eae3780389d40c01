"""Write the notebooks in notebooks/ from the cell lists below.

The notebooks are thin (parameters, calls into helpers, figures, prose) and
are committed without outputs; keeping their source here makes reviews of
notebook changes readable diffs. Run: python tools/build_notebooks.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {}
HERE = Path(__file__).resolve().parents[1] / "notebooks"


def notebook(name: str, cells: list[tuple[str, str]]) -> None:
    NOTEBOOKS[name] = cells


def md(text: str) -> tuple[str, str]:
    return ("md", text.strip("\n"))


def code(text: str) -> tuple[str, str]:
    return ("code", text.strip("\n"))


def params(text: str) -> tuple[str, str]:
    return ("params", text.strip("\n"))


# Study text (pseudonyms, codes, titles, attribute names) reaches Markdown only
# through overview.md_text / md_list, which escape HTML and Markdown, and file
# names only through overview.file_part. Figures never read "$…$" in a label as
# mathtext: it would change the text, and a stray "\\" could fail the figure.
SETUP = code("""
import helpers
import matplotlib
from helpers import plots, overview
from helpers.overview import md_text, md_list
from IPython.display import display, Markdown
matplotlib.rcParams["text.parse_math"] = False
study = helpers.load_study(study)
labels = study.participant_label()
""")


# ---------------------------------------------------------------------------
# 06 — inter-coder agreement
# ---------------------------------------------------------------------------
notebook("06-intercoder-agreement", [
    md("""
# Inter-coder agreement

How far the coders agree on each code, and where they disagree, to settle in a consensus
meeting. Statistics are computed only over the documents that every compared coder coded.
"""),
    params("""
study = "demo"
unit = "segment"      # segment (turns), document, or character (NVivo-style)
level = None          # None: codes as applied; or a level name such as "focused"
coders = None         # None: every coder; or a list such as ["AK", "RB"]
n_boot = 1000         # bootstrap resamples for alpha's 95% interval
"""),
    SETUP,
    code("""
import importlib
ag = importlib.import_module("helpers.agreement")
enough = len(study.coders() if coders is None else coders) >= 2
if not enough:
    display(Markdown(f"This study has {len(study.coders())} coder(s): agreement needs two or more. Nothing to compare."))
"""),
    md("## How the statistics are computed"),
    code("""
if enough:
    display(Markdown(ag.describe(unit)))
"""),
    md("""
Conventional reading of alpha (Krippendorff 2004): **≥ 0.800 reliable**, **≥ 0.667 tentative
conclusions only**, below that unreliable.
"""),
    code("""
from helpers.errors import InputError
if enough:
    try:
        table = helpers.agreement(study, unit=unit, level=level, coders=coders, n_boot=n_boot)
    except InputError as exc:  # e.g. no document coded by every coder: say so, compare nothing
        enough = False
        print("\\n".join(problem.line() for problem in exc.problems))
if enough:
    print("documents compared:", ", ".join(table.attrs["documents"]))
    print("documents excluded (not coded by every coder):", ", ".join(table.attrs["excluded_documents"]) or "none")
    display(table.round(3))
"""),
    code("""
if enough:
    plots.agreement.agreement_forest(table);
"""),
    md("## Disagreements, for the consensus meeting\n\nEvery turn where the coders differ on a code, with who applied it and who did not."),
    code("""
if enough:
    diff = ag.disagreements(study, level=level, coders=coders)
    if study.paths is not None:
        ag.write_disagreements(study, study.paths.tables / "disagreements.xlsx", level=level, coders=coders, n_boot=200)
        print(f"{len(diff)} disagreements; workbook: tables/disagreements.xlsx")
    display(diff.head(60))
"""),
    md("## Coders compared"),
    code("""
if enough:
    display(ag.coder_summary(study, level=level))
    plots.agreement.coder_heatmap(ag.coder_code_usage(study, level=level));
"""),
])

# ---------------------------------------------------------------------------
# 04 — themes across participants
# ---------------------------------------------------------------------------
notebook("04-themes-across-participants", [
    md("""
# Themes across participants

Which participants voice which theme (and who does not), whether a theme is recurrent,
the framework matrix with exemplar quotes, where themes arise along each interview, and
whether more interviews would have added new codes.

**Counting rule.** A participant *has* a theme when any coding at or below it in the code
hierarchy is attributed to them. A theme is *recurrent* when the share of participants
who have it reaches the threshold below.
"""),
    params("""
study = "demo"
level = "theme"               # the level whose codes are the columns; None: codes as applied
value = "presence"            # presence, count (applications), segments (turns), share (of coded words)
recurrence_threshold = 0.5    # share of participants for "recurrent" (IPA convention: one half)
quotes_per_cell = 2           # exemplar quotes per framework cell
attribute = None              # participant attribute to compare by; None: the first one
codeline_level = "focused"    # level for the codelines; None: codes as applied
base_size = 4                 # saturation: interviews in the base (Guest, Namey & Chen 2020)
run_length = 2                # saturation: interviews per run
new_information_threshold = 0.05
"""),
    SETUP,
    code("""
from helpers import themes
attribute = attribute or overview.default_attribute(study)
matrix = helpers.theme_matrix(study, level=level, value=value)
print(f"{matrix.shape[0]} participants × {matrix.shape[1]} codes at level {level!r}; cells: {value}")
matrix.rename(index=labels)
"""),
    md("## Participant × theme heatmap\n\nRows are participants (pseudonyms), clustered by their profiles."),
    code("plots.themes.theme_heatmap(study, level=level, value=value);"),
    md("## Recurrence"),
    code("""
rec = themes.recurrence(study, level=level, threshold=recurrence_threshold)
display(Markdown(f"Recurrent: present in at least {recurrence_threshold:.0%} of participants."))
rec
"""),
    code("plots.themes.recurrence_bars(rec, level=level, threshold=recurrence_threshold);"),
    md("### By participant attribute"),
    code("""
if attribute:
    display(Markdown(f"Recurrence within each **{md_text(attribute)}** group (same threshold)."))
    display(themes.recurrence(study, level=level, threshold=recurrence_threshold, by=attribute))
else:
    print("participants.csv has no attribute to compare by")
"""),
    md("## Negative cases\n\nFor each theme, the participants without it; for each participant, the themes they lack."),
    code("themes.negative_cases(study, level=level)"),
    code("themes.missing_themes(study, level=level)"),
    md("""
## Framework matrix

Participants × themes; each cell gives the number of codings and turns and up to
`quotes_per_cell` exemplar quotes with their turn references. Exemplars are chosen
deterministically: the participant's own turns carrying the theme, of moderate length,
most similar (TF-IDF cosine) to the theme's other turns. The workbook
`tables/framework_matrix.xlsx` has one sheet per theme level.
"""),
    code("""
from IPython.display import HTML
frame = themes.framework_matrix(study, level=level, quotes_per_cell=quotes_per_cell)
if study.paths is not None:
    themes.write_framework_workbook(study, study.paths.tables / "framework_matrix.xlsx", quotes_per_cell=quotes_per_cell)
HTML(themes.framework_html(frame))
"""),
    md("## Codelines\n\nWhere in each interview the codes arise, along turn order."),
    code("""
import matplotlib.pyplot as plt
for doc_id in study.documents["doc_id"]:
    figure = plots.themes.codeline(study, doc_id, level=codeline_level)
    display(figure)
    plt.close(figure)  # one figure open at a time: 200 interviews would otherwise hold them all
"""),
    md("## Saturation"),
    code("""
sat = themes.saturation(study, level=None, base_size=base_size, run_length=run_length,
                        threshold=new_information_threshold)
display(Markdown(sat.sentence))
plots.themes.saturation_curve(sat);
sat.table
"""),
    md("""
Saturation follows Guest, Namey & Chen (2020, *PLOS ONE* 15(5): e0232076): the base is the
distinct codes of the first `base_size` interviews (by `interview_order` in participants.csv,
else file order); each following run of `run_length` interviews adds new information equal
to its new codes ÷ the base; saturation is reached at the first run whose new information is
at or below the threshold.
"""),
])

# ---------------------------------------------------------------------------
# 05 — participant profile
# ---------------------------------------------------------------------------
notebook("05-participant-profile", [
    md("# Participant profile\n\nOne participant's talk, codes and themes, against the group."),
    params("""
study = "demo"
participant = None     # a participant_id; None: the first participant
level = "theme"        # theme level for the profile
code_level = None      # level for the codes table and codelines; None: codes as applied
quotes_per_theme = 2
"""),
    SETUP,
    code("""
from helpers import profile, themes
participant = participant or str(study.participants["participant_id"].iloc[0])
name = labels.get(participant, participant)
docs = profile.participant_documents(study, participant)
display(Markdown(f"## {md_text(name)} ({md_text(participant)})\\n\\nDocuments: {md_list(docs)}. "
                 "[Back to the index](index.html)"))
"""),
    md("## Talk"),
    code("profile.talk_summary(study, participant)"),
    md("## Themes, against the group\n\nApplications at or below each theme; the group mean is over the other participants."),
    code("profile.code_profile(study, participant, level=level)"),
    code("""
relation = profile.shared_and_lacking(study, participant, level=level)
display(Markdown("\\n".join([
    f"- **Shared with most others:** {md_list(relation['shared'])}",
    f"- **Distinctive (most others lack it):** {md_list(relation['distinctive'])}",
    f"- **Lacking (most others have it):** {md_list(relation['lacking'])}",
])))
"""),
    md("## Codes as applied"),
    code("profile.code_profile(study, participant, level=code_level).query('applications > 0')"),
    md("## Codeline"),
    code("""
import matplotlib.pyplot as plt
for doc_id in docs:
    figure = plots.themes.codeline(study, doc_id, level=code_level)
    display(figure)
    plt.close(figure)
"""),
    md("## Best quotes per theme\n\nChosen as in the framework matrix (most typical turns of moderate length)."),
    code("profile.best_quotes(study, participant, level=level, k=quotes_per_theme)"),
])

# ---------------------------------------------------------------------------
# 07 — explore (interactive; not in the batch)
# ---------------------------------------------------------------------------
notebook("07-explore", [
    md("""
# Explore

Interactive views for JupyterLab: the turns carrying a code (at any level, filtered by
coder and participant attributes) with the coded span highlighted, a keyword-in-context
search, and two codes side by side. Everything runs locally. Under papermill the widgets
are built but inert; the plain-function calls at the end show the same views without widgets.
"""),
    params("""
study = "demo"
code = None        # a code to show below without widgets; None: the most used code
code_b = None      # a second code for the side-by-side view; None: the code most often with it
term = "hope"      # a word or phrase for the KWIC view
limit = 20         # turns shown per view
"""),
    SETUP,
    code("""
from helpers.explore import Explorer, explorer_widgets
from IPython.display import HTML
explorer = Explorer(study)
widgets = explorer_widgets(explorer)
widgets
"""),
    md("## The same views as plain functions"),
    code("""
counts = study.codings["code"].value_counts()
code = code or (counts.index[0] if len(counts) else None)
if code is None:
    print("this study has no codings yet")
else:
    display(Markdown(f"### Turns coded *{md_text(code)}*"))
    display(HTML(explorer.code_turns_html(code, limit=limit)))
"""),
    code("""
hits = explorer.kwic(term)
print(f"{len(hits)} occurrences of {term!r}")
hits.head(limit)
"""),
    code("""
if code is not None:
    from helpers.cooccurrence import cooccurrence as co
    matrix = co(study, unit="segment")
    if code_b is None and code in matrix.index:
        row = matrix.loc[code].drop(code)
        code_b = row.idxmax() if row.max() > 0 else None
    if code_b:
        display(Markdown(f"### *{md_text(code)}* beside *{md_text(code_b)}*"))
        display(HTML(explorer.cooccurring_turns_html(code, code_b, limit=limit)))
"""),
])

# ---------------------------------------------------------------------------
# 08 — discovery
# ---------------------------------------------------------------------------
notebook("08-discovery", [
    md("""
# Discovery: suggestions to look again, not findings

Machine-assisted views that run entirely on this computer: topics in participants' words
set against your codes (a topic no code covers is a candidate for new coding), code
suggestions for uncoded turns with their cross-validated accuracy stated honestly, and a
map of participants by their code profiles. Nothing here changes your coding.
"""),
    params("""
study = "demo"
n_topics = 6                 # topics to fit
k_values = [2, 3, 4, 5, 6, 7, 8, 9, 10]   # topic numbers for the choice curve
level = None                 # codes topics and suggestions are set against; None: as applied
map_level = "focused"        # codes that place participants on the map
min_examples = 8             # coded turns a code needs before a classifier is trained
precision_threshold = 0.7    # suggestions only for codes whose cross-validated precision reaches this
colour_by = None             # participant attribute colouring the map; None: the first one
seed = 0
"""),
    SETUP,
    code("""
from helpers import discovery
colour_by = colour_by or overview.default_attribute(study)
if map_level is not None and map_level not in set(study.codebook["level"].dropna()):
    print(f"the codebook has no level {map_level!r}: the map uses the codes as applied")
    map_level = None
"""),
    md("## How many topics?\n\nReconstruction error and UMass coherence for each number of topics."),
    code("""
usable_k = [k for k in k_values if k < len(study.segments)]
curve = discovery.topic_number_curve(study, k_values=usable_k, seed=seed)
plots.discovery.topic_number_figure(curve);
curve
"""),
    md("## Topics and how the codes cover them"),
    code("""
try:
    model = discovery.topics(study, n_topics=n_topics, seed=seed, level=level)
except ValueError as exc:  # too few turns or words for this many topics: say so, go on
    model = None
    display(Markdown(f"**No topic model:** {md_text(exc)}"))
if model is not None:
    display(Markdown(model.describe()))
    display(model.summary)
"""),
    code("""
if model is not None:
    plots.discovery.topic_alignment_heatmap(model);
"""),
    md("Most typical turns of each topic:"),
    code("model.typical if model is not None else None"),
    md("## Code suggestions for uncoded turns"),
    code("""
suggestions = discovery.code_suggestions(study, level=level, min_examples=min_examples,
                                         precision_threshold=precision_threshold, seed=seed)
display(Markdown(suggestions.describe()))
suggestions.scores
"""),
    code("plots.discovery.code_scores_figure(suggestions);"),
    code("""
if study.paths is not None:
    discovery.write_suggestions(suggestions, study.paths.tables / "code_suggestions.xlsx")
print(f"{len(suggestions.suggestions)} suggestions for review (tables/code_suggestions.xlsx); none written into the codings")
suggestions.suggestions.head(40)
"""),
    md("## Participant map\n\nParticipants placed by the Jaccard distance between their sets of codes (metric MDS), with the average-linkage clustering beside it."),
    code("""
pmap = discovery.participant_map(study, level=map_level, seed=seed)
clusters = discovery.participant_clusters(study, level=map_level)
plots.discovery.participant_map_figure(pmap, clusters, colour_by=colour_by);
"""),
])

# ---------------------------------------------------------------------------
# 02 — code frequencies
# ---------------------------------------------------------------------------
notebook("02-code-frequencies", [
    md("""
# Code frequencies

How often each code is applied, and how widely: turns, documents and participants. Each
table is also written as CSV to `data/processed/<study>/tables/` for Excel and R.
"""),
    params("""
study = "demo"
level = None          # None: codes as applied; or a level such as "focused" or "theme" (roll-up)
coder = None          # None: every coder; or one coder's name
min_count = 1         # hide codes applied fewer times than this in the tables
attribute = None      # participant attribute to compare groups by; None: the first one
term = "hope"         # a word or phrase for the concordance (KWIC)
"""),
    SETUP,
    code("""
from helpers import frequency, atomic
attribute = attribute or overview.default_attribute(study)
tables = study.paths.tables if study.paths is not None else None
"""),
    md("""
## Codes

**Counting rule.** *applications*: codings (a code applied to two turns is two applications);
*segments*: distinct turns touched (a coding spanning turns 3–4 counts in both);
*documents* / *participants*: distinct documents / participants with the code (% of all
participants in the study); *words coded*: words in the union of the code's coded spans.
At a level, every coding counts for its ancestor at that level.
"""),
    code("""
freq = helpers.code_frequencies(study, level=level, coder=coder)
shown = freq[freq["applications"] >= min_count]
if tables is not None:
    atomic.write_csv(tables / f"code_frequencies_{overview.file_part(level or 'as_applied')}.csv", freq)
shown
"""),
    code("plots.frequency.frequency_bars(freq, value='participants', level=level);"),
    md("## Each level of the hierarchy\n\nThe same counts rolled up to each named level."),
    code("""
for lv in [l for l in study.levels if l in set(study.codebook["level"].dropna())]:
    rolled = helpers.code_frequencies(study, level=lv, coder=coder)
    if tables is not None:
        atomic.write_csv(tables / f"code_frequencies_{overview.file_part(lv)}.csv", rolled)
    display(Markdown(f"### Level: {md_text(lv)}"))
    display(rolled)
"""),
    md("## By participant attribute\n\nCounts within each group, and the % of that group's participants with the code."),
    code("""
if attribute:
    by = helpers.code_frequencies(study, level=level, by=attribute, coder=coder)
    if tables is not None:
        atomic.write_csv(tables / f"code_frequencies_by_{overview.file_part(attribute)}.csv", by)
    plots.frequency.attribute_code_heatmap(by, value="participants_pct");
else:
    print("participants.csv has no attribute to compare by")
"""),
    md("""
## Words

**Counting rule.** Participant turns only; annotations never counted; fillers and the
shipped English stop words (plus the study's `stopwords:`) left out.
"""),
    code("""
words = frequency.word_frequencies(study, by=None)
bigrams = frequency.word_frequencies(study, by=None, ngram=2)
if tables is not None:
    atomic.write_csv(tables / "word_frequencies.csv", words)
    atomic.write_csv(tables / "bigram_frequencies.csv", bigrams)
plots.frequency.word_bars(words);
bigrams.head(20)
"""),
    md("""
## Keyness

Words each participant says more than the others: log-likelihood G² (Rayson & Garside 2000)
with its p-value, and the log ratio (log2 of the ratio of relative frequencies; 0.5 added
to a zero count).
"""),
    code("""
key = frequency.keyness(study, by="participant", min_count=3)
if tables is not None:
    atomic.write_csv(tables / "keyness_participant.csv", key)
key.sort_values("g2", ascending=False).head(30)
"""),
    md("## Concordance (KWIC)"),
    code("""
conc = frequency.kwic(study, term, width=60)
print(f"{len(conc)} occurrences of {term!r}")
conc.head(40)
"""),
])

# ---------------------------------------------------------------------------
# 03 — code co-occurrence
# ---------------------------------------------------------------------------
notebook("03-code-cooccurrence", [
    md("""
# Code co-occurrence

Which codes occur together, under every counting unit side by side (the commercial tools
each hard-code one). The counting rule is printed under every table; tables are also
written as CSV to `data/processed/<study>/tables/`.
"""),
    params("""
study = "demo"
level = "focused"     # None: codes as applied; or a level (roll-up)
unit = "segment"      # the main unit: segment, overlap, window, document, participant
window = 1            # k for the window unit: within k turns
measure = "c"         # count, c, conditional, ratio, p, q for the main heatmap
min_count = 2         # pairs seen fewer times than this are hidden (network edges, long table)
coder = None          # None: every coder
"""),
    SETUP,
    code("""
import importlib
from helpers import atomic
co = importlib.import_module("helpers.cooccurrence")
tables = study.paths.tables if study.paths is not None else None
counts = helpers.cooccurrence(study, unit=unit, level=level, window=window, measure="count", coder=coder)
"""),
    md("## Counts"),
    code("""
if tables is not None:
    atomic.write_csv(tables / f"cooccurrence_{unit}_count.csv", counts, index=True)
display(counts)
display(Markdown(f"*Counting rule.* {co.counting_rule(unit, window)}"))
for flag in ("out_of_range", "frequency_imbalance"):
    if counts.attrs.get(flag):
        display(Markdown(f"**Flag — {flag.replace('_', ' ')}:** {md_text(counts.attrs[flag])}"))
"""),
    md("## Heatmap\n\nClustered c-coefficients; the cells show the counts."),
    code("plots.cooccurrence.cooccurrence_clustermap(counts);"),
    md("## Network\n\nNode size: the code's own count; edge width: co-occurrence; edges below `min_count` hidden; seeded layout."),
    code("plots.cooccurrence.cooccurrence_network(counts, threshold=min_count);"),
    md("## The chosen measure"),
    code("""
if measure in ("p", "q") and unit not in co.TESTED_UNITS:
    print(f"{measure} is defined for {', '.join(co.TESTED_UNITS)} only; showing c instead")
    measure = "c"
chosen = helpers.cooccurrence(study, unit=unit, level=level, window=window, measure=measure, coder=coder)
if tables is not None:
    atomic.write_csv(tables / f"cooccurrence_{unit}_{measure}.csv", chosen, index=True)
display(chosen.round(3))
display(Markdown(f"*Measure.* {co.measure_rule(measure, unit)}"))
"""),
    md("## Pairs, with every measure"),
    code("""
pairs = co.cooccurrence_table(study, unit=unit, level=level, window=window, coder=coder, min_count=min_count)
if tables is not None:
    atomic.write_csv(tables / f"cooccurrence_{unit}_pairs.csv", pairs)
display(pairs.head(40))
display(Markdown(f"*Counting rule.* {co.counting_rule(unit, window)}"))
"""),
    md("## Every unit side by side\n\nThe same pairs counted five ways."),
    code("""
import pandas as pd
side = None
for u in co.UNITS:
    t = co.cooccurrence_table(study, unit=u, level=level, window=window, coder=coder, min_count=1)
    t = t[["code_a", "code_b", "n_ab"]].rename(columns={"n_ab": u})
    side = t if side is None else side.merge(t, on=["code_a", "code_b"], how="outer")
side = side.fillna(0).sort_values(unit, ascending=False)
if tables is not None:
    atomic.write_csv(tables / "cooccurrence_units_side_by_side.csv", side)
display(side.head(30))
for u in co.UNITS:
    display(Markdown(f"- **{u}**: {co.counting_rule(u, window)}"))
"""),
])

def write_all() -> None:
    HERE.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.metadata["language_info"] = {"name": "python"}
        for kind, source in cells:
            if kind == "md":
                nb.cells.append(new_markdown_cell(source))
            else:
                cell = new_code_cell(source)
                if kind == "params":
                    cell.metadata["tags"] = ["parameters"]
                nb.cells.append(cell)
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{name[:2]}-{i:02d}"
        nbformat.write(nb, str(HERE / f"{name}.ipynb"))


# ---------------------------------------------------------------------------
# 01 — cleaning and import
# ---------------------------------------------------------------------------
notebook("01-clean-transcripts", [
    md("""
# Cleaning and import

What ingestion made of the study's raw files: turns and words per document and speaker,
talk share, transcriber annotations, how many redactions were made (placeholders only,
never the terms), what the identifier scan asks you to review, and how each coding source
was imported.
"""),
    params("""
study = "demo"          # a name under data/raw/ or a path to a study folder
remove_fillers = True   # leave fillers (um, er, erm…) out of word counts below
"""),
    SETUP,
    code("""
docs = study.documents.assign(participant=study.documents["participant_id"].map(labels))
display(Markdown(f"**{md_text(study.title)}** — {len(docs)} documents, {len(study.segments)} turns, "
                 f"{int(docs['n_words'].sum())} words, {len(study.participants)} participants."))
docs[["doc_id", "participant", "kind", "format", "encoding", "n_segments", "n_words", "n_participant_words"]]
"""),
    md("""
## Turns and words by speaker role

Words exclude transcriber annotations such as `[laughs]` and `(inaudible)`; with
`remove_fillers` they also exclude the study's fillers. The stored text keeps both.
"""),
    code("overview.words_by_role(study, remove_fillers=remove_fillers)"),
    md("## Talk share\n\nShare of each document's words spoken by the interviewer and by participants."),
    code("""
share = overview.talk_share(study)
plots.overview.talk_share(share);
"""),
    md("## Annotations\n\nTranscriber annotations kept in the text but never counted as words."),
    code("overview.annotation_counts(study)"),
    md("""
## Redactions

Replacements made on ingest, by placeholder. The redaction terms themselves never leave
`data/raw/`.
"""),
    code("overview.report_table(study, 'redaction_summary')"),
    md("""
## Identifier review

Possible identifiers that remain after redaction (e-mail addresses, phone and NHS numbers,
postcodes, dates, capitalised words that look like names). The context is masked: the
identifier itself is never shown; the hash groups repeats. Add any real identifier to
`redactions.csv` and re-run.
"""),
    code("""
review = overview.report_table(study, 'identifier_review')
print(f"{len(review)} places to review")
review
"""),
    md("## Import of coding sources\n\nRows read and codings made per source, and how quotes were matched to the transcripts."),
    code("overview.report_table(study, 'import_sources')"),
    md("Quotes matched only fuzzily (check each against the transcript):"),
    code("overview.report_table(study, 'quotes_fuzzy')"),
    md("Quotes not found (excluded because the source is marked `strict: false`):"),
    code("overview.report_table(study, 'quotes_unmatched')"),
    md("Warnings from ingestion:"),
    code("""
for warning in study.manifest.get("warnings", []) or ["none"]:
    print("-", warning)
"""),
    md("## The codebook\n\nEach code with its own applications and those of everything below it."),
    code("overview.codebook_tree(study)"),
])

if __name__ == "__main__":
    write_all()
    print(f"wrote {len(NOTEBOOKS)} notebooks to {HERE}")
