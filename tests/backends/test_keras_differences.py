"""Why tf_backend corrects Keras: with Keras's stock optimisers the same float64 run drifts
away from torch.optim by far more than rounding. Each case here is a row of the table in
docs/backends.md; if a Keras release ever adopts torch's formula, its test fails and the
correction (and the row) can go."""

from __future__ import annotations

import numpy as np
import pytest
from _backend_cases import batches, small_spec

from fcnet.backends import build
from fcnet.backends.tf_backend import StepSchedule, keras  # quiet TF import first

f64 = np.float64


def _stock(o):
    lr = StepSchedule(o)
    if o.name == "adam":
        return keras.optimizers.Adam(lr, beta_1=f64(o.betas[0]), beta_2=f64(o.betas[1]),
                                     epsilon=f64(o.eps))  # fmt: skip
    if o.name == "rmsprop":
        return keras.optimizers.RMSprop(lr, rho=f64(o.alpha), epsilon=f64(o.eps),
                                        momentum=f64(o.momentum))  # fmt: skip
    return keras.optimizers.SGD(lr, momentum=f64(o.momentum))


def _max_rel_loss_diff(spec, stock: bool) -> float:
    ref, tf_model = build(spec, "torch"), build(spec, "tensorflow")
    if stock:
        tf_model.optimizer = _stock(spec.optimizer)
        tf_model.optimizer.build(tf_model.keras_model.trainable_variables)
        tf_model._train = tf_model._make_train_step()
    worst = 0.0
    for x, y in batches(spec, 100):
        a, b = ref.train_step(x, y), tf_model.train_step(x, y)
        worst = max(worst, abs(a - b) / abs(a))
    return worst


CASES = {
    "adam_epsilon": dict(name="adam", lr=0.01, eps=1e-3),
    "rmsprop_epsilon_inside_sqrt": dict(name="rmsprop", lr=0.01, eps=1e-3),
    "sgd_momentum_under_a_schedule": dict(
        name="sgd", lr=0.05, momentum=0.9, schedule=dict(name="step", step_size=10, gamma=0.3)
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_stock_keras_differs_and_the_correction_agrees(case):
    spec = small_spec("mse", optimizer=CASES[case])
    assert _max_rel_loss_diff(spec, stock=True) > 1e-5
    assert _max_rel_loss_diff(spec, stock=False) < 1e-9
