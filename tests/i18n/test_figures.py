"""With --lang zh every task's figures have Chinese titles, labels and legends, and every
glyph renders (no "missing from font" warning); with --lang en they stay English."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from click.testing import CliRunner

from fcnet import i18n, plots
from fcnet.cli import cli

CJK = re.compile(r"[\u4e00-\u9fff]")
# ASCII words a Chinese figure may keep: names, not English prose.
KEPT = {"numpy", "mnist", "roc", "auc", "mse", "relu", "sin", "epoch"}

TASKS = {
    "fit": ["fit", "sin(x)", "--samples", "100", "--epochs", "2"],
    "fit-2d": ["fit", "x*y", "--samples", "100", "--epochs", "2"],
    "sweep": ["fit", "x", "--sweep", "--hidden", "2,4", "--samples", "100", "--epochs", "1"],
    "mnist": ["mnist", "--limit", "300", "--epochs", "2", "--hidden", "16"],
    "binary": ["binary", "--dataset", "random", "--samples", "32", "--features", "20",
               "--epochs", "2"],
}  # fmt: skip
FIGURES = {
    "fit": {"loss.png", "fit.png"},
    "fit-2d": {"loss.png", "fit.png"},
    "sweep": {"sweep.png"},
    "mnist": {"curves.png", "confusion.png", "misclassified.png", "weights.png"},
    "binary": {"loss.png", "roc.png", "auc.png"},
}


def _texts(fig) -> dict[str, list[str]]:
    """The figure's titles and its labels and legends (colour bars included)."""
    titles = [fig.get_suptitle()] + [ax.get_title() for ax in fig.axes]
    labels = [t for ax in fig.axes for t in (ax.get_xlabel(), ax.get_ylabel())]
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    labels += [t.get_text() for lg in legends if lg is not None for t in lg.get_texts()]
    labels += [t.get_text() for ax in fig.axes for t in ax.texts]
    return {"titles": [t for t in titles if t], "labels": [t for t in labels if t]}


@pytest.fixture
def drawn(monkeypatch):
    """Figures saved through fcnet.plots: file name -> (texts, missing-glyph warnings)."""
    figures: dict[str, tuple[dict[str, list[str]], list[str]]] = {}
    save = plots._save

    def spy(fig, path, title=None):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = save(fig, path, title)
        missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
        figures[out.name] = (_texts(fig), missing)
        return out

    monkeypatch.setattr(plots, "_save", spy)
    yield figures
    i18n.set_language(None)


def _run(tmp_path, monkeypatch, lang: str, task: str) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["--lang", lang, *TASKS[task], "-q", "--out", f"run-{task}"]
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output and "警告" not in result.output, result.output


@pytest.mark.parametrize("task", list(TASKS))
def test_task_figures_are_chinese_and_render_every_glyph(task, tmp_path, monkeypatch, drawn):
    _run(tmp_path, monkeypatch, "zh", task)
    assert FIGURES[task] <= set(drawn), sorted(drawn)
    for name, (texts, missing) in drawn.items():
        assert not missing, (name, missing)
        assert any(CJK.search(t) for t in texts["titles"]), (name, texts)
        for text in texts["titles"] + texts["labels"]:
            words = {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)}
            assert words <= KEPT, (name, text)


def test_english_figures_stay_english(tmp_path, monkeypatch, drawn):
    _run(tmp_path, monkeypatch, "en", "binary")
    texts, _ = drawn["roc.png"]
    assert "ROC curve" in texts["titles"] and "false positive rate" in texts["labels"]
    assert not any(CJK.search(t) for t in texts["titles"] + texts["labels"])


def test_digits_figure_is_drawn_in_chinese_without_missing_glyphs(tmp_path, drawn):
    images = np.random.default_rng(0).random((4, 28, 28))
    with i18n.use_language("zh"):
        plots.digits(images, [1, 2, 3, 4], tmp_path / "digits.png", title="测试集的数字")
    texts, missing = drawn["digits.png"]
    assert not missing and texts["titles"][0] == "测试集的数字"
