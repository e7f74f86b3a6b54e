"""The options of fit, mnist and binary: flag > --config file > preset > defaults, from the
Python API and the CLI, and run.json's record of where each value came from."""

from __future__ import annotations

import dataclasses
import inspect
import json

import pytest
from click.testing import CliRunner

from fcnet.cli import cli
from fcnet.spec import NetSpec
from fcnet.tasks import binary, fit, mnist
from fcnet.tasks.binary import DATASET_DEFAULTS, BinaryOptions
from fcnet.tasks.fit import PRESET, FitOptions
from fcnet.tasks.mnist import PRESETS, MnistOptions
from fcnet.tasks.options import SOURCES, TaskOptions, option_fields, resolve

FIT_SMALL = dict(samples=100, epochs=1, quiet=True)
MNIST_SMALL = dict(limit=300, epochs=1, quiet=True)
BINARY_SMALL = dict(dataset="random", samples=40, features=20, epochs=1, quiet=True)


def _run_json(out):
    return json.loads((out / "run.json").read_text())


def _spec(out):
    return NetSpec.load(out / "config.json")


def _toml(path, text):
    path.write_text(text)
    return str(path)


# ----- the rule itself ------------------------------------------------------------------------


def test_resolve_takes_each_option_from_the_highest_layer_that_sets_it():
    r = resolve(
        MnistOptions,
        given={"lr": 0.5, "epochs": None},
        preset={"lr": 0.1, "epochs": 3, "hidden": [8]},
        config={"lr": 0.2, "hidden": [4]},
    )
    assert r.values["lr"] == 0.5 and r.sources["lr"] == "flag"
    assert r.values["hidden"] == [4] and r.sources["hidden"] == "config"
    assert r.values["epochs"] == 3 and r.sources["epochs"] == "preset"
    assert r.values["seed"] == 0 and r.sources["seed"] == "default"
    assert set(r.sources.values()) <= set(SOURCES)


def test_the_network_defaults_are_netspecs_own():
    spec = NetSpec(input_size=1, hidden=[1], output_size=1)
    r = resolve(TaskOptions, {})
    assert r.values["lr"] == spec.optimizer.lr
    assert r.values["optimizer"] == spec.optimizer.name
    assert r.values["activation"] == spec.hidden[0].activation
    assert r.values["weight_decay"] == spec.optimizer.weight_decay
    assert r.values["seed"] == spec.seed


@pytest.mark.parametrize("cls", [FitOptions, MnistOptions, BinaryOptions])
def test_keyword_arguments_and_click_options_come_from_the_options_class(cls):
    task = {FitOptions: fit, MnistOptions: mnist, BinaryOptions: binary}[cls]
    names = [f.name for f in dataclasses.fields(cls)]
    params = inspect.signature(task).parameters
    assert set(params) == {*names, "resume", "callbacks"}
    assert all(params[n].default is None for n in names)
    command = cli.commands[task.__name__]
    flags = {p.name for p in command.params}
    assert flags == {*names, "resume", "distributed"}
    for f in option_fields(cls):
        param = next(p for p in command.params if p.name == f.name)
        if param.param_type_name == "option":
            assert param.default is None  # "not given": the task tells a flag from a default
            assert param.help == f.metadata["fcnet"].help
    with pytest.raises(TypeError):
        task(bogus=1)


# ----- fit ------------------------------------------------------------------------------------


def test_fit_config_file_beats_the_preset_and_flags_beat_the_file(workdir):
    cfg = _toml(
        workdir / "net.toml",
        'input_size = 1\noutput_size = 1\nhidden = [6]\n[optimizer]\nname = "sgd"\nlr = 0.02\n',
    )
    r = fit("x", config=cfg, out="a", **FIT_SMALL)
    spec = _spec(r.out_dir)
    assert [h.width for h in spec.hidden] == [6]
    assert (spec.optimizer.name, spec.optimizer.lr) == ("sgd", 0.02)
    src = _run_json(r.out_dir)["sources"]
    assert src["hidden"] == src["lr"] == src["optimizer"] == "config"
    assert src["batch_size"] == "preset" and src["samples"] == "flag"
    assert src["activation"] == "default" and src["seed"] == "default"

    r = fit("x", config=cfg, out="b", lr=0.005, hidden="3,3", **FIT_SMALL)
    spec = _spec(r.out_dir)
    assert [h.width for h in spec.hidden] == [3, 3] and spec.optimizer.lr == 0.005
    assert spec.optimizer.name == "sgd"  # what no flag overrides stays the file's
    src = _run_json(r.out_dir)["sources"]
    assert src["lr"] == src["hidden"] == "flag" and src["optimizer"] == "config"


def test_fit_what_the_file_leaves_out_comes_from_the_preset(workdir):
    cfg = _toml(workdir / "net.toml", "input_size = 1\noutput_size = 1\nhidden = [5]\n")
    r = fit("x", config=cfg, out="a", **FIT_SMALL)
    spec = _spec(r.out_dir)
    assert (
        spec.optimizer.lr == PRESET["lr"] != NetSpec.model_fields["optimizer"].default_factory().lr
    )
    assert spec.optimizer.schedule.name == "exponential"  # the task's decay: a preset too
    saved = _run_json(r.out_dir)
    assert saved["sources"]["lr"] == "preset" and saved["options"]["lr"] == PRESET["lr"]


# ----- mnist ----------------------------------------------------------------------------------


def test_mnist_config_file_is_obeyed_flags_override_it(workdir):
    cfg = _toml(
        workdir / "net.toml",
        "input_size = 784\noutput_size = 10\nloss = 'cross_entropy'\nhidden = [32]\n"
        "[optimizer]\nlr = 0.005\n",
    )
    r = mnist(config=cfg, out="a", **MNIST_SMALL)
    spec = _spec(r.out_dir)
    assert [h.width for h in spec.hidden] == [32] and spec.optimizer.lr == 0.005
    src = _run_json(r.out_dir)["sources"]
    assert src["hidden"] == src["lr"] == "config"
    assert src["batch_size"] == "preset" and src["epochs"] == "flag"
    assert src["activation"] == src["seed"] == src["monitor"] == "default"

    r = mnist(config=cfg, out="b", hidden=[16], **MNIST_SMALL)
    spec = _spec(r.out_dir)
    assert [h.width for h in spec.hidden] == [16] and spec.optimizer.lr == 0.005


def test_mnist_preset_fills_what_the_file_leaves_out(workdir):
    cfg = _toml(
        workdir / "net.toml",
        "input_size = 784\noutput_size = 10\nloss = 'cross_entropy'\nhidden = [16]\n",
    )
    r = mnist(preset="best", config=cfg, out="a", augment=False, **MNIST_SMALL)
    spec = _spec(r.out_dir)
    assert [(h.width, h.dropout) for h in spec.hidden] == [(16, PRESETS["best"]["dropout"])]
    saved = _run_json(r.out_dir)
    assert saved["sources"]["dropout"] == "preset" and saved["sources"]["hidden"] == "config"
    assert saved["sources"]["augment"] == "flag" and saved["options"]["augment"] is False
    assert saved["options"]["batch_size"] == PRESETS["best"]["batch_size"]


# ----- binary ---------------------------------------------------------------------------------


def test_binary_config_file_is_obeyed_flags_override_it(workdir):
    cfg = _toml(
        workdir / "b.toml",
        "input_size = 20\noutput_size = 1\nloss = 'bce'\noutput_activation = 'sigmoid'\n"
        "hidden = [24, 12]\n[optimizer]\nlr = 0.03\n",
    )
    r = binary(config=cfg, out="a", **BINARY_SMALL)
    spec = _spec(r.out_dir)
    assert [h.width for h in spec.hidden] == [24, 12] and spec.optimizer.lr == 0.03
    src = _run_json(r.out_dir)["sources"]
    assert src["hidden"] == src["lr"] == "config" and src["batch_size"] == "preset"
    r = binary(config=cfg, out="b", lr=0.001, **BINARY_SMALL)
    assert _spec(r.out_dir).optimizer.lr == 0.001
    assert _run_json(r.out_dir)["sources"]["lr"] == "flag"


def test_binary_data_set_defaults_are_the_preset_layer(workdir):
    r = binary(out="a", **BINARY_SMALL)
    saved = _run_json(r.out_dir)
    assert saved["options"]["hidden"] == DATASET_DEFAULTS["random"]["hidden"]
    assert saved["sources"]["hidden"] == "preset" and saved["sources"]["dataset"] == "flag"
    assert saved["sources"]["pos"] == "default" and saved["options"]["device"] == "cpu"


# ----- the CLI --------------------------------------------------------------------------------


@pytest.fixture
def invoke(workdir):
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def test_cli_mnist_and_binary_obey_config(invoke, workdir):
    _toml(
        workdir / "net.toml",
        "input_size = 784\noutput_size = 10\nloss = 'cross_entropy'\nhidden = [32]\n"
        "[optimizer]\nlr = 0.005\n",
    )
    result = invoke("mnist", "--config", "net.toml", "--epochs", "1", "--limit", "300", "-q",
                    "--out", "m")  # fmt: skip
    assert result.exit_code == 0, result.output
    spec = _spec(workdir / "m")
    assert [h.width for h in spec.hidden] == [32] and spec.optimizer.lr == 0.005

    _toml(
        workdir / "b.toml",
        "input_size = 20\noutput_size = 1\nloss = 'bce_with_logits'\nhidden = [24, 12]\n"
        "[optimizer]\nlr = 0.03\n",
    )
    args = ["binary", "--dataset", "random", "--samples", "40", "--features", "20", "-q"]
    result = invoke(*args, "--epochs", "1", "--config", "b.toml", "--out", "b")
    assert result.exit_code == 0, result.output
    spec = _spec(workdir / "b")
    assert [h.width for h in spec.hidden] == [24, 12] and spec.optimizer.lr == 0.03
    result = invoke(*args, "--epochs", "1", "--config", "b.toml", "--lr", "0.01", "--out", "c")
    assert result.exit_code == 0, result.output
    assert _spec(workdir / "c").optimizer.lr == 0.01
    src = _run_json(workdir / "c")["sources"]
    assert src["lr"] == "flag" and src["hidden"] == "config" and src["epochs"] == "flag"
    assert src["batch_size"] == "preset" and src["seed"] == "default"


def test_cli_fit_flag_over_config(invoke, workdir):
    _toml(workdir / "net.toml", "input_size = 1\noutput_size = 1\nhidden = [7]\n")
    args = ["fit", "x", "--samples", "100", "--epochs", "1", "-q", "--config", "net.toml"]
    result = invoke(*args, "--activation", "tanh", "--out", "f")
    assert result.exit_code == 0, result.output
    spec = _spec(workdir / "f")
    assert [(h.width, h.activation) for h in spec.hidden] == [(7, "tanh")]
    src = _run_json(workdir / "f")["sources"]
    assert src["activation"] == "flag" and src["hidden"] == "config" and src["lr"] == "preset"


# ----- input errors leave nothing behind; --out and --force ----------------------------------


def _one_line_error(result, part):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fcnet: error: "), result.stderr
    assert part in lines[0]


@pytest.mark.parametrize(
    ("args", "part"),
    [
        (["--weight-decay", "inf"], "--weight-decay: expected a number >= 0, got inf"),
        (["--lr", "nan"], "--lr: expected a learning rate > 0"),
        (["--hidden", "18446744073709551617"], "at most"),
        (["--device", "gpu"], "--device: expected one of cpu, cuda, cuda:N, auto, got 'gpu'"),
        (["--noise", "-1"], "--noise: expected a number >= 0"),
    ],
)
def test_an_input_error_leaves_no_run_folder(invoke, workdir, args, part):
    result = invoke("fit", "x", "--samples", "100", "--epochs", "1", "-q", "--out", "r", *args)
    _one_line_error(result, part)
    assert list(workdir.iterdir()) == []
    ok = invoke("fit", "x", "--samples", "100", "--epochs", "1", "-q", "--out", "r")
    assert ok.exit_code == 0, ok.output  # the --out is free to reuse


def test_out_on_a_file_needs_force(invoke, workdir):
    (workdir / "r").write_text("mine")
    args = ["fit", "x", "--samples", "100", "--epochs", "1", "-q", "--out", "r"]
    _one_line_error(invoke(*args), "--out r: exists and is not an empty folder")
    assert (workdir / "r").read_text() == "mine"
    result = invoke(*args, "--force")
    assert result.exit_code == 0, result.output
    assert (workdir / "r" / "run.json").is_file()


def test_force_replaces_a_run_folder_but_never_another_folder(invoke, workdir):
    args = ["fit", "x", "--samples", "100", "--epochs", "1", "-q", "--out", "r"]
    assert invoke(*args).exit_code == 0
    (workdir / "r" / "stale.txt").write_text("old")
    _one_line_error(invoke(*args), "--out r: exists and is not an empty folder")
    assert (workdir / "r" / "stale.txt").is_file()
    result = invoke(*args, "--seed", "3", "--force")
    assert result.exit_code == 0, result.output
    assert not (workdir / "r" / "stale.txt").exists()
    assert _run_json(workdir / "r")["options"]["seed"] == 3

    (workdir / "mine").mkdir()
    (workdir / "mine" / "thesis.tex").write_text("keep")
    _one_line_error(invoke(*args[:-1], "mine", "--force"), "--force: replaces a file or")
    assert (workdir / "mine" / "thesis.tex").read_text() == "keep"


def test_device_is_recorded_and_passed_to_build(workdir, monkeypatch):
    from fcnet import runtime

    seen = []
    real = runtime.build_model

    def spy(spec, backend, device="cpu"):
        seen.append(device)
        return real(spec, backend, device)

    monkeypatch.setattr(runtime, "build_model", spy)
    r = fit("x", out="a", device="cpu", **FIT_SMALL)
    assert seen == ["cpu"]
    saved = _run_json(r.out_dir)
    assert saved["options"]["device"] == "cpu" and saved["sources"]["device"] == "flag"


@pytest.mark.parametrize("args", [["evaluate", "nowhere"], ["predict", "nowhere", "x.png"]])
def test_evaluate_and_predict_check_the_device_spelling(invoke, workdir, args):
    _one_line_error(invoke(*args, "--device", "tpu"), "--device: expected one of")


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (dict(augment="yes"), "--augment: expected True or False, got 'yes'"),
        (dict(epochs="3"), "--epochs: expected an int >= 1, got '3'"),
        (dict(preset="fastest"), "--preset: expected one of default, best, got 'fastest'"),
        (dict(device="cuda:x"), "--device: expected one of cpu, cuda, cuda:N, auto"),
    ],
)
def test_python_keywords_are_checked_like_flags(workdir, kw, match):
    with pytest.raises(ValueError, match=match):
        mnist(out="run", **kw)
    assert list(workdir.iterdir()) == []
