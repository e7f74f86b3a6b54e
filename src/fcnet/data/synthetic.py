"""Data sets made on the spot: samples of a function, random features, a pair of digits.

- `function_samples` / `function_grid`: inputs and targets for fitting y = f(x) or
  z = f(x, y) (the course text's exercise 2);
- `random_binary`: random features with random labels, the text's binary experiment,
  where nothing can be learned and a large network still fits the training set perfectly;
- `digit_pair`: two MNIST digits as a binary problem (positive digit -> 1).

Every function takes a numpy Generator, so one seed fixes the data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from fcnet.i18n import gettext as _
from fcnet.limits import check_array


def _check_range(name: str, r: Sequence[float]) -> tuple[float, float]:
    lo, hi = (float(v) for v in r)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(
            _("{name}: expected two finite numbers A < B, got {lo:g} {hi:g}").format(
                name=name, lo=lo, hi=hi
            )
        )
    return lo, hi


def _targets(f: Callable[..., np.ndarray], x: np.ndarray, expr: str | None) -> np.ndarray:
    """f over the columns of x as float64, checked finite, as a column (n, 1)."""
    with np.errstate(all="ignore"):
        y = np.asarray(f(*(x[:, j] for j in range(x.shape[1]))), dtype=np.float64)
    y = np.broadcast_to(y, (x.shape[0],))
    bad = ~np.isfinite(y)
    if bad.any():
        at = ", ".join(f"{v:g}" for v in x[np.argmax(bad)])
        what = f"{expr!r}" if expr else "the function"
        raise ValueError(
            _(
                "{what} is not finite at ({at}) inside the range ({bad} of {n_y} points): "
                "choose a range where it is defined"
            ).format(what=what, at=at, bad=int(bad.sum()), n_y=len(y))
        )
    return y[:, None]


def function_samples(
    f: Callable[..., np.ndarray],
    n: int,
    ranges: Sequence[Sequence[float]],
    rng: np.random.Generator,
    noise: float = 0.0,
    expr: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """n points drawn uniformly from the box `ranges` (one (A, B) per variable), and f there.

    Returns x (n, d) and y (n, 1), float64; `noise` adds N(0, noise^2) to y.
    """
    if n < 1:
        raise ValueError(_("samples: expected an int >= 1, got {n}").format(n=n))
    if noise < 0 or not np.isfinite(noise):
        raise ValueError(
            _("noise: expected a standard deviation >= 0, got {noise:g}").format(noise=noise)
        )
    box = [_check_range(f"range {i + 1}", r) for i, r in enumerate(ranges)]
    check_array(f"samples: {n:,} points of {len(box)} variables", (n, len(box) + 1), 8, copies=3)
    lo = np.array([b[0] for b in box])
    hi = np.array([b[1] for b in box])
    x = lo + (hi - lo) * rng.random((n, len(box)))  # (n, d)
    y = _targets(f, x, expr)
    if noise > 0:
        y = y + noise * rng.standard_normal(y.shape)
    return x, y


def function_grid(
    f: Callable[..., np.ndarray],
    ranges: Sequence[Sequence[float]],
    points: int,
    expr: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A dense evenly spaced grid over the box: `points` per axis; returns x (m, d), y (m, 1).

    For two variables the rows run over x fastest within each y (meshgrid "xy" order),
    so y.reshape(points, points) is the image with rows along y.
    """
    box = [_check_range(f"range {i + 1}", r) for i, r in enumerate(ranges)]
    check_array(f"grid: {points:,} points per axis", (points ** len(box), len(box) + 1), 8, 3)
    axes = [np.linspace(lo, hi, points) for lo, hi in box]
    mesh = np.meshgrid(*axes, indexing="xy")
    x = np.stack([m.ravel() for m in mesh], axis=1)  # (points**d, d)
    return x, _targets(f, x, expr)


def random_binary(n: int, features: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n samples of `features` standard-normal features with random 0/1 labels, float32.

    The labels do not depend on the features, so no model can do better than chance on
    new samples (AUC 0.5); both classes are always present.
    """
    if n < 2:
        raise ValueError(
            _("samples: expected at least 2 samples (one per class), got {n}").format(n=n)
        )
    if features < 1:
        raise ValueError(f"features: expected an int >= 1, got {features}")
    # standard_normal draws float64, then the float32 copy: 12 bytes a value
    check_array(f"samples x features: {n:,} x {features:,} random values", (n, features), 12)
    x = rng.standard_normal((n, features)).astype(np.float32)
    y = rng.integers(0, 2, size=n).astype(np.float32)
    if y.min() == y.max():  # one class only: flip one label so AUC is defined
        y[0] = 1.0 - y[0]
    return x, y


def digit_pair(
    images: np.ndarray, labels: np.ndarray, pos: int, neg: int
) -> tuple[np.ndarray, np.ndarray]:
    """The images of digits `pos` and `neg` as x (m, 784) float32, y 1 for `pos` and 0 else.

    `images` are uint8 (scaled to [0, 1] here) or floats already in [0, 1].
    """
    for name, d in (("pos", pos), ("neg", neg)):
        if not (isinstance(d, int | np.integer) and 0 <= d <= 9):
            raise ValueError(_("{name}: expected a digit 0-9, got {d!r}").format(name=name, d=d))
    if pos == neg:
        raise ValueError(
            _("pos and neg: expected two different digits, got {pos} and {neg}").format(
                pos=pos, neg=neg
            )
        )
    keep = (labels == pos) | (labels == neg)
    x = images[keep].reshape(int(keep.sum()), -1).astype(np.float32)  # (m, 784)
    if images.dtype == np.uint8:
        x /= 255.0
    y = (labels[keep] == pos).astype(np.float32)
    return x, y


__all__ = ["digit_pair", "function_grid", "function_samples", "random_binary"]
