"""Which pages of the previous bundle a run keeps (the wd fault): a page outside
``--only`` is kept only when it was built from this study as it is now; the
evidence pages only when the bundle's evidence key is this run's. Plain files,
no kernel: the rule itself (tests/test_batch_runs.py runs it through the CLI)."""
from __future__ import annotations

from pathlib import Path

from helpers.report.batch import EVIDENCE_KEY, Summary, carry_evidence, carry_over, study_file


def previous_bundle(folder: Path, stem: str, key: str, study_key: str | None) -> Path:
    """A bundle as a run leaves it: page, executed notebook, key, study key, one figure."""
    (folder / "executed").mkdir(parents=True)
    (folder / "figures").mkdir()
    (folder / f"{stem}.html").write_text("<p>Ash said: the meeting was friendly</p>", encoding="utf-8")
    (folder / "executed" / f"{stem}.ipynb").write_text("{}", encoding="utf-8")
    (folder / "executed" / f".{stem}.key").write_text(key, encoding="utf-8")
    if study_key is not None:
        (folder / study_file(stem)).write_text(study_key, encoding="utf-8")
    (folder / "figures" / f"{stem}-figure-01.svg").write_text("<svg/>", encoding="utf-8")
    return folder


def names(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


STEM = "04-themes-across-participants"
KEPT = sorted([f"{STEM}.html", f"executed/{STEM}.ipynb", f"executed/.{STEM}.key", f"executed/.{STEM}.study.key",
               f"figures/{STEM}-figure-01.svg"])


def test_a_selected_page_is_kept_only_with_its_full_key(tmp_path):
    previous = previous_bundle(tmp_path / "old", STEM, key="k1", study_key="s1")
    bundle = tmp_path / "new"
    bundle.mkdir()
    assert not carry_over(previous, bundle, STEM, "k2", "s1", selected=True)  # parameters changed: run again
    assert names(bundle) == []
    assert carry_over(previous, bundle, STEM, "k1", "s1", selected=True)
    assert names(bundle) == KEPT


def test_a_page_outside_the_selection_is_kept_with_its_study_key_whatever_its_parameters(tmp_path):
    previous = previous_bundle(tmp_path / "old", STEM, key="k1", study_key="s1")
    bundle = tmp_path / "new"
    bundle.mkdir()
    assert carry_over(previous, bundle, STEM, "k-with-other-parameters", "s1", selected=False)
    assert names(bundle) == KEPT


def test_a_page_outside_the_selection_built_from_another_study_is_not_kept(tmp_path):
    # the study changed (a withdrawal, another study in a folder of the same name): nothing linked
    previous = previous_bundle(tmp_path / "old", STEM, key="k1", study_key="s1")
    bundle = tmp_path / "new"
    bundle.mkdir()
    assert not carry_over(previous, bundle, STEM, "k2", "s2", selected=False)
    assert names(bundle) == []


def test_a_page_without_a_recorded_study_key_is_kept_only_with_its_full_key(tmp_path):
    # a bundle written before study keys were recorded
    previous = previous_bundle(tmp_path / "old", STEM, key="k1", study_key=None)
    bundle = tmp_path / "new"
    bundle.mkdir()
    assert not carry_over(previous, bundle, STEM, "k2", "s1", selected=False)
    assert names(bundle) == []
    assert carry_over(previous, bundle, STEM, "k1", "s1", selected=False)
    assert names(bundle) == KEPT  # and the study key it was built from is now recorded
    assert (bundle / study_file(STEM)).read_text(encoding="utf-8") == "s1"


def test_evidence_pages_are_kept_only_with_the_bundles_evidence_key(tmp_path):
    previous = tmp_path / "old"
    (previous / "evidence").mkdir(parents=True)
    (previous / "executed").mkdir()
    (previous / "evidence" / "cells-theme.html").write_text("<p>Ash</p>", encoding="utf-8")
    bundle = tmp_path / "new"
    bundle.mkdir()
    assert not carry_evidence(previous, bundle, "e1")  # no key recorded: not kept
    (previous / EVIDENCE_KEY).write_text("e0", encoding="utf-8")
    assert not carry_evidence(previous, bundle, "e1")  # built from another version of the study
    assert names(bundle) == []
    (previous / EVIDENCE_KEY).write_text("e1", encoding="utf-8")
    assert carry_evidence(previous, bundle, "e1")
    assert names(bundle) == ["evidence/cells-theme.html"]


def test_the_summary_names_the_pages_removed_for_an_earlier_version_of_the_study():
    summary = Summary("peer", Path("reports/peer/index.html"), executed=["05-participant-profile-P01"],
                      removed=["05-participant-profile-P04"], outdated=["01-clean-transcripts", "08-discovery"])
    assert summary.lines()[1:3] == [
        "  removed 1 page no longer in the study: 05-participant-profile-P04",
        "  removed 2 pages built from an earlier version of the study: 01-clean-transcripts, 08-discovery; "
        "run without --only to rebuild them"]
    one = Summary("peer", Path("index.html"), outdated=["08-discovery"])
    assert one.lines()[1].startswith("  removed 1 page built from an earlier version of the study: 08-discovery;")
