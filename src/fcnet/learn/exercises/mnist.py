"""Exercise `mnist`: your own classifier reaches 97% on MNIST's test set.

Contract (see the skeleton): `train(x_train, y_train) -> model` and `predict(model, x)`,
on the arrays `fcnet.data.load_mnist` gives (x float32 in [0, 1], (N, 784); y int64).
The check trains on the 60,000 training images and scores the 10,000 test images, which
the learner's code never sees. With quick (FCNET_LEARN_QUICK=1 or `--quick`, for tests)
it trains on 5,000 and scores 2,000 against 85%: that proves the plumbing, not the bound.
"""

from __future__ import annotations

import time

import numpy as np

from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.core import Check, CheckFailed, Exercise, Student
from fcnet.learn.exercises._util import array

TARGET, QUICK_TARGET = 0.97, 0.85
_HINT = N_(
    "a hidden layer of a few hundred ReLUs, softmax cross-entropy, Adam (lr 1e-3) on "
    "minibatches of ~100 for a few epochs reaches 97-98%"
)


def _data(split: str, n: int | None = None):
    from fcnet.data.mnist import load_mnist

    try:
        x, y = load_mnist(split)
    except OSError as exc:
        raise CheckFailed(
            _("MNIST could not be read ({exc}): run `fcnet data download`").format(exc=exc)
        ) from None
    return (x[:n], y[:n]) if n else (x, y)


def _labels(student: Student, model, x: np.ndarray) -> np.ndarray:
    out = student.call("predict", model, x)
    try:
        p = np.asarray(out)
    except Exception:
        raise CheckFailed(
            _("predict returns a {type}, expected a numpy array").format(type=type(out).__name__)
        ) from None
    n = len(x)
    if p.shape == (n, 10):
        return p.argmax(axis=1)
    if p.shape == (n, 1):
        p = p[:, 0]
    if p.shape != (n,):
        raise CheckFailed(
            _(
                "predict returns shape {shape} for {n} images, expected ({n},) digits or ({n}, 10) "
                "scores"
            ).format(shape=p.shape, n=n)
        )
    return array(p, "predict's digits").astype(np.int64)


def check_interface(student: Student) -> str:
    x, y = _data("train", 600)
    model = student.call("train", x.copy(), y.copy())
    labels = _labels(student, model, x[:50].copy())
    if labels.min() < 0 or labels.max() > 9:
        raise CheckFailed(
            _("predict returns digits outside 0-9 (e.g. {largest})").format(largest=labels.max())
        )
    return _("train(x, y) -> model and predict(model, x) -> digits, on 600 images")


def check_accuracy(student: Student) -> str:
    quick = student.quick
    x, y = _data("train", 5000 if quick else None)
    xt, yt = _data("test", 2000 if quick else None)
    target = QUICK_TARGET if quick else TARGET
    t0 = time.perf_counter()
    model = student.call("train", x, y)
    seconds = time.perf_counter() - t0
    acc = float((_labels(student, model, xt) == yt).mean())
    what = f"{acc:.2%} on {len(xt)} test images ({round(acc * len(xt))} right)"
    if acc < target:
        raise CheckFailed(
            _("test accuracy {what}, need >= {target:.0%}: {hint}").format(
                what=what, target=target, hint=_(_HINT)
            )
        )
    return _("test accuracy {what}, trained in {seconds:.0f} s").format(
        what=what, seconds=seconds
    ) + (" (quick)" if quick else "")


EXERCISE = Exercise(
    name="mnist",
    title="a classifier to 97% on MNIST",
    section="exercise 3 (the classifier)",
    functions=("train", "predict"),
    checks=(
        Check(
            "train and predict",
            check_interface,
            ("train", "predict"),
            seconds=120.0,
            call_limit=100.0,
        ),
        Check("test accuracy >= 97%", check_accuracy, ("train", "predict"), seconds=660.0),
    ),
    total_seconds=900.0,
    import_seconds=60.0,
    memory_bytes=6 << 30,
    call_limits={"train": 600.0, "predict": 60.0},
)
