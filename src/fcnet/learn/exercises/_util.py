"""Helpers the checks share: turn what a learner returned into arrays, or say why not."""

from __future__ import annotations

from typing import Any

import numpy as np

from fcnet.i18n import gettext as _
from fcnet.learn.core import CheckFailed


def array(
    value: Any, what: str, shape: tuple[int, ...] | None = None, *, why: str = ""
) -> np.ndarray:
    """`value` as a float64 array of `shape`, or a CheckFailed naming `what`."""
    if value is None:
        raise CheckFailed(
            _("{what} is None: did the function forget to return it?").format(what=what)
        )
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(
            _("{what} is a {type}, expected a numpy array").format(
                what=what,
                type=getattr(value, "type", type(value).__name__),  # a Remote's
            )
        ) from None
    if shape is not None and a.shape != shape:
        said = _("{what} has shape {shape}, expected {expected}").format(
            what=what, shape=a.shape, expected=shape
        )
        raise CheckFailed(because(said, why))
    return a


def because(said: str, why: str = "") -> str:
    """`said`, then `why` (a msgid) after a colon, the language's own (Chinese: "：")."""
    return _("{message}: {why}").format(message=said, why=_(why)) if why else said


def scalar(value: Any, what: str) -> float:
    """`value` as a float (a 0-d or 1-element array passes), or a CheckFailed."""
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(
            _("{what} is a {type}, expected a number").format(what=what, type=type(value).__name__)
        ) from None
    if a.size != 1:
        raise CheckFailed(
            _("{what} has shape {shape}, expected a single number").format(what=what, shape=a.shape)
        )
    return float(a.reshape(()))


def tuple_of(value: Any, n: int, what: str, names: str) -> tuple:
    """`value` unpacked into `n` items, or a CheckFailed saying what should come back."""
    if not isinstance(value, tuple | list) or len(value) != n:
        kind = type(value).__name__
        got = (
            _("a {type} of {n}").format(type=kind, n=len(value))
            if isinstance(value, tuple | list)
            else _("a {type}").format(type=kind)
        )
        raise CheckFailed(
            _("{what} must return {names}, got {got}").format(what=what, names=names, got=got)
        )
    return tuple(value)


def close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-7, atol: float = 1e-9) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def max_error(a: np.ndarray, b: np.ndarray) -> tuple[float, tuple[int, ...]]:
    """The largest |a - b| relative to b's scale, and where."""
    diff = np.abs(a - b)
    i = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
    scale = max(float(np.abs(b).max(initial=0)), 1e-12)
    return float(diff.max(initial=0)) / scale, tuple(int(j) for j in i)


def ratio(a: np.ndarray, b: np.ndarray) -> float | None:
    """c when a == c * b for one constant c (b not all zero), else None."""
    mask = np.abs(b) > 1e-12 * max(float(np.abs(b).max(initial=0)), 1e-300)
    if not mask.any():
        return None
    c = float(np.median(a[mask] / b[mask]))
    return c if np.allclose(a, c * b, rtol=1e-6, atol=1e-12) else None
