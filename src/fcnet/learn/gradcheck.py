"""`check_grad`: a finite-difference check of *your* gradients, for any function.

`fcnet.nn.gradcheck` checks fcnet's own `Sequential`; this one takes any loss function
and the arrays it reads, so a learner checks their own ``w1``/``w2`` gradients (as
cs231n's ``eval_numerical_gradient`` does), and reads the result the cs231n way. Both
differentiate with `fcnet.numdiff`; this module imports nothing of fcnet's engine, so it
works in the sandboxed child of `fcnet check`, where the engine is out of reach.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.numdiff import central_difference, entrywise_relative_error

__all__ = ["GradCheck", "ParamCheck", "check_grad", "reading"]

_SAMPLES = 100  # entries checked per parameter (all of them when it has fewer)
_FLOOR = 1e-8  # the denominator's floor, as cs231n's rel_error has it
WRONG, RIGHT = 1e-2, 1e-7  # the cs231n reading of a relative error in float64
_PASS = 1e-4  # below this a gradient passes (kinks such as ReLU's can give up to ~1e-5)


def reading(error: float) -> str:
    """The cs231n reading of a relative error computed in float64."""
    if not error <= WRONG:  # NaN reads as wrong
        return N_("wrong")
    if error > _PASS:
        return N_("suspect (wrong unless the function has a kink there)")
    if error >= RIGHT:
        return N_("probably right (fine near a kink such as ReLU's)")
    return N_("right")


@dataclass(frozen=True)
class ParamCheck:
    """One parameter's result: the largest relative error over the entries checked,
    where it is (`worst_index`), the two gradients there, and how many entries were checked."""

    name: str
    rel_error: float
    worst_index: tuple[int, ...]
    analytic: float
    numeric: float
    checked: int
    size: int

    @property
    def reading(self) -> str:
        return reading(self.rel_error)

    @property
    def passed(self) -> bool:
        return self.rel_error <= _PASS

    def __str__(self) -> str:
        return _(
            "{name}: relative error {error:.1e} ({reading}); worst at {index}: yours "
            "{analytic:.6g}, finite differences {numeric:.6g} ({checked} of {size} entries "
            "checked)"
        ).format(
            name=self.name,
            error=self.rel_error,
            reading=_(self.reading),
            index=self.worst_index,
            analytic=self.analytic,
            numeric=self.numeric,
            checked=self.checked,
            size=self.size,
        )


@dataclass(frozen=True)
class GradCheck:
    """The result of `check_grad`: one `ParamCheck` per parameter, in order."""

    params: tuple[ParamCheck, ...]

    @property
    def passed(self) -> bool:
        return all(p.passed for p in self.params)

    @property
    def worst(self) -> ParamCheck:
        return max(self.params, key=lambda p: -1.0 if p.rel_error <= 0 else p.rel_error)

    def __getitem__(self, name: str) -> ParamCheck:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.params)


def check_grad(
    f: Callable[[], float],
    params: Mapping[str, np.ndarray] | Sequence[np.ndarray],
    grads: Mapping[str, np.ndarray] | Sequence[np.ndarray],
    *,
    eps: float = 1e-6,
) -> GradCheck:
    """Check the gradients `grads` of the scalar `f()` against centred differences.

    `f()` computes the loss from the arrays in `params` (float64, a dict {name: array}
    or a list), which `check_grad` changes in place, one entry at a time, and restores:
    numeric_i = (f(w + eps e_i) - f(w - eps e_i)) / (2 eps). `grads` holds your
    gradients, the same names (or order) and shapes. Up to 100 entries per parameter,
    drawn at random with a fixed seed, are checked.

    Per entry, the relative error is |a - n| / max(|a| + |n|, 1e-8) (cs231n's), and a
    parameter's error is the largest over its entries. Reading it in float64: above 1e-2
    the gradient is wrong; below 1e-7 it is right; in between, suspect, unless the
    function has a kink (ReLU's) near the point. `passed` means below 1e-4.

    >>> import numpy as np
    >>> w = np.array([1.0, -2.0, 3.0])
    >>> result = check_grad(lambda: float((w**2).sum()), {"w": w}, {"w": 2 * w})
    >>> result.passed, result["w"].reading
    (True, 'right')
    """
    if not (isinstance(eps, float | int) and math.isfinite(eps) and 0 < eps < 1):
        raise ValueError(f"check_grad: eps must be a number in (0, 1), got {eps!r}")
    names, ws = _named(params, "params")
    gnames, gs = _named(grads, "grads")
    if names != gnames:
        raise ValueError(f"check_grad: grads must have the names of params {names}, got {gnames}")
    for name, w, g in zip(names, ws, gs, strict=True):
        if not isinstance(w, np.ndarray) or w.dtype != np.float64:
            got = w.dtype if isinstance(w, np.ndarray) else type(w).__name__
            raise ValueError(
                f"check_grad: params[{name!r}] must be a float64 numpy array (got {got}): "
                "float32 rounding swamps a step of 1e-6; use w.astype(np.float64)"
            )
        if not w.flags.writeable:
            raise ValueError(f"check_grad: params[{name!r}] is read-only; it is changed in place")
        if np.shape(g) != w.shape:
            raise ValueError(
                f"check_grad: grads[{name!r}] has shape {np.shape(g)}, "
                f"params[{name!r}] has {w.shape}: a gradient has its parameter's shape"
            )

    def loss() -> float:
        value = f()
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"check_grad: f() must return a scalar loss, got {type(value).__name__} "
                f"of shape {np.shape(value)}"
            ) from None

    rng = np.random.default_rng(0)
    results = []
    for name, w, g in zip(names, ws, gs, strict=True):
        g = np.asarray(g, dtype=np.float64)
        flat = w.reshape(-1)  # a view: w is changed in place
        if flat.size and not np.shares_memory(flat, w):
            raise ValueError(f"check_grad: params[{name!r}] must be contiguous")
        picks = np.arange(w.size)
        if w.size > _SAMPLES:
            picks = np.sort(rng.choice(w.size, _SAMPLES, replace=False))
        numeric = central_difference(loss, w, eps, picks)
        analytic = g.reshape(-1)[picks]
        err = entrywise_relative_error(analytic, numeric, _FLOOR)  # NaN or inf: inf
        if picks.size == 0:
            results.append(ParamCheck(name, 0.0, (), 0.0, 0.0, 0, 0))
            continue
        k = int(np.argmax(err))
        index = tuple(int(j) for j in np.unravel_index(picks[k], w.shape))
        results.append(
            ParamCheck(
                name,
                float(err[k]),
                index,
                float(analytic[k]),
                float(numeric[k]),
                int(picks.size),
                int(w.size),
            )
        )
    return GradCheck(tuple(results))


def _named(items, what: str) -> tuple[list[str], list]:
    if isinstance(items, Mapping):
        return [str(k) for k in items], list(items.values())
    if isinstance(items, np.ndarray):
        return ["0"], [items]
    if isinstance(items, Sequence) and not isinstance(items, str | bytes):
        return [str(i) for i in range(len(items))], list(items)
    raise ValueError(f"check_grad: {what} must be a dict of arrays or a list of arrays")
