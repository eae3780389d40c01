# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Code co-occurrence
#
# Which codes occur together, under every counting unit side by side (the commercial tools
# each hard-code one). The counting rule is printed under every table; tables are also
# written as CSV to `data/processed/<study>/tables/`.

# %% tags=["parameters"]
study = "demo"          # a name under data/raw/ or a path to a study folder
level = None          # None: the study's most specific level; or one of its levels, or "as applied"
unit = "segment"      # the main unit: segment, overlap, window, document, participant
window = 1            # k for the window unit: within k turns
measure = "c"         # count, c, conditional, ratio, p, q for the main heatmap
min_count = 2         # pairs seen fewer times than this are hidden (network edges, long table)
coder = None          # None: the primary coder of each document; "all"; or a coder's name

# %%
import matplotlib
from IPython.display import Markdown, display

import helpers
from helpers import plots
from helpers.analysis.overview import md_text
from helpers.report import present

matplotlib.rcParams["text.parse_math"] = False
study = helpers.load_study(study)
present.setup()  # every table and figure in the report's presentation (issue 16)
labels = study.participant_label()

# %%
import helpers.analysis.cooccurrence as co
from helpers import atomic, counting
from helpers.report import evidence

tables = study.paths.tables if study.paths is not None else None
# None means the study's own choice: its most specific level; "as applied": codes as applied
level = None if level == "as applied" else counting.resolve_level(study, level, "specific")
from helpers.report.pages import chosen  # the values chosen, stated in the page's appendix

chosen(level=level)
display(Markdown(f"Level: **{md_text(counting.level_label(level))}** (the study's levels: "
                 f"{md_text(', '.join(study.levels))})."))
counts = helpers.cooccurrence(study, unit=unit, level=level, window=window, measure="count", coder=coder)

# %% [markdown]
# ## Counts

# %%
if tables is not None:
    atomic.write_csv(tables / f"cooccurrence_{unit}_count.csv", counts, index=True)
evidence.write_code_pages(study, level=level, coder=coder)
evidence.write_pair_pages(study, counts, unit=unit, level=level, coder=coder)
display(present.table(counts, links=evidence.pair_links(level, unit),
                      note="Row code and column code: the number of units carrying both; the diagonal is "
                           "the code's own count. Click a number to read the passages behind it."))
display(Markdown(f"*Counting rule.* {md_text(counts.attrs['rule'])}"))
for flag in ("out_of_range", "frequency_imbalance"):
    if counts.attrs.get(flag):
        display(Markdown(f"**Flag — {flag.replace('_', ' ')}:** {md_text(counts.attrs[flag])}"))

# %% [markdown]
# ## Heatmap
#
# Clustered c-coefficients; the cells show the counts.

# %%
plots.cooccurrence.cooccurrence_clustermap(counts);

# %% [markdown]
# ## Network
#
# Node size: the code's own count; edge width: co-occurrence; edges below `min_count` hidden; seeded layout.

# %%
plots.cooccurrence.cooccurrence_network(counts, threshold=min_count);

# %% [markdown]
# ## The chosen measure

# %%
if measure in ("p", "q") and unit not in co.TESTED_UNITS:
    print(f"{measure} is defined for {', '.join(co.TESTED_UNITS)} only; showing c instead")
    measure = "c"
chosen = helpers.cooccurrence(study, unit=unit, level=level, window=window, measure=measure, coder=coder)
if tables is not None:
    atomic.write_csv(tables / f"cooccurrence_{unit}_{measure}.csv", chosen, index=True)
display(present.table(chosen, links=evidence.pair_links(level, unit),
                      note=f"Row code and column code: the {measure} of the pair (see Measure below); click a "
                           "value to read the passages the two codes share."))
display(Markdown(f"*Measure.* {co.measure_rule(measure, unit)}"))
if chosen.attrs.get("tests_withheld"):
    display(Markdown(f"**{md_text(chosen.attrs['tests_withheld'])}**"))

# %% [markdown]
# ## Pairs, with every measure

# %%
pairs = co.cooccurrence_table(study, unit=unit, level=level, window=window, coder=coder, min_count=min_count)
if tables is not None:
    atomic.write_csv(tables / f"cooccurrence_{unit}_pairs.csv", pairs)
display(present.table(pairs.head(40), links=evidence.pair_row_links(level, unit),
                      note="Each row is a pair of codes: n₁ and n₂ count each code on its own, n₁₂ the units "
                           "carrying both, then the measures. Click a count to read its passages."))
display(Markdown(f"*Counting rule.* {md_text(pairs.attrs['rule'])}"))

# %% [markdown]
# ## Every unit side by side
#
# The same pairs counted five ways.

# %%
side = None
for u in co.UNITS:
    if u != unit:  # each unit's counts link to the passages the pair shares in that unit
        evidence.write_pair_pages(study, helpers.cooccurrence(study, unit=u, level=level, window=window,
                                                              measure="count", coder=coder),
                                  unit=u, level=level, coder=coder)
    t = co.cooccurrence_table(study, unit=u, level=level, window=window, coder=coder, min_count=1)
    t = t[["code_a", "code_b", "n_ab"]].rename(columns={"n_ab": u})
    side = t if side is None else side.merge(t, on=["code_a", "code_b"], how="outer")
side = side.fillna(0).sort_values(unit, ascending=False)
if tables is not None:
    atomic.write_csv(tables / "cooccurrence_units_side_by_side.csv", side)
display(present.table(side.head(30), links=evidence.pair_row_links(level, unit, units=co.UNITS),
                      note="Each row is a pair of codes counted five ways, one column per unit (rules below); "
                           "click a count to read the passages the pair shares in that unit."))
for u in co.UNITS:
    display(Markdown(f"- **{u}**: {co.counting_rule(u, window)}"))
