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
# # Discovery: suggestions to look again, not findings
#
# Machine-assisted views that run entirely on this computer: topics in participants' words
# set against your codes (a topic no code covers is a candidate for new coding), code
# suggestions for uncoded turns with their cross-validated accuracy stated honestly, and a
# map of participants by their code profiles. Nothing here changes your coding.

# %% tags=["parameters"]
study = "demo"          # a name under data/raw/ or a path to a study folder
n_topics = 6                 # topics to fit
k_values = [2, 3, 4, 5, 6, 7, 8, 9, 10]   # topic numbers for the choice curve
level = None                 # codes topics and suggestions are set against; None: as applied
map_level = None             # codes that place participants on the map; None: the study's most specific level
min_examples = 8             # coded turns a code needs before a classifier is trained
precision_threshold = 0.7    # suggestions only for codes whose cross-validated precision reaches this
colour_by = None             # participant attribute colouring the map; None: the first one
seed = 0                      # random seed of the map, topics and classifier (same seed, same page)

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
from helpers.analysis import discovery

colour_by = colour_by or overview.default_attribute(study)
from helpers import counting

level = counting.check_level(study, level)   # an unknown level stops here, listing the study's levels
map_level = counting.resolve_level(study, map_level, "specific", "map_level")
from helpers.report.pages import chosen  # the values chosen, stated in the page's appendix

chosen(colour_by=colour_by, level=level, map_level=map_level)

# %% [markdown]
# ## How many topics?
#
# Reconstruction error and UMass coherence for each number of topics.

# %%
from helpers.errors import TooFew

usable_k = [k for k in k_values if k < len(study.segments)]
try:
    curve = discovery.topic_number_curve(study, k_values=usable_k, seed=seed)
except TooFew as exc:  # a pilot of one or two short interviews: say so, go on
    curve = None
    display(Markdown(f"**Too few to suggest topics:** {md_text(exc)}"))
if curve is not None:
    plots.discovery.topic_number_figure(curve);
curve

# %% [markdown]
# ## Topics and how the codes cover them

# %%
try:
    model = discovery.topics(study, n_topics=n_topics, seed=seed, level=level)
except ValueError as exc:  # too few turns or words for this many topics: say so, go on
    model = None
    display(Markdown(f"**No topic model:** {md_text(exc)}"))
if model is not None:
    display(Markdown(model.describe()))
    display(model.summary)

# %%
if model is not None:
    plots.discovery.topic_alignment_heatmap(model);

# %% [markdown]
# Most typical turns of each topic:

# %%
model.typical if model is not None else None

# %% [markdown]
# ## Code suggestions for uncoded turns

# %%
suggestions = discovery.code_suggestions(study, level=level, min_examples=min_examples,
                                         precision_threshold=precision_threshold, seed=seed)
display(Markdown(suggestions.describe()))
suggestions.scores

# %%
plots.discovery.code_scores_figure(suggestions);

# %%
if study.paths is not None:
    discovery.write_suggestions(suggestions, study.paths.tables / "code_suggestions.xlsx")
print(f"{len(suggestions.suggestions)} suggestions for review (tables/code_suggestions.xlsx); none written into the codings")
suggestions.suggestions.head(40)

# %% [markdown]
# ## Participant map
#
# Participants placed by the Jaccard distance between their sets of codes (metric MDS), with the average-linkage clustering beside it.

# %%
try:
    pmap = discovery.participant_map(study, level=map_level, seed=seed)
    clusters = discovery.participant_clusters(study, level=map_level)
except TooFew as exc:  # no participant coded yet
    pmap = None
    display(Markdown(f"**Too few to map participants:** {md_text(exc)}"))
if pmap is not None:
    hidden = []  # groups too small to colour, and their complement (present.suppressed)
    if colour_by and colour_by in study.participants.columns:
        small, complement = present.suppressed(present.group_sizes(study, colour_by), present.min_group_size(study))
        hidden = small + complement
    plots.discovery.participant_map_figure(pmap, clusters, colour_by=colour_by, hidden_groups=hidden);
