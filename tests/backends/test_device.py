"""`device=`: cpu | cuda | cuda:N | auto for build and load; the GPU path where one exists.

The CUDA tests need a GPU that torch sees; elsewhere they skip and say so (they were
not run in the session that wrote them: no GPU there).
"""

from __future__ import annotations

import numpy as np
import pytest

from fcnet.backends import build, load
from fcnet.spec import NetSpec

torch = pytest.importorskip("torch")

HAS_CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not HAS_CUDA, reason="no CUDA GPU visible to torch here")


def _spec(**kw) -> NetSpec:
    d = {
        "input_size": 6,
        "hidden": [{"width": 16, "activation": "relu"}],
        "output_size": 3,
        "loss": "cross_entropy",
        "optimizer": {"name": "adam", "lr": 1e-2},
        "seed": 3,
    }
    d.update(kw)
    return NetSpec.from_dict(d)


def _data(n=64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 6)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)


@pytest.mark.parametrize("bad", ["tpu", "cuda:", "cuda:x", "CUDA", "gpu", "cuda:-1"])
def test_unknown_devices_are_one_line_errors(bad):
    with pytest.raises(ValueError, match=r"^device: expected one of cpu, cuda, cuda:N, auto"):
        build(_spec(), "numpy", device=bad)


def test_numpy_refuses_a_gpu_and_takes_auto_as_the_cpu():
    with pytest.raises(ValueError, match=r"^device: the numpy backend runs on the CPU only"):
        build(_spec(), "numpy", device="cuda:0")
    assert build(_spec(), "numpy", device="auto").device == "cpu"


def test_auto_is_the_gpu_when_torch_sees_one_else_the_cpu():
    model = build(_spec(), "torch", device="auto")
    assert model.device.type == ("cuda" if HAS_CUDA else "cpu")


@pytest.mark.skipif(HAS_CUDA, reason="a GPU is visible here")
def test_cuda_without_a_gpu_names_what_torch_sees():
    with pytest.raises(ValueError) as info:
        build(_spec(), "torch", device="cuda")
    msg = str(info.value)
    assert "\n" not in msg and "torch sees no CUDA GPU" in msg and torch.__version__ in msg


def test_load_passes_the_device_on(tmp_path):
    path = tmp_path / "m.npz"
    build(_spec(), "numpy").save(path)
    assert load(path, "torch", device="cpu").device.type == "cpu"
    with pytest.raises(ValueError, match=r"^device: the numpy backend runs on the CPU only"):
        load(path, device="cuda")


def test_resident_steps_are_none_on_the_cpu():
    x, y = _data()
    assert build(_spec(), "torch", device="cpu").resident_steps(x, y) is None


# ----- on a GPU ------------------------------------------------------------------------------


@needs_cuda
def test_cuda_training_matches_the_cpu_within_float32_tolerance():
    x, y = _data()
    cpu, gpu = build(_spec(), "torch", device="cpu"), build(_spec(), "torch", device="cuda")
    for _ in range(20):
        a, b = cpu.train_step(x, y), gpu.train_step(x, y)
    assert a == pytest.approx(b, rel=1e-4, abs=1e-5)
    for k, w in cpu.get_weights().items():
        np.testing.assert_allclose(gpu.get_weights()[k], w, rtol=1e-3, atol=1e-5)


@needs_cuda
def test_resident_steps_on_the_gpu_equal_train_step():
    x, y = _data()
    a, b = build(_spec(), "torch", device="cuda"), build(_spec(), "torch", device="cuda")
    step = b.resident_steps(x, y)
    assert step is not None
    order = np.random.default_rng(1).permutation(len(x))
    for lo in range(0, len(x), 16):
        la = a.train_step(x[order[lo : lo + 16]], y[order[lo : lo + 16]])
        lb = step(order, lo, lo + 16)
        assert la == pytest.approx(lb, rel=1e-6)
    assert a.steps == b.steps == 4


@needs_cuda
def test_checkpoints_move_between_gpu_and_cpu(tmp_path):
    x, y = _data()
    gpu = build(_spec(), "torch", device="cuda")
    gpu.train_step(x, y)
    for name in ("m.npz", "m.pt"):
        gpu.save(tmp_path / name)
    back = load(tmp_path / "m.npz", device="cpu")
    native = load(tmp_path / "m.pt", spec=_spec(), device="cpu")
    for k, w in gpu.get_weights().items():
        np.testing.assert_array_equal(back.get_weights()[k], w)
        np.testing.assert_array_equal(native.get_weights()[k], w)
    cpu = build(_spec(), "torch", device="cpu")
    cpu.train_step(x, y)
    cpu.save(tmp_path / "c.npz")
    again = load(tmp_path / "c.npz", device="cuda")
    for k, w in cpu.get_weights().items():
        np.testing.assert_array_equal(again.get_weights()[k], w)
    state = gpu.get_state()
    other = build(_spec(), "torch", device="cpu")
    other.set_state(state)
    a, b = gpu.train_step(x, y), other.train_step(x, y)
    assert a == pytest.approx(b, rel=1e-4)


@needs_cuda
def test_train_loop_uses_the_resident_data_and_learns():
    from fcnet.train import train

    x, y = _data(256)
    model = build(_spec(), "torch", device="cuda")
    hist = train(model, x, y, epochs=5, batch_size=32, progress=False, evals={"train": (x, y)})
    assert model.steps == 5 * 8
    assert hist.records[-1]["train_accuracy"] > 0.8
