"""fcnet.plots, fit for a lab report: properties read from the matplotlib objects (ticks,
limits, titles, legends, colour bars), not by eye."""

from __future__ import annotations

import numpy as np
import pytest

from fcnet import plots
from fcnet.spec import LayerSpec, NetSpec


@pytest.fixture
def figures(monkeypatch):
    """Every Figure `plots` saves, in order (the PNG is still written)."""
    seen = []
    save = plots._save

    def keep(fig, path, title=None):
        out = save(fig, path, title)
        seen.append(fig)
        return out

    monkeypatch.setattr(plots, "_save", keep)
    return seen


def history(n: int, **series) -> list[dict]:
    rows = [{"epoch": e} for e in range(1, n + 1)]
    for key, values in series.items():
        for row, v in zip(rows, values, strict=True):
            row[key] = v
    return rows


def axes_of(fig):
    """The plotting axes (not colour bars)."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def visible_ticks(ax) -> list[float]:
    lo, hi = ax.get_xlim()
    return [t for t in ax.get_xticks() if lo <= t <= hi]


def test_epoch_ticks_are_integers(tmp_path, figures):
    h = history(
        7, train_loss=np.linspace(1, 0.2, 7), val_loss=np.linspace(1.1, 0.3, 7),
        val_accuracy=np.linspace(0.5, 0.9, 7),
    )  # fmt: skip
    plots.loss_curves(h, tmp_path / "l.png", metrics=("loss", "accuracy"))
    plots.auc_curve(history(7, train_auc=np.linspace(0.9, 0.99, 7)), tmp_path / "a.png")
    for fig in figures:
        for ax in axes_of(fig):
            ticks = visible_ticks(ax)
            assert len(ticks) >= 2
            assert all(float(t).is_integer() for t in ticks), ticks
            assert ax.get_xlabel() == "epoch"


def test_one_epoch_is_one_marked_point_at_1(tmp_path, figures):
    plots.loss_curves(history(1, train_loss=[0.5], val_loss=[0.6]), tmp_path / "l.png")
    plots.auc_curve(history(1, train_auc=[0.97], test_auc=[0.96]), tmp_path / "a.png")
    for fig in figures:
        ax = axes_of(fig)[0]
        assert visible_ticks(ax) == [1.0]
        lo, hi = ax.get_xlim()
        assert lo < 1 < hi and hi - lo >= 1
        drawn = [line for line in ax.get_lines() if len(line.get_xdata()) == 1]
        assert drawn and all(line.get_marker() == "o" for line in drawn)


def test_hundreds_of_epochs_are_lines_not_markers(tmp_path, figures):
    n = 300
    plots.loss_curves(history(n, train_loss=np.linspace(1, 0.1, n)), tmp_path / "l.png")
    (line,) = axes_of(figures[0])[0].get_lines()
    assert line.get_marker() in ("None", None, "")
    assert line.get_linestyle() == "-"


def test_auc_plot_zooms_to_the_values_it_draws(tmp_path, figures):
    h = history(4, train_auc=[0.996, 0.998, 0.999, 0.999], test_auc=[0.996, 0.997, 0.997, 0.998])
    plots.auc_curve(h, tmp_path / "a.png")
    ax = axes_of(figures[0])[0]
    lo, hi = ax.get_ylim()
    assert 0.99 < lo < 0.996 and 0.999 < hi < 1.0005
    assert (0.999 - 0.996) / (hi - lo) > 0.6  # the values fill most of the axis
    assert not any(set(line.get_ydata()) == {0.5} for line in ax.get_lines())  # no chance line
    figures[0].canvas.draw()
    assert ax.yaxis.get_offset_text().get_text() == ""  # 0.997 reads as 0.997
    # a poor model keeps the chance line in view
    plots.auc_curve(history(3, test_auc=[0.45, 0.55, 0.6]), tmp_path / "b.png")
    ax = axes_of(figures[1])[0]
    assert ax.get_ylim()[0] < 0.45 and any(
        set(line.get_ydata()) == {0.5} for line in ax.get_lines()
    )


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_legends_do_not_cover_data(tmp_path, figures):
    h = history(
        6, train_loss=np.linspace(1, 0.2, 6), val_loss=np.linspace(1.1, 0.3, 6),
        val_accuracy=np.linspace(0.5, 0.9, 6), train_auc=np.linspace(0.9, 0.99, 6),
        test_auc=np.linspace(0.88, 0.97, 6),
    )  # fmt: skip
    x = np.linspace(-3, 3, 100)
    plots.loss_curves(h, tmp_path / "l.png", metrics=("loss", "accuracy"))
    plots.auc_curve(h, tmp_path / "a.png")
    plots.fit_curve(x, np.sin(x), np.sin(x) + 0.05, tmp_path / "f.png", samples=(x, np.sin(x)))
    plots.sweep([2, 4, 8], [0.1, 0.01, 0.001], tmp_path / "s.png")
    plots.roc({"test": ([0, 0.1, 1], [0, 0.9, 1])}, tmp_path / "r.png", aucs={"test": 0.95})
    assert len(figures) == 5
    for fig in figures:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legends = fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
        assert legends, "every one of these figures has a legend"
        for legend in legends:
            box = legend.get_window_extent(renderer)
            for ax in axes_of(fig):
                assert not _overlaps(box, ax.get_window_extent(renderer))


def test_titles_name_the_network_and_the_classes(tmp_path, figures):
    spec = NetSpec(input_size=784, hidden=[LayerSpec(width=512), LayerSpec(width=256)],
                   output_size=10, loss="cross_entropy")  # fmt: skip
    assert plots.network_title(spec, "numpy") == "MNIST 784-512-256-10, numpy".removeprefix(
        "MNIST "
    )
    title = f"MNIST {plots.network_title(spec, 'numpy')}"
    plots.loss_curves(history(2, train_loss=[1, 0.5]), tmp_path / "l.png", title=title)
    assert figures[0].get_suptitle() == "MNIST 784-512-256-10, numpy"
    plots.roc({"test": ([0, 1], [0, 1])}, tmp_path / "r.png", title="4 vs 9")
    assert figures[1].get_suptitle() == "4 vs 9"


def test_weights_have_a_colour_bar_and_the_count(tmp_path, figures):
    w = np.random.default_rng(0).standard_normal((512, 784)).astype(np.float32)
    plots.weight_images(w, tmp_path / "w.png", title="MNIST 784-512-10, numpy")
    fig = figures[0]
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 1 and bars[0].get_ylabel() == "weight"
    assert "64 of 512 units" in fig.get_suptitle()
    assert fig.get_suptitle().startswith("MNIST 784-512-10, numpy")
    limits = {im.get_clim() for ax in axes_of(fig) for im in ax.get_images()}
    assert len(limits) == 1  # one colour scale, so the bar reads for every image
    lo, hi = limits.pop()
    assert lo == -hi and 0 < hi < np.abs(w[:64]).max()


def test_fit_loss_says_it_is_measured_on_standardised_targets(tmp_path, figures):
    h = history(3, train_loss=[1, 0.5, 0.2], val_loss=[1.1, 0.6, 0.3])
    plots.loss_curves(h, tmp_path / "l.png", loss_label="MSE on standardised targets")
    ax = axes_of(figures[0])[0]
    assert ax.get_ylabel() == "loss (MSE on standardised targets)"
    plots.loss_curves(h, tmp_path / "m.png")
    assert axes_of(figures[1])[0].get_ylabel() == "loss"
