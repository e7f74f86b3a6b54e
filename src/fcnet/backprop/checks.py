"""Two independent checks of a trace's gradients: central differences on the engine's
own loss, and PyTorch autograd on the same weights (both in float64)."""

from __future__ import annotations

import numpy as np

from fcnet.backprop.trace import Net, Trace, forward_loss

EPS = 1e-6
# Largest difference accepted, relative to the gradient's scale (at least 1): central
# differences in float64 agree to about 1e-9, autograd to rounding (1e-15).
TOLERANCE = {"finite_difference": 1e-6, "torch": 1e-10}


def finite_difference(trace: Trace, eps: float = EPS) -> float:
    """max |dL/dw (backprop) - (L(w + eps) - L(w - eps)) / (2 eps)| over every W and b."""
    net = trace.net
    weights = [(W.copy(), b.copy()) for W, b in net.weights]
    probe = Net(net.sizes, net.activation, net.loss, weights)
    worst = 0.0
    for (W, b), layer in zip(weights, trace.layers, strict=True):
        for p, g in ((W, layer.dW), (b, layer.db)):
            flat, gflat = p.reshape(-1), g.reshape(-1)
            for i in range(flat.size):
                old = flat[i]
                flat[i] = old + eps
                up = forward_loss(probe, trace.x, trace.y)
                flat[i] = old - eps
                down = forward_loss(probe, trace.x, trace.y)
                flat[i] = old
                worst = max(worst, abs((up - down) / (2 * eps) - gflat[i]))
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
        a = acts[net.activation](z) if l < len(params) - 1 else z
    n = trace.x.shape[0]
    if net.loss == "cross_entropy":
        loss = F.cross_entropy(a, torch.tensor(trace.y), reduction="sum") / n
    elif net.loss == "bce_with_logits":
        loss = F.binary_cross_entropy_with_logits(a, torch.tensor(trace.y), reduction="sum") / n
    else:
        loss = ((a - torch.tensor(trace.y)) ** 2).sum() / n
    loss.backward()
    worst = 0.0
    for (W, b), layer in zip(params, trace.layers, strict=True):
        assert W.grad is not None and b.grad is not None
        worst = max(worst, float(np.abs(W.grad.numpy() - layer.dW).max()))
        worst = max(worst, float(np.abs(b.grad.numpy() - layer.db).max()))
    return worst


def scale(trace: Trace) -> float:
    """The gradients' scale for the tolerance: max(1, largest |entry|)."""
    return max(1.0, *(float(max(np.abs(t.dW).max(), np.abs(t.db).max())) for t in trace.layers))


def run(trace: Trace) -> dict[str, float | None]:
    """{"finite_difference": max |diff|, "torch": max |diff| or None without torch}."""
    return {"finite_difference": finite_difference(trace), "torch": torch_autograd(trace)}


def passed(name: str, value: float | None, trace: Trace) -> bool:
    return value is not None and value <= TOLERANCE[name] * scale(trace)
