"""One small run through the task API on each framework backend: native file beside .npz."""

from __future__ import annotations

import numpy as np
import pytest

from fcnet.backends import load
from fcnet.tasks import binary, fit


@pytest.mark.parametrize(
    ("backend", "native"), [("torch", "model.pt"), ("tensorflow", "model.weights.h5")]
)
def test_fit_on_a_framework_backend(workdir, backend, native):
    pytest.importorskip(backend)
    r = fit(
        "x**2",
        range=(-1, 1),
        backend=backend,
        samples=200,
        epochs=3,
        hidden="8",
        out="run",
        quiet=True,
    )
    assert r.backend == backend and np.isfinite(r.metrics["test_mse"])
    assert (r.out_dir / native).is_file()
    model = load(r.out_dir / "model.npz", backend="numpy")  # portable: the numpy engine reads it
    x = np.linspace(-1, 1, 10_001, dtype=np.float32)[:, None]
    err = model.predict(x)[:, 0].astype(np.float64) - x[:, 0].astype(np.float64) ** 2
    assert np.mean(err**2) == pytest.approx(r.metrics["test_mse"], rel=1e-3)


def test_torch_resume_continues_from_the_checkpoint(workdir):
    pytest.importorskip("torch")
    binary(
        dataset="random",
        samples=32,
        features=20,
        hidden="8",
        epochs=2,
        backend="torch",
        out="run",
        quiet=True,
    )
    r = binary(resume="run", epochs=3, quiet=True)
    assert r.backend == "torch" and len(r.history.records) == 3
