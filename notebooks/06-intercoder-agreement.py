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
# # Inter-coder agreement
#
# How far the coders agree on each code, and where they disagree, to settle in a consensus
# meeting. Statistics are computed only over the documents that every compared coder coded.

# %% tags=["parameters"]
study = "demo"          # a name under data/raw/ or a path to a study folder
unit = "segment"      # segment (participant turns), document, or character (NVivo's unit, pooled)
level = None          # None: codes as applied; or a level name such as "focused"
coders = None         # None: every coder; or a list such as ["AK", "RB"]
n_boot = 1000         # bootstrap resamples for alpha's 95% interval

# %%
import matplotlib
from IPython.display import Markdown, display

import helpers
from helpers import plots
from helpers.analysis.overview import md_text
from helpers.report import present
from helpers.textutil import plural

matplotlib.rcParams["text.parse_math"] = False
study = helpers.load_study(study)
present.setup()  # every table and figure in the report's presentation (issue 16)
labels = study.participant_label()

# %%
import helpers.analysis.agreement as ag

enough = len(study.coders() if coders is None else coders) >= 2
if not enough:
    display(Markdown(f"This study has {plural(len(study.coders()), 'coder')}: agreement needs two or more. Nothing to compare."))

# %% [markdown]
# ## How the statistics are computed

# %%
if enough:
    display(Markdown(ag.describe(unit)))

# %% [markdown]
# Reading (Krippendorff 2004), from the **lower end of alpha's 95% interval**, not the point
# estimate: **≥ 0.800 reliable**, **≥ 0.667 tentative**, below that unreliable; no verdict
# below 20 units. Units are participant turns (and interviewer turns only where someone coded
# them), so the interviewer's uncoded questions do not count as agreement.

# %%
from helpers.errors import InputError

if enough:
    try:
        table = helpers.agreement(study, unit=unit, level=level, coders=coders, n_boot=n_boot)
    except InputError as exc:  # e.g. no document coded by every coder: say so, compare nothing
        enough = False
        print("\n".join(problem.line() for problem in exc.problems))
if enough:
    print("documents compared:", ", ".join(table.attrs["documents"]))
    print("documents coded by one coder only (not compared):",
          ", ".join(table.attrs["single_coder_documents"]) or "none")
    display(Markdown(md_text(ag.VERDICT_RULE)))
    display(table.round(3))

# %% [markdown]
# ### Per code and document
#
# The same statistics within each compared document (as NVivo's coding comparison reports
# them, per code and source), beside the pooled table above.

# %%
if enough and unit != "document":
    display(ag.agreement_by_document(study, unit=unit, level=level, coders=coders, n_boot=min(n_boot, 200)).round(3))

# %%
if enough:
    plots.agreement.agreement_forest(table);

# %% [markdown]
# ## Disagreements, for the consensus meeting
#
# Every turn where the coders differ on a code, with who applied it and who did not.

# %%
if enough:
    diff = ag.disagreements(study, level=level, coders=coders)
    if study.paths is not None:
        ag.write_disagreements(study, study.paths.tables / "disagreements.xlsx", level=level, coders=coders, n_boot=200)
        print(f"{len(diff)} disagreements; workbook: tables/disagreements.xlsx")
    display(diff.head(60))

# %% [markdown]
# ## Coders compared

# %%
if enough:
    display(ag.coder_summary(study, level=level))
    plots.agreement.coder_heatmap(ag.coder_code_usage(study, level=level));
