"""The engine's long element-wise passes as compiled loops (numba), one pass each instead
of a numpy ufunc (and a pass over memory) per operation.

Why: on 784-256-10 Adam's dozen ufunc passes over 0.2 M parameters cost as much as the
first layer's forward product; on 784-1024-1024-10 they cost as much as all the backward
products. One loop reads each value once and keeps the intermediate results in registers.

Each kernel is the reference code it names (in `fcnet.nn.optim`, `fcnet.nn.layers`,
`fcnet.nn.activations`), line for line, in the same floating-point operations in the same
order: no fast-math, so no reassociation and no fused multiply-add, and the results are
bit-for-bit the reference's (tests/nn/test_speed.py). Each runs on the calling thread.

Import this module only through `fcnet._speed.kernels()`: it imports numba (a second or
so the first time, then compiled code is read from numba's cache).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# error_model="numpy": a division by zero gives inf/nan as in numpy (no Python check per
# element, which would keep the loop from being vectorised); cache=True: compiled once.
_compiled = njit(cache=True, nogil=True, error_model="numpy")


@_compiled
def adam_chunk(p, g, m, v, beta1c, beta2, beta2c, step_c, eps_c, wd, decay, flush, tiny):
    """Adam/AdamW on one parameter, in place: `optim.Adam.step`'s lines fused. p, g, m, v
    are C-contiguous arrays of one shape (walked flat: a view, never a copy; any other
    layout is a typing error, not a lost update).

    beta1c = 1 - beta1, beta2c = 1 - beta2, step_c = step_size * c, eps_c = eps * c
    (c = sqrt(1 - beta2^t)); wd > 0 adds the L2 term wd p to the gradient (Adam);
    decay != 1 multiplies p by it first (AdamW: 1 - lr wd); flush zeroes moments m
    below `tiny` (the dtype's smallest normal number). All scalars in p's dtype.
    """
    p, g, m, v = p.reshape(p.size), g.reshape(p.size), m.reshape(p.size), v.reshape(p.size)
    for i in range(p.size):
        pi = p[i]
        pi = pi * decay  # AdamW: p = p (1 - lr wd)  (decay = 1 otherwise: p unchanged)
        gi = g[i]
        if wd != 0:
            gi = gi + wd * pi  # Adam: g = grad + wd p
        mi = m[i]
        mi = mi + (gi - mi) * beta1c  # m = m + (1 - beta1) (g - m)
        vi = v[i] * beta2 + (gi * gi) * beta2c  # v = beta2 v + (1 - beta2) g^2
        p[i] = pi - (mi / (np.sqrt(vi) + eps_c)) * step_c  # p - step c m / (sqrt(v) + eps c)
        if flush and abs(mi) < tiny:
            mi = tiny - tiny  # a subnormal moment -> +0 (a literal 0 would be float64)
        m[i] = mi
        v[i] = vi


@_compiled
def dropout_forward(x, r, threshold, scale, mask, out):
    """`layers.Dropout.forward`'s lines fused: mask = scale where r < threshold, else 0;
    out = x * mask (flat, C-ordered arrays of one length; r the raw 16-bit draws)."""
    zero = scale - scale
    for i in range(x.size):
        mi = scale if r[i] < threshold else zero  # mask = 1[r < threshold] / keep
        mask[i] = mi
        out[i] = x[i] * mi  # x * mask


@_compiled
def relu_backward(grad_out, a, one, out):
    """`activations.ReLU.backward`'s line fused: out = grad_out * 1[a > 0] (flat arrays;
    `one` is 1 in their dtype)."""
    zero = one - one
    for i in range(a.size):
        out[i] = grad_out[i] * (one if a[i] > 0 else zero)  # dL/da * f'(z), f'(z) = 1[a > 0]
