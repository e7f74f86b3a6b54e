"""Two independent checks of a trace's gradients: central differences on the engine's
own loss, and PyTorch autograd on the same weights (both in float64).

The differences come from `fcnet.numdiff`, the one finite-difference core, and are
measured by its `max_abs_error`: a NaN or an infinity anywhere (weights of 1e308 overflow)
gives `inf`, which never passes, and `finite(trace)` says why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from fcnet.explain.trace import Net, Trace, forward_loss
from fcnet.numdiff import central_difference, max_abs_error

EPS = 1e-6
# Largest difference accepted, relative to the gradient's scale (at least 1): central
# differences in float64 agree to about 1e-9, autograd to rounding (1e-15).
TOLERANCE = {"finite_difference": 1e-6, "torch": 1e-10}
NAMES = tuple(TOLERANCE)


def finite(trace: Trace) -> bool:
    """True when the loss and every gradient of the step are finite numbers."""
    return math.isfinite(trace.loss) and all(
        np.isfinite(t.dW).all() and np.isfinite(t.db).all() for t in trace.layers
    )


def finite_difference(trace: Trace, eps: float = EPS) -> float:
    """max |dL/dw (backprop) - (L(w + eps) - L(w - eps)) / (2 eps)| over every W and b."""
    net = trace.net
    weights = [(W.copy(), b.copy()) for W, b in net.weights]
    probe = Net(net.sizes, net.activation, net.loss, weights, net.output_activation)
    worst = 0.0
    for (W, b), layer in zip(weights, trace.layers, strict=True):
        for p, g in ((W, layer.dW), (b, layer.db)):
            numeric = central_difference(lambda: forward_loss(probe, trace.x, trace.y), p, eps)
            worst = max(worst, max_abs_error(g.reshape(-1), numeric))
    return worst


def torch_autograd(trace: Trace) -> float | None:
    """max |dL/dw (backprop) - torch autograd's| over every W and b; None without torch."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None
    net = trace.net
    acts = {
        "relu": torch.relu,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
    }
    params = [
        (torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True))
        for W, b in net.weights
    ]
    a = torch.tensor(trace.x)
    for l, (W, b) in enumerate(params):
        z = a @ W.T + b
        if l < len(params) - 1:
            a = acts[net.activation](z)
        else:
            a = torch.sigmoid(z) if net.output_activation == "sigmoid" else z
    n = trace.x.shape[0]
    if net.loss == "cross_entropy":
        loss = F.cross_entropy(a, torch.tensor(trace.y), reduction="sum") / n
    elif net.loss == "bce_with_logits":
        loss = F.binary_cross_entropy_with_logits(a, torch.tensor(trace.y), reduction="sum") / n
    else:
        half = 0.5 if net.loss == "quadratic" else 1.0
        loss = half * ((a - torch.tensor(trace.y)) ** 2).sum() / n
    loss.backward()
    worst = 0.0
    for (W, b), layer in zip(params, trace.layers, strict=True):
        assert W.grad is not None and b.grad is not None
        worst = max(worst, max_abs_error(W.grad.numpy(), layer.dW))
        worst = max(worst, max_abs_error(b.grad.numpy(), layer.db))
    return worst


def scale(trace: Trace) -> float:
    """The gradients' scale for the tolerance: max(1, largest |entry|)."""
    return max(1.0, *(float(max(np.abs(t.dW).max(), np.abs(t.db).max())) for t in trace.layers))


def run(trace: Trace) -> dict[str, float | None]:
    """{"finite_difference": max |diff|, "torch": max |diff| or None without torch};
    `inf` when the step met a NaN or an infinity."""
    return {"finite_difference": finite_difference(trace), "torch": torch_autograd(trace)}


def passed(name: str, value: float | None, trace: Trace) -> bool:
    """Within tolerance, and every number of the step finite (NaN never passes)."""
    return (
        value is not None
        and finite(trace)
        and math.isfinite(value)
        and value <= TOLERANCE[name] * scale(trace)
    )


def to_json(found: Mapping[str, float | None], trace: Trace) -> dict[str, float | bool | None]:
    """The `checks` object of the JSON: each difference (null when not run or not a
    finite number), and `passed` (false on a NaN or an infinity)."""
    doc: dict[str, float | bool | None] = {
        name: (value if value is not None and math.isfinite(value) else None)
        for name, value in found.items()
    }
    doc["passed"] = (
        all(passed(name, value, trace) for name, value in found.items() if value is not None)
        and found.get("finite_difference") is not None
    )
    return doc
