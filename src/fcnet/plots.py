"""Every figure fcnet draws, one function each, written as a PNG.

Figures are made with matplotlib's object API (`matplotlib.figure.Figure`, drawn by the
Agg canvas), never through pyplot: importing fcnet leaves a notebook's backend and
figure list alone, and plotting works without a display. Each function takes arrays and
a path, writes the PNG atomically (a reader never sees half a file) and returns the Path.
Figures have fixed sizes (`FIGSIZES`, at `DPI` dots per inch), so a run's plots line up.

Fit for a lab report: epoch axes have integer ticks (a one-epoch run is one marked
point at 1), legends sit outside the axes so they never cover data, ROC AUC curves are
zoomed to the range their values use, and titles name the network and the classes
(`network_title`).

Titles, axis labels and legends are English msgids, shown in the current language
(`fcnet.i18n`); each function draws inside `_localized`, which sets up the CJK font
(`fcnet.fonts.use_chinese`) behind DejaVu Sans and restores matplotlib's rcParams afterwards.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

from fcnet._fileio import atomic_write
from fcnet.i18n import N_
from fcnet.i18n import gettext as _

__all__ = [
    "DPI",
    "FIGSIZES",
    "auc_curve",
    "confusion",
    "digits",
    "fit_curve",
    "fit_heatmaps",
    "loss_curves",
    "misclassified_grid",
    "mistakes",
    "network_title",
    "roc",
    "sweep",
    "weight_images",
]

DPI = 100
# Figure size in inches per function; the PNG is (width * DPI) x (height * DPI) pixels.
FIGSIZES: dict[str, tuple[float, float]] = {
    "loss_curves": (7.0, 4.0),  # one panel; each further metric adds 3.5 inches of width
    "fit_curve": (7.0, 5.5),
    "fit_heatmaps": (13.0, 4.0),
    "sweep": (6.0, 4.5),
    "confusion": (6.5, 5.5),
    "misclassified_grid": (8.0, 8.0),
    "weight_images": (8.0, 8.0),
    "roc": (5.5, 5.5),
    "auc_curve": (6.5, 4.0),
    "digits": (8.0, 8.0),
    "mistakes": (9.0, 4.5),  # the height grows with the number of mistakes
}
_SPLITS = ("train", "val", "test")
_SPLIT_NAMES = {"train": N_("train"), "val": N_("validation"), "test": N_("test")}
# Panel names of the metrics the tasks draw; another metric is shown as its key.
_METRIC_NAMES = {
    "loss": N_("loss"),
    "accuracy": N_("accuracy"),
    "auc": N_("ROC AUC"),
    "mse": N_("mean squared error"),
}
_SPLIT_STYLE = {"train": "-", "val": "--", "test": ":"}
_SPLIT_COLOR = {"train": "C0", "val": "C1", "test": "C2"}  # the same in every panel

PathLike = str | os.PathLike[str]


def network_title(spec: Any, backend: str | None = None) -> str:
    """ "784-512-256-10, numpy": the layer widths of a NetSpec (or a Model, by its .spec)
    and the backend, for figure titles."""
    if backend is None and hasattr(spec, "backend"):
        backend = spec.backend
    spec = getattr(spec, "spec", spec)
    widths = [spec.input_size, *(layer.width for layer in spec.hidden), spec.output_size]
    text = "-".join(str(w) for w in widths)
    return f"{text}, {backend}" if backend else text


def _localized(fn: Callable[..., Path]) -> Callable[..., Path]:
    """Draw with the CJK font behind DejaVu Sans (per glyph) in every language: an
    English figure may still carry Chinese text the user wrote (a class's mistake
    descriptions, a run's name); rcParams are restored afterwards so a notebook's
    settings stay its own."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Path:
        import matplotlib

        from fcnet.fonts import use_chinese

        with matplotlib.rc_context():
            use_chinese(strict=False)
            return fn(*args, **kwargs)

    return wrapper


def _figure(name: str, nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    width, height = FIGSIZES[name]
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return fig, fig.subplots(nrows, ncols, **kwargs)


def _save(fig: Figure, path: PathLike, title: str | None = None) -> Path:
    """Write `fig` to `path` as a PNG, atomically, drawn by the Agg canvas.

    `title`, when given, heads the figure (before any title the function gave it).
    """
    out = Path(path)
    if title:
        own = fig.get_suptitle()
        fig.suptitle(_("{title}: {subtitle}").format(title=title, subtitle=own) if own else title)
    FigureCanvasAgg(fig)  # this figure's own canvas: no pyplot, no global backend
    with atomic_write(out, "wb") as fh:
        fig.savefig(fh, format="png", dpi=DPI)
    return out


def _legend_outside(fig: Figure, axes: Sequence[Any]) -> None:
    """One legend for the figure, right of the axes (constrained layout makes room): it
    never covers data. Labels shared by several panels appear once."""
    handles: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    if handles:
        fig.legend(list(handles.values()), list(handles), loc="outside right upper")


def _epoch_axis(ax: Any, epochs: np.ndarray) -> None:
    """Integer epoch ticks; a single epoch is one point at the middle of [e - 1, e + 1]."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    finite = epochs[np.isfinite(epochs)]
    if finite.size and finite.min() == finite.max():
        e = float(finite[0])
        ax.set_xlim(e - 1, e + 1)
        ax.set_xticks([e])
    ax.set_xlabel(_("epoch"))


def _vector(a: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    return arr


def _images(images: ArrayLike, name: str, shape: tuple[int, int] = (28, 28)) -> np.ndarray:
    """(k, h, w) images from (k, h, w) or flattened (k, h*w)."""
    arr = np.asarray(images, dtype=np.float32)
    if arr.ndim == 2 and arr.shape[1] == shape[0] * shape[1]:
        arr = arr.reshape(-1, *shape)
    if arr.ndim != 3:
        raise ValueError(
            f"{name}: expected images (k, {shape[0]}, {shape[1]}) or (k, {shape[0] * shape[1]}),"
            f" got shape {arr.shape}"
        )
    return arr


def _grid(k: int, max_cols: int = 8) -> tuple[int, int]:
    cols = max(1, min(max_cols, math.ceil(math.sqrt(k))))
    return max(1, math.ceil(k / cols)), cols


def _series(history: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    """history[i][key] as floats, NaN where a row lacks it (the line breaks there)."""
    return np.array([float(row[key]) if row.get(key) is not None else np.nan for row in history])


def _epochs(history: Sequence[Mapping[str, Any]]) -> np.ndarray:
    if all("epoch" in row for row in history):
        return np.array([float(row["epoch"]) for row in history])
    return np.arange(1, len(history) + 1, dtype=np.float64)


def _check_history(history: Sequence[Mapping[str, Any]]) -> None:
    if len(history) == 0 or not all(isinstance(row, Mapping) for row in history):
        raise ValueError("history: expected a non-empty list of per-epoch dicts")


def _present(history: Sequence[Mapping[str, Any]], metric: str) -> list[str]:
    """The keys `<split>_<metric>` that hold at least one value, in train/val/test order."""
    keys = [f"{split}_{metric}" for split in _SPLITS]
    return [k for k in keys if any(row.get(k) is not None for row in history)]


# --------------------------------------------------------------------------- training


@_localized
def loss_curves(
    history: Sequence[Mapping[str, Any]],
    path: PathLike,
    metrics: Sequence[str] = ("loss",),
    *,
    title: str | None = None,
    loss_label: str | None = None,
) -> Path:
    """Training curves per epoch: one panel per metric (loss first), one line per split.

    `history` is a list of per-epoch dicts, as in metrics.jsonl: `epoch` (optional),
    `train_loss`, `val_loss`, `val_accuracy`, `test_accuracy`, `train_auc`, ...; for each
    name in `metrics` the keys `train_<name>`, `val_<name>` and `test_<name>` that are
    present are drawn; a metric with none is left out. The loss goes on a log scale when it
    spans more than a factor 20. `title` (optional) heads the figure, as in every function
    here. `loss_label` says what the loss measures when that is not plain (e.g. "MSE on
    standardised targets"): it labels the loss axis and the panel.
    """
    _check_history(history)
    panels = [(m, keys) for m in metrics if (keys := _present(history, m))]
    if not panels:
        wanted = ", ".join(f"train_{m}/val_{m}" for m in metrics)
        raise ValueError(f"history: expected keys such as {wanted}, found none")
    width, height = FIGSIZES["loss_curves"]
    fig = Figure(figsize=(width + 3.5 * (len(panels) - 1), height), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)
    epochs = _epochs(history)
    marker = "o" if len(history) <= 30 else None  # hundreds of epochs: lines, not markers
    for ax, (metric, keys) in zip(axes[0], panels, strict=True):
        for key in keys:
            split = key.split("_", 1)[0]
            ax.plot(
                epochs,
                _series(history, key),
                _SPLIT_STYLE[split],
                color=_SPLIT_COLOR[split],
                marker=marker,
                markersize=6 if len(history) == 1 else 3,
                label=_(_SPLIT_NAMES[split]),
            )
        values = np.concatenate([_series(history, k) for k in keys])
        finite = values[np.isfinite(values)]
        if metric == "loss" and finite.size and finite.min() > 0:
            if finite.max() / finite.min() > 20:
                ax.set_yscale("log")
        _epoch_axis(ax, epochs)
        name = _(_METRIC_NAMES[metric]) if metric in _METRIC_NAMES else metric.replace("_", " ")
        if metric == "loss" and loss_label:
            name = _("loss ({what})").format(what=loss_label)
        ax.set_ylabel(name)
        ax.set_title(name)
        ax.grid(True, alpha=0.3)
    _legend_outside(fig, axes[0])
    return _save(fig, path, title)


@_localized
def auc_curve(
    history: Sequence[Mapping[str, Any]], path: PathLike, *, title: str | None = None
) -> Path:
    """ROC AUC per epoch for train, validation and test (whichever are in `history`).

    A gap that opens between the train and test lines is over-fitting. The y axis spans
    the values' own range (0.996 to 0.999 stays readable); the dotted line at 0.5, a coin
    toss, is drawn when that range reaches it.
    """
    _check_history(history)
    keys = _present(history, "auc")
    if not keys:
        raise ValueError("history: expected train_auc, val_auc or test_auc keys, found none")
    fig, ax = _figure("auc_curve")
    epochs = _epochs(history)
    for key in keys:
        split = key.split("_", 1)[0]
        ax.plot(
            epochs,
            _series(history, key),
            _SPLIT_STYLE[split],
            color=_SPLIT_COLOR[split],
            marker="o" if len(history) <= 30 else None,
            markersize=3,
            label=_(_SPLIT_NAMES[split]),
        )
    values = np.concatenate([_series(history, k) for k in keys])
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.5, 1.0)
    pad = max(0.08 * (hi - lo), 2e-4)  # a flat line still gets a readable band
    ax.set_ylim(lo - pad, hi + pad)
    if lo - pad <= 0.5:
        ax.axhline(0.5, color="grey", linestyle=":", linewidth=1, label=_("chance (0.5)"))
    ax.yaxis.get_major_formatter().set_useOffset(False)  # 0.997, not 1e-3 + 0.996
    _epoch_axis(ax, epochs)
    ax.set_ylabel(_("ROC AUC"))
    ax.set_title(_("ROC AUC per epoch"))
    ax.grid(True, alpha=0.3)
    _legend_outside(fig, [ax])
    return _save(fig, path, title)


# --------------------------------------------------------------------------- fitting


@_localized
def fit_curve(
    x: ArrayLike,
    y_true: ArrayLike,
    y_fit: ArrayLike,
    path: PathLike,
    *,
    x_train: ArrayLike | None = None,
    y_train: ArrayLike | None = None,
    kinks: ArrayLike | None = None,
    samples: tuple[ArrayLike, ArrayLike] | None = None,
    title: str | None = None,
) -> Path:
    """A one-variable fit: the target and the network's curve above, the residual below.

    x, y_true, y_fit: (n,) on a dense grid. x_train, y_train: the training points, drawn
    as dots (`samples=(x_train, y_train)` says the same). kinks: the x where each hidden
    ReLU unit switches on (x = -b_i / w_i), drawn as ticks along the bottom: a one-layer
    ReLU net is piecewise linear between them.
    """
    if samples is not None:
        if x_train is not None or len(samples) != 2:
            raise ValueError("samples: expected (x_train, y_train), instead of x_train/y_train")
        x_train, y_train = samples
    xs = _vector(x, "x")
    yt = _vector(y_true, "y_true")
    yf = _vector(y_fit, "y_fit")
    if not (xs.shape == yt.shape == yf.shape):
        raise ValueError(
            f"x, y_true, y_fit: expected the same length, got {xs.size}, {yt.size}, {yf.size}"
        )
    order = np.argsort(xs, kind="stable")
    xs, yt, yf = xs[order], yt[order], yf[order]
    fig, (top, bottom) = _figure(
        "fit_curve", 2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    if x_train is not None and y_train is not None:
        xt, ytr = _vector(x_train, "x_train"), _vector(y_train, "y_train")
        if xt.shape != ytr.shape:
            raise ValueError(
                f"x_train, y_train: expected the same length, got {xt.size} and {ytr.size}"
            )
        top.scatter(
            xt,
            ytr,
            s=6,
            color="0.6",
            alpha=0.5,
            label=_("training points ({n})").format(n=xt.size),
            zorder=1,
        )
    top.plot(xs, yt, color="black", linewidth=2, label=_("target"), zorder=2)
    top.plot(xs, yf, color="tab:red", linewidth=1.5, linestyle="--", label=_("network"), zorder=3)
    if kinks is not None:
        k = _vector(kinks, "kinks")
        k = k[np.isfinite(k) & (k >= xs[0]) & (k <= xs[-1])]
        if k.size:
            top.vlines(
                k,
                0,
                0.05,
                transform=top.get_xaxis_transform(),
                color="tab:blue",
                linewidth=1,
                label=_("ReLU kinks in range ({n})").format(n=k.size),
            )
    residual = yf - yt
    mse = float(np.mean(residual**2))
    worst = float(np.max(np.abs(residual))) if residual.size else 0.0
    top.set_title(_("fit: MSE {mse:.3g}, largest |error| {error:.3g}").format(mse=mse, error=worst))
    top.set_ylabel("y")
    top.grid(True, alpha=0.3)
    _legend_outside(fig, [top])
    bottom.plot(xs, residual, color="tab:red", linewidth=1)
    bottom.axhline(0, color="black", linewidth=0.8)
    bottom.set_xlabel("x")
    bottom.set_ylabel(_("network - target"))
    bottom.grid(True, alpha=0.3)
    return _save(fig, path, title)


@_localized
def fit_heatmaps(
    X: ArrayLike,
    Y: ArrayLike,
    Z_true: ArrayLike | None = None,
    Z_fit: ArrayLike | None = None,
    path: PathLike | None = None,
    *,
    extent: tuple[float, float, float, float] | None = None,
    title: str | None = None,
) -> Path:
    """A two-variable fit as three heat maps: target, network (same colour scale), error.

    X, Y: the grid, either (ny, nx) arrays from np.meshgrid or the 1-D axes (nx,) and
    (ny,); Z_true, Z_fit: (ny, nx), rows along y. Also accepted:
    `fit_heatmaps(Z_true, Z_fit, path=..., extent=(x0, x1, y0, y1))`, an evenly spaced grid
    over that box.
    """
    if Z_true is None and Z_fit is None:
        if extent is None or len(extent) != 4:
            raise ValueError(
                "extent: expected (x0, x1, y0, y1) when only Z_true and Z_fit are given"
            )
        Z_true, Z_fit = X, Y
        ny, nx = np.shape(Z_true) if np.ndim(Z_true) == 2 else (0, 0)
        X = np.linspace(extent[0], extent[1], nx)
        Y = np.linspace(extent[2], extent[3], ny)
    if Z_true is None or Z_fit is None or path is None:
        raise ValueError("fit_heatmaps: expected X, Y, Z_true, Z_fit and path")
    zt = np.asarray(Z_true, dtype=np.float64)
    zf = np.asarray(Z_fit, dtype=np.float64)
    if zt.ndim != 2 or zt.shape != zf.shape:
        raise ValueError(
            f"Z_true, Z_fit: expected two (ny, nx) arrays of one shape, got {zt.shape} and "
            f"{zf.shape}"
        )
    gx, gy = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    if gx.ndim == 1 and gy.ndim == 1:
        gx, gy = np.meshgrid(gx, gy)
    if gx.shape != zt.shape or gy.shape != zt.shape:
        raise ValueError(
            f"X, Y: expected the grid of Z {zt.shape} (or its axes), got {np.shape(X)} and "
            f"{np.shape(Y)}"
        )
    fig, axes = _figure("fit_heatmaps", 1, 3, sharex=True, sharey=True)
    lo = float(np.nanmin([np.nanmin(zt), np.nanmin(zf)]))
    hi = float(np.nanmax([np.nanmax(zt), np.nanmax(zf)]))
    err = zf - zt
    bound = float(np.nanmax(np.abs(err))) or 1.0
    panels = [
        (zt, _("target"), "viridis", lo, hi),
        (zf, _("network"), "viridis", lo, hi),
        (
            err,
            _("network - target (max |error| {error:.3g})").format(error=bound),
            "RdBu_r",
            -bound,
            bound,
        ),
    ]
    for ax, (z, name, cmap, vmin, vmax) in zip(axes, panels, strict=True):
        mesh = ax.pcolormesh(gx, gy, z, shading="auto", cmap=cmap, vmin=vmin, vmax=vmax)
        fig.colorbar(mesh, ax=ax, shrink=0.85)
        ax.set_title(name)
        ax.set_xlabel("x")
        ax.set_aspect("auto")
    axes[0].set_ylabel("y")
    return _save(fig, path, title)


@_localized
def sweep(
    widths: ArrayLike,
    errors: ArrayLike | Mapping[str, ArrayLike],
    *args: Any,
    path: PathLike | None = None,
    title: str | None = None,
) -> Path:
    """Test error against hidden width, log-log: the universal approximation theorem.

    `errors` is the test MSE per width, or a dict of named series, e.g.
    {"train": [...], "test": [...]}. Called as `sweep(widths, errors, path)`, or as
    `sweep(widths, test_mse, max_abs_error, path=...)` to add the largest absolute error
    on the grid as a second line. Values <= 0 cannot go on a log axis and are left out.
    """
    more = list(args)
    if path is None and more and isinstance(more[-1], str | os.PathLike):
        path = more.pop()
    if path is None:
        raise ValueError("path: expected the PNG file to write, got none")
    if len(more) > 1 or (more and isinstance(errors, Mapping)):
        raise ValueError("errors: expected one series (or a dict) and at most a second one")
    w = _vector(widths, "widths")
    if isinstance(errors, Mapping):
        series = dict(errors)
    else:
        series = {_("test MSE"): errors}
        if more:
            series[_("max |error|")] = more[0]
    for name, values in series.items():  # check everything before drawing anything
        e = _vector(values, f"errors[{name!r}]")
        if e.shape != w.shape:
            raise ValueError(
                f"widths, errors: expected the same length, got {w.size} and {e.size} ({name})"
            )
    fig, ax = _figure("sweep")
    for name, values in series.items():
        e = _vector(values, name)
        ok = (e > 0) & np.isfinite(e)
        ax.plot(w[ok], e[ok], marker="o", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(w)
    ax.set_xticklabels([f"{int(v)}" if float(v).is_integer() else f"{v:g}" for v in w])
    ax.minorticks_off()
    ax.set_xlabel(_("hidden units"))
    ax.set_ylabel(_("error on the test grid") if len(series) > 1 else _("mean squared error"))
    ax.set_title(_("error against hidden width"))
    ax.grid(True, which="both", alpha=0.3)
    _legend_outside(fig, [ax])
    return _save(fig, path, title)


# --------------------------------------------------------------------------- classification


@_localized
def confusion(
    cm: ArrayLike,
    path: PathLike,
    labels: Sequence[str] | None = None,
    *,
    title: str | None = None,
) -> Path:
    """A confusion matrix (rows true, columns predicted) with the count in every cell.

    Colours show each row's share (recall per class), so a rare class reads as clearly as
    a common one.
    """
    counts = np.asarray(cm)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] == 0:
        raise ValueError(f"cm: expected a square (k, k) matrix, got shape {counts.shape}")
    k = counts.shape[0]
    names = [str(i) for i in range(k)] if labels is None else [str(s) for s in labels]
    if len(names) != k:
        raise ValueError(f"labels: expected {k} names, got {len(names)}")
    rows = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    fig, ax = _figure("confusion")
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, label=_("share of the true class"))
    size = "small" if k <= 12 else "x-small"
    for i in range(k):  # k x k cells, k small (classes, not samples)
        for j in range(k):
            ax.text(
                j,
                i,
                f"{int(counts[i, j])}",
                ha="center",
                va="center",
                fontsize=size,
                color="white" if share[i, j] > 0.5 else "black",
            )
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel(_("predicted"))
    ax.set_ylabel(_("true"))
    total = counts.sum()
    acc = np.trace(counts) / total if total else 0.0
    ax.set_title(
        _("confusion matrix ({n} samples, accuracy {accuracy:.2%})").format(
            n=int(total), accuracy=acc
        )
    )
    return _save(fig, path, title)


@_localized
def misclassified_grid(
    images: ArrayLike,
    true: ArrayLike,
    pred: ArrayLike,
    confidence: ArrayLike,
    path: PathLike,
    *,
    title: str | None = None,
) -> Path:
    """The misclassified images given, each titled "true T, pred P (confidence%)".

    images: (k, 28, 28) or (k, 784); true, pred: (k,) labels; confidence: (k,) the
    probability the network gave its (wrong) prediction. With k = 0 the PNG says so.
    """
    imgs = _images(images, "images")
    t = np.asarray(true).ravel()
    p = np.asarray(pred).ravel()
    c = np.asarray(confidence, dtype=np.float64).ravel()
    k = imgs.shape[0]
    if not (t.size == p.size == c.size == k):
        raise ValueError(
            f"images, true, pred, confidence: expected {k} of each, got {t.size}, {p.size}, "
            f"{c.size}"
        )
    if k == 0:
        fig, ax = _figure("misclassified_grid")
        ax.text(0.5, 0.5, _("no misclassified images"), ha="center", va="center", fontsize=16)
        ax.set_axis_off()
        return _save(fig, path, title)
    nrows, ncols = _grid(k)
    fig, axes = _figure("misclassified_grid", nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if i < k:
            ax.imshow(imgs[i], cmap="gray_r", interpolation="nearest")
            ax.set_title(
                _("true {true}, pred {pred}").format(true=t[i], pred=p[i]) + f"\n({c[i]:.0%})",
                fontsize="small",
                color="tab:red",
            )
    fig.suptitle(_("most confident mistakes"))
    return _save(fig, path, title)


@_localized
def weight_images(
    W: ArrayLike,
    path: PathLike,
    shape: tuple[int, int] = (28, 28),
    max_images: int = 64,
    *,
    title: str | None = None,
) -> Path:
    """The first layer's weights, one image per hidden unit: what each unit looks for.

    W: (hidden, h*w) in PyTorch's (out, in) layout (or (h*w, hidden), transposed here).
    One symmetric colour scale for all the images shown (red positive, blue negative,
    clipped at the 99.5th percentile of |w|), with its colour bar; the title says how
    many units are shown of how many.
    """
    w = np.asarray(W, dtype=np.float32)
    n_in = shape[0] * shape[1]
    if w.ndim == 2 and w.shape[1] != n_in and w.shape[0] == n_in:
        w = w.T
    if w.ndim != 2 or w.shape[1] != n_in:
        raise ValueError(f"W: expected weights (hidden, {n_in}) for images {shape}, got {w.shape}")
    if max_images < 1:
        raise ValueError(f"max_images: expected at least 1, got {max_images}")
    total = w.shape[0]
    w = w[:max_images]
    nrows, ncols = _grid(w.shape[0])
    fig, axes = _figure("weight_images", nrows, ncols, squeeze=False)
    bound = float(np.percentile(np.abs(w), 99.5)) or 1.0
    image = None
    for i, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if i < w.shape[0]:
            image = ax.imshow(
                w[i].reshape(shape), cmap="RdBu_r", vmin=-bound, vmax=bound, interpolation="nearest"
            )
    assert image is not None  # w has at least one row
    fig.colorbar(image, ax=axes, shrink=0.6, label=_("weight"), extend="both")
    shown = (
        _("{n} units").format(n=w.shape[0])
        if w.shape[0] == total
        else _("{n} of {total} units").format(n=w.shape[0], total=total)
    )
    fig.suptitle(_("first-layer weights, {shown}").format(shown=shown))
    return _save(fig, path, title)


@_localized
def roc(
    curves: Mapping[str, tuple[Any, ...]],
    path: PathLike,
    *,
    aucs: Mapping[str, float] | None = None,
    title: str | None = None,
) -> Path:
    """ROC curves: `curves` maps a name ("train", "test") to (fpr, tpr, auc).

    (fpr, tpr) pairs are accepted too, with the AUCs in `aucs` (name -> AUC) or, failing
    that, the area under the points given.
    """
    if not curves:
        raise ValueError("curves: expected at least one name -> (fpr, tpr, auc)")
    lines = []
    for name, value in curves.items():
        if len(value) not in (2, 3):
            raise ValueError(f"curves[{name!r}]: expected (fpr, tpr, auc), got {len(value)} items")
        f, t = (
            _vector(value[0], f"curves[{name!r}] fpr"),
            _vector(value[1], f"curves[{name!r}] tpr"),
        )
        if f.shape != t.shape:
            raise ValueError(
                f"curves[{name!r}]: expected fpr and tpr of one length, got {f.size} and {t.size}"
            )
        if len(value) == 3:
            auc = float(value[2])
        elif aucs is not None and name in aucs:
            auc = float(aucs[name])
        else:
            auc = float(np.trapezoid(t, f))
        lines.append((name, f, t, auc))
    fig, ax = _figure("roc")
    for name, f, t, auc in lines:
        shown = _(_SPLIT_NAMES[name]) if name in _SPLIT_NAMES else name
        ax.plot(f, t, label=_("{name} (AUC {auc:.3f})").format(name=shown, auc=auc))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1, label=_("chance"))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel(_("false positive rate"))
    ax.set_ylabel(_("true positive rate"))
    ax.set_title(_("ROC curve"))
    ax.grid(True, alpha=0.3)
    _legend_outside(fig, [ax])
    return _save(fig, path, title)


@_localized
def digits(
    images: ArrayLike, labels: ArrayLike, path: PathLike, *, title: str | None = None
) -> Path:
    """A grid of sample images (k, 28, 28) or (k, 784), each titled with its label."""
    imgs = _images(images, "images")
    lab = np.asarray(labels).ravel()
    if imgs.shape[0] == 0 or lab.size != imgs.shape[0]:
        raise ValueError(
            f"images, labels: expected k >= 1 of each, got {imgs.shape[0]} and {lab.size}"
        )
    nrows, ncols = _grid(imgs.shape[0], max_cols=10)
    fig, axes = _figure("digits", nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if i < imgs.shape[0]:
            ax.imshow(imgs[i], cmap="gray_r", interpolation="nearest")
            ax.set_title(str(lab[i]), fontsize="small")
    return _save(fig, path, title)


_MAX_MISTAKES = 30  # bars; the rest are summed into one "other mistakes" bar


@_localized
def mistakes(
    descriptions: Sequence[str],
    students: Sequence[int],
    path: PathLike,
    *,
    checked: int,
    title: str | None = None,
) -> Path:
    """The class's mistakes as horizontal bars, most frequent on top: each bar is how
    many of the `checked` students made that mistake (`descriptions`, in the current
    language), with the count and the share written at its end."""
    counts = np.asarray(students, dtype=np.int64).ravel()
    if counts.size != len(descriptions):
        raise ValueError(
            f"descriptions, students: expected one count per mistake, got {len(descriptions)}"
            f" and {counts.size}"
        )
    if checked < 0 or (counts.size and (counts.min() < 0 or counts.max() > max(checked, 0))):
        raise ValueError(f"students: expected counts from 0 to checked={checked}")
    labels = [str(d) for d in descriptions]
    if counts.size > _MAX_MISTAKES:
        rest = int(counts[_MAX_MISTAKES - 1 :].sum())
        labels = [*labels[: _MAX_MISTAKES - 1], _("other mistakes")]
        counts = np.concatenate([counts[: _MAX_MISTAKES - 1], [rest]])
    width, height = FIGSIZES["mistakes"]
    fig = Figure(
        figsize=(width, max(height, 1.2 + 0.4 * counts.size)), dpi=DPI, layout="constrained"
    )
    ax = fig.subplots()
    if counts.size == 0:
        ax.set_axis_off()
        ax.text(0.5, 0.5, _("no mistakes: every check passed"), ha="center", va="center")
    else:
        y = np.arange(counts.size)
        ax.barh(y, counts, color="C3")
        short = [t if len(t) <= 70 else t[:67] + "..." for t in labels]
        ax.set_yticks(y, short, fontsize="small")
        ax.invert_yaxis()  # the most frequent on top
        for i, k in enumerate(counts):
            share = k / checked if checked else 0.0
            ax.text(float(k), i, f" {int(k)} ({share:.0%})", va="center", fontsize="small")
        ax.set_xlim(0, max(int(counts.max()), 1) * 1.2)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(_("students ({checked} checked)").format(checked=checked))
    ax.set_title(_("the class's mistakes, most frequent first"))
    return _save(fig, path, title)
