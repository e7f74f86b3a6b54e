"""The hostile-files suite's run folders to tamper with (helpers in _hostile.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _hostile import fcnet

# ----- run folders to tamper with ------------------------------------------------------------


@pytest.fixture(scope="session")
def _fit_run_template(tmp_path_factory) -> Path:
    """A finished fit run (2 epochs) with its checkpoint, made once."""
    root = tmp_path_factory.mktemp("template")
    r = fcnet(
        "fit", "sin(x)", "--samples", "100", "--epochs", "2", "--hidden", "4", "-q",
        "--out", "fit", cwd=root,
    )  # fmt: skip
    assert r.rc == 0, r.stderr
    return root / "fit"


@pytest.fixture
def fit_run(_fit_run_template, tmp_path) -> Path:
    """A fresh copy of the finished fit run, in this test's folder."""
    return Path(shutil.copytree(_fit_run_template, tmp_path / "fit"))


@pytest.fixture
def mnist_run(tmp_path) -> Path:
    """An mnist run folder as predict reads it: run.json and a small 784-4-10 model.npz."""
    from fcnet.backends import build
    from fcnet.spec import NetSpec

    folder = tmp_path / "mnist"
    folder.mkdir()
    spec = NetSpec(input_size=784, hidden=[4], output_size=10, loss="cross_entropy")
    build(spec).save(folder / "model.npz")
    options = {
        "backend": "numpy",
        "seed": 0,
        "early_stopping": False,
        "patience": 5,
        "quiet": True,
        "preset": "default",
        "epochs": 1,
    }
    (folder / "run.json").write_text(json.dumps({"task": "mnist", "options": options}))
    return folder
