"""A data pipeline's statistics come from the training rows only (no leakage).

The CSV's column `a` holds 0, 1, ..., n-1. Standardising is affine, so if the validation
and test rows are scaled with the training rows' mean and spread, all rows together are
still evenly spaced; with their own statistics (or the whole file's), they are not, or
the training rows are not at mean 0 and spread 1.
"""

from __future__ import annotations

import numpy as np

from fcnet.tasks.binary import load_data

N = 200


def _options(path) -> dict:
    return {"dataset": "csv", "path": str(path), "label": "y", "positive": None, "seed": 3}


def test_csv_standardisation_uses_the_training_rows_only(tmp_path):
    rng = np.random.default_rng(0)
    rows = [f"{i},{rng.normal(5, 3):.6f},{i % 2}" for i in range(N)]
    (tmp_path / "t.csv").write_text("a,b,y\n" + "\n".join(rows) + "\n")
    data = load_data(_options(tmp_path / "t.csv"))
    a_train = data["train"][0][:, 0].astype(np.float64)
    assert abs(a_train.mean()) < 1e-5 and abs(a_train.std() - 1) < 1e-5
    a_all = np.sort(np.concatenate([data[s][0][:, 0] for s in ("train", "val", "test")]))
    assert len(a_all) == N
    step = np.diff(a_all.astype(np.float64))
    np.testing.assert_allclose(step, step.mean(), rtol=1e-4)
    # every row lands in exactly one split
    assert len(data["val"][0]) + len(data["test"][0]) == N - len(a_train)
