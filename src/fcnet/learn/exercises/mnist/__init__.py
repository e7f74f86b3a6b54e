"""Exercise `mnist`: your own classifier reaches 97% on MNIST's test set.

Contract (see the skeleton): `train(x_train, y_train)` on the arrays the checker sends
(x float32 in [0, 1], (N, 784); y int64, as `fcnet.data.load_mnist` gives them) returns
the trained network as a list of (W, b) pairs (`_network`: ReLU between layers, 10
scores out). The checker loads MNIST itself, sends only the 60,000 training images, and
scores the returned network on the 10,000 test images, which never exist in the
learner's process (its sandbox cannot read the data folder either). With quick
(FCNET_LEARN_QUICK=1 or `--quick`, for tests) it trains on 5,000 and scores 2,000
against 85%: that proves the plumbing, not the bound.
"""

from __future__ import annotations

import time

import numpy as np

from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.core import Check, CheckFailed, Exercise, Student
from fcnet.learn.exercises._network import ANSWER_BYTES, TRAIN_WITH, forward, network

TARGET, QUICK_TARGET = 0.97, 0.85
CHANCE = 0.2  # under this a network has learnt nothing (guessing is right 1 time in 10)
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


def _labels(layers, x: np.ndarray) -> np.ndarray:
    """The digits the network predicts (the checker runs it: argmax of its 10 scores)."""
    return forward(layers, x).argmax(axis=1)


def check_interface(student: Student) -> str:
    x, y = _data("train", 600)
    layers = network(student.call("train", x, y), 784, 10)
    _labels(layers, x[:50])
    return _("train(x, y) returns a network of {n} layers, 784 -> 10").format(n=len(layers))


def check_accuracy(student: Student) -> str:
    quick = student.quick
    x, y = _data("train", 5000 if quick else None)
    xt, yt = _data("test", 2000 if quick else None)
    target = QUICK_TARGET if quick else TARGET
    t0 = time.perf_counter()
    layers = network(student.call("train", x, y), 784, 10)
    seconds = time.perf_counter() - t0
    predicted = _labels(layers, xt)
    acc = float((predicted == yt).mean())
    what = _("{acc:.2%} on {n} test images ({right} right)").format(
        acc=acc, n=len(xt), right=round(acc * len(xt))
    )
    bound = (
        _("the --quick bound {target:.0%} (on small slices; it does not prove the {full:.0%})")
        if quick
        else _("the bound {target:.0%}")
    ).format(target=target, full=TARGET)
    if acc < CHANCE:  # finite, but nothing learnt: say so, not "train longer"
        raise CheckFailed(
            _(
                "test accuracy {what}, about chance (10%): the network predicts {k} of the 10 "
                "digits; training diverged (lower the learning rate) or train returned "
                "untrained weights"
            ).format(what=what, k=int(np.unique(predicted).size)),
            tag="diverged",
        )
    if acc < target:
        raise CheckFailed(
            _("test accuracy {what}, need >= {bound}: {hint}").format(
                what=what, bound=bound, hint=_(_HINT)
            ),
            tag="mnist_accuracy",
        )
    return _("test accuracy {what} >= {bound}, trained in {seconds:.0f} s").format(
        what=what, bound=bound, seconds=seconds
    )


MISTAKES = {
    "not_a_network": N_("train does not return a list of (W, b) pairs of a ReLU network"),
    "diverged": N_(
        "training diverged (NaN, inf, or accuracy at chance: learning rate too large), or "
        "untrained weights returned"
    ),
    "mnist_accuracy": N_("the network's test accuracy is under the bound"),
}

EXERCISE = Exercise(
    version="2",
    mistakes=MISTAKES,
    uses=TRAIN_WITH,
    answer_bytes=ANSWER_BYTES,
    name="mnist",
    title="a classifier to 97% on MNIST",
    section="exercise 3 (the classifier)",
    functions=("train",),
    checks=(
        Check(
            "train returns a network",
            check_interface,
            ("train",),
            seconds=120.0,
            call_limit=100.0,
        ),
        Check("test accuracy", check_accuracy, ("train",), seconds=660.0),
    ),
    total_seconds=900.0,
    import_seconds=60.0,
    memory_bytes=6 << 30,
    call_limits={"train": 600.0},
)
