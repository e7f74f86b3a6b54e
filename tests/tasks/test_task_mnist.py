"""fcnet.tasks.mnist on a slice, predict's image pipeline, evaluate."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from fcnet.data.mnist import load_mnist
from fcnet.tasks import evaluate, mnist
from fcnet.tasks.mnist import PRESETS, idx_image, predict, preprocess_image

SMALL = dict(limit=2000, epochs=2, hidden="32", lr=3e-3, quiet=True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One small run shared by the read-only tests below."""
    out = tmp_path_factory.mktemp("mnist") / "run"
    return mnist(out=str(out), **SMALL)


def test_mnist_run_folder(trained):
    out = trained.out_dir
    names = {p.name for p in out.iterdir()}
    assert {
        "run.json",
        "config.json",
        "metrics.jsonl",
        "result.json",
        "model.npz",
        "checkpoint.npz",
        "confusion.txt",
        "per_class.txt",
        "confusion.png",
        "misclassified.png",
        "weights.png",
        "curves.png",
    } <= names
    assert 0.6 < trained.metrics["test_accuracy"] <= 1.0
    saved = json.loads((out / "result.json").read_text())
    assert saved["metrics"] == trained.metrics
    cm = np.array(saved["confusion"])
    assert cm.shape == (10, 10) and cm.sum() == 10_000
    assert np.trace(cm) / cm.sum() == pytest.approx(trained.metrics["test_accuracy"])
    lines = [json.loads(s) for s in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(lines) == 2 and {"train_loss", "val_loss", "val_accuracy"} <= set(lines[0])
    # epochs are judged on the validation split; the test set is measured once, at the end
    assert not any(k.startswith("test_") for line in lines for k in line)
    assert trained.details["train_images"] == 1800  # 2000 less a tenth for validation
    assert (out / "confusion.txt").read_text().splitlines()[0].startswith("true\\pred")
    assert evaluate(out)["test_accuracy"] == pytest.approx(trained.metrics["test_accuracy"])


def test_early_stopping_holds_out_a_validation_split(workdir, only_run_folder):
    r = mnist(out="run", early_stopping=True, patience=1, **dict(SMALL, epochs=1))
    assert r.details["train_images"] == 1800  # 2000 less a tenth
    assert "val_accuracy" in r.metrics
    line = json.loads((r.out_dir / "metrics.jsonl").read_text().splitlines()[0])
    assert {"val_loss", "val_accuracy"} <= set(line) and "test_accuracy" not in line
    only_run_folder()


def test_best_preset_is_wider_with_dropout_and_distortions():
    assert PRESETS["best"]["dropout"] > 0
    assert PRESETS["best"]["epochs"] > PRESETS["default"]["epochs"]
    assert PRESETS["best"]["distort"] is True and PRESETS["default"]["augment"] is True


def test_distort_option_trains_on_deformed_images(workdir):
    r = mnist(out="run", distort=True, **dict(SMALL, epochs=1, limit=600))
    saved = json.loads((r.out_dir / "run.json").read_text())
    assert saved["options"]["distort"] is True and saved["sources"]["distort"] == "flag"
    assert 0 <= r.metrics["test_accuracy"] <= 1


def _mnist_digit(i: int) -> tuple[np.ndarray, int]:
    x, y = load_mnist("test")
    return x[i].reshape(28, 28), int(y[i])


def test_preprocess_recovers_an_mnist_digit_drawn_large_dark_on_light(tmp_path):
    digit, _ = _mnist_digit(0)
    big = Image.fromarray(((1 - digit) * 255).astype(np.uint8)).resize((140, 140))
    canvas = Image.new("L", (400, 300), 255)
    canvas.paste(big, (30, 60))  # off centre, on white paper
    canvas.save(tmp_path / "d.png")
    got = preprocess_image(tmp_path / "d.png").reshape(28, 28)
    assert got.max() == pytest.approx(1.0) and got.min() == 0.0
    ys, xs = np.indices(got.shape)
    assert abs((ys * got).sum() / got.sum() - 14) < 1 and abs((xs * got).sum() / got.sum() - 14) < 1
    rows = np.flatnonzero(got.max(axis=1) > 0.1)
    assert 18 <= rows[-1] - rows[0] + 1 <= 21  # the longer side scaled to 20 pixels
    assert np.corrcoef(got.ravel(), digit.ravel())[0, 1] > 0.9


def test_preprocess_keeps_light_ink_on_dark_and_refuses_blank(tmp_path):
    img = Image.new("RGB", (50, 80), (0, 0, 0))
    ImageDraw.Draw(img).line([(25, 10), (25, 70)], fill=(255, 255, 255), width=5)
    img.save(tmp_path / "one.jpg")
    got = preprocess_image(tmp_path / "one.jpg").reshape(28, 28)
    assert got[:, 14].sum() > got[:, 4].sum() and got[0].max() == 0.0
    Image.new("L", (30, 30), 255).save(tmp_path / "blank.png")
    with pytest.raises(ValueError, match=r"blank\.png: no digit found"):
        preprocess_image(tmp_path / "blank.png")
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(ValueError, match=r"text\.png: not an image"):
        preprocess_image(tmp_path / "text.png")


def test_predict_gives_top_three_that_sum_below_one(trained, tmp_path):
    digit, _ = _mnist_digit(3)
    Image.fromarray((digit * 255).astype(np.uint8)).resize((56, 56)).save(tmp_path / "d.png")
    ranked = predict(trained.out_dir, preprocess_image(tmp_path / "d.png")[None])[0]
    assert len(ranked) == 3 and len({c for c, _ in ranked}) == 3
    probs = [p for _, p in ranked]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-9


def test_idx_image_reads_the_shipped_test_set():
    from fcnet.data.mnist import shipped_root

    path = next(shipped_root().glob("t10k-images*"))
    digit, _ = _mnist_digit(5)
    assert np.allclose(idx_image(path, 5), digit.ravel())
    with pytest.raises(ValueError, match="--index: expected 0 to 9999"):
        idx_image(path, 10_000)
