"""Child-side drivers of exercise `torch`: the few lines that must run beside the learner's
`TwoLayerNet` and `train` (building the model, setting the checker's weights, running
autograd or one step of their `train`). They run in the sandboxed child, hold no
expected value, and return plain arrays and numbers that the checker judges.
Weights cross in PyTorch's layout: W1 (H, D_in), W2 (D_out, H).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _torch():
    from fcnet.learn import import_library

    return import_library("torch")


def _model(ns: dict[str, Any], sizes: list[int]):
    torch = _torch()
    torch.manual_seed(0)
    return ns["TwoLayerNet"](*sizes)


def build(ns: dict[str, Any], sizes: list[int], x: np.ndarray) -> dict[str, Any]:
    """What TwoLayerNet(*sizes) is: its type, whether an nn.Module, its parameters' shapes,
    and model(x) (an array, or the type's name of what came back)."""
    torch = _torch()
    model = _model(ns, sizes)
    info: dict[str, Any] = {"type": type(model).__name__}
    info["module"] = isinstance(model, torch.nn.Module)
    if not info["module"]:
        return info
    info["params"] = {n: list(p.shape) for n, p in model.named_parameters()}
    out = model(torch.from_numpy(x.astype(np.float32)))
    info["out"] = out.detach().numpy() if isinstance(out, torch.Tensor) else type(out).__name__
    return info


def _set(model, W1: np.ndarray, W2: np.ndarray) -> dict[str, str]:
    """Copy W1, W2 into the parameters of their shapes; {parameter name: "W1" | "W2"}."""
    torch = _torch()
    which = {}
    with torch.no_grad():
        for n, p in model.named_parameters():
            w, which[n] = (W1, "W1") if tuple(p.shape) == W1.shape else (W2, "W2")
            p.copy_(
                torch.from_numpy(w.astype(np.float64 if p.dtype == torch.float64 else np.float32))
            )
    return which


def gradients(ns, sizes, W1, W2, x, y) -> dict[str, Any]:
    """model(x) and autograd's dL/dW for L = sum((model(x) - y)^2), in float64."""
    torch = _torch()
    model = _model(ns, sizes).double()
    which = _set(model, W1, W2)
    model.zero_grad()
    y_pred = model(torch.from_numpy(x))
    loss = ((y_pred - torch.from_numpy(y)) ** 2).sum()
    loss.backward()
    grads = {
        which[n]: (None if p.grad is None else p.grad.numpy()) for n, p in model.named_parameters()
    }
    names = {which[n]: n for n, _p in model.named_parameters()}
    return {"y_pred": y_pred.detach().numpy(), "grads": grads, "names": names}


def train_losses(ns, sizes, W1, W2, x, y, steps: int, lr: float):
    """The learner's train(model, x, y, steps, lr) from W1, W2 (float32): its losses."""
    torch = _torch()
    model = _model(ns, sizes)
    _set(model, W1, W2)
    return ns["train"](model, torch.from_numpy(x), torch.from_numpy(y), steps, lr)


def sgd_step(ns, sizes, W1, W2, x, y, lr: float) -> dict[str, np.ndarray]:
    """One step of the learner's own train, its Adam replaced by plain SGD (same lr):
    the weights after it, W1 and W2."""
    torch = _torch()
    model = _model(ns, sizes)
    which = _set(model, W1, W2)
    adam = torch.optim.Adam

    def sgd(params, lr=1e-3, **_kw):
        return torch.optim.SGD(params, lr=lr)

    patched = [k for k, v in ns.items() if v is adam]
    torch.optim.Adam = sgd
    for k in patched:
        ns[k] = sgd
    try:
        ns["train"](model, torch.from_numpy(x), torch.from_numpy(y), 1, lr)
    finally:
        torch.optim.Adam = adam
        for k in patched:
            ns[k] = adam
    return {which[n]: p.detach().numpy().copy() for n, p in model.named_parameters()}
