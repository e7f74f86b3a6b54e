"""`Parameter`: an array of weights and the gradient of the loss with respect to it."""

from __future__ import annotations

import numpy as np

_DTYPES = {"float32": np.float32, "float64": np.float64}


def as_dtype(dtype: str | type | np.dtype) -> np.dtype:
    """The model dtype `dtype` names: float32 or float64; anything else is a ValueError."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise ValueError(f"dtype: expected 'float32' or 'float64', got {dtype!r}") from exc
    if dt.name not in _DTYPES:
        raise ValueError(f"dtype: expected 'float32' or 'float64', got {dt.name!r}")
    return dt


class Parameter:
    """A trainable array `data` and its gradient `grad` (same shape and dtype).

    As in PyTorch, backward passes *add* into `grad`; `zero_grad()` clears it.
    (After `zero_grad()` the next `add_grad` takes over the new array instead of
    adding it to zeros: same result, one pass over memory fewer.)
    """

    __slots__ = ("_zeroed", "data", "grad")

    def __init__(self, data: np.ndarray) -> None:
        self.data = np.ascontiguousarray(data)
        self.grad = np.zeros_like(self.data)
        self._zeroed = True

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def zero_grad(self) -> None:
        """Set the gradient to zero (in place, so references to `grad` stay valid)."""
        self.grad.fill(0)
        self._zeroed = True

    def add_grad(self, g: np.ndarray) -> None:
        """Accumulate `g` into `grad`. `g` must be a fresh array the caller gives away."""
        assert g.shape == self.data.shape and g.dtype == self.data.dtype, (g.shape, g.dtype)
        if self._zeroed:
            self.grad = g
            self._zeroed = False
        else:
            self.grad += g

    def astype(self, dtype: str | type | np.dtype) -> Parameter:
        """Convert `data` and `grad` to `dtype` in place; returns self."""
        dt = as_dtype(dtype)
        if self.data.dtype != dt:
            self.data = self.data.astype(dt)
            self.grad = self.grad.astype(dt)
        return self

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype.name})"
