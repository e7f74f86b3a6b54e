"""What fit and partial_fit do: targets of any label type, multi-output regression, float32,
early stopping with the best weights, convergence, sample weights, and the errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from fcnet.sklearn import FCNetClassifier, FCNetRegressor

SMALL = dict(hidden_layer_sizes=(16,), max_iter=30, learning_rate_init=0.01, random_state=0)
quiet = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# ----- targets ------------------------------------------------------------------------------


@quiet
@pytest.mark.parametrize(
    "labels",
    [np.array(["benign", "malignant"]), np.array([-1, 7]), np.array([False, True])],
    ids=["str", "int", "bool"],
)
def test_binary_labels_of_any_type(cancer, labels):
    X, y = cancer
    X = StandardScaler().fit_transform(X)
    target = labels[y]
    clf = FCNetClassifier(**SMALL).fit(X, target)
    assert list(clf.classes_) == sorted(labels.tolist())
    assert clf.model_.spec.loss == "bce_with_logits" and clf.model_.spec.output_size == 1
    pred = clf.predict(X)
    assert pred.dtype == target.dtype and set(pred) <= set(labels)
    assert clf.score(X, target) > 0.95
    assert clf.decision_function(X).shape == (len(X),)
    proba = clf.predict_proba(X)
    # the positive column is sigmoid(decision_function), the pair sums to 1
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-clf.decision_function(X))), 1e-5)
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-6)


@quiet
def test_multiclass_object_labels(blobs3):
    X, y = blobs3
    names = np.array(["cat", "dog", "emu"], dtype=object)[y]
    clf = FCNetClassifier(**SMALL).fit(X, names)
    assert clf.model_.spec.loss == "cross_entropy" and clf.model_.spec.output_size == 3
    assert list(clf.classes_) == ["cat", "dog", "emu"]
    assert clf.decision_function(X).shape == (150, 3)
    assert np.array_equal(clf.predict(X), clf.classes_[clf.predict_proba(X).argmax(axis=1)])
    assert clf.score(X, names) > 0.7  # chance is 1/3


@quiet
def test_multi_output_regression(regression2):
    X, y = regression2
    reg = FCNetRegressor(**{**SMALL, "max_iter": 150}).fit(X, y)
    assert reg.n_outputs_ == 2 and reg.predict(X).shape == (120, 2)
    assert reg.score(X, y) > 0.9
    one = FCNetRegressor(**SMALL).fit(X, y[:, 0])
    assert one.predict(X).shape == (120,)


@quiet
def test_dtype_follows_the_data_by_default_or_is_fixed_on_request(blobs3):
    """dtype=None (the default) computes and answers in the fitted data's floating dtype,
    as scikit-learn's estimators do; dtype="float32"/"float64" fixes it."""
    X, y = blobs3
    assert X.dtype == np.float64
    clf32 = FCNetClassifier(**SMALL).fit(X.astype(np.float32), y)
    assert clf32.model_.spec.dtype == "float32"
    assert all(w.dtype == np.float32 for w in clf32.model_.get_weights().values())
    assert clf32.predict_proba(X).dtype == np.float32
    clf64 = FCNetClassifier(**SMALL).fit(X, y)
    assert clf64.model_.spec.dtype == "float64"
    assert clf64.predict_proba(X.astype(np.float32)).dtype == np.float64
    ints = FCNetRegressor(**SMALL).fit(np.rint(X * 10).astype(np.int64), X[:, 0])
    assert ints.model_.spec.dtype == "float64"
    fixed = FCNetClassifier(**SMALL, dtype="float32").fit(X, y)
    assert fixed.model_.spec.dtype == "float32" and fixed.predict_proba(X).dtype == np.float32


# ----- the epoch loop -----------------------------------------------------------------------


def test_early_stopping_restores_the_best_epoch(cancer):
    X, y = cancer
    X = StandardScaler().fit_transform(X)
    # a large learning rate: the validation accuracy peaks early and then wanders
    clf = FCNetClassifier(
        hidden_layer_sizes=(64,),
        learning_rate_init=0.05,
        max_iter=60,
        early_stopping=True,
        n_iter_no_change=5,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # it stops: no warning
        clf.fit(X, y)
    scores = clf.validation_scores_
    assert len(scores) == clf.n_iter_ == len(clf.loss_curve_) < 60
    assert clf.best_epoch_ == int(np.argmax(scores)) + 1
    assert clf.best_validation_score_ == max(scores)
    assert clf.best_epoch_ < clf.n_iter_
    assert clf.score(X, y) > 0.95


def test_best_weights_are_those_of_the_best_epoch(cancer):
    X, y = cancer
    X = StandardScaler().fit_transform(X)
    params = dict(hidden_layer_sizes=(32,), learning_rate_init=0.05, random_state=3)
    clf = FCNetClassifier(**params, max_iter=40, early_stopping=True, n_iter_no_change=4)
    clf.fit(X, y)
    assert clf.best_epoch_ < clf.n_iter_
    # the same run (same split, init and shuffles) cut at best_epoch_ epochs
    ref = FCNetClassifier(
        **params, max_iter=clf.best_epoch_, early_stopping=True, n_iter_no_change=1000
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref.fit(X, y)
    assert ref.n_iter_ == clf.best_epoch_
    for k, w in clf.model_.get_weights().items():
        np.testing.assert_array_equal(w, ref.model_.get_weights()[k])


def test_max_iter_ends_with_convergence_warning(blobs3):
    X, y = blobs3
    with pytest.warns(ConvergenceWarning, match=r"max_iter=3 epochs ended"):
        clf = FCNetClassifier(**{**SMALL, "max_iter": 3}).fit(X, y)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3
    assert clf.validation_scores_ is None and clf.best_epoch_ == 3


def test_training_loss_plateau_stops_without_warning(blobs3):
    X, y = blobs3
    clf = FCNetClassifier(**{**SMALL, "max_iter": 500, "tol": 10.0, "n_iter_no_change": 2})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    # the first epoch improves on no loss at all (inf); none after it improves by tol=10,
    # and training stops when more than n_iter_no_change epochs in a row did not (as MLP)
    assert clf.n_iter_ == 1 + 3


def test_verbose_prints_each_epoch_and_the_stop(blobs3, capsys):
    X, y = blobs3
    params = {**SMALL, "max_iter": 50, "tol": 10.0, "n_iter_no_change": 1, "verbose": True}
    clf = FCNetClassifier(**params).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Iteration 1, loss = ")
    assert float(lines[0].split("= ")[1]) == pytest.approx(clf.loss_curve_[0], rel=1e-6)
    assert (
        lines[-1]
        == "Training loss did not improve more than tol=10.0 for 1 consecutive epochs. Stopping."
    )
    assert len(lines) == clf.n_iter_ + 1


@quiet
def test_loss_curve_falls_and_matches_mlp(cancer):
    X, y = cancer
    X = StandardScaler().fit_transform(X)
    ours = FCNetClassifier(hidden_layer_sizes=(32,), max_iter=30, random_state=0).fit(X, y)
    assert ours.loss_curve_[-1] < ours.loss_curve_[0] / 3
    theirs = MLPClassifier(hidden_layer_sizes=(32,), max_iter=30, random_state=0).fit(X, y)
    assert ours.score(X, y) >= theirs.score(X, y) - 0.01


@quiet
def test_partial_fit_is_one_epoch_and_needs_classes(blobs3):
    X, y = blobs3
    clf = FCNetClassifier(**SMALL)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    assert clf.n_iter_ == 1 and list(clf.classes_) == [0, 1, 2]
    steps = clf.t_
    clf.partial_fit(X[50:], y[50:])
    assert clf.n_iter_ == 2 and clf.t_ == steps + 1
    with pytest.raises(ValueError, match=r"labels \[5\] are not in classes_"):
        clf.partial_fit(X[:3], [0, 1, 5])
    with pytest.raises(ValueError, match="early_stopping"):
        FCNetClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])


@quiet
def test_warm_start_continues(blobs3):
    X, y = blobs3
    clf = FCNetClassifier(**{**SMALL, "max_iter": 5, "warm_start": True}).fit(X, y)
    before = clf.model_.get_weights()
    clf.fit(X, y)
    assert clf.n_iter_ == 10 and len(clf.loss_curve_) == 10
    assert any(not np.array_equal(before[k], v) for k, v in clf.model_.get_weights().items())
    with pytest.raises(ValueError, match="warm_start can only be used"):
        clf.fit(X, np.where(y == 2, 1, y))


@quiet
def test_dropout_and_solvers_train(blobs3):
    X, y = blobs3
    for solver in ("adam", "adamw", "sgd", "rmsprop"):
        clf = FCNetClassifier(**SMALL, solver=solver, dropout=0.2).fit(X, y)
        assert clf.model_.spec.optimizer.name == solver
        assert clf.model_.spec.hidden[0].dropout == 0.2
        assert clf.loss_curve_[-1] < clf.loss_curve_[0]


# ----- sample weights -----------------------------------------------------------------------


@quiet
@pytest.mark.filterwarnings("ignore:batch_size=1000 is larger")
def test_integer_weights_equal_repeated_rows_in_float64(blobs3):
    X, y = blobs3
    w = np.random.default_rng(0).integers(0, 4, size=len(y))
    params = dict(SMALL, dtype="float64", batch_size=1000)  # one full batch per epoch
    weighted = FCNetClassifier(**params).fit(X, y, sample_weight=w)
    repeated = FCNetClassifier(**params).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-9)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-9)


@quiet
def test_weights_change_the_fit_and_ones_change_nothing(regression2):
    X, y = regression2
    plain = FCNetRegressor(**SMALL).fit(X, y)
    ones = FCNetRegressor(**SMALL).fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_array_equal(plain.predict(X), ones.predict(X))
    heavy = np.where(np.arange(len(y)) < 20, 100.0, 1.0)
    weighted = FCNetRegressor(**SMALL).fit(X, y, sample_weight=heavy)
    err = lambda m, rows: np.mean((m.predict(X[rows]) - y[rows]) ** 2)  # noqa: E731
    assert err(weighted, slice(0, 20)) < err(plain, slice(0, 20))


def test_sample_weight_errors(blobs3):
    X, y = blobs3
    with pytest.raises(ValueError, match="weight"):
        FCNetClassifier(**SMALL).fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        FCNetClassifier(**SMALL).fit(X, y, sample_weight=-np.ones(len(y)))


# ----- errors in scikit-learn's language ----------------------------------------------------


def test_not_fitted_error(blobs3):
    X, _ = blobs3
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            getattr(FCNetClassifier(), method)(X)
    with pytest.raises(NotFittedError):
        FCNetRegressor().predict(X)
    with pytest.raises(NotFittedError):
        FCNetRegressor().save("never.npz")


@pytest.mark.parametrize(
    "param, value",
    [
        ("alpha", -1.0),
        ("solver", "lbfgs"),
        ("activation", "softplus"),
        ("max_iter", 0),
        ("dropout", 1.0),
        ("backend", "jax"),
        ("dtype", "float16"),
        ("batch_size", "big"),
        ("hidden_layer_sizes", -3),
        ("validation_fraction", 1.0),
    ],
)
def test_bad_parameter_is_a_value_error_naming_it(blobs3, param, value):
    X, y = blobs3
    with pytest.raises(ValueError, match=rf"The '{param}' parameter of FCNetClassifier must be"):
        FCNetClassifier(**{param: value}).fit(X, y)


def test_bad_hidden_layer_entry_names_the_parameter(blobs3):
    X, y = blobs3
    with pytest.raises(ValueError, match=r"'hidden_layer_sizes' parameter .* got 0 at position 1"):
        FCNetClassifier(hidden_layer_sizes=(4, 0)).fit(X, y)


def test_one_class_and_wrong_features(blobs3):
    X, y = blobs3
    with pytest.raises(ValueError, match="only one class"):
        FCNetClassifier(**SMALL).fit(X, np.zeros(len(y)))
    with pytest.warns(ConvergenceWarning):
        clf = FCNetClassifier(**{**SMALL, "max_iter": 1}).fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features, but FCNetClassifier is expecting 6"):
        clf.predict(X[:, :5])


def test_device_is_checked_by_the_backend(blobs3):
    X, y = blobs3
    with pytest.raises(ValueError, match="device"):
        FCNetClassifier(**SMALL, device="cuda").fit(X, y)


# ----- other backends -----------------------------------------------------------------------


@quiet
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_torch_backend_matches_the_numpy_path_in_float64(cancer, blobs3, regression2, task):
    """The numpy path steps on the estimator's weighted loss, torch on its own loss:
    without weights and penalty both are the same mean loss, so the fits agree."""
    X, y = {"binary": cancer, "multiclass": blobs3, "regression": regression2}[task]
    X = StandardScaler().fit_transform(X)[:150]
    y = y[:150]
    cls = FCNetRegressor if task == "regression" else FCNetClassifier
    params = dict(SMALL, max_iter=5, alpha=0.0, dtype="float64")
    ours = cls(**params).fit(X, y)
    theirs = cls(**params, backend="torch").fit(X, y)
    assert theirs.model_.backend == "torch"
    method = "predict" if task == "regression" else "predict_proba"
    np.testing.assert_allclose(getattr(ours, method)(X), getattr(theirs, method)(X), rtol=1e-9)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)


def test_other_backends_refuse_unequal_sample_weights(blobs3):
    X, y = blobs3
    with pytest.raises(ValueError, match="sample_weight: only backend 'numpy' weights samples"):
        FCNetClassifier(**SMALL, backend="torch").fit(X, y, sample_weight=np.arange(len(y)) + 1)
