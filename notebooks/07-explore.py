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
# # Explore
#
# Interactive views for JupyterLab: the turns carrying a code (at any level, filtered by
# coder and participant attributes) with the coded span highlighted, a keyword-in-context
# search, and two codes side by side. Everything runs locally. Under papermill the widgets
# are built but inert; the plain-function calls at the end show the same views without widgets.

# %% tags=["parameters"]
study = "demo"          # a name under data/raw/ or a path to a study folder
code = None        # a code to show below without widgets; None: the most used code
code_b = None      # a second code for the side-by-side view; None: the code most often with it
term = None        # a word or phrase for the KWIC view; None: the most frequent content word
limit = 20         # turns shown per view

# %%
import matplotlib
from IPython.display import Markdown, display

import helpers
from helpers.analysis.overview import md_text

matplotlib.rcParams["text.parse_math"] = False
study = helpers.load_study(study)
labels = study.participant_label()

# %%
from IPython.display import HTML

from helpers.analysis.explore import Explorer, explorer_widgets

explorer = Explorer(study)
widgets = explorer_widgets(explorer)
widgets

# %% [markdown]
# ## The same views as plain functions

# %%
counts = study.codings["code"].value_counts()
code = code or (counts.index[0] if len(counts) else None)
if code is None:
    print("this study has no codings yet")
else:
    display(Markdown(f"### Turns coded *{md_text(code)}*"))
    display(HTML(explorer.code_turns_html(code, limit=limit)))

# %%
from helpers.analysis.frequency import default_term

term = term or default_term(study)
hits = explorer.kwic(term)
print(f"{len(hits)} occurrences of {term!r}")
hits.head(limit)

# %%
if code is not None:
    from helpers.analysis.cooccurrence import cooccurrence as co
    matrix = co(study, unit="segment")
    if code_b is None and code in matrix.index:
        row = matrix.loc[code].drop(code)
        code_b = row.idxmax() if row.max() > 0 else None
    if code_b:
        display(Markdown(f"### *{md_text(code)}* beside *{md_text(code_b)}*"))
        display(HTML(explorer.cooccurring_turns_html(code, code_b, limit=limit)))
