"""Shared helpers for the backend tests: small specs and fixed batches."""

from __future__ import annotations

import numpy as np

from fcnet.spec import NetSpec

OUTPUTS = {"mse": 3, "cross_entropy": 3, "bce": 1, "bce_with_logits": 1}


def small_spec(loss: str = "cross_entropy", dtype: str = "float64", **kw) -> NetSpec:
    """A 5-8-6-out net (relu then tanh): small enough to trace and run quickly."""
    base = dict(
        input_size=5,
        hidden=[{"width": 8}, {"width": 6, "activation": "tanh"}],
        output_size=OUTPUTS[loss],
        loss=loss,
        output_activation="sigmoid" if loss == "bce" else "none",
        dtype=dtype,
    )
    base.update(kw)
    return NetSpec.from_dict(base)


def batches(spec: NetSpec, steps: int, n: int = 4, seed: int = 0):
    """`steps` batches (x, y) of `n` rows, cycling over 8 batches of a learnable problem
    (targets from a fixed random linear teacher), shaped for `spec`'s loss."""
    rng = np.random.default_rng(seed)
    x_all = rng.standard_normal((8 * n, spec.input_size))
    z = x_all @ rng.standard_normal((spec.input_size, max(spec.output_size, 2)))
    if spec.loss == "cross_entropy":
        y_all = z[:, : spec.output_size].argmax(axis=1)
    elif spec.loss in ("bce", "bce_with_logits"):
        y_all = (z[:, :1] > 0).astype(np.float64)
    else:
        y_all = np.tanh(z[:, : spec.output_size])
    return [
        (x_all[(t % 8) * n : (t % 8 + 1) * n], y_all[(t % 8) * n : (t % 8 + 1) * n])
        for t in range(steps)
    ]
