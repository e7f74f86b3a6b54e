"""notebooks/ and notebooks/zh/: in step with the skeletons (English, Chinese), and each runs
top to bottom (headless, nbclient) against its exercise's reference solution, its check cell
passing: `run_checks(NAME, globals())` checks the saved notebook, which the kernel names
(`__session__`, from Jupyter's JPY_SESSION_NAME)."""

import json
from pathlib import Path

import nbformat
import pytest
from learnkit import SOLUTIONS
from nbclient import NotebookClient

from fcnet.learn.skeleton import NOTEBOOK_FOLDERS, NOTEBOOKS, render

ROOT = Path(__file__).resolve().parents[2]
CASES = [(lang, stem, name) for lang in NOTEBOOK_FOLDERS for stem, name in NOTEBOOKS]


@pytest.mark.parametrize("lang", list(NOTEBOOK_FOLDERS))
def test_notebooks_are_the_skeletons_without_outputs(lang):
    folder = ROOT / NOTEBOOK_FOLDERS[lang]
    names = sorted(p.name for p in folder.glob("*.ipynb"))
    assert names == sorted(f"{s}.ipynb" for s, _ in NOTEBOOKS)
    for stem, name in NOTEBOOKS:
        text = (folder / f"{stem}.ipynb").read_text(encoding="utf-8")
        assert text == render(name, "ipynb", lang=lang), (
            f"{stem}: run python -m fcnet.learn.skeleton"
        )
        for cell in json.loads(text)["cells"]:
            assert not cell.get("outputs"), f"{stem}: outputs are not committed"


@pytest.mark.parametrize(("lang", "stem", "name"), CASES, ids=[f"{l}-{s}" for l, s, _ in CASES])
def test_notebook_runs_against_the_reference(lang, stem, name, monkeypatch, tmp_path):
    monkeypatch.setenv("FCNET_LEARN_QUICK", "1")  # mnist and fit: small slices
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("FCNET_LEARN_TIME_SCALE", "3")  # auc's 1 s bound, on a loaded machine
    nb = nbformat.read(ROOT / NOTEBOOK_FOLDERS[lang] / f"{stem}.ipynb", as_version=4)
    if name != "idx_header":
        ref = SOLUTIONS / f"{name}_ref.py"
        checks = [i for i, c in enumerate(nb.cells) if "run_checks(" in c.source]
        assert len(checks) == 1, "one check cell"
        # the reference's code as a cell of the notebook: the checks run on the saved file
        nb.cells.insert(checks[0], nbformat.v4.new_code_cell(ref.read_text()))
    saved = tmp_path / f"{stem}.ipynb"
    nbformat.write(nb, saved)
    monkeypatch.setenv("JPY_SESSION_NAME", str(saved))  # the kernel's __session__, as Jupyter's
    if name != "idx_header":  # run, not saved: the checked file has no such cell
        nb.cells.append(nbformat.v4.new_code_cell("assert report.passed, str(report)"))
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    if name != "idx_header":
        printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        assert "✓" in printed and "✗" not in printed


def test_make_lab_installs_pinned_jupyterlab_on_demand_and_serves_on_loopback():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (pin,) = project["optional-dependencies"]["lab"]
    assert pin.startswith("jupyterlab==")  # an exact version
    makefile = (ROOT / "Makefile").read_text()
    default = makefile.split("$(STAMP): pyproject.toml", 1)[1].split("\n\n", 1)[0]
    assert "lab" not in default.replace("[backends,studio,dev]", "")  # not by default
    recipe = makefile.split("\nlab: ", 1)[1].split("\n\n", 1)[0]
    assert "'.[lab]'" in recipe and "test -x $(VENV)/bin/jupyter-lab" in recipe
    assert "--ServerApp.ip=127.0.0.1" in recipe and "root_dir=notebooks" in recipe
