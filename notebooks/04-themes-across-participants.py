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
# # Themes across participants
#
# Which participants voice which theme (and who does not), whether a theme is recurrent,
# the framework matrix with exemplar quotes, where themes arise along each interview, and
# whether more interviews would have added new codes.
#
# **Counting rule** (printed in full under the matrix). A participant *has* a theme when any
# passage at or below it in the code hierarchy touches one of their own turns (a passage on the
# interviewer's question gives no one the code; one spanning two speakers counts for both).
# Codings of one code whose text overlaps are one passage, and where several coders coded an
# interview only the primary coder counts. A theme is *recurrent* when the share of
# participants who have it reaches the threshold below; groups under 3 are not judged.

# %% tags=["parameters"]
study = "demo"          # a name under data/raw/ or a path to a study folder
level = None                  # the level whose codes are the columns; None: the study's top level
value = "presence"            # presence, count (applications), segments (turns), share (of coded words)
recurrence_threshold = 0.5    # share of participants for "recurrent" (IPA convention: one half)
quotes_per_cell = 2           # exemplar quotes per framework cell
attribute = None              # participant attribute to compare by; None: the first one
codeline_level = None         # level for the codelines; None: the study's most specific level
coder = None                  # None: the primary coder of each interview; "all"; or a coder's name
base_size = 4                 # saturation: interviews in the base (Guest, Namey & Chen 2020)
run_length = 2                # saturation: interviews per run
new_information_threshold = 0.05  # saturation: new codes in a run / codes in the base at or below which it is reached (Guest et al. 2020: 5 %)

# %%
import matplotlib
from IPython.display import Markdown, display

import helpers
from helpers import plots
from helpers.analysis import overview
from helpers.analysis.overview import md_text
from helpers.report import present

matplotlib.rcParams["text.parse_math"] = False
study = helpers.load_study(study)
present.setup()  # every table and figure in the report's presentation (issue 16)
labels = study.participant_label()

# %%
from helpers import counting
from helpers.analysis import themes
from helpers.report import evidence

attribute = attribute or overview.default_attribute(study)
# None means the study's own choice; an unknown level stops here, listing the study's levels
level = counting.resolve_level(study, level, "top")
codeline_level = counting.resolve_level(study, codeline_level, "specific", "codeline_level")
from helpers.report.pages import chosen  # the values chosen, stated in the page's appendix

chosen(attribute=attribute, level=level, codeline_level=codeline_level)
matrix = helpers.theme_matrix(study, level=level, value=value, coder=coder)
print(f"{matrix.shape[0]} participants × {matrix.shape[1]} codes at level "
      f"{counting.level_label(level)!r} (the study's levels: {', '.join(study.levels)}); cells: {value}")
display(Markdown("**Counting rule.** " + md_text(matrix.attrs["rule"])))
evidence.write_cell_pages(study, level=level, coder=coder)
present.table(matrix.rename(index=labels), links=evidence.cell_links(study, level),
              note="One row per participant (pseudonym), one column per code; click a cell to read "
                   "the participant's passages of that code.")

# %% [markdown]
# ## Participant × theme heatmap
#
# Rows are participants (pseudonyms), clustered by their profiles (primary coder).

# %%
plots.themes.theme_heatmap(study, level=level, value=value);

# %% [markdown]
# ## Recurrence

# %%
rec = themes.recurrence(study, level=level, threshold=recurrence_threshold)
display(Markdown(f"Recurrent: present in at least {recurrence_threshold:.0%} of participants."))
rec

# %%
plots.themes.recurrence_bars(rec, level=level, threshold=recurrence_threshold);

# %% [markdown]
# ### By participant attribute

# %%
if attribute:
    display(Markdown(f"Recurrence within each **{md_text(attribute)}** group (same threshold)."))
    display(present.breakdown(study, themes.recurrence(study, level=level, threshold=recurrence_threshold,
                                                       by=attribute), attribute))
else:
    print("participants.csv has no attribute to compare by")

# %% [markdown]
# ## Negative cases
#
# For each theme, the participants without it; for each participant, the themes they lack.

# %%
themes.negative_cases(study, level=level)

# %%
themes.missing_themes(study, level=level).rename(columns={"participant": "pseudonym"})

# %% [markdown]
# ## Framework matrix
#
# Participants × themes; each cell gives the number of codings and turns and up to
# `quotes_per_cell` exemplar quotes with their turn references. Exemplars are chosen
# deterministically: the participant's own turns carrying the theme, of moderate length,
# most similar (TF-IDF cosine) to the theme's other turns. The workbook
# `tables/framework_matrix.xlsx` has one sheet per theme level.

# %%
from IPython.display import HTML

from helpers.report import pages

frame = themes.framework_matrix(study, level=level, quotes_per_cell=quotes_per_cell)
if study.paths is not None:
    themes.write_framework_workbook(study, study.paths.tables / "framework_matrix.xlsx", quotes_per_cell=quotes_per_cell)
HTML(pages.guided(themes.framework_html(frame.rename(columns={"participant_id": "Participant", "participant": "Pseudonym"})),
                  "Each row is a participant and each column a theme: a cell gives how many codings and turns "
                  "give them the theme, then up to {} exemplar quotes with their turn references; an empty cell "
                  "means the participant does not have the theme.".format(quotes_per_cell)))

# %% [markdown]
# ## Codelines
#
# Where in each interview the codes arise, along turn order.

# %%
import matplotlib.pyplot as plt

for doc_id in study.documents["doc_id"]:
    figure = plots.themes.codeline(study, doc_id, level=codeline_level)
    display(figure)
    plt.close(figure)  # one figure open at a time: 200 interviews would otherwise hold them all

# %% [markdown]
# ## Saturation

# %%
# one level (the most specific) so that a parent is never a "new code"; spread over 200 random orders
sat = themes.saturation(study, level=None, base_size=base_size, run_length=run_length,
                        threshold=new_information_threshold, coder=coder)
display(Markdown(sat.sentence))
plots.themes.saturation_curve(sat);
sat.table

# %% [markdown]
# Saturation follows Guest, Namey & Chen (2020, *PLOS ONE* 15(5): e0232076): the base is the
# distinct codes of the first `base_size` interviews (by `interview_order` in participants.csv,
# else file order); each following run of `run_length` interviews adds new information equal
# to its new codes ÷ the base; saturation is reached at the first run whose new information is
# at or below the threshold. Codes are counted at one level (the study's most specific), and
# the same rule is applied to 200 random interview orders (seeded): the sentence above gives
# the order used and where saturation falls in the others (median and range).
