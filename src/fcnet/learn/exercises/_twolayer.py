"""The numpy reference for the course text's two-layer net (the torch and tensorflow checks).

y_pred = relu(x W1^T) W2^T (no bias), L = sum (y_pred - y)^2, with W1 (H, D_in) and
W2 (D_out, H) in PyTorch's layout; Keras keeps the transposes, kernels (D_in, H), (H, D_out).
"""

from __future__ import annotations

import numpy as np

from fcnet import nn
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


def compare_curves(losses, ref: list[float], framework_hint: str) -> str:
    """A note when the learner's losses follow the reference's; CheckFailed otherwise."""
    from fcnet.learn.core import CheckFailed
    from fcnet.learn.exercises._util import scalar

    if not isinstance(losses, list | tuple) or len(losses) != len(ref):
        got = f"{len(losses)} values" if isinstance(losses, list | tuple) else type(losses).__name__
        raise CheckFailed(
            _("train must return the list of the {n_ref} losses (one per step), got {got}").format(
                n_ref=len(ref), got=got
            )
        )
    values = [scalar(v, f"loss {i}") for i, v in enumerate(losses)]
    if not np.isclose(values[0], ref[0], rtol=1e-4):
        raise CheckFailed(
            _(
                "the first loss is {first:.6g}, the reference's {reference:.6g} on the same "
                "weights: the loss is sum((y_pred - y)^2) over the batch "
                "(MSELoss(reduction='sum')), taken before the first step"
            ).format(first=values[0], reference=ref[0])
        )
    for i, (a, b) in enumerate(zip(values, ref, strict=True)):
        if not np.isclose(a, b, rtol=2e-2):
            raise CheckFailed(
                _(
                    "after {i} steps the loss is {a:.6g}, the reference Adam's {b:.6g} (lr "
                    "{lr:g}): {framework_hint}"
                ).format(i=i, a=a, b=b, lr=TRAIN_LR, framework_hint=_(framework_hint))
            )
    if not values[-1] < 0.5 * values[0]:
        raise CheckFailed(
            _("the loss does not fall: {first:.4g} -> {last:.4g}").format(
                first=values[0], last=values[-1]
            )
        )
    return _("loss {first:.1f} -> {last:.1f} in {steps} Adam steps, as the reference's").format(
        first=values[0], last=values[-1], steps=len(ref)
    )
