"""fcnet.tasks.fit: the run folder, the folded scaling, sweep, resume, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fcnet.backends import load
from fcnet.expr import ExprError
from fcnet.spec import NetSpec
from fcnet.tasks import evaluate, fit
from fcnet.train import Callback, Interrupted

SMALL = dict(samples=400, epochs=30, hidden="16", batch_size=16, lr=1e-2, quiet=True)


def test_fit_writes_a_complete_run_folder(workdir, only_run_folder):
    r = fit("sin(x)", range=(-3, 3), out="run", **SMALL)
    out = workdir / "run"
    assert r.out_dir == out.relative_to(workdir) or r.out_dir.resolve() == out
    names = {p.name for p in out.iterdir()}
    assert {
        "run.json",
        "config.json",
        "metrics.jsonl",
        "result.json",
        "model.npz",
        "checkpoint.npz",
        "fit.png",
        "loss.png",
    } <= names
    spec = NetSpec.load(out / "config.json")
    assert [layer.width for layer in spec.hidden] == [16] and spec.loss == "mse"
    lines = [json.loads(s) for s in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r_["epoch"] for r_ in lines] == list(range(1, 31))
    assert {"train_loss", "val_loss", "test_loss", "test_mse", "seconds"} <= set(lines[-1])
    assert lines[-1]["train_loss"] < lines[0]["train_loss"]
    saved = json.loads((out / "result.json").read_text())
    assert saved["metrics"] == r.metrics
    assert set(r.metrics) >= {"test_mse", "max_abs_error"}
    assert r.metrics["test_mse"] < 0.05
    # model.npz takes raw x and gives raw y: the scaling was folded into the weights
    model = load(out / "model.npz", backend="numpy")
    x = np.linspace(-3, 3, 10_001, dtype=np.float32)[:, None]
    err = model.predict(x)[:, 0].astype(np.float64) - np.sin(x[:, 0].astype(np.float64))
    assert np.mean(err**2) == pytest.approx(r.metrics["test_mse"], rel=1e-3)
    assert evaluate(out)["test_mse"] == pytest.approx(r.metrics["test_mse"], rel=1e-3)
    only_run_folder()


def test_fit_two_variables_and_noise(workdir):
    r = fit("x * y", range=(-1, 1), yrange=(0, 2), noise=0.01, out="run", **dict(SMALL, epochs=5))
    # A model that always says 0 scores E[(xy)^2] = E[x^2] E[y^2] = 1/3 * 4/3 = 0.444 here;
    # five epochs reach about 0.007: demand a tenth of the zero model's error.
    zero_model_mse = 4 / 9
    assert np.isfinite(r.metrics["test_mse"]) and r.metrics["test_mse"] < 0.1 * zero_model_mse
    assert NetSpec.load(r.out_dir / "config.json").input_size == 2
    assert (r.out_dir / "fit.png").is_file()


def test_sweep_fits_one_network_per_width(workdir):
    r = fit("abs(x)", sweep=True, hidden="2,8", out="run", samples=200, epochs=5, quiet=True)
    rows = r.details["sweep"]
    assert [row["width"] for row in rows] == [2, 8]
    assert (r.out_dir / "sweep.png").is_file()
    assert (r.out_dir / "w2-model.npz").is_file() and (r.out_dir / "w8-model.npz").is_file()
    assert NetSpec.load(r.out_dir / "w8-config.json").hidden[0].width == 8


class _CtrlC(Callback):
    def on_epoch_end(self, record):
        if record["epoch"] == 2:
            raise KeyboardInterrupt


def test_ctrl_c_then_resume_equals_an_uninterrupted_run(workdir):
    opts = dict(SMALL, epochs=4)
    full = fit("sin(x)", out="full", **opts)
    with pytest.raises(Interrupted, match=r"fcnet fit --resume part"):
        fit("sin(x)", out="part", callbacks=[_CtrlC()], **opts)
    assert (workdir / "part" / "checkpoint.npz").is_file()
    assert not (workdir / "part" / "model.npz").exists()
    resumed = fit(resume="part", quiet=True)
    a = load(workdir / "full" / "model.npz", backend="numpy").get_weights()
    b = load(workdir / "part" / "model.npz", backend="numpy").get_weights()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert resumed.metrics == full.metrics


def test_two_plus_two_epochs_with_a_constant_rate_config(workdir):
    spec = NetSpec(
        input_size=1,
        hidden=[{"width": 16}],
        output_size=1,
        loss="mse",
        optimizer={"name": "adam", "lr": 0.003},
    )
    spec.save(workdir / "net.json")
    opts = dict(samples=200, batch_size=32, quiet=True, config="net.json")
    fit("x**2", out="four", epochs=4, **opts)
    fit("x**2", out="two", epochs=2, **opts)
    fit(resume="two", epochs=4)
    assert (workdir / "two" / "metrics.jsonl").read_text().count("\n") == 4
    a = load(workdir / "four" / "model.npz", backend="numpy").get_weights()
    b = load(workdir / "two" / "model.npz", backend="numpy").get_weights()
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_config_file_and_flags_override_it(workdir):
    spec = NetSpec(
        input_size=1,
        hidden=[{"width": 8, "activation": "tanh"}],
        output_size=1,
        loss="mse",
        optimizer={"name": "sgd", "lr": 0.05},
    )
    spec.save(workdir / "net.toml")
    r = fit(
        "x", config="net.toml", lr=0.01, hidden="4,4", out="run", samples=100, epochs=2, quiet=True
    )
    got = NetSpec.load(r.out_dir / "config.json")
    assert [(h.width, h.activation) for h in got.hidden] == [(4, "tanh"), (4, "tanh")]
    assert got.optimizer.name == "sgd" and got.optimizer.lr == 0.01


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (dict(expr="os.system('x')"), "os"),
        (dict(expr="sin(x)", range=(2, 1)), "--range: expected finite A < B"),
        (dict(expr="log(x)", range=(-1, 1)), "not finite at"),
        (dict(expr="sin(x)", epochs=0), "--epochs: expected an int >= 1"),
        (dict(expr="sin(x)", backend="jax"), "--backend: expected one of"),
        (dict(expr="sin(x)", monitor="auc"), "--monitor: expected one of loss"),
        (dict(expr="sin(x)", hidden="a,b"), "--hidden: expected comma-separated widths"),
        (dict(expr="sin(x)", activation="swish"), "activation"),
        (dict(expr="sin(x)", config="missing.json"), "missing.json"),
        (dict(resume="nowhere"), "nowhere: not an fcnet run folder"),
    ],
)
def test_bad_input_is_one_line(workdir, kw, match):
    with pytest.raises((ValueError, OSError), match=match) as info:
        fit(**kw, out="run", quiet=True)
    assert not (workdir / "run").exists()  # bad input leaves no run folder behind
    if not isinstance(info.value, ExprError):  # it draws a caret under the text: the CLI
        assert "\n" not in str(info.value)  # joins its lines (tests/cli/test_tasks_cli.py)


def test_an_existing_folder_is_never_overwritten(workdir):
    (workdir / "run").mkdir()
    (workdir / "run" / "mine.txt").write_text("keep me")
    with pytest.raises(ValueError, match="exists and is not an empty folder"):
        fit("x", out="run", quiet=True)
    assert [p.name for p in (workdir / "run").iterdir()] == ["mine.txt"]


def test_resume_refuses_changed_options(workdir):
    fit("x", out="run", **dict(SMALL, epochs=1))
    with pytest.raises(ValueError, match="only --epochs and --quiet may change, got --lr"):
        fit(resume="run", lr=0.5)


def _weights(run_dir):
    with np.load(run_dir / "model.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files if not k.startswith("__")}


def test_two_epochs_resumed_for_two_more_equal_four_bit_for_bit(workdir):
    # The task's default schedule depends on the step alone, not on --epochs, so
    # growing --epochs on resume continues the very run a longer --epochs would make.
    opts = dict(samples=100, batch_size=50, hidden="4", quiet=True)  # 2 steps per epoch
    fit("sin(x)", out="two", epochs=2, **opts)
    fit(resume="two", epochs=4)
    fit("sin(x)", out="four", epochs=4, **opts)
    sched = NetSpec.load(workdir / "four" / "config.json").optimizer.schedule
    assert sched.name == "exponential" and 0.0 < sched.gamma < 1.0
    two, four = _weights(workdir / "two"), _weights(workdir / "four")
    assert two.keys() == four.keys() and two
    for name in four:
        assert np.array_equal(two[name], four[name]), name


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse_scorer_gives_the_models_own_loss_from_one_forward_pass(reduction):
    from fcnet.backends import build
    from fcnet.tasks.fit import mse_scorer

    spec = NetSpec(input_size=1, hidden=[8], output_size=1, loss="mse", reduction=reduction)
    model = build(spec, "numpy")
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (50, 1)).astype(np.float32)
    y = np.sin(3 * x).astype(np.float32)
    score = mse_scorer(sigma=2.0)(model, x, y)
    assert score["loss"] == pytest.approx(model.evaluate(x, y)["loss"], rel=1e-5)
    err = model.predict(x).astype(np.float64) - y
    assert score["mse"] == pytest.approx(4.0 * np.mean(err * err), rel=1e-9)


def test_the_scale_goes_back_to_the_users_units():
    """`Scale` is the scaling `fcnet fit` and the studio's Fit train in; raw_x and raw_y
    are its inverse (the studio draws the curve and the kinks with them)."""
    from fcnet.studio import training
    from fcnet.tasks.fit import Scale

    assert training.Scale is Scale
    s = Scale.of([(-2.0, 6.0)], np.array([1.0, 5.0, 9.0]))
    x = np.array([[-2.0], [2.0], [6.0]])
    assert np.array_equal(s.x(x), np.array([[-1.0], [0.0], [1.0]], np.float32))
    assert np.array_equal(s.raw_x(s.x(x)), x)
    y = np.array([1.0, 5.0, 9.0])
    assert np.allclose(s.raw_y(s.y(y)), y, rtol=1e-6)
