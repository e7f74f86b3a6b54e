"""The compiled kernels (`fcnet.nn._kernels`, reached through `fcnet._speed`) give the
reference lines' results bit for bit: Adam's update, the dropout mask and ReLU's
derivative over long arrays, on both dtypes, with the edge values (signed zeros, inf,
NaN, subnormal moments). A kernel that drifted by one rounding shows up here, not as a
slightly different training curve."""

from __future__ import annotations

import numpy as np
import pytest

from fcnet import _speed, nn

pytestmark = pytest.mark.skipif(
    _speed.kernels() is None, reason="numba is not importable here"
)  # not counted as passing: the reference path is all there is then

DTYPES = ["float32", "float64"]


def _fast(net, opt=None):
    """The compiled step's passes over `net` (`opt` only for the optimiser's)."""
    return _speed.FastStep(net, opt, _speed.kernels())


def _adam_run(dtype, opt_cls, compiled, **kw):
    rng = np.random.default_rng(0)
    net = nn.Sequential(nn.Linear(200, 300, rng=rng, dtype=dtype))
    params = net.parameters()
    for p in params:
        p.data[...] = rng.standard_normal(p.data.shape)
    opt = opt_cls(params, **kw)
    fast = _fast(net, opt)
    tiny = np.finfo(dtype).tiny
    for t in range(40):  # past two subnormal flushes (every 16 steps)
        for p in params:
            g = rng.standard_normal(p.data.shape).astype(dtype)
            g[:3] = 0  # moments of weights that never get a gradient decay to subnormals
            g[3:5] = tiny * 4 if t < 2 else 0
            g[5] = -0.0
            p.grad = g
        if compiled:
            fast._adam_step()
        else:
            opt.step()
    assert opt.t == 40
    return [p.data.copy() for p in params] + opt.exp_avg + opt.exp_avg_sq


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
def test_fused_adam_is_the_reference_update_bit_for_bit(dtype, opt_cls, kw):
    want = _adam_run(dtype, opt_cls, False, **kw)
    got = _adam_run(dtype, opt_cls, True, **kw)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
        assert np.array_equal(np.signbit(a), np.signbit(b))
    # the flush happened: no moment is left subnormal (those of the always-zero gradients
    # went to 0, where no L2 term keeps them up)
    for m in got[2:4]:
        assert ((m == 0) | (np.abs(m) >= np.finfo(dtype).tiny)).all()
    if not kw.get("weight_decay"):
        assert (got[2][3:5] == 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.2, 0.5, 1e-6])  # 1e-6: threshold 65536, every value kept
def test_fused_dropout_is_the_reference_mask_bit_for_bit(dtype, p):
    x = np.random.default_rng(3).standard_normal((64, 700)).astype(dtype)
    x[0, :4] = [np.inf, -np.inf, np.nan, -0.0]
    out = {}
    for compiled in (False, True):
        d = nn.Dropout(p, rng=7)
        with np.errstate(invalid="ignore"):  # inf * 0 where dropped
            y = _fast(nn.Sequential(d)).forward(x) if compiled else d(x)
        out[compiled] = (y, d.mask, d.backward(np.ones_like(x)))
    for a, b in zip(out[True], out[False], strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == np.dtype(dtype)
    assert np.array_equal(np.signbit(out[True][0]), np.signbit(out[False][0]))  # -0 kept


@pytest.mark.parametrize("dtype", DTYPES)
def test_fused_relu_backward_is_the_reference_line_bit_for_bit(dtype):
    rng = np.random.default_rng(4)
    z = rng.standard_normal((64, 700)).astype(dtype)
    g = rng.standard_normal((64, 700)).astype(dtype)
    g[0, :3] = [np.inf, np.nan, -0.0]
    z[0, :3] = [-1.0, 1.0, 1.0]  # inf * 0 = nan; nan kept where z > 0; -0 kept
    relu = nn.ReLU()
    relu(z)
    with np.errstate(invalid="ignore"):  # inf * 0
        want = relu.backward(g)
        got = _fast(nn.Sequential(relu)).backward(g)
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))
