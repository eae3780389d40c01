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
# # Code frequencies
#
# How often each code is applied, and how widely: turns, documents and participants. Each
# table is also written as CSV to `data/processed/<study>/tables/` for Excel and R.

# %% tags=["parameters"]
study = "demo"          # a name under data/raw/ or a path to a study folder
level = None          # None: codes as applied; or one of the study's levels such as "theme" (roll-up)
coder = None          # None: the primary coder of each document; "all"; or a coder's name
min_count = 1         # hide codes applied fewer times than this in the tables
attribute = None      # participant attribute to compare groups by; None: the first one
term = None           # a word or phrase for the concordance (KWIC); None: the most frequent content word

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
from helpers import atomic, counting
from helpers.analysis import frequency
from helpers.report import evidence

attribute = attribute or overview.default_attribute(study)
level = counting.check_level(study, level)   # an unknown level stops here, listing the study's levels
term = term or frequency.default_term(study)
from helpers.report.pages import chosen  # the values chosen, stated in the page's appendix

chosen(attribute=attribute, level=level, term=term)
tables = study.paths.tables if study.paths is not None else None

# %% [markdown]
# ## Codes
#
# **Counting rule** (printed with the table): *applications* are passages — codings of one code
# whose text overlaps count once; *segments*: distinct turns touched (a passage spanning turns
# 3–4 counts in both); *documents* / *participants*: distinct documents / participants holding
# the code (a participant holds a passage on their own turn, never through the interviewer's
# question); *words coded*: words of the utterances in the union of the code's passages.
# At a level, every coding counts for its ancestor at that level.

# %%
freq = helpers.code_frequencies(study, level=level, coder=coder)
display(Markdown("**Counting rule.** " + md_text(freq.attrs["rule"])))
shown = freq[freq["applications"] >= min_count]
if tables is not None:
    atomic.write_csv(tables / f"code_frequencies_{overview.file_part(level or 'as_applied')}.csv", freq)
evidence.write_code_pages(study, level=level, coder=coder)  # each count links to the passages it counts
present.table(shown, links=evidence.code_links(level),
              note="Each row is a code; click a count to read the passages it counts.")

# %%
plots.frequency.frequency_bars(freq, value='participants', level=level);

# %% [markdown]
# ## Each level of the hierarchy
#
# The same counts rolled up to each named level.

# %%
for lv in study.levels:
    rolled = helpers.code_frequencies(study, level=lv, coder=coder)
    if tables is not None:
        atomic.write_csv(tables / f"code_frequencies_{overview.file_part(lv)}.csv", rolled)
    display(Markdown(f"### Level: {md_text(lv)}"))
    evidence.write_code_pages(study, level=lv, coder=coder)  # this level's counts link to their passages too
    display(present.table(rolled, links=evidence.code_links(lv),
                          note=f"Each row is a code at the level {lv}, with every code below it counted as it; "
                               "click a count to read the passages it counts."))

# %% [markdown]
# ## By participant attribute
#
# Counts within each group, and the % of that group's participants with the code.

# %%
if attribute:
    by = helpers.code_frequencies(study, level=level, by=attribute, coder=coder)
    by = present.breakdown(study, by, attribute)  # groups under min_group_size identify people
    if tables is not None:
        atomic.write_csv(tables / f"code_frequencies_by_{overview.file_part(attribute)}.csv", by)
    plots.frequency.attribute_code_heatmap(by, value="participants_pct");
else:
    print("participants.csv has no attribute to compare by")

# %% [markdown]
# ## Words
#
# **Counting rule.** Participant turns only; annotations never counted; fillers and the
# shipped English stop words (plus the study's `stopwords:`) left out. Redaction placeholders
# (the study's, such as [NAME], and any capitalised word in brackets, such as (PSW)) are not
# words: not counted, and no two-word phrase spans one.

# %%
words = frequency.word_frequencies(study, by=None)
bigrams = frequency.word_frequencies(study, by=None, ngram=2)
if tables is not None:
    atomic.write_csv(tables / "word_frequencies.csv", words)
    atomic.write_csv(tables / "bigram_frequencies.csv", bigrams)
plots.frequency.word_bars(words);
present.table(bigrams.head(20), headers={"term": "Two-word phrase", "n": "Times said"})

# %% [markdown]
# ## Keyness
#
# Words each participant says more than the others: log-likelihood G² (Rayson & Garside 2000)
# with its p-value and Benjamini–Hochberg q over all the tests run, and the log ratio (log2
# of the ratio of relative frequencies; 0.5 added to a zero count). Terms whose expected count
# is below 5 are not tested.

# %%
from helpers.errors import TooFew

try:
    key = frequency.keyness(study, by="participant", min_count=3)
except TooFew as exc:  # a one-interview pilot has no other participant to compare with
    key = None
    display(Markdown(f"**Too few to compare participants' words:** {md_text(exc)}"))
if key is not None:
    display(Markdown(md_text(key.attrs["rule"])))
if key is not None and tables is not None:
    atomic.write_csv(tables / "keyness_participant.csv", key)
present.keyness_table(key, top=30) if key is not None else None

# %% [markdown]
# ## Concordance (KWIC)

# %%
conc = frequency.kwic(study, term, width=60) if term else None
print(f"{0 if conc is None else len(conc)} occurrences of {term!r}" + (" (the most frequent content word)"
      if term == frequency.default_term(study) else ""))
conc.head(40)
