"""fcnet.runs.reader: the one reader of each file of a run folder, bounded and confined,
and the one the CLI and the tasks read through (the studio's side: tests/studio)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from fcnet import runs
from fcnet._fileio import FileError
from fcnet.cli import cli
from fcnet.runs import reader, records
from fcnet.spec import SpecError
from fcnet.tasks.fit import fit

SENTINEL = "refused by the test's reader"


@pytest.fixture(scope="module")
def fit_run(tmp_path_factory):
    """A finished 1-epoch fit run."""
    out = tmp_path_factory.mktemp("runs") / "fit"
    fit("sin(x)", samples=64, epochs=1, hidden=[4], quiet=True, out=str(out))
    return out


@pytest.fixture
def run_copy(fit_run, tmp_path):
    """A copy of the finished fit run (a test may break it)."""
    return shutil.copytree(fit_run, tmp_path / "run")


# ----- bounded and confined ---------------------------------------------------------------


@pytest.mark.parametrize("name", [runs.RUN_JSON, runs.CONFIG, runs.RESULT, runs.METRICS_LOG])
def test_a_link_leading_out_of_the_run_is_refused_inside_it(run_copy, tmp_path, name):
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"secret": 1}))
    (run_copy / name).unlink()
    (run_copy / name).symlink_to(secret)
    read = reader.read_metrics if name == runs.METRICS_LOG else reader.read_json
    with pytest.raises(FileError, match=rf"^{name}: a link leading out of its folder; refused$"):
        read(run_copy, name, inside=run_copy)


def test_each_file_has_its_bound(run_copy):
    assert reader.LIMITS[runs.RUN_JSON] == 1 << 20
    with open(run_copy / runs.CONFIG, "wb") as fh:
        fh.truncate(reader.LIMITS[runs.CONFIG] + 1)  # sparse: nothing is written
    with pytest.raises(FileError, match=r"^config\.json: 1 MiB, more than a file may have"):
        reader.read_json(run_copy, runs.CONFIG, inside=run_copy)
    with pytest.raises(SpecError, match=r"config\.json: 1 MiB, more than a file may have"):
        reader.read_spec(run_copy)  # the NetSpec of a resumed run: the same read


def test_a_sweeps_files_have_their_files_bound(run_copy):
    shutil.copy(run_copy / runs.CONFIG, run_copy / "w4-config.json")
    assert reader.read_spec(run_copy, "w4-config.json").hidden[0].width == 4
    with pytest.raises(KeyError):
        reader.read_json(run_copy, "notes.txt")  # not a file of a run folder


def test_bad_metric_lines_are_skipped_and_the_lines_bounded(run_copy, monkeypatch):
    lines = ['{"epoch": 1}', "not json", "[" * 100, "7", '{"epoch": 2}', '{"epoch": 3}']
    (run_copy / runs.METRICS_LOG).write_text("\n".join(lines) + "\n")
    got = reader.read_metrics(run_copy, inside=run_copy)
    assert [r["epoch"] for r in got] == [1, 2, 3]
    monkeypatch.setattr(reader, "METRIC_LINES", 5)
    assert [r["epoch"] for r in reader.read_metrics(run_copy)] == [1, 2]


def test_a_fifo_is_refused_by_its_type(run_copy):
    import os

    (run_copy / runs.RESULT).unlink()
    os.mkfifo(run_copy / runs.RESULT)
    with pytest.raises(FileError, match=r"result\.json: is a FIFO"):
        reader.read_json(run_copy, runs.RESULT, inside=run_copy)


def test_the_model_spec_is_read_without_the_weights_and_bounded(run_copy):
    spec = reader.read_model_spec(run_copy, inside=run_copy)
    assert spec["hidden"][0]["width"] == 4
    with pytest.raises(FileError, match=r"^model\.npz: its arrays hold .* more than a model file"):
        reader.read_model_spec(run_copy, limit=100, inside=run_copy)
    with open(run_copy / runs.MODEL, "wb") as fh:
        np.savez(fh, __spec__=np.zeros(2 << 20, np.uint8))  # the backends' 1 MiB bound
    with pytest.raises(FileError, match=r"array '__spec__' holds 2 MiB, more than a model file"):
        reader.read_model_spec(run_copy)


def test_the_model_path_is_refused_when_a_link_leads_out(run_copy, tmp_path):
    shutil.move(run_copy / runs.MODEL, tmp_path / "elsewhere.npz")
    with pytest.raises(ValueError, match=r"has no model\.npz \(did the run finish\?\)"):
        reader.model_path(run_copy)
    (run_copy / runs.MODEL).symlink_to(tmp_path / "elsewhere.npz")
    assert reader.model_path(run_copy) == run_copy / runs.MODEL  # the CLI follows a link
    with pytest.raises(FileError, match=r"^model\.npz: a link leading out of its folder"):
        reader.model_path(run_copy, inside=run_copy)


def test_read_run_inside_refuses_a_link_out_and_names_the_file_alone(run_copy, tmp_path):
    assert runs.read_run(run_copy, "fit", inside=run_copy)["task"] == "fit"
    saved = json.loads((run_copy / runs.RUN_JSON).read_text())
    (tmp_path / "other.json").write_text(json.dumps(saved))
    (run_copy / runs.RUN_JSON).unlink()
    (run_copy / runs.RUN_JSON).symlink_to(tmp_path / "other.json")
    assert runs.read_run(run_copy, "fit")["task"] == "fit"  # the CLI follows a link
    with pytest.raises(FileError, match=r"^run\.json: a link leading out of its folder"):
        runs.read_run(run_copy, inside=run_copy)
    (run_copy / runs.RUN_JSON).unlink()
    (run_copy / runs.RUN_JSON).write_text(json.dumps({**saved, "task": "draw"}))
    with pytest.raises(FileError, match=r"^run\.json: field 'task' must be one of .*, got 'draw'$"):
        runs.read_run(run_copy, inside=run_copy)


# ----- run.json's record: the tasks register, fcnet.runs imports none -----------------------


def test_read_run_without_a_registered_task_says_to_import_the_tasks(fit_run, monkeypatch):
    monkeypatch.setattr(records, "_TASKS", {})
    with pytest.raises(RuntimeError, match=r"import fcnet\.tasks first"):
        runs.read_run(fit_run)


def test_fcnet_runs_imports_no_task_module():
    import subprocess
    import sys

    code = (
        "import sys, fcnet.runs, fcnet.runs.reader\n"
        "print(sorted(m for m in sys.modules if m.startswith('fcnet.tasks')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _kind(kind: str) -> dict:
    return {"fcnet": SimpleNamespace(kind=kind)}


@dataclasses.dataclass
class _Options:
    """Annotations as strings (this module's `from __future__ import annotations`), in forms
    the old matching of annotation text got wrong."""

    widths: list[int] | None = None  # --hidden's forms
    weight: str | float | None = None  # a number or a word, in the other order
    table: dict[str, list[int]] | None = None  # holds "list[int]" as text, is no widths
    count: int | None = dataclasses.field(default=None, metadata=_kind("int"))
    rate: float = dataclasses.field(default=0.1, metadata=_kind("float"))


def test_run_json_types_come_from_the_resolved_type_hints(monkeypatch):
    monkeypatch.setattr(records, "_TASKS", dict(records._TASKS))
    runs.register_task("toy", _Options)
    model, names, _required = records._TASKS["toy"]
    assert names == {
        "widths": "str or int or list",
        "weight": "str or int or float",
        "table": "str",
        "count": "int",
        "rate": "int or float",
    }
    model.model_validate({"widths": "8,4", "weight": 2, "count": 3, "rate": 1})
    with pytest.raises(ValueError, match="weight"):
        model.model_validate({"weight": [1]})


# ----- the CLI and the tasks read through the reader ---------------------------------------


def _refusing(monkeypatch, name: str) -> list[str]:
    """Make `reader.read_json` refuse file `name` (the others read as ever); the names it
    was asked for are recorded."""
    asked: list[str] = []
    real = reader.read_json

    def read_json(run_dir, file, **kwargs):
        asked.append(file)
        if file == name:
            raise FileError(f"{file}: {SENTINEL}")
        return real(run_dir, file, **kwargs)

    monkeypatch.setattr(reader, "read_json", read_json)
    return asked


@pytest.mark.parametrize(
    "args",
    [["evaluate", "{run}"], ["predict", "{run}", "x.png"], ["fit", "--resume", "{run}"]],
)
def test_the_cli_reads_run_json_through_the_reader(run_copy, monkeypatch, args):
    asked = _refusing(monkeypatch, runs.RUN_JSON)
    result = CliRunner().invoke(cli, [a.format(run=run_copy) for a in args])
    assert result.exit_code == 2, result.output
    assert f"run.json: {SENTINEL}" in result.stderr
    assert asked == [runs.RUN_JSON]


def test_a_resumed_run_reads_its_config_through_the_reader(run_copy, monkeypatch):
    asked = _refusing(monkeypatch, runs.CONFIG)
    result = CliRunner().invoke(cli, ["fit", "--resume", str(run_copy), "--epochs", "2"])
    assert result.exit_code == 2, result.output
    assert f"config.json: {SENTINEL}" in result.stderr
    assert asked == [runs.RUN_JSON, runs.CONFIG]


def test_load_model_takes_the_models_path_from_the_reader(fit_run, monkeypatch):
    def model_path(run_dir, **kwargs):
        raise ValueError(SENTINEL)

    monkeypatch.setattr(reader, "model_path", model_path)
    result = CliRunner().invoke(cli, ["evaluate", str(fit_run)])
    assert result.exit_code == 2 and SENTINEL in result.stderr
