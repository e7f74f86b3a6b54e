"""Finite differences, once for fcnet: the central-difference core and its error measures,
used by `fcnet gradcheck` (`fcnet.nn.gradcheck`), `fcnet backprop` (`fcnet.explain.checks`)
and the learner's `check_grad` (`fcnet.learn.gradcheck`).

A module of its own, outside `fcnet.nn`: the learner's `check_grad` runs in the sandboxed
child of `fcnet check`, where fcnet's engine (the reference solution of the `backprop`
exercise) is out of reach. Each error is `inf` when a NaN or an infinity is met: a gradient
check that meets one fails.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def central_difference(
    f: Callable[[], float], w: np.ndarray, eps: float, indices: np.ndarray | None = None
) -> np.ndarray:
    """(f(w + eps e_i) - f(w - eps e_i)) / (2 eps) for each flat index i of `indices` (every
    entry when None), as an array of that many entries, float64. `w` (contiguous) is changed
    in place, one entry at a time, and restored, also when `f` raises."""
    flat = w.reshape(-1)  # a view: f() reads w
    picks = np.arange(flat.size) if indices is None else np.asarray(indices)
    grad = np.empty(picks.size)
    for k, i in enumerate(picks):
        old = flat[i]
        try:
            flat[i] = old + eps
            up = f()
            flat[i] = old - eps
            down = f()
        finally:
            flat[i] = old
        with np.errstate(all="ignore"):
            grad[k] = (up - down) / (2 * eps)
    return grad


def _finite_or_inf(value: float, *arrays: np.ndarray) -> float:
    return (
        value if all(np.isfinite(a).all() for a in arrays) and not math.isnan(value) else math.inf
    )


def max_abs_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max_i |a_i - n_i| (0 for empty arrays); inf when either holds a NaN or an infinity."""
    a, n = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    with np.errstate(all="ignore"):
        worst = float(np.abs(a - n).max(initial=0.0))
    return _finite_or_inf(worst, a, n)


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max_i |a_i - n_i| / max(max_i |a_i|, max_i |n_i|): the largest difference, relative
    to the gradient's scale (0 when both are exactly zero; inf on a NaN or an infinity).

    Scaling by the largest entry rather than entry by entry keeps the float64 rounding of
    a difference quotient (about 1e-10 absolute) from looking large where one entry of the
    gradient happens to be tiny, while a wrong entry anywhere still shows."""
    a, n = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    worst = max_abs_error(a, n)
    if math.isinf(worst):
        return worst
    scale = max(float(np.abs(a).max(initial=0)), float(np.abs(n).max(initial=0)))
    return 0.0 if scale == 0.0 else worst / scale


def entrywise_relative_error(
    analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-8
) -> np.ndarray:
    """|a_i - n_i| / max(|a_i| + |n_i|, floor) per entry (cs231n's rel_error); inf where
    either is a NaN or an infinity."""
    a, n = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    with np.errstate(all="ignore"):
        err = np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)
    return np.where(np.isfinite(a) & np.isfinite(n) & ~np.isnan(err), err, np.inf)
