"""MAXQDA coded-segment and ATLAS.ti quotation exports (issue 14, point 4), through a study's
build as ``python -m helpers check`` runs it. The exports are written here with the column
names those programs use (helpers.interop.qdasheets gives the sources); all text is invented.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from helpers.errors import InputError
from helpers.ingest.config import load_config
from helpers.ingest.pipeline import build
from helpers.interop.qdasheets import is_qda_export, program_of, read_qda_export
from helpers.study import resolve

TRANSCRIPT = """I: How did the group start for you?
P: I nearly didn't go. I was scared of meeting people!!!

P: But the worker waited for me at the door... every week.
I: And later?
P: Later I ran a session myself. Me! I was scared of meeting people, and I ran it.
"""


def write_xlsx(path: Path, header: list[str], rows: list[list], sheet: str = "Sheet1") -> Path:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def study(tmp_path: Path, name: str, writer) -> Path:
    root = tmp_path / "study"
    (root / "transcripts").mkdir(parents=True)
    (root / "codings").mkdir()
    (root / "transcripts" / "P03.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (root / "study.yml").write_text("title: exports\n", encoding="utf-8")
    writer(root / "codings" / name)
    return root


def built(root: Path):
    paths = resolve(root)
    return build(paths, load_config(paths.raw))


ATLAS_HEADER = ["ID", "Quotation Name", "Document", "Document Groups", "Quotation Content", "Codes", "Reference",
                "Density", "Start", "End", "Extent", "Comment", "Created by", "Modified by", "Created", "Modified"]


def test_atlasti_quotation_export(tmp_path):
    rows = [
        # 2 codes in one quotation, one per line; the category prefix "Fear: " is the hierarchy
        ["3:1", "", "D3: P03.txt", "Interviews", "I was scared of meeting people!!!", "Fear: meeting people\nstarting",
         "2 - 2", 0, 2, 2, 1, "first fear", "Ana", "Ana", "", ""],
        # the same words again in paragraph 6 (line 6): the paragraph number picks that one
        ["3:2", "", "D3: P03.txt", "Interviews", "I was scared of meeting people", "Fear: meeting people",
         "6 - 6", 0, 6, 6, 1, "", "Ben", "Ana", "", ""],
        ["3:3", "", "D3: P03.txt", "Interviews", "But the worker waited for me at the door... every week.",
         "Support: worker waiting", "4 - 4", 0, 4, 4, 1, "", "Ben", "", "", ""],
    ]
    root = study(tmp_path, "Quotations.xlsx", lambda p: write_xlsx(p, ATLAS_HEADER, rows, "Quotations"))
    assert program_of(ATLAS_HEADER) == "atlasti" and is_qda_export(root / "codings" / "Quotations.xlsx")
    b = built(root)
    text = b.texts["P03"]
    got = sorted((c.code, c.coder, c.seg_first, c.memo, text[c.start:c.end]) for c in b.codings.itertuples())
    # Turns: 1 I (line 1), 2 P (line 2), 3 P (line 4), 4 I (line 5), 5 P (line 6).
    assert got == [
        ("meeting people", "Ana", 2, "first fear", "I was scared of meeting people!!!"),
        ("meeting people", "Ben", 5, "", "I was scared of meeting people"),
        ("starting", "Ana", 2, "first fear", "I was scared of meeting people!!!"),
        ("worker waiting", "Ben", 3, "", "But the worker waited for me at the door... every week."),
    ]
    book = b.codebook.set_index("code")["parent"].to_dict()
    assert book == {"Fear": "", "meeting people": "Fear", "starting": "", "Support": "", "worker waiting": "Support"}
    assert any("ATLAS.ti quotations export" in w for w in b.warnings)


def test_maxqda_german_headers_csv_and_a_leaf_under_two_parents(tmp_path):
    csv = ("Farbe,Dokumentgruppe,Dokumentname,Code,Anfang,Ende,Segment,Kommentar,Bearbeitet von,Erstellt von\n"
           "#ff0000,Interviews,P03,Fear > other,2,2,I nearly didn't go.,,,CK\n"
           "#ff0000,Interviews,P03,Support > other,4,4,every week.,,,CK\n"
           "#00ff00,Interviews,P03,Support\\Growth\\Leading,6,6,Later I ran a session myself. Me!,note,,DL\n")
    root = study(tmp_path, "segments.csv", lambda p: p.write_text(csv, encoding="utf-8"))
    b = built(root)
    text = b.texts["P03"]
    got = sorted((c.code, c.coder, c.memo, text[c.start:c.end]) for c in b.codings.itertuples())
    assert got == [("Fear/other", "CK", "", "I nearly didn't go."), ("Leading", "DL", "note",
                                                                     "Later I ran a session myself. Me!"),
                   ("Support/other", "CK", "", "every week.")]
    book = b.codebook.set_index("code")["parent"].to_dict()
    assert book == {"Fear": "", "Support": "", "Fear/other": "Fear", "Support/other": "Support",
                    "Growth": "Support", "Leading": "Growth"}


def test_a_segment_without_a_code_is_a_one_line_error(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", ["Document group", "Document name", "Code", "Begin", "End", "Segment",
                                            "Created by"], [["G", "P03", None, 2, 2, "I nearly didn't go.", "CK"]])
    with pytest.raises(InputError) as info:
        read_qda_export(path)
    line = str(info.value)
    assert "\n" not in line and "row 2" in line and "a coded segment with no code" in line


def test_ordinary_coding_sheets_and_taguette_tables_are_not_taken_for_these_exports():
    assert program_of(["participant", "turn", "code"]) is None
    assert program_of(["id", "document", "tag", "content"]) is None
    assert program_of(["Document", "Code", "Quote"]) is None


# -- fix14b: any CSV dialect; 0 codings from a file with data is an error; code paths join the codebook ----

MAXQDA_HEADER = ["Color", "Document group", "Document name", "Code", "Begin", "End", "Weight score", "Segment",
                 "Comment", "Created by"]
MAXQDA_ROWS = [["#ff0000", "Interviews", "P03", "Fear\\Meeting people", "2", "2", "0", "I nearly didn't go.", "",
                "CK"],
               ["#00ff00", "Interviews", "P03", "Support", "4", "4", "0", "every week.", "late; again", "DL"]]


def _delimited(header, rows, sep: str) -> str:
    import csv as csvmod
    import io

    out = io.StringIO()
    writer = csvmod.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize("sep, encoding", [(";", "utf-8"), ("\t", "utf-16"), (";", "cp1252")])
def test_maxqda_export_in_any_csv_dialect(tmp_path, sep, encoding):
    text = _delimited(MAXQDA_HEADER, MAXQDA_ROWS, sep)
    root = study(tmp_path, "segments.csv", lambda p: p.write_bytes(text.encode(encoding)))   # utf-16: with BOM
    assert is_qda_export(root / "codings" / "segments.csv")
    b = built(root)
    got = sorted((c.code, c.coder, c.memo, b.texts["P03"][c.start:c.end]) for c in b.codings.itertuples())
    assert got == [("Meeting people", "CK", "", "I nearly didn't go."), ("Support", "DL", "late; again", "every week.")]
    assert b.codebook.set_index("code")["parent"].to_dict() == {"Fear": "", "Meeting people": "Fear", "Support": ""}


def test_a_plain_document_name_code_segment_sheet_with_semicolons(tmp_path):
    text = "Document name;Code;Segment\nP03;starting;I nearly didn't go.\nP03;support;every week.\n"
    root = study(tmp_path, "plain.csv", lambda p: p.write_text(text, encoding="utf-8"))
    b = built(root)
    got = sorted((c.code, b.texts["P03"][c.start:c.end]) for c in b.codings.itertuples())
    # a coding sheet's quote is placed at word edges (the closing '.' is not a word)
    assert got == [("starting", "I nearly didn't go"), ("support", "every week")]


def test_a_csv_in_codings_with_data_but_no_coding_columns_is_an_error(tmp_path):
    text = "Dokument;Kode;Stelle\nP03;starting;I nearly didn't go.\n"
    root = study(tmp_path, "odd.csv", lambda p: p.write_text(text, encoding="utf-8"))
    with pytest.raises(InputError) as info:
        built(root)
    line = str(info.value)
    assert "\n" not in line and "odd.csv" in line
    assert "no code column" in line and "columns found: Dokument, Kode, Stelle" in line
    # the one-line error and exit 2 of `check`
    from helpers.__main__ import run

    assert run(["check", str(root)]) == 2


def test_a_csv_in_codings_with_only_a_header_still_imports_nothing_with_a_warning(tmp_path):
    root = study(tmp_path, "empty.csv", lambda p: p.write_text("Dokument;Kode;Stelle\n", encoding="utf-8"))
    b = built(root)
    assert len(b.codings) == 0
    assert any("empty.csv" in w and "nothing imported" in w for w in b.warnings)


def test_maxqda_code_path_parts_join_the_codebooks_codes(tmp_path):
    from helpers.analysis.frequency import code_frequencies
    from helpers.study import Study

    text = _delimited(MAXQDA_HEADER, [["", "Interviews", "P03", "Belonging\\Shared tools\\Seed swaps", "4", "4", "0",
                                       "every week.", "", "CK"]], ",")

    def write(p):
        p.write_text(text, encoding="utf-8")
        (p.parent.parent / "codebook.csv").write_text(
            "code,level,parent,description\nbelonging,theme,,\nshared tools,subtheme,belonging,\n", encoding="utf-8")

    root = study(tmp_path, "segments.csv", write)
    (root / "study.yml").write_text("title: exports\ncodebook: codebook.csv\nlevels: [code, subtheme, theme]\n",
                                    encoding="utf-8")
    b = built(root)
    book = {r.code: (r.level, r.parent) for r in b.codebook.itertuples()}
    # the leaf from the export, its parent the codebook's 'shared tools'; no 'Belonging'/'Shared tools' rows
    assert book == {"belonging": ("theme", ""), "shared tools": ("subtheme", "belonging"),
                    "Seed swaps": ("", "shared tools")}
    assert any("'Belonging' -> 'belonging'" in w and "'Shared tools' -> 'shared tools'" in w for w in b.warnings)
    s = Study.from_tables(segments=b.segments, codings=b.codings, codebook=b.codebook, participants=b.participants,
                          documents=b.documents, texts=b.texts, levels=["code", "subtheme", "theme"])
    themes = code_frequencies(s, level="theme").set_index("code")["applications"].to_dict()
    assert themes == {"belonging": 1}


CODED_SEGMENTS_HEADER = ["Document group", "Document name", "Code", "Begin", "End", "Segment", "Created by"]


def maxqda_study(tmp_path: Path, yml: str) -> Path:
    rows = [
        ["Interviews", "P03", "Fear\\meeting people", 2, 2, "I nearly didn't go.", "CK"],                   # row 2
        ["Interviews", "P03", "Support\\worker waiting", 4, 4, "But the worker waited for me at the door", None],
        ["Interviews", "P03", "Growth\\leading", 6, 6, "Later I ran a session myself.", ""],                # row 4
        ["Interviews", "P03", "Growth\\leading", 6, 6, "and I ran it.", None],                              # row 5
        ["Interviews", "P03", "Fear\\meeting people", 2, 2, "I was scared of meeting people!!!", "CK"],     # row 6
        ["Interviews", "P03", "Fear\\other", 2, 2, "The bus never came on Sundays.", "CK"],                 # row 7
    ]
    root = study(tmp_path, "Coded Segments.xlsx",
                 lambda p: write_xlsx(p, CODED_SEGMENTS_HEADER, rows, "Coded Segments"))
    (root / "study.yml").write_text("title: exports\n" + yml, encoding="utf-8")
    return root


def test_maxqda_strict_false_says_the_quote_not_found_and_the_rows_without_a_coder(tmp_path):
    # 6 rows, 5 codings: row 7's text is nowhere in P03 (listed, strict: false); rows 3-5 have an
    # empty "Created by", so their coder is the file's name — both said (never silent)
    root = maxqda_study(tmp_path, "codings:\n  - {path: codings/Coded Segments.xlsx, strict: false}\n")
    b = built(root)
    assert len(b.codings) == 5
    assert sorted(b.codings["coder"]) == ["CK", "CK", "Coded Segments", "Coded Segments", "Coded Segments"]
    said = [w for w in b.warnings if "not found" in w]
    assert len(said) == 1 and said[0].startswith(
        "1 quote not found (listed in tables/quotes_unmatched.csv), not counted; the first: "
        "codings/Coded Segments.xlsx Coded Segments row 7: \"The bus never came on Sundays.\" in P03 — ")
    assert ("Coded Segments rows 3–5 of codings/Coded Segments.xlsx: no coder given; counted as coder "
            "'Coded Segments' (the file name) — set 'coder:' for this source in study.yml") in b.warnings


def test_maxqda_coder_set_in_study_yml_is_not_warned_about(tmp_path):
    root = maxqda_study(tmp_path, "codings:\n  - {path: codings/Coded Segments.xlsx, strict: false, coder: AB}\n")
    b = built(root)
    # the coder of study.yml stands for the rows without one; the file's coder wins elsewhere
    assert sorted(b.codings["coder"]) == ["AB", "AB", "AB", "CK", "CK"]
    assert not [w for w in b.warnings if "no coder given" in w]


def test_declared_levels_missing_from_a_maxqda_code_tree_are_warned_about(tmp_path):
    # MAXQDA code paths carry no level names: every code is at the unnamed level 'code', so the
    # declared 'theme' names nothing
    root = maxqda_study(tmp_path, "levels: [code, theme]\ncodings:\n"
                                  "  - {path: codings/Coded Segments.xlsx, strict: false}\n")
    said = [w for w in built(root).warnings if "declares level" in w]
    assert len(said) == 1
    assert said[0].startswith("study.yml declares level 'theme' but no code in the codebook or codings is at it "
                              "(levels found: 'code';")
    assert "give codebook.csv a 'level' column" in said[0] and "remove 'theme' from 'levels:'" in said[0]
    # the default levels (none declared) are not warned about
    root2 = maxqda_study(tmp_path / "b", "codings:\n  - {path: codings/Coded Segments.xlsx, strict: false}\n")
    assert not [w for w in built(root2).warnings if "declares level" in w]
