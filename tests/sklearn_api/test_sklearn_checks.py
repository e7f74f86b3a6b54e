"""scikit-learn's own estimator checks, run on both estimators through parametrize_with_checks.

The instances are small (16 hidden units, a higher learning rate, at most 60 epochs) so
the checks run in seconds; the estimators themselves are not changed.

With their defaults the estimators compute and answer in the floating dtype of the data
they are fitted on (as scikit-learn's own do), so every check passes with no expected
failure (float64 data, the checks' own, is computed in float64). dtype="float32" keeps
two checks that assume float64 as expected failures (a documented choice of that setting):
check_sample_weight_equivalence_on_dense_data (weighted and repeated fits agree to
float32 rounding, the check asks for rtol 1e-7) and check_regressor_multioutput (it
asserts float64 predictions).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from fcnet.sklearn import FCNetClassifier, FCNetRegressor

# max_iter=60 ends before convergence on purpose (speed): that warning is expected here
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=60)
FORCED_FLOAT32 = {
    "check_sample_weight_equivalence_on_dense_data": (
        "dtype='float32' set: weighted and repeated fits agree to float32 rounding, the "
        "check asks for rtol 1e-7 (it passes with dtype='float64')"
    ),
    "check_regressor_multioutput": (
        "dtype='float32' set: predictions are float32, the check asks for float64 "
        "(it passes with dtype='float64')"
    ),
}


def _expected_failures(estimator) -> dict[str, str]:
    return FORCED_FLOAT32 if estimator.dtype == "float32" else {}


@parametrize_with_checks(
    [
        FCNetClassifier(**FAST),
        FCNetRegressor(**FAST),
        FCNetClassifier(**FAST, dtype="float32"),
        FCNetRegressor(**FAST, dtype="float32"),
    ],
    expected_failed_checks=_expected_failures,
    xfail_strict=True,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_array_api_input_check_with_scipy_array_api(tmp_path):
    """check_array_api_input skips itself unless SCIPY_ARRAY_API=1 is set before scipy is
    imported; here it runs, for both estimators, in a fresh interpreter that sets it."""
    code = (
        "from sklearn.utils.estimator_checks import check_array_api_input\n"
        "from fcnet.sklearn import FCNetClassifier, FCNetRegressor\n"
        f"for est in (FCNetClassifier(**{FAST!r}), FCNetRegressor(**{FAST!r})):\n"
        "    check_array_api_input(type(est).__name__, est, array_namespace='numpy',\n"
        "                          expect_only_array_outputs=False)\n"
        "print('checked')\n"
    )
    env = {**os.environ, "SCIPY_ARRAY_API": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "checked"


def test_check_estimator_as_a_user_calls_it():
    """`check_estimator(FCNetClassifier())` with every default, no expected failure given:
    what the docs promise a user who runs it."""
    from sklearn.utils.estimator_checks import check_estimator

    for est in (FCNetClassifier(), FCNetRegressor()):
        check_estimator(est)
