"""`Module`: what every layer has (forward, backward, parameters, train/eval mode)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from fcnet.nn.parameter import Parameter


class Module:
    """Base of every layer and of `Sequential`.

    `forward(x)` computes the output and keeps what `backward` will need;
    `backward(grad_out)` takes dL/d(output) and returns dL/d(input), adding the
    parameters' gradients into their `.grad` on the way.
    """

    training: bool = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def saved(self, value: np.ndarray | None) -> np.ndarray:
        """`value`, an array forward kept for backward; RuntimeError if forward has not run."""
        if value is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        return value

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        return iter(())

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Module:
        self.training = bool(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def astype(self, dtype: Any) -> Module:
        for p in self.parameters():
            p.astype(dtype)
        return self

    def config(self) -> dict[str, Any]:
        """The layer as JSON-able data: its type and constructor arguments (see `save`)."""
        return {"type": type(self).__name__}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "type")
        return f"{type(self).__name__}({args})"
