"""The conservation check (helpers.conservation, issue 13 point 1) through `check` on
the command line (the rest: tests/unit/test_conservation.py)."""
from __future__ import annotations

from support import FIXTURES, make_study, run_cli


def test_check_prints_no_loss_for_a_clean_study(tmp_path):
    root = make_study(tmp_path, {"study.yml": "title: T\nstrict: true\n",
                                 "transcripts/P01.docx": (FIXTURES / "transcripts" / "labelled.txt").read_bytes()})
    (root / "transcripts" / "P01.docx").rename(root / "transcripts" / "P01.txt")
    result = run_cli("check", str(root), home=tmp_path)
    assert result.returncode == 0 and "not in the clean text" not in result.stderr
