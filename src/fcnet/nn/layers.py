"""Layers with parameters or randomness: `Linear` and `Dropout`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal, overload

import numpy as np

from fcnet.nn.init import as_rng, check_init, init_weight
from fcnet.nn.module import Module
from fcnet.nn.parameter import Parameter, as_dtype


class Linear(Module):
    """Fully-connected layer: z = x @ W.T + b, with W of shape (out_features, in_features).

    This is the textbook z^l = W^l a^{l-1} + b^l with one sample per *row* of x
    (x has shape (N, in_features)), the same layout as `torch.nn.Linear` ("y = xA^T + b").

    Args:
        in_features, out_features: widths of the input and the output.
        bias: whether to add b (shape (out_features,), initialised to zero).
        init: "normal", "xavier_uniform", "xavier_normal", "he_normal" (default), "he_uniform".
        rng: a `numpy.random.Generator` (pass one Generator to every layer to seed a whole
            model from one seed), an int seed, or None for fresh entropy.
        dtype: "float32" (default) or "float64".

    Example:
        >>> layer = Linear(3, 2, rng=0)
        >>> layer(np.ones((4, 3), np.float32)).shape
        (4, 2)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str = "he_normal",
        *,
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float32,
    ) -> None:
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"Linear {name}: expected an int >= 1, got {value!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.init = check_init(init)
        dt = as_dtype(dtype)
        W = init_weight(init, (self.out_features, self.in_features), as_rng(rng), dt)
        self.weight = Parameter(W)  # W: (out, in)
        self.bias = Parameter(np.zeros(self.out_features, dt)) if bias else None  # b: (out,)
        self.a_prev: np.ndarray | None = None  # a^{l-1}, kept by forward for backward

    @property
    def dtype(self) -> np.dtype:
        return self.weight.data.dtype

    def forward(self, x: np.ndarray) -> np.ndarray:
        """z = x @ W.T + b for x of shape (N, in_features); keeps x (by reference) for
        backward, so do not change x in place before calling backward."""
        W = self.weight.data  # (out, in)
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"{self!r}: expected input of shape (N, {self.in_features}), got {x.shape}"
            )
        if x.dtype != W.dtype:
            x = x.astype(W.dtype)
        self.a_prev = x  # (N, in)
        z = x @ W.T  # (N, out)   z = W a^{l-1} + b, one sample per row
        if self.bias is not None:
            z += self.bias.data  # (N, out)
        return z

    @overload
    def backward(self, delta: np.ndarray, need_input_grad: Literal[True] = ...) -> np.ndarray: ...
    @overload
    def backward(self, delta: np.ndarray, need_input_grad: bool) -> np.ndarray | None: ...
    def backward(self, delta: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Take delta = dL/dz (N, out); add dL/dW and dL/db; return dL/da^{l-1} (N, in).

        `need_input_grad=False` skips the last product (the first layer of a network has
        no use for it) and returns None.
        """
        W, a_prev = self.weight.data, self.a_prev  # (out, in), (N, in)
        if a_prev is None:
            raise RuntimeError(f"{self!r}: backward called before forward")
        # dL/dW^l = delta^l (a^{l-1})^T, summed over the batch's rows
        self.weight.grad += delta.T @ a_prev  # (out, in)
        if self.bias is not None:
            # dL/db^l = delta^l, summed over the batch's rows
            self.bias.grad += delta.sum(axis=0)  # (out,)
        if not need_input_grad:
            return None
        # dL/da^{l-1} = (W^l)^T delta^l; row-major that is delta @ W
        return delta @ W  # (N, in)

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        yield "weight", self.weight
        if self.bias is not None:
            yield "bias", self.bias

    def config(self) -> dict[str, Any]:
        return {
            "type": "Linear",
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": self.bias is not None,
            "init": self.init,
        }


class Dropout(Module):
    """Inverted dropout: in training, zero each value with probability p and scale the
    rest by 1 / (1 - p), so that eval mode is the identity and needs no rescaling.

    Args:
        p: probability of zeroing, 0 <= p < 1.
        rng: the `numpy.random.Generator` that draws the masks (share the model's one),
            an int seed, or None.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | int | None = None) -> None:
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout p: expected a probability 0 <= p < 1, got {p!r}")
        self.p = float(p)
        self.rng = as_rng(rng)
        self.mask: np.ndarray | None = None  # (N, d): 0 or 1/keep; None in eval mode

    def forward(self, x: np.ndarray) -> np.ndarray:
        if not self.training or self.p == 0.0:
            self.mask = None
            return x
        r, threshold, scale = self.draw(x)
        mask = np.less(r, threshold, dtype=bool) if threshold < 65536 else np.ones(x.shape, bool)
        self.mask = np.multiply(mask, scale, dtype=x.dtype)  # (N, d)   1[r < threshold] / keep
        return x * self.mask  # (N, d)

    def draw(self, x: np.ndarray) -> tuple[np.ndarray, int, np.floating]:
        """This step's random numbers for a mask of x's shape: (r, threshold, scale).

        A value is kept where its random 16-bit integer r < threshold = round((1 - p) 2^16),
        so with probability keep = threshold / 2^16 (1 - p to within 2^-17), and the mask
        is 1[r < threshold] / keep (scale = 1 / keep), so that E[mask] = 1 exactly. Raw
        16-bit integers cost a quarter of the generator's 64-bit draws and no float
        conversion: about a third of drawing floats in [0, 1) and comparing them with 1 - p.
        """
        threshold = max(1, round((1.0 - self.p) * 65536))
        keep = threshold / 65536
        raw = self.rng.bit_generator.random_raw(-(-x.size // 4))  # 4 x 16 bits per draw
        r = raw.view(np.uint16)[: x.size].reshape(x.shape)  # (N, d) uniform in 0..65535
        return r, threshold, x.dtype.type(1.0 / keep)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self.mask is None:
            return grad_out
        return grad_out * self.mask  # (N, d)   d(x * mask)/dx = mask

    def config(self) -> dict[str, Any]:
        return {"type": "Dropout", "p": self.p}
