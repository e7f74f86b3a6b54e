"""Activations a = f(z), applied elementwise, and their backward delta = dL/da * f'(z).

Each keeps from forward what its derivative needs (the output a, or the sign of z),
so backward never recomputes f.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fcnet.nn.module import Module


class ReLU(Module):
    """a = max(z, 0); f'(z) = 1 where z > 0, else 0."""

    def __init__(self) -> None:
        self.a: np.ndarray | None = None

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.a = np.maximum(z, 0)  # (N, d)
        return self.a

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        # delta = dL/da * f'(z), f'(z) = 1[z > 0] = 1[a > 0]
        return grad_out * (self.saved(self.a) > 0)  # (N, d)


class LeakyReLU(Module):
    """a = z where z > 0, else negative_slope * z; f'(z) = 1 or negative_slope."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, int | float):
            raise ValueError(f"LeakyReLU negative_slope: expected a float, got {negative_slope!r}")
        self.negative_slope = float(negative_slope)
        self.fprime: np.ndarray | None = None  # f'(z), (N, d)

    def forward(self, z: np.ndarray) -> np.ndarray:
        s = self.negative_slope
        # f'(z) = 1[z > 0] (1 - s) + s: arithmetic on the mask, far faster than np.where
        fprime = np.multiply(z > 0, 1 - s, dtype=z.dtype)  # (N, d)
        fprime += s
        self.fprime = fprime
        return z * fprime  # (N, d)   a = f'(z) z, f being piecewise linear

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        # delta = dL/da * f'(z)
        return grad_out * self.saved(self.fprime)  # (N, d)

    def config(self) -> dict[str, Any]:
        return {"type": "LeakyReLU", "negative_slope": self.negative_slope}


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), as torch computes it. For z < -88 (float32) exp(-z) overflows to
    inf and the result is 0, the correctly rounded value, so the warning is silenced."""
    with np.errstate(over="ignore"):
        e = np.exp(-z)  # (N, d)
    e += 1
    return np.divide(1, e, out=e)


class Sigmoid(Module):
    """a = 1 / (1 + exp(-z)); f'(z) = a (1 - a)."""

    def __init__(self) -> None:
        self.a: np.ndarray | None = None

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.a = sigmoid(z)  # (N, d)
        return self.a

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        a = self.saved(self.a)
        # delta = dL/da * f'(z), f'(z) = a (1 - a)
        return grad_out * a * (1 - a)  # (N, d)


class Tanh(Module):
    """a = tanh(z); f'(z) = 1 - a^2."""

    def __init__(self) -> None:
        self.a: np.ndarray | None = None

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.a = np.tanh(z)  # (N, d)
        return self.a

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        a = self.saved(self.a)
        # delta = dL/da * f'(z), f'(z) = 1 - a^2
        return grad_out * (1 - a * a)  # (N, d)


class Identity(Module):
    """a = z; f'(z) = 1. Stands in for "no activation" so layer indices stay canonical."""

    def forward(self, z: np.ndarray) -> np.ndarray:
        return z

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return grad_out


ACTIVATIONS: dict[str, type[Module]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "identity": Identity,
}


def activation(name: str) -> Module:
    """A fresh activation layer from its spec name ("relu", "leaky_relu" (slope 0.01), ...)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {', '.join(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()
