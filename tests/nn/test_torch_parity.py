"""fcnet.nn against PyTorch autograd and torch.optim, in float64."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch  # a test dependency: the reference is required, never skipped
from _nn_torch_twin import TORCH_LOSSES, make_model, targets, torch_twin

from fcnet import nn

ACTS = list(nn.ACTIVATIONS)
LOSS_NAMES = list(nn.LOSSES)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_fcnet_nn_imports_neither_torch_nor_tensorflow():
    code = "import sys, fcnet.nn; print('torch' in sys.modules, 'tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("seed", range(20))
def test_random_architecture_gradients_match_torch_autograd(seed):
    """Depth 1-4, widths 1-64, every activation and loss over the seeds, bias on and off."""
    rng = np.random.default_rng(seed)
    depth = 1 + seed % 4
    loss_name = LOSS_NAMES[seed % 4]
    acts = [ACTS[(seed + k) % len(ACTS)] for k in range(depth)]
    widths = [int(w) for w in rng.integers(1, 65, depth + 1)]
    if loss_name == "cross_entropy":
        widths[-1] = max(widths[-1], 2)
    n = int(rng.integers(1, 17))
    model = make_model(widths, acts, loss_name, rng, bias=bool(seed % 3))
    x = rng.standard_normal((n, widths[0]))
    y = targets(loss_name, n, widths[-1], rng)
    loss_fn = nn.loss(loss_name)

    twin = torch_twin(model)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    tloss = TORCH_LOSSES[loss_name]()(twin(tx), torch.from_numpy(y))
    tloss.backward()

    out = model(x)
    np.testing.assert_allclose(out, twin(tx).detach().numpy(), rtol=1e-12, atol=1e-12)
    assert loss_fn(out, y) == pytest.approx(tloss.item(), rel=1e-12, abs=1e-12)
    model.zero_grad()
    dx = model.backward(loss_fn.backward())
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    tgrads = {k: p.grad.numpy() for k, p in twin.named_parameters()}
    grads = {k: p.grad for k, p in model.named_parameters()}
    assert grads.keys() == tgrads.keys()
    for k in grads:
        np.testing.assert_allclose(grads[k], tgrads[k], rtol=1e-10, atol=1e-10, err_msg=k)


@pytest.mark.parametrize("loss_name", LOSS_NAMES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_losses_and_gradients_match_torch_with_extreme_values(loss_name, reduction):
    rng = np.random.default_rng(1)
    n, c = 6, 3
    if loss_name == "bce":
        pred = np.array([[0.0, 1.0, 0.5], [1e-30, 1 - 1e-12, 0.3]] * 3)
    else:
        pred = rng.standard_normal((n, c)) * 50  # large logits: must stay finite
        pred[0, 0] = 800.0
        pred[1, 1] = -800.0
    y = targets(loss_name, n, c, rng)
    if loss_name in ("bce", "bce_with_logits"):
        y = np.round(y)
    loss_fn = nn.loss(loss_name, reduction=reduction)
    tp = torch.from_numpy(pred.copy()).requires_grad_(True)
    tloss = TORCH_LOSSES[loss_name](reduction=reduction)(tp, torch.from_numpy(y))
    tloss.backward()
    value = loss_fn(pred, y)
    assert math.isfinite(value)
    assert value == pytest.approx(tloss.item(), rel=1e-12)
    np.testing.assert_allclose(loss_fn.backward(), tp.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    y = np.array([2, 0])
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(z, y)
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    np.testing.assert_allclose(loss_fn.backward(), (p - np.eye(3)[y]) / 2, rtol=1e-14)


def test_state_dict_loads_into_torch_and_back():
    rng = np.random.default_rng(3)
    model = make_model([5, 7, 2], ["tanh"], "mse", rng)
    twin = torch_twin(model)  # load_state_dict(strict=True) inside: names and shapes agree
    twin[0].weight.data += 1.0
    model.load_state_dict({k: v.detach().numpy() for k, v in twin.state_dict().items()})
    np.testing.assert_array_equal(model.state_dict()["0.weight"], twin[0].weight.detach().numpy())


# --- optimisers -------------------------------------------------------------------------

OPTIMIZER_CASES = {
    "sgd": ("SGD", {"lr": 0.1}),
    "sgd_momentum": ("SGD", {"lr": 0.1, "momentum": 0.9}),
    "sgd_momentum_dampening": ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    "sgd_momentum_nesterov": ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    "sgd_wd": ("SGD", {"lr": 0.1, "weight_decay": 0.05}),
    "sgd_momentum_nesterov_wd": (
        "SGD",
        {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01},
    ),
    "rmsprop": ("RMSprop", {}),
    "rmsprop_momentum": ("RMSprop", {"lr": 1e-3, "momentum": 0.9}),
    "rmsprop_centered": ("RMSprop", {"lr": 1e-3, "centered": True}),
    "rmsprop_centered_momentum_wd": (
        "RMSprop",
        {"lr": 1e-3, "alpha": 0.9, "centered": True, "momentum": 0.5, "weight_decay": 0.1},
    ),
    "adam": ("Adam", {}),
    "adam_high_lr_betas_eps": ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
    "adam_wd": ("Adam", {"lr": 1e-2, "weight_decay": 0.1}),
    "adam_amsgrad": ("Adam", {"lr": 1e-2, "amsgrad": True}),
    "adam_amsgrad_wd": ("Adam", {"lr": 1e-2, "amsgrad": True, "weight_decay": 0.05}),
    "adamw": ("AdamW", {}),
    "adamw_high_lr_wd": ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
    "adamw_amsgrad": ("AdamW", {"lr": 1e-2, "amsgrad": True}),
}


def _pair(case: str, rng):
    name, kwargs = OPTIMIZER_CASES[case]
    model = make_model([6, 9, 3], ["tanh"], "mse", rng)
    twin = torch_twin(model)
    opt = getattr(nn, name)(model.parameters(), **kwargs)
    topt = getattr(torch.optim, name)(twin.parameters(), **kwargs)
    return model, twin, opt, topt


def _assert_same_weights(model, twin, tol):
    tw = {k: v.detach().numpy() for k, v in twin.state_dict().items()}
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v, tw[k], rtol=tol, atol=tol, err_msg=k)


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam", "AdamW"])
def test_optimizer_defaults_are_torch_defaults(name):
    import inspect

    ours = inspect.signature(getattr(nn, name)).parameters
    ref = inspect.signature(getattr(torch.optim, name)).parameters
    positional = [k for k, p in ref.items() if p.kind == p.POSITIONAL_OR_KEYWORD]
    assert list(ours) == positional[: len(ours)]  # same order: positional calls agree
    for k, p in ours.items():
        if k == "params":
            continue
        assert k in ref, k
        assert p.default == ref[k].default, (k, p.default, ref[k].default)


@pytest.mark.parametrize("case", OPTIMIZER_CASES)
def test_one_step_matches_torch_optim(case):
    rng = np.random.default_rng(5)
    model, twin, opt, topt = _pair(case, rng)
    for (_, p), tp in zip(model.named_parameters(), twin.parameters(), strict=True):
        g = rng.standard_normal(p.data.shape)
        p.grad[...] = g
        tp.grad = torch.from_numpy(g.copy())
    opt.step()
    topt.step()
    _assert_same_weights(model, twin, 1e-12)


@pytest.mark.parametrize("case", OPTIMIZER_CASES)
def test_multistep_100_matches_torch_optim(case):
    """100 steps of training on one batch, each framework computing its own gradients."""
    rng = np.random.default_rng(6)
    model, twin, opt, topt = _pair(case, rng)
    x, y = rng.standard_normal((8, 6)), rng.standard_normal((8, 3))
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn, tloss_fn = nn.MSELoss(), torch.nn.MSELoss()
    for _ in range(100):
        loss_fn(model(x), y)
        opt.zero_grad()
        model.backward(loss_fn.backward())
        opt.step()
        topt.zero_grad()
        tloss_fn(twin(tx), ty).backward()
        topt.step()
    _assert_same_weights(model, twin, 1e-9)
    assert opt.t == 100


def test_multistep_adam_with_clip_and_cosine_schedule_matches_torch():
    rng = np.random.default_rng(7)
    model, twin, opt, topt = _pair("adam_high_lr_betas_eps", rng)
    sched = nn.CosineWarmupLR(opt, total_steps=60, warmup_steps=10, min_lr=1e-3)
    tsched = torch.optim.lr_scheduler.LambdaLR(topt, _torch_cosine(0.05, 60, 10, 1e-3))
    x, y = rng.standard_normal((8, 6)), rng.standard_normal((8, 3)) * 5
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn, tloss_fn = nn.MSELoss(), torch.nn.MSELoss()
    for _ in range(60):
        loss_fn(model(x), y)
        opt.zero_grad()
        model.backward(loss_fn.backward())
        norm = nn.clip_grad_norm(model.parameters(), 0.5)
        opt.step()
        sched.step()
        topt.zero_grad()
        tloss_fn(twin(tx), ty).backward()
        tnorm = torch.nn.utils.clip_grad_norm_(twin.parameters(), 0.5)
        topt.step()
        tsched.step()
        assert norm == pytest.approx(tnorm.item(), rel=1e-10)
    _assert_same_weights(model, twin, 1e-9)


@pytest.mark.parametrize("max_norm", [0.1, 1e6])
def test_clip_grad_norm_matches_torch(max_norm):
    rng = np.random.default_rng(8)
    model = make_model([4, 5, 3], ["relu"], "mse", rng)
    twin = torch_twin(model)
    for p, tp in zip(model.parameters(), twin.parameters(), strict=True):
        p.grad[...] = rng.standard_normal(p.data.shape)
        tp.grad = torch.from_numpy(p.grad.copy())
    total = nn.clip_grad_norm(model.parameters(), max_norm)
    ttotal = torch.nn.utils.clip_grad_norm_(twin.parameters(), max_norm)
    assert total == pytest.approx(ttotal.item(), rel=1e-14)
    for p, tp in zip(model.parameters(), twin.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-14)


# --- schedules -----------------------------------------------------------------------


def _torch_cosine(lr, total, warmup, min_lr):
    def factor(t):
        if t < warmup:
            return (t + 1) / warmup
        progress = min((t - warmup) / (total - warmup), 1.0)
        return (min_lr + (lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2) / lr

    return factor


def _lrs(opt, sched, steps):
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"] if hasattr(opt, "param_groups") else opt.lr)
        opt.step()
        sched.step()
    return lrs


@pytest.mark.parametrize(
    ("case", "ours", "theirs"),
    [
        ("step", lambda o: nn.StepLR(o, 7, 0.5), lambda o: _tsched().StepLR(o, 7, 0.5)),
        (
            "exponential",
            lambda o: nn.ExponentialLR(o, 0.97),
            lambda o: _tsched().ExponentialLR(o, 0.97),
        ),
        (
            "cosine_warmup",
            lambda o: nn.CosineWarmupLR(o, 40, 5, 1e-4),
            lambda o: _tsched().LambdaLR(o, _torch_cosine(0.1, 40, 5, 1e-4)),
        ),
        (
            "cosine_no_warmup",
            lambda o: nn.CosineWarmupLR(o, 30),
            lambda o: _tsched().LambdaLR(o, _torch_cosine(0.1, 30, 0, 0.0)),
        ),
    ],
)
def test_schedules_match_torch_lr_scheduler(case, ours, theirs):
    p = nn.Parameter(np.zeros(2))
    opt = nn.SGD([p], lr=0.1)
    tp = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    tp.grad = torch.zeros(2, dtype=torch.float64)
    topt = torch.optim.SGD([tp], lr=0.1)
    got = _lrs(opt, ours(opt), 50)
    want = _lrs(topt, theirs(topt), 50)
    np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=case)
    assert got[0] != got[-1]


def _tsched():
    return torch.optim.lr_scheduler
