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
    """A trainable array `data` and its gradient `grad` (same shape and dtype), kept side
    by side as micrograd keeps a value and its grad.

    As in PyTorch, backward passes *add* into `grad` and `zero_grad()` sets it to 0.
    Assigning `p.grad = g` writes g (shape checked, cast to the dtype) into the gradient.
    """

    __slots__ = ("_grad", "data")

    def __init__(self, data: np.ndarray) -> None:
        self.data: np.ndarray = np.ascontiguousarray(data)  # shares memory with `data` if it can
        self._grad: np.ndarray = np.zeros_like(self.data)

    @property
    def grad(self) -> np.ndarray:
        """dL/d(data), summed over the backward passes since the last `zero_grad()`."""
        return self._grad

    @grad.setter
    def grad(self, value: np.ndarray) -> None:
        if value is self._grad:  # `p.grad += g` added in place already
            return
        value = np.asarray(value)
        if value.shape != self.data.shape:
            raise ValueError(f"Parameter grad: expected shape {self.data.shape}, got {value.shape}")
        if self._grad.shape != self.data.shape or self._grad.dtype != self.data.dtype:
            self._grad = np.zeros_like(self.data)  # `data` was replaced by another shape
        self._grad[...] = value

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def zero_grad(self) -> None:
        """Set the gradient to zero."""
        self._grad.fill(0)

    def add_grad(self, g: np.ndarray) -> None:
        """Accumulate `g` (the parameter's shape) into `grad`."""
        self._grad += g

    def astype(self, dtype: str | type | np.dtype) -> Parameter:
        """Convert `data` and `grad` to `dtype` in place; returns self."""
        dt = as_dtype(dtype)
        if self.data.dtype != dt:
            self.data = self.data.astype(dt)
            self._grad = self._grad.astype(dt)
        return self

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype.name})"
