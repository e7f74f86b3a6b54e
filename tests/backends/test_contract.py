"""The Model interface, run over every backend: shapes, dtypes, weights, exact resume,
files (portable .npz across backends, native .pt / .weights.h5) and bad input."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from _backend_cases import batches, small_spec

import fcnet
from fcnet.backends import BACKENDS, Model, build, load

ALL = list(BACKENDS)


@pytest.fixture(scope="module")
def models32():
    """One float32 cross-entropy model per backend (building TF models is the slow part)."""
    spec = small_spec("cross_entropy", dtype="float32", optimizer=dict(name="adam", lr=0.01))
    return spec, {b: build(spec, b) for b in ALL}


def test_import_fcnet_imports_no_framework():
    code = (
        "import sys, fcnet, fcnet.backends, fcnet.spec\n"
        "from fcnet.backends import numpy_backend\n"
        "bad = [m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_tensorflow_import_is_quiet():
    code = "from fcnet.backends import tf_backend\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "oneDNN" not in out.stderr and "absl" not in out.stderr, out.stderr


@pytest.mark.parametrize("backend", ALL)
def test_interface(models32, backend):
    spec, models = models32
    model = models[backend]
    assert isinstance(model, Model)
    assert model.backend == backend and model.spec is spec
    x, y = batches(spec, 1, n=6)[0]
    out = model.predict(x)
    assert out.shape == (6, 3) and out.dtype == np.float32
    result = model.evaluate(x, y)
    assert set(result) == {"loss", "accuracy"} and 0 <= result["accuracy"] <= 1
    w = model.get_weights()
    assert {k: v.shape for k, v in w.items()} == spec.weight_shapes()
    assert all(v.dtype == np.float32 for v in w.values())


def test_every_backend_starts_from_the_same_weights(models32):
    spec, models = models32
    ref = models["numpy"].get_weights()
    x = batches(spec, 1)[0][0]
    for backend in ("torch", "tensorflow"):
        w = models[backend].get_weights()
        assert all(np.array_equal(w[k], ref[k]) for k in ref)
        np.testing.assert_allclose(models[backend].predict(x), models["numpy"].predict(x),
                                   rtol=1e-5, atol=1e-6)  # fmt: skip


@pytest.mark.parametrize("backend", ALL)
def test_train_step_counts_and_lowers_the_loss(backend):
    spec = small_spec("mse", optimizer=dict(name="adam", lr=0.02))
    model = build(spec, backend)
    data = batches(spec, 80)
    losses = [model.train_step(x, y) for x, y in data]
    assert model.steps == 80
    assert np.mean(losses[-8:]) < 0.5 * np.mean(losses[:8])


RESUME = {
    "sgd_momentum_step": dict(
        optimizer=dict(name="sgd", lr=0.05, momentum=0.9, schedule=dict(name="step", step_size=5))
    ),
    "adam_cosine_dropout": dict(
        hidden=[{"width": 8, "dropout": 0.3}],
        optimizer=dict(name="adam", lr=0.01, schedule=dict(name="cosine", total_steps=20)),
    ),
    "rmsprop_momentum": dict(optimizer=dict(name="rmsprop", lr=0.01, momentum=0.5)),
}


@pytest.mark.parametrize("case", list(RESUME))
@pytest.mark.parametrize("backend", ALL)
def test_resume_from_state_is_exact(backend, case):
    spec = small_spec("cross_entropy", **RESUME[case])
    data = batches(spec, 20)
    a = build(spec, backend)
    for x, y in data[:10]:
        a.train_step(x, y)
    state = {k: np.array(v, copy=True) for k, v in a.get_state().items()}
    rest_a = [a.train_step(x, y) for x, y in data[10:]]
    b = build(spec, backend)
    b.set_state(state)
    assert b.steps == 10
    rest_b = [b.train_step(x, y) for x, y in data[10:]]
    assert rest_a == rest_b
    wa, wb = a.get_weights(), b.get_weights()
    assert all(np.array_equal(wa[k], wb[k]) for k in wa)


@pytest.mark.parametrize("source", ALL)
def test_weights_trained_in_one_backend_predict_the_same_in_the_others(tmp_path, source):
    spec = small_spec("bce", dtype="float32", optimizer=dict(name="adam", lr=0.01))
    model = build(spec, source)
    for x, y in batches(spec, 30):
        model.train_step(x, y)
    path = tmp_path / "model.npz"
    model.save(path)
    x = batches(spec, 1, n=16, seed=5)[0][0]
    ref = model.predict(x)
    for target in ALL:
        loaded = load(path, target)
        assert loaded.backend == target
        np.testing.assert_allclose(loaded.predict(x), ref, rtol=1e-5, atol=1e-6)
    assert load(path).backend == source  # by default, the backend that wrote it


def test_set_weights_moves_between_backends_in_memory(models32):
    spec, models = models32
    rng = np.random.default_rng(3)
    w = {k: rng.standard_normal(s).astype(np.float32) for k, s in spec.weight_shapes().items()}
    x = batches(spec, 1, n=8)[0][0]
    outs = []
    for backend in ALL:
        models[backend].set_weights(w)
        outs.append(models[backend].predict(x))
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(outs[2], outs[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("backend", "suffix"), [("torch", ".pt"), ("tensorflow", ".weights.h5")])
def test_native_files_round_trip(tmp_path, backend, suffix):
    spec = small_spec("mse", dtype="float32")
    model = build(spec, backend)
    for x, y in batches(spec, 5):
        model.train_step(x, y)
    path = tmp_path / f"net{suffix}"
    model.save(path)
    again = load(path, spec=spec)
    assert again.backend == backend
    x = batches(spec, 1)[0][0]
    np.testing.assert_array_equal(again.predict(x), model.predict(x))


@pytest.mark.parametrize(("backend", "suffix"), [("torch", ".pt"), ("tensorflow", ".weights.h5")])
def test_native_files_follow_the_umask_and_keep_an_existing_mode(tmp_path, backend, suffix):
    """Issue 25.9 for native saves: a new file gets 0666 & ~umask (not mkstemp's 0600), a
    rewritten one keeps its own mode, and no temporary file is left beside it."""
    model = build(small_spec("mse"), backend)
    path = tmp_path / f"net{suffix}"
    before = os.umask(0o027)
    try:
        model.save(path)
        assert path.stat().st_mode & 0o777 == 0o640
        path.chmod(0o604)
        model.save(path)
        assert path.stat().st_mode & 0o777 == 0o604
    finally:
        os.umask(before)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert load(path, spec=small_spec("mse")).backend == backend


def test_torch_native_file_is_a_plain_state_dict(tmp_path):
    import torch

    spec = small_spec("mse")
    build(spec, "torch").save(tmp_path / "m.pt")
    state = torch.load(tmp_path / "m.pt", weights_only=True)
    assert {k: tuple(v.shape) for k, v in state.items()} == spec.weight_shapes()


# ----- bad input --------------------------------------------------------------------------


def test_unknown_backend_and_bad_spec():
    spec = small_spec("mse")
    with pytest.raises(ValueError, match=r"backend: expected one of numpy, torch, tensorflow"):
        build(spec, "jax")
    with pytest.raises(ValueError, match=r"hidden\[0\]\.activation: expected one of"):
        build({"input_size": 2, "output_size": 2, "hidden": [{"width": 3, "activation": "gelu"}]})
    assert fcnet.build(spec, "numpy").backend == "numpy"


@pytest.mark.parametrize("backend", ALL)
def test_cuda_without_a_gpu_is_a_clear_error(backend):
    spec = small_spec("mse")
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            pytest.skip("a GPU is visible here")
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            pytest.skip("a GPU is visible here")
    with pytest.raises(ValueError, match=r"device: .*'cuda'"):
        build(spec, backend, device="cuda")
    with pytest.raises(
        ValueError, match=r"device: expected one of cpu, cuda, cuda:N, auto, got 'tpu"
    ):
        build(spec, backend, device="tpu")


@pytest.mark.parametrize("backend", ALL)
def test_bad_inputs_name_the_argument(models32, backend):
    _, models = models32
    model = models[backend]
    x = np.zeros((4, 5), np.float32)
    with pytest.raises(ValueError, match=r"x: expected shape \(N, 5\) .*got \(4, 7\)"):
        model.predict(np.zeros((4, 7)))
    with pytest.raises(ValueError, match=r"x: expected finite values"):
        model.predict(np.full((2, 5), np.nan))
    with pytest.raises(ValueError, match=r"y: expected labels in 0\.\.2, got values in 0\.\.3"):
        model.train_step(x, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"y: expected class labels of shape \(4,\), got \(3,\)"):
        model.evaluate(x, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"y: expected integer class labels"):
        model.train_step(x, np.array([0.5, 1, 2, 0]))


@pytest.mark.parametrize("backend", ALL)
def test_weights_that_do_not_fit(models32, backend):
    _, models = models32
    model = models[backend]
    w = model.get_weights()
    with pytest.raises(ValueError, match=r"weights: names do not fit the spec \(missing 4\.bias"):
        model.set_weights({k: v for k, v in w.items() if k != "4.bias"})
    with pytest.raises(ValueError, match=r"unexpected 9\.weight"):
        model.set_weights({**w, "9.weight": np.zeros((2, 2))})
    with pytest.raises(ValueError, match=r"'0\.weight' expected shape \(8, 5\), got \(5, 8\)"):
        model.set_weights({**w, "0.weight": w["0.weight"].T})
    with pytest.raises(ValueError, match=r"'2\.bias' holds NaN or inf"):
        model.set_weights({**w, "2.bias": np.full(6, np.inf)})


def test_a_model_file_for_another_spec_is_refused(tmp_path):
    other = small_spec("mse", hidden=[{"width": 4}])
    build(other, "numpy").save(tmp_path / "other.npz")
    model = build(small_spec("mse"), "torch")
    with pytest.raises(ValueError, match=r"other\.npz: names do not fit|expected shape"):
        model.load_weights(tmp_path / "other.npz")


def test_native_files_of_another_backend_are_refused(tmp_path):
    spec = small_spec("mse")
    torch_model, tf_model = build(spec, "torch"), build(spec, "tensorflow")
    torch_model.save(tmp_path / "m.pt")
    tf_model.save(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match=r"m\.pt: this is PyTorch's native format; the tensorflow"):
        tf_model.load_weights(tmp_path / "m.pt")
    with pytest.raises(ValueError, match=r"m\.weights\.h5: this is TensorFlow's native format"):
        torch_model.load_weights(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match=r"the numpy backend reads and writes \.npz, got"):
        build(spec, "numpy").save(tmp_path / "m.pt")
    with pytest.raises(ValueError, match=r"torch native file cannot be loaded by backend 'numpy'"):
        load(tmp_path / "m.pt", "numpy", spec=spec)
    with pytest.raises(ValueError, match=r"holds weights only; pass spec="):
        load(tmp_path / "m.weights.h5")
    # a file renamed to look like another format is found out by its content
    (tmp_path / "fake.pt").write_bytes((tmp_path / "m.weights.h5").read_bytes())
    with pytest.raises(
        ValueError, match=r"fake\.pt: expected a PyTorch \.pt checkpoint, got an HDF5"
    ):
        torch_model.load_weights(tmp_path / "fake.pt")
    (tmp_path / "fake.weights.h5").write_bytes((tmp_path / "m.pt").read_bytes())
    with pytest.raises(ValueError, match=r"expected a Keras \.weights\.h5 file, got a PyTorch"):
        tf_model.load_weights(tmp_path / "fake.weights.h5")
    (tmp_path / "fake.npz").write_bytes((tmp_path / "m.pt").read_bytes())
    with pytest.raises(
        ValueError, match=r"fake\.npz: expected a portable fcnet \.npz, got a PyTorch"
    ):
        load(tmp_path / "fake.npz")


def test_npz_without_a_spec_is_refused(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match=r"plain\.npz: not an fcnet model file \(no __spec__"):
        load(tmp_path / "plain.npz")
    with pytest.raises(OSError):
        load(tmp_path / "missing.npz")


def test_native_weights_for_another_spec_are_refused(tmp_path):
    build(small_spec("mse", hidden=[{"width": 4}]), "torch").save(tmp_path / "small.pt")
    with pytest.raises(ValueError, match=r"names do not fit the spec|expected shape"):
        load(tmp_path / "small.pt", spec=small_spec("mse"))
    build(small_spec("mse", hidden=[{"width": 4}]), "tensorflow").save(tmp_path / "s.weights.h5")
    with pytest.raises(ValueError, match=r"s\.weights\.h5: weights do not fit the spec"):
        load(tmp_path / "s.weights.h5", spec=small_spec("mse"))


@pytest.mark.parametrize("backend", ALL)
def test_dropout_trains_and_eval_mode_is_deterministic(backend):
    spec = small_spec("mse", hidden=[{"width": 8, "dropout": 0.5}], dtype="float32")
    model = build(spec, backend)
    assert [k for k, _ in spec.layers()] == ["linear", "relu", "dropout", "linear"]
    data = batches(spec, 20)
    losses = [model.train_step(x, y) for x, y in data]
    assert np.all(np.isfinite(losses))
    x = data[0][0]
    np.testing.assert_array_equal(model.predict(x), model.predict(x))


@pytest.mark.parametrize(
    ("backend", "module", "pip"),
    [("torch", "torch", "pip install torch"), ("tensorflow", "tensorflow", "tensorflow-cpu")],
)
def test_a_missing_framework_names_the_pip_package(backend, module, pip):
    code = (
        f"import sys; sys.modules[{module!r}] = None\n"
        "from fcnet.backends import build\n"
        "from fcnet.spec import NetSpec\n"
        "try:\n"
        f"    build(NetSpec(input_size=2, output_size=1), {backend!r})\n"
        "except ValueError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert f"backend {backend!r} needs {module}, which is not installed" in out.stdout
    assert pip in out.stdout


@pytest.mark.parametrize("where", [0, -1])
def test_a_nan_is_found_in_any_block_of_a_large_input(where):
    from fcnet.backends._common import _FINITE_BLOCK, check_x
    from fcnet.spec import NetSpec

    spec = NetSpec(input_size=7, hidden=[], output_size=2, loss="cross_entropy", dtype="float32")
    x = np.zeros((3 * _FINITE_BLOCK // 7 + 5, 7), np.float32)  # four blocks, the last short
    assert check_x(spec, x) is x  # float32, C-contiguous: checked, not copied
    x.reshape(-1)[where] = np.inf
    with pytest.raises(ValueError, match=r"^x: expected finite values, got NaN or inf$"):
        check_x(spec, x)
