"""One small run through the task API on each framework backend: native file beside .npz."""

from __future__ import annotations

import numpy as np
import pytest

from fcnet.backends import load
from fcnet.tasks import binary, fit
from fcnet.train import Callback


@pytest.mark.parametrize(
    ("backend", "native"), [("torch", "model.pt"), ("tensorflow", "model.weights.h5")]
)
def test_fit_on_a_framework_backend(workdir, backend, native):
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


class _Steps(Callback):
    def __init__(self) -> None:
        self.n = 0

    def on_step_end(self, epoch, step, loss):
        self.n += 1


def test_torch_resume_continues_from_the_checkpoint(workdir):
    kw = dict(dataset="random", samples=32, features=20, hidden="8", backend="torch", quiet=True)
    all_steps = _Steps()
    straight = binary(epochs=3, out="straight", callbacks=[all_steps], **kw)
    binary(epochs=2, out="run", **kw)
    steps = _Steps()
    r = binary(resume="run", epochs=3, quiet=True, callbacks=[steps])
    assert r.backend == "torch" and len(r.history.records) == 3
    assert steps.n * 3 == all_steps.n  # the resumed run trained the third epoch only ...
    a = load(r.out_dir / "model.npz", backend="numpy").get_weights()
    b = load(straight.out_dir / "model.npz", backend="numpy").get_weights()
    for k in a:  # ... from the checkpoint's weights, optimiser state and shuffling
        np.testing.assert_allclose(a[k], b[k], rtol=1e-5, atol=1e-7, err_msg=k)
