"""fcnet.metrics against scikit-learn, on random cases with ties, plus the error messages."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics as sk_metrics  # a test dependency: required, never skipped

from fcnet import metrics


def _random_case(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A binary case with both classes: various sizes, imbalance, ties and label dtypes."""
    n = int(rng.choice([2, 3, 5, 10, 37, 100, 1000, 3000]))
    p = float(rng.choice([0.5, 0.1, 0.02, 0.9]))
    y = rng.random(n) < p
    y[rng.integers(n)] = True
    y[rng.integers(n)] = False
    if y.all() or not y.any():  # the two forced labels hit the same index
        y[0], y[-1] = True, False
    kind = rng.integers(5)
    if kind == 0:  # continuous, no ties
        s = rng.normal(size=n) + y
    elif kind == 1:  # heavy ties: a handful of distinct values
        s = rng.integers(0, int(rng.integers(1, 6)), size=n).astype(np.float64)
    elif kind == 2:  # rounded probabilities
        s = np.round(rng.random(n) * 0.5 + 0.5 * y, int(rng.integers(1, 3)))
    elif kind == 3:  # float32 logits, some ties
        s = np.round(rng.normal(size=n) * 3, 1).astype(np.float32)
    else:  # all scores equal
        s = np.full(n, 0.25)
    label_dtype = [bool, np.int64, np.float32, np.float64][int(rng.integers(4))]
    return y.astype(label_dtype), s


def test_roc_auc_equals_sklearn_on_1000_random_cases_with_ties():
    rng = np.random.default_rng(20261127)
    worst = 0.0
    for _ in range(1000):
        y, s = _random_case(rng)
        ours = metrics.roc_auc(y, s)
        theirs = sk_metrics.roc_auc_score(y, s)
        worst = max(worst, abs(ours - theirs))
        assert ours == pytest.approx(theirs, abs=1e-12), (y, s)
    assert worst <= 1e-12


def test_roc_curve_equals_sklearn_without_drop_intermediate():
    rng = np.random.default_rng(7)
    for _ in range(200):
        y, s = _random_case(rng)
        fpr, tpr, thr = metrics.roc_curve(y, s)
        sk_fpr, sk_tpr, sk_thr = sk_metrics.roc_curve(y, s, drop_intermediate=False)
        np.testing.assert_allclose(fpr, sk_fpr, rtol=0, atol=1e-15)
        np.testing.assert_allclose(tpr, sk_tpr, rtol=0, atol=1e-15)
        np.testing.assert_array_equal(thr, sk_thr)
        # The area under our own curve is our rank-based AUC.
        assert np.trapezoid(tpr, fpr) == pytest.approx(metrics.roc_auc(y, s), abs=1e-12)


def test_roc_auc_hand_worked_example():
    # Pairs (pos, neg): 0.35 > 0.1 yes, 0.35 > 0.4 no, 0.8 beats both: 3 of 4 pairs.
    assert metrics.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    # A tie between the only positive and the only negative counts one half.
    assert metrics.roc_auc([1, 0], [0.5, 0.5]) == 0.5
    # Perfect and reversed rankings; infinite scores still rank.
    assert metrics.roc_auc([0, 1, 1], [-np.inf, 2.0, np.inf]) == 1.0
    assert metrics.roc_auc([1, 0, 0], [0.0, 1.0, 2.0]) == 0.0


def test_roc_curve_shape_and_ends():
    fpr, tpr, thr = metrics.roc_curve([0, 1, 0, 1], np.array([[0.1], [0.9], [0.9], [0.3]]))
    assert thr[0] == np.inf
    np.testing.assert_array_equal(thr[1:], [0.9, 0.3, 0.1])
    np.testing.assert_array_equal(fpr, [0, 0.5, 0.5, 1.0])
    np.testing.assert_array_equal(tpr, [0, 0.5, 1.0, 1.0])


@pytest.mark.parametrize(
    ("y", "s", "match"),
    [
        ([1, 1, 1], [0.1, 0.2, 0.3], r"both classes.*only positive"),
        ([0, 0], [0.1, 0.2], r"both classes.*only negative"),
        ([], [], r"at least one sample"),
        ([0, 1, 1], [0.1, np.nan, 0.3], r"no NaN.*index 1"),
        ([0, 1], [0.1, 0.2, 0.3], r"same length, got 2 and 3"),
        ([0, 1, 2], [0.1, 0.2, 0.3], r"binary labels 0 and 1, got 2 at index 2"),
        ([0, 0.5, 1], [0.1, 0.2, 0.3], r"binary labels 0 and 1, got 0.5"),
        ([-1, 1], [0.1, 0.2], r"binary labels"),
        (["a", "b"], [0.1, 0.2], r"dtype"),
        ([0, 1], ["x", "y"], r"real-valued scores"),
        ([[0, 1], [1, 0]], [0.1, 0.2], r"1-D array.*shape \(2, 2\)"),
    ],
)
def test_roc_errors_are_clear(y, s, match):
    with pytest.raises(ValueError, match=match):
        metrics.roc_auc(y, s)
    with pytest.raises(ValueError, match=match):
        metrics.roc_curve(y, s)


def test_accuracy_labels_and_scores():
    assert metrics.accuracy([0, 1, 2, 2], [0, 1, 1, 2]) == 0.75
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 1.0], [5.0, 0.0, 0.0]])
    assert metrics.accuracy([0, 1, 2, 2], logits) == 0.75
    with pytest.raises(ValueError, match="same length, got 2 and 3"):
        metrics.accuracy([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="at least one sample"):
        metrics.accuracy([], [])


def test_confusion_and_precision_recall_f1_match_sklearn():
    rng = np.random.default_rng(3)
    for k in (2, 3, 10):
        y = rng.integers(0, k, size=500)
        noisy = np.where(rng.random(500) < 0.7, y, rng.integers(0, k, size=500))
        cm = metrics.confusion_matrix(y, noisy, n_classes=k)
        np.testing.assert_array_equal(
            cm, sk_metrics.confusion_matrix(y, noisy, labels=np.arange(k))
        )
        assert cm.dtype == np.int64
        prf = metrics.precision_recall_f1(cm)
        p, r, f, support = sk_metrics.precision_recall_fscore_support(
            y, noisy, labels=np.arange(k), zero_division=0
        )
        np.testing.assert_allclose(prf["precision"], p, atol=1e-15)
        np.testing.assert_allclose(prf["recall"], r, atol=1e-15)
        np.testing.assert_allclose(prf["f1"], f, atol=1e-15)
        np.testing.assert_array_equal(prf["support"], support)
        assert prf["macro_f1"] == pytest.approx(
            sk_metrics.f1_score(y, noisy, average="macro", zero_division=0), abs=1e-15
        )
        assert prf["macro_precision"] == pytest.approx(p.mean(), abs=1e-15)
        assert prf["macro_recall"] == pytest.approx(r.mean(), abs=1e-15)
        assert prf["accuracy"] == pytest.approx(metrics.accuracy(y, noisy), abs=1e-15)


def test_confusion_hand_worked_and_absent_class():
    cm = metrics.confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1])
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [0, 1, 0]])
    prf = metrics.precision_recall_f1(cm)
    # Class 2 is never predicted: precision 0/0 counts as 0, recall 0/1 = 0.
    np.testing.assert_allclose(prf["precision"], [1.0, 1 / 3, 0.0])
    np.testing.assert_allclose(prf["recall"], [0.5, 1.0, 0.0])
    np.testing.assert_allclose(prf["f1"], [2 / 3, 0.5, 0.0])
    assert metrics.confusion_matrix([0, 1], [1, 1], n_classes=4).shape == (4, 4)


@pytest.mark.parametrize(
    ("y", "p", "kwargs", "match"),
    [
        ([0, 3], [0, 1], {"n_classes": 3}, r"labels 0..2, got label 3"),
        ([0, -1], [0, 1], {}, r"labels >= 0, got -1"),
        ([0, 1.5], [0, 1], {}, r"integer class labels"),
        ([0, 1], [0, 1, 1], {}, r"same length"),
        ([0, 1], [0, 1], {"n_classes": 0}, r"n_classes: expected an integer >= 1"),
    ],
)
def test_confusion_errors(y, p, kwargs, match):
    with pytest.raises(ValueError, match=match):
        metrics.confusion_matrix(y, p, **kwargs)


def test_precision_recall_f1_rejects_non_square():
    with pytest.raises(ValueError, match=r"square.*shape \(2, 3\)"):
        metrics.precision_recall_f1(np.zeros((2, 3)))


def test_threshold_table_matches_sklearn_at_each_threshold():
    rng = np.random.default_rng(5)
    y = rng.random(400) < 0.3
    probs = np.clip(rng.random(400) * 0.7 + 0.3 * y, 0, 1)
    probs[:10] = 0.5  # scores exactly on a threshold count as positive
    rows = metrics.threshold_table(y, probs)
    assert [r["threshold"] for r in rows] == [0.1, 0.3, 0.5, 0.7, 0.9]
    for row in rows:
        pred = probs >= row["threshold"]
        assert row["predicted_positive"] == int(pred.sum())
        assert row["precision"] == pytest.approx(
            sk_metrics.precision_score(y, pred, zero_division=0), abs=1e-15
        )
        assert row["recall"] == pytest.approx(sk_metrics.recall_score(y, pred), abs=1e-15)
        assert row["f1"] == pytest.approx(sk_metrics.f1_score(y, pred, zero_division=0), abs=1e-15)
    with pytest.raises(ValueError, match="thresholds"):
        metrics.threshold_table(y, probs, thresholds=())
