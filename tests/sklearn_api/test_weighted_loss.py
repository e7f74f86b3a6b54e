"""The estimator's weighted loss (fcnet's losses average every sample alike): its gradient
against central differences in float64 and against PyTorch's losses with weights, and
the step with MLP's L2 penalty against finite differences of the penalised loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fcnet import nn
from fcnet.numdiff import relative_error
from fcnet.sklearn import _NumpyModel, weighted_loss
from fcnet.spec import NetSpec

rng = np.random.default_rng(0)
N, K = 7, 3
Z = rng.normal(size=(N, K)) * 3
W = rng.integers(0, 4, size=N).astype(float)
W[0] = 2.5
TARGETS = {
    "cross_entropy": rng.integers(0, K, size=N),
    "bce_with_logits": rng.uniform(size=(N, K)),
    "mse": rng.normal(size=(N, K)),
}


def _central(f, z: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    g = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[i] += eps
        zm[i] -= eps
        g[i] = (f(zp) - f(zm)) / (2 * eps)
    return g


@pytest.mark.parametrize("loss", list(TARGETS))
def test_gradient_matches_central_differences(loss):
    y = TARGETS[loss]
    _, grad = weighted_loss(loss, Z.copy(), y, W)
    numeric = _central(lambda z: weighted_loss(loss, z, y, W)[0], Z)
    assert relative_error(grad, numeric) < 1e-7


def _torch_loss(loss, z, y, w):
    if loss == "cross_entropy":
        per = F.cross_entropy(z, torch.as_tensor(y), reduction="none")
    elif loss == "bce_with_logits":
        per = F.binary_cross_entropy_with_logits(z, torch.as_tensor(y), reduction="none").mean(1)
    else:
        per = F.mse_loss(z, torch.as_tensor(y), reduction="none").mean(1)
    return (per * w).sum() / w.sum()


@pytest.mark.parametrize("loss", list(TARGETS))
def test_loss_and_gradient_match_pytorch(loss):
    y = TARGETS[loss]
    value, grad = weighted_loss(loss, Z.copy(), y, W)
    z = torch.tensor(Z, requires_grad=True)
    ref = _torch_loss(loss, z, y, torch.tensor(W))
    ref.backward()
    assert value == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(grad, z.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("loss", list(TARGETS))
def test_no_weights_is_fcnets_own_mean_loss(loss):
    y = TARGETS[loss]
    value, grad = weighted_loss(loss, Z.copy(), y)
    own = nn.loss(loss)
    assert value == pytest.approx(own(Z.copy(), y), rel=1e-12)
    np.testing.assert_allclose(grad, own.backward(), rtol=1e-12, atol=1e-15)


def test_all_zero_batch_is_refused():
    with pytest.raises(ValueError, match="weights sum to zero"):
        weighted_loss("mse", Z.copy(), TARGETS["mse"], np.zeros(N))


def test_step_gradient_with_l2_penalty_matches_central_differences():
    """The step's parameter gradient (weighted loss + alpha / (2 sum w) ||W||^2, weights
    only) against central differences of that objective, in float64."""
    spec = NetSpec(
        input_size=4,
        hidden=[5],
        output_size=3,
        loss="cross_entropy",
        dtype="float64",
        optimizer={"name": "sgd", "lr": 1e-30},
    )
    model = _NumpyModel(spec)
    model.alpha = 0.7
    x = rng.normal(size=(N, 4))
    y = TARGETS["cross_entropy"]

    def objective() -> float:
        loss, _ = weighted_loss("cross_entropy", model.net(x), y, W)
        c = model.alpha / W.sum()
        weights = [p.data for n, p in model.net.named_parameters() if n.endswith("weight")]
        return loss + 0.5 * c * sum(float(np.vdot(w, w)) for w in weights)

    value = model.train_step(x, y, W)  # lr 1e-30: the weights do not move
    assert value == pytest.approx(objective(), rel=1e-12)
    for name, p in model.net.named_parameters():
        analytic = p.grad.copy()
        numeric = np.zeros_like(p.data)
        for i in np.ndindex(p.data.shape):
            keep = p.data[i]
            p.data[i] = keep + 1e-5
            up = objective()
            p.data[i] = keep - 1e-5
            down = objective()
            p.data[i] = keep
            numeric[i] = (up - down) / 2e-5
        assert relative_error(analytic, numeric) < 1e-7, name


# ----- fcnet's losses take sample_weight (one multiply), and there is one softmax ------------


@pytest.mark.parametrize("name", ["mse", "bce"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_integer_weights_equal_repeated_rows(name, reduction):
    """w_i = k is the sample k times: loss and per-row gradient sums, "mean" and "sum"."""
    w = np.array([1, 0, 3, 2, 1, 1, 2])
    z = rng.uniform(0.05, 0.95, size=(N, K)) if name == "bce" else Z.copy()
    y = rng.uniform(size=(N, K))
    fn = nn.loss(name, reduction=reduction)
    weighted = fn(z.copy(), y, w)
    g = fn.backward().copy()
    idx = np.repeat(np.arange(N), w)
    repeated = fn(z[idx].copy(), y[idx])
    g_rep = np.zeros_like(z)
    np.add.at(g_rep, idx, fn.backward())
    assert weighted == pytest.approx(repeated, rel=1e-12)
    np.testing.assert_allclose(g, g_rep, rtol=1e-12, atol=1e-15)


def test_weights_of_one_change_nothing():
    for name, y in TARGETS.items():
        fn = nn.loss(name)
        plain, g = fn(Z.copy(), y), fn.backward().copy()
        ones = fn(Z.copy(), y, np.ones(N))
        assert ones == pytest.approx(plain, rel=1e-12)
        np.testing.assert_allclose(fn.backward(), g, rtol=1e-12)


@pytest.mark.parametrize(
    ("w", "match"),
    [
        (np.ones(N - 1), "sample_weight of 7 numbers"),
        (np.full(N, -1.0), "finite and >= 0"),
        (np.full(N, np.nan), "finite and >= 0"),
        (np.zeros(N), "sum to zero"),
        (np.array(["a"] * N), "sample_weight of 7 numbers"),
    ],
)
def test_bad_sample_weight_is_a_value_error(w, match):
    with pytest.raises(ValueError, match=match):
        nn.loss("cross_entropy")(Z.copy(), TARGETS["cross_entropy"], w)


def test_the_one_softmax():
    from fcnet.nn.losses import softmax
    from fcnet.tasks.mnist import softmax as task_softmax

    big = np.array([[1000.0, 1001.0, 999.0], [-5.0, 0.0, 5.0]])
    p = softmax(big)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p, torch.softmax(torch.as_tensor(big), dim=1).numpy(), rtol=1e-12)
    assert softmax(big.astype(np.float32)).dtype == np.float32
    assert task_softmax(big.astype(np.float32)).dtype == np.float64  # the task's: float64
    # CrossEntropyLoss's gradient is softmax - onehot, from the same shifted exponentials
    fn = nn.loss("cross_entropy", reduction="sum")
    fn(big.copy(), np.array([0, 2]))
    np.testing.assert_allclose(fn.backward(), p - np.eye(3)[[0, 2]], atol=1e-15)
