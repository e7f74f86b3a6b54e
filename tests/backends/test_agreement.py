"""numpy, torch and tensorflow compute the same thing: same spec, same initial weights,
same batches, float64 -> per-step losses within 1e-6 relative for 200 steps and final
weights within 1e-6, for every optimiser x every loss (and schedules, clipping, decay)."""

from __future__ import annotations

import numpy as np
import pytest
from _backend_cases import batches, small_spec

from fcnet.backends import build

STEPS = 200
TOL = 1e-6

OPTIMIZERS = {
    "sgd": dict(name="sgd", lr=0.05),
    "sgd_momentum": dict(name="sgd", lr=0.05, momentum=0.9),
    # eps large enough that where it sits in the formula shows in the numbers
    "rmsprop": dict(name="rmsprop", lr=0.01, eps=1e-3),
    "adam": dict(name="adam", lr=0.01, eps=1e-3),
    "adamw": dict(name="adamw", lr=0.01, eps=1e-3, weight_decay=0.1),
}
LOSSES = ("mse", "cross_entropy", "bce", "bce_with_logits")

# settings where Keras's own formula differs from torch's: each must still agree
VARIANTS = {
    "sgd_nesterov_l2_step": dict(
        name="sgd", lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01,
        schedule=dict(name="step", step_size=40, gamma=0.5),
    ),
    "sgd_momentum_cosine_warmup": dict(
        name="sgd", lr=0.05, momentum=0.8,
        schedule=dict(name="cosine", warmup_steps=20, total_steps=150, min_lr=0.001),
    ),
    "rmsprop_momentum_l2_clip": dict(
        name="rmsprop", lr=0.005, alpha=0.9, eps=1e-3, momentum=0.5, weight_decay=0.05,
        clip_norm=0.5,
    ),
    "adam_l2_exponential": dict(
        name="adam", lr=0.01, betas=(0.8, 0.99), eps=1e-3, weight_decay=0.05,
        schedule=dict(name="exponential", gamma=0.995),
    ),
    "adamw_clip_cosine": dict(
        name="adamw", lr=0.01, eps=1e-8, weight_decay=0.2, clip_norm=1.0,
        schedule=dict(name="cosine", total_steps=200),
    ),
}  # fmt: skip


def _run(spec, data):
    """Train one model per backend on the same batches; losses (backend, step), weights."""
    losses, weights = {}, {}
    for backend in ("numpy", "torch", "tensorflow"):
        model = build(spec, backend)
        losses[backend] = np.array([model.train_step(x, y) for x, y in data])
        weights[backend] = model.get_weights()
    return losses, weights


def _assert_agree(losses, weights):
    ref = losses["numpy"]
    assert np.all(np.isfinite(ref))
    assert ref[-20:].mean() < ref[:20].mean()  # it did learn something
    for backend in ("torch", "tensorflow"):
        rel = np.abs(losses[backend] - ref) / np.maximum(np.abs(ref), 1e-12)
        assert rel.max() < TOL, f"{backend}: step {rel.argmax()} loss off by {rel.max():.2e}"
        for name, w in weights["numpy"].items():
            diff = np.abs(weights[backend][name] - w).max()
            assert diff < TOL, f"{backend}: {name} off by {diff:.2e}"


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_three_backends_agree_for_200_steps(opt, loss):
    spec = small_spec(loss, optimizer=OPTIMIZERS[opt])
    _assert_agree(*_run(spec, batches(spec, STEPS)))


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_agree_where_keras_formulas_differ(variant):
    spec = small_spec("mse", optimizer=VARIANTS[variant])
    _assert_agree(*_run(spec, batches(spec, STEPS, seed=1)))


def test_sum_reduction_and_dropout_free_identity_layers_agree():
    spec = small_spec(
        "bce",
        reduction="sum",
        hidden=[{"width": 7, "activation": "leaky_relu"}, {"width": 4, "activation": "identity"},
                {"width": 5, "activation": "sigmoid", "bias": False}],
        output_bias=False,
        optimizer=dict(name="sgd", lr=0.02, momentum=0.5),
    )  # fmt: skip
    _assert_agree(*_run(spec, batches(spec, 60, n=6, seed=2)))
