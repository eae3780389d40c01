"""Codebook reading and checks (helpers.ingest.codebook)."""
from __future__ import annotations

import pytest

from helpers.errors import InputError, display_path
from helpers.ingest.cleaning import Redactor
from helpers.ingest.codebook import near_duplicates, read_codebook

NO_REDACTION = Redactor([])


def write(tmp_path, text: str, name: str = "codebook.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_levels_normalised_and_parents_kept(tmp_path):
    path = write(tmp_path, "Code,Parent,Level,Description,Color\n"
                           "hope,,Theme,Hope overall,#ff0000\n"
                           "living proof,hope,Initial Coding,Seeing recovery,\n"
                           "plain,,Code,,\n")
    book = read_codebook(path, NO_REDACTION)
    assert list(book["code"]) == ["hope", "living proof", "plain"]
    # 'Theme' -> 'theme', 'Initial Coding' -> 'initial', 'Code' -> '' (DESIGN §3)
    assert list(book["level"]) == ["theme", "initial", ""]
    assert list(book["parent"]) == ["", "hope", ""]
    assert list(book["colour"]) == ["#ff0000", "", ""]


def test_codebook_xlsx(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["code", "parent", "level", "description"])
    wb.active.append(["a", None, "theme", "top"])
    wb.active.append(["b", "a", "Sub-theme", None])
    wb.save(tmp_path / "codebook.xlsx")
    book = read_codebook(tmp_path / "codebook.xlsx", NO_REDACTION)
    assert list(zip(book["code"], book["level"], book["parent"])) == [("a", "theme", ""), ("b", "subtheme", "a")]


def test_missing_parent_cycle_and_duplicate_refused_one_line_each(tmp_path):
    path = write(tmp_path, "code,parent,level,description\n"
                           "hope,,theme,\n"            # row 2
                           "proof,hoep,initial,\n"     # row 3: parent misspelt
                           "a,b,focused,\n"            # row 4: a -> b -> a
                           "b,a,focused,\n"            # row 5
                           "hope,,theme,again\n"       # row 6: same name twice at one level
                           "hope,,initial,\n")         # row 7: same name at another level is allowed
    with pytest.raises(InputError) as err:
        read_codebook(path, NO_REDACTION)
    shown = display_path(path)
    assert str(err.value).splitlines() == [
        f"error: {shown}:row 6: code 'hope' appears twice at level 'theme' — give each code one row per level "
        "(merge the rows or rename one)",
        f"error: {shown}:row 3: parent 'hoep' of code 'proof' is not a code in the codebook — add the parent as a "
        "row of its own or correct its spelling",
        f"error: {shown}:row 4: parents form a cycle: a -> b -> a — make one of these codes a top-level code "
        "(empty parent)",
    ]


def test_near_duplicates_listed_not_merged(tmp_path):
    path = write(tmp_path, "code,parent,level\n"
                           "PSW as a means of social inclusion,,theme\n"
                           "PSw as a means of Social inclusion,,theme\n"
                           "psw as a means of social-inclusion,,initial\n"
                           "hope,,theme\n")
    book = read_codebook(path, NO_REDACTION)
    assert len(book) == 4  # nothing merged
    table = near_duplicates(book)
    # the three spellings share the key 'pswasameansofsocialinclusion'; 'hope' has no twin
    assert list(table["group"]) == [1, 1, 1]
    assert list(table["code"]) == ["PSW as a means of social inclusion", "PSw as a means of Social inclusion",
                                   "psw as a means of social-inclusion"]


def test_redaction_applies_to_codebook(tmp_path):
    path = write(tmp_path, "code,parent,level,description\nMary's support,,theme,what Mary did\n")
    book = read_codebook(path, Redactor([("Mary", "(PSW)")]))
    assert (book.at[0, "code"], book.at[0, "description"]) == ("(PSW)'s support", "what (PSW) did")
