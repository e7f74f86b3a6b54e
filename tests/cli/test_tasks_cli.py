"""The task commands: user errors are one line and exit 2, Ctrl-C exits 130 and resumes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import fcnet.tasks._common as common
from fcnet.cli import cli
from fcnet.train import Callback
from fcnet.train import train as real_train

FIT = ["fit", "sin(x)", "--samples", "200", "--epochs", "3", "--hidden", "8", "-q"]


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def _one_line_error(result, *parts: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fcnet: error: ")
    assert "Traceback" not in result.output
    for part in parts:
        assert part in lines[0]


@pytest.mark.parametrize(
    ("args", "parts"),
    [
        (["fit", "sin(x)", "--epochs", "abc"], ["--epochs", "'abc' is not a valid integer"]),
        (["fit", "sin(x)", "--backend", "jax"], ["--backend", "'jax' is not one of"]),
        (["fit", "sin(x)", "--bogus"], ["fit: No such option '--bogus'"]),
        (["fit", "__import__('os')"], ["__import__"]),
        (["fit", "sin(x)", "--range", "3", "1"], ["--range: expected finite A < B"]),
        (["fit", "sin(x)", "--hidden", "8,x"], ["--hidden"]),
        (["fit", "sin(x)", "--config", "nope.json"], ["nope.json"]),
        (["mnist", "--preset", "fastest"], ["--preset"]),
        (["mnist", "--data-dir", "empty"], ["empty"]),
        (["binary", "--dataset", "csv", "--path", "t.csv", "--label", "y"], ["t.csv, line 3"]),
        (["binary", "--pos-weight", "lots"], ["--pos-weight"]),
        (["evaluate", "nowhere"], ["nowhere: not an fcnet run folder"]),
        (["predict", "nowhere", "x.png"], ["nowhere: not an fcnet run folder"]),
        (["predict", "nowhere"], ["give IMAGE files, or --idx FILE --index I"]),
        (["fit", "--resume", "nowhere"], ["nowhere: not an fcnet run folder"]),
    ],
)
def test_user_errors_are_one_line_and_exit_2(run, tmp_path, args, parts):
    (tmp_path / "empty").mkdir()
    (tmp_path / "t.csv").write_text("a,y\n1,0\n2,one,1\n")
    _one_line_error(run(*args), *parts)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "t.csv"]  # no run folder


def test_fit_then_evaluate(run, tmp_path):
    result = run(*FIT, "--out", "r")
    assert result.exit_code == 0, result.output
    assert "test_mse" in result.stdout and "run folder: r" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]
    metrics = json.loads((tmp_path / "r" / "result.json").read_text())["metrics"]
    again = run("evaluate", "r")
    assert again.exit_code == 0
    assert f"test_mse: {metrics['test_mse']:.6g}" in again.stdout
    # nothing the user had is overwritten
    _one_line_error(run(*FIT, "--out", "r"), "--out r: exists and is not an empty folder")


def test_fit_nan_is_one_line_naming_epoch_and_step(run):
    result = run(*FIT, "--out", "r", "--optimizer", "sgd", "--lr", "1e12")
    _one_line_error(result, "training diverged", "epoch 1, step", "lower learning rate")


class _CtrlC(Callback):
    def on_step_end(self, epoch, step, loss):
        if (epoch, step) == (2, 3):
            raise KeyboardInterrupt


def test_ctrl_c_saves_a_checkpoint_exits_130_and_resumes(run, tmp_path, monkeypatch):
    def interrupted_train(*args, callbacks=(), **kw):
        return real_train(*args, callbacks=[*callbacks, _CtrlC()], **kw)

    monkeypatch.setattr(common, "train", interrupted_train)
    result = run(*FIT, "--out", "r")
    assert result.exit_code == 130
    assert "interrupted at epoch 2, step 3" in result.stderr
    assert "fcnet fit --resume r" in result.stderr
    assert "Traceback" not in result.output
    assert (tmp_path / "r" / "checkpoint.npz").is_file()
    monkeypatch.setattr(common, "train", real_train)
    resumed = run("fit", "--resume", "r", "-q")
    assert resumed.exit_code == 0, resumed.output
    lines = (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(s)["epoch"] for s in lines] == [1, 2, 3]


def test_mnist_predict_and_idx(run, tmp_path):
    result = run("mnist", "--limit", "1000", "--epochs", "1", "--hidden", "16", "-q", "--out", "m")
    assert result.exit_code == 0, result.output
    assert "test_accuracy" in result.stdout
    img = np.zeros((90, 60), dtype=np.uint8) + 255
    img[10:80, 27:33] = 0  # a dark "1" on white paper
    Image.fromarray(img).save(tmp_path / "one.png")
    out = run("predict", "m", "one.png")
    assert out.exit_code == 0, out.output
    line = out.stdout.strip()
    assert line.startswith("one.png: ") and line.count("%") == 3
    from fcnet.data.mnist import shipped_root

    idx = str(next(shipped_root().glob("t10k-images*")))
    out = run("predict", "m", "--idx", idx, "--index", "0", "--index", "1")
    assert out.exit_code == 0 and len(out.stdout.strip().splitlines()) == 2
    _one_line_error(run("predict", "m", "--idx", idx), "--idx: needs --index")
    acc = json.loads((tmp_path / "m" / "result.json").read_text())["metrics"]["test_accuracy"]
    again = run("evaluate", "m", "--data-dir", str(shipped_root()))
    assert again.exit_code == 0 and f"test_accuracy: {acc:.6g}" in again.stdout


def test_binary_random_says_overfitting(run):
    result = run(
        "binary",
        "--dataset",
        "random",
        "--features",
        "100",
        "--hidden",
        "32",
        "--epochs",
        "40",
        "-q",
        "--out",
        "b",
    )
    assert result.exit_code == 0, result.output
    assert "Over-fitting" in result.stdout and "train_auc" in result.stdout


def test_demo_quick_writes_everything_under_its_folder(run, tmp_path):
    result = run("demo", "--quick", "-q", "--out", "d")
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "d" / "summary.json").read_text())
    assert [r["task"] for r in rows] == ["mnist", "fit", "binary"]
    assert all(np.isfinite(r["value"]) and r["seconds"] > 0 for r in rows)
    assert "fcnet demo" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [
        "binary",
        "fit",
        "mnist",
        "summary.json",
    ]
