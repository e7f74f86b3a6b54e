"""Classification metrics: accuracy, confusion matrix, precision/recall/F1, ROC AUC, ROC curve.

fcnet's own, in numpy, vectorised (no Python loop over samples), and checked against
scikit-learn in the tests. Bad input raises ValueError with one line saying what was
expected and what came.

ROC AUC is rank based: it is the Mann-Whitney U statistic divided by (positives x
negatives), the probability that a random positive scores above a random negative, a
tie counting one half (ties get average ranks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "accuracy",
    "confusion_matrix",
    "precision_recall_f1",
    "roc_auc",
    "roc_curve",
    "threshold_table",
]


# --------------------------------------------------------------------------- checks


def _vector(a: ArrayLike, name: str) -> np.ndarray:
    """`a` as a 1-D array; a column (n, 1) is flattened, anything else is an error."""
    arr = np.asarray(a)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{name}: expected a 1-D array (n,) or a column (n, 1), got shape {arr.shape}"
        )
    return arr


def _same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_a} and {name_b}: expected the same length, got {a.shape[0]} and {b.shape[0]}"
        )


def _binary_labels(y_true: ArrayLike, name: str = "y_true") -> np.ndarray:
    """Labels as a bool array: bool, or int/float holding only 0 and 1."""
    y = _vector(y_true, name)
    if y.dtype == np.bool_:
        return y
    if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
        raise ValueError(
            f"{name}: expected binary labels (bool, or numbers 0 and 1), got dtype {y.dtype}"
        )
    positive = y == 1
    bad = ~(positive | (y == 0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name}: expected binary labels 0 and 1, got {y[first].item()!r} at index {first}"
            " (for several classes use confusion_matrix / precision_recall_f1)"
        )
    return positive


def _scores(scores: ArrayLike, name: str = "scores") -> np.ndarray:
    """Scores as a 1-D float array without NaN (infinities are fine: they still rank)."""
    s = _vector(scores, name)
    if s.dtype == np.bool_ or np.issubdtype(s.dtype, np.integer):
        s = s.astype(np.float64)
    elif not np.issubdtype(s.dtype, np.floating):
        raise ValueError(f"{name}: expected real-valued scores, got dtype {s.dtype}")
    nan = np.isnan(s)
    if nan.any():
        raise ValueError(
            f"{name}: expected no NaN, got {int(nan.sum())} NaN value(s), the first at index "
            f"{int(np.flatnonzero(nan)[0])} (did training diverge?)"
        )
    return s


def _binary_pair(y_true: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = _binary_labels(y_true)
    s = _scores(scores)
    _same_length(y, s, "y_true", "scores")
    if y.shape[0] == 0:
        raise ValueError("y_true: expected at least one sample, got an empty array")
    n_pos = int(np.count_nonzero(y))
    if n_pos == 0 or n_pos == y.shape[0]:
        only = "positive (1)" if n_pos else "negative (0)"
        raise ValueError(
            f"y_true: ROC AUC needs both classes, got only {only} labels in {y.shape[0]} sample(s)"
        )
    return y, s


def _class_labels(a: ArrayLike, name: str) -> np.ndarray:
    """Integer class labels >= 0 as int64 (bools and integral floats accepted)."""
    arr = _vector(a, name)
    if arr.dtype == np.bool_:
        return arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name}: expected integer class labels, got non-integral values")
        arr = arr.astype(np.int64)
    elif not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name}: expected integer class labels, got dtype {arr.dtype}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name}: expected class labels >= 0, got {int(arr.min())}")
    return arr.astype(np.int64, copy=False)


# --------------------------------------------------------------------------- multi-class


def accuracy(y_true: ArrayLike, y_pred_labels: ArrayLike) -> float:
    """Fraction of samples whose predicted label equals the true one.

    `y_pred_labels` is (n,) labels; a 2-D array of per-class scores (n, k) with k > 1
    (logits or probabilities) is reduced by argmax over axis 1 first.
    """
    pred = np.asarray(y_pred_labels)
    if pred.ndim == 2 and pred.shape[1] > 1:
        pred = pred.argmax(axis=1)
    yt = _vector(y_true, "y_true")
    yp = _vector(pred, "y_pred_labels")
    _same_length(yt, yp, "y_true", "y_pred_labels")
    if yt.shape[0] == 0:
        raise ValueError("y_true: expected at least one sample, got 0")
    return float(np.mean(yt == yp))


def confusion_matrix(
    y_true: ArrayLike, y_pred: ArrayLike, n_classes: int | None = None
) -> np.ndarray:
    """Counts (n_classes, n_classes) int64: row = true class, column = predicted class.

    Labels are integers 0 .. n_classes - 1; n_classes defaults to the largest label + 1.
    One np.bincount over `true * n_classes + pred`, no loop.
    """
    yt = _class_labels(y_true, "y_true")
    yp = _class_labels(y_pred, "y_pred")
    _same_length(yt, yp, "y_true", "y_pred")
    seen = int(max(yt.max(initial=-1), yp.max(initial=-1))) + 1
    if n_classes is None:
        n_classes = max(seen, 1)
    else:
        if isinstance(n_classes, bool) or int(n_classes) != n_classes or n_classes < 1:
            raise ValueError(f"n_classes: expected an integer >= 1, got {n_classes!r}")
        n_classes = int(n_classes)
        if seen > n_classes:
            raise ValueError(f"n_classes: expected labels 0..{n_classes - 1}, got label {seen - 1}")
    counts = np.bincount(yt * n_classes + yp, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes).astype(np.int64, copy=False)


def precision_recall_f1(confusion: ArrayLike) -> dict[str, Any]:
    """Per-class precision, recall, F1 and support from a confusion matrix, with macro means.

    precision_c = cm[c, c] / column sum, recall_c = cm[c, c] / row sum,
    f1_c = 2 p r / (p + r); a 0/0 counts as 0 (scikit-learn's zero_division default).
    Macro averages are the plain means over classes (macro F1 is the mean of the per-class
    F1, as scikit-learn computes it). Returns arrays "precision", "recall", "f1",
    "support" (true count per class) and floats "macro_precision", "macro_recall",
    "macro_f1", "accuracy".
    """
    cm = np.asarray(confusion)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise ValueError(f"confusion: expected a square (k, k) matrix, got shape {cm.shape}")
    if np.any(cm < 0):
        raise ValueError("confusion: expected non-negative counts, got a negative entry")
    cm = cm.astype(np.float64)
    tp = np.diag(cm)
    predicted = cm.sum(axis=0)
    actual = cm.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(actual > 0, tp / actual, 0.0)
        denom = precision + recall
        f1 = np.where(denom > 0, 2 * precision * recall / denom, 0.0)
    total = cm.sum()
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": actual.astype(np.int64),
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1.mean()),
        "accuracy": float(tp.sum() / total) if total > 0 else 0.0,
    }


# --------------------------------------------------------------------------- binary


def roc_auc(y_true: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve, via ranks (Mann-Whitney U), ties as average ranks.

    AUC = U / (P N), where U counts the (positive, negative) pairs with the positive
    scored higher, a tie counting 1/2. Positives' and negatives' scores are sorted
    apart, then for every positive two binary searches in the sorted negatives give
    the negatives strictly below it (left) and at most equal to it (right):
    2U = sum(left + right), an exact integer, so the only rounding is the final
    division. O(n log n).

    y_true: (n,) bool or 0/1 numbers; scores: (n,) real, higher means more positive.
    Both classes must be present; NaN scores are an error.

    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y, s = _binary_pair(y_true, scores)
    pos = np.sort(s[y])  # (P,)
    neg = np.sort(s[~y])  # (N,)
    below = np.searchsorted(neg, pos, side="left")  # negatives strictly below each positive
    at_most = np.searchsorted(neg, pos, side="right")  # ... below or tied
    twice_u = int(below.sum(dtype=np.int64)) + int(at_most.sum(dtype=np.int64))
    return twice_u / (2.0 * pos.shape[0] * neg.shape[0])


def roc_curve(y_true: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC curve (fpr, tpr, thresholds), one point per distinct score.

    Thresholds decrease; the first point is (0, 0) at threshold +inf, the last (1, 1) at
    the lowest score. A sample is predicted positive when its score >= the threshold.
    Same points as scikit-learn's roc_curve(..., drop_intermediate=False).
    """
    y, s = _binary_pair(y_true, scores)
    order = np.argsort(s, kind="stable")[::-1]  # descending
    s_sorted = s[order]  # (n,)
    y_sorted = y[order]
    last_of_group = np.r_[np.flatnonzero(np.diff(s_sorted)), s_sorted.shape[0] - 1]
    tps = np.cumsum(y_sorted, dtype=np.int64)[last_of_group]
    fps = last_of_group + 1 - tps
    tps = np.r_[0, tps]
    fps = np.r_[0, fps]
    fpr = fps / fps[-1]
    tpr = tps / tps[-1]
    thresholds = np.r_[np.inf, s_sorted[last_of_group]]
    return fpr, tpr, thresholds


def threshold_table(
    y_true: ArrayLike,
    probs: ArrayLike,
    thresholds: Sequence[float] = (0.1, 0.3, 0.5, 0.7, 0.9),
) -> list[dict[str, float]]:
    """Precision, recall and F1 when predicting positive for probs >= each threshold.

    Returns one dict per threshold: {"threshold", "precision", "recall", "f1",
    "predicted_positive"}; precision is 0 when nothing is predicted positive.
    Counts come from binary searches in the sorted scores, no loop over samples.
    """
    y = _binary_labels(y_true)
    p = _scores(probs, "probs")
    _same_length(y, p, "y_true", "probs")
    t = np.asarray(thresholds, dtype=np.float64)
    if t.ndim != 1 or t.size == 0 or np.isnan(t).any():
        raise ValueError(f"thresholds: expected a non-empty list of numbers, got {thresholds!r}")
    all_sorted = np.sort(p)
    pos_sorted = np.sort(p[y])
    predicted = all_sorted.shape[0] - np.searchsorted(all_sorted, t, side="left")  # (k,)
    tp = pos_sorted.shape[0] - np.searchsorted(pos_sorted, t, side="left")  # (k,)
    n_pos = pos_sorted.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(n_pos > 0, tp / max(n_pos, 1), 0.0)
        denom = precision + recall
        f1 = np.where(denom > 0, 2 * precision * recall / denom, 0.0)
    return [
        {
            "threshold": float(t[i]),
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "predicted_positive": int(predicted[i]),
        }
        for i in range(t.shape[0])
    ]
