"""The confidentiality cases of issue 19 (../shared/cases/confidentiality/), each through the
command line, with the expected result of its expected.md.

Leaks are looked for with a folding written here (NFKD without marks, format characters
dropped, apostrophe and dash variants unified, casefold), not with the package's own, so that
a bug in helpers.matching cannot hide itself.
"""
from __future__ import annotations

import hashlib
import io
import re
import shutil
import unicodedata
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from support import REPO, run_in

CASES = REPO.parent / "shared" / "cases" / "confidentiality"


def case(name: str) -> Path:
    folder = CASES / name
    if not folder.is_dir():
        pytest.skip(f"case {name} not present (needs ../shared/cases/confidentiality)")
    return folder


def project(tmp_path: Path, name: str, folder: Path | None = None) -> tuple[Path, Path]:
    """(project root, study folder) with the case copied under data/raw/<name>."""
    root = tmp_path / "project"
    (root / "data" / "raw").mkdir(parents=True)
    (root / "notebooks").symlink_to(REPO / "notebooks")
    raw = root / "data" / "raw" / name
    shutil.copytree(folder or case(name), raw, symlinks=True)
    for path in raw.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root, raw


# -- an independent folding and term search ------------------------------------------------

def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    text = re.sub(r"[\u2018\u2019\u02bc\u2032`\u00b4]", "'", text)
    text = re.sub(r"[\u2010-\u2015\u2212\u00ad]", "-", text)
    return text.casefold()


def term_regex(terms: list[str]) -> re.Pattern:
    """Each term's letters and digits, with anything or nothing that is not a letter or
    digit between its words: broader than the redactor on purpose."""
    parts = []
    for term in terms:
        words = [w for w in re.split(r"[\W_]+", fold(term)) if w]
        parts.append(r"[\W_]*".join(map(re.escape, words)))
    return re.compile(rf"(?<![^\W_])(?:{'|'.join(parts)})(?![^\W_])")


def read_terms(study: Path) -> list[str]:
    data = (study / "redactions.csv").read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    return [t for t in pd.read_csv(io.StringIO(text), dtype=str)["term"].dropna()]


def strings_of(name: str, data: bytes) -> list[str]:
    suffix = Path(name).suffix.lower()
    if suffix == ".parquet":
        frame = pd.read_parquet(io.BytesIO(data))
        return [str(c) for c in frame.columns] + [str(v) for c in frame.columns for v in frame[c].tolist()]
    if suffix in (".xlsx", ".qdpx", ".docx", ".zip"):
        out = []
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                text = archive.read(member).decode("utf-8", "replace")
                out += [member, text, re.sub(r"<[^>]*>", "", text)]
        return out
    return [data.decode("utf-8", "replace")]


def leaks(folders: list[Path], terms: list[str]) -> list[tuple[str, str]]:
    pattern = term_regex(terms)
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            texts = [str(path.relative_to(folder))]
            if path.is_file():
                texts += strings_of(path.name, path.read_bytes())
            for text in texts:
                found += [(str(path.relative_to(folder)), m.group(0)) for m in pattern.finditer(fold(text))]
    return sorted(set(found))


def outputs(root: Path, name: str) -> list[Path]:
    return [p for p in (root / "data" / "processed" / name, root / "reports" / name) if p.exists()]


def ingest_ok(tmp_path: Path, name: str) -> tuple[Path, Path, Path]:
    root, raw = project(tmp_path, name)
    result = run_in(root, "ingest", name)
    assert result.returncode == 0, result.stderr
    return root, raw, root / "data" / "processed" / name


# -- the name cases ----------------------------------------------------------------------

def test_apostrophe_variants(tmp_path):
    root, raw, processed = ingest_ok(tmp_path, "apostrophe_variants")
    assert leaks(outputs(root, "apostrophe_variants"), read_terms(raw)) == []
    text = (processed / "texts" / "P03.txt").read_text()
    # O’Neill (curly) -> (PSW), D'Arcy (straight) -> (Nurse): worked out from P03.txt
    assert "Mrs (PSW) did, and Nurse (Nurse) from the ward." in text
    summary = pd.read_csv(processed / "tables" / "redaction_summary.csv")
    assert dict(zip(summary["placeholder"], summary["replacements"])) == {"(Nurse)": 1, "(PSW)": 1}


def test_hyphen_dash_variants(tmp_path):
    root, raw, processed = ingest_ok(tmp_path, "hyphen_dash_variants")
    assert leaks(outputs(root, "hyphen_dash_variants"), read_terms(raw)) == []
    # Mary‑Jane (U+2011), Mary–Jane (en dash), MaryJane, Mary Jane: all four
    assert "P: (PSW) at first, then (PSW) again, we call her (PSW), or (PSW)." in (processed / "texts" / "P03.txt").read_text()
    segments = pd.read_parquet(processed / "segments.parquet")
    assert segments["text"].str.count(r"\(PSW\)").sum() == 4
    review = pd.read_csv(processed / "tables" / "identifier_review.csv", dtype=str)
    assert not review["masked_context"].fillna("").str.contains("Mary").any()


@pytest.mark.parametrize("name", ["redaction_term_nfd", "participant_attribute_nfd"])
def test_nfd_terms_and_cells(tmp_path, name):
    root, raw, processed = ingest_ok(tmp_path, name)
    assert leaks(outputs(root, name), read_terms(raw)) == []
    if name == "participant_attribute_nfd":
        participants = pd.read_parquet(processed / "participants.parquet")
        assert "(PSW)" in participants["keyworker"].tolist()
    else:
        summary = pd.read_csv(processed / "tables" / "redaction_summary.csv")
        assert summary["replacements"].sum() >= 1


def test_curly_apostrophe_and_mac_file_name(tmp_path):
    name = "curly_apostrophe_and_mac_file_name"
    folder = case(name)
    root, raw = project(tmp_path, name)
    # the case stores the file name as the filesystem gave it; make sure it is NFD here
    for path in (raw / "transcripts").iterdir():
        if path.name.startswith("P01"):
            path.rename(path.with_name(unicodedata.normalize("NFD", "P01 Siân.txt")))
    result = run_in(root, "ingest", name)
    assert result.returncode == 0, result.stderr
    assert leaks(outputs(root, name), read_terms(raw)) == []
    processed = root / "data" / "processed" / name
    documents = pd.read_parquet(processed / "documents.parquet")
    assert sorted(documents["doc_id"]) == ["P01 (P01)", "P02"]
    assert folder.is_dir()


def test_level_header_term(tmp_path):
    root, raw, processed = ingest_ok(tmp_path, "level_header_term")
    assert leaks(outputs(root, "level_header_term"), read_terms(raw)) == []
    codings = pd.read_parquet(processed / "codings.parquet")
    assert not codings["level"].str.lower().str.contains("ashcombe").any()
    assert "(Town)" in set(codings["level"]) | set(pd.read_parquet(processed / "codebook.parquet")["level"])


# -- inputs stay inputs ----------------------------------------------------------------------

def test_symlink_transcript_outside_is_refused(tmp_path):
    folder = case("symlink_transcript_outside")
    root, raw = project(tmp_path, "study", folder / "study")
    shutil.copytree(folder / "elsewhere", raw.parent / "elsewhere")
    link = raw / "transcripts" / "P07.txt"
    link.unlink()
    link.symlink_to("../../elsewhere/other_study_P07.txt")
    assert "Quentin" in link.read_text()  # the link works: the other study's text is there
    for command in ("check", "ingest"):
        result = run_in(root, command, "study")
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr
        assert lines[0].startswith("error: ") and "transcripts/P07.txt" in lines[0]
        assert "points outside the study folder (symbolic link)" in lines[0]
        assert "copy the file into the study" in lines[0]
        assert "Quentin" not in result.stderr + result.stdout
    assert not (root / "data" / "processed" / "study").exists()


def test_symlink_to_system_file_and_linked_coding_folder_are_refused(tmp_path):
    root, raw = project(tmp_path, "study", case("symlink_transcript_outside") / "study")
    (raw / "transcripts" / "P07.txt").unlink()
    (raw / "transcripts" / "P08.txt").symlink_to("/etc/hostname")
    outside = tmp_path / "other_codings"
    outside.mkdir()
    (outside / "AK.csv").write_text("participant,quote,code\nP01,x,y\n")
    (raw / "codings").mkdir()
    (raw / "codings" / "linked").symlink_to(outside)
    result = run_in(root, "check", "study")
    assert result.returncode == 2
    assert "transcripts/P08.txt: points outside the study folder" in result.stderr
    assert "codings/linked: points outside the study folder" in result.stderr


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_export_refuses_targets_inside_the_study(tmp_path):
    root, raw = project(tmp_path, "export_overwrites_raw_file")
    before = {p: _sha(p) for p in raw.rglob("*") if p.is_file()}
    for target in (raw / "codings" / "AK.csv", raw / "codings" / "roundtrip.qdpx", raw / "export.qdpx"):
        result = run_in(root, "export", "export_overwrites_raw_file", "--to", "qdpx", str(target))
        assert result.returncode == 2, result.stderr
        # the line expected.md gives, whole
        assert result.stderr.strip() == (f"error: {target}: inside the study folder, whose files are never written "
                                         "to — export to another folder"), result.stderr
    assert {p: _sha(p) for p in raw.rglob("*") if p.is_file()} == before
    # elsewhere it works, and a second ingest reads the same 24 codings
    good = run_in(root, "export", "export_overwrites_raw_file", "--to", "qdpx", str(tmp_path / "out.qdpx"))
    assert good.returncode == 0, good.stderr
    assert len(pd.read_parquet(root / "data" / "processed" / "export_overwrites_raw_file" / "codings.parquet")) == 24


def test_export_never_overwrites_a_file_that_is_not_a_project_without_force(tmp_path):
    root, raw = project(tmp_path, "export_overwrites_raw_file")
    other = tmp_path / "notes.csv"
    other.write_text("mine\n")
    result = run_in(root, "export", "export_overwrites_raw_file", "--to", "qdpx", str(other))
    assert result.returncode == 2 and "is not a .qdpx project" in result.stderr
    assert other.read_text() == "mine\n"
    forced = run_in(root, "export", "export_overwrites_raw_file", "--to", "qdpx", str(other), "--force")
    assert forced.returncode == 0, forced.stderr
    assert zipfile.is_zipfile(other)


def test_no_writer_writes_inside_a_study_folder(tmp_path):
    from helpers import atomic
    from helpers.errors import InputError
    from helpers.ingest.config import load_config

    root, raw = project(tmp_path, "export_overwrites_raw_file")
    load_config(raw)
    for target in (raw / "codings" / "AK.csv", raw / "new.csv", raw / "sub" / "x.json"):
        with pytest.raises(InputError, match="inside the study folder"):
            atomic.write_csv(target, pd.DataFrame({"a": [1]}))
    with pytest.raises(InputError, match="inside the study folder"):
        with atomic.atomic_folder(raw / "processed"):
            pass
    # a link from outside into the study is followed before the check
    (tmp_path / "door").symlink_to(raw / "codings")
    with pytest.raises(InputError, match="inside the study folder"):
        atomic.write_text(tmp_path / "door" / "AK.csv", "x")
    assert (raw / "codings" / "AK.csv").read_text().startswith("participant")


# -- outputs safe to open ----------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _formula_cells(path: Path) -> list[str]:
    """Cells of an .xlsx stored as formulas, and text cells of a .csv that a spreadsheet
    would read as one (starting = + - @ tab CR and not a plain number)."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as archive:
            return [f"{path.name}:{m}" for m in archive.namelist()
                    if m.startswith("xl/worksheets/") and b"<f>" in archive.read(m)]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, header=None)
    return [f"{path.name}:{v}" for v in frame.to_numpy().ravel()
            if v.startswith(FORMULA_START) and not re.fullmatch(r"[+-]?[\d.,eE+-]+%?", v.strip())]


def test_formula_injection_in_exported_tables(tmp_path):
    name = "formula_injection_in_exported_tables"
    root, raw = project(tmp_path, name)
    result = run_in(root, "report", name, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    tables = root / "data" / "processed" / name / "tables"
    written = sorted(p for p in tables.iterdir() if p.suffix in (".csv", ".xlsx"))
    assert {"framework_matrix.xlsx", "code_frequencies_as_applied.csv"} <= {p.name for p in written}
    assert [cell for path in written for cell in _formula_cells(path)] == []
    # the DDE code is kept as text, quoted the OWASP way in the CSV (the sheet reader may
    # split "=cmd|' /C calc'!A0" at "|" into two codes; either way it starts "=cmd")
    csv_text = (tables / "code_frequencies_as_applied.csv").read_text()
    assert "\n'=cmd" in csv_text and "\n'+ve experience," in csv_text
    book = openpyxl_load(tables / "framework_matrix.xlsx")
    values = {c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row}
    assert "=1+1" in values or any(isinstance(v, str) and "=1+1" in v for v in values)


def openpyxl_load(path: Path):
    import openpyxl

    return openpyxl.load_workbook(path)


def test_error_and_warning_lines_are_redacted(tmp_path):
    root = tmp_path / "project"
    raw = root / "data" / "raw" / "s"
    (raw / "transcripts").mkdir(parents=True)
    (raw / "study.yml").write_text("title: T\n")
    (raw / "redactions.csv").write_text("term,replacement\nMarlowe,(M)\nQuennell,(Q)\n")
    (raw / "transcripts" / "Interview Marlowe.txt").write_text("no labels here at all\n")
    result = run_in(root, "check", "s")
    assert result.returncode == 2
    assert "Interview (M).txt: no speaker labels found" in result.stderr
    assert "Marlowe" not in result.stderr
    # a warning quoting a term never shows it either: (Q) is found nowhere
    (raw / "transcripts" / "Interview Marlowe.txt").write_text("I: Hello?\nP: Hello, Marlowe here.\n")
    result = run_in(root, "check", "s")
    assert result.returncode == 0, result.stderr
    assert "1 term was found nowhere in the study (replaced by (Q))" in result.stderr
    assert "Marlowe" not in result.stderr + result.stdout and "Quennell" not in result.stderr


def test_a_study_folder_named_with_a_term_never_names_an_output(tmp_path):
    root, raw = project(tmp_path, "Ashcombe_pilot", case("level_header_term"))
    result = run_in(root, "ingest", "Ashcombe_pilot")
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (root / "data" / "processed").iterdir()] == ["(Town)_pilot"]
    assert "Ashcombe" not in result.stdout + result.stderr
    assert leaks([root / "data" / "processed"], ["Ashcombe"]) == []
