"""Weight initialisations (biases always start at zero).

Each takes the weight's shape (out_features, in_features), so fan_in = in_features and
fan_out = out_features, as in `torch.nn.init`:

| name             | distribution                                   |
| ---------------- | ---------------------------------------------- |
| "normal"         | N(0, 1): the course text's `np.random.randn`   |
| "xavier_uniform" | U(-a, a), a = sqrt(6 / (fan_in + fan_out))     |
| "xavier_normal"  | N(0, 2 / (fan_in + fan_out))                   |
| "he_normal"      | N(0, 2 / fan_in)  (Kaiming, for ReLU)          |
| "he_uniform"     | U(-a, a), a = sqrt(6 / fan_in)                 |

Numbers are drawn in float64 from the given `numpy.random.Generator` and then cast, so
a float32 and a float64 model built from the same seed hold the same weights.
"""

from __future__ import annotations

import math

import numpy as np

INITS = ("normal", "xavier_uniform", "xavier_normal", "he_normal", "he_uniform")


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A Generator from a Generator (used as is, so one Generator can seed a whole model),
    an int seed, or None (fresh, unseeded)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, int | np.integer) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise ValueError(f"rng: expected a numpy.random.Generator, an int seed or None, got {rng!r}")


def check_init(name: str) -> str:
    if name not in INITS:
        raise ValueError(f"init: expected one of {', '.join(INITS)}, got {name!r}")
    return name


def init_weight(
    name: str, shape: tuple[int, int], rng: np.random.Generator, dtype: np.dtype
) -> np.ndarray:
    """A weight matrix of `shape` = (fan_out, fan_in) drawn from the named initialisation."""
    check_init(name)
    fan_out, fan_in = shape
    if name == "normal":
        w = rng.standard_normal(shape)
    elif name == "xavier_uniform":
        a = math.sqrt(6.0 / (fan_in + fan_out))
        w = rng.uniform(-a, a, shape)
    elif name == "xavier_normal":
        w = rng.standard_normal(shape) * math.sqrt(2.0 / (fan_in + fan_out))
    elif name == "he_normal":
        w = rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)
    else:  # he_uniform
        a = math.sqrt(6.0 / fan_in)
        w = rng.uniform(-a, a, shape)
    return w.astype(dtype)
