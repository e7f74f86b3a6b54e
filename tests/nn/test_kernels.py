"""The compiled kernels (`fcnet.nn._kernels`, issue 16) give the numpy lines' results bit
for bit: the optimiser, dropout and ReLU passes over long arrays, on both dtypes, with the
edge values (signed zeros, inf, NaN, subnormal moments). A kernel that drifted by one
rounding would show up here, not as a slightly different training curve."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from fcnet import _jit, nn

pytestmark = pytest.mark.skipif(_jit.kernels() is None, reason="numba is not importable here")

DTYPES = ["float32", "float64"]


@pytest.fixture
def compiled(monkeypatch):
    """compiled(True): every pass uses the kernels; compiled(False): none does."""

    def use(on: bool) -> None:
        monkeypatch.setattr(_jit, "MIN_SIZE", 1 if on else 1 << 62)

    return use


def _adam_run(dtype, opt_cls, **kw):
    rng = np.random.default_rng(0)
    params = [
        nn.Parameter(rng.standard_normal((300, 200)).astype(dtype)),
        nn.Parameter(rng.standard_normal(200).astype(dtype)),
    ]
    opt = opt_cls(params, **kw)
    tiny = np.finfo(dtype).tiny
    for t in range(40):  # past two subnormal flushes (every 16 steps)
        for p in params:
            g = rng.standard_normal(p.data.shape).astype(dtype)
            g[:3] = 0  # moments of weights that never get a gradient decay to subnormals
            g[3:5] = tiny * 4 if t < 2 else 0
            g[5] = -0.0
            p.zero_grad()
            p.add_grad(g)
        opt.step()
    return [p.data.copy() for p in params] + [opt._m.copy(), opt._v.copy()]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("opt_cls", "kw"),
    [
        (nn.Adam, {}),
        (nn.Adam, {"weight_decay": 0.1}),
        (nn.AdamW, {"weight_decay": 0.1}),
        (nn.Adam, {"lr": 0.5, "betas": (0.5, 0.6), "eps": 1e-3}),
    ],
)
def test_fused_adam_is_the_numpy_update_bit_for_bit(compiled, dtype, opt_cls, kw):
    compiled(False)
    want = _adam_run(dtype, opt_cls, **kw)
    compiled(True)
    got = _adam_run(dtype, opt_cls, **kw)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    # the flush happened: moments of the always-zero gradients that went subnormal are 0
    m = got[-2]
    assert (m[3:5] == 0).all() or np.abs(m[3:5]).min() >= np.finfo(dtype).tiny


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.2, 0.5, 1e-6])  # 1e-6: threshold 65536, every value kept
def test_fused_dropout_is_the_numpy_mask_bit_for_bit(compiled, dtype, p):
    x = np.random.default_rng(3).standard_normal((64, 700)).astype(dtype)
    x[0, :4] = [np.inf, -np.inf, np.nan, -0.0]
    out = {}
    for on in (False, True):
        compiled(on)
        d = nn.Dropout(p, rng=7)
        with np.errstate(invalid="ignore"):  # inf * 0 where dropped
            y = d(x)
        out[on] = (y, d.mask, d.backward(np.ones_like(x)))
    for a, b in zip(out[True], out[False], strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == np.dtype(dtype)
    assert np.signbit(out[True][0]).sum() == np.signbit(out[False][0]).sum()  # -0 kept


@pytest.mark.parametrize("dtype", DTYPES)
def test_fused_relu_backward_is_the_numpy_line_bit_for_bit(compiled, dtype):
    rng = np.random.default_rng(4)
    z = rng.standard_normal((64, 700)).astype(dtype)
    g = rng.standard_normal((64, 700)).astype(dtype)
    g[0, :3] = [np.inf, np.nan, -0.0]
    z[0, :3] = [-1.0, 1.0, 1.0]  # inf * 0 = nan; nan kept where z > 0; -0 kept
    out = {}
    for on in (False, True):
        compiled(on)
        relu = nn.ReLU()
        relu(z)
        with np.errstate(invalid="ignore"):  # inf * 0
            out[on] = relu.backward(g)
    np.testing.assert_array_equal(out[True], out[False])
    assert np.signbit(out[True]).sum() == np.signbit(out[False]).sum()


def test_a_network_trains_to_the_same_bits_with_and_without_the_kernels(compiled):
    def train():
        rng = np.random.default_rng(0)
        model = nn.Sequential(
            nn.Linear(40, 900, rng=rng), nn.ReLU(), nn.Dropout(0.3, rng=rng),
            nn.Linear(900, 5, rng=rng),
        )  # fmt: skip
        opt = nn.Adam(model.parameters(), lr=1e-2)
        loss_fn = nn.CrossEntropyLoss()
        data = np.random.default_rng(1)
        for _ in range(20):
            x = data.standard_normal((64, 40)).astype(np.float32)
            loss_fn(model(x), data.integers(0, 5, 64))
            opt.zero_grad()
            model.backward(loss_fn.backward(), need_input_grad=False)
            opt.step()
        return model.state_dict()

    compiled(False)
    want = train()
    compiled(True)
    got = train()
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)


def test_fcnet_jit_0_turns_the_kernels_off_and_small_passes_never_load_numba():
    code = (
        "import sys, numpy as np; from fcnet import nn; from fcnet import _jit; "
        "print(_jit.kernels() is None); "
        "opt = nn.Adam([nn.Parameter(np.ones(100, np.float32))]); opt.step(); "
        "print('numba' in sys.modules)"
    )
    for env, want in (("0", "True\nFalse"), ("1", "False\nTrue")):
        run = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={**os.environ, "FCNET_JIT": env},
            check=True,
        )
        assert run.stdout.strip() == want
    small = "import sys, numpy as np, fcnet; from fcnet import nn; " + (
        "opt = nn.Adam([nn.Parameter(np.ones(100, np.float32))]); opt.step(); "
        "print('numba' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", small], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"  # a small network never loads numba
