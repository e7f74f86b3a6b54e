"""fcnet.plots: every function writes a valid PNG of the documented size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fcnet import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _check_png(path: Path, name: str, width_in: float | None = None) -> None:
    """`path` is a non-empty PNG that pillow opens, with FIGSIZES[name] * DPI pixels."""
    data = path.read_bytes()
    assert len(data) > 1000
    assert data[:8] == PNG_SIGNATURE
    with Image.open(path) as img:
        img.verify()
    with Image.open(path) as img:
        w, h = plots.FIGSIZES[name]
        assert img.format == "PNG"
        assert img.size == (round((width_in or w) * plots.DPI), round(h * plots.DPI))
        # Something was drawn: not a single flat colour.
        assert len(img.convert("L").getcolors(maxcolors=1 << 16) or range(2)) > 1
    # Written atomically: no temporary file left beside it.
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def _history(n: int = 8) -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    for e in range(1, n + 1):
        rows.append(
            {
                "epoch": e,
                "train_loss": 2.0 / e,
                "val_loss": 2.2 / e + 0.01 * rng.random(),
                "val_accuracy": 1 - 0.5 / e,
                "test_accuracy": 1 - 0.55 / e,
                "train_auc": 1 - 0.4 / e,
                "test_auc": 0.5 + 0.01 * rng.random(),
                "seconds": 0.1,
            }
        )
    rows[3]["val_loss"] = None  # a missing value breaks the line instead of failing
    return rows


def test_importing_fcnet_leaves_the_notebooks_backend_alone(tmp_path):
    """A notebook's backend survives `import fcnet.plots` and drawing; pyplot stays out."""
    code = (
        "import sys, matplotlib; matplotlib.use('svg'); "
        "import fcnet, fcnet.plots; "
        f"fcnet.plots.sweep([1, 2], [0.1, 0.2], {str(tmp_path / 's.png')!r}); "
        "assert matplotlib.get_backend() == 'svg', matplotlib.get_backend(); "
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert (tmp_path / "s.png").read_bytes()[:8] == PNG_SIGNATURE


def test_loss_curves(tmp_path):
    out = plots.loss_curves(_history(), tmp_path / "loss.png")
    assert out == tmp_path / "loss.png"
    _check_png(out, "loss_curves")
    two = plots.loss_curves(_history(), tmp_path / "two.png", metrics=("loss", "accuracy"))
    _check_png(two, "loss_curves", width_in=plots.FIGSIZES["loss_curves"][0] + 3.5)
    with pytest.raises(ValueError, match="history: expected keys such as train_f1"):
        plots.loss_curves(_history(), tmp_path / "x.png", metrics=("f1",))
    with pytest.raises(ValueError, match="non-empty list"):
        plots.loss_curves([], tmp_path / "x.png")


def test_auc_curve(tmp_path):
    _check_png(plots.auc_curve(_history(), tmp_path / "auc.png"), "auc_curve")
    with pytest.raises(ValueError, match="train_auc"):
        plots.auc_curve([{"epoch": 1, "train_loss": 1.0}], tmp_path / "x.png")


def test_fit_curve(tmp_path):
    x = np.linspace(-3, 3, 200)
    xt = np.random.default_rng(1).uniform(-3, 3, 50)
    out = plots.fit_curve(
        x[::-1],  # unsorted input is sorted for drawing
        np.sin(x[::-1]),
        np.sin(x[::-1]) + 0.01 * x[::-1],
        tmp_path / "fit.png",
        x_train=xt,
        y_train=np.sin(xt),
        kinks=np.array([-2.0, 0.1, 7.0, np.inf]),
    )
    _check_png(out, "fit_curve")
    _check_png(plots.fit_curve(x, x, x, tmp_path / "bare.png"), "fit_curve")
    with pytest.raises(ValueError, match="same length, got 200, 200, 3"):
        plots.fit_curve(x, x, x[:3], tmp_path / "x.png")


def test_fit_heatmaps(tmp_path):
    gx, gy = np.meshgrid(np.linspace(-1, 1, 30), np.linspace(0, 2, 20))
    z = np.sin(gx) * gy
    _check_png(plots.fit_heatmaps(gx, gy, z, z + 0.01, tmp_path / "h.png"), "fit_heatmaps")
    axes_form = plots.fit_heatmaps(gx[0], gy[:, 0], z, z * 1.1, tmp_path / "h1.png")
    _check_png(axes_form, "fit_heatmaps")
    with pytest.raises(ValueError, match="Z_true, Z_fit"):
        plots.fit_heatmaps(gx, gy, z, z[:3], tmp_path / "x.png")


def test_sweep(tmp_path):
    widths = [2, 4, 8, 16, 64, 256]
    test_err = [0.3, 0.1, 0.02, 4e-3, 2e-4, 5e-5]
    _check_png(plots.sweep(widths, test_err, tmp_path / "s.png"), "sweep")
    both = {"train": np.array(test_err) / 2, "test": test_err}
    _check_png(plots.sweep(widths, both, tmp_path / "s2.png"), "sweep")
    with pytest.raises(ValueError, match="same length"):
        plots.sweep(widths, test_err[:2], tmp_path / "x.png")


def test_confusion(tmp_path):
    rng = np.random.default_rng(2)
    cm = rng.integers(0, 50, size=(10, 10)) + np.diag(rng.integers(500, 900, size=10))
    cm[3] = 0  # a class with no samples
    _check_png(plots.confusion(cm, tmp_path / "cm.png"), "confusion")
    labelled = plots.confusion(cm[:2, :2], tmp_path / "cm2.png", labels=["neg 9", "pos 4"])
    _check_png(labelled, "confusion")
    with pytest.raises(ValueError, match="labels: expected 2 names, got 3"):
        plots.confusion(cm[:2, :2], tmp_path / "x.png", labels=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"square.*\(2, 3\)"):
        plots.confusion(np.zeros((2, 3)), tmp_path / "x.png")


def test_misclassified_grid(tmp_path):
    rng = np.random.default_rng(3)
    imgs = rng.random((7, 28, 28))
    out = plots.misclassified_grid(
        imgs, [4] * 7, [9] * 7, rng.uniform(0.5, 1, 7), tmp_path / "mis.png"
    )
    _check_png(out, "misclassified_grid")
    flat = plots.misclassified_grid(
        imgs.reshape(7, 784)[:2], [1, 2], [3, 4], [0.9, 0.8], tmp_path / "flat.png"
    )
    _check_png(flat, "misclassified_grid")
    none = plots.misclassified_grid(np.zeros((0, 28, 28)), [], [], [], tmp_path / "none.png")
    _check_png(none, "misclassified_grid")
    with pytest.raises(ValueError, match="expected 7 of each"):
        plots.misclassified_grid(imgs, [4] * 6, [9] * 7, [0.5] * 7, tmp_path / "x.png")


def test_weight_images(tmp_path):
    W = np.random.default_rng(4).normal(size=(100, 784)).astype(np.float32)
    _check_png(plots.weight_images(W, tmp_path / "w.png"), "weight_images")
    _check_png(plots.weight_images(W[:5].T, tmp_path / "wt.png"), "weight_images")
    small = plots.weight_images(W[:3, :64], tmp_path / "w8.png", shape=(8, 8), max_images=2)
    _check_png(small, "weight_images")
    with pytest.raises(ValueError, match=r"W: expected weights \(hidden, 784\)"):
        plots.weight_images(W[:, :100], tmp_path / "x.png")


def test_roc(tmp_path):
    from fcnet.metrics import roc_auc, roc_curve

    rng = np.random.default_rng(5)
    y = rng.random(300) < 0.4
    curves = {}
    for name, signal in (("train", 2.0), ("test", 0.5)):
        s = rng.normal(size=300) + signal * y
        fpr, tpr, _ = roc_curve(y, s)
        curves[name] = (fpr, tpr, roc_auc(y, s))
    _check_png(plots.roc(curves, tmp_path / "roc.png"), "roc")
    with pytest.raises(ValueError, match="at least one"):
        plots.roc({}, tmp_path / "x.png")


def test_digits(tmp_path):
    imgs = np.random.default_rng(6).integers(0, 256, size=(12, 28, 28)).astype(np.uint8)
    _check_png(plots.digits(imgs, np.arange(12) % 10, tmp_path / "d.png"), "digits")
    with pytest.raises(ValueError, match=r"images: expected images \(k, 28, 28\)"):
        plots.digits(np.zeros((3, 5)), [1, 2, 3], tmp_path / "x.png")


def test_failed_write_leaves_old_file(tmp_path, monkeypatch):
    target = tmp_path / "keep.png"
    target.write_bytes(b"old")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("matplotlib.figure.Figure.savefig", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        plots.sweep([1, 2], [0.1, 0.2], target)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.png"]
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []  # the figure was closed anyway


def test_figures_are_closed_even_after_bad_input(tmp_path):
    import matplotlib.pyplot as plt

    plots.digits(np.zeros((2, 28, 28)), [0, 1], tmp_path / "d.png")
    with pytest.raises(ValueError):
        plots.sweep([1, 2, 3], {"ok": [1, 2, 3], "short": [1]}, tmp_path / "x.png")
    with pytest.raises(ValueError):
        plots.roc({"a": ([0, 1], [0, 1], 0.5), "b": ([0, 1], [1], 0.5)}, tmp_path / "x.png")
    assert plt.get_fignums() == []
    assert not (tmp_path / "x.png").exists()


def test_leaf_modules_import_no_framework():
    code = (
        "import sys, fcnet, fcnet.metrics, fcnet.expr, fcnet.plots; "
        "bad = [m for m in ('torch', 'tensorflow', 'keras', 'sklearn') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_alternative_call_forms_used_by_the_tasks(tmp_path):
    """The forms fcnet.tasks calls (keyword path, title, samples=, extent=, aucs=)."""
    x = np.linspace(-1, 1, 50)
    out = plots.fit_curve(
        x, x**2, x**2 + 0.01, samples=(x[::5], x[::5] ** 2), title="x**2", path=tmp_path / "f.png"
    )
    _check_png(out, "fit_curve")
    with pytest.raises(ValueError, match="samples: expected"):
        plots.fit_curve(x, x, x, tmp_path / "x.png", x_train=x, samples=(x, x))
    z = np.add.outer(np.linspace(0, 1, 12), np.linspace(0, 2, 15))  # (ny, nx)
    heat = plots.fit_heatmaps(z, z * 1.01, path=tmp_path / "h.png", extent=(0, 2, 0, 1), title="t")
    _check_png(heat, "fit_heatmaps")
    with pytest.raises(ValueError, match="extent: expected"):
        plots.fit_heatmaps(z, z, path=tmp_path / "x.png")
    sw = plots.sweep(
        [2, 4, 8], [0.1, 0.01, 0.001], [0.5, 0.2, 0.1], title="s", path=tmp_path / "s.png"
    )
    _check_png(sw, "sweep")
    with pytest.raises(ValueError, match="path: expected"):
        plots.sweep([2, 4, 8], [0.1, 0.01, 0.001])
    curves = {"train": ([0, 0, 1], [0, 1, 1]), "test": ([0, 0.5, 1], [0, 0.5, 1])}
    _check_png(plots.roc(curves, tmp_path / "r.png", aucs={"train": 1.0}), "roc")
    history = _history()
    _check_png(plots.loss_curves(history, path=tmp_path / "l.png", title="MNIST"), "loss_curves")
    _check_png(plots.auc_curve(history, tmp_path / "a.png", title="binary"), "auc_curve")
