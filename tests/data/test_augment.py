"""fcnet.data.augment: the shifts and the elastic distortions of training digits.

The distortion's compiled warp (numba) and its numpy twin give the same bits; the warp
is checked against exact geometry (identity, a quarter turn), and the random changes
are small, seeded and different per image."""

from __future__ import annotations

import numpy as np
import pytest

from fcnet import _speed
from fcnet.data import augment
from fcnet.data.augment import distort_images, shift_images
from fcnet.data.mnist import load_mnist


@pytest.fixture(scope="module")
def digits():
    return load_mnist("test")[0][:64]


def test_shift_images_moves_each_digit_by_at_most_two_pixels(digits):
    x = digits[:20]
    out = shift_images(x, np.random.default_rng(0))
    assert out.shape == x.shape and out.dtype == x.dtype
    pad = np.pad(x.reshape(-1, 28, 28), ((0, 0), (2, 2), (2, 2)))
    for img, moved in zip(pad, out.reshape(-1, 28, 28), strict=True):
        windows = [img[dy : dy + 28, dx : dx + 28] for dy in range(5) for dx in range(5)]
        assert any(np.array_equal(w, moved) for w in windows)
    assert not np.array_equal(out, x)


def _warp(pad, *args, compiled):
    out = np.empty((len(pad), 784), np.float32)
    if compiled:
        kernels = _speed.load("fcnet.data._kernels")
        if kernels is None:
            pytest.skip("numba is not importable here")
        kernels.warp(pad, *args, out)
    else:
        augment._warp_numpy(pad, *args, out)
    return out


def _params(n, cs, sn, oy=15.5, ox=15.5, field=0.0):
    full = lambda v: np.full(n, v, np.float32)  # noqa: E731
    f = np.full((n, 784), field, np.float32)
    return full(cs), full(sn), full(oy), full(ox), f, f.copy()


@pytest.mark.parametrize("compiled", [False, True])
def test_the_warp_is_exact_for_the_identity_and_a_quarter_turn(digits, compiled):
    n = len(digits)
    pad = np.pad(digits.reshape(n, 28, 28), ((0, 0), (2, 2), (2, 2)))
    same = _warp(pad, *_params(n, 1.0, 0.0), compiled=compiled)
    np.testing.assert_array_equal(same, digits)
    turned = _warp(pad, *_params(n, 0.0, 1.0), compiled=compiled)
    want = np.rot90(digits.reshape(n, 28, 28), k=-1, axes=(1, 2)).reshape(n, 784)
    np.testing.assert_array_equal(turned, want)
    half = _warp(pad, *_params(n, 1.0, 0.0, ox=15.0), compiled=compiled)  # half a pixel left
    img = pad[:, 2:30, :]
    want = (img[:, :, 1:29] + img[:, :, 2:30]) / 2
    np.testing.assert_allclose(half.reshape(n, 28, 28), want, rtol=0, atol=1e-6)


def test_compiled_warp_and_numpy_warp_give_the_same_bits(digits, monkeypatch):
    if _speed.load("fcnet.data._kernels") is None:
        pytest.skip("numba is not importable here")
    a = distort_images(digits, np.random.default_rng(5))
    monkeypatch.setitem(_speed._loaded, "fcnet.data._kernels", None)  # the numpy twin
    b = distort_images(digits, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


def test_distortions_are_seeded_small_and_different_per_image(digits):
    a = distort_images(digits, np.random.default_rng(1))
    assert a.shape == digits.shape and a.dtype == digits.dtype
    np.testing.assert_array_equal(a, distort_images(digits, np.random.default_rng(1)))
    assert not np.array_equal(a, distort_images(digits, np.random.default_rng(2)))
    assert a.min() >= 0 and a.max() <= 1 + 1e-6
    # the digit stays where it was, give or take the shift and the elastic field
    grid = np.arange(28)

    def centre(x):
        img = x.reshape(-1, 28, 28)
        mass = img.sum(axis=(1, 2))
        return np.stack([(img.sum(2) * grid).sum(1) / mass, (img.sum(1) * grid).sum(1) / mass])

    moved = np.abs(centre(a) - centre(digits))
    assert moved.max() < 5 and moved.mean() > 0.3
    # and keeps its ink, give or take what the scaling and the elastic stretch change
    ratio = a.sum(1) / digits.sum(1)
    assert (0.5 < ratio).all() and (ratio < 2).all()
    # every image is changed differently: no two get the same deformation
    diffs = (a - digits).reshape(len(a), -1)
    assert np.unique(diffs.round(4), axis=0).shape[0] == len(a)
