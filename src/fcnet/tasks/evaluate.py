"""`evaluate(run_dir)`: the saved model of a run folder, measured again on its test data.

Reads run.json for the task and its options, loads model.npz (`fcnet.runs.load_model`:
any backend's portable file loads on the numpy engine) and asks the task's own module
for its test metrics (`evaluate_run`). Writes nothing.
"""

from __future__ import annotations

import os

from fcnet.i18n import gettext as _
from fcnet.runs import load_model, read_run


def evaluate(
    run_dir: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    device: str = "cpu",
) -> dict[str, float]:
    """The test metrics of the model saved in `run_dir`; `data_dir` replaces MNIST's folder."""
    saved = read_run(run_dir)
    task, o = saved["task"], dict(saved["options"])
    if task == "fit" and o.get("sweep"):
        raise ValueError(
            _("{run_dir}: a --sweep run holds one model per width; nothing to redo").format(
                run_dir=run_dir
            )
        )
    if task not in ("fit", "mnist", "binary"):
        raise ValueError(
            _("{run_dir}: unknown task {task!r} in run.json").format(run_dir=run_dir, task=task)
        )
    model, _saved = load_model(run_dir, device=device)
    if task == "mnist":
        from fcnet.tasks.mnist import evaluate_run as mnist_metrics

        return mnist_metrics(model, o, data_dir)
    if task == "binary":
        from fcnet.tasks.binary import evaluate_run as binary_metrics

        return binary_metrics(model, o, data_dir)
    from fcnet.tasks.fit import evaluate_run as fit_metrics

    if data_dir is not None:
        raise ValueError(_("--data-dir: a fit run has no data folder"))
    return fit_metrics(model, o)


__all__ = ["evaluate"]
