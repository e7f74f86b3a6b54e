"""The estimators inside scikit-learn's machinery: Pipeline, GridSearchCV, cross_val_score,
clone, set_output(transform="pandas"), get_params/set_params."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from fcnet.sklearn import FCNetClassifier, FCNetRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = dict(hidden_layer_sizes=(16,), max_iter=20, learning_rate_init=0.01, random_state=0)


def test_pipeline_with_standard_scaler(cancer):
    X, y = cancer
    pipe = Pipeline([("scale", StandardScaler()), ("net", FCNetClassifier(**SMALL))])
    pipe.fit(X[:400], y[:400])
    assert pipe.score(X[400:], y[400:]) > 0.9
    assert pipe.predict_proba(X[400:]).shape == (len(X) - 400, 2)


def test_cross_val_score_roc_auc(cancer):
    X, y = cancer
    scores = cross_val_score(
        make_pipeline(StandardScaler(), FCNetClassifier(**SMALL)), X, y, cv=3, scoring="roc_auc"
    )
    assert scores.shape == (3,)
    assert scores.min() > 0.95


def test_grid_search_in_two_processes(cancer):
    X, y = cancer
    grid = GridSearchCV(
        make_pipeline(StandardScaler(), FCNetClassifier(**SMALL)),
        {
            "fcnetclassifier__hidden_layer_sizes": [(4,), (16,)],
            "fcnetclassifier__alpha": [0.0, 1.0],
        },
        cv=2,
        n_jobs=2,
    )
    grid.fit(X, y)
    assert set(grid.cv_results_["params"][0]) == {
        "fcnetclassifier__hidden_layer_sizes",
        "fcnetclassifier__alpha",
    }
    assert len(grid.cv_results_["mean_test_score"]) == 4
    assert grid.best_score_ > 0.9
    assert grid.best_estimator_[-1].n_features_in_ == 30


def test_clone_copies_parameters_not_the_fit(blobs3):
    X, y = blobs3
    est = FCNetClassifier(**SMALL, dropout=0.1, solver="adamw").fit(X, y)
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "model_") and not hasattr(copy, "classes_")


def test_get_params_set_params_round_trip():
    est = FCNetRegressor()
    params = est.get_params()
    assert params["hidden_layer_sizes"] == (100,) and params["max_iter"] == 200
    assert params["dtype"] is None and params["backend"] == "numpy"  # None: the data's dtype
    changed = {"hidden_layer_sizes": (8, 4), "alpha": 0.5, "solver": "sgd", "dropout": 0.2}
    assert est.set_params(**changed) is est
    assert {k: est.get_params()[k] for k in changed} == changed
    again = FCNetRegressor(**est.get_params())
    assert again.get_params() == est.get_params()


def test_set_output_pandas_pipeline_keeps_feature_names(cancer):
    X, y = cancer
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    pipe = make_pipeline(StandardScaler(), FCNetClassifier(**SMALL)).set_output(transform="pandas")
    pipe.fit(frame, y)
    net = pipe[-1]
    assert list(net.feature_names_in_) == list(frame.columns)
    assert pipe.predict(frame).shape == (len(frame),)
    with pytest.raises(ValueError, match="feature names"):
        pipe.predict(frame.rename(columns={"f0": "other"}))


def test_regressor_in_pipeline_and_cross_val(regression2):
    X, y = regression2
    scores = cross_val_score(
        make_pipeline(StandardScaler(), FCNetRegressor(**{**SMALL, "max_iter": 100})), X, y, cv=3
    )
    assert scores.min() > 0.8
    assert np.all(np.isfinite(scores))
