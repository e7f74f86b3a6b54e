"""Exercise `torch`: the course text's two-layer net as a PyTorch nn.Module, trained with Adam.

Contract (see the skeleton): `TwoLayerNet(D_in, H, D_out)`, an nn.Module with two
bias-free Linear layers, forward x -> linear2(relu(linear1(x))); `train(model, x, y,
steps, lr) -> list of losses`, Adam on MSELoss(reduction="sum") over the whole batch.
"""

from __future__ import annotations

import numpy as np

from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.core import Check, CheckFailed, Exercise, Student
from fcnet.learn.exercises import _twolayer as ref
from fcnet.learn.exercises._util import array, max_error

_FORWARD = N_("y_pred = linear2(relu(linear1(x))): the ReLU sits between the two layers")


def _lib():
    """torch, imported when a check runs (never by `fcnet check`'s parent process), and
    even where a learner's torch.py lies in the current folder."""
    from fcnet.learn import import_library

    return import_library("torch")


def _build(student: Student, D_in: int, H: int, D_out: int):
    torch = _lib()
    torch.manual_seed(0)
    model = student.call("TwoLayerNet", D_in, H, D_out)
    if not isinstance(model, torch.nn.Module):
        raise CheckFailed(
            _("TwoLayerNet(...) is a {type}, expected a torch.nn.Module").format(
                type=type(model).__name__
            )
        )
    params = dict(model.named_parameters())
    shapes = {n: tuple(p.shape) for n, p in params.items()}
    want = {(H, D_in), (D_out, H)}
    if set(shapes.values()) != want or len(shapes) != 2:
        raise CheckFailed(
            _(
                "TwoLayerNet({D_in}, {H}, {D_out}) has parameters {shapes}; expected two weights, "
                "{h_d_in} and {d_out_h}: Linear(D_in, H, bias=False) and Linear(H, D_out, "
                "bias=False), as in the course text"
            ).format(
                D_in=D_in, H=H, D_out=D_out, shapes=shapes, h_d_in=(H, D_in), d_out_h=(D_out, H)
            )
        )
    return model, params


def _set(model, params, W1, W2):
    torch = _lib()
    with torch.no_grad():
        for p in params.values():
            p.copy_(torch.from_numpy(W1 if tuple(p.shape) == W1.shape else W2))
    return model


def check_builds(student: Student) -> str:
    torch = _lib()
    D_in, H, D_out = ref.SIZES
    model, _params = _build(student, D_in, H, D_out)
    x = torch.randn(4, D_in)
    out = student.guard("TwoLayerNet.forward", lambda: model(x))
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (4, D_out):
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise CheckFailed(
            _("model(x) for x of shape (4, {D_in}) gives {got}, expected (4, {D_out})").format(
                D_in=D_in, got=got, D_out=D_out
            )
        )
    return _("TwoLayerNet{SIZES}: weights {h_d_in} and {d_out_h}, output (N, {D_out})").format(
        SIZES=ref.SIZES, h_d_in=(H, D_in), d_out_h=(D_out, H), D_out=D_out
    )


def check_gradients(student: Student) -> str:
    torch = _lib()
    D_in, H, D_out = ref.SIZES
    model, params = _build(student, D_in, H, D_out)
    model = model.double()
    W1, W2 = ref.weights(D_in, H, D_out)
    _set(model, params, W1, W2)
    x, y = ref.data(6, D_in, D_out)
    y_pred_ref, _loss, gW1, gW2 = ref.forward_and_grads(x, y, W1, W2)

    def run():
        model.zero_grad()
        y_pred = model(torch.from_numpy(x))
        loss = ((y_pred - torch.from_numpy(y)) ** 2).sum()
        loss.backward()
        return y_pred.detach().numpy()

    y_pred = array(student.guard("TwoLayerNet.forward", run), "model(x)", y_pred_ref.shape)
    if not np.allclose(y_pred, y_pred_ref, rtol=1e-10, atol=1e-12):
        if np.allclose(y_pred, np.maximum(x, 0) @ W1.T @ W2.T):
            raise CheckFailed(
                _("the ReLU is applied to the input x, not the hidden layer: {forward}").format(
                    forward=_(_FORWARD)
                )
            )
        if np.allclose(y_pred, x @ W1.T @ W2.T):
            raise CheckFailed(_("forward has no ReLU: {forward}").format(forward=_(_FORWARD)))
        err, i = max_error(y_pred, y_pred_ref)
        raise CheckFailed(
            _("model(x) differs from the reference by {err:.1e} at {i}: {forward}").format(
                err=err, i=i, forward=_(_FORWARD)
            )
        )
    for name, p in params.items():
        want = gW1 if tuple(p.shape) == W1.shape else gW2
        what = "dL/dW1" if want is gW1 else "dL/dW2"
        if p.grad is None:
            raise CheckFailed(
                _("{name} has no gradient after loss.backward(): is it detached?").format(name=name)
            )
        got = p.grad.numpy()
        if not np.allclose(got, want, rtol=1e-10, atol=1e-12):
            err, i = max_error(got, want)
            raise CheckFailed(
                _("{what} ({name}) differs from the numpy reference by {err:.1e} at {i}").format(
                    what=what, name=name, err=err, i=i
                )
            )
    return _("forward and autograd's dL/dW1, dL/dW2 equal the numpy reference (float64)")


def check_training(student: Student) -> str:
    torch = _lib()
    N, D_in, H, D_out = ref.TRAIN_SIZES
    model, params = _build(student, D_in, H, D_out)
    W1, W2 = (w.astype(np.float32) for w in ref.weights(D_in, H, D_out))
    _set(model, params, W1, W2)
    x, y = (a.astype(np.float32) for a in ref.data(N, D_in, D_out))
    curve = ref.adam_curve(x, y, W1, W2, steps=ref.TRAIN_STEPS, lr=ref.TRAIN_LR)
    losses = student.call(
        "train", model, torch.from_numpy(x), torch.from_numpy(y), ref.TRAIN_STEPS, ref.TRAIN_LR
    )
    return ref.compare_curves(
        losses,
        curve,
        N_(
            "use torch.optim.Adam(model.parameters(), lr=lr), optimizer.zero_grad() before "
            "loss.backward(), then optimizer.step()"
        ),
    )


EXERCISE = Exercise(
    name="torch",
    title="the two-layer net in PyTorch",
    section="PyTorch step by step",
    functions=("TwoLayerNet", "train"),
    checks=(
        Check("builds", check_builds, ("TwoLayerNet",)),
        Check("gradients", check_gradients, ("TwoLayerNet",)),
        Check("Adam training", check_training, ("TwoLayerNet", "train"), seconds=60.0),
    ),
    import_seconds=60.0,
    address_limit=False,
    call_limits={"train": 30.0},
)
