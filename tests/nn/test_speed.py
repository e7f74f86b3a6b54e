"""The speed layer (`fcnet._speed`) beside the reference engine: the compiled training step
gives the reference path's bits, FCNET_JIT=0 and a numba that cannot load give the
reference path, and the thread choices (the BLAS per step, the caps for a block) do what
they say. (Speed itself is measured by `make bench`, not here.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fcnet import _speed, nn
from fcnet.backends import build
from fcnet.spec import NetSpec

SRC = str(Path(__file__).resolve().parents[2] / "src")
needs_numba = pytest.mark.skipif(_speed.kernels() is None, reason="numba is not importable")


def _spec(optimizer, dtype="float32", dropout=0.0, loss="cross_entropy", clip=None):
    return NetSpec.from_dict(
        {
            "input_size": 30,
            "hidden": [{"width": 200, "dropout": dropout}, {"width": 120}],
            "output_size": 4 if loss == "cross_entropy" else 1,
            "loss": loss,
            "optimizer": {**optimizer, "clip_norm": clip},
            "dtype": dtype,
            "seed": 3,
        }
    )


def _train(spec, jit, monkeypatch, steps=25):
    """Weights and optimiser state after `steps` steps of the numpy backend."""
    monkeypatch.setenv("FCNET_JIT", "1" if jit else "0")
    model = build(spec, "numpy")
    assert isinstance(model._fast, _speed.FastStep) == jit or model._fast is False
    rng = np.random.default_rng(5)
    for _ in range(steps):
        x = rng.standard_normal((48, 30))
        y = rng.integers(0, 4, 48) if spec.loss == "cross_entropy" else rng.random((48, 1))
        model.train_step(x, y)
    assert isinstance(model._fast, _speed.FastStep) == jit
    return {**model.get_weights(), **model.get_state()}


CASES = {
    "adam": ({"name": "adam", "lr": 0.01}, {}),
    "adamw_weight_decay_float64": (
        {"name": "adamw", "lr": 0.01, "weight_decay": 0.05},
        {"dtype": "float64"},
    ),
    "adam_l2_dropout_clip": (
        {"name": "adam", "lr": 0.01, "weight_decay": 0.01},
        {"dropout": 0.3, "clip": 0.5},
    ),
    "sgd_nesterov_bce": (
        {"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"loss": "bce_with_logits"},
    ),
    "rmsprop_mse": ({"name": "rmsprop", "lr": 0.001}, {"loss": "mse"}),
}


@needs_numba
@pytest.mark.parametrize("case", CASES)
def test_the_compiled_step_and_the_reference_agree_bit_for_bit(case, monkeypatch):
    monkeypatch.setattr(_speed, "MIN_SIZE", 1)  # this small net through the kernels too
    optimizer, kw = CASES[case]
    spec = _spec(optimizer, **kw)
    want = _train(spec, False, monkeypatch)
    got = _train(spec, True, monkeypatch)
    assert want.keys() == got.keys()
    for k in want:
        a, b = np.asarray(got[k]), np.asarray(want[k])
        assert a.dtype == b.dtype, k
        if a.dtype.kind == "f":  # the same bits: compared as integers
            a, b = a.view(f"u{a.itemsize}"), b.view(f"u{b.itemsize}")
        np.testing.assert_array_equal(a, b, err_msg=k)


def test_small_networks_and_fcnet_jit_0_take_the_reference_path(monkeypatch):
    spec = _spec({"name": "adam"})
    monkeypatch.setattr(_speed, "MIN_SIZE", 10**9)
    assert _speed.fast_step(build(spec, "numpy").net, nn.SGD([nn.Parameter(np.ones(2))])) is None
    monkeypatch.setattr(_speed, "MIN_SIZE", 1)
    monkeypatch.setenv("FCNET_JIT", "0")
    model = build(spec, "numpy")
    assert _speed.fast_step(model.net, model.optimizer) is None
    relu = nn.ReLU()
    shared = nn.Sequential(nn.Linear(3, 3), relu, nn.Linear(3, 3), relu)  # a layer used twice
    monkeypatch.setenv("FCNET_JIT", "1")
    assert _speed.fast_step(shared, nn.Adam(shared.parameters())) is None


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": SRC, "OMP_NUM_THREADS": "1", **env},
        check=False,
    )


@needs_numba
def test_fcnet_jit_0_turns_the_kernels_off_and_small_networks_never_load_numba():
    code = (
        "import sys, numpy as np; from fcnet import _speed, nn; "
        "print(_speed.kernels() is None); print('numba' in sys.modules)"
    )
    for jit, want in (("0", "True\nFalse"), ("1", "False\nTrue")):
        run = _python(code, FCNET_JIT=jit)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip() == want
    small = (
        "import sys, numpy as np, fcnet; from fcnet.backends import build; "
        "from fcnet.spec import NetSpec; "
        "m = build(NetSpec.from_dict({'input_size': 4, 'hidden': [{'width': 8}], "
        "'output_size': 2, 'loss': 'cross_entropy'}), 'numpy'); "
        "m.train_step(np.ones((3, 4)), np.array([0, 1, 1])); "
        "print('numba' in sys.modules)"
    )
    run = _python(small)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"  # a small network never loads numba


@needs_numba
def test_numba_without_a_cache_locator_falls_back_to_the_reference_path():
    """Issue 25.4: with nowhere to write numba's cache, numba raises RuntimeError ("no
    locator available") when the kernels are defined; training goes on without them."""
    code = (
        "import numba.core.caching as c; c.CacheImpl._locator_classes = []; "
        "import numpy as np; from fcnet import _speed; from fcnet.backends import build; "
        "from fcnet.spec import NetSpec; "
        "spec = NetSpec.from_dict({'input_size': 784, 'hidden': [{'width': 64}], "
        "'output_size': 10, 'loss': 'cross_entropy'}); m = build(spec, 'numpy'); "
        "loss = m.train_step(np.ones((8, 784)), np.arange(8)); "
        "print(_speed.kernels() is None, m._fast is None, np.isfinite(loss))"
    )
    run = _python(code)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "True", "True"]


# ----- threads ----------------------------------------------------------------------------


def test_limit_threads_caps_the_blas_inside_the_block_and_checks_its_argument():
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    with threadpool_limits(limits=2, user_api="blas"):
        with _speed.limit_threads(1, frameworks=False):
            assert set(blas()) == {1}
        assert set(blas()) == {2}
        with _speed.limit_threads(None):
            assert set(blas()) == {2}
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="threads: expected an int >= 1"):
            with _speed.limit_threads(bad):
                pass


@pytest.mark.parametrize("fast", ["one", "all"])
def test_blas_threads_keep_the_faster_choice_and_restore_the_setting(fast):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=2, user_api="blas"):  # two to choose from
        blas = _speed.BlasThreads()
        assert blas.choices == (1, 2)
        blas.current = 2  # as on a quiet machine (a loaded one starts with 1)
        before = [lib.num_threads for lib in blas._libs]
        now = [0.0]
        blas._clock = lambda: now[0]  # a clock under which the slow choice's steps take 10x

        def step():
            one = blas._libs[0].num_threads == 1
            now[0] += 1.0 if one == (fast == "one") else 10.0
            return "done"

        assert all(blas.run(step) == "done" for _ in range(200))
        assert blas.current == (1 if fast == "one" else 2)
        assert blas.switches == (1 if fast == "one" else 0)
        assert blas._interval > blas.FIRST_INTERVAL  # losing probes grow rarer
        assert [lib.num_threads for lib in blas._libs] == before


def test_blas_threads_start_with_one_thread_on_a_loaded_machine(monkeypatch):
    from threadpoolctl import threadpool_limits

    monkeypatch.setattr(_speed.os, "getloadavg", lambda: (64.0, 64.0, 64.0))
    with threadpool_limits(limits=2, user_api="blas"):
        assert _speed.BlasThreads().current == 1
    monkeypatch.setattr(_speed.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    with threadpool_limits(limits=2, user_api="blas"):
        assert _speed.BlasThreads().current == 2


def test_blas_threads_judge_by_mean_steps_beside_a_busy_neighbour():
    """Two threads beside a busy core: some steps at full speed, most a time slice late.
    Their best step beats one thread's, their mean does not: one thread is chosen."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=2, user_api="blas"):
        blas = _speed.BlasThreads()
        blas.current = 2
        now, calls = [0.0], [0]

        def step():
            calls[0] += 1
            two = blas._libs[0].num_threads == 2
            now[0] += (1.0 if calls[0] % 3 == 0 else 10.0) if two else 3.0

        blas._clock = lambda: now[0]
        for _ in range(200):
            blas.run(step)
        assert blas.current == 1 and blas.switches == 1


def test_dropout_masks_keep_one_minus_p_and_average_one():
    d = nn.Dropout(0.2, rng=0)
    x = np.ones((400, 500), np.float32)
    out = d(x)
    kept = out != 0
    assert abs(kept.mean() - 0.8) < 0.005
    assert np.unique(out[kept]).size == 1
    assert out.mean() == pytest.approx(1.0, abs=0.01)  # E[mask] = 1
    np.testing.assert_array_equal(d.backward(np.ones_like(x)), out)  # d(x mask)/dx = mask
    again = nn.Dropout(0.2, rng=0)(x)
    np.testing.assert_array_equal(again, out)  # the seed decides the mask
    odd = nn.Dropout(0.5, rng=1)(np.ones((3, 7), np.float32))  # 21 values: not a multiple of 4
    assert set(np.unique(odd)) <= {0.0, 2.0}


def test_the_reference_engine_holds_no_speed_machinery():
    """fcnet.nn is the reference code: no module of it but the kernels' imports numba, the
    speed layer or a thread library, and a Parameter is its data and its gradient."""
    import ast

    nn_dir = Path(SRC) / "fcnet" / "nn"
    for path in nn_dir.glob("*.py"):
        if path.name == "_kernels.py":  # the compiled twins, loaded by fcnet._speed only
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names]
                module = getattr(node, "module", None) or ""
                for name in [module, *names]:
                    assert not name.startswith(("numba", "threadpoolctl", "fcnet._speed")), path
                    assert name != "_speed", path
    assert set(nn.Parameter.__slots__) == {"data", "_grad"}
    p = nn.Parameter(np.ones(3))
    p.grad += 2.0
    p.add_grad(np.ones(3))
    np.testing.assert_array_equal(p.grad, [3.0] * 3)
    p.zero_grad()
    np.testing.assert_array_equal(p.grad, [0.0] * 3)
