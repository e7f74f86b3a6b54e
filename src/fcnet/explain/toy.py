"""Small 2-D data sets for the studio's Backprop page (as in TensorFlow Playground):
two moons, two circles, XOR. Labels 0/1; one seed fixes the points."""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

Dataset = Literal["moons", "circles", "xor"]
DATASETS: tuple[str, ...] = get_args(Dataset)


def make(name: str, n: int, seed: int = 0, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """(x (n, 2) float64, y (n,) int64) for data set `name`; half of each class."""
    if name not in DATASETS:
        raise ValueError(f"dataset: expected one of {', '.join(DATASETS)}, got {name!r}")
    rng = np.random.default_rng(seed)
    n0 = n // 2
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n - n0, np.int64)])
    x: np.ndarray
    if name == "moons":
        t = rng.uniform(0, np.pi, n)
        x = np.where(
            y[:, None] == 0,
            np.stack([np.cos(t), np.sin(t)], axis=1),
            np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1),
        )
        x = x - [0.5, 0.25]  # centred
    elif name == "circles":
        t = rng.uniform(0, 2 * np.pi, n)
        r = np.where(y == 0, 1.0, 0.5)
        x = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    else:  # xor: class 1 where the two coordinates have the same sign
        x = rng.uniform(-1, 1, (n, 2))
        x += 0.1 * np.sign(x)  # a margin around the axes
        y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    x = x + noise * rng.standard_normal((n, 2))
    return x, y
