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
# # Write-up audit: a draft against the evidence
#
# Every quotation in the draft looked up in the transcripts (verbatim, edited, misattributed,
# the interviewer's words, or not found), attributions and pseudonyms checked for consistency
# and leaks, and every claim such as "all participants" or "most participants" set against
# who has the code in your coding. The same audit runs from the command line:
# `python -m helpers audit-draft STUDY DRAFT`.

# %% tags=["parameters"]
study = "demo"          # a name under data/raw/ or a path to a study folder
drafts = None          # draft files (.docx .md .txt), relative to the study folder; None: study.yml drafts
threshold = None       # lowest fuzzy similarity for a quote; None: study.yml quote_match_threshold
drafts_sha256 = None   # set by the batch (a digest of the drafts) so that an edited draft re-runs this page

# %%
from pathlib import Path

from IPython.display import HTML, Markdown, display

import helpers
from helpers.analysis import audit
from helpers.report import audit_page, present

study = helpers.load_study(study)
present.setup()  # every table and figure in the report's presentation (issue 16)
files = [Path(d) if Path(d).is_absolute() else study.paths.raw / d for d in drafts] if drafts else study.config.drafts

# %%
if not files:
    display(Markdown("This study names no drafts: list them under `drafts:` in study.yml "
                     "(or pass `drafts`) to audit a write-up."))
    result = None
else:
    result = audit.audit_draft(study, files, threshold=threshold)
    written = audit.write_tables(study, result)
    display(Markdown("Tables: " + ", ".join(f"`tables/{p.name}`" for p in written) + ". "
                     "[Back to the index](index.html)"))

# %% [markdown]
# ## What the verdicts mean
#
# Coded evidence can be incomplete. **"Not supported" means that your coding does not show the
# claim, not that the claim is false**: a participant may have said it in words nobody coded.
# "Not found" means the quotation is not in the transcripts as they stand, after cleaning and
# redaction. Every quotation and sentence shown here has passed through the study's redactions;
# a leak is named by its placeholder or the kind of identifier only.

# %%
if result is not None:
    for title, body in audit_page.sections(result).items():
        display(HTML(f"<h2>{title}</h2>{body}"))
