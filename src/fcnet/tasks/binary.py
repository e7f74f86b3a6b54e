"""The course text's binary classification, with ROC AUC every epoch.

    >>> r = fcnet.tasks.binary(dataset="mnist-pair", pos=4, neg=9)   # doctest: +SKIP
    >>> r.metrics["test_auc"]                                        # doctest: +SKIP
    0.998

Data sets: "mnist-pair" (two digits, `pos` -> 1, `neg` -> 0), "csv" (a user's table:
numeric features, standardised with the training rows' statistics, split 60/20/20), and
"random" (the text's experiment: random features, random labels). A sigmoid output with
BCE (or, with `logits=True`, BCE-with-logits); `pos_weight` (a number or "balanced")
samples positives that much more often. The AUC on the training, validation and test
data is recorded every epoch.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from fcnet.i18n import gettext as _
from fcnet.runs import reader
from fcnet.runs.records import register_task
from fcnet.spec import NetSpec
from fcnet.tasks import _common
from fcnet.tasks.netspec import resolve_spec
from fcnet.tasks.options import TaskOptions, check_choice, int_at_least, option, task_function
from fcnet.tasks.run_folder import TaskResult, finish, start_run
from fcnet.train import MONITORS, Callback

if TYPE_CHECKING:  # pragma: no cover
    from fcnet.backends import Model

# Per data set: the defaults of hidden widths, epochs, batch size, learning rate.
DATASET_DEFAULTS: dict[str, dict[str, Any]] = {
    "mnist-pair": {"hidden": [100], "epochs": 5, "batch_size": 64, "lr": 1e-3},
    "csv": {"hidden": [32], "epochs": 50, "batch_size": 32, "lr": 1e-3},
    "random": {"hidden": [100], "epochs": 100, "batch_size": 64, "lr": 1e-3},
}
DATASETS = tuple(DATASET_DEFAULTS)
HELD_OUT_RANDOM = 1000  # validation and test samples of the random data set
THRESHOLDS = (0.1, 0.3, 0.5, 0.7, 0.9)


def _pos_weight(where: str, value: Any) -> Any:
    """A number > 0 (a string from the CLI is read as one), or "balanced"."""
    if value == "balanced":
        return value
    try:
        w = float(value)
    except (TypeError, ValueError):
        w = -1.0
    if not w > 0 or not np.isfinite(w):
        raise ValueError(
            _("{where}: expected a number > 0 or 'balanced', got {value!r}").format(
                where=where, value=value
            )
        )
    return w


@dataclass
class BinaryOptions(TaskOptions):
    """`fcnet binary`'s options: the data set and its settings, then every task's."""

    dataset: str = option(
        "mnist-pair",
        "mnist-pair (--pos vs --neg), csv (--path, --label) or random. [mnist-pair]",
        choices=DATASETS,
    )
    pos: int = option(4, "mnist-pair: the positive digit. [4]", kind="int")
    neg: int = option(9, "mnist-pair: the negative digit. [9]", kind="int")
    path: str | None = option(None, "csv: the CSV file (with a header).", kind="path")
    label: str | None = option(None, "csv: the column holding the two classes.")
    positive: str | None = option(None, "csv: the label value of the positive class.")
    pos_weight: float | str | None = option(
        None,
        "Weight of the positive class: a number, or 'balanced' (negatives / positives).",
        check=_pos_weight,
    )
    samples: int = option(64, "random: training samples. [64]", kind="int", check=int_at_least(2))
    features: int = option(
        1000, "random: features per sample. [1000]", kind="int", check=int_at_least(1)
    )
    logits: bool = option(False, "Logit output with BCE-with-logits (not sigmoid).", kind="flag")
    data_dir: str | None = option(None, "mnist-pair: a folder of MNIST IDX files.", kind="dir")
    monitor: str = option("auc", "Validation metric to watch.", choices=MONITORS)


register_task("binary", BinaryOptions, required=("dataset",))


@task_function(BinaryOptions)
@_common.one_blas_thread
def binary(
    given: dict[str, Any], *, resume: str | os.PathLike[str] | None, callbacks: Sequence[Callback]
) -> TaskResult:
    """Binary classification with AUC every epoch; returns train_auc and test_auc.

    dataset: "mnist-pair" (digits `pos` vs `neg`), "csv" (`path`, `label` column;
    `positive` names the positive label) or "random" (`samples` training samples of
    `features` random features, random labels). Other options as `fcnet binary --help`.
    """
    name = check_choice("--dataset", given.get("dataset", "mnist-pair"), DATASETS)
    run = start_run("binary", BinaryOptions, given, resume, DATASET_DEFAULTS[name])
    o = run.options
    data = load_data(o)
    x_train, y_train = data["train"]
    weights, pos_weight = _sample_weights(o["pos_weight"], y_train)

    d = x_train.shape[1]
    if run.resuming:
        spec = reader.read_spec(run.out_dir)
    else:
        base = NetSpec(
            input_size=d,
            output_size=1,
            output_activation="none" if o["logits"] else "sigmoid",
            loss="bce_with_logits" if o["logits"] else "bce",
        )
        spec = resolve_spec(
            o, run.sources, run.config, base=base, losses=("bce", "bce_with_logits")
        )
    model = _common.build_model(run, spec)
    evals = {"train": data["train"], "val": data["val"], "test": data["test"]}
    history = _common.fit_model(
        run,
        model,
        x_train,
        y_train,
        evals=evals,
        scorer=score,
        monitor=o["monitor"],
        sample_weights=weights,
        callbacks=callbacks,
    )
    from fcnet.metrics import roc_auc, roc_curve, threshold_table

    probs = {k: probabilities(model, x) for k, (x, _) in evals.items()}
    metrics = {
        "train_auc": roc_auc(y_train, probs["train"]),
        "val_auc": roc_auc(data["val"][1], probs["val"]),
        "test_auc": roc_auc(data["test"][1], probs["test"]),
        "test_accuracy": float(np.mean((probs["test"] >= 0.5) == (data["test"][1] > 0.5))),
    }
    y_test = data["test"][1]
    table = threshold_table(y_test, probs["test"], THRESHOLDS)
    curves = {k: roc_curve(evals[k][1], probs[k]) for k in ("train", "test")}
    from fcnet.plots import network_title

    title = _("{positive} vs {negative}, {network}").format(
        positive=data["classes"][1], negative=data["classes"][0], network=network_title(model)
    )
    files = [
        run.plot("loss_curves", "loss.png", history.records, title=title),
        run.plot(
            "roc",
            "roc.png",
            {k: (c[0], c[1]) for k, c in curves.items()},
            aucs={k: metrics[f"{k}_auc"] for k in curves},
            title=title,
        ),
        run.plot("auc_curve", "auc.png", history.records, title=title),
    ]
    drawn = [p for p in files if p is not None]
    run.write_text("thresholds.txt", threshold_text(table))
    notes = [threshold_text(table).rstrip()]
    notes += overfitting_notes(o["dataset"], metrics, len(x_train), model)
    if drawn:
        notes.append(_("plots: {names}").format(names=", ".join(p.name for p in drawn)))
    details = {
        "dataset": o["dataset"],
        "classes": data["classes"],
        "sizes": {k: len(v[1]) for k, v in evals.items()},
        "positives": {k: int(v[1].sum()) for k, v in evals.items()},
        "pos_weight": pos_weight,
        "thresholds": table,
    }
    return finish(run, model, history, metrics, details, notes)


def evaluate_run(
    model: Model, options: dict[str, Any], data_dir: str | os.PathLike[str] | None = None
) -> dict[str, float]:
    """A saved binary run's train and test AUC and test accuracy again."""
    from fcnet.metrics import roc_auc

    o = dict(options)
    if data_dir is not None:
        if o["dataset"] != "mnist-pair":
            raise ValueError(
                _("--data-dir: only for mnist-pair runs, this is {dataset!r}").format(
                    dataset=o["dataset"]
                )
            )
        o["data_dir"] = str(data_dir)
    data = load_data(o)
    out = {}
    for name in ("train", "test"):
        x, y = data[name]
        out[f"{name}_auc"] = roc_auc(y, probabilities(model, x))
    x, y = data["test"]
    out["test_accuracy"] = float(np.mean((probabilities(model, x) >= 0.5) == (y > 0.5)))
    return out


def probabilities(model: Model, x: np.ndarray) -> np.ndarray:
    """P(positive) per sample, (n,) float64: the sigmoid output, or sigmoid of the logits."""
    out = model.predict(x).astype(np.float64).reshape(-1)
    if model.spec.output_activation == "sigmoid":
        return out
    return 0.5 * (np.tanh(0.5 * out) + 1.0)


def score(model: Model, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The loss and accuracy (model.evaluate) and the ROC AUC."""
    from fcnet.metrics import roc_auc

    out = {k: float(v) for k, v in model.evaluate(x, y).items()}
    out["auc"] = roc_auc(y, probabilities(model, x))
    return out


def _sample_weights(value: Any, y: np.ndarray) -> tuple[np.ndarray | None, float | None]:
    if value is None:
        return None, None
    n_pos = float(y.sum())
    w = (len(y) - n_pos) / n_pos if value == "balanced" else _pos_weight("--pos-weight", value)
    return np.where(y > 0.5, w, 1.0), w


def load_data(o: dict[str, Any]) -> dict[str, Any]:
    """The train/val/test splits as (x float32 (n, d), y float32 (n,)) and the class names."""
    from fcnet.data.synthetic import digit_pair, random_binary

    rng = _common.stream(o["seed"], "data")
    split = _common.stream(o["seed"], "split")
    if o["dataset"] == "random":
        n, d = o["samples"], o["features"]
        return {
            "train": random_binary(n, d, rng),
            "val": random_binary(HELD_OUT_RANDOM, d, rng),
            "test": random_binary(HELD_OUT_RANDOM, d, rng),
            "classes": ["0", "1"],
        }
    if o["dataset"] == "mnist-pair":
        from fcnet.data.mnist import load_mnist

        x_all, y_all = load_mnist("train", o["data_dir"])
        x_tr, y_tr = digit_pair(x_all, y_all, o["pos"], o["neg"])
        x_te, y_te = digit_pair(*load_mnist("test", o["data_dir"]), o["pos"], o["neg"])
        order = split.permutation(len(x_tr))
        n_val = len(x_tr) // 10
        val, keep = order[:n_val], np.sort(order[n_val:])
        return {
            "train": (x_tr[keep], y_tr[keep]),
            "val": (x_tr[val], y_tr[val]),
            "test": (x_te, y_te),
            "classes": [str(o["neg"]), str(o["pos"])],
        }
    return _csv_splits(o, split)


def _csv_splits(o: dict[str, Any], split: np.random.Generator) -> dict[str, Any]:
    from fcnet.data.csv import load_csv, standardize

    if o["path"] is None or o["label"] is None:
        raise ValueError(_("--dataset csv: needs --path FILE and --label COLUMN"))
    data = load_csv(o["path"], o["label"], positive=o["positive"])
    n = len(data.y)
    order = split.permutation(n)
    n_test, n_val = n // 5, n // 5
    parts = {
        "test": order[:n_test],
        "val": order[n_test : n_test + n_val],
        "train": order[n_test + n_val :],
    }
    for name, idx in parts.items():
        y = data.y[idx]
        if len(idx) == 0 or y.min() == y.max():
            raise ValueError(
                _(
                    "{path}: too few rows of each class to split 60/20/20 into train, validation "
                    "and test sets with both classes in each ({name} has {positives} positive of "
                    "{n_idx})"
                ).format(path=o["path"], name=name, positives=int(y.sum()), n_idx=len(idx))
            )
    x_train, mean, std = standardize(data.x[parts["train"]])
    out: dict[str, Any] = {"train": (x_train, data.y[parts["train"]])}
    for name in ("val", "test"):
        out[name] = (standardize(data.x[parts[name]], mean, std)[0], data.y[parts[name]])
    out["classes"] = list(data.classes)
    out["features"] = list(data.features)
    return out


def threshold_text(table: list[dict[str, float]]) -> str:
    """The threshold table (test set) as aligned text."""
    lines = [
        _("test set: predict positive when P >= threshold"),
        f"{'threshold':>9} {'precision':>9} {'recall':>9} {'f1':>9} {'predicted+':>10}",
    ]
    for r in table:
        lines.append(
            f"{r['threshold']:>9.2f} {r['precision']:>9.4f} {r['recall']:>9.4f} "
            f"{r['f1']:>9.4f} {r['predicted_positive']:>10}"
        )
    return "\n".join(lines) + "\n"


def overfitting_notes(
    dataset: str, metrics: dict[str, float], n_train: int, model: Model
) -> list[str]:
    """Say so when the training AUC runs far ahead of the test AUC."""
    train_auc, test_auc = metrics["train_auc"], metrics["test_auc"]
    params = sum(int(np.prod(v.shape)) for v in model.get_weights().values())
    if dataset == "random":
        return [
            _(
                "Over-fitting, as the course text shows: the labels are random, so there is "
                "nothing to learn, yet the network ({params:,} parameters for {n_train} "
                "samples) memorised the training set (train AUC {train_auc:.3f}) while on new "
                "samples it does no better than chance (test AUC {test_auc:.3f}, 0.5 is a coin "
                "toss). A high training score proves nothing: judge a model on data it has "
                "not seen."
            ).format(params=params, n_train=n_train, train_auc=train_auc, test_auc=test_auc)
        ]
    if train_auc - test_auc > 0.05:
        return [
            _(
                "Over-fitting: train AUC {train_auc:.3f} against test AUC {test_auc:.3f}. "
                "Try fewer parameters, --weight-decay, --dropout, more data, or "
                "--early-stopping --monitor auc."
            ).format(train_auc=train_auc, test_auc=test_auc)
        ]
    return []


__all__ = [
    "DATASETS",
    "DATASET_DEFAULTS",
    "BinaryOptions",
    "binary",
    "evaluate_run",
    "probabilities",
]
