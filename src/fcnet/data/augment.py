"""More training digits from the same data: random changes of 28x28 images, per batch.

`shift_images` moves each image by whole pixels (`fcnet mnist --augment`); it is cheap
and worth about 0.4 points of test accuracy. `distort_images` (`--distort`) deforms each
image smoothly, as a hand writes the same digit differently: a rotation, a scaling, a
sub-pixel shift and an elastic field, resampled bilinearly, as Simard, Steinkraus and
Platt (2003) did to take a two-layer MLP to 99.3% (their "elastic distortions"; the
field here is drawn on a 5x5 grid of Gaussian bumps instead of smoothing per-pixel
noise, which gives the same kind of field for a fraction of the random numbers).

Both take `x` (n, 784) and a numpy Generator and return a new (n, 784) array; the
generator alone decides the changes, so a seeded run draws the same ones.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from fcnet import _speed

SHIFT = 2
"""Largest shift, in pixels, each way (both functions)."""
ROTATE_DEGREES = 10.0
"""Largest rotation, each way (`distort_images`)."""
SCALE = 0.1
"""Largest relative change of size, each way (`distort_images`)."""
ELASTIC_PIXELS = 1.2
"""Standard deviation of the elastic displacement, in pixels (`distort_images`)."""
KNOTS = 5
"""The elastic field's grid: KNOTS x KNOTS Gaussian bumps over the 28x28 image."""

SIDE = 28


def shift_images(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each (784,) image moved by a random whole number of pixels, -2..2 on each axis,
    the uncovered border filled with 0 (background)."""
    n = len(x)
    pad = np.zeros((n, SIDE + 2 * SHIFT, SIDE + 2 * SHIFT), dtype=x.dtype)
    pad[:, SHIFT:-SHIFT, SHIFT:-SHIFT] = x.reshape(n, SIDE, SIDE)
    dy, dx = rng.integers(0, 2 * SHIFT + 1, size=(2, n))  # (n,) each: window offsets
    # every 28x28 window of each padded image, as a view (n, 5, 5, 28, 28): picking one
    # window per image copies 28 rows each, 4x faster than gathering pixel by pixel
    windows = sliding_window_view(pad, (SIDE, SIDE), axis=(1, 2))
    return windows[np.arange(n), dy, dx].reshape(n, SIDE * SIDE)


def _bumps() -> np.ndarray:
    """(28, KNOTS): Gaussian bumps centred on KNOTS evenly spaced rows, each row of the
    matrix of unit length (so a field B U B^T with U ~ N(0, 1) has unit variance)."""
    centres = np.linspace(0, SIDE - 1, KNOTS)
    width = (SIDE - 1) / (KNOTS - 1)
    b = np.exp(-0.5 * ((np.arange(SIDE)[:, None] - centres[None, :]) / width) ** 2)
    return (b / np.sqrt((b**2).sum(axis=1, keepdims=True))).astype(np.float32)


_FIELD = (ELASTIC_PIXELS * np.kron(_bumps(), _bumps())).astype(np.float32)
"""(784, KNOTS^2): a field's value at each pixel from its knots, ELASTIC_PIXELS (B kron B)."""


def distort_images(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each (784,) image deformed at random: rotated by up to 10 degrees, scaled by up
    to 10%, shifted by up to 2 pixels and bent by a smooth elastic field (about 1.2
    pixels), then resampled bilinearly; what comes from outside the image is 0."""
    n = len(x)
    theta = np.deg2rad(rng.uniform(-ROTATE_DEGREES, ROTATE_DEGREES, n))
    scale = 1.0 + rng.uniform(-SCALE, SCALE, n)
    shift = rng.uniform(-SHIFT, SHIFT, (2, n))
    knots = rng.standard_normal((2 * n, KNOTS * KNOTS)).astype(np.float32)
    # the elastic field at every pixel, B U B^T per image and axis (B: the bumps, U: the
    # knots), as one product: vec(B U B^T) = (B kron B) vec(U); (2n, 784)
    field = knots @ _FIELD.T
    # output pixel p (centred) comes from R(theta) p / scale + centre + shift + field(p),
    # in the coordinates of the image padded by 2 (centre 13.5 + 2)
    f32 = np.float32
    args = (
        (np.cos(theta) / scale).astype(f32),
        (np.sin(theta) / scale).astype(f32),
        (15.5 + shift[0]).astype(f32),
        (15.5 + shift[1]).astype(f32),
        field[:n],
        field[n:],
    )
    pad = np.zeros((n, SIDE + 4, SIDE + 4), f32)
    pad[:, 2:-2, 2:-2] = x.reshape(n, SIDE, SIDE)
    out = np.empty((n, SIDE * SIDE), f32)
    kernels = _speed.load("fcnet.data._kernels")
    if kernels is not None:
        kernels.warp(pad, *args, out)  # on this thread alone (see fcnet.data._kernels)
    else:
        _warp_numpy(pad, *args, out)
    return out.astype(x.dtype, copy=False)


def _warp_numpy(pad, cs, sn, oy, ox, fy, fx, out) -> None:
    """`fcnet.data._kernels.warp` in numpy (without numba): the same float32 operations
    in the same order, on whole arrays."""
    f32 = np.float32
    n = len(pad)
    rr = (np.arange(SIDE) - 13.5).astype(f32)[None, :, None]  # (1, 28, 1)
    cc = (np.arange(SIDE) - 13.5).astype(f32)[None, None, :]  # (1, 1, 28)
    a, b = cs[:, None, None], sn[:, None, None]
    fy, fx = fy.reshape(n, SIDE, SIDE), fx.reshape(n, SIDE, SIDE)
    y = np.clip(a * rr - b * cc + oy[:, None, None] + fy, f32(1.0), f32(30.0))
    x = np.clip(b * rr + a * cc + ox[:, None, None] + fx, f32(1.0), f32(30.0))
    y0, x0 = y.astype(np.intp), x.astype(np.intp)
    wy, wx = y - y0.astype(f32), x - x0.astype(f32)
    i = np.arange(n)[:, None, None]
    top = pad[i, y0, x0] + wx * (pad[i, y0, x0 + 1] - pad[i, y0, x0])
    bottom = pad[i, y0 + 1, x0] + wx * (pad[i, y0 + 1, x0 + 1] - pad[i, y0 + 1, x0])
    out[...] = (top + wy * (bottom - top)).reshape(n, SIDE * SIDE)
