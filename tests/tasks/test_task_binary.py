"""fcnet.tasks.binary: random (over-fitting), mnist-pair, csv, pos-weight; the CSV reader."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fcnet.data.csv import load_csv
from fcnet.tasks import binary, evaluate
from fcnet.tasks.binary import _sample_weights


def test_random_labels_overfit_and_the_output_says_so(workdir, capsys, only_run_folder):
    r = binary(
        dataset="random", samples=64, features=200, hidden="64", epochs=60, out="run", quiet=True
    )
    assert r.metrics["train_auc"] > 0.99
    assert 0.35 < r.metrics["test_auc"] < 0.65
    assert "Over-fitting" in capsys.readouterr().out
    lines = [json.loads(s) for s in (r.out_dir / "metrics.jsonl").read_text().splitlines()]
    assert {"train_loss", "train_auc", "val_auc", "val_loss", "test_auc"} <= set(lines[0])
    assert lines[-1]["train_auc"] > lines[0]["train_auc"]
    assert {"roc.png", "auc.png", "loss.png", "thresholds.txt"} <= {
        p.name for p in r.out_dir.iterdir()
    }
    only_run_folder()


def test_mnist_pair_four_against_nine(workdir):
    r = binary(
        dataset="mnist-pair",
        pos=4,
        neg=9,
        epochs=1,
        hidden="16",
        out="run",
        quiet=True,
        logits=True,
    )
    assert r.metrics["test_auc"] > 0.95
    assert r.details["classes"] == ["9", "4"]
    assert r.details["sizes"]["test"] == 982 + 1009  # the test set's fours and nines
    saved = json.loads((r.out_dir / "result.json").read_text())
    assert saved["metrics"] == r.metrics
    assert [row["threshold"] for row in saved["thresholds"]] == [0.1, 0.3, 0.5, 0.7, 0.9]
    assert json.loads((r.out_dir / "config.json").read_text())["loss"] == "bce_with_logits"
    assert evaluate(r.out_dir)["test_auc"] == pytest.approx(r.metrics["test_auc"])


def _table(path, n=300, seed=0, positives=0.5):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(n), 100 + 10 * rng.standard_normal(n)
    sick = np.where(rng.random(n) < positives, "yes", "no")
    a = a + 2.0 * (sick == "yes")
    rows = ["age,sick,score"] + [f"{u:.4f},{s},{v:.3f}" for u, s, v in zip(a, sick, b, strict=True)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_csv_dataset_is_standardised_and_learnt(workdir):
    _table(workdir / "t.csv")
    r = binary(
        dataset="csv",
        path="t.csv",
        label="sick",
        epochs=20,
        out="run",
        quiet=True,
        pos_weight="balanced",
    )
    assert r.metrics["test_auc"] > 0.8
    assert r.details["classes"] == ["no", "yes"]
    assert r.details["sizes"] == {"train": 180, "val": 60, "test": 60}
    assert r.details["pos_weight"] > 0


def test_pos_weight_balanced_equalises_the_classes():
    y = np.array([1, 0, 0, 0, 1, 0, 0, 0], dtype=np.float32)
    w, k = _sample_weights("balanced", y)
    assert k == 3.0 and w[y == 1].sum() == w[y == 0].sum()
    assert _sample_weights(None, y) == (None, None)
    with pytest.raises(ValueError, match="--pos-weight: expected a number > 0"):
        _sample_weights(-1, y)


def test_csv_reader_names_the_bad_line(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("a,b,y\n1,2,0\n\n3,x,1\n")
    with pytest.raises(ValueError, match=r"t\.csv, line 4, column 'b': expected a number, got 'x'"):
        load_csv(p, "y")
    p.write_text("a,b,y\n1,2,0\n3,4\n")
    with pytest.raises(ValueError, match=r"line 3: expected 3 fields, got 2"):
        load_csv(p, "y")
    p.write_text("a,b,y\n1,nan,0\n")
    with pytest.raises(ValueError, match=r"line 2, column 'b': expected a finite number"):
        load_csv(p, "y")
    p.write_text("a,b,y\n1,2,0\n1,2,1\n1,2,2\n")
    with pytest.raises(ValueError, match=r"column 'y' must hold exactly two classes, got 3"):
        load_csv(p, "y")
    with pytest.raises(ValueError, match=r"no column 'z' in the header \(columns: a, b, y\)"):
        load_csv(p, "z")
    with pytest.raises(FileNotFoundError):
        load_csv(tmp_path / "missing.csv", "y")


def test_csv_reader_maps_labels(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("x,label\n1.5,1.0\n2,0.0\n-3,1.0\n")
    d = load_csv(p, "label")
    assert d.classes == ("0.0", "1.0") and d.y.tolist() == [1, 0, 1]
    assert d.x.dtype == np.float32 and d.x[:, 0].tolist() == [1.5, 2.0, -3.0]
    d = load_csv(p, "label", positive="0.0")
    assert d.y.tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match="positive: expected one of the labels"):
        load_csv(p, "label", positive="cat")


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (dict(dataset="csv"), "needs --path FILE and --label COLUMN"),
        (dict(dataset="mnist-pair", pos=4, neg=4), "two different digits"),
        (dict(dataset="mnist-pair", pos=12), "pos: expected a digit 0-9"),
        (dict(dataset="images"), "--dataset: expected one of"),
        (dict(dataset="random", samples=1), "--samples: expected an int >= 2"),
        (dict(dataset="random", pos_weight="heavy"), "--pos-weight"),
    ],
)
def test_bad_binary_options(workdir, kw, match):
    with pytest.raises(ValueError, match=match):
        binary(**kw, out="run", quiet=True, epochs=1)
