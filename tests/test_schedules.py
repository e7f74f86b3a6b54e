"""Every lr schedule, in every backend, step by step against `ScheduleSpec.lr_at` (whose
formulas, `fcnet.schedules`, are the only ones)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fcnet.backends import BACKENDS, build
from fcnet.schedules import lr_at
from fcnet.spec import NetSpec

SCHEDULES = {
    "none": {"name": "none"},
    "step": {"name": "step", "step_size": 3, "gamma": 0.5},
    "exponential": {"name": "exponential", "gamma": 0.9},
    "cosine": {"name": "cosine", "total_steps": 8, "min_lr": 1e-3},
    "cosine_warmup": {"name": "cosine", "total_steps": 9, "warmup_steps": 3, "min_lr": 1e-3},
}
STEPS = 12  # past total_steps: cosine stays at min_lr


def _lr_now(model) -> float:
    """The learning rate the backend's optimiser will use for its next step."""
    if model.backend == "numpy":
        return float(model.optimizer.lr)
    if model.backend == "torch":
        return float(model.optimizer.param_groups[0]["lr"])
    return float(np.asarray(model.optimizer.learning_rate))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_backend_follows_lr_at_step_by_step(backend, schedule):
    spec = NetSpec(
        input_size=3,
        hidden=[4],
        output_size=1,
        dtype="float64",
        optimizer={"name": "sgd", "lr": 0.1, "schedule": SCHEDULES[schedule]},
    )
    model = build(spec, backend)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    for t in range(STEPS):
        want = spec.optimizer.schedule.lr_at(0.1, t)
        assert _lr_now(model) == pytest.approx(want, rel=1e-12, abs=0), (backend, t)
        model.train_step(x, y)


def test_the_formulas_by_hand():
    assert lr_at("step", 1.0, 5, step_size=3, gamma=0.5) == 0.5  # floor(5 / 3) = 1
    assert lr_at("exponential", 2.0, 3, gamma=0.5) == 0.25
    # warm-up: (t + 1) / w; then half-way through the cosine span: (lr + min_lr) / 2
    assert lr_at("cosine", 1.0, 0, warmup_steps=4, total_steps=8) == 0.25
    assert lr_at("cosine", 1.0, 6, warmup_steps=4, total_steps=8, min_lr=0.2) == pytest.approx(0.6)
    assert lr_at("cosine", 1.0, 99, total_steps=8, min_lr=0.2) == pytest.approx(0.2)
    assert lr_at("none", 0.3, 7) == 0.3
    assert math.isclose(lr_at("cosine", 1.0, 0, total_steps=8), 1.0)
    with pytest.raises(ValueError, match="schedule: expected one of"):
        lr_at("linear", 1.0, 0)


def test_resumed_torch_schedule_continues_at_the_saved_step():
    pytest.importorskip("torch")
    spec = NetSpec(
        input_size=3,
        hidden=[4],
        output_size=1,
        optimizer={"name": "adam", "lr": 0.1, "schedule": SCHEDULES["exponential"]},
    )
    a = build(spec, "torch")
    x, y = np.ones((4, 3), np.float32), np.ones((4, 1), np.float32)
    for _ in range(5):
        a.train_step(x, y)
    b = build(spec, "torch")
    b.set_state(a.get_state())
    assert _lr_now(b) == pytest.approx(spec.optimizer.schedule.lr_at(0.1, 5), rel=1e-12)
    b.train_step(x, y)
    assert _lr_now(b) == pytest.approx(spec.optimizer.schedule.lr_at(0.1, 6), rel=1e-12)
