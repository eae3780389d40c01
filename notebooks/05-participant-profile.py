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
# # Participant profile
#
# One participant's talk, codes and themes, against the group.

# %% tags=["parameters"]
study = "demo"          # a name under data/raw/ or a path to a study folder
participant = None     # a participant_id; None: the first participant
level = None           # theme level for the profile; None: the study's top level
code_level = None      # level for the codes table and codelines; None: the study's most specific level
quotes_per_theme = 2          # exemplar quotes shown per theme

# %%
import matplotlib
from IPython.display import Markdown, display

import helpers
from helpers import plots
from helpers.analysis.overview import md_list, md_text
from helpers.report import present

matplotlib.rcParams["text.parse_math"] = False
study = helpers.load_study(study)
present.setup()  # every table and figure in the report's presentation (issue 16)
labels = study.participant_label()

# %%
from helpers import counting
from helpers.analysis import profile

level = counting.resolve_level(study, level, "top")
code_level = counting.resolve_level(study, code_level, "specific", "code_level")
participant = participant or str(study.participants["participant_id"].iloc[0])
from helpers.report.pages import chosen  # the values chosen, stated in the page's appendix

chosen(level=level, code_level=code_level, participant=participant)
name = labels.get(participant, participant)
docs = profile.participant_documents(study, participant)
display(Markdown(f"## {md_text(name)} ({md_text(participant)})\n\nDocuments: {md_list(docs)}. "
                 "[Back to the index](index.html)"))

# %% [markdown]
# ## Talk

# %%
talk = profile.talk_summary(study, participant)
present.table(profile.talk_table(talk), note="Turns and words are counts; group means to one decimal; the share "
                                            "as a percentage to one decimal. " + talk.attrs["rule"])

# %% [markdown]
# Who speaks each document's words (percent; each row adds up to 100).

# %%
shares = profile.word_shares(study, participant)
present.table(shares, decimals={c: profile.PERCENT_DECIMALS for c in shares.columns if c.endswith("_pct")},
              note=shares.attrs["rule"])

# %% [markdown]
# ## Themes, against the group
#
# Passages at or below each theme held by the participant (their own turns; the primary
# coder of each interview); the group mean is over the other participants.

# %%
display(Markdown("**Counting rule.** " + md_text(helpers.theme_matrix(study, level=level, value="count").attrs["rule"])))
present.table(profile.code_profile(study, participant, level=level), decimals={"group mean": 2})

# %%
relation = profile.shared_and_lacking(study, participant, level=level)
display(Markdown("\n".join([
    f"- **Shared with most others:** {md_list(relation['shared'])}",
    f"- **Distinctive (most others lack it):** {md_list(relation['distinctive'])}",
    f"- **Lacking (most others have it):** {md_list(relation['lacking'])}",
])))

# %% [markdown]
# ## Codes as applied

# %%
present.table(profile.code_profile(study, participant, level=code_level).query('applications > 0'),
              decimals={"group mean": 2})

# %% [markdown]
# ## Codeline
#
# In a focus group only the participant's own turns are marked (the group's line is everyone's).

# %%
import matplotlib.pyplot as plt

from helpers.analysis import themes

for doc_id in docs:
    own = participant if profile.own_turns_only(study, participant, doc_id) else None
    if own is not None and themes.codeline(study, doc_id, level=code_level, participant=own).empty:
        display(Markdown(f"No coded turn of {md_text(name)}'s in {md_text(doc_id)} at level "
                         f"{md_text(counting.level_label(code_level))}."))
        continue
    figure = plots.themes.codeline(study, doc_id, level=code_level, participant=own,
                                   title=f"Code line: {name}'s turns in {doc_id}" if own else None)
    display(figure)
    plt.close(figure)

# %% [markdown]
# ## Best quotes per theme
#
# Chosen as in the framework matrix (most typical turns of moderate length).

# %%
profile.best_quotes(study, participant, level=level, k=quotes_per_theme)
