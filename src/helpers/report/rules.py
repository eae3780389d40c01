"""The counting rules' appendix of every page and of index.html, collected from the
analyses' own rule texts (issue 15 item 3: one definition per rule). Each entry is the
text the analysis itself carries in ``attrs["rule"]`` of the tables it returns; none is
written here, so the appendix cannot drift from the numbers.
"""
from __future__ import annotations

from helpers.analysis.cooccurrence_rules import counting_rule, measure_rule
from helpers.analysis.frequency import FREQUENCY_RULE
from helpers.analysis.theme_matrix import THEME_VALUE_RULES
from helpers.analysis.themes import recurrence_rule
from helpers.counting import AT_OR_BELOW_RULE, HOLDER_RULE, PASSAGE_RULE
from helpers.report.present_groups import SMALL_GROUPS_RULE

__all__ = ["COUNTING_RULES"]

# (name, rule text): the order a reader meets them, from a passage to the pages' groups.
COUNTING_RULES: list[tuple[str, str]] = [
    ("Passages", PASSAGE_RULE),
    ("Codes and the codes below them", AT_OR_BELOW_RULE),
    ("Participants holding a passage", HOLDER_RULE),
    ("Code frequencies", FREQUENCY_RULE),
    *((f"Co-occurrence by {unit}", counting_rule(unit)) for unit in
      ("segment", "overlap", "window", "document", "participant")),
    ("c-coefficient", measure_rule("c", "segment")),
    ("Theme presence", THEME_VALUE_RULES["presence"]),
    ("Theme recurrence", recurrence_rule(0.5)),
    ("Small groups", SMALL_GROUPS_RULE),
]
