"""Exercise `backprop`: the five pieces of a fully-connected net's backward pass, by hand.

fcnet's conventions: a batch is rows (x has shape (N, in)), W has shape (out, in), so
z = x W^T + b, dL/dW = delta^T x, dL/db = sum_n delta_n, dL/dx = delta W.
Every check compares with fcnet.nn in float64 or with central finite differences; sizes
stay small, so a correct solution looping over samples passes as well.
"""

from __future__ import annotations

import warnings

import numpy as np

from fcnet import nn
from fcnet.i18n import N_
from fcnet.i18n import gettext as _
from fcnet.learn.core import Check, CheckFailed, Exercise, Student
from fcnet.learn.exercises._util import array, close, max_error, ratio, scalar, tuple_of
from fcnet.learn.gradcheck import check_grad

# (N, in, out): N = 1, a square W, non-square ones
_SIZES = ((1, 3, 4), (5, 4, 4), (7, 6, 2))
_FORMULA_Z = N_("z = x W^T + b, with W of shape (out, in) and one sample per row of x")
_FORMULA_DW = N_("dL/dW = delta^T x sums the batch's outer products delta_n x_n^T")
_FORMULA_DB = N_("dL/db = sum over the batch of delta_n (db = delta.sum(axis=0))")
_FORMULA_DX = N_("dL/dx = delta W (per sample W^T delta_n)")
_FORMULA_RELU = N_("grad_z = grad_a * f'(z), f'(z) = 1[z > 0]")
_FORMULA_CE = N_("L = -(1/N) sum_n log softmax(z_n)[y_n]")
_FORMULA_DELTA = N_("delta = (softmax(z) - onehot(y)) / N")


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([13, *key])


def _linear_case(N: int, n_in: int, n_out: int):
    rng = _rng(N, n_in, n_out)
    x = rng.standard_normal((N, n_in))
    W = rng.standard_normal((n_out, n_in))
    b = rng.standard_normal(n_out)
    delta = rng.standard_normal((N, n_out))
    return x, W, b, delta


def _fcnet_linear(x, W, b, delta):
    layer = nn.Linear(W.shape[1], W.shape[0], dtype="float64")
    assert layer.bias is not None
    layer.weight.data[...] = W
    layer.bias.data[...] = b
    z = layer.forward(x)
    layer.zero_grad()
    dx = layer.backward(delta)
    return z, layer.weight.grad.copy(), layer.bias.grad.copy(), dx


def _unchanged(name: str, what: str, before: np.ndarray, after: np.ndarray, why: str = "") -> None:
    if not np.array_equal(before, after):
        raise CheckFailed(
            _("{name} changed its input {what} in place").format(name=name, what=what)
            + (": " + _(why) if why else "")
        )


def _call_copies(student: Student, name: str, *arrays, names: tuple[str, ...]):
    """Call `name` on copies of `arrays`, checking that none was changed in place."""
    copies = [a.copy() for a in arrays]
    out = student.call(name, *copies)
    for what, a, c in zip(names, arrays, copies, strict=True):
        _unchanged(name, what, a, c)
    return out


# --------------------------------------------------------------------------- linear


def check_linear_forward(student: Student) -> str:
    for N, n_in, n_out in _SIZES:
        x, W, b, _d = _linear_case(N, n_in, n_out)
        z = _call_copies(student, "linear_forward", x, W, b, names=("x", "W", "b"))
        where = f"(N={N}, in={n_in}, out={n_out})"
        z = array(z, f"z {where}", (N, n_out), why=_FORMULA_Z)
        ref, _u1, _u2, _u3 = _fcnet_linear(x, W, b, np.zeros((N, n_out)))
        if close(z, ref):
            continue
        if n_in == n_out and close(z, x @ W + b):
            raise CheckFailed(
                _("z = x W + b {where}: W has shape (out, in), so {formula}").format(
                    where=where, formula=_(_FORMULA_Z)
                )
            )
        if close(z, x @ W.T):
            raise CheckFailed(
                _("b is not added {where}: {formula}").format(where=where, formula=_(_FORMULA_Z))
            )
        err, i = max_error(z, ref)
        raise CheckFailed(
            _("z is wrong {where}: off by {err:.1e} (relative) at {i}; {formula}").format(
                where=where, err=err, i=i, formula=_(_FORMULA_Z)
            )
        )
    return _("matches fcnet.nn.Linear (N = 1, square and non-square W)")


def _backward_outputs(student: Student, N: int, n_in: int, n_out: int):
    x, W, b, delta = _linear_case(N, n_in, n_out)
    out = _call_copies(student, "linear_backward", delta, x, W, names=("delta", "x", "W"))
    dW, db, dx = tuple_of(out, 3, "linear_backward", "(dW, db, dx)")
    return (x, W, b, delta), (dW, db, dx)


def check_linear_backward_shapes(student: Student) -> str:
    for N, n_in, n_out in _SIZES:
        (x, W, _b, _d), (dW, db, dx) = _backward_outputs(student, N, n_in, n_out)
        shape = np.shape(dW)
        if shape == W.shape[::-1] and n_in != n_out:
            raise CheckFailed(
                _("dW has shape {shape}, W has {w_shape}: {formula}").format(
                    shape=shape, w_shape=W.shape, formula=_(_FORMULA_DW)
                )
            )
        array(
            dW,
            "dW",
            W.shape,
            why=_("a gradient has its parameter's shape; {formula}").format(formula=_(_FORMULA_DW)),
        )
        shape = np.shape(db)
        if shape == (1, n_out):
            raise CheckFailed(
                _("db has shape {shape}, b has ({n_out},): sum without keepdims; {formula}").format(
                    shape=shape, n_out=n_out, formula=_(_FORMULA_DB)
                )
            )
        if shape == (N, n_out) and N > 1:
            raise CheckFailed(
                _("db has shape {shape}: the batch must be summed out; {formula}").format(
                    shape=shape, formula=_(_FORMULA_DB)
                )
            )
        array(db, "db", (n_out,), why=_FORMULA_DB)
        array(
            dx,
            "dx",
            x.shape,
            why=_("dx has the shape of x; {formula}").format(formula=_(_FORMULA_DX)),
        )
    return _("dW like W, db like b, dx like x")


def check_linear_backward_values(student: Student) -> str:
    for N, n_in, n_out in _SIZES:
        (x, W, b, delta), (dW, db, dx) = _backward_outputs(student, N, n_in, n_out)
        where = f"(N={N}, in={n_in}, out={n_out})"
        _z, rdW, rdb, rdx = _fcnet_linear(x, W, b, delta)
        dW = array(dW, "dW", rdW.shape, why=_FORMULA_DW)
        db = array(db, "db", rdb.shape, why=_FORMULA_DB)
        dx = array(dx, "dx", rdx.shape, why=_FORMULA_DX)
        if not close(dW, rdW):
            if n_in == n_out and close(dW.T, rdW):
                raise CheckFailed(
                    _("dW is transposed {where}: {formula}, shape (out, in)").format(
                        where=where, formula=_(_FORMULA_DW)
                    )
                )
            _scaled("dW", dW, rdW, N, where, _FORMULA_DW)
            err, i = max_error(dW, rdW)
            raise CheckFailed(
                _("dW is wrong {where}: off by {err:.1e} at {i}; {formula}").format(
                    where=where, err=err, i=i, formula=_(_FORMULA_DW)
                )
            )
        if not close(db, rdb):
            if N > 1 and close(db, rdb / N):
                raise CheckFailed(
                    _(
                        "db is the batch's mean of delta {where}: {formula}, a sum, not a mean "
                        "(delta already carries the loss's 1/N)"
                    ).format(where=where, formula=_(_FORMULA_DB))
                )
            _scaled("db", db, rdb, N, where, _FORMULA_DB)
            err, i = max_error(db, rdb)
            raise CheckFailed(
                _("db is wrong {where}: off by {err:.1e} at {i}; {formula}").format(
                    where=where, err=err, i=i, formula=_(_FORMULA_DB)
                )
            )
        if not close(dx, rdx):
            if n_in == n_out and close(dx, delta @ W.T):
                raise CheckFailed(
                    _("dx = delta W^T {where}: W is (out, in), so {formula}").format(
                        where=where, formula=_(_FORMULA_DX)
                    )
                )
            _scaled("dx", dx, rdx, N, where, _FORMULA_DX)
            err, i = max_error(dx, rdx)
            raise CheckFailed(
                _("dx is wrong {where}: off by {err:.1e} at {i}; {formula}").format(
                    where=where, err=err, i=i, formula=_(_FORMULA_DX)
                )
            )
    return _("dW, db, dx match fcnet.nn.Linear.backward")


def _scaled(what: str, got: np.ndarray, ref: np.ndarray, N: int, where: str, formula: str):
    c = ratio(got, ref)
    if c is None or N == 1:
        return
    if np.isclose(c, N):
        raise CheckFailed(
            _("{what} is N = {N} times too large {where}: {formula}").format(
                what=what, N=N, where=where, formula=_(formula)
            )
        )
    if np.isclose(c, 1 / N):
        raise CheckFailed(
            _("{what} is N = {N} times too small {where}: {formula}").format(
                what=what, N=N, where=where, formula=_(formula)
            )
        )
    if np.isclose(c, -1):
        raise CheckFailed(
            _("{what} has the wrong sign {where}: {formula}").format(
                what=what, where=where, formula=_(formula)
            )
        )


def _fd_verdict(what: str, result, of: str) -> None:
    for p in result.params:
        if not p.passed:
            raise CheckFailed(
                _(
                    "{name} disagrees with finite differences of {of}: relative error "
                    "{rel_error:.1e} ({reading}) at {worst_index}: yours {analytic:.6g}, numeric "
                    "{numeric:.6g}"
                ).format(
                    name=p.name,
                    of=of,
                    rel_error=p.rel_error,
                    reading=_(p.reading),
                    worst_index=p.worst_index,
                    analytic=p.analytic,
                    numeric=p.numeric,
                )
            )


def check_linear_fd(student: Student) -> str:
    N, n_in, n_out = 3, 4, 2
    x, W, b, _d = _linear_case(N, n_in, n_out)
    G = _rng(99).standard_normal((N, n_out))  # L = sum(G * z), so dL/dz = G

    def loss() -> float:
        z = array(student.call("linear_forward", x, W, b), "z", (N, n_out), why=_FORMULA_Z)
        return float((G * z).sum())

    out = student.call("linear_backward", G.copy(), x.copy(), W.copy())
    dW, db, dx = tuple_of(out, 3, "linear_backward", "(dW, db, dx)")
    grads = {
        "dW": array(dW, "dW", W.shape, why=_FORMULA_DW),
        "db": array(db, "db", b.shape, why=_FORMULA_DB),
        "dx": array(dx, "dx", x.shape, why=_FORMULA_DX),
    }
    result = check_grad(loss, {"dW": W, "db": b, "dx": x}, grads)
    _fd_verdict("linear", result, _("your linear_forward (L = sum(G * z), delta = G)"))
    return _("largest relative error {rel_error:.0e}").format(rel_error=result.worst.rel_error)


# --------------------------------------------------------------------------- relu


def _relu_case(N: int = 6, H: int = 5, *, zeros: bool = True):
    rng = _rng(N, H, 7)
    z = rng.standard_normal((N, H))
    if zeros:
        z[0, :2] = 0.0  # f'(0) = 0 by the convention 1[z > 0]
    else:
        z += np.sign(z) * 0.1  # away from the kink, for finite differences
    grad_a = rng.standard_normal((N, H))
    return z, grad_a


def check_relu_forward(student: Student) -> str:
    z, _g = _relu_case()
    a = student.call("relu_forward", z_in := z.copy())
    _unchanged("relu_forward", "z", z, z_in, "backward needs the original z for the mask 1[z > 0]")
    a = array(a, "a", z.shape, why=_("a = max(z, 0) elementwise has z's shape"))
    ref = nn.ReLU().forward(z)
    if not close(a, ref):
        _err, i = max_error(a, ref)
        raise CheckFailed(
            _("a is wrong at {i} (z = {z_i:.3g}): a = max(z, 0)").format(i=i, z_i=z[i])
        )
    return "a = max(z, 0)"


def check_relu_backward(student: Student) -> str:
    z, grad_a = _relu_case()
    out = _call_copies(student, "relu_backward", grad_a, z, names=("grad_a", "z"))
    g = array(out, "grad_z", z.shape, why=_("grad_z has z's shape"))
    relu = nn.ReLU()
    relu.forward(z)
    ref = relu.backward(grad_a)
    if close(g, ref):
        return _FORMULA_RELU
    if close(g, grad_a):
        raise CheckFailed(
            _("grad_z ignores the ReLU mask f'(z) = 1[z > 0]: {formula}").format(
                formula=_(_FORMULA_RELU)
            )
        )
    if close(g, np.maximum(z, 0)):
        raise CheckFailed(
            _(
                "grad_z is max(z, 0), the activation itself, not the gradient coming back: "
                "{formula} (the course text's grad_h = h_copy forgets grad_a)"
            ).format(formula=_(_FORMULA_RELU))
        )
    if close(g, grad_a * (grad_a > 0)):
        raise CheckFailed(
            _("the mask comes from grad_a; it must come from z: {formula}").format(
                formula=_(_FORMULA_RELU)
            )
        )
    if close(g, grad_a * (z >= 0)):
        raise CheckFailed(
            _("at z = 0 the mask must be 0 (1[z > 0], as fcnet and PyTorch): {formula}").format(
                formula=_(_FORMULA_RELU)
            )
        )
    _err, i = max_error(g, ref)
    raise CheckFailed(
        _("grad_z is wrong at {i} (z = {z_i:.3g}): {formula}").format(
            i=i, z_i=z[i], formula=_(_FORMULA_RELU)
        )
    )


def check_relu_fd(student: Student) -> str:
    z, _g = _relu_case(zeros=False)
    G = _rng(98).standard_normal(z.shape)

    def loss() -> float:
        a = array(student.call("relu_forward", z.copy()), "a", z.shape)
        return float((G * a).sum())

    g = array(student.call("relu_backward", G.copy(), z.copy()), "grad_z", z.shape)
    result = check_grad(loss, {"grad_z": z}, {"grad_z": g})
    _fd_verdict("relu", result, _("your relu_forward (L = sum(G * a), grad_a = G)"))
    return _("largest relative error {rel_error:.0e}").format(rel_error=result.worst.rel_error)


# --------------------------------------------------------------------------- softmax + CE

_CE_SIZES = ((1, 3), (6, 4), (10, 10))


def _ce_case(N: int, C: int, scale: float = 2.0):
    rng = _rng(N, C, 5)
    z = rng.standard_normal((N, C)) * scale
    y = rng.integers(0, C, N)
    return z, y


def _fcnet_ce(z, y):
    ce = nn.CrossEntropyLoss()
    loss = ce(z, y)
    return loss, ce.backward()


def _sce(student: Student, z, y):
    out = _call_copies(student, "softmax_cross_entropy", z, y, names=("z", "y"))
    loss, delta = tuple_of(out, 2, "softmax_cross_entropy", "(loss, delta)")
    loss = scalar(loss, "loss")
    delta = array(
        delta,
        "delta",
        z.shape,
        why=_("delta = dL/dz has z's shape; {formula}").format(formula=_(_FORMULA_DELTA)),
    )
    return loss, delta


def check_softmax_ce(student: Student) -> str:
    for N, C in _CE_SIZES:
        z, y = _ce_case(N, C)
        where = f"(N={N}, C={C})"
        loss, delta = _sce(student, z, y)
        rloss, rdelta = _fcnet_ce(z, y)
        if not np.isclose(loss, rloss, rtol=1e-9, atol=1e-12):
            if N > 1 and np.isclose(loss, rloss * N):
                raise CheckFailed(
                    _("loss is N = {N} times the mean {where}: {formula}").format(
                        N=N, where=where, formula=_(_FORMULA_CE)
                    )
                )
            if np.isclose(loss, -rloss):
                raise CheckFailed(
                    _("loss has the wrong sign {where}: {formula}").format(
                        where=where, formula=_(_FORMULA_CE)
                    )
                )
            raise CheckFailed(
                _("loss is {loss:.6g}, expected {rloss:.6g} {where}: {formula}").format(
                    loss=loss, rloss=rloss, where=where, formula=_(_FORMULA_CE)
                )
            )
        if not close(delta, rdelta):
            c = ratio(delta, rdelta)
            if N > 1 and c is not None and np.isclose(c, N):
                raise CheckFailed(
                    _(
                        "delta is N times too large: the loss is a mean over the batch, so "
                        "{formula} {where}"
                    ).format(formula=_(_FORMULA_DELTA), where=where)
                )
            if c is not None and np.isclose(c, -1):
                raise CheckFailed(
                    _("delta has the wrong sign {where}: {formula}").format(
                        where=where, formula=_(_FORMULA_DELTA)
                    )
                )
            onehot = np.eye(C)[y]
            if close(delta, rdelta + onehot / N) or close(delta, rdelta * N + onehot):
                raise CheckFailed(
                    _("delta misses the - onehot(y) term {where}: {formula}").format(
                        where=where, formula=_(_FORMULA_DELTA)
                    )
                )
            err, i = max_error(delta, rdelta)
            raise CheckFailed(
                _("delta is wrong {where}: off by {err:.1e} at {i}; {formula}").format(
                    where=where, err=err, i=i, formula=_(_FORMULA_DELTA)
                )
            )
    return _("loss and delta match fcnet.nn.CrossEntropyLoss (N = 1 included)")


def check_softmax_ce_fd(student: Student) -> str:
    z, y = _ce_case(4, 5)

    def loss() -> float:
        return _sce(student, z, y)[0]

    _loss, delta = _sce(student, z, y)
    result = check_grad(loss, {"delta": z}, {"delta": delta})
    _fd_verdict("ce", result, _("your loss"))
    return _("largest relative error {rel_error:.0e}").format(rel_error=result.worst.rel_error)


def check_softmax_ce_stable(student: Student) -> str:
    z = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, 1000.0], [1000.0, 1000.0, 1000.0]])
    y = np.array([0, 0, 2])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        loss, delta = _sce(student, z, y)
    rloss, rdelta = _fcnet_ce(z, y)
    hint = _(
        "subtract each row's max first, softmax(z) = softmax(z - max_j z_j), and take "
        "log softmax(z) = (z - m) - log sum_j exp(z_j - m)"
    )
    if not np.isfinite(loss):
        raise CheckFailed(
            _("loss is {loss} for logits of magnitude 1000 (exp(1000) overflows): {hint}").format(
                loss=loss, hint=hint
            )
        )
    if not np.isfinite(delta).all():
        raise CheckFailed(
            _(
                "delta is not finite for logits of magnitude 1000 (exp(1000) overflows): {hint}"
            ).format(hint=hint)
        )
    if not np.isclose(loss, rloss, rtol=1e-9) or not close(delta, rdelta):
        raise CheckFailed(
            _(
                "wrong for logits of magnitude 1000: loss {loss:.6g}, expected {rloss:.6g}: {hint}"
            ).format(loss=loss, rloss=rloss, hint=hint)
        )
    return _("finite and right for logits of magnitude 1000")


# --------------------------------------------------------------------------- end to end

_STEPS, _LR = 40, 0.5


def _blobs():
    rng = _rng(2024)
    N, D, C = 48, 4, 3
    centres = rng.standard_normal((C, D)) * 2
    y = np.arange(N) % C
    x = centres[y] + rng.standard_normal((N, D))
    H = 16
    W1 = rng.standard_normal((H, D)) * np.sqrt(2 / D)
    b1 = rng.uniform(-0.1, 0.1, H)
    W2 = rng.standard_normal((C, H)) * np.sqrt(2 / H)
    b2 = np.zeros(C)
    return x, y, [W1, b1, W2, b2]


def _fcnet_curve(x, y, weights) -> list[float]:
    model = nn.Sequential(
        nn.Linear(4, 16, dtype="float64"), nn.ReLU(), nn.Linear(16, 3, dtype="float64")
    )
    for p, w in zip(model.parameters(), weights, strict=True):
        p.data[...] = w
    loss_fn, opt = nn.CrossEntropyLoss(), nn.SGD(model.parameters(), lr=_LR)
    losses = []
    for _step in range(_STEPS):
        losses.append(loss_fn(model.forward(x), y))
        opt.zero_grad()
        model.backward(loss_fn.backward())
        opt.step()
    return losses


def check_two_layer(student: Student) -> str:
    x, y, weights = _blobs()
    ref = _fcnet_curve(x, y, [w.copy() for w in weights])
    W1, b1, W2, b2 = (w.copy() for w in weights)
    N, H, C = x.shape[0], W1.shape[0], W2.shape[0]
    losses = []
    for step in range(_STEPS):
        z1 = array(student.call("linear_forward", x, W1, b1), "z1", (N, H))
        a1 = array(student.call("relu_forward", z1.copy()), "a1", (N, H))
        z2 = array(student.call("linear_forward", a1, W2, b2), "z2", (N, C))
        loss, delta = _sce(student, z2, y)
        losses.append(loss)
        out = student.call("linear_backward", delta, a1, W2)
        dW2, db2, da1 = (
            array(v, n, s)
            for v, n, s in zip(
                tuple_of(out, 3, "linear_backward", "(dW, db, dx)"),
                ("dW2", "db2", "da1"),
                (W2.shape, b2.shape, (N, H)),
                strict=True,
            )
        )
        dz1 = array(student.call("relu_backward", da1, z1), "dz1", (N, H))
        out = student.call("linear_backward", dz1, x, W1)
        dW1, db1, _dx = tuple_of(out, 3, "linear_backward", "(dW, db, dx)")
        dW1, db1 = array(dW1, "dW1", W1.shape), array(db1, "db1", b1.shape)
        for w, g in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
            w -= _LR * g
        if not np.isclose(loss, ref[step], rtol=1e-6):
            raise CheckFailed(
                _(
                    "the loss leaves fcnet.nn's at step {step}: yours {loss:.6g}, fcnet.nn's "
                    "{ref_step:.6g} (same weights, gradient descent lr {lr})"
                ).format(step=step, loss=loss, ref_step=ref[step], lr=_LR)
            )
    if not losses[-1] < 0.5 * losses[0]:
        raise CheckFailed(
            _("the loss does not fall: {first:.4g} -> {last:.4g}").format(
                first=losses[0], last=losses[-1]
            )
        )
    return _(
        "loss {first:.3f} -> {last:.3f} in {steps} steps, as fcnet.nn's ({reference:.3f})"
    ).format(first=losses[0], last=losses[-1], steps=_STEPS, reference=ref[-1])


_FUNCS = (
    "linear_forward",
    "linear_backward",
    "relu_forward",
    "relu_backward",
    "softmax_cross_entropy",
)

EXERCISE = Exercise(
    name="backprop",
    title="linear, ReLU and softmax cross-entropy, forward and backward, by hand",
    section="exercise 1 (numpy by hand)",
    functions=_FUNCS,
    checks=(
        Check("linear_forward", check_linear_forward, ("linear_forward",)),
        Check("linear_backward shapes", check_linear_backward_shapes, ("linear_backward",)),
        Check("linear_backward values", check_linear_backward_values, ("linear_backward",)),
        Check(
            "linear_backward finite differences",
            check_linear_fd,
            ("linear_forward", "linear_backward"),
        ),
        Check("relu_forward", check_relu_forward, ("relu_forward",)),
        Check("relu_backward", check_relu_backward, ("relu_backward",)),
        Check("relu_backward finite differences", check_relu_fd, ("relu_forward", "relu_backward")),
        Check("softmax_cross_entropy", check_softmax_ce, ("softmax_cross_entropy",)),
        Check(
            "softmax_cross_entropy finite differences",
            check_softmax_ce_fd,
            ("softmax_cross_entropy",),
        ),
        Check(
            "softmax_cross_entropy stability", check_softmax_ce_stable, ("softmax_cross_entropy",)
        ),
        Check("two-layer training", check_two_layer, _FUNCS),
    ),
)
