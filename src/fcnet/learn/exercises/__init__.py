"""The exercises, by name, loaded on demand (torch and tensorflow only when checked)."""

from __future__ import annotations

import importlib

from fcnet.learn.core import Exercise

# name -> (module, what it asks, the course section); `fcnet exercise list` prints these.
CATALOG: dict[str, tuple[str, str, str]] = {
    "backprop": (
        "backprop",
        "write linear, ReLU and softmax cross-entropy forward and backward in numpy",
        "exercise 1 (numpy by hand); nndl 4.4",
    ),
    "idx": (
        "idx",
        "read MNIST's IDX files (header and data) into numpy arrays, fast and checked",
        "exercise 3 (the data set)",
    ),
    "auc": (
        "auc",
        "compute the area under the ROC curve, ties included",
        "binary classification (AUC)",
    ),
    "fit": (
        "fit",
        "fit a function you define with a ReLU network",
        "exercise 2 (function fitting)",
    ),
    "mnist": (
        "mnist",
        "train a classifier to 97% test accuracy on MNIST",
        "exercise 3 (the classifier)",
    ),
    "torch": (
        "torch_net",
        "the two-layer net as a PyTorch nn.Module, trained with Adam",
        "PyTorch step by step (nn.Module, optim)",
    ),
    "tensorflow": (
        "tf_net",
        "the same two-layer net in TensorFlow (Keras model, GradientTape, Adam)",
        "exercise 1 (TensorFlow twin)",
    ),
}


def get(name: str) -> Exercise:
    """The exercise `name`; ValueError naming the known ones when there is none."""
    if name not in CATALOG:
        raise ValueError(f"unknown exercise {name!r}; expected one of: {', '.join(CATALOG)}")
    module = importlib.import_module(f"fcnet.learn.exercises.{CATALOG[name][0]}")
    return module.EXERCISE
