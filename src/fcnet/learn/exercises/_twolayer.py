"""The numpy reference for the course text's two-layer net (the torch and tensorflow checks).

y_pred = relu(x W1^T) W2^T (no bias), L = sum (y_pred - y)^2, with W1 (H, D_in) and
W2 (D_out, H) in PyTorch's layout; Keras keeps the transposes, kernels (D_in, H), (H, D_out).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from fcnet import nn
from fcnet.i18n import N_
from fcnet.i18n import gettext as _

SIZES = (5, 7, 3)  # D_in, H, D_out of the gradient check: all different, so shapes say which
TRAIN_SIZES = (64, 100, 50, 10)  # N, D_in, H, D_out (the course text's, smaller)
TRAIN_STEPS, TRAIN_LR = 50, 1e-3


def weights(D_in: int, H: int, D_out: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """W1 (H, D_in), W2 (D_out, H), drawn as torch.nn.Linear does: U(-1/sqrt(in), 1/sqrt(in))."""
    rng = np.random.default_rng([seed, D_in, H, D_out])
    W1 = rng.uniform(-1, 1, (H, D_in)) / np.sqrt(D_in)
    W2 = rng.uniform(-1, 1, (D_out, H)) / np.sqrt(H)
    return W1, W2


def data(N: int, D_in: int, D_out: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, N, D_in, D_out])
    return rng.standard_normal((N, D_in)), rng.standard_normal((N, D_out))


def forward_and_grads(x, y, W1, W2):
    """y_pred, loss, dL/dW1, dL/dW2 by hand (float64)."""
    h = x @ W1.T  # (N, H)
    h_relu = np.maximum(h, 0)
    y_pred = h_relu @ W2.T  # (N, D_out)
    loss = float(np.square(y_pred - y).sum())
    grad_y_pred = 2 * (y_pred - y)  # (N, D_out)
    grad_W2 = grad_y_pred.T @ h_relu  # (D_out, H)
    grad_h = (grad_y_pred @ W2) * (h > 0)  # (N, H): the ReLU mask
    grad_W1 = grad_h.T @ x  # (H, D_in)
    return y_pred, loss, grad_W1, grad_W2


def adam_curve(x, y, W1, W2, *, steps: int, lr: float, eps: float = 1e-8) -> list[float]:
    """The losses of `steps` Adam steps (torch.optim.Adam's rule, fcnet.nn.Adam), float32."""
    D_out, H = W2.shape
    model = nn.Sequential(
        nn.Linear(W1.shape[1], H, bias=False), nn.ReLU(), nn.Linear(H, D_out, bias=False)
    )
    for p, w in zip(model.parameters(), (W1, W2), strict=True):
        p.data[...] = w
    loss_fn = nn.MSELoss(reduction="sum")
    opt = nn.Adam(model.parameters(), lr=lr, eps=eps)
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    losses = []
    for _step in range(steps):
        losses.append(loss_fn(model.forward(x32), y32))
        opt.zero_grad()
        model.backward(loss_fn.backward())
        opt.step()
    return losses


def compare_curves(
    losses, ref: list[float], framework_hint: str, loss_words: str = "MSELoss(reduction='sum')"
) -> str:
    """A note when the learner's losses follow the reference's; CheckFailed otherwise."""
    from fcnet.learn.core import CheckFailed
    from fcnet.learn.exercises._util import scalar

    if not isinstance(losses, list | tuple) or len(losses) != len(ref):
        got = f"{len(losses)} values" if isinstance(losses, list | tuple) else type(losses).__name__
        raise CheckFailed(
            _("train must return the list of the {n_ref} losses (one per step), got {got}").format(
                n_ref=len(ref), got=got
            ),
            tag="losses_not_a_list",
        )
    values = [scalar(v, f"loss {i}") for i, v in enumerate(losses)]
    if not np.isclose(values[0], ref[0], rtol=1e-4):
        raise CheckFailed(
            _(
                "the first loss is {first:.6g}, the reference's {reference:.6g} on the same "
                "weights: the loss is sum((y_pred - y)^2) over the batch "
                "({loss_words}), taken before the first step"
            ).format(first=values[0], reference=ref[0], loss_words=loss_words),
            tag="first_loss_wrong",
        )
    for i, (a, b) in enumerate(zip(values, ref, strict=True)):
        if not np.isclose(a, b, rtol=2e-2):
            raise CheckFailed(
                _(
                    "after {i} steps the loss is {a:.6g}, the reference Adam's {b:.6g} (lr "
                    "{lr:g}): {framework_hint}"
                ).format(i=i, a=a, b=b, lr=TRAIN_LR, framework_hint=_(framework_hint)),
                tag="curve_wrong",
            )
    if not values[-1] < 0.5 * values[0]:
        raise CheckFailed(
            _("the loss does not fall: {first:.4g} -> {last:.4g}").format(
                first=values[0], last=values[-1]
            ),
            tag="no_progress",
        )
    return _("loss {first:.1f} -> {last:.1f} in {steps} Adam steps, as the reference's").format(
        first=values[0], last=values[-1], steps=len(ref)
    )


# ----- the checks torch and tensorflow share (parent side; drivers run the learner's model)

_FORWARD = N_("y_pred = linear2(relu(linear1(x))): the ReLU sits between the two layers")
SGD_LR = 1e-3
MISTAKES = {
    "not_a_module": N_("TwoLayerNet is not a model of the framework"),
    "wrong_parameters": N_("TwoLayerNet's parameters are not the two bias-free weights"),
    "wrong_output": N_("model(x) has the wrong shape"),
    "relu_on_input": N_("the ReLU is applied to the input, not the hidden layer"),
    "no_relu": N_("the forward pass has no ReLU"),
    "forward_wrong": N_("the forward pass is wrong in another way"),
    "no_gradient": N_("a weight gets no gradient"),
    "gradient_wrong": N_("a gradient differs from the numpy reference"),
    "losses_not_a_list": N_("train does not return one loss per step"),
    "first_loss_wrong": N_("train's loss is not sum((y_pred - y)^2) before the first step"),
    "curve_wrong": N_("train's losses leave the reference Adam's"),
    "no_progress": N_("train does not lower the loss"),
    "grad_doubled": N_("one step applies twice the gradient (loss.backward() twice?)"),
    "grad_mean": N_("one step applies the gradient of the mean, not of the sum, loss"),
    "step_wrong": N_("one step of train with plain SGD is not W - lr * dL/dW"),
    "no_step": N_("one step of train does not change the weights"),
    "outside_tape": N_("the forward pass runs outside tf.GradientTape (no gradients)"),
    "numpy_requires_grad": N_(".numpy() on a tensor that requires grad (use loss.item())"),
}

# a framework's raw error (a piece of its message) -> what it means for the learner, and tag
_RAW_ERRORS = {
    "No gradients provided": (
        N_(
            "TensorFlow found no gradients: compute the forward pass and the loss inside "
            "`with tf.GradientTape() as tape:`, then tape.gradient(loss, "
            "model.trainable_variables) (TensorFlow said: {raw})"
        ),
        "outside_tape",
    ),
    "Can't call numpy() on Tensor that requires grad": (
        N_(
            "`.numpy()` on a tensor that requires grad: use `loss.item()` for the loss's "
            "value (or `.detach().numpy()` for an array) (PyTorch said: {raw})"
        ),
        "numpy_requires_grad",
    ),
}


def explained(check: Callable[[Any], str]) -> Callable[[Any], str]:
    """`check`, with the frameworks' raw errors that puzzle a learner (`_RAW_ERRORS`)
    turned into what they mean and what to do."""
    from fcnet.learn.core import CheckFailed, StudentError

    def run(student: Any) -> str:
        try:
            return check(student)
        except StudentError as exc:
            for piece, (message, tag) in _RAW_ERRORS.items():
                if piece in exc.message:
                    raise CheckFailed(_(message).format(raw=exc.message), tag=tag) from None
            raise

    run.__name__ = getattr(check, "__name__", "check")
    return run


def check_gradients(student, call: str, method: str, backward: str) -> str:
    """model(x) and the framework's dL/dW1, dL/dW2 against `forward_and_grads`, float64."""
    from fcnet.learn.core import CheckFailed
    from fcnet.learn.exercises._util import array, max_error

    D_in, H, D_out = SIZES
    W1, W2 = weights(D_in, H, D_out)
    x, y = data(6, D_in, D_out, seed=student.seed)
    y_pred_ref, _loss, gW1, gW2 = forward_and_grads(x, y, W1, W2)
    out = student.drive("gradients", [D_in, H, D_out], W1, W2, x, y, shown=f"TwoLayerNet.{method}")
    if not isinstance(out, dict):
        raise CheckFailed(_("the checking process broke the protocol"), tag="crashed")
    y_pred = array(out.get("y_pred"), call, y_pred_ref.shape)
    if not np.allclose(y_pred, y_pred_ref, rtol=1e-10, atol=1e-12):
        if np.allclose(y_pred, np.maximum(x, 0) @ W1.T @ W2.T):
            raise CheckFailed(
                _("the ReLU is applied to the input x, not the hidden layer: {forward}").format(
                    forward=_(_FORWARD)
                ),
                tag="relu_on_input",
            )
        if np.allclose(y_pred, x @ W1.T @ W2.T):
            raise CheckFailed(
                _("{method} has no ReLU: {forward}").format(method=method, forward=_(_FORWARD)),
                tag="no_relu",
            )
        err, i = max_error(y_pred, y_pred_ref)
        raise CheckFailed(
            _("{call} differs from the reference by {err:.1e} at {i}: {forward}").format(
                call=call, err=err, i=i, forward=_(_FORWARD)
            ),
            tag="forward_wrong",
        )
    grads, names = out.get("grads"), out.get("names")
    if not isinstance(grads, dict) or not isinstance(names, dict):
        raise CheckFailed(_("the checking process broke the protocol"), tag="crashed")
    for key, want in (("W1", gW1), ("W2", gW2)):
        name = str(names.get(key, key))
        got = grads.get(key)
        if got is None:
            why = (
                _("was the forward pass computed inside `with tf.GradientTape() as tape:`?")
                if backward == "tape.gradient"
                else _("is it detached?")
            )
            raise CheckFailed(
                _("{name} has no gradient after {backward}: {why}").format(
                    name=name, backward=backward, why=why
                ),
                tag="no_gradient",
            )
        got = array(got, f"dL/d{key}", want.shape)
        if not np.allclose(got, want, rtol=1e-10, atol=1e-12):
            err, i = max_error(got, want)
            raise CheckFailed(
                _("{what} ({name}) differs from the numpy reference by {err:.1e} at {i}").format(
                    what=f"dL/d{key}", name=name, err=err, i=i
                ),
                tag="gradient_wrong",
            )
    return _("forward and dL/dW1, dL/dW2 equal the numpy reference (float64)")


def check_training(
    student, hint: str, eps: float, loss_words: str = "MSELoss(reduction='sum')"
) -> str:
    """The learner's train: its losses against Adam's, step by step (float32)."""
    N, D_in, H, D_out = TRAIN_SIZES
    W1, W2 = (w.astype(np.float32) for w in weights(D_in, H, D_out))
    x, y = (a.astype(np.float32) for a in data(N, D_in, D_out))
    curve = adam_curve(x, y, W1, W2, steps=TRAIN_STEPS, lr=TRAIN_LR, eps=eps)
    losses = student.drive(
        "train_losses", [D_in, H, D_out], W1, W2, x, y, TRAIN_STEPS, TRAIN_LR, shown="train"
    )
    return compare_curves(losses, curve, hint, loss_words)


def check_sgd_step(student, backward: str) -> str:
    """One step of the learner's own train with plain SGD: W - lr * dL/dW, the gradient of
    the summed loss once (Adam's normalisation hides a doubled or scaled gradient)."""
    from fcnet.learn.core import CheckFailed
    from fcnet.learn.exercises._util import array

    N, D_in, H, D_out = TRAIN_SIZES
    W1, W2 = (w.astype(np.float32) for w in weights(D_in, H, D_out, seed=1))
    x, y = (a.astype(np.float32) for a in data(N, D_in, D_out, seed=student.seed))
    _y, _l, g1, g2 = forward_and_grads(x.astype(np.float64), y.astype(np.float64), W1, W2)
    after = student.drive("sgd_step", [D_in, H, D_out], W1, W2, x, y, SGD_LR, shown="train")
    if not isinstance(after, dict):
        raise CheckFailed(_("the checking process broke the protocol"), tag="crashed")
    step1 = array(after.get("W1"), "W1", W1.shape) - W1
    step2 = array(after.get("W2"), "W2", W2.shape) - W2
    want1, want2 = -SGD_LR * g1, -SGD_LR * g2
    got, want = (
        np.concatenate([step1.ravel(), step2.ravel()]),
        np.concatenate([want1.ravel(), want2.ravel()]),
    )
    if np.allclose(got, want, rtol=1e-3, atol=1e-7):
        return _("one SGD step of your train moves W by -lr * dL/dW, as the reference")
    if not np.any(got):
        raise CheckFailed(
            _(
                "one step of train (its optimizer made plain SGD, lr {lr:g}) leaves the weights "
                "unchanged: is optimizer.step() called?"
            ).format(lr=SGD_LR),
            tag="no_step",
        )
    c = _scale(got, want)
    if c is not None and np.isclose(c, 2, rtol=1e-2):
        raise CheckFailed(
            _(
                "one step of train with plain SGD moves the weights by twice lr * dL/dW: the "
                "gradient is accumulated twice ({backward} called twice, or no zero_grad "
                "before it); Adam's normalisation hid it"
            ).format(backward=backward),
            tag="grad_doubled",
        )
    if c is not None and np.isclose(c, 1 / (N * D_out), rtol=1e-2):
        raise CheckFailed(
            _(
                "one step of train with plain SGD moves the weights by lr * dL/dW / {n}: the "
                "loss is the mean, the exercise's is the sum, sum((y_pred - y)^2)"
            ).format(n=N * D_out),
            tag="grad_mean",
        )
    if c is not None:
        raise CheckFailed(
            _(
                "one step of train with plain SGD moves the weights by {c:.3g} times lr * dL/dW "
                "(L = sum((y_pred - y)^2)): each step must apply the gradient once"
            ).format(c=c),
            tag="step_wrong",
        )
    raise CheckFailed(
        _(
            "one step of train with plain SGD (lr {lr:g}) does not move the weights by "
            "-lr * dL/dW, L = sum((y_pred - y)^2) over the batch"
        ).format(lr=SGD_LR),
        tag="step_wrong",
    )


def _scale(got: np.ndarray, want: np.ndarray) -> float | None:
    """c when got == c * want to float32's precision of a step (W + step - W), else None."""
    big = np.abs(want) > 0.1 * np.abs(want).max(initial=0)
    if not big.any():
        return None
    c = float(np.median(got[big] / want[big]))
    tol = 1e-2 * abs(c) * np.abs(want).max()
    return c if np.allclose(got, c * want, rtol=1e-2, atol=tol) else None
