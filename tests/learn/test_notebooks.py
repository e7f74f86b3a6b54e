"""notebooks/: in step with the skeletons, and each runs top to bottom (headless, nbclient)
against its exercise's reference solution, its check cell passing."""

import json
from pathlib import Path

import nbformat
import pytest
from learnkit import SOLUTIONS
from nbclient import NotebookClient

from fcnet.learn.skeleton import NOTEBOOKS, render

FOLDER = Path(__file__).resolve().parents[2] / "notebooks"


def test_notebooks_are_the_skeletons_without_outputs():
    names = sorted(p.name for p in FOLDER.glob("*.ipynb"))
    assert names == sorted(f"{s}.ipynb" for s, _ in NOTEBOOKS)
    for stem, name in NOTEBOOKS:
        text = (FOLDER / f"{stem}.ipynb").read_text(encoding="utf-8")
        assert text == render(name, "ipynb"), (
            f"{stem}: run python -m fcnet.learn.skeleton notebooks"
        )
        for cell in json.loads(text)["cells"]:
            assert not cell.get("outputs"), f"{stem}: outputs are not committed"


@pytest.mark.parametrize(("stem", "name"), NOTEBOOKS, ids=[s for s, _ in NOTEBOOKS])
def test_notebook_runs_against_the_reference(stem, name, monkeypatch, tmp_path):
    monkeypatch.setenv("FCNET_LEARN_QUICK", "1")  # mnist and fit: small slices
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("FCNET_LEARN_TIME_SCALE", "3")  # auc's 1 s bound, on a loaded machine
    nb = nbformat.read(FOLDER / f"{stem}.ipynb", as_version=4)
    if name != "idx_header":
        ref = SOLUTIONS / f"{name}_ref.py"
        checks = [i for i, c in enumerate(nb.cells) if "run_checks(" in c.source]
        assert len(checks) == 1, "one check cell"
        nb.cells.insert(
            checks[0],
            nbformat.v4.new_code_cell(
                f"exec(compile(open({str(ref)!r}).read(), {str(ref)!r}, 'exec'), globals())"
            ),
        )
        nb.cells.append(nbformat.v4.new_code_cell("assert report.passed, str(report)"))
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    if name != "idx_header":
        printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        assert "✓" in printed and "✗" not in printed
