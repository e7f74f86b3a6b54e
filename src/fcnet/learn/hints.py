"""Hints on request (`fcnet check NAME FILE --hint`): three levels per failing check.

Level 1 points at the formula, level 2 says more concretely where the usual mistake
sits, level 3 quotes the line of the course text the formula comes from (the quotes are
data shipped with fcnet: `data/course.json`, taken from the course text line by line).
A hint never gives the solution's code. The level reached per check is kept in the
progress record (`fcnet.learn.progress`), so each `--hint` run goes one level further.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources

from fcnet.i18n import N_
from fcnet.i18n import gettext as _

__all__ = ["LEVELS", "course_quote", "hint", "next_level"]

LEVELS = 3

# (exercise, check name) -> (level 1: the formula, level 2: more concrete, course quote key);
# the check names are marked N_ here, their one place in the catalog (CheckResult.title)
HINTS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("backprop", N_("linear_forward")): (
        N_("Look at the forward formula z = x W^T + b, with W of shape (out, in)."),
        N_("Rows of x are samples: multiply x by W's transpose, then add b to every row."),
        "exercise_1",
    ),
    ("backprop", N_("linear_backward shapes")): (
        N_("Each gradient has the shape of what it is the gradient of: dW like W, db like b."),
        N_("db sums delta over the batch axis (axis 0) without keeping it; dx has x's shape."),
        "dW",
    ),
    ("backprop", N_("linear_backward values")): (
        N_(
            "Look at the three formulas: dW = delta^T x, db = sum of delta over rows, dx = delta W."
        ),
        N_("delta is (N, out), x is (N, in): only delta^T x gives (out, in); db is a sum."),
        "dW",
    ),
    ("backprop", N_("linear_backward finite differences")): (
        N_("Your backward must be the derivative of your forward: check both formulas."),
        N_("Nudge one entry of W by eps, rerun forward, and compare the loss's change with dW."),
        "backprop",
    ),
    ("backprop", N_("relu_forward")): (
        N_("ReLU is a = max(z, 0), entry by entry."),
        N_("Return a new array; leave z as it was (backward needs it)."),
        "exercise_1",
    ),
    ("backprop", N_("relu_backward")): (
        N_("The formula: grad_z = grad_a ⊙ f'(z), with f'(z) = 1[z > 0]."),
        N_("The mask comes from z (not from grad_a), and it is 0 where z = 0."),
        "relu_grad",
    ),
    ("backprop", N_("relu_backward finite differences")): (
        N_("relu_backward must be the derivative of relu_forward: grad_z = grad_a ⊙ 1[z > 0]."),
        N_("Multiply the gradient coming back by the mask; do not return the activation."),
        "relu_grad",
    ),
    ("backprop", N_("softmax_cross_entropy")): (
        N_("The loss is the batch's mean of -log p[y]; delta = (p - onehot(y)) / N."),
        N_("p is each row's softmax; the mean's 1/N appears in both the loss and delta."),
        "cross_entropy",
    ),
    ("backprop", N_("softmax_cross_entropy finite differences")): (
        N_("delta must be the derivative of your loss: delta = (p - onehot(y)) / N."),
        N_("Check the sign and the 1/N: the loss is a mean, so delta carries 1/N."),
        "cross_entropy",
    ),
    ("backprop", N_("softmax_cross_entropy stability")): (
        N_("Use the stable log-softmax: log p = z - max - log Σ exp(z - max), max per row."),
        N_("Subtracting the max is not enough when you then take log(p): p underflows to 0."),
        "cross_entropy",
    ),
    ("backprop", N_("two-layer training")): (
        N_("The backward pass runs the layers in reverse: delta^(l) = f'(z^(l)) ⊙ delta^(l+1) W."),
        N_("Pass each layer's dx down as the next grad_a; update W -= lr dW after the pass."),
        "delta",
    ),
    ("idx", N_("labels on MNIST")): (
        N_("An IDX header is big-endian: magic number, then the count, 4 bytes each."),
        N_("Labels start at byte 8; read them as unsigned 8-bit integers."),
        "idx_magic",
    ),
    ("idx", N_("images on MNIST")): (
        N_("An image file's header holds the magic, the count, rows and columns: 16 bytes."),
        N_("Read rows and columns from the header; the pixels start at byte 16."),
        "idx_pixels",
    ),
    ("idx", N_("other sizes")): (
        N_("Take every size from the header, never a constant like 60000 or 784."),
        N_("Reshape to (count, rows, cols) or (count, rows * cols) as the header says."),
        "idx_header",
    ),
    ("idx", N_("malformed files raise ValueError")): (
        N_("Check the header before trusting it: the magic, and the file's length."),
        N_("A file shorter than its header says, or with a wrong magic, raises ValueError."),
        "idx_magic",
    ),
    ("idx", N_("speed")): (
        N_("Read the pixels as one array, not byte by byte."),
        N_("Read the bytes after the header with numpy's frombuffer, in one step."),
        "idx_pixels",
    ),
    ("auc", N_("by hand")): (
        N_("AUC is the chance that a random positive scores higher than a random negative."),
        N_("Count positive-negative pairs in order; a tie counts one half."),
        "auc",
    ),
    ("auc", N_("against scikit-learn")): (
        N_("AUC is the chance that a random positive scores higher than a random negative."),
        N_("Sort the scores once and use ranks: the positives' rank sum gives the pairs won."),
        "auc",
    ),
    ("auc", N_("ties")): (
        N_("A tied positive-negative pair counts one half."),
        N_("With ranks, give tied scores their average rank."),
        "auc",
    ),
    ("auc", N_("one class raises ValueError")): (
        N_("AUC needs at least one positive and one negative."),
        N_("When either class is empty, raise ValueError saying so."),
        "auc",
    ),
    ("auc", N_("speed")): (
        N_("Comparing every pair takes n² steps: sort once instead."),
        N_("A rank-based formula is O(n log n)."),
        "auc",
    ),
    ("fit", N_("target")): (
        N_("Define the function you fit, and the domain it is fitted on."),
        N_("The target takes x of shape (N, 1) and returns y of the same shape."),
        "two_layer_relu",
    ),
    ("fit", N_("held-out fit")): (
        N_("A two-layer ReLU network fits a smooth function given enough units and steps."),
        N_("If the loss turns to NaN, lower the learning rate; otherwise add units or steps."),
        "two_layer_relu",
    ),
    ("mnist", N_("train returns a network")): (
        N_("train returns the network it trained."),
        N_("Return the model object, not its loss or accuracy."),
        "exercise_1",
    ),
    ("mnist", N_("test accuracy")): (
        N_("Scale the pixels to [0, 1] and train with softmax cross-entropy."),
        N_("A hidden layer of a few hundred ReLU units and several epochs reach 97%."),
        "exercise_1",
    ),
}
for _fw in ("torch", "tensorflow"):
    HINTS |= {
        (_fw, N_("builds")): (
            N_("Two layers: Linear(in, hidden), ReLU, Linear(hidden, out)."),
            N_("Create the layers in __init__ and use them in the forward pass."),
            "autograd",
        ),
        (_fw, N_("gradients")): (
            N_("Let autograd compute the gradients: the loss must come from the model's output."),
            N_("Compute the forward pass where the framework records it, then the loss from it."),
            "autograd",
        ),
        (_fw, N_("Adam training")): (
            N_("Use the framework's Adam optimizer over the model's parameters."),
            N_("Each step: clear the gradients, forward, loss, backward, optimizer step."),
            "optim",
        ),
        (_fw, N_("one SGD step of train")): (
            N_("One step is W -= lr * dW for every parameter, with the summed squared error."),
            N_("The course's loss is a sum, not a mean: loss = Σ (y_pred - y)²."),
            "loss_sum",
        ),
    }


@functools.cache
def _quotes() -> dict[str, dict[str, object]]:
    text = resources.files("fcnet.learn").joinpath("data", "course.json").read_text("utf-8")
    quotes: dict[str, dict[str, object]] = json.loads(text)["quotes"]
    return quotes


def course_quote(key: str) -> tuple[int, str]:
    """(line number, text) of the course text's line `key` (KeyError when unknown)."""
    q = _quotes()[key]
    return int(q["line"]), str(q["text"])  # type: ignore[call-overload]


def next_level(levels: Mapping[str, int], check: str) -> int:
    """The level `check`'s next hint has, given the levels shown so far: one further, at
    most LEVELS (then the course text's line is repeated)."""
    return min(levels.get(check, 0) + 1, LEVELS)


def hint(exercise: str, check: str, level: int) -> str:
    """The hint at `level` (1-3) for `exercise`'s failing `check`, translated; "" when
    that check has none."""
    entry = HINTS.get((exercise, check))
    if entry is None or level < 1:
        return ""
    level = min(level, LEVELS)
    if level < 3:
        return _(entry[level - 1])
    line, text = course_quote(entry[2])
    return _("the course text, line {line}: “{text}”").format(line=line, text=text)
