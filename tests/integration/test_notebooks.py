"""Every notebook runs under papermill on the small fixture study (papermill's
own test style: execute into a temp dir, assert on the output notebook)."""
from __future__ import annotations

import nbformat
import papermill
import pytest
from support import REPO, make_root

pytestmark = pytest.mark.notebook
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
SMALL = {  # parameters that fit a two-interview study
    "08-discovery": {"min_examples": 2, "n_topics": 2, "k_values": [2, 3], "map_level": "initial"},
    "05-participant-profile": {"participant": "A02"},
    "09-write-up-audit": {"drafts": [str(REPO / "tests" / "fixtures" / "drafts" / "mini_draft.md")]},
}


@pytest.fixture
def mini_root(tmp_path, monkeypatch):
    """A project of its own for each notebook, so that the notebooks run on
    any worker (`make test`: --dist loadgroup)."""
    root, raw = make_root(tmp_path / "nb")
    monkeypatch.setenv("TRANSCRIPT_THEMES_HOME", str(root))  # the kernels inherit it
    return root, raw


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            for mime in ("text/plain", "text/html", "text/markdown"):
                value = out.get("data", {}).get(mime, "")
                parts.append("".join(value) if isinstance(value, list) else value)
    return "\n".join(parts)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_on_fixture_study(notebook, mini_root, tmp_path):
    root, raw = mini_root
    out = tmp_path / notebook.name
    params = {"study": str(raw), **SMALL.get(notebook.stem, {})}
    papermill.execute_notebook(str(notebook), str(out), parameters=params, kernel_name="python3",
                               progress_bar=False, cwd=str(REPO / "notebooks"))
    nb = nbformat.read(str(out), as_version=4)
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    text = outputs_text(nb)
    # Redaction terms of the fixture never reach a notebook's outputs.
    assert "Zara" not in text and "07700 900123" not in text
    expected = EXPECTED.get(notebook.stem, [])
    for fragment in expected:
        assert fragment in text, f"{notebook.stem}: {fragment!r} not in the outputs"


# Facts about the fixture study, worked out by hand from its files:
# AK and RB code A01 turns 2, 4, 6 and A02 turns 2, 4, 6; AK puts disclosure on
# A01 t2, t4 and A02 t4; RB adds hope on A02 t4 and leaves it off A01 t4... (see
# tests/fixtures/studies/mini/codings). A03 has no interview.
EXPECTED = {
    "01-clean-transcripts": ["2 documents, 12 turns", "(PSW)", "cp1252"],
    # connection: A01 and A02 (2 of 3 participants) -> recurrent at 0.5;
    # ending: only A02 (losing someone) -> 1 of 3, not recurrent.
    "04-themes-across-participants": ["0.666667", "Robin, Sol", "Saturation was not reached"],
    "05-participant-profile": ["Sol (A02)"],
    "06-intercoder-agreement": ["overall", "documents compared: A01, A02"],
    # mini_draft.md: Robin's quote is A01 turn 4; "losing someone" is Sol's (A02), given to Kit;
    # connection is coded for A01 and A02, not A03 (Kit): "all participants" is 2 of 3.
    "09-write-up-audit": ["verbatim", "misattributed", "attributed to Kit, said by Sol", "not supported",
                          "2 of 3 participants have &#x27;connection&#x27;", "does not show the claim"],
    # the KWIC term defaults to the most frequent content word: felt and said are said twice
    # each (A01, A02), felt first by name; "(psw)", also twice, is a redaction placeholder
    "07-explore": ["2 occurrences of 'felt'"],
}
