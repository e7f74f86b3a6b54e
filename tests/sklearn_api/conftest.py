"""Small data sets for the scikit-learn estimator tests (bundled with scikit-learn)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, make_classification, make_regression


@pytest.fixture(scope="session")
def cancer():
    """Breast cancer (569 x 30, two classes), bundled with scikit-learn."""
    return load_breast_cancer(return_X_y=True)


@pytest.fixture(scope="session")
def blobs3():
    """A three-class problem, 150 x 6, that a small net separates in a few epochs."""
    X, y = make_classification(
        n_samples=150, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X, y


@pytest.fixture(scope="session")
def regression2():
    """Two targets, 120 x 5, scaled to unit size."""
    X, y = make_regression(n_samples=120, n_features=5, n_targets=2, noise=0.1, random_state=0)
    return X, y / np.std(y, axis=0)
