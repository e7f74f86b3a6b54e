"""Backpropagation against central finite differences (float64), over the whole grid."""

from __future__ import annotations

import numpy as np
import pytest

from fcnet import nn
from fcnet.nn.gradcheck import grid_case
from fcnet.numdiff import relative_error

TOL = 1e-6


def _net(act, loss_name, bias, depth, rng, dropout=0.0):
    """`depth` hidden layers (Linear + activation), then the output Linear (3 outputs)."""
    widths = [*[3, 4, 5, 4][: depth + 1], 3]
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1], bias, rng=rng, dtype="float64"))
        if i < len(widths) - 2:
            layers.append(nn.activation(act))
            if dropout:
                layers.append(nn.Dropout(dropout, rng=rng))
    if loss_name == "bce":
        layers.append(nn.Sigmoid())
    model = nn.Sequential(*layers)
    # Non-zero biases: with zero ones, a sample that ReLU zeroes in a whole layer gives
    # z = 0 exactly in the next, where ReLU has no derivative and a difference quotient
    # straddles the kink.
    for name, p in model.named_parameters():
        if name.endswith("bias"):
            p.data[:] = rng.uniform(-0.5, 0.5, p.data.shape)
    return model


def _targets(loss_name, n, rng):
    if loss_name == "cross_entropy":
        return rng.integers(0, 3, n)
    if loss_name in ("bce", "bce_with_logits"):
        return rng.random((n, 3))
    return rng.standard_normal((n, 3))


@pytest.mark.parametrize("depth", [0, 1, 2, 3])  # hidden layers: 1 to 4 Linear layers
@pytest.mark.parametrize("batch", [1, 7])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("loss_name", list(nn.LOSSES))
@pytest.mark.parametrize("act", list(nn.ACTIVATIONS))
def test_gradcheck_grid(act, loss_name, bias, batch, depth):
    model, loss_fn, x, y = grid_case(act, loss_name, bias, batch, depth, seed=0)
    assert sum(isinstance(m, nn.Linear) for m in model.layers) == depth + 1
    assert x.shape == (batch, 3)
    errors = nn.gradcheck(model, loss_fn, x, y)
    names = {n for n, _ in model.named_parameters()} | {"input"}
    assert set(errors) == names
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("loss_name", list(nn.LOSSES))
def test_gradcheck_with_dropout_in_train_mode_and_both_reductions(loss_name, reduction):
    rng = np.random.default_rng(11)
    model = _net("tanh", loss_name, True, 2, rng, dropout=0.4)
    x = rng.standard_normal((7, 3))
    errors = nn.gradcheck(model, nn.loss(loss_name, reduction), x, _targets(loss_name, 7, rng))
    assert max(errors.values()) < TOL, errors


def test_gradcheck_finds_a_wrong_gradient(monkeypatch):
    """The check must be able to fail: break Tanh's derivative and watch it show."""
    monkeypatch.setattr(nn.Tanh, "backward", lambda self, g: g * (1 - self.a))
    rng = np.random.default_rng(0)
    model = _net("tanh", "mse", True, 1, rng)
    errors = nn.gradcheck(model, nn.MSELoss(), rng.standard_normal((7, 3)), _targets("mse", 7, rng))
    assert errors["0.weight"] > 1e-2
    assert errors["2.weight"] < TOL  # the layer above the broken one is still right


def test_gradcheck_leaves_the_model_alone():
    rng = np.random.default_rng(0)
    model = _net("relu", "mse", True, 1, rng).astype("float32")
    before = model.state_dict()
    nn.gradcheck(model, nn.MSELoss(), rng.standard_normal((4, 3)), _targets("mse", 4, rng))
    assert model.dtype == np.float32
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_relative_error_is_scaled_by_the_largest_entry():
    assert relative_error(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([2.0, 1e-9]), np.array([2.0, 0.0])) == pytest.approx(5e-10)
    assert relative_error(np.array([1.0, -1.0]), np.array([1.0, 1.0])) == pytest.approx(2.0)
