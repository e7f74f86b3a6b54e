"""examples/numpy_two_layer.py: the course text's numpy network, corrected."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from fcnet import nn

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "numpy_two_layer.py"


def _example():
    spec = importlib.util.spec_from_file_location("numpy_two_layer", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_loss_falls_from_about_1e7_to_below_1e_3():
    losses = _example().train(iterations=500, seed=0, verbose=False)
    assert len(losses) == 500
    assert 1e6 < losses[0] < 1e8
    assert losses[-1] < 1e-3
    assert losses[-1] < losses[250] < losses[0]


def test_its_gradients_are_the_engines():
    """The same network in fcnet.nn (no bias, ReLU, summed squared error, SGD 1e-6) takes
    the same path, so the example's hand-written gradients agree with the engine's."""
    seed, steps = 3, 20
    losses = _example().train(iterations=steps, seed=seed, verbose=False)
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((64, 1000)), rng.standard_normal((64, 10))
    w1, w2 = rng.standard_normal((1000, 100)), rng.standard_normal((100, 10))
    model = nn.Sequential(
        nn.Linear(1000, 100, bias=False, dtype="float64"),
        nn.ReLU(),
        nn.Linear(100, 10, bias=False, dtype="float64"),
    )
    model.load_state_dict({"0.weight": w1.T, "2.weight": w2.T})  # torch layout: (out, in)
    loss_fn, opt = nn.MSELoss(reduction="sum"), nn.SGD(model.parameters(), lr=1e-6)
    ours = []
    for _ in range(steps):
        ours.append(loss_fn(model(x), y))
        opt.zero_grad()
        model.backward(loss_fn.backward())
        opt.step()
    np.testing.assert_allclose(losses, ours, rtol=1e-9)


def test_runs_as_a_script_with_its_options():
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--iterations", "3", "--seed", "1"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("0 ")
    assert lines[-1].startswith("loss: ")
    bad = subprocess.run(
        [sys.executable, str(SCRIPT), "--iterations", "0"], capture_output=True, text=True, env=env
    )
    assert bad.returncode == 2
    assert "--iterations: expected an int >= 1, got 0" in bad.stderr
