"""fcnet.runs: the run folder's file names once, and run.json's record derived from each
task's options dataclass (no second list of option types)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from fcnet import runs
from fcnet._fileio import FileError
from fcnet.runs import records
from fcnet.tasks.binary import BinaryOptions
from fcnet.tasks.fit import FitOptions, fit
from fcnet.tasks.mnist import MnistOptions

OPTIONS = {"fit": FitOptions, "mnist": MnistOptions, "binary": BinaryOptions}


@pytest.fixture(scope="module")
def fit_run(tmp_path_factory):
    """A finished 1-epoch fit run."""
    out = tmp_path_factory.mktemp("runs") / "fit"
    fit("sin(x)", samples=64, epochs=1, hidden=[4], quiet=True, out=str(out))
    return out


def test_every_option_of_every_task_has_a_record_type():
    for task, cls in OPTIONS.items():
        model, names, required = records._TASKS[task]
        declared = {f.name for f in dataclasses.fields(cls)}
        assert declared <= set(model.model_fields), task
        assert declared <= set(names), task
        assert set(records.REQUIRED) <= set(required)


def test_a_finished_run_holds_the_layouts_files_and_reads_back(fit_run):
    for name in (runs.RUN_JSON, runs.CONFIG, runs.METRICS_LOG, runs.RESULT, runs.MODEL):
        assert (fit_run / name).is_file(), name
    assert (fit_run / runs.CHECKPOINT).is_file()
    saved = runs.read_run(fit_run, "fit")
    assert saved["task"] == "fit" and saved["options"]["samples"] == 64
    model, again = runs.load_model(fit_run, "fit")
    assert again == saved and model.spec.hidden[0].width == 4


def _tampered(fit_run, tmp_path, **options):
    folder = tmp_path / "run"
    folder.mkdir()
    saved = json.loads((fit_run / runs.RUN_JSON).read_text())
    saved["options"].update(options)
    (folder / runs.RUN_JSON).write_text(json.dumps(saved))
    return folder


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("lr", "fast", "int or float"),  # kind="float": a number
        ("samples", 1.5, "int"),  # kind="int"
        ("samples", True, "int"),  # a bool is not an int
        ("sweep", 1, "bool"),  # kind="flag"
        ("activation", 3, "str"),
        ("hidden", {"a": 1}, "str or int or list"),
        ("hidden", [4, True], "widths"),
        ("range", [0, "x"], "two numbers"),
        ("range", [0, 1, 2], "two numbers"),
    ],
)
def test_a_wrong_option_type_is_named(fit_run, tmp_path, key, value, expected):
    folder = _tampered(fit_run, tmp_path, **{key: value})
    with pytest.raises(FileError, match=rf"run\.json: field 'options\.{key}' must be") as info:
        runs.read_run(folder)
    assert expected in str(info.value)


def test_none_and_unknown_keys_pass(fit_run, tmp_path):
    """None is "the task decides" for every option not required; keys no task declares
    (the studio's saved fits record "steps" and "source") are kept."""
    folder = _tampered(fit_run, tmp_path, lr=None, dropout=None, steps=120, source="studio")
    saved = runs.read_run(folder, "fit")
    assert saved["options"]["steps"] == 120 and saved["options"]["lr"] is None


@pytest.mark.parametrize("key", [*records.REQUIRED, "expr", "range", "samples"])
def test_a_required_option_missing(fit_run, tmp_path, key):
    folder = _tampered(fit_run, tmp_path, **{key: None})
    with pytest.raises(FileError, match=rf"field 'options\.{key}' is missing"):
        runs.read_run(folder)


def test_the_task_run_folder_names_stay_importable():
    """`fcnet.tasks.run_folder` keeps every public name it had."""
    from fcnet.tasks import run_folder

    for name in ("Run", "TaskResult", "finish", "jsonable", "load_model", "read_run",
                 "silent_run", "start_run", "interrupted_message"):  # fmt: skip
        assert hasattr(run_folder, name), name
    assert run_folder.read_run is runs.read_run and run_folder.Run is runs.Run
