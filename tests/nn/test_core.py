"""Basic behaviour of the numpy engine: shapes, names, modes, dtypes, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from fcnet import nn


def _mlp(rng, dtype="float32", dropout=0.0):
    layers = [nn.Linear(4, 8, rng=rng, dtype=dtype), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout, rng=rng))
    layers.append(nn.Linear(8, 3, rng=rng, dtype=dtype))
    return nn.Sequential(*layers)


def test_linear_is_x_at_w_transpose_plus_b():
    layer = nn.Linear(3, 2, rng=0, dtype="float64")
    layer.bias.data[:] = [0.5, -1.0]
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    W = layer.weight.data
    assert W.shape == (2, 3)
    np.testing.assert_allclose(layer(x), x @ W.T + [0.5, -1.0])


def test_named_parameters_use_torch_names_and_layouts():
    model = _mlp(np.random.default_rng(0), dropout=0.5)
    shapes = {name: p.data.shape for name, p in model.named_parameters()}
    assert shapes == {"0.weight": (8, 4), "0.bias": (8,), "3.weight": (3, 8), "3.bias": (3,)}
    assert len(model.parameters()) == 4


def test_no_bias_means_no_bias_parameter():
    layer = nn.Linear(3, 2, bias=False, rng=0)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_one_seed_gives_one_model():
    a = _mlp(np.random.default_rng(7)).state_dict()
    b = _mlp(np.random.default_rng(7)).state_dict()
    c = _mlp(np.random.default_rng(8)).state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["0.weight"], c["0.weight"])


@pytest.mark.parametrize("init", nn.INITS)
def test_inits_have_the_documented_scale(init):
    layer = nn.Linear(400, 300, init=init, rng=1, dtype="float64")
    std = layer.weight.data.std()
    expected = {
        "normal": 1.0,
        "xavier_uniform": np.sqrt(2 / 700),
        "xavier_normal": np.sqrt(2 / 700),
        "he_normal": np.sqrt(2 / 400),
        "he_uniform": np.sqrt(2 / 400),
    }[init]
    assert std == pytest.approx(expected, rel=0.02)
    assert not layer.bias.data.any()


def test_float32_by_default_and_no_upcast():
    model = _mlp(np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((5, 4))  # float64 input
    out = model(x)
    assert out.dtype == np.float32
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(out, np.array([0, 1, 2, 0, 1], dtype=np.int64))
    g = loss_fn.backward()
    assert g.dtype == np.float32
    model.backward(g)
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_astype_float64_converts_every_parameter():
    model = _mlp(np.random.default_rng(0)).astype("float64")
    assert model.dtype == np.float64
    assert all(p.data.dtype == np.float64 for p in model.parameters())
    with pytest.raises(ValueError, match=r"float32.*float64.*got 'int32'"):
        model.astype("int32")


def test_mixed_dtypes_are_refused():
    with pytest.raises(ValueError, match="one model, one dtype"):
        nn.Sequential(nn.Linear(2, 3, dtype="float32"), nn.Linear(3, 1, dtype="float64"))


def test_widths_must_chain():
    with pytest.raises(ValueError, match=r"expected in_features 3.*got 4"):
        nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(4, 1))


def test_dropout_train_and_eval():
    drop = nn.Dropout(0.5, rng=0)
    x = np.ones((200, 50), np.float32)
    out = drop(x)
    assert set(np.unique(out)) == {0.0, 2.0}
    assert abs((out == 0).mean() - 0.5) < 0.02
    np.testing.assert_array_equal(drop.backward(x), out)  # same mask
    drop.eval()
    assert drop(x) is x


def test_sequential_train_eval_reach_every_layer():
    model = _mlp(np.random.default_rng(0), dropout=0.5)
    model.eval()
    assert not any(layer.training for layer in model.layers)
    x = np.ones((3, 4), np.float32)
    np.testing.assert_array_equal(model(x), model(x))
    model.train()
    assert all(layer.training for layer in model.layers)


def test_gradients_accumulate_until_zero_grad():
    model = _mlp(np.random.default_rng(0), dtype="float64")
    x = np.random.default_rng(1).standard_normal((5, 4))
    loss_fn = nn.MSELoss()
    y = np.zeros((5, 3))
    loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    once = model.parameters()[0].grad.copy()
    loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    np.testing.assert_allclose(model.parameters()[0].grad, 2 * once)
    model.zero_grad()
    assert not model.parameters()[0].grad.any()


def test_backward_without_input_grad_gives_same_parameter_grads():
    model = _mlp(np.random.default_rng(0), dtype="float64")
    x = np.random.default_rng(1).standard_normal((5, 4))
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(model(x), np.array([0, 1, 2, 1, 0]))
    g = loss_fn.backward()
    model.zero_grad()
    assert model.backward(g).shape == (5, 4)
    full = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    assert model.backward(g, need_input_grad=False) is None
    for a, b in zip(full, model.parameters(), strict=True):
        np.testing.assert_array_equal(a, b.grad)


def test_adam_training_reduces_the_loss():
    rng = np.random.default_rng(0)
    model = _mlp(rng)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    loss_fn, opt = nn.CrossEntropyLoss(), nn.Adam(model.parameters(), lr=1e-2)
    first = loss_fn(model(x), y)
    for _ in range(100):
        loss_fn(model(x), y)
        opt.zero_grad()
        model.backward(loss_fn.backward(), need_input_grad=False)
        opt.step()
    assert loss_fn(model(x), y) < 0.3 * first


def test_sgd_step_is_p_minus_lr_grad():
    p = nn.Parameter(np.array([1.0, 2.0]))
    p.grad[:] = [0.5, -1.0]
    nn.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, 2.1])


@pytest.mark.parametrize(
    ("x", "match"),
    [
        (np.ones((2, 5)), r"expected shape \(N, 4\), got \(2, 5\)"),
        (np.ones(4), r"expected shape \(N, 4\), got \(4,\)"),
        (np.array([[1.0, np.nan, 0, 0]]), "NaN or inf"),
        (np.array([[1.0, np.inf, 0, 0]]), "NaN or inf"),
        (np.array([["a", "b", "c", "d"]]), "numeric"),
    ],
)
def test_bad_input_is_a_value_error(x, match):
    with pytest.raises(ValueError, match=match):
        _mlp(np.random.default_rng(0))(x)


@pytest.mark.parametrize(
    ("loss_fn", "y", "match"),
    [
        (nn.CrossEntropyLoss(), np.array([0, 1, 3]), r"labels in \[0, 2\], got 3"),
        (nn.CrossEntropyLoss(), np.array([0, -1, 2]), r"labels in \[0, 2\], got -1"),
        (nn.CrossEntropyLoss(), np.array([0, 1]), r"shape \(3,\).*got \(2,\)"),
        (nn.CrossEntropyLoss(), np.array([0.0, 1.0, 2.0]), "integer class labels"),
        (nn.MSELoss(), np.ones((4, 3)), "batch sizes disagree: predictions have 3 rows, targets 4"),
        (nn.MSELoss(), np.ones((3, 2)), r"shape \(3, 3\), got \(3, 2\)"),
        (nn.MSELoss(), np.full((3, 3), np.nan), "NaN or inf"),
        (nn.BCEWithLogitsLoss(), np.full((3, 3), np.inf), "NaN or inf"),
        (nn.BCELoss(), np.ones((3, 3)), r"probabilities in \[0, 1\]"),
    ],
)
def test_bad_targets_are_value_errors(loss_fn, y, match):
    pred = np.linspace(-2, 2, 9).reshape(3, 3)
    with pytest.raises(ValueError, match=match):
        loss_fn(pred, y)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: nn.activation("softplus"), "activation: expected one of relu.*got 'softplus'"),
        (lambda: nn.loss("hinge"), "loss: expected one of mse.*got 'hinge'"),
        (lambda: nn.optimizer("lbfgs", []), "optimizer: expected one of sgd.*got 'lbfgs'"),
        (lambda: nn.Linear(2, 3, init="zeros"), "init: expected one of normal.*got 'zeros'"),
        (lambda: nn.Linear(0, 3), "in_features: expected an int >= 1, got 0"),
        (lambda: nn.Dropout(1.0), r"p: expected a probability 0 <= p < 1, got 1.0"),
        (lambda: nn.MSELoss("none"), "reduction: expected 'mean' or 'sum', got 'none'"),
        (lambda: nn.Adam(nn.Linear(2, 2).parameters(), lr=-1), "lr: expected a number >= 0"),
    ],
)
def test_unknown_names_and_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_zero_grad_then_read_gives_zeros_and_writes_are_kept():
    p = nn.Parameter(np.ones(3))
    p.add_grad(np.full(3, 2.0))
    p.zero_grad()
    assert not p.grad.any()  # reads as zero
    p.grad[0] = 5.0  # written after zero_grad: must be accumulated into, not replaced
    p.add_grad(np.ones(3))
    np.testing.assert_array_equal(p.grad, [6.0, 1.0, 1.0])
    p.zero_grad()
    p.add_grad(np.full(3, 4.0))
    np.testing.assert_array_equal(p.grad, [4.0, 4.0, 4.0])
    with pytest.raises(ValueError, match=r"grad: expected shape \(3,\), got \(2,\)"):
        p.grad = np.ones(2)


@pytest.mark.parametrize("name", list(nn.LOSSES))
def test_empty_batch_is_a_value_error(name):
    y = np.zeros(0, np.int64) if name == "cross_entropy" else np.zeros((0, 3))
    with pytest.raises(ValueError, match=r"at least one sample, got predictions of shape \(0, 3\)"):
        nn.loss(name)(np.zeros((0, 3)), y)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("sgd", {"lr": 0.1}),
        ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
        ("rmsprop", {}),
        ("rmsprop", {"momentum": 0.5, "centered": True}),
        ("adam", {}),
        ("adam", {"amsgrad": True}),
        ("adamw", {}),
    ],
)
def test_optimizer_state_resumes_exactly(name, kwargs):
    """5 steps, save the state, a fresh optimiser loads it, 5 more: same as 10 in a row."""

    def run(split: bool):
        model = _mlp(np.random.default_rng(0), dtype="float64")
        x = np.random.default_rng(1).standard_normal((6, 4))
        y = np.array([0, 1, 2, 0, 1, 2])
        loss_fn, opt = nn.CrossEntropyLoss(), nn.optimizer(name, model.parameters(), **kwargs)
        for step in range(10):
            if split and step == 5:
                state = opt.state_dict()
                opt = nn.optimizer(name, model.parameters(), **kwargs)
                opt.load_state_dict(state)
            loss_fn(model(x), y)
            opt.zero_grad()
            model.backward(loss_fn.backward())
            opt.step()
        assert opt.t == 10
        return model.state_dict()

    a, b = run(False), run(True)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_adam_flushes_float32_moments_that_decay_into_subnormals():
    # One gradient, then zeros (a blank pixel's weight): m = 1e-4 * 0.9^k falls below
    # float32's smallest normal number after about 770 steps, where it would make every
    # later step slow; the optimiser sets such moments to 0.
    p = nn.Parameter(np.zeros(4, np.float32))
    opt = nn.Adam([p], lr=1e-3)
    p.grad = np.full(4, 1e-3, np.float32)
    opt.step()
    p.grad = np.zeros(4, np.float32)
    for _ in range(799):
        opt.step()
    m = opt.exp_avg[0]
    assert opt.t == 800
    assert not np.any((m != 0) & (np.abs(m) < np.finfo(np.float32).tiny))
    assert np.all(np.isfinite(p.data)) and np.all(p.data < 0)  # the one step moved it
