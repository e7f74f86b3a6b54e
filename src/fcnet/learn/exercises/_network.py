"""The network a learner's `train` returns (fit, mnist), checked and run by the checker.

A ReLU network as data: a list of (W, b) pairs in fcnet's layout, W of shape (out, in),
b of shape (out,); every layer but the last is followed by a ReLU, the last is linear:
a = relu(a W^T + b), ..., out = a W^T + b. The checker runs it itself on points the
learner's code never sees, so no prediction code of theirs is trusted.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.core import CheckFailed

# what fit's and mnist's `train` may import of fcnet while checked: any network will do
TRAIN_WITH = ("fcnet.nn", "fcnet.data")
MAX_PARAMETERS = 50_000_000
ANSWER_BYTES = MAX_PARAMETERS * 8 + (64 << 20)  # the largest network, in float64
MAX_ACTIVATION = 1 << 24  # entries of one layer's activations for a block of rows (128 MiB)
CONTRACT = N_(
    "return the trained network as a list of (W, b) pairs, W of shape (out, in), b of shape "
    "(out,), a ReLU after every layer but the last (see the skeleton)"
)


def diverged(parameters: bool) -> CheckFailed:
    """The verdict on a network whose parameters (or predictions) hold NaN or inf: its
    training diverged, which more units or steps do not mend (tag "diverged")."""
    return CheckFailed(
        _(
            "training diverged: the network's {where} hold NaN or inf; lower the "
            "learning rate (a step too large overshoots and grows each step)"
        ).format(where=_("parameters") if parameters else _("predictions")),
        tag="diverged",
    )


def network(value: Any, n_in: int, n_out: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """`value` as a list of float64 (W, b) pairs chaining n_in -> ... -> n_out, or a
    CheckFailed (tag "not_a_network") saying what is wrong."""

    def fail(what: str) -> CheckFailed:
        return CheckFailed(
            _("train returned {what}: {contract}").format(what=what, contract=_(CONTRACT)),
            tag="not_a_network",
        )

    if not isinstance(value, list | tuple) or not value:
        raise fail(_("a {type}").format(type=getattr(value, "type", type(value).__name__)))
    layers, width, count = [], n_in, 0
    for i, pair in enumerate(value):
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            raise fail(_("layer {i} that is not a pair (W, b)").format(i=i + 1))
        W, b = pair
        if not (isinstance(W, np.ndarray) and isinstance(b, np.ndarray)):
            raise fail(_("layer {i} whose W or b is not a numpy array").format(i=i + 1))
        if W.ndim != 2 or b.shape != (W.shape[0],) or W.shape[1] != width:
            raise fail(
                _("layer {i} with W {W} and b {b} after a layer of width {width}").format(
                    i=i + 1, W=W.shape, b=b.shape, width=width
                )
            )
        count += W.size + b.size
        if count > MAX_PARAMETERS:
            raise fail(_("more than {n:,} parameters").format(n=MAX_PARAMETERS))
        W, b = W.astype(np.float64), b.astype(np.float64)
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise diverged(parameters=True)
        layers.append((W, b))
        width = W.shape[0]
    if width != n_out:
        raise fail(_("a network of {width} outputs, expected {n}").format(width=width, n=n_out))
    return layers


def forward(layers: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray) -> np.ndarray:
    """The network's output at x (N, in): ReLU between layers, linear last. Rows go
    through in blocks so that no activation exceeds `MAX_ACTIVATION` entries: the
    parameter bound does not bound a wide layer's activations (784 -> 1 -> 4e6 -> 10 is
    48M parameters, but 10,000 rows of it would be 320 GB), and this runs in the checker."""
    widest = max(W.shape[0] for W, _b in layers)
    rows = max(1, MAX_ACTIVATION // widest)
    return np.concatenate([_forward(layers, x[i : i + rows]) for i in range(0, len(x), rows)])


def _forward(layers: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray) -> np.ndarray:
    a = x.astype(np.float64)
    for W, b in layers[:-1]:
        a = np.maximum(a @ W.T + b, 0.0)  # (N, out)
    W, b = layers[-1]
    return a @ W.T + b
