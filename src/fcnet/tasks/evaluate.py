"""`evaluate(run_dir)`: the saved model of a run folder, measured again on its test data.

Reads run.json for the task and its options, loads model.npz with the numpy engine
(any backend's portable file loads there) and recomputes the task's test metrics.
Writes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from fcnet.tasks import _common


def evaluate(
    run_dir: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None
) -> dict[str, float]:
    """The test metrics of the model saved in `run_dir`; `data_dir` replaces MNIST's folder."""
    from fcnet.backends import load

    saved = _common.read_run(run_dir)
    task, o = saved["task"], dict(saved["options"])
    if task == "fit" and o.get("sweep"):
        raise ValueError(f"{run_dir}: a --sweep run holds one model per width; nothing to redo")
    path = Path(run_dir) / "model.npz"
    if not path.is_file():
        raise ValueError(f"{run_dir}: has no model.npz (did the run finish?)")
    model = load(path, backend="numpy")
    if data_dir is not None:
        o["data_dir"] = str(data_dir)
    if task == "mnist":
        from fcnet.tasks.mnist import evaluate_model, load_data

        x_test, y_test = load_data(o.get("data_dir"))[2:]
        report = evaluate_model(model, x_test, y_test)
        return {"test_accuracy": report["accuracy"], "test_loss": report["loss"]}
    if task == "binary":
        from fcnet.metrics import roc_auc
        from fcnet.tasks.binary import load_data, probabilities

        if data_dir is not None and o["dataset"] != "mnist-pair":
            raise ValueError(f"--data-dir: only for mnist-pair runs, this is {o['dataset']!r}")
        data = load_data(o)
        out = {}
        for name in ("train", "test"):
            x, y = data[name]
            out[f"{name}_auc"] = roc_auc(y, probabilities(model, x))
        x, y = data["test"]
        out["test_accuracy"] = float(np.mean((probabilities(model, x) >= 0.5) == (y > 0.5)))
        return out
    if task == "fit":
        from fcnet.data.synthetic import function_grid
        from fcnet.expr import parse
        from fcnet.tasks.fit import GRID_1D, GRID_2D, _measure, _ranges

        if data_dir is not None:
            raise ValueError("--data-dir: a fit run has no data folder")
        f = parse(o["expr"])
        ranges = _ranges(o, f)
        x_grid, y_grid = function_grid(f, ranges, GRID_1D if len(ranges) == 1 else GRID_2D)
        m = _measure(model, x_grid[:1], y_grid[:1], x_grid, y_grid)
        return {"test_mse": m["test_mse"], "max_abs_error": m["max_abs_error"]}
    raise ValueError(f"{run_dir}: unknown task {task!r} in run.json")


__all__ = ["evaluate"]
