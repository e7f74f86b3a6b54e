"""Exercise `fit`: a ReLU network fits a function, scored by the checker on points it keeps.

Contract (see the skeleton): `DOMAIN = (a, b)`, `target(x)` (the learner's function,
on a 1-D array: checked to be finite and curved, used for their own plots) and
`train(x, y)` with x, y of shape (N, 1), returning the trained network as a list of
(W, b) pairs (`_network`). The training points come from a hidden smooth curve the
checker draws on DOMAIN from the run's seed, not from the learner's target, and the
checker runs the returned network itself on 1,000 held-out points: their MSE must be
under 1% of the curve's variance there. So no shortcut through `target` or through a
prediction function can pass. Quick (for tests): 500 points, 5%.
"""

from __future__ import annotations

import numpy as np

from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.core import Check, CheckFailed, Exercise, Student
from fcnet.learn.exercises._network import ANSWER_BYTES, TRAIN_WITH, diverged, forward, network
from fcnet.learn.exercises._util import array

BOUND, QUICK_BOUND = 0.01, 0.05
# held-out MSE over the curve's variance beyond which no fitting went on: a network trained
# on other y or for a few steps stays within a few times (predicting about 0 or a mean)
DIVERGED_RATIO = 100.0
_LINEAR = 0.95  # a target a straight line explains better than this is too easy


def _domain(student: Student) -> tuple[float, float]:
    d = student.value("DOMAIN")
    try:
        a, b = (float(v) for v in (d if isinstance(d, list | tuple) else ()))
    except (TypeError, ValueError):
        a = b = float("nan")
    if not isinstance(d, list | tuple) or len(d) != 2 or np.isnan(a):
        raise CheckFailed(
            _("DOMAIN must be a pair (a, b) of numbers, got {d!r}").format(d=d), tag="fit_domain"
        )
    if not (np.isfinite(a) and np.isfinite(b) and a < b):
        raise CheckFailed(
            _("DOMAIN must be (a, b) with finite a < b, got {d!r}").format(d=d), tag="fit_domain"
        )
    return a, b


def _hidden_curve(student: Student, a: float, b: float):
    """The curve the training points come from: smooth, drawn from the run's seed, never
    sent to the learner's process (only its values at the training points are)."""
    rng = student.rng(2, 7)
    f1, f2 = rng.uniform(2.0, 4.0), rng.uniform(4.0, 6.0)
    p1, p2 = rng.uniform(0, 2 * np.pi, 2)
    c = rng.uniform(-1.0, 1.0)

    def f(x: np.ndarray) -> np.ndarray:
        u = (2 * x - (a + b)) / (b - a)  # [-1, 1]
        return np.sin(f1 * u + p1) + 0.5 * np.sin(f2 * u + p2) + c * u**2

    return f


def check_target(student: Student) -> str:
    a, b = _domain(student)
    x = np.sort(student.rng(1).uniform(a, b, 1000))
    y = array(student.call("target", x.copy()), "target(x)", x.shape, why="one value per x")
    if not np.isfinite(y).all():
        raise CheckFailed(
            _("target is not finite at x = {x:.4g}").format(x=float(x[~np.isfinite(y)][0])),
            tag="fit_target_not_finite",
        )
    var = float(y.var())
    if not var > 1e-12:
        raise CheckFailed(
            _("target is constant on DOMAIN: define a function that varies"), tag="fit_target_flat"
        )
    A = np.c_[x, np.ones_like(x)]
    resid = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
    explained = 1 - float(resid.var()) / var
    if explained > _LINEAR:
        raise CheckFailed(
            _(
                "target is nearly a straight line on DOMAIN (a line explains {explained:.0%} of "
                "its variance): choose a curved function, e.g. np.sin(2 * x) + x**2 / 4"
            ).format(explained=explained),
            tag="fit_target_linear",
        )
    return _("a curved function (a line explains only {explained:.0%} of its variance)").format(
        explained=explained
    )


def check_fit(student: Student) -> str:
    quick = student.quick
    n, bound = (500, QUICK_BOUND) if quick else (2000, BOUND)
    a, b = _domain(student)
    curve = _hidden_curve(student, a, b)
    rng = student.rng(3)
    x = rng.uniform(a, b, (n, 1))
    xt = rng.uniform(a, b, (1000, 1))  # held out: never leaves this process
    layers = network(student.call("train", x, curve(x)), 1, 1)
    yt = curve(xt)
    with np.errstate(all="ignore"):  # a diverged network's inf and NaN are said below
        p = forward(layers, xt)
    if not np.isfinite(p).all():
        raise diverged(parameters=False)
    mse = float(np.mean((p - yt) ** 2))
    ratio = mse / float(yt.var())
    if ratio > DIVERGED_RATIO:
        raise CheckFailed(
            _(
                "held-out MSE {mse:.3g} = {ratio:.3g} times the curve's variance, far worse than "
                "predicting its mean: training diverged or train returned untrained weights; lower "
                "the learning rate (a step too large overshoots and grows each step) and return "
                "the trained (W, b) pairs"
            ).format(mse=mse, ratio=ratio),
            tag="diverged",
        )
    what = _("held-out MSE {mse:.3g} = {ratio:.2%} of the curve's variance").format(
        mse=mse, ratio=ratio
    )
    if not ratio <= bound:
        raise CheckFailed(
            _(
                "{what}, need <= {bound:.0%}: more hidden ReLUs (50-200), more steps, Adam; scale "
                "x to about [-1, 1] if DOMAIN is wide (and fold the scale into the first W)"
            ).format(what=what, bound=bound),
            tag="fit_underfit",
        )
    return what + (_(" (--quick: on small slices)") if quick else "")


MISTAKES = {
    "fit_domain": N_("DOMAIN is not a pair (a, b) with a < b"),
    "fit_target_not_finite": N_("target is not finite somewhere on DOMAIN"),
    "fit_target_flat": N_("target is constant"),
    "fit_target_linear": N_("target is nearly a straight line"),
    "not_a_network": N_("train does not return a list of (W, b) pairs of a ReLU network"),
    "diverged": N_(
        "training diverged to NaN, inf or an error far above the curve's variance (learning "
        "rate too large), or untrained weights returned"
    ),
    "fit_underfit": N_("the network's held-out error is over the bound"),
}

EXERCISE = Exercise(
    name="fit",
    title="fit a function you define",
    section="exercise 2 (function fitting)",
    functions=("target", "train"),
    checks=(
        Check("target", check_target, ("target",)),
        Check("held-out fit", check_fit, ("train",), seconds=150.0),
    ),
    total_seconds=180.0,
    call_limits={"train": 120.0},
    version="2",
    mistakes=MISTAKES,
    uses=TRAIN_WITH,
    answer_bytes=ANSWER_BYTES,
)
