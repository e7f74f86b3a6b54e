"""The exercises, by name, loaded on demand: one folder each, `exercises/<name>/`.

Each folder holds the exercise's checks and mistake tags (`__init__.py`: `EXERCISE`, run in
the checker's process) and its skeleton (`skeleton.py`, its code once and its text in
English, and `skeleton.zh.po`, the text in Chinese; idx also its walk-through `header.py`,
`header.zh.po`). `_util`, `_network` and `_twolayer` are shared by several exercises.
None of this is readable in the sandboxed child (`fcnet.learn.reach`); an exercise's
child-side driver, where it needs one, lives apart, in `fcnet.learn.drivers`.
"""

from __future__ import annotations

import importlib

from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.core import Exercise

# name -> (module, what it asks, the course section); `fcnet exercise list` prints these.
CATALOG: dict[str, tuple[str, str, str]] = {
    "backprop": (
        "backprop",
        N_("write linear, ReLU and softmax cross-entropy forward and backward in numpy"),
        N_("exercise 1 (numpy by hand); nndl 4.4"),
    ),
    "idx": (
        "idx",
        N_("read MNIST's IDX files (header and data) into numpy arrays, fast and checked"),
        N_("exercise 3 (the data set)"),
    ),
    "auc": (
        "auc",
        N_("compute the area under the ROC curve, ties included"),
        N_("binary classification (AUC)"),
    ),
    "fit": (
        "fit",
        N_("fit a function you define with a ReLU network"),
        N_("exercise 2 (function fitting)"),
    ),
    "mnist": (
        "mnist",
        N_("train a classifier to 97% test accuracy on MNIST"),
        N_("exercise 3 (the classifier)"),
    ),
    "torch": (
        "torch",
        N_("the two-layer net as a PyTorch nn.Module, trained with Adam"),
        N_("PyTorch step by step (nn.Module, optim)"),
    ),
    "tensorflow": (
        "tensorflow",
        N_("the same two-layer net in TensorFlow (Keras model, GradientTape, Adam)"),
        N_("exercise 1 (TensorFlow twin)"),
    ),
}


def get(name: str) -> Exercise:
    """The exercise `name`; ValueError naming the known ones when there is none."""
    if name not in CATALOG:
        raise ValueError(
            _("unknown exercise {name!r}; expected one of: {names}").format(
                name=name, names=", ".join(CATALOG)
            )
        )
    module = importlib.import_module(f"fcnet.learn.exercises.{CATALOG[name][0]}")
    return module.EXERCISE
