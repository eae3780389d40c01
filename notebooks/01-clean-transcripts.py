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
# # Cleaning and import
#
# What ingestion made of the study's raw files: turns and words per document and speaker,
# talk share, transcriber annotations, how many redactions were made (placeholders only,
# never the terms), what the identifier scan asks you to review, and how each coding source
# was imported.

# %% tags=["parameters"]
study = "demo"          # a name under data/raw/ or a path to a study folder
remove_fillers = True   # leave fillers (um, er, erm…) out of word counts below

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
docs = study.documents.assign(participant=study.documents["participant_id"].map(labels))
display(Markdown(f"**{md_text(study.title)}** — {len(docs)} documents, {len(study.segments)} turns, "
                 f"{int(docs['n_words'].sum())} words, {len(study.participants)} participants."))
docs[["doc_id", "participant", "kind", "format", "encoding", "n_segments", "n_words", "n_participant_words"]]

# %% [markdown]
# ## Turns and words by speaker role
#
# Words exclude transcriber annotations such as `[laughs]` and `(inaudible)`; with
# `remove_fillers` they also exclude the study's fillers. The stored text keeps both.

# %%
overview.words_by_role(study, remove_fillers=remove_fillers)

# %% [markdown]
# ## Talk share
#
# Share of each document's words spoken by the interviewer and by participants.

# %%
share = overview.talk_share(study)
plots.overview.talk_share(share);

# %% [markdown]
# ## Annotations
#
# Transcriber annotations kept in the text but never counted as words.

# %%
overview.annotation_counts(study)

# %% [markdown]
# ## Redactions
#
# Replacements made on ingest, by placeholder. The redaction terms themselves never leave
# `data/raw/`.

# %%
overview.report_table(study, 'redaction_summary')

# %% [markdown]
# ## Identifier review
#
# Possible identifiers that remain after redaction (e-mail addresses, phone and NHS numbers,
# postcodes, dates, capitalised words that look like names). The context is masked: the
# identifier itself is never shown; the hash groups repeats. Add any real identifier to
# `redactions.csv` and re-run.

# %%
review = overview.report_table(study, 'identifier_review')
print(f"{len(review)} places to review")
review

# %% [markdown]
# ## Import of coding sources
#
# Rows read and codings made per source, and how quotes were matched to the transcripts.

# %%
overview.report_table(study, 'import_sources')

# %% [markdown]
# Quotes matched only fuzzily (check each against the transcript):

# %%
overview.report_table(study, 'quotes_fuzzy')

# %% [markdown]
# Quotes not found (excluded because the source is marked `strict: false`):

# %%
overview.report_table(study, 'quotes_unmatched')

# %% [markdown]
# Warnings from ingestion:

# %%
for warning in study.manifest.get("warnings", []) or ["none"]:
    print("-", warning)

# %% [markdown]
# ## The codebook
#
# Each code with its own applications and those of everything below it.

# %%
overview.codebook_tree(study)
