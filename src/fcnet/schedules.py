"""The learning-rate schedules' formulas, written once; every backend computes with these.

Schedules count optimiser *steps* (t = 0 for the first step); lr at step t:

    step         lr * gamma ** floor(t / step_size)
    exponential  lr * gamma ** t
    cosine       lr * (t + 1) / warmup_steps                         for t < warmup_steps,
                 min_lr + (lr - min_lr) (1 + cos(pi min(t - w, T - w) / (T - w))) / 2 after
    none         lr

`ops` is the arithmetic they are computed with: `PYTHON` (floats: `NetSpec.lr_at`, the
numpy engine's and the torch backend's schedules) or the TensorFlow backend's keras.ops
namespace (tensors inside its graph, float64). Pure Python: no numpy, no framework.
"""

from __future__ import annotations

import math
from typing import Any

NAMES = ("none", "step", "exponential", "cosine")


class PYTHON:
    """The arithmetic of `lr_at` on Python numbers (keras.ops offers the same names)."""

    floor = staticmethod(math.floor)
    power = staticmethod(pow)
    cos = staticmethod(math.cos)
    minimum = staticmethod(min)

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return a if cond else b

    @staticmethod
    def constant(x: float, like: Any) -> Any:
        """`x` as a number of `like`'s kind (a float here; a float64 tensor in keras)."""
        return x


def lr_at(
    name: str,
    lr: Any,
    t: Any,
    *,
    step_size: int = 1000,
    gamma: float = 0.1,
    warmup_steps: int = 0,
    total_steps: int | None = None,
    min_lr: float = 0.0,
    ops: Any = PYTHON,
) -> Any:
    """The learning rate of step t (0-based) for base rate `lr` under schedule `name`."""
    if name == "step":
        return lr * ops.power(ops.constant(gamma, t), ops.floor(t / step_size))
    if name == "exponential":
        return lr * ops.power(ops.constant(gamma, t), t)
    if name == "cosine":
        if total_steps is None:
            raise ValueError("cosine schedule total_steps: expected an int >= 1, got None")
        span = total_steps - warmup_steps
        frac = ops.minimum(t - warmup_steps, span) / span
        cosine = min_lr + (lr - min_lr) * (1 + ops.cos(math.pi * frac)) / 2
        if warmup_steps == 0:
            return cosine
        return ops.where(t < warmup_steps, lr * (t + 1) / warmup_steps, cosine)
    if name == "none":
        return ops.constant(lr, t)
    raise ValueError(f"schedule: expected one of {', '.join(NAMES)}, got {name!r}")


__all__ = ["NAMES", "PYTHON", "lr_at"]
