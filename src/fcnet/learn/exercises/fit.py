"""Exercise `fit`: a ReLU network fits a function the learner defines, on held-out points.

Contract (see the skeleton): `DOMAIN = (a, b)`, `target(x)` (the function, on a 1-D
array), `train(x, y) -> model` and `predict(model, x)` with x, y of shape (N, 1). The
check draws 2,000 training points and 1,000 held-out points uniformly from DOMAIN
(`fcnet.data.synthetic.function_samples`) and wants the held-out MSE under 1% of the
target's variance there. Quick (for tests): 500 points, 5%.
"""

from __future__ import annotations

import numpy as np

from fcnet.i18n import gettext as _
from fcnet.learn.core import Check, CheckFailed, Exercise, Student
from fcnet.learn.exercises._util import array

BOUND, QUICK_BOUND = 0.01, 0.05
_LINEAR = 0.95  # a target a straight line explains better than this is too easy


def _domain(student: Student) -> tuple[float, float]:
    d = student.namespace.get("DOMAIN")
    try:
        a, b = (float(v) for v in (d if d is not None else ()))
    except (TypeError, ValueError):
        raise CheckFailed(
            _("DOMAIN must be a pair (a, b) of numbers, got {d!r}").format(d=d)
        ) from None
    if not (np.isfinite(a) and np.isfinite(b) and a < b):
        raise CheckFailed(_("DOMAIN must be (a, b) with finite a < b, got {d!r}").format(d=d))
    return a, b


def _samples(student: Student, n: int, seed: int):
    from fcnet.data.synthetic import function_samples

    a, b = _domain(student)

    def f(x):
        y = array(student.call("target", x.copy()), "target(x)", x.shape, why="one value per x")
        return y

    try:
        return function_samples(f, n, [(a, b)], np.random.default_rng(seed))
    except ValueError as exc:
        if isinstance(exc, CheckFailed):
            raise
        raise CheckFailed(_("target: {exc}").format(exc=exc)) from None


def check_target(student: Student) -> str:
    x, y = _samples(student, 1000, 1)
    var = float(y.var())
    if not var > 1e-12:
        raise CheckFailed(_("target is constant on DOMAIN: define a function that varies"))
    A = np.c_[x, np.ones_like(x)]
    resid = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
    explained = 1 - float(resid.var()) / var
    if explained > _LINEAR:
        raise CheckFailed(
            _(
                "target is nearly a straight line on DOMAIN (a line explains {explained:.0%} of "
                "its variance): choose a curved function, e.g. np.sin(2 * x) + x**2 / 4"
            ).format(explained=explained)
        )
    return _("a curved function (a line explains only {explained:.0%} of its variance)").format(
        explained=explained
    )


def check_fit(student: Student) -> str:
    quick = student.quick
    n, bound = (500, QUICK_BOUND) if quick else (2000, BOUND)
    x, y = _samples(student, n, 2)
    xt, yt = _samples(student, 1000, 3)
    model = student.call("train", x.copy(), y.copy())
    pred = student.call("predict", model, xt.copy())
    p = np.asarray(pred, dtype=np.float64) if isinstance(pred, np.ndarray | list) else pred
    p = array(p, "predict(model, x)")
    if p.shape == (len(xt),):
        p = p[:, None]
    p = array(p, "predict(model, x)", yt.shape, why="one value per point, (M, 1) or (M,)")
    mse = float(np.mean((p - yt) ** 2))
    ratio = mse / float(yt.var())
    what = f"held-out MSE {mse:.3g} = {ratio:.2%} of the target's variance"
    if not ratio <= bound:
        raise CheckFailed(
            _(
                "{what}, need <= {bound:.0%}: more hidden ReLUs (50-200), more steps, Adam; scale "
                "x to about [-1, 1] if DOMAIN is wide"
            ).format(what=what, bound=bound)
        )
    return what + (" (quick)" if quick else "")


EXERCISE = Exercise(
    name="fit",
    title="fit a function you define",
    section="exercise 2 (function fitting)",
    functions=("target", "train", "predict"),
    checks=(
        Check("target", check_target, ("target",)),
        Check("held-out fit", check_fit, ("target", "train", "predict"), seconds=150.0),
    ),
    total_seconds=180.0,
    call_limits={"train": 120.0},
)
