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

    As in PyTorch, backward passes *add* into `grad` and `zero_grad()` clears it. Two
    shortcuts keep this free: `zero_grad()` only marks the gradient as zero (it is
    filled with zeros if read before the next backward), and the first `add_grad`
    after it takes the new array over instead of adding it to zeros. So read `p.grad`
    afresh after a backward pass: it may be a new array.

    An optimiser `pin`s its parameters: `data` and `grad` become views into its flat
    buffers, and from then on gradients are written into that memory (never replaced).
    """

    __slots__ = ("_grad", "_pinned", "_zeroed", "data")

    def __init__(self, data: np.ndarray) -> None:
        self.data = np.ascontiguousarray(data)  # shares memory with `data` when it can
        self._grad = np.zeros_like(self.data)
        self._zeroed = False
        self._pinned = False

    @property
    def grad(self) -> np.ndarray:
        """dL/d(data), summed over the backward passes since the last `zero_grad()`."""
        if self._zeroed:  # marked zero and not yet filled: the caller may write into it
            self._grad.fill(0)
            self._zeroed = False
        return self._grad

    @grad.setter
    def grad(self, value: np.ndarray) -> None:
        value = np.asarray(value)
        if value.shape != self.data.shape:
            raise ValueError(f"Parameter grad: expected shape {self.data.shape}, got {value.shape}")
        if self._pinned:
            self._grad[...] = value
        else:
            self._grad = value.astype(self.data.dtype, copy=False)
        self._zeroed = False

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def zero_grad(self) -> None:
        """Set the gradient to zero (lazily: see the class docstring)."""
        self._zeroed = True

    def add_grad(self, g: np.ndarray) -> None:
        """Accumulate `g` into `grad`. `g` must be a fresh array the caller gives away."""
        assert g.shape == self.data.shape and g.dtype == self.data.dtype, (g.shape, g.dtype)
        if self._zeroed:
            if self._pinned:
                np.copyto(self._grad, g)
            else:
                self._grad = g  # 0 + g, without the pass over memory
            self._zeroed = False
        else:
            self._grad += g

    def add_matmul(self, a: np.ndarray, b: np.ndarray) -> None:
        """grad += a @ b, the product written straight into the gradient's memory."""
        if self._zeroed:
            np.matmul(a, b, out=self._grad)  # 0 + a @ b
            self._zeroed = False
        else:
            self._grad += a @ b

    def add_sum(self, x: np.ndarray) -> None:
        """grad += x summed over its first axis (the batch), written into the gradient."""
        if self._zeroed:
            np.sum(x, axis=0, out=self._grad)  # 0 + sum
            self._zeroed = False
        else:
            self._grad += x.sum(axis=0)

    def pin(self, data: np.ndarray, grad: np.ndarray) -> None:
        """Move `data` and the gradient into the given arrays (an optimiser's flat buffers,
        same shape and dtype) and keep them there: later gradients are written into `grad`."""
        if data is not self.data:
            np.copyto(data, self.data)
            self.data = data
        if grad is not self._grad:
            if self._zeroed:
                grad.fill(0)
            else:
                np.copyto(grad, self._grad)
            self._grad = grad
        self._zeroed = False
        self._pinned = True

    def astype(self, dtype: str | type | np.dtype) -> Parameter:
        """Convert `data` and `grad` to `dtype` in place; returns self."""
        dt = as_dtype(dtype)
        if self.data.dtype != dt:
            self.data = self.data.astype(dt)
            self._grad = self._grad.astype(dt)
            self._pinned = False  # an optimiser made before keeps the old buffers
        return self

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype.name})"
