"""Exercise 2: a ReLU network with one hidden layer fits a function the user types.

    >>> r = fcnet.tasks.fit("sin(x)", range=(-3.1416, 3.1416))      # doctest: +SKIP
    >>> r.metrics["test_mse"] <= 1e-4                                # doctest: +SKIP
    True

Defaults: 2,000 training points, one hidden layer of 64 ReLU units whose kinks start
spread over the range, Adam at lr 5e-3 decaying exponentially to a fifth over 150 epochs
of batches of 32 (9,450 steps): sin on -pi..pi reaches a test MSE near 2e-5, and
sin(3x) + 0.3x^2 on -3..3 about 7e-4 (1e-3 or less over two seeds), in a few seconds.

The inputs are scaled to [-1, 1] and the targets standardised for training; when it
ends the scaling is folded into the first and last layers, so the saved model maps the
raw x to the raw f(x). Test MSE and the largest absolute error are measured on a dense,
noise-free grid (10,001 points, or 201 x 201 for f(x, y)).
"""

from __future__ import annotations

import builtins
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from fcnet.data.synthetic import function_grid, function_samples
from fcnet.expr import Expression, check_overflow, parse
from fcnet.i18n import gettext as _
from fcnet.runs import reader
from fcnet.runs.layout import CHECKPOINT, CONFIG, METRICS_LOG
from fcnet.runs.records import register_task
from fcnet.spec import NetSpec
from fcnet.tasks import _common
from fcnet.tasks.netspec import decay, resolve_spec
from fcnet.tasks.options import TaskOptions, int_at_least, non_negative, option, task_function
from fcnet.tasks.run_folder import Run, TaskResult, finish, start_run
from fcnet.train import Callback, Scorer

if TYPE_CHECKING:  # pragma: no cover
    from fcnet.backends import Model


@dataclass
class FitOptions(TaskOptions):
    """`fcnet fit`'s options: the function, its ranges and samples, then every task's."""

    expr: str | None = option(
        None, "A function of x (or of x and y), e.g. 'sin(x)'.", argument=True
    )
    range: tuple[float, float] = option(
        (-math.pi, math.pi), "Interval of x: A B. [-pi pi]", kind="float", nargs=2
    )
    yrange: tuple[float, float] = option(
        (-math.pi, math.pi), "Interval of y for f(x, y): A B. [-pi pi]", kind="float", nargs=2
    )
    samples: int = option(
        2000,
        "Training points (a fifth more for validation). [2000]",
        kind="int",
        check=int_at_least(2),
    )
    noise: float = option(
        0.0, "Std of Gaussian noise on the training targets. [0]", kind="float", check=non_negative
    )
    sweep: bool = option(False, "Fit one network per --hidden width; plot error.", kind="flag")

    MONITORS: ClassVar[tuple[str, ...]] = ("loss",)


# The task's preset: one hidden layer of 64, Adam at 5e-3, batches of 32, 150 epochs (the
# same number of steps as 64 x 300 at 1e-2, and a third of its error on sin(3x) + 0.3x^2).
PRESET: dict[str, Any] = {"hidden": [64], "lr": 5e-3, "batch_size": 32, "epochs": 150}
SWEEP_WIDTHS = [2, 4, 8, 16, 64, 256]  # --sweep's hidden widths unless --hidden gives them
DECAY_TO = 0.2  # the lr falls to a fifth over the default 150 epochs (0.1 measured worse)
GRID_1D = 10_001
GRID_2D = 201
TEST_CURVE_EVERY = 10  # the per-epoch test curve uses every 10th grid point


register_task("fit", FitOptions, required=("expr", "range", "samples"))


@task_function(FitOptions)
@_common.one_blas_thread
def fit(
    given: dict[str, Any], *, resume: str | os.PathLike[str] | None, callbacks: Sequence[Callback]
) -> TaskResult:
    """Fit y = EXPR(x) (or z = EXPR(x, y)) with a ReLU network; returns test_mse, max_abs_error.

    range / yrange: the interval of x / y (default -pi..pi); samples: training points
    (a fifth as many more are drawn for validation); noise: standard deviation added to
    the training targets; sweep: fit one single-layer network per width in `hidden`
    and plot the error against the width. Other options as `fcnet fit --help`.
    """
    if given.get("expr") is None and resume is None:
        raise ValueError(_("EXPR: expected a function of x such as 'sin(x)', got none"))
    preset = {**PRESET, "hidden": SWEEP_WIDTHS} if given.get("sweep") else PRESET
    run = start_run("fit", FitOptions, given, resume, preset)
    o = run.options
    f = parse(o["expr"])
    ranges = ranges_of(o, f)
    if o["sweep"]:
        if run.resuming:
            raise ValueError(_("--resume: a --sweep run cannot be resumed; start it again"))
        return _sweep(run, f, ranges, callbacks)

    data = _data(o, f, ranges)
    (x, y), _val, (x_grid, y_grid), grid_points = data
    model, history = _train_one(run, f, ranges, data, callbacks, label=f"fit {f.text}")
    metrics = measure(model, x, y, x_grid, y_grid)
    files = _plots(run, f, ranges, model, history, x, y, x_grid, y_grid, grid_points)
    notes = [_("plots: {names}").format(names=", ".join(p.name for p in files))] if files else []
    details = {
        "expr": f.text,
        "variables": list(f.variables),
        "ranges": ranges,
        "grid_points": len(x_grid),
    }
    return finish(run, model, history, metrics, details, notes)


def evaluate_run(model: Model, options: dict[str, Any]) -> dict[str, float]:
    """A saved fit run's test metrics again: MSE and max |error| on the dense grid."""
    f = parse(options["expr"])
    ranges = ranges_of(options, f)
    x_grid, y_grid = function_grid(f, ranges, GRID_1D if len(ranges) == 1 else GRID_2D)
    m = measure(model, x_grid[:1], y_grid[:1], x_grid, y_grid)
    return {"test_mse": m["test_mse"], "max_abs_error": m["max_abs_error"]}


def mse_scorer(sigma: float) -> Scorer:
    """The loss (the squared error on the standardised targets, summed or averaged as the
    spec's `reduction` says), and the MSE in the target's own units (targets were scaled
    by 1/sigma): one forward pass for both."""

    def score(model: Model, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        err = model.predict(x).astype(np.float64) - y.reshape(len(x), -1)
        mse = float(np.mean(err * err))
        loss = mse * err.size if model.spec.reduction == "sum" else mse
        return {"loss": loss, "mse": mse * sigma * sigma}

    return score


def _data(o: dict[str, Any], f: Expression, ranges: list[tuple[float, float]]):
    """Training and validation samples (noisy), and the dense noise-free test grid."""
    rng = _common.stream(o["seed"], "data")
    train = function_samples(f, o["samples"], ranges, rng, o["noise"], expr=f.text)
    n_val = max(o["samples"] // 5, 10)
    val = function_samples(f, n_val, ranges, rng, o["noise"], expr=f.text)
    grid_points = GRID_1D if len(ranges) == 1 else GRID_2D
    grid = function_grid(f, ranges, grid_points, expr=f.text)
    return train, val, grid, grid_points


class Scale:
    """How `fcnet fit` (and the studio's Fit page) scales a function's samples to train on:
    x -> (x - c) / h into [-1, 1]; y -> (y - mu) / sigma. `raw_x` and `raw_y` take them
    back to the user's units; `fold` writes the scaling into a trained model's weights.

    >>> s = Scale.of([(0.0, 4.0)], np.array([1.0, 3.0]))
    >>> s.x(np.array([[4.0]])), s.raw_y(s.y(np.array([3.0])))
    (array([[1.]], dtype=float32), array([3.]))
    """

    def __init__(self, c: np.ndarray, h: np.ndarray, mu: float, sigma: float) -> None:
        self.c, self.h, self.mu, self.sigma = c, h, mu, sigma

    @classmethod
    def of(cls, ranges: list[tuple[float, float]], y: np.ndarray) -> Scale:
        """The scaling of samples `y` taken over the box `ranges` (one (lo, hi) a variable)."""
        lo = np.array([r[0] for r in ranges])
        hi = np.array([r[1] for r in ranges])
        sigma = float(y.std())
        return cls((lo + hi) / 2, (hi - lo) / 2, float(y.mean()), sigma if sigma > 0 else 1.0)

    def x(self, x: np.ndarray) -> np.ndarray:
        """Inputs (N, d) in the user's units, scaled: float32."""
        return ((x - self.c) / self.h).astype(np.float32)

    def y(self, y: np.ndarray) -> np.ndarray:
        """Targets in the user's units, standardised: float32."""
        return ((y - self.mu) / self.sigma).astype(np.float32)

    def raw_x(self, x: np.ndarray) -> np.ndarray:
        """Scaled inputs back in the user's units: c + h x (`x`'s inverse)."""
        return self.c + self.h * np.asarray(x, dtype=np.float64)

    def raw_y(self, y: np.ndarray) -> np.ndarray:
        """A model's scaled outputs back in the user's units: mu + sigma y (`y`'s inverse)."""
        return self.mu + self.sigma * np.asarray(y, dtype=np.float64)

    def fold(self, model: Model) -> None:
        """Rewrite the weights so the model takes raw x and gives raw y.

        First layer: W (x - c) / h + b = (W / h) x + (b - (W / h) c); last layer:
        sigma (W a + b) + mu = (sigma W) a + (sigma b + mu). Without a bias the shift
        cannot be folded, so c and mu were 0 from the start (see `_train_one`).
        """
        w = {k: v.astype(np.float64) for k, v in model.get_weights().items()}
        linear = sorted({int(k.split(".")[0]) for k in w}, key=int)
        first, last = linear[0], linear[-1]
        w1 = w[f"{first}.weight"] / self.h  # (out, d)
        w[f"{first}.weight"] = w1
        if f"{first}.bias" in w:
            w[f"{first}.bias"] = w[f"{first}.bias"] - w1 @ self.c
        w[f"{last}.weight"] = self.sigma * w[f"{last}.weight"]
        if f"{last}.bias" in w:
            w[f"{last}.bias"] = self.sigma * w[f"{last}.bias"] + self.mu
        dtype = model.spec.dtype
        model.set_weights({k: v.astype(dtype) for k, v in w.items()})


def ranges_of(o: dict[str, Any], f: Expression) -> list[tuple[float, float]]:
    out = []
    for flag, key in (("--range", "range"), ("--yrange", "yrange"))[: len(f.variables)]:
        value = o[key]
        if value is None or len(value) != 2:
            raise ValueError(
                _("{flag}: expected two numbers A B, got {value!r}").format(flag=flag, value=value)
            )
        lo, hi = float(value[0]), float(value[1])
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(
                _("{flag}: expected finite A < B, got {lo:g} {hi:g}").format(
                    flag=flag, lo=lo, hi=hi
                )
            )
        out.append((lo, hi))
    if "y" in f.variables and "x" not in f.variables:
        raise ValueError(
            _("expression {text!r}: uses y without x; name the variable x").format(text=f.text)
        )
    return out


def _train_one(
    run: Run,
    f: Expression,
    ranges: list[tuple[float, float]],
    data: tuple[Any, ...],
    callbacks: Sequence[Callback],
    label: str,
    width: int | None = None,
) -> tuple[Model, Any]:
    """Train one network on `_data`'s (train, val, test grid, grid points), in its own
    scaling (a sweep's: one hidden layer of `width`, files named w<width>-)."""
    o = run.options
    train, val, test, _points = data
    scale = Scale.of(ranges, train[1])
    stem = f"w{width}-" if width is not None else ""
    d = len(f.variables) if f.variables else 1
    if run.resuming:
        spec = reader.read_spec(run.out_dir, stem + CONFIG)
    else:
        steps = math.ceil(o["samples"] / o["batch_size"])
        spec = resolve_spec(
            o,
            run.sources,
            run.config,
            base=NetSpec(input_size=d, output_size=1, loss="mse"),
            losses=("mse",),
            schedule=decay(PRESET["epochs"], steps, DECAY_TO),
            widths=[width] if width is not None else None,
        )
    for values in (train[1], val[1], test[1]):  # before training: float32 overflows at 3e38
        check_overflow(f.text, values, spec.dtype)
    if not (spec.hidden and spec.hidden[0].bias):
        scale.c = np.zeros_like(scale.c)
    if not spec.output_bias:
        scale.mu = 0.0
    model = _common.build_model(run, spec, stem + CONFIG)
    if not run.resuming:
        _spread_kinks(model, _common.stream(o["seed"], "init"))
    # each epoch's test curve on every TEST_CURVE_EVERY-th grid point (1,001 of 10,001
    # in 1-D); the final test MSE, on the whole grid, is `measure`'s
    grid = slice(None, None, TEST_CURVE_EVERY)
    evals = {
        "val": (scale.x(val[0]), scale.y(val[1])),
        "test": (scale.x(test[0][grid]), scale.y(test[1][grid])),
    }
    history = _common.fit_model(
        run,
        model,
        scale.x(train[0]),
        scale.y(train[1]),
        evals=evals,
        scorer=mse_scorer(scale.sigma),
        monitor="loss",
        callbacks=callbacks,
        label=label,
        checkpoint=stem + CHECKPOINT,
        metrics_log=stem + METRICS_LOG,
    )
    scale.fold(model)
    return model, history


def _spread_kinks(model: Model, rng: np.random.Generator) -> None:
    """Move each first-layer unit's switching point w.x + b = 0 to a random point of the
    scaled input box [-1, 1]^d: b = -w.u. With the usual zero biases every ReLU kink
    starts at the origin, and Adam needs thousands of steps to spread them out."""
    w = model.get_weights()
    if "0.bias" not in w or not model.spec.hidden:
        return
    W = w["0.weight"].astype(np.float64)  # (H, d)
    u = rng.uniform(-1.0, 1.0, size=W.shape)  # (H, d), one point per unit
    w["0.bias"] = (-(W * u).sum(axis=1)).astype(w["0.bias"].dtype)  # (H,)
    model.set_weights(w)


def measure(
    model: Model, x: np.ndarray, y: np.ndarray, x_grid: np.ndarray, y_grid: np.ndarray
) -> dict[str, float]:
    """Train MSE on the (noisy) samples; test MSE and max |error| on the dense grid."""
    err_train = model.predict(x.astype(np.float32)).astype(np.float64) - y
    err = model.predict(x_grid.astype(np.float32)).astype(np.float64) - y_grid
    return {
        "test_mse": float(np.mean(err * err)),
        "max_abs_error": float(np.abs(err).max()),
        "train_mse": float(np.mean(err_train * err_train)),
    }


def _plots(run, f, ranges, model, history, x, y, x_grid, y_grid, grid_points) -> list:
    pred = model.predict(x_grid.astype(np.float32)).astype(np.float64)
    from fcnet.plots import network_title

    files = [
        run.plot(
            "loss_curves",
            "loss.png",
            history.records,
            title=_("fit {expr}, {network}").format(expr=f.text, network=network_title(model)),
            loss_label=_("MSE on standardised targets"),
        )
    ]
    if len(ranges) == 1:
        files.append(
            run.plot(
                "fit_curve",
                "fit.png",
                x_grid[:, 0],
                y_grid[:, 0],
                pred[:, 0],
                samples=(x[:, 0], y[:, 0]),
                kinks=_kinks(model, ranges[0]),
                title=f.text,
            )
        )
    else:
        shape = (grid_points, grid_points)
        files.append(
            run.plot(
                "fit_heatmaps",
                "fit.png",
                y_grid.reshape(shape),
                pred.reshape(shape),
                extent=(*ranges[0], *ranges[1]),
                title=f.text,
            )
        )
    return [p for p in files if p is not None]


def _kinks(model: Model, x_range: tuple[float, float]) -> np.ndarray | None:
    """Where each first-layer ReLU unit switches, x = -b / w, inside the range (one hidden
    ReLU layer only: with more, the kinks are not just these)."""
    spec = model.spec
    if len(spec.hidden) != 1 or spec.hidden[0].activation != "relu" or spec.input_size != 1:
        return None
    w = model.get_weights()
    W = w["0.weight"][:, 0].astype(np.float64)  # (H,)
    b = w["0.bias"].astype(np.float64) if "0.bias" in w else np.zeros_like(W)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = -b / W
    return k[np.isfinite(k) & (k >= x_range[0]) & (k <= x_range[1])]


def _sweep(run: Run, f: Expression, ranges, callbacks) -> TaskResult:
    """One single-hidden-layer network per width; error against width on one picture."""
    o = run.options
    widths = o["hidden"]
    data = _data(o, f, ranges)
    (x, y), _val, (x_grid, y_grid), _points = data
    rows = []
    model = history = None
    for w in widths:
        model, history = _train_one(run, f, ranges, data, callbacks, label=f"width {w}", width=w)
        run.save_model(model, stem=f"w{w}-model")
        rows.append({"width": w, **measure(model, x, y, x_grid, y_grid)})
        run.err.print(
            _("width {width}: test MSE {mse:.3g}, max |error| {error:.3g}").format(
                width=w, mse=rows[-1]["test_mse"], error=rows[-1]["max_abs_error"]
            ),
            highlight=False,
        )
    files = [
        run.plot(
            "sweep",
            "sweep.png",
            [r["width"] for r in rows],
            [r["test_mse"] for r in rows],
            [r["max_abs_error"] for r in rows],
            title=f.text,
        )
    ]
    best = builtins.min(rows, key=lambda r: r["test_mse"])
    metrics = {
        "test_mse": rows[-1]["test_mse"],
        "max_abs_error": rows[-1]["max_abs_error"],
        "best_width": best["width"],
        "best_test_mse": best["test_mse"],
    }
    notes = [_("plots: {names}").format(names=", ".join(p.name for p in files if p is not None))]
    details = {"expr": f.text, "sweep": rows}
    assert model is not None and history is not None  # --hidden gives at least one width
    return finish(run, model, history, metrics, details, notes, save=False)


__all__ = ["PRESET", "FitOptions", "Scale", "evaluate_run", "fit", "mse_scorer"]
