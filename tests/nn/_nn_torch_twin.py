"""Helpers for the tests that compare fcnet.nn with PyTorch: the same network in both."""

from __future__ import annotations

import itertools

import numpy as np
import torch

from fcnet import nn

TORCH_LAYERS = {
    "ReLU": torch.nn.ReLU,
    "LeakyReLU": lambda: torch.nn.LeakyReLU(0.01),
    "Sigmoid": torch.nn.Sigmoid,
    "Tanh": torch.nn.Tanh,
    "Identity": torch.nn.Identity,
}
TORCH_LOSSES = {
    "mse": torch.nn.MSELoss,
    "cross_entropy": torch.nn.CrossEntropyLoss,
    "bce_with_logits": torch.nn.BCEWithLogitsLoss,
    "bce": torch.nn.BCELoss,
}


def torch_twin(model: nn.Sequential) -> torch.nn.Sequential:
    """A torch.nn.Sequential of the same shape, loaded from `model.state_dict()` as is."""
    layers = []
    for layer in model.layers:
        if isinstance(layer, nn.Linear):
            layers.append(
                torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None)
            )
        elif isinstance(layer, nn.Dropout):
            layers.append(torch.nn.Dropout(layer.p))
        else:
            layers.append(TORCH_LAYERS[type(layer).__name__]())
    twin = torch.nn.Sequential(*layers).to(torch.float64)
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    return twin


def targets(loss_name: str, n: int, out: int, rng: np.random.Generator) -> np.ndarray:
    if loss_name == "cross_entropy":
        return rng.integers(0, out, n)
    if loss_name in ("bce", "bce_with_logits"):
        return rng.random((n, out))
    return rng.standard_normal((n, out))


def make_model(
    widths: list[int],
    activations: list[str],
    loss_name: str,
    rng: np.random.Generator,
    bias: bool = True,
    dtype: str = "float64",
    init: str = "he_normal",
) -> nn.Sequential:
    """Linear layers of `widths` with `activations` between them; Sigmoid on top for bce."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        layers.append(nn.Linear(a, b, bias=bias, init=init, rng=rng, dtype=dtype))
        if i < len(widths) - 2:
            layers.append(nn.activation(activations[i % len(activations)]))
    if loss_name == "bce":
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)
